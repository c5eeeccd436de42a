#ifndef XWPF_APPLET_REALM_H
#define XWPF_APPLET_REALM_H

/* Does this relay command line use realm's options beyond what relay reads
 * itself (long options, -c with a realm config or a folder, -d, -n, ...)?
 * Then relay hands it to realm_main. */
int realm_args(int argc, char **argv);

#endif
