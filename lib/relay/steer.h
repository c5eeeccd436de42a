#ifndef XWPF_RELAY_STEER_H
#define XWPF_RELAY_STEER_H

/*
 * CPU-local accepts: with one worker per CPU the relay may run on, worker i
 * is pinned to the i-th of those CPUs, and a classic BPF program on each
 * listener group (SO_ATTACH_REUSEPORT_CBPF) hands a new connection to the
 * group's i-th socket, the one of the worker on the CPU that received it.
 * The group's sockets must join it in worker order (rt_group_open opens
 * them so). A CPU outside the mask (one that takes interrupts but may not
 * run the relay) maps to a worker by its number modulo the workers.
 * Nothing here prints: callers log.
 */
#include <pthread.h>

#define STEER_MAX_CPUS 1024

/* The CPUs this process may run on (sched_getaffinity), ascending, into
 * cpus[max]: how many, or -1 with errno. */
int steer_cpus(int *cpus, int max);
/* Pin thread th to cpu: 0, or -1 with errno. */
int steer_pin(pthread_t th, int cpu);
/* Give thread th back every CPU in cpus[n] (undo steer_pin). */
void steer_unpin(pthread_t th, const int *cpus, int n);
/* Attach the program mapping cpus[i] to group index i (n workers) to the
 * reuseport group fd belongs to: 0, or -1 with errno. */
int steer_attach(int fd, const int *cpus, int n);

#endif
