#!/usr/bin/env python3
"""Read the relay's traffic ledger (/var/lib/xwpf/ledger, the format ledger_save writes).

  ledger.py get FILE RULE KEY...   prints each value (0 when absent), one per line
  ledger.py set FILE RULE KEY=V... rewrites keys of one rule under the ledger's lock
"""
import fcntl, os, sys

def parse(path):
    rules = {}
    try:
        text = open(path).read()
    except FileNotFoundError:
        return rules
    for line in text.split('\n'):
        w = line.split()
        if len(w) < 2 or w[0] != 'rule':
            continue
        rules[w[1]] = dict(kv.split('=', 1) for kv in w[2:])
    return rules

def main():
    cmd, path, rule = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == 'get':
        r = parse(path).get(rule, {})
        for k in sys.argv[4:]:
            print(r.get(k, '0'))
        return
    with open(path + '.lock', 'a+') as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        lines = open(path).read().split('\n')
        out = []
        for line in lines:
            w = line.split()
            if len(w) >= 2 and w[0] == 'rule' and w[1] == rule:
                kv = dict(x.split('=', 1) for x in w[2:])
                for a in sys.argv[4:]:
                    k, v = a.split('=', 1)
                    kv[k] = v
                line = 'rule ' + rule + ''.join(' %s=%s' % (k, v) for k, v in kv.items())
            out.append(line)
        tmp = path + '.tmp-test'
        open(tmp, 'w').write('\n'.join(out))
        os.rename(tmp, path)

main()
