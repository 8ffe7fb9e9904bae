#!/usr/bin/env bash
# End-to-end: hostile layouts still make a good PDF. A 5,000-row table is
# all there; two ids before any text both take links; a list item that
# opens with a picture keeps its number; lists nested thirty deep stay in
# the text block. qpdf, check_layout.py and check_pdf.py check the result.
# usage: layout.sh BOOKIFY
set -u
bookify=$1
for t in qpdf pdftotext python3; do
    command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site/_posts"
python3 - "$tmp/site" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
raw = b"".join(b"\0" + b"\x60" * 120 for _ in range(80))
open(d + "/pic.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 120, 80, 8, 0, 0, 0, 0))
                                 + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
rows = "".join(f"| Row{i} | value {i} |\n" for i in range(5000))
open(d + "/_posts/2020-01-01-table.md", "w").write(
    "---\ntitle: Long Table\n---\n\n| Name | Value |\n|---|---|\n" + rows)
open(d + "/_posts/2020-01-02-ids.md", "w").write(
    "---\ntitle: Ids\n---\n\nGo to [outer](#outer) and [inner](#inner).\n\n"
    '<div id="outer">\n<p id="inner">Inner paragraph text.</p>\n</div>\n\n'
    "7. ![a picture](/pic.png)\n8. Itemtext after the picture\n")
nest = "".join("  " * i + f"- Depth{i} item text\n" for i in range(30))
open(d + "/_posts/2020-01-03-nest.md", "w").write("---\ntitle: Nested\n---\n\n" + nest)
PY
export SOURCE_DATE_EPOCH=1764000000
timeout 500 "$bookify" -q --pdf="$tmp/o.pdf" --dump-layout="$tmp/l.txt" --dump-xhtml="$tmp/x" "$tmp/site" \
    || { echo "FAIL: bookify failed"; exit 1; }
fail=0
qpdf --check "$tmp/o.pdf" >/dev/null 2>&1 || { echo "FAIL: qpdf --check"; fail=1; }
python3 "$(dirname "$0")/../tools/check_layout.py" "$tmp/l.txt" || fail=1
python3 "$(dirname "$0")/../tools/check_pdf.py" "$tmp/o.pdf" "$tmp/x" "$SOURCE_DATE_EPOCH" >"$tmp/s.txt" \
    || { grep FAIL "$tmp/s.txt"; fail=1; }
pdftotext "$tmp/o.pdf" "$tmp/o.txt"
python3 - "$tmp/o.txt" "$tmp/o.pdf" <<'PY' || fail=1
import re, subprocess, sys
text = open(sys.argv[1]).read()
bad = 0
missing = [i for i in range(5000) if f"Row{i}\n" not in text and f"Row{i} " not in text]
if missing:
    print(f"FAIL: {len(missing)} table rows missing, e.g. Row{missing[0]}"); bad += 1
if not re.search(r"^7\.", text, re.M):
    print("FAIL: the list item opening with a picture lost its number"); bad += 1
if "Depth29" not in text:
    print("FAIL: the deepest list item is missing"); bad += 1
dests = subprocess.run(["qpdf", "--json=2", "--json-key=qpdf", sys.argv[2]], capture_output=True,
                       text=True).stdout
for name in ("outer", "inner"):
    if f'"/Dest": "u:{name}"' not in dests:
        print(f"FAIL: the link to #{name} is gone"); bad += 1
sys.exit(1 if bad else 0)
PY
[ $fail -eq 0 ] && echo "ok: hostile layouts laid out"
exit $fail
