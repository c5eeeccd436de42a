#!/usr/bin/env bash
# The repository speaks for itself: no tracked file (code, comments, README,
# docs/, tests, bench) points at a numbered ticket, at a document kept outside
# the repository, or at an earlier round of work by its number; what such a
# pointer meant belongs in docs/ or in plain words. Each hit is named as
# FILE:LINE. The patterns are put together from pieces so that this file does
# not match them, and are first tried on samples: each sample of a pointer
# must match, plain English around the same words must not.
# timeout: 30
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)

I='iss''ue' S='sess''ion' SH='sha''red'
D1='REFER''ENCE' D2='STY''LE' D3='DES''IGN'
pats=(
	"\\b${I} [0-9]"                     # a ticket by number
	"\\b${I}s? #[0-9]"                  # ... with a hash
	"\\b($D1|$D2|$D3)\\.md\\b"          # documents outside the repository
	"\\.\\./${SH}\\b"                   # ... by their folder
	"\\b${S}s? [0-9]"                   # earlier rounds of work by number
)
args=()
for p in "${pats[@]}"; do
	args+=(-e "$p")
done

# the patterns themselves
bad=0
while IFS= read -r line; do
	grep -qiE "${args[@]}" <<< "$line" || { fail "pattern misses the sample '$line'"; bad=1; }
done <<EOF
as ${I} 3 asks
the endpoint (${I} 10), its numbers
see ${I}s #5 and #6
Fixes ${I} #12
$D1.md section 1
$D2.md's file sizes
($D3.md)
../$SH/seed
on ${S} 6's machine
Until ${S^} 8 the clients ran
EOF
while IFS= read -r line; do
	! grep -qiE "${args[@]}" <<< "$line" || { fail "pattern matches plain English '$line'"; bad=1; }
done <<EOF
an ${I} with the store, a known ${I}
TLS ${S}s are resumed (the entry keeps the last ${S})
per round: 1.35x, 4 rounds of 3 s
mig_name(out, 41, "lb group #1", "x")
the shared LRU cache, docs/wire.md, README.md
EOF
[ "$bad" = 0 ] && ok "the patterns catch every sample and no plain English"

# every tracked file (or, outside a git checkout, every file but build output)
cd "$src" || exit 1
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	git ls-files -z > "$T_DIR/files"
else
	find . \( -path ./.git -o -path ./build -o -path ./dist \) -prune -o -type f -print0 > "$T_DIR/files"
fi
n=$(tr -cd '\0' < "$T_DIR/files" | wc -c)
check "there are files to look at ($n)" [ "$n" -gt 50 ]
xargs -0 grep -snIiE "${args[@]}" -- < "$T_DIR/files" > "$T_DIR/hits"
hits=$(wc -l < "$T_DIR/hits")
while IFS= read -r h; do
	f=${h%%:*} rest=${h#*:}
	fail "$f:${rest%%:*}: refers to what the repository does not hold: ${rest#*:}"
done < "$T_DIR/hits"
check_eq "no file points outside the repository or at numbered tickets or rounds" 0 "$hits"
finish
