#!/usr/bin/env python3
"""code_shape.py ROOT [FUNC_MAX FILE_MAX]: the size rules of the C code.

Every .c and .h file of lib/, applets/ and xwpf.c under ROOT holds at most
FILE_MAX lines (1,200) and every function body at most FUNC_MAX lines
(150), counted from the line of its opening brace to that of its closing
one. A function is a brace block at the outermost level whose text before
the brace ends in ')' (not an initializer, a struct or an enum); comments,
strings and character constants are blanked first so that no brace in them
counts.

Each problem is printed as "not ok FILE:LINE: what", each rule that holds
as "ok ..."; exit 1 when anything is over.
"""
import os
import re
import sys


def blank(text):
    """Comments, strings and char constants as spaces, line breaks kept."""
    def spaces(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', spaces, text, flags=re.S)


def functions(text):
    """(first line, lines, name) of each function body in text."""
    lines = blank(text).split("\n")
    depth, start, head, out = 0, None, "", []
    for i, line in enumerate(lines):
        for j, ch in enumerate(line):
            if ch == "{":
                if depth == 0:
                    start = i
                    head = " ".join(lines[max(0, i - 4):i] + [line[:j]])
                depth += 1
            elif ch == "}" and depth > 0:
                depth -= 1
                if depth == 0 and start is not None:
                    if re.search(r"\)\s*$", head) and not re.search(r"=\s*$", head):
                        names = re.findall(r"([A-Za-z_]\w*)\s*\(", re.split(r"[;}]", head)[-1])
                        out.append((start + 1, i - start + 1, names[0] if names else "?"))
                    start = None
    return out


def sources(root):
    for top in ("lib", "applets"):
        for d, _, files in sorted(os.walk(os.path.join(root, top))):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)
    if os.path.exists(os.path.join(root, "xwpf.c")):
        yield os.path.join(root, "xwpf.c")


def main():
    root = sys.argv[1]
    func_max = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    file_max = int(sys.argv[3]) if len(sys.argv) > 3 else 1200
    bad, nfiles, nfuncs = [], 0, 0
    for path in sources(root):
        rel = os.path.relpath(path, root)
        text = open(path, encoding="utf-8", errors="replace").read()
        n = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        nfiles += 1
        if n > file_max:
            bad.append(f"{rel}:1: a file holds {file_max} lines at most, this one {n}")
        for line, length, name in functions(text):
            nfuncs += 1
            if length > func_max:
                bad.append(f"{rel}:{line}: a function is {func_max} lines at most, {name} is {length}")
    print(f"ok {nfiles} files of lib/, applets/ and xwpf.c read, {nfuncs} functions")
    for b in bad:
        print(f"not ok {b}")
    if not bad:
        print(f"ok no file over {file_max} lines, no function over {func_max}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
