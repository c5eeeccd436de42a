/*
 * Migration results: rules as key/value lines, warnings, endpoint lines.
 */
#include "migrate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "text.h"
#include "util.h"

#define MIG_MAX_RULES 4096
#define MIG_MAX_KV 64

static void
rule_free(struct mig_rule *r)
{
	size_t j;

	for (j = 0; j < r->nkv; j++)
		free(r->kv[j].value);
	free(r->kv);
}

void
mig_free(struct mig_result *m)
{
	size_t i;

	for (i = 0; i < m->nrules; i++)
		rule_free(&m->rules[i]);
	free(m->rules);
	for (i = 0; i < m->nlimits; i++)
		rule_free(&m->limits[i]);
	free(m->limits);
	for (i = 0; i < m->nendpoints; i++)
		free(m->endpoints[i]);
	free(m->endpoints);
	for (i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	if (m->global) {
		rule_free(m->global);
		free(m->global);
	}
	memset(m, 0, sizeof(*m));
}

static struct mig_rule *
rule_append(struct mig_rule **v, size_t *n, const char *name, const char *origin)
{
	struct mig_rule *nv, *r;

	if (*n >= MIG_MAX_RULES)
		return NULL;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	*v = nv;
	r = &nv[(*n)++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->origin, sizeof(r->origin), "%s", origin);
	return r;
}

struct mig_rule *
mig_rule_new(struct mig_result *m, const char *name, const char *origin)
{
	return rule_append(&m->rules, &m->nrules, name, origin);
}

struct mig_rule *
mig_limit_new(struct mig_result *m, const char *ports)
{
	char origin[32];

	snprintf(origin, sizeof(origin), "port %s", ports);
	return rule_append(&m->limits, &m->nlimits, ports, origin);
}

struct mig_rule *
mig_rule_new_global(void)
{
	struct mig_rule *r = calloc(1, sizeof(*r));

	if (r) {
		snprintf(r->name, sizeof(r->name), "global");
		snprintf(r->origin, sizeof(r->origin), "[global]");
	}
	return r;
}

/* inih ends a value at '#' after white space and trims; a value must survive that. */
static int
ini_safe(const char *v)
{
	const char *p;

	if (strpbrk(v, "\r\n"))
		return 0;
	if (v[0] == '#' || v[0] == ';')
		return 0;
	for (p = v; *p; p++)
		if (*p == '#' && p > v && isspace((unsigned char)p[-1]))
			return 0;
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return 0;
	return 1;
}

int
mig_set(struct mig_rule *r, const char *key, const char *value, char *err)
{
	struct mig_kv *nv;
	size_t i;

	if (!ini_safe(value)) {
		snprintf(err, ERRLEN, "%s: %s '%.60s' holds a line break, a control character or a "
		    "'#' comment start the store cannot keep", r->origin, key, value);
		return -1;
	}
	if (strlen(value) > 2000) {
		snprintf(err, ERRLEN, "%s: %s is longer than 2000 characters", r->origin, key);
		return -1;
	}
	for (i = 0; i < r->nkv; i++)
		if (strcmp(r->kv[i].key, key) == 0 && strcmp(key, "remote") != 0) {
			char *d = strdup(value);
			if (!d)
				goto oom;
			free(r->kv[i].value);
			r->kv[i].value = d;
			return 0;
		}
	if (r->nkv >= MIG_MAX_KV + STORE_MAX_REMOTES) {
		snprintf(err, ERRLEN, "%s: too many settings", r->origin);
		return -1;
	}
	nv = realloc(r->kv, (r->nkv + 1) * sizeof(*nv));
	if (!nv)
		goto oom;
	r->kv = nv;
	snprintf(nv[r->nkv].key, sizeof(nv[r->nkv].key), "%s", key);
	if (!(nv[r->nkv].value = strdup(value)))
		goto oom;
	r->nkv++;
	return 0;
oom:
	snprintf(err, ERRLEN, "out of memory");
	return -1;
}

int
mig_setf(struct mig_rule *r, const char *key, char *err, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mig_set(r, key, buf, err);
}

const char *
mig_get(const struct mig_rule *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nkv; i++)
		if (strcmp(r->kv[i].key, key) == 0)
			return r->kv[i].value;
	return NULL;
}

void
mig_warn(struct mig_result *m, const char *fmt, ...)
{
	char buf[512], **nv;
	va_list ap;

	if (m->nwarnings >= 1000)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_escape_inplace(buf, sizeof(buf));   /* it quotes the foreign file */
	nv = realloc(m->warnings, (m->nwarnings + 1) * sizeof(*nv));
	if (!nv)
		return;
	m->warnings = nv;
	if ((nv[m->nwarnings] = strdup(buf)) != NULL)
		m->nwarnings++;
}

int
mig_add_endpoint(struct mig_result *m, const char *value)
{
	char **nv;
	size_t i;

	for (i = 0; i < m->nendpoints; i++)
		if (strcmp(m->endpoints[i], value) == 0)
			return 0;
	if (m->nendpoints >= 256 || !ini_safe(value))
		return -1;
	nv = realloc(m->endpoints, (m->nendpoints + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	m->endpoints = nv;
	if (!(nv[m->nendpoints] = strdup(value)))
		return -1;
	m->nendpoints++;
	return 0;
}

void
mig_name(char *out, size_t size, const char *in, const char *fallback)
{
	size_t n = 0, max = size - 1 < STORE_NAME_MAX ? size - 1 : STORE_NAME_MAX;
	const char *p;
	int dash = 0;

	for (p = in; *p && n < max; p++) {
		int ok = isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-';
		if (!ok) {
			if (!dash && n)
				out[n++] = '-';
			dash = 1;
			continue;
		}
		out[n++] = *p;
		dash = *p == '-';
	}
	while (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	if (!n || !store_name_valid(out))
		snprintf(out, size, "%.*s", (int)max, fallback);
}

void
mig_note(char *out, size_t size, const char *in)
{
	size_t n = 0;
	const char *p = in;

	while (isspace((unsigned char)*p))
		p++;
	for (; *p && n + 1 < size; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c == '#' || (n == 0 && c == ';'))
			c = '-';
		out[n++] = (char)c;
	}
	while (n && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
}

int
mig_listen(const char *in, char *out, size_t size)
{
	char buf[HOST_MAX + 32], *port;
	const char *host;
	size_t hl;

	if (str_copy(buf, sizeof(buf), in) < 0)
		return -1;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return -1;
		*close = '\0';
		host = buf + 1;
		port = close + 2;
	} else {
		port = strrchr(buf, ':');
		if (!port)
			return -1;
		*port++ = '\0';
		host = buf;
	}
	if (!*port)
		return -1;
	hl = strlen(host);
	if (hl == 0 || strcmp(host, "::") == 0)
		snprintf(out, size, "[::]:%s", port);
	else if (strchr(host, ':'))
		snprintf(out, size, "[%s]:%s", host, port);
	else
		snprintf(out, size, "%s:%s", host, port);
	return 0;
}
