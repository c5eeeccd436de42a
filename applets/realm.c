/*
 * realm: xwpf in realm's place. Reads realm's (2.7 to 2.9) whole command
 * line, its TOML/JSON configs (a file or a folder of them, the legacy
 * listening_ports form too) and REALM_CONF, builds a store in memory with
 * lib/migrate's realm reader and runs the relay over it in the foreground.
 * Nothing is written to the store. What realm does and this does not is
 * named on stderr at start (docs/compat.md, "Running in realm's place").
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applet.h"
#include "json.h"
#include "migrate.h"
#include "realm.h"
#include "relay.h"
#include "resolve.h"
#include "store.h"
#include "text.h"
#include "util.h"

const char realm_usage[] =
    "usage: realm [FLAGS] [OPTIONS]       (a link named realm, or xwpf realm ...)\n"
    "       realm -l LISTEN -r REMOTE [-r REMOTE ...] [FLAGS]   one endpoint\n"
    "       realm -c FILE|FOLDER [FLAGS]  realm's TOML or JSON config(s)\n"
    "       REALM_CONF='{\"endpoints\":[...]}' realm                the config in the environment\n"
    "\n"
    "realm's flags:  -u --udp   -t --ntcp   -6 --ipv6   -m --mtcp (--mptcp)   -d --daemon\n"
    "  -f --tfo  -z --splice (deprecated in realm)   -h --help   -v --version\n"
    "realm's options:  -c --config PATH   -l --listen ADDR   -r --remote ADDR   -x --through ADDR\n"
    "  -i --interface DEV   -e --listen-interface DEV   -a --listen-transport OPTS\n"
    "  -b --remote-transport OPTS   -n --nofile N   -p --pipe-page N   -j --pre-conn-hook PATH\n"
    "  --log-level L --log-output PATH   --dns-mode M --dns-min-ttl S --dns-max-ttl S\n"
    "  --dns-cache-size N --dns-protocol P --dns-servers A,B   --send-proxy BOOL\n"
    "  --send-proxy-version 1|2 --accept-proxy BOOL --accept-proxy-timeout S\n"
    "  --tcp-timeout S --udp-timeout S --tcp-keepalive S --tcp-keepalive-probe N\n"
    "xwpf's own:  --workers N (event loops)   --print-store (print the rules made, run nothing)\n"
    "  --extra-remotes ADDR,ADDR (the endpoint's extra_remotes, equal round robin; -r may be repeated too)\n"
    "\n"
    "Runs in the foreground and writes no store, pidfile, stats or ledger (a servername=\n"
    "certificate is kept in xwpf's TLS folder, as always). Settings realm has and xwpf does\n"
    "not use are named on stderr at start. 'xwpf import FILE' brings a realm config into\n"
    "the store instead. Exit codes: 0 stopped by a signal, 1 failure, 2 usage, 3 invalid\n"
    "configuration.\n";

enum { O_HELP, O_VERSION, O_DAEMON, O_UDP, O_MTCP, O_NTCP, O_IPV6, O_TFO, O_SPLICE, O_PRINT,
	O_CONFIG, O_LISTEN, O_REMOTE, O_EXTRA, O_THROUGH, O_IFACE, O_LIFACE, O_LTRANS, O_RTRANS,
	O_NOFILE, O_PIPE, O_HOOK, O_LOGLEVEL, O_LOGOUT, O_DNSMODE, O_DNSMIN, O_DNSMAX, O_DNSCACHE,
	O_DNSPROTO, O_DNSSERVERS, O_SPROXY, O_SPROXYV, O_APROXY, O_APROXYT, O_TCPT, O_UDPT, O_KA, O_KAP,
	O_WORKERS, O_N };

static const struct ropt {
	char sh;
	const char *lng, *alias;
	int value;             /* takes a value */
	const char *json;      /* "network.use_udp" etc.: where the value goes in the override */
	char type;             /* b bool flag, B bool value, n number, s string, l comma list */
} ropts[O_N] = {
	[O_HELP] = { 'h', "help", NULL, 0, NULL, 0 },
	[O_VERSION] = { 'v', "version", NULL, 0, NULL, 0 },
	[O_DAEMON] = { 'd', "daemon", NULL, 0, NULL, 0 },
	[O_UDP] = { 'u', "udp", NULL, 0, "network.use_udp", 'b' },
	[O_MTCP] = { 'm', "mtcp", "mptcp", 0, NULL, 0 },
	[O_NTCP] = { 't', "ntcp", NULL, 0, "network.no_tcp", 'b' },
	[O_IPV6] = { '6', "ipv6", NULL, 0, "network.ipv6_only", 'b' },
	[O_TFO] = { 'f', "tfo", NULL, 0, NULL, 0 },
	[O_SPLICE] = { 'z', "splice", NULL, 0, NULL, 0 },
	[O_PRINT] = { 0, "print-store", NULL, 0, NULL, 0 },
	[O_CONFIG] = { 'c', "config", NULL, 1, NULL, 0 },
	[O_LISTEN] = { 'l', "listen", NULL, 1, NULL, 0 },
	[O_REMOTE] = { 'r', "remote", NULL, 1, NULL, 0 },
	[O_EXTRA] = { 0, "extra-remotes", NULL, 1, NULL, 0 },
	[O_THROUGH] = { 'x', "through", NULL, 1, NULL, 0 },
	[O_IFACE] = { 'i', "interface", NULL, 1, NULL, 0 },
	[O_LIFACE] = { 'e', "listen-interface", NULL, 1, NULL, 0 },
	[O_LTRANS] = { 'a', "listen-transport", NULL, 1, NULL, 0 },
	[O_RTRANS] = { 'b', "remote-transport", NULL, 1, NULL, 0 },
	[O_NOFILE] = { 'n', "nofile", NULL, 1, NULL, 0 },
	[O_PIPE] = { 'p', "pipe-page", NULL, 1, NULL, 0 },
	[O_HOOK] = { 'j', "pre-conn-hook", NULL, 1, NULL, 0 },
	[O_LOGLEVEL] = { 0, "log-level", NULL, 1, "log.level", 's' },
	[O_LOGOUT] = { 0, "log-output", NULL, 1, "log.output", 's' },
	[O_DNSMODE] = { 0, "dns-mode", NULL, 1, "dns.mode", 's' },
	[O_DNSMIN] = { 0, "dns-min-ttl", NULL, 1, "dns.min_ttl", 'n' },
	[O_DNSMAX] = { 0, "dns-max-ttl", NULL, 1, "dns.max_ttl", 'n' },
	[O_DNSCACHE] = { 0, "dns-cache-size", NULL, 1, "dns.cache_size", 'n' },
	[O_DNSPROTO] = { 0, "dns-protocol", NULL, 1, "dns.protocol", 's' },
	[O_DNSSERVERS] = { 0, "dns-servers", NULL, 1, "dns.nameservers", 'l' },
	[O_SPROXY] = { 0, "send-proxy", NULL, 1, "network.send_proxy", 'B' },
	[O_SPROXYV] = { 0, "send-proxy-version", NULL, 1, "network.send_proxy_version", 'n' },
	[O_APROXY] = { 0, "accept-proxy", NULL, 1, "network.accept_proxy", 'B' },
	[O_APROXYT] = { 0, "accept-proxy-timeout", NULL, 1, "network.accept_proxy_timeout", 'n' },
	[O_TCPT] = { 0, "tcp-timeout", NULL, 1, "network.tcp_timeout", 'n' },
	[O_UDPT] = { 0, "udp-timeout", NULL, 1, "network.udp_timeout", 'n' },
	[O_KA] = { 0, "tcp-keepalive", NULL, 1, "network.tcp_keepalive", 'n' },
	[O_KAP] = { 0, "tcp-keepalive-probe", NULL, 1, "network.tcp_keepalive_probe", 'n' },
	[O_WORKERS] = { 0, "workers", NULL, 1, NULL, 0 },
};

struct ropts {
	const char *v[O_N];
	int set[O_N];
	const char *remotes[STORE_MAX_REMOTES];
	int nremotes;
	const char *extras[STORE_MAX_REMOTES];   /* --extra-remotes A,B as given */
	int nextras;
};

static const struct ropt *
find_long(const char *name, size_t len, int *idx)
{
	int i;

	for (i = 0; i < O_N; i++)
		if ((strlen(ropts[i].lng) == len && strncmp(ropts[i].lng, name, len) == 0) ||
		    (ropts[i].alias && strlen(ropts[i].alias) == len && strncmp(ropts[i].alias, name, len) == 0)) {
			*idx = i;
			return &ropts[i];
		}
	return NULL;
}

static const struct ropt *
find_short(char c, int *idx)
{
	int i;

	for (i = 0; i < O_N; i++)
		if (c && ropts[i].sh == c) {
			*idx = i;
			return &ropts[i];
		}
	return NULL;
}

static int
take(struct ropts *o, int idx, const char *val)
{
	o->set[idx] = 1;
	if (idx == O_REMOTE || idx == O_EXTRA) {
		if ((idx == O_REMOTE ? o->nremotes : o->nextras) >= STORE_MAX_REMOTES) {
			fprintf(stderr, "%s: at most %d remotes\n", applet_name, STORE_MAX_REMOTES);
			return -1;
		}
		if (idx == O_REMOTE)
			o->remotes[o->nremotes++] = val;
		else
			o->extras[o->nextras++] = val;
	}
	o->v[idx] = val;
	return 0;
}

/* clap's forms: --long VALUE, --long=VALUE, -s VALUE, -sVALUE, -s=VALUE, -abc (flags) */
static int
parse_cli(int argc, char **argv, struct ropts *o, int quiet)
{
	int i, idx = 0;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		const struct ropt *r = NULL;

		if (a[0] == '-' && a[1] == '-' && a[2]) {
			eq = strchr(a + 2, '=');
			if (!(r = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), &idx)))
				goto unknown;
			if (!r->value && eq)
				goto unknown;
			val = eq ? eq + 1 : NULL;
		} else if (a[0] == '-' && a[1]) {
			const char *p;

			for (p = a + 1; *p; p++) {
				if (!(r = find_short(*p, &idx)))
					goto unknown;
				if (r->value) {
					val = p[1] == '=' ? p + 2 : p[1] ? p + 1 : NULL;
					break;
				}
				o->set[idx] = 1;
			}
			if (!r || !r->value)
				continue;
		} else
			goto unknown;
		if (r->value && !val) {
			if (i + 1 >= argc) {
				if (!quiet)
					fprintf(stderr, "%s: %s needs a value (see --help)\n", applet_name, a);
				return -1;
			}
			val = argv[++i];
		}
		if (r->value ? take(o, idx, val) < 0 : (o->set[idx] = 1, 0))
			return -1;
	}
	return 0;
unknown:
	if (!quiet)
		fprintf(stderr, "%s: unknown argument '%s' (see --help)\n", applet_name, argv[i]);
	return -1;
}

int
realm_args(int argc, char **argv)
{
	struct ropts o;
	struct stat sb;
	int i;

	if (parse_cli(argc, argv, &o, 1) < 0)
		return 0;   /* relay's own parser says what is wrong */
	for (i = O_DAEMON; i < O_N; i++)
		if (o.set[i] && i != O_UDP && i != O_MTCP && i != O_NTCP && i != O_IPV6 && i != O_CONFIG &&
		    i != O_LISTEN && i != O_REMOTE && i != O_THROUGH && i != O_IFACE && i != O_LIFACE &&
		    i != O_LTRANS && i != O_RTRANS && i != O_WORKERS)
			return 1;
	for (i = 1; i < argc; i++)   /* realm's long names where relay has its own */
		if (!strncmp(argv[i], "--", 2) && strcmp(argv[i], "--udp") && strcmp(argv[i], "--mptcp") &&
		    strcmp(argv[i], "--workers"))
			return 1;
	if (o.v[O_CONFIG]) {
		size_t n = strlen(o.v[O_CONFIG]);
		if ((stat(o.v[O_CONFIG], &sb) == 0 && S_ISDIR(sb.st_mode)) ||
		    (n > 5 && (!strcmp(o.v[O_CONFIG] + n - 5, ".toml") || !strcmp(o.v[O_CONFIG] + n - 5, ".json"))))
			return 1;
	}
	return 0;
}

static int
is_count(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 9 && s[n] == '\0';
}

/* "network.use_udp" -> the object and key of the override, values checked */
static int
emit_value(FILE *f, const struct ropt *r, const char *v)
{
	char buf[1024], *tok, *save = NULL;
	int first = 1;

	switch (r->type) {
	case 'b':
		fputs("true", f);
		return 0;
	case 'B':
		if (strcmp(v, "true") && strcmp(v, "false"))
			break;
		fputs(v, f);
		return 0;
	case 'n':
		if (!is_count(v))
			break;
		fputs(v, f);
		return 0;
	case 'l':
		if (str_copy(buf, sizeof(buf), v) < 0)
			break;
		fputc('[', f);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first = 0) {
			fputs(first ? "" : ",", f);
			json_str(f, str_trim(tok));
		}
		fputc(']', f);
		return 0;
	default:
		json_str(f, v);
		return 0;
	}
	fprintf(stderr, "%s: --%s takes %s, not '%s'\n", applet_name, r->lng,
	    r->type == 'B' ? "true or false" : "a whole number", v);
	return -1;
}

/* The command line's overrides as realm's config shape: {"network":{},"log":{},"dns":{}} */
static struct json_val *
override(const struct ropts *o, char *err)
{
	static const char *const sect[] = { "network", "log", "dns" };
	char *buf = NULL;
	size_t len = 0, s;
	struct json_val *v = NULL;
	FILE *f = open_memstream(&buf, &len);
	int i, bad = 0;

	if (!f)
		return NULL;
	fputc('{', f);
	for (s = 0; s < 3; s++) {
		int first = 1;
		size_t sl = strlen(sect[s]);

		fprintf(f, "%s\"%s\":{", s ? "," : "", sect[s]);
		for (i = 0; i < O_N; i++) {
			const struct ropt *r = &ropts[i];

			if (!o->set[i] || !r->json || strncmp(r->json, sect[s], sl) != 0 || r->json[sl] != '.')
				continue;
			fprintf(f, "%s\"%s\":", first ? "" : ",", r->json + sl + 1);
			first = 0;
			bad |= emit_value(f, r, o->v[i]) < 0;
		}
		if (s == 0 && o->set[O_MTCP])
			fprintf(f, "%s\"send_mptcp\":true,\"accept_mptcp\":true", first ? "" : ",");
		fputc('}', f);
	}
	fputc('}', f);
	if (fclose(f) == 0 && !bad)
		v = json_parse(buf, len, err);
	free(buf);
	return v;
}

/* The extra remotes, each -r after the first, then each item of --extra-remotes
 * A,B: ,"extra_remotes":[...],"balance":"roundrobin: 1, 1, ..." when there are any */
static int
cli_extras(FILE *f, const struct ropts *o)
{
	char buf[1024], *tok, *save = NULL, *list = NULL;
	size_t len = 0;
	FILE *l = open_memstream(&list, &len);
	int i, n = 0, rc = 0;

	if (!l)
		return -1;
	for (i = 1; i < o->nremotes; i++, n++) {
		fputs(n ? "," : "", l);
		json_str(l, o->remotes[i]);
	}
	for (i = 0; i < o->nextras && rc == 0; i++) {
		if ((rc = str_copy(buf, sizeof(buf), o->extras[i])) < 0)
			break;
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (*str_trim(tok)) {
				fputs(n++ ? "," : "", l);
				json_str(l, str_trim(tok));
			}
	}
	if (fclose(l) != 0)
		rc = -1;
	if (rc == 0 && n > 0) {
		fprintf(f, ",\"extra_remotes\":[%s],\"balance\":\"roundrobin: 1", list);
		for (i = 0; i < n; i++)
			fputs(", 1", f);
		fputc('"', f);
	}
	free(list);
	return rc;
}

/* -l/-r as one realm endpoint (more remotes: realm's extra_remotes, balanced round robin) */
static struct json_val *
cli_endpoint(const struct ropts *o, char *err)
{
	static const struct { int idx; const char *key; } strs[] = {
		{ O_LISTEN, "listen" }, { O_THROUGH, "through" }, { O_IFACE, "interface" },
		{ O_LIFACE, "listen_interface" }, { O_LTRANS, "listen_transport" }, { O_RTRANS, "remote_transport" },
	};
	char *buf = NULL;
	size_t len = 0, i;
	struct json_val *v = NULL;
	FILE *f = open_memstream(&buf, &len);
	int bad;

	if (!f)
		return NULL;
	fputs("{\"endpoints\":[{\"remote\":", f);
	json_str(f, o->remotes[0]);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (o->v[strs[i].idx]) {
			fprintf(f, ",\"%s\":", strs[i].key);
			json_str(f, o->v[strs[i].idx]);
		}
	if ((bad = cli_extras(f, o) < 0))
		snprintf(err, ERRLEN, "--extra-remotes: a list longer than 1023 characters");
	fputs("}]}", f);
	if (fclose(f) == 0 && !bad)
		v = json_parse(buf, len, err);
	free(buf);
	return v;
}

/* realm reads a config as TOML, then as JSON */
static struct json_val *
parse_text(const char *text, size_t len, char *err)
{
	char e1[ERRLEN];
	struct json_val *v;

	if ((v = mig_toml_parse(text, len, e1)) != NULL)
		return v;
	if ((v = json_parse(text, len, err)) != NULL)
		return v;
	if (strspn(text, " \t\r\n") < len && text[strspn(text, " \t\r\n")] != '{')
		snprintf(err, ERRLEN, "%s", e1);   /* not JSON-looking: the TOML error says more */
	return NULL;
}

struct parts {
	struct json_val *v[MIG_REALM_MAX_PARTS];
	size_t n;
};

static int
read_file_part(const char *path, struct parts *p)
{
	char err[ERRLEN], e[ERRLEN + 64];
	size_t len = 0;
	char *text;

	if (p->n >= MIG_REALM_MAX_PARTS) {
		fprintf(stderr, "%s: more than %d config files\n", applet_name, MIG_REALM_MAX_PARTS);
		return -1;
	}
	if (!(text = file_read_flags(path, &len, 0)) || len > MIG_MAX_INPUT) {
		fprintf(stderr, "%s: %s: %s\n", applet_name, path, text ? "larger than 4 MiB" : errno == EINVAL ?
		    "not a regular file (give a config file, or a folder of them)" : strerror(errno));
		free(text);
		return -1;
	}
	p->v[p->n] = parse_text(text, len, err);
	free(text);
	if (!p->v[p->n]) {
		snprintf(e, sizeof(e), "%s: %s", path, err);
		text_escape_inplace(e, sizeof(e));
		fprintf(stderr, "%s: %s\n", applet_name, e);
		return -1;
	}
	p->n++;
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* every *.toml and *.json below dir (hidden names skipped, links followed, by name) */
static int
read_dir_parts(const char *dir, int depth, struct parts *p)
{
	struct dirent **ents = NULL;
	char path[4096];
	struct stat sb;
	int n, i, rc = 0;

	if (depth > 16) {
		fprintf(stderr, "%s: %s: folders nested deeper than 16 (a link loop?)\n", applet_name, dir);
		return -1;
	}
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", applet_name, dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (rc == 0 && name[0] != '.' && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path) &&
		    stat(path, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				rc = read_dir_parts(path, depth + 1, p);
			else if (S_ISREG(sb.st_mode) && (ends_with(name, ".toml") || ends_with(name, ".json")))
				rc = read_file_part(path, p);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* A listen host name: its first address, within 5 s */
static int
resolve_listen(const char *host, char *out, size_t size, void *arg)
{
	struct sockaddr_storage ss;
	char err[ERRLEN];
	struct res *r = res_new("ipv4_and_ipv6", 0, 60000, err);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), n = -1;
	int64_t end = now_ms() + 5000;

	(void)arg;
	if (r && efd >= 0 && res_subscribe(r, efd) == 0)
		while ((n = res_lookup(r, host, &ss, 1)) == 0 && now_ms() < end) {
			struct pollfd pf = { efd, POLLIN, 0 };
			uint64_t x;

			(void)poll(&pf, 1, (int)(end - now_ms()));
			(void)!read(efd, &x, sizeof(x));
		}
	if (n > 0 && !inet_ntop(ss.ss_family, ss.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
	    (void *)&((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)size))
		n = -1;
	res_free(r);
	if (efd >= 0)
		close(efd);
	return n > 0 ? 0 : -1;
}

/* The rules as store text: [global], then one [rule] each, names made unique */
static char *
store_text(const struct mig_result *m)
{
	char *buf = NULL, (*names)[STORE_NAME_MAX + 1] = calloc(m->nrules + 1, sizeof(*names));
	size_t len = 0, i, j, k;
	FILE *f = names ? open_memstream(&buf, &len) : NULL;

	if (!f) {
		free(names);
		return NULL;
	}
	if (m->global) {
		fputs("[global]\n", f);
		for (j = 0; j < m->global->nkv; j++)
			fprintf(f, "%s = %s\n", m->global->kv[j].key, m->global->kv[j].value);
	}
	for (i = 0; i < m->nrules; i++) {
		int n = 1, clash = 1;

		snprintf(names[i], sizeof(names[i]), "%s", m->rules[i].name);
		while (clash && n < 100000) {   /* realm-PORT twice (two addresses, one port): realm-PORT-2 */
			for (clash = 0, k = 0; k < i && !clash; k++)
				clash = strcmp(names[k], names[i]) == 0;
			if (clash)
				snprintf(names[i], sizeof(names[i]), "%.30s-%d", m->rules[i].name, ++n);
		}
		fprintf(f, "\n[rule %s]\n", names[i]);
		for (j = 0; j < m->rules[i].nkv; j++)
			fprintf(f, "%s = %s\n", m->rules[i].kv[j].key, m->rules[i].kv[j].value);
	}
	free(names);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* What realm's command line asks that this relay does otherwise: said, or done */
static int
cli_notes(const struct ropts *o)
{
	long v;

	if (o->set[O_DAEMON])
		fprintf(stderr, "%s: note: -d: not done: the relay stays in the foreground (install.sh makes it a "
		    "service)\n", applet_name);
	if (o->set[O_TFO])
		fprintf(stderr, "%s: note: -f: TCP Fast Open is deprecated in realm and not used\n", applet_name);
	if (o->set[O_SPLICE])
		fprintf(stderr, "%s: note: -z is deprecated in realm: plain TCP is spliced anyway\n", applet_name);
	if (o->set[O_HOOK])
		fprintf(stderr, "%s: note: -j: pre-connect hooks (realm's shared libraries) are not loaded\n", applet_name);
	if (o->set[O_NOFILE]) {
		struct rlimit rl;

		if (parse_long(o->v[O_NOFILE], 1, 1L << 30, &v) < 0) {
			fprintf(stderr, "%s: -n takes a number of descriptors, not '%s'\n", applet_name, o->v[O_NOFILE]);
			return -1;
		}
		rl.rlim_cur = rl.rlim_max = (rlim_t)v;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fprintf(stderr, "%s: note: -n %ld: not set (%s); the relay raises the limit to the hard one\n",
			    applet_name, v, strerror(errno));
	}
	if (o->set[O_PIPE]) {
		char b[32];

		if (parse_long(o->v[O_PIPE], 1, 4096, &v) < 0) {
			fprintf(stderr, "%s: -p takes a number of 4 KiB pages (1 to 4096), not '%s'\n", applet_name,
			    o->v[O_PIPE]);
			return -1;
		}
		snprintf(b, sizeof(b), "%ld", v * 4096);
		setenv("XWPF_PIPE_SIZE", b, 1);
	}
	return 0;
}

/* The config: REALM_CONF, -c FILE|FOLDER, or -l/-r. *origin names it. */
static int
load_parts(const struct ropts *o, struct parts *p, const char **origin, int *env)
{
	const char *envconf = getenv("REALM_CONF");
	char err[ERRLEN] = "";
	struct stat sb;

	if (envconf && *envconf && (p->v[0] = parse_text(envconf, strlen(envconf), err)) != NULL) {
		p->n = 1;
		*origin = "REALM_CONF";
		*env = 1;
		return 0;
	}
	if (envconf && *envconf) {
		text_escape_inplace(err, sizeof(err));
		fprintf(stderr, "%s: note: REALM_CONF does not parse (%s); the command line is used, as realm does\n",
		    applet_name, err);
	}
	if (o->v[O_CONFIG]) {
		*origin = o->v[O_CONFIG];
		if (stat(o->v[O_CONFIG], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (read_dir_parts(o->v[O_CONFIG], 0, p) < 0)
				return -1;
			if (!p->n) {
				fprintf(stderr, "%s: %s: no .toml or .json file in this folder\n", applet_name, o->v[O_CONFIG]);
				return -1;
			}
			return 0;
		}
		return read_file_part(o->v[O_CONFIG], p);
	}
	if (!o->v[O_LISTEN] || !o->nremotes) {
		fprintf(stderr, "%s: give -l LISTEN -r REMOTE, -c FILE or REALM_CONF (see --help)\n", applet_name);
		return -1;
	}
	*origin = "the command line";
	if (!(p->v[0] = cli_endpoint(o, err))) {
		fprintf(stderr, "%s: %s\n", applet_name, err);
		return -1;
	}
	p->n = 1;
	return 0;
}

static int
build_store(const struct ropts *o, const struct parts *p, int env, const char *origin, struct store *st, int print)
{
	struct mig_realm_opts opts = { 1, resolve_listen, NULL };
	struct mig_result m = { 0 };
	struct store_diags d = { 0 };
	struct json_val *over = NULL;
	char err[ERRLEN] = "", *text = NULL;
	size_t i;
	int rc = -1;

	if (!env && !(over = override(o, err))) {
		if (*err)
			fprintf(stderr, "%s: %s\n", applet_name, err);
		return -1;
	}
	if (mig_realm_parts((const struct json_val *const *)p->v, p->n, over, &opts, &m, err) < 0) {
		text_escape_inplace(err, sizeof(err));
		fprintf(stderr, "%s: %s: %s\n", applet_name, origin, err);
		goto out;
	}
	for (i = 0; i < m.nwarnings; i++)
		fprintf(stderr, "%s: note: %s\n", applet_name, m.warnings[i]);
	if (!(text = store_text(&m))) {
		fprintf(stderr, "%s: out of memory\n", applet_name);
		goto out;
	}
	if (print)
		fputs(text, stdout);
	rc = store_parse_text(text, origin, st, &d);
	for (i = 0; i < d.n; i++) {
		char msg[sizeof(d.v[i].msg)];

		snprintf(msg, sizeof(msg), "%s", d.v[i].msg);
		text_escape_inplace(msg, sizeof(msg));
		fprintf(stderr, "%s: %s: %s\n", applet_name, d.v[i].error ? "error" : "note", msg);
	}
	if (rc < 0)
		store_free(st);
out:
	store_diags_free(&d);
	free(text);
	mig_free(&m);
	json_free(over);
	return rc;
}

int
realm_main(int argc, char **argv)
{
	struct ropts o;
	struct parts p;
	struct store st;
	const char *origin = "";
	long workers = -1;
	int env = 0, rc;
	size_t i;

	if (argc > 1 && strcmp(argv[1], "convert") == 0) {
		fprintf(stderr, "%s: convert is realm's: run the legacy config as it is (-c FILE), or bring it into "
		    "the store with 'xwpf import FILE'\n", applet_name);
		return EXIT_USAGE;
	}
	if (parse_cli(argc, argv, &o, 0) < 0)
		return EXIT_USAGE;
	if (o.set[O_HELP] || (argc < 2 && !getenv("REALM_CONF"))) {
		fputs(realm_usage, o.set[O_HELP] ? stdout : stderr);
		return o.set[O_HELP] ? EXIT_OK : EXIT_USAGE;
	}
	if (o.set[O_VERSION]) {
		printf("xwpf %s (in realm's place: realm 2.7 to 2.9's command line and configs)\n", XWPF_VERSION);
		return EXIT_OK;
	}
	if (o.set[O_WORKERS] && parse_long(o.v[O_WORKERS], 1, 256, &workers) < 0) {
		fprintf(stderr, "%s: --workers takes 1 to 256, not '%s'\n", applet_name, o.v[O_WORKERS]);
		return EXIT_USAGE;
	}
	if (!getenv("REALM_CONF") && !o.v[O_CONFIG] && (!o.v[O_LISTEN] || !o.nremotes)) {
		fprintf(stderr, "%s: give -l LISTEN -r REMOTE, -c FILE or REALM_CONF (see --help)\n", applet_name);
		return EXIT_USAGE;
	}
	memset(&p, 0, sizeof(p));
	if (load_parts(&o, &p, &origin, &env) < 0)
		rc = EXIT_CONFIG;
	else {
		if (env && argc > 1)
			fprintf(stderr, "%s: note: REALM_CONF is set: realm runs it and ignores the command line; so does "
			    "this relay\n", applet_name);
		if (o.v[O_CONFIG] && o.v[O_LISTEN] && !env)
			fprintf(stderr, "%s: note: -c is given: -l, -r and the other endpoint options are not used, as in "
			    "realm\n", applet_name);
		rc = build_store(&o, &p, env, origin, &st, o.set[O_PRINT]) < 0 ? EXIT_CONFIG : EXIT_OK;
	}
	for (i = 0; i < p.n; i++)
		json_free(p.v[i]);
	if (rc != EXIT_OK || o.set[O_PRINT]) {
		if (rc == EXIT_OK)
			store_free(&st);
		return rc;
	}
	if (!env && cli_notes(&o) < 0) {
		store_free(&st);
		return EXIT_USAGE;
	}
	fprintf(stderr, "%s: %zu rule%s from %s, in the foreground; the store is not touched (--print-store "
	    "shows the rules)\n", applet_name, st.nrules, st.nrules == 1 ? "" : "s", origin);
	return relay_run_store(&st, origin, workers);
}
