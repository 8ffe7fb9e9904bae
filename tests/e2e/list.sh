#!/usr/bin/env bash
# End-to-end: `bookify --list` on a site prints exactly the expected book.
# usage: list.sh BOOKIFY SITE EXPECTED [extra bookify args...]
# Exits 77 (skipped) when SITE does not exist (an optional corpus).
set -u
bookify=$1 site=$2 expected=$3
shift 3
[ -d "$site" ] || { echo "skip: no $site"; exit 77; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1764000000} "$bookify" --list "$@" "$site" >"$out" 2>"$err"
rc=$?
if [ $rc -ne 0 ]; then
    echo "bookify exited $rc"; cat "$err"; exit 1
fi
if ! diff -u "$expected" "$out"; then
    echo "--list output differs from $expected"; exit 1
fi
# Every listed path is listed once.
dups=$(cut -f4 "$out" | sort | uniq -d)
[ -z "$dups" ] || { echo "listed twice: $dups"; exit 1; }
echo "ok: $(wc -l <"$out") posts"
