#!/usr/bin/env bash
# End-to-end: the malloc that bookify really runs on is the one its build
# chose (include/bookify/mem.h): mimalloc, linked ahead of the C library so
# that libxml2, pango and cairo allocate from it too, unless the build was
# configured without it (or with the sanitizers, which bring their own).
# usage: allocator.sh BOOKIFY SITE EXPECTED   (EXPECTED: mimalloc or glibc)
set -u
bookify=$1 site=$2 expected=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
BOOKIFY_TIMES=1 "$bookify" -q --epub="$tmp/a.epub" --pdf="$tmp/a.pdf" "$site" 2>"$tmp/err" ||
    { echo "FAIL: bookify failed"; cat "$tmp/err"; exit 1; }
got=$(sed -n 's/^bookify: *started .* malloc: \(.*\)$/\1/p' "$tmp/err")
case "$got" in
    "$expected"*) echo "ok: malloc is $got" ;;
    *) echo "FAIL: malloc is '${got:-not reported}', the build chose $expected"; exit 1 ;;
esac
# a library resolving malloc to mimalloc and free to glibc (or the other
# way round) would have crashed above; both books must be whole
[ -s "$tmp/a.epub" ] && [ -s "$tmp/a.pdf" ] || { echo "FAIL: no books"; exit 1; }
