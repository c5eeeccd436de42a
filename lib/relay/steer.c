#include "steer.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

/* Classic BPF as the kernel's uapi defines it (the static build has no
 * kernel headers): an instruction, a program, the opcodes used here. */
struct steer_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct steer_prog {
	unsigned short len;
	struct steer_insn *insns;
};
#define S_LD_W_ABS 0x20u        /* BPF_LD | BPF_W | BPF_ABS */
#define S_JEQ_K 0x15u           /* BPF_JMP | BPF_JEQ | BPF_K */
#define S_RET_K 0x06u           /* BPF_RET | BPF_K */
#define S_RET_A 0x16u           /* BPF_RET | BPF_A */
#define S_MOD_K 0x94u           /* BPF_ALU | BPF_MOD | BPF_K */
#define S_AD_CPU 0xfffff024u    /* SKF_AD_OFF (-0x1000) + SKF_AD_CPU (36) */
#define S_MAXINSNS 4096

int
steer_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int c, n = 0;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

int
steer_pin(pthread_t th, int cpu)
{
	cpu_set_t set;
	int rc;

	if (cpu < 0 || cpu >= CPU_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(th, sizeof(set), &set);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

void
steer_unpin(pthread_t th, const int *cpus, int n)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < n; i++)
		if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE)
			CPU_SET(cpus[i], &set);
	(void)pthread_setaffinity_np(th, sizeof(set), &set);
}

/* ld #cpu; per worker "jeq #cpu_i, ret #i"; else cpu % n */
int
steer_attach(int fd, const int *cpus, int n)
{
	struct steer_insn *f;
	struct steer_prog prog;
	int i, k = 0, rc, e;

	if (n < 1 || n > (S_MAXINSNS - 3) / 2) {
		errno = EINVAL;
		return -1;
	}
	f = calloc((size_t)(2 * n + 3), sizeof(*f));
	if (!f)
		return -1;
	f[k++] = (struct steer_insn){ S_LD_W_ABS, 0, 0, S_AD_CPU };
	for (i = 0; i < n; i++) {
		f[k++] = (struct steer_insn){ S_JEQ_K, 0, 1, (uint32_t)cpus[i] };
		f[k++] = (struct steer_insn){ S_RET_K, 0, 0, (uint32_t)i };
	}
	f[k++] = (struct steer_insn){ S_MOD_K, 0, 0, (uint32_t)n };
	f[k++] = (struct steer_insn){ S_RET_A, 0, 0, 0 };
	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)k;
	prog.insns = f;
	rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
	e = errno;
	free(f);
	errno = e;
	return rc;
}
