#include "transport.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"
#include "util.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "sha256:HEX" (64 hex digits, ':' between bytes allowed) -> 32 bytes */
static int
parse_pin(const char *v, unsigned char out[32])
{
	size_t n = 0;
	int hi = -1, x;

	if (strncmp(v, "sha256:", 7) != 0)
		return -1;
	for (v += 7; *v; v++) {
		if (*v == ':')
			continue;
		if ((x = hexval((unsigned char)*v)) < 0)
			return -1;
		if (hi < 0)
			hi = x;
		else {
			if (n == 32)
				return -1;
			out[n++] = (unsigned char)(hi << 4 | x);
			hi = -1;
		}
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

/* host= and path= go into the WebSocket request line and Host header as they are:
 * a space would end the request target, a control byte is refused by the exit */
static const char *
http_unsafe(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v <= 0x20 || *v == 0x7f)
			return v;
	return NULL;
}

static int
set(char *dst, size_t size, const char *key, const char *v, char *err)
{
	if (!*v) {
		snprintf(err, ERRLEN, "transport: %s= is empty", key);
		return -1;
	}
	if (str_copy(dst, size, v) < 0) {
		snprintf(err, ERRLEN, "transport: %s= is too long", key);
		return -1;
	}
	return 0;
}

/* cert=, key=, ocsp=: a relative path is under the TLS folder
 * (/var/lib/xwpf/tls), where `xwpf import` puts the files an export packed */
const char *
transport_file_path(const char *v, char *buf, size_t size)
{
	if (!*v || *v == '/')
		return v;
	snprintf(buf, size, "%s/%s", path_get(PATH_TLS_DIR), v);
	return buf;
}

static int
set_file(char *dst, size_t size, const char *key, const char *v, char *err)
{
	char buf[1024];

	return set(dst, size, key, transport_file_path(v, buf, sizeof(buf)), err);
}

int
transport_alpn_split(const struct transport *t, char *buf, size_t size, const char *names[TRANSPORT_ALPN_MAX])
{
	char *tok, *save = NULL;
	int n = 0;

	if (str_copy(buf, size, t->alpn) < 0)
		return 0;
	for (tok = strtok_r(buf, ",", &save); tok && n < TRANSPORT_ALPN_MAX; tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok)
			names[n++] = tok;
	}
	return n;
}

/* alpn=h2,http/1.1: protocol names as the ClientHello offers them, in order */
static int
set_alpn(struct transport *t, const char *v, const char *where, char *err)
{
	const char *names[TRANSPORT_ALPN_MAX];
	char buf[sizeof(t->alpn)];
	const char *p;
	int n, commas = 0;

	if (set(t->alpn, sizeof(t->alpn), "alpn", v, err) < 0)
		return -1;
	for (p = v; *p; p++)
		commas += *p == ',';
	n = transport_alpn_split(t, buf, sizeof(buf), names);
	if (n == 0 || n != commas + 1) {
		snprintf(err, ERRLEN, "%s: alpn= is a comma list of 1 to %d protocol names (e.g. alpn=h2,http/1.1), "
		    "not '%s'", where, TRANSPORT_ALPN_MAX, v);
		return -1;
	}
	return 0;
}

const char *
transport_unused(const struct transport *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", t->zero_rtt ? "0rtt" : "", t->zero_rtt && *t->ocsp ? ", " : "",
	    *t->ocsp ? "ocsp=" : "");
	return buf;
}

int
transport_parse(const char *s, enum transport_side side, struct transport *t, char *err)
{
	char buf[1024], *item, *save = NULL;
	const char *where = side == TRANSPORT_CLIENT ? "remote_transport" : "listen_transport", *bad, *which = NULL;

	memset(t, 0, sizeof(*t));
	if (str_copy(buf, sizeof(buf), s) < 0) {
		snprintf(err, ERRLEN, "%s is too long", where);
		return -1;
	}
	for (item = strtok_r(buf, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *eq, *k = str_trim(item), *v;
		int rc = 0;

		if (!*k)
			continue;
		if (!(eq = strchr(k, '='))) {
			if (strcmp(k, "ws") == 0)
				t->ws = 1;
			else if (strcmp(k, "tls") == 0)
				t->tls = 1;
			else if (strcmp(k, "insecure") == 0)
				t->insecure = 1;
			else if (strcmp(k, "0rtt") == 0)
				t->zero_rtt = 1;
			else if (strcmp(k, "early") == 0)
				t->early = 1;
			else {
				snprintf(err, ERRLEN, "%s: unknown item '%s' (known: ws, tls, insecure, 0rtt, early, "
				    "host=, path=, sni=, alpn=, pin=, servername=, cert=, key=, ocsp=)", where, k);
				return -1;
			}
			continue;
		}
		*eq = '\0';
		k = str_trim(k);
		v = str_trim(eq + 1);
		if (strcmp(k, "host") == 0)
			rc = set(t->host, sizeof(t->host), k, v, err);
		else if (strcmp(k, "path") == 0)
			rc = set(t->path, sizeof(t->path), k, v, err);
		else if (strcmp(k, "sni") == 0)
			rc = set(t->sni, sizeof(t->sni), k, v, err);
		else if (strcmp(k, "alpn") == 0)
			rc = set_alpn(t, v, where, err);
		else if (strcmp(k, "servername") == 0)
			rc = set(t->servername, sizeof(t->servername), k, v, err);
		else if (strcmp(k, "cert") == 0)
			rc = set_file(t->cert, sizeof(t->cert), k, v, err);
		else if (strcmp(k, "key") == 0)
			rc = set_file(t->key, sizeof(t->key), k, v, err);
		else if (strcmp(k, "ocsp") == 0)
			rc = set_file(t->ocsp, sizeof(t->ocsp), k, v, err);
		else if (strcmp(k, "pin") == 0) {
			if (parse_pin(v, t->pin) < 0) {
				snprintf(err, ERRLEN, "%s: pin must be sha256: followed by 64 hex digits "
				    "(as `xwpf rule show` prints on the exit)", where);
				return -1;
			}
			t->has_pin = 1;
		} else {
			snprintf(err, ERRLEN, "%s: unknown key '%s='", where, k);
			return -1;
		}
		if (rc < 0)
			return -1;
	}
	if (t->ws && (!*t->host || !*t->path)) {
		snprintf(err, ERRLEN, "%s: ws needs host= and path= (e.g. ws;host=example.com;path=/ws)", where);
		return -1;
	}
	if (t->ws && t->path[0] != '/') {
		snprintf(err, ERRLEN, "%s: the ws path must start with '/', not '%s'", where, t->path);
		return -1;
	}
	if (!(bad = http_unsafe(t->host)))
		bad = http_unsafe(which = t->path);
	if (bad) {
		snprintf(err, ERRLEN, "%s: ws %s= holds a space or a control character (byte 0x%02x): it goes into the "
		    "HTTP request as it is (write %%20 for a space in a path)", where, which == t->path ? "path" : "host",
		    (unsigned char)*bad);
		return -1;
	}
	if (t->early && (!t->ws || side != TRANSPORT_CLIENT)) {
		snprintf(err, ERRLEN, "%s: early is a relay-side ws setting (the first bytes follow the "
		    "WebSocket request; the exit must be xwpf)", where);
		return -1;
	}
	if (!t->ws && (*t->host || *t->path)) {
		snprintf(err, ERRLEN, "%s: host= and path= belong to ws; add the item ws", where);
		return -1;
	}
	if (!t->tls && (*t->sni || t->insecure || t->has_pin || *t->servername || *t->cert || *t->key ||
	    *t->alpn || *t->ocsp)) {
		snprintf(err, ERRLEN, "%s: TLS settings without the item tls", where);
		return -1;
	}
	if (!t->tls)
		return 0;
	if (side == TRANSPORT_CLIENT) {
		if (*t->servername || *t->cert || *t->key || *t->ocsp) {
			snprintf(err, ERRLEN, "%s: servername=, cert= and key= are server settings; the relay "
			    "side names the server with sni=", where);
			return -1;
		}
		if (!*t->sni) {
			snprintf(err, ERRLEN, "%s: tls needs sni=NAME (the name the exit's certificate carries)", where);
			return -1;
		}
		if (t->insecure && t->has_pin) {
			snprintf(err, ERRLEN, "%s: insecure turns off all checks, pin= checks the key: "
			    "choose one (pin is the safe one)", where);
			return -1;
		}
	} else {
		if (*t->sni || t->insecure || t->has_pin) {
			snprintf(err, ERRLEN, "%s: sni=, insecure and pin= are relay-side (client) settings; "
			    "the exit uses servername= or cert= and key=", where);
			return -1;
		}
		if (!*t->servername && !*t->cert) {
			snprintf(err, ERRLEN, "%s: tls needs servername=NAME (a self-signed certificate) or "
			    "cert=FILE;key=FILE", where);
			return -1;
		}
		if (!!*t->cert != !!*t->key) {
			snprintf(err, ERRLEN, "%s: cert= and key= go together", where);
			return -1;
		}
	}
	return 0;
}
