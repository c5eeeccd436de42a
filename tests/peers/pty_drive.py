#!/usr/bin/env python3
"""Drive an interactive program through a pseudo-terminal, like a person.

usage: pty_drive.py [--log FILE] [--timeout S] -- CMD [ARGS...]  < STEPS

STEPS, one per line (blank lines and lines starting with '#' ignored):
  expect REGEX     wait until the output since the last match matches REGEX
  send TEXT        type TEXT and Enter ("send" alone: just Enter)
  eof              type Ctrl-D at the start of a line (end of input)
  intr             type Ctrl-C
  exit CODE        wait for the program to end with CODE (130 for Ctrl-C)

Every wait is bounded (--timeout, default 15 s, per step). On a failed step it
prints what it waited for and the end of the output, and exits 1. The whole
transcript (escape codes kept) goes to --log.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    log_path, timeout = None, 15.0
    while args and args[0] != "--":
        if args[0] == "--log":
            log_path = args[1]
            args = args[2:]
        elif args[0] == "--timeout":
            timeout = float(args[1])
            args = args[2:]
        else:
            sys.exit("pty_drive: unknown option " + args[0])
    cmd = args[1:]
    if not cmd:
        sys.exit(__doc__)
    steps = [l.rstrip("\n") for l in sys.stdin if l.strip() and not l.lstrip().startswith("#")]

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = bytearray()
    mark = 0          # matches look after the previous match
    status = None
    log = open(log_path, "wb") if log_path else None

    def pump(limit):
        nonlocal status
        r, _, _ = select.select([fd], [], [], limit)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if data:
                out.extend(data)
                if log:
                    log.write(data)
                    log.flush()
                return True
        if status is None:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p:
                status = os.waitstatus_to_exitcode(st)
                if status < 0:
                    status = 128 - status
        return False

    def fail(what):
        while pump(0.2):
            pass
        tail = re.sub(rb"\x1b\[[0-9;]*m", b"", bytes(out))[-3000:].decode("utf-8", "replace")
        tail = re.sub(r"\x1b\[[0-9;]*m", "", tail)
        sys.stderr.write("pty_drive: %s\n--- last output ---\n%s\n---\n" % (what, tail))
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        sys.exit(1)

    for step in steps:
        verb, _, arg = step.partition(" ")
        deadline = time.monotonic() + timeout
        if verb == "expect":
            rx = re.compile(arg.encode())
            while True:
                plain = re.sub(rb"\x1b\[[0-9;]*m", b"", bytes(out[mark:]))
                m = rx.search(plain)
                if m:
                    # move the mark past the match in the raw buffer (approximately: the
                    # raw text is at least as long as the plain one)
                    consumed = len(re.sub(rb"\x1b\[[0-9;]*m", b"", bytes(out[mark:]))[:m.end()])
                    raw, n = mark, 0
                    while n < consumed and raw < len(out):
                        if out[raw] == 0x1B:
                            e = re.match(rb"\x1b\[[0-9;]*m", bytes(out[raw:raw + 16]))
                            if e:
                                raw += e.end()
                                continue
                        raw += 1
                        n += 1
                    mark = raw
                    break
                if time.monotonic() > deadline:
                    fail("timed out waiting for: " + arg)
                if not pump(0.1) and status is not None:
                    # drain what is left, then give up
                    while pump(0.05):
                        pass
                    plain = re.sub(rb"\x1b\[[0-9;]*m", b"", bytes(out[mark:]))
                    if rx.search(plain):
                        continue
                    fail("program ended (status %s) before: %s" % (status, arg))
        elif verb == "send":
            os.write(fd, arg.encode() + b"\r")
        elif verb == "eof":
            os.write(fd, b"\x04")
        elif verb == "intr":
            os.write(fd, b"\x03")
        elif verb == "exit":
            while status is None:
                if time.monotonic() > deadline:
                    fail("still running, expected exit " + arg)
                pump(0.1)
            while pump(0.05):
                pass
            if status != int(arg):
                fail("exited with %s, expected %s" % (status, arg))
        else:
            fail("unknown step: " + step)
    if log:
        log.close()
    if status is None:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
