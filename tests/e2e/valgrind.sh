#!/usr/bin/env bash
# bookify under valgrind (memcheck) on one sample, both books: no invalid
# read or write, no use of uninitialised memory, no definite leak.
# usage: valgrind.sh BOOKIFY SITE
set -u
bookify=$1 site=$2
command -v valgrind >/dev/null || { echo "skip: valgrind missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
# -j 1: valgrind runs threads one at a time anyway. BOOKIFY_FREE_AT_EXIT:
# a release build leaves its memory to the system at the end (e2e.exit);
# here every free path runs, for the leak check.
BOOKIFY_FREE_AT_EXIT=1 valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --suppressions="$(dirname "$0")/../valgrind.supp" \
    "$bookify" -q -j 1 --epub="$tmp/a.epub" --pdf="$tmp/a.pdf" "$site" 2>"$tmp/vg.txt"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: valgrind (exit $rc):"; head -80 "$tmp/vg.txt"; exit 1
fi
[ -s "$tmp/a.epub" ] && [ -s "$tmp/a.pdf" ] || { echo "FAIL: no books"; exit 1; }
echo "ok: valgrind clean"
