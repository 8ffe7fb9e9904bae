#!/usr/bin/env bash
# End-to-end: one run writing both books from a site with a post large
# enough to be split in the EPUB. The EPUB is split; the PDF still has every
# section (the writers share the chapter documents and must not change
# them); links between posts work in both.
# usage: both.sh BOOKIFY
set -u
bookify=$1
command -v pdftotext >/dev/null || { echo "skip: pdftotext missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site/_posts"
python3 - "$tmp/site/_posts" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/2020-01-01-big.md", "w") as f:
    f.write("---\ntitle: Big\n---\n[to the last](#section-199)\n\n")
    for i in range(200):
        f.write(f"## Section {i}\n\n" + ("Lorem ipsum dolor sit amet. " * 40 + "\n\n") * 3)
    f.write("Closing words of the big post.\n")
with open(f"{d}/2020-01-02-small.md", "w") as f:
    f.write("---\ntitle: Small\n---\nSee [the last section](2020-01-01-big.md#section-199).\n")
PY
export SOURCE_DATE_EPOCH=1764000000
"$bookify" -q --epub="$tmp/b.epub" --pdf="$tmp/b.pdf" "$tmp/site" || { echo "bookify failed"; exit 1; }
fail=0
n=$(unzip -Z1 "$tmp/b.epub" | grep -c '^EPUB/big-[0-9]*\.xhtml$')
[ "$n" -ge 1 ] || { echo "FAIL: the big post was not split in the EPUB"; fail=1; }
unzip -p "$tmp/b.epub" EPUB/small.xhtml | grep -q 'href="big-[0-9]*\.xhtml#section-199"' \
    || { echo "FAIL: the EPUB link to a moved section was not followed"; fail=1; }
pdftotext "$tmp/b.pdf" "$tmp/b.txt"
grep -q "Section 199" "$tmp/b.txt" || { echo "FAIL: the PDF lost the sections the EPUB moved"; fail=1; }
grep -q "Closing words of the big post" "$tmp/b.txt" || { echo "FAIL: the PDF lost the end of the big post"; fail=1; }
[ $fail -eq 0 ] && echo "ok: split into $((n + 1)) files, PDF complete"
exit $fail
