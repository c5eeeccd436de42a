/*
 * The worker's pools for connections (conn.h): empty pipes for splice (at
 * most pipe_pool kept, pipe_max in use), copy buffers, and freed struct
 * conn, so that a connection costs no malloc and no pipe2 in the steady
 * state. Each pool belongs to one worker: no lock.
 */
#include "conn.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_BUF_POOL 16
#define CONN_FREE_POOL 256       /* freed struct conn kept per worker: no malloc per connection */

struct conn_pipe *
conn_pipe_get(struct rt_worker *w)
{
	struct conn_pipe *p = w->pipes;
	int fds[2];

	if (p) {
		w->pipes = p->next;
		w->npipes_pool--;
		w->npipes_used++;
		p->next = NULL;
		return p;
	}
	if (w->npipes_used >= rt_conf.pipe_max)
		return NULL;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return NULL;
	if (rt_conf.pipe_size > 0 && rt_conf.pipe_size != 65536)
		(void)fcntl(fds[1], F_SETPIPE_SZ, rt_conf.pipe_size);
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	p->rfd = fds[0];
	p->wfd = fds[1];
	w->npipes_used++;
	return p;
}

void
conn_pipe_put(struct rt_worker *w, struct conn_pipe *p)
{
	w->npipes_used--;
	if (p->len || w->npipes_pool >= rt_conf.pipe_pool) {   /* never reuse a pipe holding data */
		close(p->rfd);
		close(p->wfd);
		free(p);
		return;
	}
	p->next = w->pipes;
	w->pipes = p;
	w->npipes_pool++;
}

struct conn_buf { struct conn_buf *next; };

char *
conn_buf_get(struct rt_worker *w)
{
	struct conn_buf *b = w->bufs;

	if (b) {
		w->bufs = b->next;
		w->nbufs_pool--;
		return (char *)b;
	}
	return malloc(CONN_BUF);
}

void
conn_buf_put(struct rt_worker *w, char *p)
{
	struct conn_buf *b = (struct conn_buf *)(void *)p;

	if (w->nbufs_pool >= CONN_BUF_POOL) {
		free(p);
		return;
	}
	b->next = w->bufs;
	w->bufs = b;
	w->nbufs_pool++;
}

struct conn *
conn_get(struct rt_worker *w)
{
	struct conn *c = w->cfree;

	if (!c)
		return calloc(1, sizeof(*c));
	w->cfree = c->next;
	w->ncfree--;
	memset(c, 0, sizeof(*c));
	return c;
}

void
conn_put(struct rt_worker *w, struct conn *c)
{
	if (w->ncfree >= CONN_FREE_POOL) {
		free(c);
		return;
	}
	c->next = w->cfree;
	w->cfree = c;
	w->ncfree++;
}

void
conn_pools_free(struct rt_worker *w)
{
	struct conn_pipe *p;
	struct conn_buf *b;
	struct conn *c;

	while ((c = w->cfree) != NULL) {
		w->cfree = c->next;
		free(c);
	}
	w->ncfree = 0;
	while ((p = w->pipes) != NULL) {
		w->pipes = p->next;
		close(p->rfd);
		close(p->wfd);
		free(p);
	}
	w->npipes_pool = 0;
	while ((b = w->bufs) != NULL) {
		w->bufs = b->next;
		free(b);
	}
	w->nbufs_pool = 0;
}
