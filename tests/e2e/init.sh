#!/usr/bin/env bash
# `bookify init SITE`: a commented bookify.yml with what was found, that
# bookify then reads without a word; never replacing an existing one.
# usage: init.sh BOOKIFY SAMPLES
set -u
bookify=$1 samples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
export SOURCE_DATE_EPOCH=1764000000

# The handbook: title and author from _config.yml, posts in categories.
cp -a "$samples/handbook" "$tmp/hb"
rm -f "$tmp/hb/bookify.yml"
"$bookify" init "$tmp/hb" >"$tmp/out.txt" 2>"$tmp/err.txt" || { echo "FAIL: init failed"; cat "$tmp/err.txt"; fail=1; }
grep -q "^wrote .*bookify.yml" "$tmp/out.txt" || { echo "FAIL: init says nothing"; fail=1; }
y=$tmp/hb/bookify.yml
grep -qx 'title: "The Small Web Handbook"' "$y" || { echo "FAIL: title"; fail=1; }
grep -qx 'author: "Mira Okafor"' "$y" || { echo "FAIL: author"; fail=1; }
grep -qx 'lang: en' "$y" || { echo "FAIL: lang"; fail=1; }
grep -qx 'order: category' "$y" || { echo "FAIL: order (the handbook's posts have categories)"; fail=1; }
# What it wrote is read back without a warning, and makes a book.
"$bookify" --check "$tmp/hb" 2>"$tmp/check.txt" || { echo "FAIL: --check with the written file"; cat "$tmp/check.txt"; fail=1; }
if grep -q "bookify.yml" "$tmp/check.txt"; then echo "FAIL: the written file draws a message:"; cat "$tmp/check.txt"; fail=1; fi
# Never replaced.
cp "$y" "$tmp/before.yml"
if "$bookify" init "$tmp/hb" 2>"$tmp/err2.txt"; then echo "FAIL: a second init succeeded"; fail=1; fi
grep -q "already exists" "$tmp/err2.txt" || { echo "FAIL: no reason given"; fail=1; }
cmp -s "$y" "$tmp/before.yml" || { echo "FAIL: the existing file changed"; fail=1; }

# A plain folder of Markdown: no configuration; author and language from
# the posts, a cover where sites keep one, quotes escaped.
mkdir -p "$tmp/plain/assets"
for i in 1 2 3; do
    printf -- '---\ntitle: "Post %s"\nauthor: "Zoë \\"Z\\" Ng"\nlang: fr\ndate: 2024-01-0%s\n---\nTexte.\n' $i $i >"$tmp/plain/p$i.md"
done
cp "$samples/handbook/assets/img/reading-times.png" "$tmp/plain/assets/cover.png"
"$bookify" init "$tmp/plain" >/dev/null 2>&1 || { echo "FAIL: init of a plain folder"; fail=1; }
y=$tmp/plain/bookify.yml
grep -qx 'title: "plain"' "$y" || { echo "FAIL: title from the folder's name"; fail=1; }
grep -qx 'author: "Zoë \\"Z\\" Ng"' "$y" || { echo "FAIL: author from the posts, quoted"; cat "$y"; fail=1; }
grep -qx 'lang: fr' "$y" || { echo "FAIL: lang from the posts"; fail=1; }
grep -qx 'order: date' "$y" || { echo "FAIL: order"; fail=1; }
grep -qx 'cover: "assets/cover.png"' "$y" || { echo "FAIL: cover"; fail=1; }
"$bookify" -q --epub="$tmp/p.epub" "$tmp/plain" || { echo "FAIL: no book from the written settings"; fail=1; }
unzip -Z1 "$tmp/p.epub" | grep -q "bk-cover" || { echo "FAIL: the cover did not reach the EPUB"; fail=1; }

# Usage errors.
"$bookify" init 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: init without SITE is not a usage error"; fail=1; }
"$bookify" init "$tmp/nowhere" 2>/dev/null && { echo "FAIL: init of a missing folder succeeded"; fail=1; }
[ $fail -eq 0 ] && echo "ok: bookify init"
exit $fail
