#!/usr/bin/env bash
# End-to-end: the PDF of SITE passes qpdf --check with no warning, embeds
# every font, gives back every word of every post through pdftotext, is
# byte-identical when built twice, keeps every box inside the text block
# without overlaps (--dump-layout), and is replaced whole.
# usage: pdf.sh BOOKIFY SITE [bookify args...]   (77 = skipped)
set -u
bookify=$1 site=$2
shift 2
[ -d "$site" ] || { echo "skip: no $site"; exit 77; }
for t in qpdf pdffonts pdftotext python3; do
    command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
fail=0

"$bookify" -q "$@" --pdf="$tmp/a.pdf" --dump-layout="$tmp/layout.txt" --dump-xhtml="$tmp/x" "$site" \
    || { echo "bookify failed"; exit 1; }
"$bookify" -q "$@" --pdf="$tmp/b.pdf" "$site" || { echo "bookify failed (2)"; exit 1; }
cmp -s "$tmp/a.pdf" "$tmp/b.pdf" || { echo "FAIL: two builds differ"; fail=1; }

out=$(qpdf --check "$tmp/a.pdf" 2>&1)
rc=$?
if [ $rc -ne 0 ] || grep -qi "warning" <<<"$out"; then
    echo "FAIL: qpdf --check (exit $rc):"; head -20 <<<"$out"; fail=1
fi

fonts=$(pdffonts "$tmp/a.pdf" 2>&1)
if awk 'NR > 2 && $(NF-4) != "yes" { bad = 1 } END { exit !bad }' <<<"$fonts"; then
    echo "FAIL: a font is not embedded:"; echo "$fonts"; fail=1
fi

pdftotext -enc UTF-8 "$tmp/a.pdf" "$tmp/a.txt"
command -v mutool >/dev/null && mutool draw -q -F txt -o "$tmp/m.txt" "$tmp/a.pdf" 2>/dev/null
python3 - "$tmp/x" "$tmp/a.txt" "$tmp/m.txt" <<'PY' || fail=1
import os, re, sys
import xml.etree.ElementTree as ET
dump, txt = sys.argv[1], sys.argv[2]
import unicodedata
# Ligatures (ﬁ, ﬄ) and Arabic presentation forms come back as such:
# compatibility normalisation turns them into the letters of the source.
text = unicodedata.normalize("NFKC", open(txt, encoding="utf-8").read())
# A soft hyphen that did not break a line is kept by the extraction.
text = re.sub(r"\u00ad(?!\n)", "", text)
# poppler's pdftotext drops the second letter of Arabic lam-alef ligatures
# (the PDF maps them right: MuPDF reads them back), so for right-to-left
# words MuPDF's extraction is the second witness.
second = ""
if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
    second = unicodedata.normalize("NFKC", open(sys.argv[3], encoding="utf-8").read())
# A word broken at a line end by hyphenation comes back in two pieces.
joined = re.sub(r"(\w)[-\u00ad]\n(\w)", r"\1\2", text)
have = set(re.findall(r"\w+", text)) | set(re.findall(r"\w+", joined))
rtl = set(w for w in re.findall(r"\w+", second) if re.search("[\u0590-\u08ff]", w))
have |= rtl
flat = re.sub(r"\s+", "", text)
want, missing = set(), set()
for f in sorted(os.listdir(dump)):
    if not f.endswith(".xhtml"):
        continue
    root = ET.parse(os.path.join(dump, f)).getroot()
    body = root.find("{http://www.w3.org/1999/xhtml}body")
    for w in re.findall(r"\w+", unicodedata.normalize("NFKC", " ".join(body.itertext()))):
        want.add(w)
        # CJK and other unspaced scripts: look for the run in the text
        # without line breaks.
        if w not in have and w not in flat:
            missing.add(w)
print(f"pdftotext: {len(want) - len(missing)}/{len(want)} words found")
if missing:
    print("FAIL: words missing:", sorted(missing)[:40])
    sys.exit(1)
PY

python3 "$(dirname "$0")/../tools/check_layout.py" "$tmp/layout.txt" || fail=1

python3 "$(dirname "$0")/../tools/check_pdf.py" "$tmp/a.pdf" "$tmp/x" "$SOURCE_DATE_EPOCH" || fail=1

cp "$tmp/a.pdf" "$tmp/keep.pdf"
if "$bookify" -q "$@" --theme="$tmp/no-such-theme.yml" --pdf="$tmp/a.pdf" "$site" 2>/dev/null; then
    echo "FAIL: a missing theme did not fail the build"; fail=1
fi
cmp -s "$tmp/a.pdf" "$tmp/keep.pdf" || { echo "FAIL: failed build changed the earlier PDF"; fail=1; }
leftovers=$(find "$tmp" -maxdepth 1 -name '.*' ! -name '.' | wc -l)
[ "$leftovers" -eq 0 ] || { echo "FAIL: temporary files left"; ls -a "$tmp"; fail=1; }

[ $fail -eq 0 ] && echo "ok: $(pdfinfo "$tmp/a.pdf" 2>/dev/null | awk '/^Pages/ {print $2}') pages"
exit $fail
