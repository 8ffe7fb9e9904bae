#!/usr/bin/env bash
# End-to-end: the EPUB of SITE passes epubcheck with no error and no
# warning, opens in a second reader (mutool) with its text there, is
# byte-identical when built twice, starts with a stored `mimetype`, and is
# replaced whole: a failed build leaves the earlier file and no temporary
# file. usage: epub.sh BOOKIFY SITE [bookify args...]  (77 = skipped)
set -u
bookify=$1 site=$2
shift 2
[ -d "$site" ] || { echo "skip: no $site"; exit 77; }
jar=/usr/share/java/epubcheck.jar
[ -f "$jar" ] && command -v java >/dev/null || { echo "skip: epubcheck missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
fail=0

"$bookify" -q "$@" --epub="$tmp/a.epub" "$site" || { echo "bookify failed"; exit 1; }
"$bookify" -q "$@" --epub="$tmp/b.epub" "$site" || { echo "bookify failed (2)"; exit 1; }
cmp -s "$tmp/a.epub" "$tmp/b.epub" || { echo "FAIL: two builds differ"; fail=1; }

out=$(java -jar "$jar" "$tmp/a.epub" 2>&1)
if ! grep -q "Messages: 0 fatals / 0 errors / 0 warnings" <<<"$out"; then
    echo "FAIL: epubcheck:"; grep -E "ERROR|WARNING|FATAL|Messages" <<<"$out" | head -30; fail=1
fi

# Files are deflated on worker threads and copied into the zip as they
# are: every entry's size and CRC must still check out.
unzip -tq "$tmp/a.epub" >/dev/null || { echo "FAIL: unzip -t finds a damaged entry"; fail=1; }
python3 - "$tmp/a.epub" <<'PY' || fail=1
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = [i.filename for i in z.infolist()
       if i.filename != "mimetype" and not i.filename.endswith((".jpg", ".png", ".gif", ".webp"))
       and i.compress_type != zipfile.ZIP_DEFLATED]
if bad:
    print("FAIL: entries not deflated:", bad[:5]); sys.exit(1)
PY

first=$(unzip -Z1 "$tmp/a.epub" | head -1)
[ "$first" = "mimetype" ] || { echo "FAIL: first entry is '$first'"; fail=1; }
unzip -Zv "$tmp/a.epub" mimetype | grep -q "compression method: *none (stored)" || { echo "FAIL: mimetype compressed"; fail=1; }

# A second, independent reader: every chapter's words are in mutool's text.
if command -v mutool >/dev/null; then
    "$bookify" -q "$@" --check --dump-xhtml="$tmp/x" "$site" >/dev/null 2>&1 \
        || { echo "FAIL: --dump-xhtml"; fail=1; }
    mutool draw -q -F txt -o "$tmp/book.txt" "$tmp/a.epub" 2>/dev/null \
        || { echo "FAIL: mutool cannot read the EPUB"; fail=1; }
    python3 - "$tmp/x" "$tmp/book.txt" <<'PY' || fail=1
import os, re, sys
import xml.etree.ElementTree as ET
dump, txt = sys.argv[1], sys.argv[2]
text = open(txt, encoding="utf-8", errors="replace").read()
# mutool joins lines and may break words at line ends: compare ASCII words
# of three letters or more, which survive every reader's text extraction.
have = set(re.findall(r"[A-Za-z]{3,}", text))
want, missing = set(), set()
for f in sorted(os.listdir(dump)):
    if not f.endswith(".xhtml"):
        continue
    root = ET.parse(os.path.join(dump, f)).getroot()
    body = root.find("{http://www.w3.org/1999/xhtml}body")
    words = set(re.findall(r"[A-Za-z]{3,}", " ".join(body.itertext())))
    want |= words
    missing |= {w for w in words if w not in have}
print(f"mutool: {len(want) - len(missing)}/{len(want)} words found")
if not want:
    print("FAIL: no chapter words to look for (the dump is empty)")
    sys.exit(1)
if len(missing) > max(3, len(want) // 200):
    print("FAIL: words missing in mutool's text:", sorted(missing)[:30])
    sys.exit(1)
PY
fi

# Replaced whole: a failing build (an unreadable style sheet) leaves the
# earlier file as it was and no temporary file.
cp "$tmp/a.epub" "$tmp/keep.epub"
if "$bookify" -q "$@" --css="$tmp/no-such.css" --epub="$tmp/a.epub" "$site" 2>/dev/null; then
    echo "FAIL: a missing --css file did not fail the build"; fail=1
fi
cmp -s "$tmp/a.epub" "$tmp/keep.epub" || { echo "FAIL: failed build changed the earlier EPUB"; fail=1; }
leftovers=$(find "$tmp" -maxdepth 1 -name '.*' ! -name '.' | wc -l)
[ "$leftovers" -eq 0 ] || { echo "FAIL: temporary files left:"; ls -a "$tmp"; fail=1; }

[ $fail -eq 0 ] && echo "ok: $(unzip -Z1 "$tmp/a.epub" | wc -l) files, epubcheck clean"
exit $fail
