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
#   lazyjit   PCRE2's JIT compilation of GtkSourceView's expressions left to
#             their first match (bookify's pcre2_jit_compile_8,
#             src/util/lazyjit.c; BOOKIFY_EAGER_JIT=1): the same highlighting,
#             EPUB and PDF; when the compilation fails (matched by PCRE2's
#             interpreter), the same text
# usage: interposed.sh BOOKIFY SAMPLES numfmt|fcthread|lazyjit
set -u
bookify=$1
samples=$2
case $3 in
numfmt) # thousands of numbers on a page's worth of glyphs
    off=BOOKIFY_LIBC_PRINTF what="numbers formatted by bookify" min=1000 fn=__snprintf_chk
    books="handbook code-tour" stage=pdf formats=pdf ;;
fcthread) # a match and a sort for each font description: dozens in any book
    off=BOOKIFY_PANGO_THREADS what="of pango's font matches and sorts run in place" min=10 fn=g_thread_new
    books="handbook hugo-notes" stage=pdf formats=pdf ;;
lazyjit) # twenty languages' expressions: thousands
    off=BOOKIFY_EAGER_JIT what="regular expressions' JIT compilation left to their first match" min=1000
    fn=pcre2_jit_compile_8 books="code-tour" stage=convert formats="epub pdf" ;;
*) echo "usage: interposed.sh BOOKIFY SAMPLES numfmt|fcthread|lazyjit" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
count() { sed -n "s/^$stage: *\([0-9]*\) $what.*/\1/p" "$1"; }
fail=0
for book in $books; do
  for f in $formats; do
    BOOKIFY_TIMES=1 "$bookify" -q --$f="$tmp/$book.$f" "$samples/$book" 2>"$tmp/$book.err" ||
        { echo "FAIL: $book: bookify --$f failed"; cat "$tmp/$book.err"; fail=1; continue; }
    env "$off=1" BOOKIFY_TIMES=1 "$bookify" -q --$f="$tmp/$book-off.$f" "$samples/$book" 2>"$tmp/$book-off.err" ||
        { echo "FAIL: $book: bookify --$f with $off=1 failed"; cat "$tmp/$book-off.err"; fail=1; continue; }
    n=$(count "$tmp/$book.err")
    off_n=$(count "$tmp/$book-off.err")
    [ "${n:-0}" -ge "$min" ] ||
        { echo "FAIL: $book: only '${n:-none}' $what (is $fn exported?)"; fail=1; continue; }
    [ "${off_n:-x}" = 0 ] || { echo "FAIL: $book: $off=1 still gave '$off_n' $what"; fail=1; continue; }
    if [ "$3" = lazyjit ]; then # some never matched, so never compiled
        c=$(sed -n "s/^$stage: .* \([0-9]*\) of them compiled.*/\1/p" "$tmp/$book.err")
        [ "${c:-x}" -lt "$n" ] 2>/dev/null ||
            { echo "FAIL: $book: '${c:-none}' of $n expressions compiled: none left out"; fail=1; continue; }
        # a compilation that fails: PCRE2's interpreter matches instead, as
        # in GLib when its own compilation fails (the colours may differ, and
        # GLib's matching without the JIT prints criticals for some of
        # GtkSourceView's expressions); the book is made, its text all there
        if [ "$f" = pdf ]; then
            BOOKIFY_TEST_JIT_FAILS=1 "$bookify" -q --pdf="$tmp/$book-nojit.pdf" "$samples/$book" 2>/dev/null &&
                pdftotext "$tmp/$book.pdf" "$tmp/a.txt" && pdftotext "$tmp/$book-nojit.pdf" "$tmp/b.txt" &&
                cmp -s "$tmp/a.txt" "$tmp/b.txt" ||
                { echo "FAIL: $book: when the JIT compilation fails, no PDF or not the same text"; fail=1; continue; }
        fi
    fi
    cmp -s "$tmp/$book.$f" "$tmp/$book-off.$f" ||
        { echo "FAIL: $book: the ${f^^} differs from the one made with $off=1"; fail=1; continue; }
    echo "ok: $book, ${f^^} ($n $what, same bytes)"
  done
done
exit $fail
