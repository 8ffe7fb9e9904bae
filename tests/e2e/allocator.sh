#!/usr/bin/env bash
# End-to-end: the malloc that bookify really runs on is the one its build
# chose (include/bookify/mem.h): mimalloc, linked ahead of the C library so
# that libxml2, pango and cairo allocate from it too, unless the build was
# configured without it (or with the sanitizers, which bring their own).
# With mimalloc, memory comes in huge pages (madvise MADV_HUGEPAGE), from
# the first segment on, unless MIMALLOC_LARGE_OS_PAGES=0, and a long
# book's PDF stops asking once its posts are read. A shorter book's PDF
# keeps what it frees (a committed arena of 1 GiB, bk_mem_keep_freed);
# an EPUB, a long book's PDF, or MIMALLOC_RESERVE_OS_MEMORY set do not.
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
    "$expected"*) ;;
    *) echo "FAIL: malloc is '${got:-not reported}', the build chose $expected"; exit 1 ;;
esac
# a library resolving malloc to mimalloc and free to glibc (or the other
# way round) would have crashed above; both books must be whole
[ -s "$tmp/a.epub" ] && [ -s "$tmp/a.pdf" ] || { echo "FAIL: no books"; exit 1; }
fail=0
if [ "$expected" = mimalloc ] && command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    huge() { # BOOKIFY ARGS...: the madvise(MADV_HUGEPAGE) calls of a run
        strace -f -e trace=madvise -o "$tmp/trace" "$@" >/dev/null 2>&1 || echo "FAIL: bookify $*" >&2
        grep -c MADV_HUGEPAGE "$tmp/trace"
    }
    n=$(huge "$bookify" -q -j 2 --epub="$tmp/a.epub" --pdf="$tmp/a.pdf" "$site")
    [ "$n" -ge 2 ] || { echo "FAIL: $n segments in huge pages, expected the first and more"; fail=1; }
    n=$(MIMALLOC_LARGE_OS_PAGES=0 huge "$bookify" -q -j 2 --epub="$tmp/s.epub" --pdf="$tmp/s.pdf" "$site")
    [ "$n" = 0 ] || { echo "FAIL: $n huge-page segments with MIMALLOC_LARGE_OS_PAGES=0"; fail=1; }
    # the same books either way
    cmp -s "$tmp/a.epub" "$tmp/s.epub" && cmp -s "$tmp/a.pdf" "$tmp/s.pdf" ||
        { echo "FAIL: the books differ in small pages"; fail=1; }
    # a long book's PDF (2.4 MB of posts) stops asking once its posts are
    # read (the segments made while reading them keep theirs); told to by
    # MIMALLOC_LARGE_OS_PAGES=1 and MIMALLOC_EAGER_COMMIT_DELAY=0, it asks
    # for its later ones too
    mkdir -p "$tmp/long/_posts"
    python3 - "$tmp/long/_posts" <<'PY'
import sys
for i in range(3):
    with open(f"{sys.argv[1]}/2020-01-0{i + 1}-long.md", "w") as f:
        f.write(f"---\ntitle: Long {i}\n---\n\n")
        f.write(("Words of a long post, line after line. " * 20 + "\n\n") * 1000)
PY
    n=$(huge "$bookify" -q -j 2 --pdf="$tmp/l.pdf" "$tmp/long")
    forced=$(MIMALLOC_LARGE_OS_PAGES=1 MIMALLOC_EAGER_COMMIT_DELAY=0 huge "$bookify" -q -j 2 --pdf="$tmp/l.pdf" "$tmp/long")
    [ "$n" -lt "$forced" ] || { echo "FAIL: a long book's PDF in $n huge-page segments, $forced when told to"; fail=1; }
    kept() { # BOOKIFY ARGS...: the run's mappings of 1 GiB (the arena kept)
        strace -f -e trace=mmap -o "$tmp/trace" "$@" >/dev/null 2>&1 || echo "FAIL: bookify $*" >&2
        grep -cE 'mmap\([^,]*, 1073741824,' "$tmp/trace"
    }
    [ "$(kept "$bookify" -q --pdf="$tmp/k.pdf" "$site")" = 1 ] ||
        { echo "FAIL: a short book's PDF does not keep what it frees"; fail=1; }
    cmp -s "$tmp/a.pdf" "$tmp/k.pdf" || { echo "FAIL: the PDF differs with freed memory kept"; fail=1; }
    [ "$(kept "$bookify" -q --epub="$tmp/k.epub" "$site")" = 0 ] ||
        { echo "FAIL: an EPUB keeps what it frees"; fail=1; }
    [ "$(kept "$bookify" -q --pdf="$tmp/l.pdf" "$tmp/long")" = 0 ] ||
        { echo "FAIL: a long book's PDF keeps what it frees"; fail=1; }
    [ "$(MIMALLOC_RESERVE_OS_MEMORY=64MiB kept "$bookify" -q --pdf="$tmp/k.pdf" "$site")" = 0 ] ||
        { echo "FAIL: MIMALLOC_RESERVE_OS_MEMORY set, bookify still reserves its own"; fail=1; }
fi
[ $fail = 0 ] && echo "ok: malloc is $got"
exit $fail
