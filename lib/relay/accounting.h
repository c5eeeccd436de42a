#ifndef XWPF_ACCT_H
#define XWPF_ACCT_H

/*
 * The relay's bookkeeping on its main thread: it feeds the
 * ledger (ledger.h) with what the workers counted, rolls billing cycles,
 * decides each rule's quota state (ok, stopped, throttled) and tells the
 * workers, and finds the events worth a program's time: quota thresholds,
 * limit hits, backends going down and up, a failover switching. Nothing
 * here blocks on the network; the ledger file is written atomically under
 * its lock (ledger_update) every ledger_interval and at exit.
 *
 * Events go to a callback (the relay runs on_event programs with lib/relay/events.h):
 *   backend_down backend_up   a health check changed a backend's state
 *   failover                  the backend a failover rule uses changed
 *   quota_80 quota_95 quota_100   thresholds of the cycle's quota
 *   quota_stop quota_throttle quota_resume   what the quota did to the rule
 *   limit                     connections refused by a limit (at most one a minute per rule and reason)
 *   cert_expiry               a cert= certificate ends within 14 days (at most one a day per rule)
 *   expire_soon expired       the rule's expire = date is 7 days away, has passed
 */
#include <stdint.h>

struct rt;
struct rt_rule;
struct hc_state;

typedef void acct_event_fn(void *arg, const struct rt_rule *r, const char *event, const char *backend,
    const char *detail);

/* Add what was counted since the last flush to the ledger at path, roll
 * cycles, check quotas, apply quota states (the workers close what a
 * stopped rule no longer allows). now is epoch seconds. 0, or -1 with err
 * (the counts stay pending and go with the next flush). */
int acct_flush(struct rt *rt, const char *path, int64_t now, acct_event_fn *fire, void *arg, char *err);

/* Limit hits since the last call, as events (rate-limited). */
void acct_limit_events(struct rt *rt, int64_t now_ms, acct_event_fn *fire, void *arg);

/* Backends whose health changed between old and new (either may be NULL:
 * no events without a previous state), and failover rules whose first
 * healthy backend changed. */
void acct_health_events(struct rt *rt, const struct hc_state *old, const struct hc_state *new,
    acct_event_fn *fire, void *arg);

/* Rules whose cert= certificate ends within TUN_CERT_WARN_DAYS: a
 * cert_expiry event (at most one a day per rule). now is epoch seconds. */
void acct_cert_events(struct rt *rt, int64_t now, acct_event_fn *fire, void *arg);

/* Rules past their expire (the end of that day, local time) stop as a
 * quota stop does: existing connections closed, new clients reset
 * (quota_state LIM_Q_EXPIRED, event expired); one renewed by a reload
 * forwards again. ACCT_EXPIRE_SOON before, an expire_soon event (once per
 * expire date and run). now is epoch seconds; call it every second. */
#define ACCT_EXPIRE_SOON (7 * 86400)
void acct_expiry_events(struct rt *rt, int64_t now, acct_event_fn *fire, void *arg);

#endif
