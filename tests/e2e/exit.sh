#!/usr/bin/env bash
# End-to-end: the end of a run. Once every book is written and renamed
# into place, a release build leaves the rest of its memory to the
# system (no freeing, no library destructors: 5-6 ms of a 150 ms EPUB);
# with the sanitizers, or BOOKIFY_FREE_AT_EXIT=1 (e2e.valgrind), it frees
# everything as before. Either way: the same books, the same exit codes,
# the messages all printed, and no temporary file left beside the output.
# usage: exit.sh BOOKIFY SITE
set -u
bookify=$1 site=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
fail=0
if ldd "$bookify" 2>/dev/null | grep -q 'libasan'; then
    want="freed"
else
    want="done (nothing freed)"
fi
mkdir "$tmp/a" "$tmp/b"
BOOKIFY_TIMES=1 "$bookify" --epub="$tmp/a/book.epub" --pdf="$tmp/a/book.pdf" "$site" >"$tmp/a.out" 2>"$tmp/a.err"
ra=$?
BOOKIFY_FREE_AT_EXIT=1 BOOKIFY_TIMES=1 "$bookify" --epub="$tmp/b/book.epub" --pdf="$tmp/b/book.pdf" "$site" \
    >"$tmp/b.out" 2>"$tmp/b.err"
rb=$?
[ "$ra" = 0 ] && [ "$rb" = 0 ] || { echo "FAIL: exit $ra, $rb"; fail=1; }
last=$(grep '^bookify: ' "$tmp/a.err" | tail -1)
case "$last" in "bookify: $want "*) ;; *) echo "FAIL: last stage '$last', want '$want'"; fail=1 ;; esac
last=$(grep '^bookify: ' "$tmp/b.err" | tail -1)
case "$last" in "bookify: freed "*) ;; *) echo "FAIL: BOOKIFY_FREE_AT_EXIT=1: last stage '$last'"; fail=1 ;; esac
for f in epub pdf; do
    cmp -s "$tmp/a/book.$f" "$tmp/b/book.$f" || { echo "FAIL: the ${f^^}s differ"; fail=1; }
done
unzip -tq "$tmp/a/book.epub" >/dev/null || { echo "FAIL: the EPUB is not whole"; fail=1; }
# the messages (not the stage times) are the same
grep -v -E '^(convert|bookify|pdf|epub): ' "$tmp/a.err" >"$tmp/a.msg"
grep -v -E '^(convert|bookify|pdf|epub): ' "$tmp/b.err" >"$tmp/b.msg"
cmp -s "$tmp/a.msg" "$tmp/b.msg" || { echo "FAIL: the messages differ"; diff "$tmp/a.msg" "$tmp/b.msg" | head; fail=1; }
# a failed build: the same exit code, the error printed, nothing left
mkdir -p "$tmp/bad/_posts" "$tmp/c" "$tmp/d"
printf -- '---\ntitle: [unclosed\n---\nText.\n' >"$tmp/bad/_posts/2024-01-01-bad.md"
"$bookify" -q --epub="$tmp/c/book.epub" "$tmp/bad" 2>"$tmp/c.err"
rc=$?
BOOKIFY_FREE_AT_EXIT=1 "$bookify" -q --epub="$tmp/d/book.epub" "$tmp/bad" 2>"$tmp/d.err"
rd=$?
[ "$rc" != 0 ] && [ "$rc" = "$rd" ] || { echo "FAIL: bad input: exit $rc, $rd"; fail=1; }
grep -q '2024-01-01-bad.md:2:.*error' "$tmp/c.err" || { echo "FAIL: bad input: no error message"; cat "$tmp/c.err"; fail=1; }
cmp -s "$tmp/c.err" "$tmp/d.err" || { echo "FAIL: bad input: the messages differ"; fail=1; }
for d in a c; do
    left=$(find "$tmp/$d" -name '.*' -type f | head -3)
    [ -z "$left" ] || { echo "FAIL: temporary files left: $left"; fail=1; }
done
[ -e "$tmp/c/book.epub" ] && { echo "FAIL: bad input: a book was written"; fail=1; }
[ $fail = 0 ] && echo "ok: '$want' at the end, same books, messages and exit codes"
exit $fail
