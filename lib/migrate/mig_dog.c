/*
 * xwPF's traffic tool (port-traffic-dog): its config.json, read as data.
 * Per port it holds a billing mode, a monthly quota with its reset day and
 * a bandwidth cap; they become settings of the store rule that listens on
 * that port (docs/compat.md, "xwPF's traffic tool").
 */
#include "migrate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int
mig_dog_is(const struct json_val *root)
{
	const struct json_val *p = root && root->t == JSON_OBJ ? json_get(root, "ports") : NULL;

	return p && p->t == JSON_OBJ && !json_get(root, "endpoints");
}

static const char *
str_at(const struct json_val *obj, const char *key)
{
	const struct json_val *v = obj && obj->t == JSON_OBJ ? json_get(obj, key) : NULL;

	return v && v->t == JSON_STR && v->s ? v->s : NULL;
}

/* true unless the key holds false (the tool's default is on) */
static int
on_at(const struct json_val *obj, const char *key)
{
	const struct json_val *v = obj && obj->t == JSON_OBJ ? json_get(obj, key) : NULL;

	return !(v && v->t == JSON_BOOL && !v->b);
}

/* "100GB", "2T", "500mb", "1024": digits and a binary unit, to the store's
 * size ("100G"); 0 = none ("unlimited", "0", empty); -1 = not a size. */
static int
dog_size(const char *s, char *out, size_t size)
{
	char num[24];
	size_t n = 0;
	char u;

	if (!s || !*s || strcmp(s, "unlimited") == 0 || strcmp(s, "0") == 0)
		return 0;
	while (isdigit((unsigned char)s[n]) && n < sizeof(num) - 1) {
		num[n] = s[n];
		n++;
	}
	num[n] = '\0';
	if (!n || n > 15)
		return -1;
	u = (char)toupper((unsigned char)s[n]);
	if (!u) {
		snprintf(out, size, "%s", num);
		return 1;
	}
	if (!strchr("KMGT", u) || (s[n + 1] && ((s[n + 1] != 'B' && s[n + 1] != 'b') || s[n + 2])))
		return -1;
	snprintf(out, size, "%s%c", num, u);
	return 1;
}

/* "100Mbps", "1Gbps" (megabits and gigabits a second) to "100mbit"; 0 none, -1 bad. */
static int
dog_rate(const char *s, char *out, size_t size)
{
	size_t n = 0;
	char u;

	if (!s || !*s || strcmp(s, "unlimited") == 0 || strcmp(s, "0") == 0)
		return 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	if (!n || n > 9)
		return -1;
	u = (char)tolower((unsigned char)s[n]);
	if ((u != 'm' && u != 'g' && u != 'k') || !s[n + 1] || strcasecmp(s + n + 1, "bps") != 0)
		return -1;
	snprintf(out, size, "%.*s%cbit", (int)n, s, u);
	return 1;
}

/* "443" or "100-200" */
static int
dog_ports(const char *key, char *out, size_t size)
{
	long lo, hi;
	const char *dash = strchr(key, '-');
	char a[8];

	if (dash) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - key < 7 ? dash - key : 7), key);
		if (parse_long(a, 1, 65535, &lo) < 0 || parse_long(dash + 1, 1, 65535, &hi) < 0 || hi < lo)
			return -1;
		snprintf(out, size, "%ld-%ld", lo, hi);
	} else {
		if (parse_long(key, 1, 65535, &lo) < 0)
			return -1;
		snprintf(out, size, "%ld", lo);
	}
	return 0;
}

static int
dog_port(const char *ports, const struct json_val *pc, const char *gbill, struct mig_result *m, char *err)
{
	const struct json_val *q = json_get(pc, "quota"), *bw = json_get(pc, "bandwidth_limit"), *rd;
	const char *bill = str_at(pc, "billing_mode");
	char quota[32] = "", rate[32] = "";
	int hq = 0, hr = 0;
	struct mig_rule *r;

	if (!on_at(pc, "enabled")) {
		mig_warn(m, "port %s: turned off in the traffic tool; its limits are not imported", ports);
		return 0;
	}
	if (q && on_at(q, "enabled") && (hq = dog_size(str_at(q, "monthly_limit"), quota, sizeof(quota))) < 0) {
		mig_warn(m, "port %s: quota '%s' is not a size such as 100GB; not imported", ports,
		    str_at(q, "monthly_limit"));
		hq = 0;
	}
	if (bw && !on_at(bw, "enabled"))
		bw = NULL;
	if (bw && (hr = dog_rate(str_at(bw, "rate"), rate, sizeof(rate))) < 0) {
		mig_warn(m, "port %s: bandwidth '%s' is not a rate such as 100Mbps; not imported", ports,
		    str_at(bw, "rate"));
		hr = 0;
	}
	if (!hq && !hr)
		return 0;
	if (!(r = mig_limit_new(m, ports))) {
		snprintf(err, ERRLEN, "more than 4096 ports, or out of memory");
		return -1;
	}
	if (hq) {
		/* single: the bytes the port sends (what clients receive); double: both ways */
		bill = bill ? bill : gbill;
		if (mig_set(r, "quota", quota, err) < 0 || mig_set(r, "quota_action", "stop", err) < 0 ||
		    mig_set(r, "billing", bill && strcmp(bill, "double") == 0 ? "both" : "out", err) < 0)
			return -1;
		rd = json_get(q, "reset_day");
		if (rd && rd->t == JSON_NUM && rd->num >= 1 && rd->num <= 31 &&
		    mig_setf(r, "reset_day", err, "%d", (int)rd->num) < 0)
			return -1;
	}
	if (hr && (mig_set(r, "rate_in", rate, err) < 0 || mig_set(r, "rate_out", rate, err) < 0))
		return -1;
	return 0;
}

int
mig_dog(const struct json_val *root, struct mig_result *m, char *err)
{
	const struct json_val *ports = json_get(root, "ports");
	const char *gbill = str_at(json_get(root, "global"), "billing_mode");
	char pk[16];
	size_t i;

	if (!mig_dog_is(root)) {
		snprintf(err, ERRLEN, "not the traffic tool's config.json (no \"ports\" object)");
		return -1;
	}
	for (i = 0; i < ports->n; i++) {
		if (dog_ports(ports->keys[i], pk, sizeof(pk)) < 0) {
			mig_warn(m, "ports: '%.40s' is not a port or a range; skipped", ports->keys[i]);
			continue;
		}
		if (ports->v[i]->t != JSON_OBJ) {
			mig_warn(m, "port %s: not an object; skipped", pk);
			continue;
		}
		if (dog_port(pk, ports->v[i], gbill, m, err) < 0)
			return -1;
	}
	return 0;
}
