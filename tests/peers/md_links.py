#!/usr/bin/env python3
"""Check the relative links of Markdown files: every [text](target) that is
not a URL must name a file or folder that exists, and a #anchor must name a
heading of the target (as GitHub makes anchors from headings). Code blocks
and `code` spans are skipped. Prints FILE:LINE: what is wrong, one a line;
exits 1 if anything is, 0 otherwise.

usage: md_links.py FILE.md ..."""
import os
import re
import sys

LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)')
HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')


def lines_outside_code(text):
    fence = None
    for n, line in enumerate(text.split('\n'), 1):
        m = re.match(r'^\s*(```+|~~~+)', line)
        if m:
            mark = m.group(1)[0] * 3
            if fence is None:
                fence = mark
            elif mark == fence:
                fence = None
            continue
        if fence is None:
            yield n, line


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        out = set()
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for _, line in lines_outside_code(text):
            h = HEADING.match(line)
            if not h:
                continue
            base = slug(h.group(2))
            k = seen.get(base, 0)
            seen[base] = k + 1
            out.add(base if k == 0 else '%s-%d' % (base, k))
        cache[path] = out
    return cache[path]


def check(md):
    bad = []
    with open(md, encoding='utf-8') as f:
        text = f.read()
    here = os.path.dirname(md) or '.'
    for n, line in lines_outside_code(text):
        for m in LINK.finditer(re.sub(r'`+[^`]*`+', '', line)):
            target = m.group(1)
            if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):
                continue                       # http:, https:, mailto: ...
            path, _, frag = target.partition('#')
            full = os.path.normpath(os.path.join(here, path)) if path else md
            if not os.path.exists(full):
                bad.append('%s:%d: link to %s: no such file' % (md, n, target))
                continue
            if frag:
                if os.path.isdir(full) or not full.endswith('.md'):
                    bad.append('%s:%d: link to %s: an anchor in what is not Markdown' % (md, n, target))
                elif frag not in anchors(full):
                    bad.append('%s:%d: link to %s: no heading makes that anchor' % (md, n, target))
    return bad


def main():
    bad = []
    for md in sys.argv[1:]:
        bad += check(md)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
