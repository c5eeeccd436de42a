#ifndef XWPF_ACL_H
#define XWPF_ACL_H

/*
 * Address lists for allow = / deny = : "10.0.0.0/8, 2001:db8::/32, 1.2.3.4".
 * IPv4-mapped IPv6 clients (::ffff:a.b.c.d on a dual-stack listener) match
 * IPv4 entries, so one list works for both kinds of listener.
 */
#include <stddef.h>
#include <sys/socket.h>

struct cidr {
	int family;                /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};

struct acl {
	struct cidr *v;
	size_t n;
};

/* Append every entry of a comma or space separated list. 0 ok, -1 + err. */
int acl_parse(struct acl *a, const char *list, char *err);
/* 1 if the address falls in any entry. */
int acl_match(const struct acl *a, const struct sockaddr *sa);
void acl_free(struct acl *a);

#endif
