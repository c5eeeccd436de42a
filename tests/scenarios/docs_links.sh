#!/usr/bin/env bash
# The documents link to each other by relative links: every one of them in
# README.md, docs/, lib/*/README.md and bench/README.md names a file that
# exists and, with #anchor, a heading of that file. The checker is first tried
# on samples: a link to a missing file or a missing heading must be caught,
# good links (and links inside code) must not.
# timeout: 30
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
need python3

# the checker on samples
mkdir -p "$T_DIR/s/sub"
cat > "$T_DIR/s/sub/b.md" <<'MD'
# B
## Reading it: `status --traffic`, `status --reset`
## Twice
## Twice
MD
cat > "$T_DIR/s/good.md" <<'MD'
# Good
[b](sub/b.md), [b](sub/b.md#b), [r](sub/b.md#reading-it-status---traffic-status---reset),
[t](sub/b.md#twice-1), [self](#good), [web](https://example.com/x#y), [dir](sub)
`[not a link](nowhere.md)`
```
[not a link either](nowhere.md)
```
MD
printf '# Bad\n[gone](gone.md)\n[no anchor](sub/b.md#missing)\n[self](#nothing)\n' > "$T_DIR/s/bad.md"
out=$(python3 "$T_PEERS/md_links.py" "$T_DIR/s/good.md" 2>&1)
check "good sample links pass: $out" [ $? = 0 ]
out=$(python3 "$T_PEERS/md_links.py" "$T_DIR/s/bad.md" 2>&1)
check "a broken sample fails the checker" [ $? = 1 ]
check_eq "each broken sample link is named" 3 "$(grep -c 'bad.md:[234]:' <<< "$out")"

# the repository's documents
cd "$src" || exit 1
files=(README.md docs/*.md lib/*/README.md bench/README.md)
check "there are documents to look at (${#files[@]})" [ "${#files[@]}" -gt 10 ]
n=$(cat "${files[@]}" | grep -oE '\]\([^)h][^)]*\)' | wc -l)
check "they link to each other ($n relative links)" [ "$n" -gt 20 ]
out=$(python3 "$T_PEERS/md_links.py" "${files[@]}" 2>&1)
rc=$?
while IFS= read -r l; do [ -n "$l" ] && fail "$l"; done <<< "$out"
check_eq "every relative link and anchor points at something" 0 "$rc"
finish
