#!/usr/bin/env bash
# End-to-end: cairo's numbers ("%f", "%d", "%04x"...) are formatted by
# bookify's __snprintf_chk (src/util/numfmt.c), not by printf, and the PDF
# is byte for byte the one made with the C library's (BOOKIFY_LIBC_PRINTF=1).
# usage: numfmt.sh BOOKIFY SAMPLES
set -u
bookify=$1
samples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
fail=0
for book in handbook code-tour; do
    BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$book.pdf" "$samples/$book" 2>"$tmp/$book.err" ||
        { echo "FAIL: $book: bookify failed"; cat "$tmp/$book.err"; fail=1; continue; }
    BOOKIFY_LIBC_PRINTF=1 BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$book-libc.pdf" \
        "$samples/$book" 2>"$tmp/$book-libc.err" ||
        { echo "FAIL: $book: bookify with the C library's printf failed"; fail=1; continue; }
    n=$(sed -n 's/^pdf: \([0-9]*\) numbers formatted by bookify.*/\1/p' "$tmp/$book.err")
    libc=$(sed -n 's/^pdf: \([0-9]*\) numbers formatted by bookify.*/\1/p' "$tmp/$book-libc.err")
    # thousands of numbers on a page's worth of glyphs: the interposition works
    [ "${n:-0}" -gt 1000 ] ||
        { echo "FAIL: $book: only '${n:-none}' numbers formatted by bookify (is __snprintf_chk exported?)"; fail=1; continue; }
    [ "${libc:-x}" = 0 ] || { echo "FAIL: $book: BOOKIFY_LIBC_PRINTF=1 still formatted '$libc'"; fail=1; continue; }
    cmp -s "$tmp/$book.pdf" "$tmp/$book-libc.pdf" ||
        { echo "FAIL: $book: the PDF differs from the one made with printf"; fail=1; continue; }
    echo "ok: $book ($n numbers, same bytes)"
done
exit $fail
