/*
 * linktest's report: the table on a terminal or in a file, and JSON
 * (`--json`), from what the client measured.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "linktest.h"
#include "lt.h"
#include "util.h"

/* ---- the report ---- */

static void
rtt_row(FILE *f, const char *name, const struct lt_rtt *r)
{
	if (r->received == 0) {
		fprintf(f, "  %-16s %8s %8s %8s %8s %8s  %5.1f%% (%d/%d)\n", name, "-", "-", "-", "-", "-",
		    lt_rtt_loss_pct(r), r->sent - r->received, r->sent);
		return;
	}
	fprintf(f, "  %-16s %8.3f %8.3f %8.3f %8.3f %8.3f  %5.1f%% (%d/%d)\n", name, r->min, lt_rtt_avg(r), r->max,
	    lt_rtt_stddev(r), r->max - r->min, lt_rtt_loss_pct(r), r->sent - r->received, r->sent);
}

void
linktest_print_table(const struct linktest_client *c, FILE *f)
{
	int i;

	if (c->iperf3 == 1)
		fprintf(f, "linktest to %s (a plain iperf3 server)\n", c->dst_str);
	else
		fprintf(f, "linktest to %s (this end seen as %s)\n", c->dst_str, c->seen_as);
	if (c->have_sys) {
		const struct lt_sys *l = &c->local, *r = &c->remote;
		fprintf(f, "\nsystem              %-30s %s\n", "local", "remote");
		fprintf(f, "  kernel            %-30s %s\n", l->kernel, r->kernel);
		fprintf(f, "  congestion        %-30s %s\n", l->cc, r->cc);
		fprintf(f, "  qdisc             %-30s %s\n", l->qdisc, r->qdisc);
		fprintf(f, "  device            %-30s %s\n", l->dev, r->dev);
		fprintf(f, "  tcp_rmem          %-30s %s\n", l->tcp_rmem, r->tcp_rmem);
		fprintf(f, "  tcp_wmem          %-30s %s\n", l->tcp_wmem, r->tcp_wmem);
		fprintf(f, "  rmem_max          %-30s %s\n", l->rmem_max, r->rmem_max);
		fprintf(f, "  wmem_max          %-30s %s\n", l->wmem_max, r->wmem_max);
	}
	if (c->have_lat) {
		fprintf(f, "\nlatency (ms)            min      avg      max   stddev  max-min   loss\n");
		rtt_row(f, "tcp connect", &c->conn);
		if (c->icmp_ok)
			rtt_row(f, "icmp echo", &c->icmp);
		else
			fprintf(f, "  %-16s unavailable: %s\n", "icmp echo", c->icmp_err);
		if (c->iperf3 != 1)
			rtt_row(f, "control echo", &c->echo);
	}
	if (c->have_route) {
		int reached = c->nhops > 0 && c->hops[c->nhops - 1].reached;
		if (*c->route_err)
			fprintf(f, "\nroute: failed: %s\n", c->route_err);
		else
			fprintf(f, "\nroute: %d hops%s\n", c->nhops, reached ? ", destination reached" :
			    ", destination not reached");
		for (i = 0; i < c->nhops; i++) {
			const struct lt_hop *h = &c->hops[i];
			if (!h->answered)
				fprintf(f, "  %2d  %-40s *\n", h->ttl, "*");
			else
				fprintf(f, "  %2d  %-40s %8.3f ms  (%d/%d)%s%s%s\n", h->ttl, h->addr, h->rtt_min, h->answered,
				    h->probes, h->reached ? "  destination" : "", h->unreachable ? "  unreachable" : "",
				    h->detour ? "  detour?" : "");
		}
	}
	if (c->ntcp) {
		fprintf(f, "\ntcp                     Mbit/s  retrans   seconds         bytes\n");
		for (i = 0; i < c->ntcp; i++) {
			const struct linktest_tcp_res *r = &c->tcp[i];
			char name[32];
			snprintf(name, sizeof(name), "%s %d stream%s", r->up ? "upload" : "download", r->streams,
			    r->streams > 1 ? "s" : "");
			if (!r->ok)
				fprintf(f, "  %-20s failed: %s\n", name, r->err);
			else
				fprintf(f, "  %-20s %8.1f %8llu %9.2f %13llu\n", name, r->mbps,
				    (unsigned long long)r->retrans, r->secs, (unsigned long long)r->bytes);
		}
	}
	if (c->nudp) {
		fprintf(f, "\nudp                       rate   Mbit/s    loss    lost/sent  jitter ms  reordered\n");
		for (i = 0; i < c->nudp; i++) {
			const struct linktest_udp_res *r = &c->udpr[i];
			if (!r->ok)
				fprintf(f, "  %-20s failed: %s\n", r->up ? "upload" : "download", r->err);
			else
				fprintf(f, "  %-20s %8.1f %8.1f %6.2f%% %6llu/%-6llu %9.3f %10llu\n",
				    r->up ? "upload" : "download", r->rate_mbps, r->mbps, r->loss_pct,
				    (unsigned long long)(r->sent > r->received ? r->sent - r->received : 0),
				    (unsigned long long)r->sent, r->jitter_ms, (unsigned long long)r->ooo);
		}
	}
}

static void
jnum(FILE *f, int *first, const char *k, double v)
{
	if (!*first)
		fputc(',', f);
	*first = 0;
	json_str(f, k);
	fprintf(f, ":%.3f", v);
}

static void
json_rtt(FILE *f, int *first, const char *name, const struct lt_rtt *r)
{
	int g = 1;

	if (!*first)
		fputc(',', f);
	*first = 0;
	json_str(f, name);
	fputs(":{", f);
	json_kv_num(f, &g, "sent", r->sent);
	json_kv_num(f, &g, "received", r->received);
	jnum(f, &g, "loss_pct", lt_rtt_loss_pct(r));
	if (r->received) {
		jnum(f, &g, "min_ms", r->min);
		jnum(f, &g, "avg_ms", lt_rtt_avg(r));
		jnum(f, &g, "max_ms", r->max);
		jnum(f, &g, "stddev_ms", lt_rtt_stddev(r));
		jnum(f, &g, "range_ms", r->max - r->min);
	}
	fputc('}', f);
}

static void
json_sys(FILE *f, const char *name, const struct lt_sys *s, int first)
{
	int g = 1;

	if (!first)
		fputc(',', f);
	json_str(f, name);
	fputs(":{", f);
	json_kv_str(f, &g, "kernel", s->kernel);
	json_kv_str(f, &g, "congestion_control", s->cc);
	json_kv_str(f, &g, "qdisc", s->qdisc);
	json_kv_str(f, &g, "device", s->dev);
	json_kv_str(f, &g, "tcp_rmem", s->tcp_rmem);
	json_kv_str(f, &g, "tcp_wmem", s->tcp_wmem);
	json_kv_str(f, &g, "rmem_max", s->rmem_max);
	json_kv_str(f, &g, "wmem_max", s->wmem_max);
	fputc('}', f);
}

/* One TCP or UDP result in the JSON list: opened with its direction, closed
 * with the error when it failed. */
static void
json_res_begin(FILE *f, int i, int *k, int up)
{
	fputs(i ? ",{" : "{", f);
	*k = 1;
	json_kv_str(f, k, "direction", up ? "upload" : "download");
}

static void
json_res_end(FILE *f, int *k, int ok, const char *err)
{
	if (!ok)
		json_kv_str(f, k, "error", err);
	fputc('}', f);
}

void
linktest_print_json(const struct linktest_client *c, FILE *f)
{
	int first = 1, i, g;

	fputc('{', f);
	json_kv_num(f, &first, "version", LT_PROTO);
	json_kv_str(f, &first, "target", c->dst_str);
	json_kv_str(f, &first, "seen_as", c->seen_as);
	json_kv_str(f, &first, "server", c->iperf3 == 1 ? "iperf3" : "xwpf");
	json_kv_bool(f, &first, "ok", !c->failed);
	json_kv_num(f, &first, "phase_ms", c->time_ms);
	if (c->have_sys) {
		fputs(",\"system\":{", f);
		json_sys(f, "local", &c->local, 1);
		json_sys(f, "remote", &c->remote, 0);
		fputc('}', f);
	}
	if (c->have_lat) {
		g = 1;
		fputs(",\"latency\":{", f);
		json_rtt(f, &g, "tcp_connect", &c->conn);
		if (c->icmp_ok)
			json_rtt(f, &g, "icmp", &c->icmp);
		else {
			fputs(",\"icmp\":{", f);
			int h = 1;
			json_kv_bool(f, &h, "available", 0);
			json_kv_str(f, &h, "error", c->icmp_err);
			fputc('}', f);
		}
		json_rtt(f, &g, "control_echo", &c->echo);
		fputc('}', f);
	}
	if (c->have_route) {
		g = 1;
		fputs(",\"route\":{", f);
		json_kv_num(f, &g, "hops", c->nhops);
		json_kv_bool(f, &g, "reached", c->nhops > 0 && c->hops[c->nhops - 1].reached);
		json_kv_str(f, &g, "error", c->route_err);
		fputs(",\"list\":[", f);
		for (i = 0; i < c->nhops; i++) {
			const struct lt_hop *h = &c->hops[i];
			int k = 1;
			fputs(i ? ",{" : "{", f);
			json_kv_num(f, &k, "ttl", h->ttl);
			json_kv_str(f, &k, "address", h->addr);
			json_kv_num(f, &k, "probes", h->probes);
			json_kv_num(f, &k, "answered", h->answered);
			if (h->answered) {
				jnum(f, &k, "rtt_ms", h->rtt_min);
				jnum(f, &k, "rtt_avg_ms", h->rtt_avg);
			}
			json_kv_bool(f, &k, "destination", h->reached);
			json_kv_bool(f, &k, "unreachable", h->unreachable);
			json_kv_bool(f, &k, "detour", h->detour);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs(",\"tcp\":[", f);
	for (i = 0; i < c->ntcp; i++) {
		const struct linktest_tcp_res *r = &c->tcp[i];
		int k;
		json_res_begin(f, i, &k, r->up);
		json_kv_num(f, &k, "streams", r->streams);
		json_kv_bool(f, &k, "ok", r->ok);
		if (r->ok) {
			jnum(f, &k, "mbps", r->mbps);
			jnum(f, &k, "mbps_all", r->mbps_all);
			json_kv_num(f, &k, "bytes", (long long)r->bytes);
			jnum(f, &k, "seconds", r->secs);
			json_kv_num(f, &k, "retransmits", (long long)r->retrans);
		}
		json_res_end(f, &k, r->ok, r->err);
	}
	fputs("],\"udp\":[", f);
	for (i = 0; i < c->nudp; i++) {
		const struct linktest_udp_res *r = &c->udpr[i];
		int k;
		json_res_begin(f, i, &k, r->up);
		json_kv_bool(f, &k, "ok", r->ok);
		if (r->ok) {
			jnum(f, &k, "rate_mbps", r->rate_mbps);
			jnum(f, &k, "mbps", r->mbps);
			json_kv_num(f, &k, "sent", (long long)r->sent);
			json_kv_num(f, &k, "received", (long long)r->received);
			json_kv_num(f, &k, "lost", (long long)(r->sent > r->received ? r->sent - r->received : 0));
			jnum(f, &k, "loss_pct", r->loss_pct);
			jnum(f, &k, "jitter_ms", r->jitter_ms);
			json_kv_num(f, &k, "reordered", (long long)r->ooo);
			json_kv_num(f, &k, "bytes", (long long)r->bytes);
			jnum(f, &k, "seconds", r->secs);
		}
		json_res_end(f, &k, r->ok, r->err);
	}
	fputs("]}\n", f);
}

/* ---- command line ---- */
