#ifndef XWPF_MENU_H
#define XWPF_MENU_H

/*
 * The interactive menu (`xwpf menu`, `pf`), split over applets/menu*.c.
 * Shared symbols carry the menu_ prefix; everything else is static.
 *
 * menu.c       main loop, status block, service control, logs, uninstall
 * menu_io.c    prompts, colours, language, child applets and their --json output
 * menu_rule.c  rule wizards: add (relay / exit side, transports), edit,
 *              delete, enable/disable, balancing, PROXY, per-rule MPTCP
 * menu_sys.c   port owners from /proc, target connect check, free ports
 * menu_traffic.c  the traffic screen: cycle usage, quotas, display and cycle reset
 * menu_notify.c   notification targets; a rule's quota, limits, expiry, lists
 *
 * The menu never writes the store itself: every change goes through a
 * child `xwpf rule ...`, built whole in memory first, so end of input or
 * Ctrl-C at any prompt leaves the store as it was.
 */
#include <stddef.h>

#include "json.h"
#include "store.h"

int menu_main(int argc, char **argv);
extern const char menu_usage[];

/* ---- language and colours (menu_io.c) ---- */
extern int menu_zh;
/* [global] lang: "zh", "en", else (NULL, "auto") from LC_ALL / LANG */
void menu_lang_apply(const char *lang);
#define TR(en, zh) (menu_zh ? (zh) : (en))
/* after a label: Chinese text takes the full-width colon, which carries its own space */
#define MENU_COLON TR(": ", "\xef\xbc\x9a")
enum menu_colour { C_RESET, C_BOLD, C_DIM, C_RED, C_GREEN, C_YELLOW, C_CYAN };
const char *menu_c(enum menu_colour c);   /* "" when not on a terminal */
void menu_io_init(void);

/* ---- input (menu_io.c): end of input or Ctrl-C leaves the menu cleanly ---- */
#define MENU_BACK (-1)
/* One trimmed line; Enter takes def (may be NULL). MENU_BACK when "0" typed and back_ok. */
int menu_ask(const char *prompt, const char *def, int back_ok, char *buf, size_t size);
/* A number in lo..hi (0 = back when lo is 0); def < lo means no default. */
int menu_choice(const char *prompt, int lo, int hi, int def);
int menu_yes(const char *prompt, int def);
void menu_pause(void);
void menu_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void menu_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void menu_title(const char *title);
__attribute__((noreturn)) void menu_quit(int code);

/* ---- child applets (menu_io.c) ---- */
int menu_has_applet(const char *name);
/* Run "xwpf ARGV..." with the terminal; returns its exit code (-1 if it could not run). */
int menu_run(const char *const *argv);
/* Same, stdout captured (malloc'd, NUL-terminated, in *out); stderr dropped when quiet. */
int menu_capture(const char *const *argv, int quiet, char **out);
/* Run an outside command (execvp), terminal attached. */
int menu_exec(const char *const *argv);
int menu_have_cmd(const char *cmd);

/* ---- the store as last read (menu.c); freed at exit ---- */
extern struct store menu_st;
int menu_store_load(void);     /* 0 ok; -1 printed */
/* The store's rules, a numbered line each: 0; -1 when it cannot be read or
 * holds none (then none is said). */
int menu_list_rules(const char *none);
const struct store_rule *menu_pick_rule(const char *prompt);   /* NULL = back */
void menu_rule_line(const struct store_rule *r, size_t idx, char *buf, size_t size);
void menu_after_change(void);  /* reload the running relay */
int menu_relay_pid(void);      /* 0 when not running */

/* ---- the child applets' --json output (menu_io.c) ---- */
/* lib/base's JSON reader over NUL-terminated text; NULL when it is not JSON. */
struct json_val *menu_json_parse(const char *text);

/* ---- the system (menu_sys.c) ---- */
/* Who listens on a port in lo..hi for proto (PROTO_TCP/PROTO_UDP) and host ("" = any):
 * 1 with the port in *port and "tcp ADDR:PORT held by comm (pid N)" in who; 0 if free. */
int menu_port_owner(int lo, int hi, unsigned proto, const char *host, int *port, char *who, size_t size);
/* A port no socket holds for proto and for which taken (may be NULL) says
 * 0: below the kernel's ephemeral range (ip_local_port_range) when that
 * leaves room, so the relay's own outgoing connections never hold it when
 * it restarts. From a random port on, every port once; 0 when all are taken. */
int menu_random_port(unsigned proto, int (*taken)(int port, unsigned proto));
/* Bounded TCP connect to host:port: 0 answered, -1 with the reason in why. */
int menu_probe(const char *host, int port, int timeout_ms, char *why, size_t size);

/* ---- wizards (menu_rule.c) ---- */
void menu_rules(void);
void menu_add_rule(void);
void menu_balance(void);
/* The rules listed, then one or more picked ("1,3", names too): their names
 * into names (at most max), how many; MENU_BACK. */
int menu_ask_rules(const char *prompt, char names[][STORE_NAME_MAX + 1], int max);

/* ---- PROXY and MPTCP of rules (menu_ruleopts.c) ---- */
void menu_proxy(void);
void menu_rule_mptcp(void);

/* ---- traffic (menu_traffic.c) and notifications (menu_notify.c) ---- */
void menu_traffic(void);
void menu_notify(void);
void menu_rule_limits(const char *name);

/* Listen ports as a list, as xwPF takes them: "80,443", "8000-8010,9000". */
struct menu_lports {
	int lo[64], hi[64], n, count;
	char txt[400];
};

int menu_lports_parse(const char *s, struct menu_lports *p);
/* "8080" or "10000-10100" (range_ok), or Enter for a random free port
 * (random_ok); with list, a comma list too: lo/hi are its first item,
 * list the whole (list->n = 0 for one port or range). */
int menu_ask_port(const char *prompt, const char *def, int range_ok, int random_ok, unsigned proto, int *lo, int *hi,
    struct menu_lports *list);
/* A rule of the store on one of lo..hi (addresses overlapping), other than skip. */
const struct store_rule *menu_rule_on_port(const char *host, int lo, int hi, unsigned proto, const char *skip);
/* Another program holds one of the ports: said. 1 busy, 0 free. */
int menu_port_busy(const char *host, int lo, int hi, unsigned proto);
/* Listen ports asked until no other program holds one: 0 with lp filled
 * (lp->n >= 1, lp->txt as typed back), MENU_BACK, or 1 when a rule of the
 * store other than skip holds one (said; *holder is it). unchanged: the
 * rule's own ports as text, not checked against other programs again. */
int menu_ask_listen(const char *prompt, const char *def, int random_ok, unsigned proto, const char *skip,
    const char *unchanged, struct menu_lports *lp, const struct store_rule **holder);

/* menu_zh.c: a line an applet printed (English), in Chinese when the menu
 * knows it; otherwise as it came. out always holds the line (its '\n' kept). */
int menu_zh_line(const char *in, char *out, size_t size);

#endif
