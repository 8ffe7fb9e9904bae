#!/usr/bin/env bash
# End-to-end: the PDF gives pango only the fonts of the families it asks
# for (src/pdf/fontuse.c) when those show every character, and the PDF is
# byte for byte the one made with every installed font
# (BOOKIFY_ALL_FONTS=1). Books in many scripts and languages, inline
# languages, a theme naming another font, and a character no font has.
# usage: fonts.sh BOOKIFY SAMPLES
set -u
bookify=$1
samples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
fail=0

# same NAME EXPECTED SITE [ARGS...]: narrowed or not as EXPECTED says
# ("narrow" or "all"), and the same bytes as with every font
same() {
    local name=$1 want=$2 site=$3
    shift 3
    BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$name.pdf" "$@" "$site" 2>"$tmp/$name.err" ||
        { echo "FAIL: $name: bookify failed"; cat "$tmp/$name.err"; fail=1; return; }
    BOOKIFY_ALL_FONTS=1 "$bookify" -q --pdf="$tmp/$name-all.pdf" "$@" "$site" 2>/dev/null ||
        { echo "FAIL: $name: bookify with every font failed"; fail=1; return; }
    local line got
    line=$(grep '^pdf: .* characters in' "$tmp/$name.err")
    case $line in
    *"only the fonts"*) got=narrow ;;
    *"every installed font"*) got=all ;;
    *) echo "FAIL: $name: BOOKIFY_TIMES does not say which fonts: $line"; fail=1; return ;;
    esac
    [ "$got" = "$want" ] || { echo "FAIL: $name: expected $want fonts, got: $line"; fail=1; return; }
    cmp -s "$tmp/$name.pdf" "$tmp/$name-all.pdf" ||
        { echo "FAIL: $name: the PDF differs from the one made with every installed font"; fail=1; return; }
    echo "ok: $name ($line)"
}

same handbook narrow "$samples/handbook"

mkdir -p "$tmp/scripts"
python3 "$(dirname "$0")/scripts-site.py" "$tmp/scripts"
same scripts narrow "$tmp/scripts"

# A theme naming fonts outside bookify's lists (DejaVu Serif, Noto Serif).
printf 'fonts:\n  body: DejaVu Serif\n  heading: Noto Serif\n' >"$tmp/theme.yml"
same theme narrow "$tmp/scripts" --theme="$tmp/theme.yml"

# A character no installed font has (Egyptian hieroglyph; private use):
# every installed font is asked, as without narrowing.
mkdir -p "$tmp/rare"
printf -- '---\ntitle: Rare\n---\n\nA hieroglyph \xf0\x93\x80\x80 and a private use \xee\x80\x80.\n' \
    >"$tmp/rare/2024-01-01-rare.md"
same rare all "$tmp/rare"

exit $fail
