#!/usr/bin/env bash
# End-to-end: bench/run.sh runs and prints what docs/performance.md reads
# from it (no timing is checked: tests never time anything). One run of
# bookify alone at 1,000 posts: the table's rows, and the targets, those
# it can judge with a number and a verdict, the others "not measured".
# usage: bench.sh BOOKIFY SOURCE_DIR
set -u
bookify=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
out=$tmp/out
BOOKIFY=$bookify RUNS=1 SKIP_OTHERS=1 HIGHLIGHT_MAX=0 "$src/bench/run.sh" 1000 >"$out" 2>"$tmp/err" ||
    { echo "FAIL: bench/run.sh exited non-zero"; cat "$tmp/err"; exit 1; }
expect() { # expect REGEX WHAT
    grep -Eq "$1" "$out" || { echo "FAIL: no $2 in the output (/$1/)"; fail=1; }
}
expect '^== 1000 posts, 0\.9[0-9] MB of Markdown ==$' "size heading"
expect '^   \(1000 of them in the book' "count of posts in the book"
for row in 'bookify --epub' '  --no-highlight' 'bookify --pdf' 'bookify \(both; PDF\)' 'cmark-gfm \+ gzip'; do
    expect "^$row +[0-9]+\.[0-9]{3} s +[0-9]+ MiB +[0-9]+ KiB +" "row '$row'"
done
expect '^bookify --pdf .* 1[0-9]{3} pages$' "page count of the PDF"
expect '^== targets' "targets"
expect '^EPUB <= 2x cmark-gfm \+ gzip +[0-9]+\.[0-9]x +(met|not met)$' "verdict on cmark-gfm + gzip"
expect '^EPUB >= 40x pandoc +not measured' "'not measured' for a tool not run"
expect '^10,000 posts +not measured' "'not measured' for a size not run"
if grep -q 'failed' "$out"; then echo "FAIL: a measurement failed:"; grep failed "$out"; fail=1; fi
# a failing measurement: said in the table, and the status is 1
BOOKIFY=/bin/false RUNS=1 SKIP_OTHERS=1 HIGHLIGHT_MAX=0 "$src/bench/run.sh" 5 >"$out" 2>/dev/null &&
    { echo "FAIL: bench/run.sh ended with status 0 when bookify failed"; fail=1; }
expect '^bookify --epub +failed' "'failed' for a bookify that fails"
# the arguments
"$src/bench/run.sh" --help | grep -q '^usage: bench/run.sh \[--setup\]' || { echo "FAIL: --help"; fail=1; }
"$src/bench/run.sh" 10x >/dev/null 2>"$tmp/err" && { echo "FAIL: a size that is not a number was taken"; fail=1; }
grep -q 'not a number of posts: 10x' "$tmp/err" || { echo "FAIL: no message for a bad size"; fail=1; }
# --setup taken as an option, and a bad size refused before any set-up
# (which would install and build: minutes)
"$src/bench/run.sh" --setup 10x >"$tmp/o" 2>"$tmp/err" && { echo "FAIL: --setup with a bad size was taken"; fail=1; }
grep -q 'not a number of posts: 10x' "$tmp/err" || { echo "FAIL: --setup not taken as the option, or the size checked after it"; fail=1; }
[ -s "$tmp/o" ] || grep -q '^setup:' "$tmp/err" && { echo "FAIL: the set-up ran before the sizes were checked"; fail=1; }
# scripts/setup.sh refuses what it does not know, before installing anything
"$src/scripts/setup.sh" --bogus >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q '^usage: scripts/setup.sh \[--test | --bench\]' "$tmp/err" ||
    { echo "FAIL: scripts/setup.sh --bogus: not refused with its usage"; fail=1; }
[ $fail = 0 ] && echo "ok: bench/run.sh"
exit $fail
