#!/usr/bin/env python3
"""lt_tunfwd.py: a tiny link emulator for the linktest scenarios (tc netem is
missing on the test machines).

Opens two TUN devices (IFF_TUN | IFF_NO_PI) and copies every IP packet read
from one into the other, after DELAY ms and dropping LOSS of them at random
with a fixed seed. The test moves each device into its own network namespace
after READY_FILE appears, so the two namespaces talk only through us:

    ns A: ltA 10.9.0.1 peer 10.9.0.2  <-- this process -->  ns B: ltB 10.9.0.2 peer 10.9.0.1

usage: lt_tunfwd.py [--delay-ms 20] [--loss 0.05] [--seed 7] [--seconds 120]
                    --ready FILE NAME_A NAME_B
Runs at most --seconds (bounded), then exits; SIGTERM ends it at once.
"""
import argparse
import collections
import fcntl
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--ready", required=True)
    ap.add_argument("a")
    ap.add_argument("b")
    o = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:   # an emulator that waits for the scheduler adds its own delay: run real-time
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (AttributeError, OSError):
        pass
    fa, fb = open_tun(o.a), open_tun(o.b)
    other = {fa: fb, fb: fa}
    queue = {fa: collections.deque(), fb: collections.deque()}   # packets read from key, due to other
    rng = random.Random(o.seed)
    delay = o.delay_ms / 1000.0
    stats = {"forwarded": 0, "dropped": 0}
    with open(o.ready, "w") as f:
        f.write("%d\n" % os.getpid())
    end = time.monotonic() + o.seconds
    while time.monotonic() < end:
        now = time.monotonic()
        due = [q[0][0] for q in queue.values() if q]
        timeout = max(0.0, min(due) - now) if due else 0.2
        r, _, _ = select.select([fa, fb], [], [], min(timeout, 0.2))
        now = time.monotonic()
        for fd in r:
            for _ in range(256):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                if o.loss > 0 and rng.random() < o.loss:
                    stats["dropped"] += 1
                    continue
                queue[fd].append((now + delay, pkt))
        now = time.monotonic()
        for fd, q in queue.items():
            while q and q[0][0] <= now:
                _, pkt = q.popleft()
                try:
                    os.write(other[fd], pkt)
                    stats["forwarded"] += 1
                except OSError:
                    pass   # the device is down or being moved: the packet is lost
    return 0


if __name__ == "__main__":
    sys.exit(main())
