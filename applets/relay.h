#ifndef XWPF_APPLET_RELAY_H
#define XWPF_APPLET_RELAY_H

#include "store.h"

/*
 * The relay over a store made in memory (the realm applet's), in the
 * foreground until SIGTERM/SIGINT: no pidfile, stats, ledger or health
 * watch, nothing written. st is validated; the relay empties and frees it.
 * origin names it in messages; workers <= 0: [global] workers, else one
 * per CPU. Returns an exit code.
 */
int relay_run_store(struct store *st, const char *origin, long workers);

#endif
