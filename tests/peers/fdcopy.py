#!/usr/bin/env python3
"""fdcopy.py PID PORT: does a closed connection leave the relay's epoll sets
while another process still holds copies of its sockets?

A child the relay spawns (on_event) holds a copy of every descriptor from its
clone until its exec; close() takes an fd out of epoll only with the file's
last copy. This probe takes those copies itself (pidfd_getfd, root), lets the
connection end, and counts the relay's epoll registrations that still name
one of the copied sockets. Prints 'stale N'."""
import ctypes
import os
import socket
import sys
import time

SYS_PIDFD_OPEN, SYS_PIDFD_GETFD = 434, 438
libc = ctypes.CDLL(None, use_errno=True)


def sockets(pid):
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("socket:["):
            out[int(fd)] = int(t[8:-1])
    return out


def epoll_inodes(pid):
    inos = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("tfd:"):
                        inos.append(int(line.split("ino:")[1].split()[0], 16))
        except (OSError, IndexError, ValueError):
            continue
    return inos


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    before = sockets(pid)
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"x")
    if c.recv(1) != b"x":
        print("error no echo through the relay")
        return
    new = {}
    for _ in range(50):   # the relay's half toward the server is open by now
        new = {fd: ino for fd, ino in sockets(pid).items() if fd not in before}
        if len(new) >= 2:
            break
        time.sleep(0.02)
    pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
    if pidfd < 0:
        print("error pidfd_open: errno %d" % ctypes.get_errno())
        return
    copies = []
    for fd in new:
        cfd = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
        if cfd >= 0:
            copies.append(cfd)
    if len(copies) < 2:
        print("error copied %d of the connection's sockets (%d found)" % (len(copies), len(new)))
        return
    held = {os.fstat(cfd).st_ino for cfd in copies}
    c.close()   # the server closes too; the relay closes both halves
    for _ in range(100):
        if not any(fd in sockets(pid) for fd in new):
            break
        time.sleep(0.02)
    else:
        print("error the relay kept the connection's descriptors")
        return
    print("stale %d" % sum(1 for ino in epoll_inodes(pid) if ino in held))
    for cfd in copies:
        os.close(cfd)
    os.close(pidfd)


main()
