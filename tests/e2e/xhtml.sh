#!/usr/bin/env bash
# End-to-end: every chapter of SITE converts to a well-formed XHTML document
# (xmllint), with no template leftovers, working internal links and every
# word of the post (tests/tools/check_xhtml.py).
# usage: xhtml.sh BOOKIFY SITE TOOLS_DIR   (exits 77 when SITE is absent)
set -u
bookify=$1 site=$2 tools=$3
[ -d "$site" ] || { echo "skip: no $site"; exit 77; }
command -v xmllint >/dev/null || { echo "skip: xmllint missing"; exit 77; }
command -v cmark-gfm >/dev/null || { echo "skip: cmark-gfm missing"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
SOURCE_DATE_EPOCH=1764000000 "$bookify" -q --check --dump-xhtml="$out" "$site" || { echo "bookify failed"; exit 1; }
n=0
for f in "$out"/*.xhtml; do
    xmllint --noout --nonet "$f" || { echo "not well-formed: $f"; exit 1; }
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no chapters written"; exit 1; }
python3 "$tools/check_xhtml.py" "$site" "$out"
