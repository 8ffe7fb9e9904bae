#!/usr/bin/env bash
# cmake --install into a fresh prefix: the installed bookify builds both
# books from any folder, `man bookify` finds its page through PATH, the
# completion loads; cpack makes a .deb with the right files and fields.
# usage: install.sh BUILD_DIR SAMPLES
set -u
build=$(cd "$1" && pwd) samples=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
export SOURCE_DATE_EPOCH=1764000000
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
# The PDF writer is a module of its own, under lib*/bookify (pdf.h).
[ -n "$(find "$tmp/prefix" -path '*/lib*/bookify/bookify-pdf.so')" ] ||
    { echo "FAIL: bookify-pdf.so not installed under lib/bookify"; fail=1; }
for f in bin/bookify share/man/man1/bookify.1 share/bash-completion/completions/bookify \
         share/bookify/styles/epub.css share/bookify/styles/default-theme.yml \
         share/bookify/fonts/bookify.conf share/bookify/gtksourceview/language2.rng \
         share/doc/bookify/ci.md; do
    [ -s "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; fail=1; }
done
# From another folder, with nothing of the source tree at hand.
(cd / && "$tmp/prefix/bin/bookify" -q --epub="$tmp/b.epub" --pdf="$tmp/b.pdf" "$samples/hugo-notes") \
    || { echo "FAIL: the installed bookify did not build the books"; fail=1; }
[ -s "$tmp/b.epub" ] && [ -s "$tmp/b.pdf" ] || { echo "FAIL: no books"; fail=1; }
# Code is highlighted, GtkSourceView's languages loaded with bookify's own
# fast schema, found beside the binary.
(cd / && "$tmp/prefix/bin/bookify" -q --epub="$tmp/c.epub" "$samples/code-tour") \
    || { echo "FAIL: the installed bookify did not build code-tour"; fail=1; }
unzip -p "$tmp/c.epub" 'EPUB/*.xhtml' | grep -q '<span class="keyword">' \
    || { echo "FAIL: the installed bookify did not highlight the code"; fail=1; }
if command -v strace >/dev/null; then
    (cd / && strace -f -e trace=openat -o "$tmp/trace" "$tmp/prefix/bin/bookify" -q --epub="$tmp/c.epub" "$samples/code-tour")
    grep -q "prefix/bin/../share/bookify/gtksourceview/language2.rng" "$tmp/trace" \
        || { echo "FAIL: the installed bookify does not use its language2.rng"; fail=1; }
fi
if command -v man >/dev/null; then
    [ "$(cd / && PATH="$tmp/prefix/bin:$PATH" man -w bookify 2>/dev/null)" = "$tmp/prefix/share/man/man1/bookify.1" ] \
        || { echo "FAIL: man does not find bookify's page from the prefix"; fail=1; }
    MANPATH="$tmp/prefix/share/man" man -P cat bookify 2>/dev/null | grep -q "EXIT STATUS" \
        || { echo "FAIL: the man page does not render"; fail=1; }
fi
bash -c "source '$tmp/prefix/share/bash-completion/completions/bookify'; COMP_WORDS=(bookify --ord); COMP_CWORD=1; _bookify; [ \"\${COMPREPLY[*]}\" = '--order=' ]" \
    || { echo "FAIL: bash completion"; fail=1; }
# The Debian package.
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
    (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >/dev/null 2>&1) \
        || { echo "FAIL: cpack -G DEB"; fail=1; }
    deb=$(ls "$tmp"/pkg/bookify_*_*.deb 2>/dev/null | head -1)
    if [ -n "$deb" ]; then
        info=$(dpkg-deb -I "$deb")
        for dep in libcmark-gfm libxml2 libzip libcairo2 libpango libgtksourceview-4-0 fonts-sil-gentiumplus; do
            grep -q "Depends:.*$dep" <<<"$info" || { echo "FAIL: the .deb does not depend on $dep"; fail=1; }
        done
        files=$(dpkg-deb -c "$deb")
        grep -q " ./usr/lib/.*bookify/bookify-pdf.so\$" <<<"$files" ||
            { echo "FAIL: bookify-pdf.so not in the .deb"; fail=1; }
        for f in ./usr/bin/bookify ./usr/share/man/man1/bookify.1 ./usr/share/bash-completion/completions/bookify \
                 ./usr/share/bookify/gtksourceview/language2.rng; do
            grep -q " $f\$" <<<"$files" || { echo "FAIL: $f not in the .deb"; fail=1; }
        done
    else
        echo "FAIL: no .deb made"; fail=1
    fi
else
    echo "note: cpack or dpkg-shlibdeps missing; the .deb was not made"
fi
[ $fail -eq 0 ] && echo "ok: installed bookify, man page, completion, .deb"
exit $fail
