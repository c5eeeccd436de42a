/*
 * `xwpf mptcp status [--json]`: the kernel's MPTCP support and settings, the
 * path manager's endpoints and limits, connections, the interfaces, and what
 * the store and the boot-time sysctl file keep.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "applet.h"
#include "json.h"
#include "mptcp_cli.h"
#include "mptcp_kernel.h"
#include "paths.h"
#include "store.h"
#include "util.h"

static const char *const status_sysctls[] = {
	"net.mptcp.enabled", "net.mptcp.pm_type", "net.mptcp.path_manager", "net.mptcp.checksum_enabled",
	"net.mptcp.allow_join_initial_addr_port", "net.mptcp.scheduler",
	"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter",
};

/* Cumulative counters worth showing: the name and what it means. */
static const struct {
	const char *name, *what;
} counters[] = {
	{ "MPCapableACKRX", "MPTCP connections accepted" },
	{ "MPCapableSYNACKRX", "MPTCP connections opened" },
	{ "MPCapableFallbackACK", "accepted connections that fell back to TCP" },
	{ "MPCapableFallbackSYNACK", "opened connections that fell back to TCP" },
	{ "MPJoinAckRx", "extra subflows accepted" },
	{ "MPJoinSynAckRx", "extra subflows opened" },
	{ "AddAddr", "addresses announced by peers" },
};

/* ---- status ---- */

static int
prefix_len(const struct sockaddr *m)
{
	const unsigned char *p;
	int i, n = 0, len;

	if (!m)
		return -1;
	if (m->sa_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)(const void *)m)->sin_addr;
		len = 4;
	} else if (m->sa_family == AF_INET6) {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)m)->sin6_addr;
		len = 16;
	} else
		return -1;
	for (i = 0; i < len; i++)
		n += __builtin_popcount(p[i]);
	return n;
}

struct nic {
	char name[IF_NAMESIZE];
	int up;
	char addrs[8][INET6_ADDRSTRLEN + 5];
	int naddrs;
};

static size_t
list_nics(struct nic *v, size_t max)
{
	struct ifaddrs *ifs = NULL, *a;
	size_t n = 0, i;

	if (getifaddrs(&ifs) < 0)
		return 0;
	for (a = ifs; a; a = a->ifa_next) {
		char name[IF_NAMESIZE], *colon;
		struct nic *c = NULL;

		snprintf(name, sizeof(name), "%s", a->ifa_name);
		if ((colon = strchr(name, ':')) != NULL)
			*colon = '\0';
		for (i = 0; i < n; i++)
			if (strcmp(v[i].name, name) == 0)
				c = &v[i];
		if (!c) {
			if (n == max)
				continue;
			c = &v[n++];
			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "%s", name);
		}
		c->up |= (a->ifa_flags & IFF_UP) != 0;
		if (a->ifa_addr && (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6) &&
		    c->naddrs < (int)ARRAY_SIZE(c->addrs)) {
			char t[INET6_ADDRSTRLEN];
			const void *p = a->ifa_addr->sa_family == AF_INET ?
			    (const void *)&((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr :
			    (const void *)&((const struct sockaddr_in6 *)(const void *)a->ifa_addr)->sin6_addr;

			inet_ntop(a->ifa_addr->sa_family, p, t, sizeof(t));
			snprintf(c->addrs[c->naddrs++], sizeof(c->addrs[0]), "%s/%d", t, prefix_len(a->ifa_netmask));
		}
	}
	freeifaddrs(ifs);
	return n;
}

const char *
mptcp_cli_path_manager(char *buf, size_t size)
{
	char v[64];

	if (mptcp_sysctl_get("net.mptcp.path_manager", buf, size) == 0)
		return buf;
	if (mptcp_sysctl_get("net.mptcp.pm_type", v, sizeof(v)) == 0) {
		snprintf(buf, size, "%s", strcmp(v, "0") == 0 ? "kernel" : strcmp(v, "1") == 0 ? "userspace" : v);
		return buf;
	}
	return NULL;
}

static void
json_null_or_num(FILE *f, int *first, const char *key, long v)
{
	if (v >= 0)
		json_kv_num(f, first, key, v);
	else {
		if (!*first)
			fputc(',', f);
		*first = 0;
		json_str(f, key);
		fputs(":null", f);
	}
}

void
mptcp_cli_json_endpoint(FILE *f, const struct mptcp_endpoint *e)
{
	static const unsigned order[] = { MPTCP_F_SUBFLOW, MPTCP_F_SIGNAL, MPTCP_F_BACKUP, MPTCP_F_FULLMESH,
	    MPTCP_F_IMPLICIT, MPTCP_F_LAMINAR };
	char fl[24], line[300];
	int first = 1;
	size_t k, nf = 0;

	fputc('{', f);
	json_kv_num(f, &first, "id", e->id);
	json_kv_str(f, &first, "address", e->addr_text);
	json_kv_num(f, &first, "port", e->port);
	json_kv_str(f, &first, "interface", e->dev);
	fputs(",\"flags\":[", f);
	for (k = 0; k < ARRAY_SIZE(order); k++)
		if (e->flags & order[k]) {
			if (nf++)
				fputc(',', f);
			json_str(f, mptcp_flags_text(order[k], fl, sizeof(fl)));
		}
	fputc(']', f);
	json_kv_str(f, &first, "show", mptcp_endpoint_show(e, line, sizeof(line)));
	fputc('}', f);
}

struct status {
	struct utsname uts;
	int supported;
	uint32_t pm_version;
	char pm_err[ERRLEN];
	long subflows, add_addr_accepted;
	struct mptcp_endpoint *eps;
	size_t neps;
	char ep_err[ERRLEN];
	struct mptcp_conns conns;
	int have_conns;
	char conn_err[ERRLEN];
	struct nic nics[64];
	size_t nnics;
	struct store st;
	int store_ok;
	char sysctl_file[512];
	int persisted;
};

static void
gather(struct status *s)
{
	struct mptcp_pm pm;
	struct store_diags d = { 0 };
	char err[ERRLEN];

	memset(s, 0, sizeof(*s));
	s->subflows = s->add_addr_accepted = -1;
	if (uname(&s->uts) < 0)
		snprintf(s->uts.release, sizeof(s->uts.release), "unknown");
	if (mptcp_pm_open(&pm, s->pm_err) == 0) {
		s->supported = 1;
		s->pm_version = pm.version;
		if (mptcp_pm_limits_get(&pm, &s->subflows, &s->add_addr_accepted, err) < 0)
			snprintf(s->pm_err, sizeof(s->pm_err), "%s", err);
		if (mptcp_pm_list(&pm, &s->eps, &s->neps, s->ep_err) < 0)
			s->neps = 0;
		mptcp_pm_close(&pm);
	}
	s->have_conns = mptcp_conn_count(&s->conns, s->conn_err) == 0;
	s->nnics = list_nics(s->nics, ARRAY_SIZE(s->nics));
	s->store_ok = store_load(path_get(PATH_CONF), &s->st, &d) == 0;
	store_diags_free(&d);
	path_rooted(MPTCP_SYSCTL_FILE, s->sysctl_file, sizeof(s->sysctl_file));
	{
		size_t len;
		char *text = file_read(s->sysctl_file, &len);

		s->persisted = text && strstr(text, "net.mptcp.enabled = 1") ? 1 : text ? -1 : 0;
		free(text);
	}
}

static void
status_json(struct status *s)
{
	FILE *f = stdout;
	char buf[128];
	int first = 1, f2;
	size_t i;
	int k;

	fputc('{', f);
	json_kv_str(f, &first, "kernel", s->uts.release);
	json_kv_bool(f, &first, "supported", s->supported);
	json_kv_num(f, &first, "pm_family_version", s->pm_version);
	if (mptcp_sysctl_get("net.mptcp.enabled", buf, sizeof(buf)) == 0)
		json_kv_bool(f, &first, "enabled", strcmp(buf, "0") != 0);
	else
		fputs(",\"enabled\":null", f);
	if (mptcp_cli_path_manager(buf, sizeof(buf)))
		json_kv_str(f, &first, "path_manager", buf);
	else
		fputs(",\"path_manager\":null", f);
	fputs(",\"sysctl\":{", f);
	f2 = 1;
	for (i = 0; i < ARRAY_SIZE(status_sysctls); i++)
		if (mptcp_sysctl_get(status_sysctls[i], buf, sizeof(buf)) == 0)
			json_kv_str(f, &f2, status_sysctls[i], buf);
	fputc('}', f);
	fputs(",\"limits\":{", f);
	f2 = 1;
	json_null_or_num(f, &f2, "subflows", s->subflows);
	json_null_or_num(f, &f2, "add_addr_accepted", s->add_addr_accepted);
	fputc('}', f);
	fputs(",\"endpoints\":[", f);
	for (i = 0; i < s->neps; i++) {
		if (i)
			fputc(',', f);
		mptcp_cli_json_endpoint(f, &s->eps[i]);
	}
	fputs("],\"interfaces\":[", f);
	for (i = 0; i < s->nnics; i++) {
		f2 = 1;
		fputs(i ? ",{" : "{", f);
		json_kv_str(f, &f2, "name", s->nics[i].name);
		json_kv_bool(f, &f2, "up", s->nics[i].up);
		fputs(",\"addresses\":[", f);
		for (k = 0; k < s->nics[i].naddrs; k++) {
			if (k)
				fputc(',', f);
			json_str(f, s->nics[i].addrs[k]);
		}
		fputs("]}", f);
	}
	fputc(']', f);
	if (s->have_conns) {
		fputs(",\"connections\":{", f);
		f2 = 1;
		json_kv_num(f, &f2, "established", s->conns.established);
		json_kv_num(f, &f2, "subflows", s->conns.subflows);
		json_kv_num(f, &f2, "opening_or_closing", s->conns.other);
		json_kv_num(f, &f2, "listening", s->conns.listening);
		fputc('}', f);
	} else
		fputs(",\"connections\":null", f);
	fputs(",\"since_boot\":{", f);
	f2 = 1;
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		long long v = mptcp_netstat(counters[i].name);
		if (v >= 0)
			json_kv_num(f, &f2, counters[i].name, v);
	}
	fputc('}', f);
	fputs(",\"persisted\":{", f);
	f2 = 1;
	json_kv_str(f, &f2, "file", s->sysctl_file);
	json_kv_str(f, &f2, "state", s->persisted > 0 ? "enabled" : s->persisted < 0 ? "disabled" : "absent");
	fputc('}', f);
	fputs(",\"store\":", f);
	if (s->store_ok) {
		const struct store_mptcp *m = &s->st.mptcp;
		f2 = 1;
		fputc('{', f);
		if (m->enabled >= 0)
			json_kv_bool(f, &f2, "enabled", m->enabled);
		else
			json_null_or_num(f, &f2, "enabled", -1);
		json_null_or_num(f, &f2, "subflows", m->subflows);
		json_null_or_num(f, &f2, "add_addr_accepted", m->add_addr_accepted);
		fputs(",\"endpoints\":[", f);
		for (i = 0; i < m->nendpoints; i++) {
			if (i)
				fputc(',', f);
			json_str(f, m->endpoints[i]);
		}
		fputs("]}", f);
	} else
		fputs("null", f);
	fputs(",\"errors\":[", f);
	f2 = 1;
	if (!s->supported || *s->pm_err) {
		json_str(f, s->pm_err);
		f2 = 0;
	}
	if (*s->ep_err) {
		if (!f2)
			fputc(',', f);
		json_str(f, s->ep_err);
		f2 = 0;
	}
	if (!s->have_conns) {
		if (!f2)
			fputc(',', f);
		json_str(f, s->conn_err);
	}
	fputs("]}\n", f);
}

static void
status_text(struct status *s)
{
	char buf[128], line[300];
	size_t i;
	int k;

	printf("MPTCP\n");
	printf("  kernel           %s: %s\n", s->uts.release, s->supported ? "MPTCP supported" : "no MPTCP");
	if (!s->supported)
		printf("                   %s\n", s->pm_err);
	if (mptcp_sysctl_get("net.mptcp.enabled", buf, sizeof(buf)) == 0)
		printf("  enabled          %s (net.mptcp.enabled = %s)%s%s\n", strcmp(buf, "0") ? "yes" : "no", buf,
		    strcmp(buf, "0") ? "" : "  turn on: ", strcmp(buf, "0") ? "" : XCMD("mptcp enable"));
	else
		printf("  enabled          unknown (no net.mptcp.enabled sysctl)\n");
	printf("  path manager     %s\n", mptcp_cli_path_manager(buf, sizeof(buf)) ? buf : "unknown");
	if (s->subflows >= 0)
		printf("  limits           subflows %ld, add_addr_accepted %ld\n", s->subflows, s->add_addr_accepted);
	{
		char a[16] = "?", d[16] = "?";
		mptcp_sysctl_get("net.ipv4.conf.all.rp_filter", a, sizeof(a));
		mptcp_sysctl_get("net.ipv4.conf.default.rp_filter", d, sizeof(d));
		printf("  rp_filter        all %s, default %s%s\n", a, d,
		    strcmp(a, "1") == 0 || strcmp(d, "1") == 0 ? "  (strict: subflows over other NICs may be dropped)" : "");
	}
	printf("  at boot          %s\n", s->persisted > 0 ? s->sysctl_file : s->persisted < 0 ?
	    "disabled by xwpf mptcp disable" : "not persisted (xwpf mptcp enable writes " MPTCP_SYSCTL_FILE ")");
	printf("\nendpoints (%zu)\n", s->neps);
	if (*s->ep_err)
		printf("  %s\n", s->ep_err);
	else if (s->neps == 0)
		printf("  none: add one with %s\n", XCMD("mptcp endpoint add ADDR dev IF subflow"));
	for (i = 0; i < s->neps; i++)
		printf("  %s\n", mptcp_endpoint_show(&s->eps[i], line, sizeof(line)));
	if (s->store_ok && s->st.mptcp.nendpoints) {
		printf("  saved in the store for boot:\n");
		for (i = 0; i < s->st.mptcp.nendpoints; i++)
			printf("    %s\n", s->st.mptcp.endpoints[i]);
	}
	printf("\nNICs\n");
	for (i = 0; i < s->nnics; i++) {
		printf("  %-12s %-4s", s->nics[i].name, s->nics[i].up ? "up" : "down");
		for (k = 0; k < s->nics[i].naddrs; k++)
			printf("%s%s", k ? ", " : " ", s->nics[i].addrs[k]);
		printf("\n");
	}
	printf("\nconnections\n");
	if (s->have_conns)
		printf("  %ld established MPTCP connections over %ld subflows, %ld opening or closing, %ld listeners\n",
		    s->conns.established, s->conns.subflows, s->conns.other, s->conns.listening);
	else
		printf("  %s\n", s->conn_err);
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		long long v = mptcp_netstat(counters[i].name);
		if (v >= 0)
			printf("  %-24s %10lld  %s since boot\n", counters[i].name, v, counters[i].what);
	}
}

int
mptcp_cli_status(int argc, char **argv)
{
	struct status *s;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "usage: xwpf mptcp status [--json]\n");
		return EXIT_USAGE;
	}
	if (!(s = malloc(sizeof(*s)))) {
		mptcp_cli_err("out of memory");
		return EXIT_FAIL;
	}
	gather(s);
	if (json)
		status_json(s);
	else
		status_text(s);
	free(s->eps);
	store_free(&s->st);
	free(s);
	return EXIT_OK;
}
