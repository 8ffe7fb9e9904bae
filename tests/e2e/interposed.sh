#!/usr/bin/env bash
# End-to-end: a library function bookify's executable defines in place of
# the library's really is the one called, and the PDF is byte for byte the
# one made with the library's own (its switch set).
#   numfmt    cairo's numbers ("%f", "%d", "%04x"...) formatted by bookify's
#             __snprintf_chk (src/util/numfmt.c), not by printf
#             (BOOKIFY_LIBC_PRINTF=1)
#   fcthread  pango's font matches and sorts run by the thread that asks
#             (bookify's g_thread_new, src/util/fcthread.c), not on two new
#             threads per font description (BOOKIFY_PANGO_THREADS=1): the
#             same fonts chosen in every script
# usage: interposed.sh BOOKIFY SAMPLES numfmt|fcthread
set -u
bookify=$1
samples=$2
case $3 in
numfmt) # thousands of numbers on a page's worth of glyphs
    off=BOOKIFY_LIBC_PRINTF what="numbers formatted by bookify" min=1000 fn=__snprintf_chk
    books="handbook code-tour" ;;
fcthread) # a match and a sort for each font description: dozens in any book
    off=BOOKIFY_PANGO_THREADS what="of pango's font matches and sorts run in place" min=10 fn=g_thread_new
    books="handbook hugo-notes" ;;
*) echo "usage: interposed.sh BOOKIFY SAMPLES numfmt|fcthread" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
count() { sed -n "s/^pdf: \([0-9]*\) $what.*/\1/p" "$1"; }
fail=0
for book in $books; do
    BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$book.pdf" "$samples/$book" 2>"$tmp/$book.err" ||
        { echo "FAIL: $book: bookify failed"; cat "$tmp/$book.err"; fail=1; continue; }
    env "$off=1" BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$book-off.pdf" "$samples/$book" 2>"$tmp/$book-off.err" ||
        { echo "FAIL: $book: bookify with $off=1 failed"; cat "$tmp/$book-off.err"; fail=1; continue; }
    n=$(count "$tmp/$book.err")
    off_n=$(count "$tmp/$book-off.err")
    [ "${n:-0}" -ge "$min" ] ||
        { echo "FAIL: $book: only '${n:-none}' $what (is $fn exported?)"; fail=1; continue; }
    [ "${off_n:-x}" = 0 ] || { echo "FAIL: $book: $off=1 still gave '$off_n' $what"; fail=1; continue; }
    cmp -s "$tmp/$book.pdf" "$tmp/$book-off.pdf" ||
        { echo "FAIL: $book: the PDF differs from the one made with $off=1"; fail=1; continue; }
    echo "ok: $book ($n $what, same bytes)"
done
exit $fail
