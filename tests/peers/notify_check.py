#!/usr/bin/env python3
"""Checks on what notify_sink.py recorded (one JSON line a request).

  notify_check.py telegram LOG TOKEN CHAT TEXT...   a sendMessage to /botTOKEN with chat_id CHAT whose
                                                 texts hold every TEXT
  notify_check.py wecom LOG TEXT...               msgtype text, text.content holding every TEXT
  notify_check.py webhook LOG RULE EVENT...       the events arrays hold each EVENT for RULE with
                                                 used and quota
  notify_check.py delay LOG                       the largest gap (s) between an event's time and
                                                 its arrival (an event's time is whole seconds)
Exit 0 when it holds; the reason on stdout otherwise.
"""
import json, sys

def lines(log):
    try:
        return [json.loads(l) for l in open(log) if l.strip()]
    except FileNotFoundError:
        return []

def main():
    what, log, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    reqs = lines(log)
    if what == "telegram":
        tok, chat, want = args[0], args[1], args[2:]
        got = [r["body"] for r in reqs if r["path"] == "/bot%s/sendMessage" % tok]
        texts = "\n".join(b.get("text", "") for b in got if str(b.get("chat_id")) == chat)
    elif what == "wecom":
        want = args
        got = [r["body"] for r in reqs if "wecom" in r["path"]]
        texts = "\n".join(b["text"]["content"] for b in got if b.get("msgtype") == "text")
    elif what == "webhook":
        rule, want = args[0], args[1:]
        evs = [e for r in reqs if r["path"] == "/hook" for e in r["body"].get("events", [])]
        have = {e["event"] for e in evs if e.get("rule") == rule and "used" in e and "quota" in e}
        missing = [w for w in want if w not in have]
        print("missing %s (have %s)" % (missing, sorted(have)) if missing else "ok")
        return 1 if missing else 0
    elif what == "delay":
        d = [r["t"] - e["time"] for r in reqs if r["path"] == "/hook" for e in r["body"].get("events", [])]
        print("%.2f" % max(d) if d else "none")
        return 0
    missing = [w for w in want if w not in texts]
    print("missing %s in %r" % (missing, texts[:400]) if missing else "ok")
    return 1 if missing else 0

sys.exit(main())
