#!/usr/bin/env python3
"""layering.py ROOT: check the parts of lib/ against the one rule table.

The table is the fenced block in README.md's "Code layout" section whose
first line reads "part  may use": one line a part, the parts it may use
after its name ("nothing" for none, "anything" for no limit). Every
`#include "..."` of lib/*/*.[ch], applets/** and xwpf.c is resolved by name
over the folders the Makefile passes with -I (a header name used twice is
itself an error), and then:

  - an include from one part into another must be allowed by the table
    (lib/ never includes an applet header: no lib part lists applets);
  - the parts' include graph has no cycle;
  - inside one folder, modules (NAME.c + NAME.h) form no cycle of more
    than two modules;
  - every lib/PART has a README.md whose "May use:" line names exactly the
    parts the table gives it.

Each problem is printed as "not ok FILE:LINE: rule broken: what"; each
check that holds as "ok ...". Exit 1 when anything is wrong.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def rule_table(root, bad):
    """{part: set of parts it may use, or None for anything} from README.md."""
    try:
        text = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    except OSError as e:
        bad.append(f"README.md: the rule table: cannot read: {e}")
        return {}
    m = re.search(r"^## Code layout\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        bad.append("README.md: the rule table: no '## Code layout' section")
        return {}
    for block in re.findall(r"^```\n(.*?)^```", m.group(1), re.S | re.M):
        lines = [l for l in block.splitlines() if l.strip()]
        if not lines or not re.match(r"part\s+may use\s*$", lines[0]):
            continue
        rules = {}
        for l in lines[1:]:
            w = l.replace(",", " ").split()
            if w[1:] == ["anything"]:
                rules[w[0]] = None
            elif w[1:] == ["nothing"]:
                rules[w[0]] = set()
            else:
                rules[w[0]] = set(w[1:])
        for p, uses in rules.items():
            for u in uses or ():
                if u not in rules:
                    bad.append(f"README.md: the rule table: {p} may use '{u}', which is no part")
        return rules
    bad.append("README.md: the rule table: no block starting 'part  may use' in 'Code layout'")
    return {}


def sources(root):
    """(relative path, part) of every file the layering covers."""
    out = []
    lib = os.path.join(root, "lib")
    for d in sorted(os.listdir(lib)) if os.path.isdir(lib) else []:
        if os.path.isdir(os.path.join(lib, d)):
            for f in sorted(os.listdir(os.path.join(lib, d))):
                if f.endswith((".c", ".h")):
                    out.append((f"lib/{d}/{f}", d))
    for dirpath, dirs, files in os.walk(os.path.join(root, "applets")):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                out.append((os.path.relpath(os.path.join(dirpath, f), root), "applets"))
    if os.path.exists(os.path.join(root, "xwpf.c")):
        out.append(("xwpf.c", "applets"))
    return out


def simple_cycle(graph, nodes, min_len):
    """One simple cycle of at least min_len nodes among nodes, or None."""
    order = sorted(nodes)
    for start in order:
        # cycles through start using only nodes at or after it: each cycle is found once
        allowed = set(order[order.index(start):])
        stack = [(start, [start])]
        while stack:
            n, path = stack.pop()
            for m in sorted(graph.get(n, ())):
                if m == start and len(path) >= min_len:
                    return path
                if m in allowed and m not in path:
                    stack.append((m, path + [m]))
    return None


def cycle_found(graph, where, min_len, rule, bad):
    """One cycle of at least min_len nodes, each step named by FILE:LINE, into bad."""
    cyc = simple_cycle(graph, set(graph), min_len)
    if cyc:
        steps = [f"{a} -> {b} ({where[(a, b)]})" for a, b in zip(cyc, cyc[1:] + cyc[:1])]
        bad.append(f"{where[(cyc[0], cyc[1])]}: {rule}: " + ", ".join(steps))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad, good = [], []
    rules = rule_table(root, bad)
    files = sources(root)

    # headers by name, as -I. -Ilib -Ilib/PART... -Iapplets -Iapplets/menu find them
    headers = {}
    for path, part in files:
        if path.endswith(".h"):
            headers.setdefault(os.path.basename(path), []).append((path, part))
    for name, where in sorted(headers.items()):
        if len(where) > 1:
            bad.append(f"{where[1][0]}:1: one header a name: {name} is also {where[0][0]}")

    edges = []   # (file, line, from part, header path, to part)
    for path, part in files:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as fh:
            for no, text in enumerate(fh, 1):
                m = INCLUDE.match(text)
                if not m:
                    continue
                name = os.path.basename(m.group(1))
                if name not in headers:
                    continue   # not ours (a dependency's header in quotes)
                hpath, hpart = headers[name][0]
                edges.append((path, no, part, hpath, hpart))
    good.append(f"{len(files)} files, {len(edges)} includes of our headers")

    # parts
    nbad = len(bad)
    for path, no, part, hpath, hpart in edges:
        if part == hpart:
            continue
        if part != "applets" and hpart == "applets":
            bad.append(f"{path}:{no}: nothing in lib/ includes an applet header: {hpath}")
            continue
        if part not in rules:
            bad.append(f"{path}:{no}: every part has a rule: the table has no line for '{part}'")
            continue
        uses = rules[part]
        if uses is not None and hpart not in uses:
            may = ", ".join(sorted(uses)) or "nothing of lib/"
            bad.append(f"{path}:{no}: {part} may use {may}, not {hpart}: {hpath}")
    if len(bad) == nbad:
        good.append("every include between parts is one the table allows")

    # cycles between folders
    nbad = len(bad)
    pgraph, pwhere = {}, {}
    for path, no, part, hpath, hpart in edges:
        if part != hpart:
            pgraph.setdefault(part, set()).add(hpart)
            pwhere.setdefault((part, hpart), f"{path}:{no}")
    cycle_found(pgraph, pwhere, 2, "no include cycle between folders", bad)
    if len(bad) == nbad:
        good.append("no include cycle between folders")

    # cycles of modules inside one folder
    nbad = len(bad)
    folders = {}
    for path, no, part, hpath, hpart in edges:
        d, hd = os.path.dirname(path), os.path.dirname(hpath)
        a = os.path.splitext(os.path.basename(path))[0]
        b = os.path.splitext(os.path.basename(hpath))[0]
        if d == hd and a != b:
            g, w = folders.setdefault(d, ({}, {}))
            g.setdefault(a, set()).add(b)
            w.setdefault((a, b), f"{path}:{no}")
    for d, (g, w) in sorted(folders.items()):
        cycle_found(g, w, 3, f"no cycle of more than two modules in {d}/", bad)
    if len(bad) == nbad:
        good.append("no cycle of more than two modules inside a folder")

    # each part's README says what it may use, as the table does
    nbad = len(bad)
    lib = os.path.join(root, "lib")
    for d in sorted(os.listdir(lib)) if os.path.isdir(lib) else []:
        if not os.path.isdir(os.path.join(lib, d)):
            continue
        readme = f"lib/{d}/README.md"
        if d not in rules:
            bad.append(f"{readme}:1: every part has a rule: the table has no line for '{d}'")
            continue
        try:
            lines = open(os.path.join(root, readme), encoding="utf-8").read().splitlines()
        except OSError:
            bad.append(f"{readme}:1: every lib folder has a README.md saying what it may use: missing")
            continue
        said = [(i, l) for i, l in enumerate(lines, 1) if l.startswith("May use:")]
        if len(said) != 1:
            bad.append(f"{readme}:1: a part's README has one 'May use:' line, not {len(said)}")
            continue
        i, l = said[0]
        names = set(re.findall(r"[a-z]+", l[len("May use:"):])) & set(rules)
        want = rules[d] if rules[d] is not None else set(rules)
        if names != want:
            bad.append(f"{readme}:{i}: the README says {d} may use {', '.join(sorted(names)) or 'nothing'}; "
                       f"the table in README.md says {', '.join(sorted(want)) or 'nothing'}")
    if len(bad) == nbad:
        good.append("every lib folder's README says what the table says it may use")

    for g in good:
        print(f"ok {g}")
    for b in bad:
        print(f"not ok {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
