#!/usr/bin/env bash
# End-to-end: footnotes are set at the foot of the page that cites them.
# A post cites forty notes over several pages; each note's words must be on
# the page of its reference, and the layout must stay inside the page.
# usage: notes.sh BOOKIFY
set -u
bookify=$1
command -v pdftotext >/dev/null || { echo "skip: pdftotext missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site/_posts"
python3 - "$tmp/site/_posts" <<'PY'
import sys
with open(sys.argv[1] + "/2020-01-01-notes.md", "w") as f:
    f.write("---\ntitle: Many Notes\n---\n")
    for i in range(40):
        f.write(f"Claim{i} is made here{'' if i % 3 else ' with more words to fill the line'}"
                f" and supported by evidence.[^n{i}] " + "Filler text for the paragraph. " * 12 + "\n\n")
    for i in range(40):
        f.write(f"[^n{i}]: Evidence{i} for claim {i}.\n")
PY
SOURCE_DATE_EPOCH=1764000000 "$bookify" -q --pdf="$tmp/n.pdf" --dump-layout="$tmp/l.txt" "$tmp/site" \
    || { echo "bookify failed"; exit 1; }
pdftotext "$tmp/n.pdf" "$tmp/n.txt"
python3 - "$tmp/n.txt" "$tmp/l.txt" <<'PY'
import re, sys
pages = open(sys.argv[1]).read().split("\f")
bad = 0
for i in range(40):
    claim = [k for k, p in enumerate(pages) if re.search(rf"\bClaim{i}\b", p)]
    note = [k for k, p in enumerate(pages) if re.search(rf"\bEvidence{i}\b", p)]
    if not claim or not note or note[0] != claim[0]:
        print(f"FAIL: note {i} on page {note} but cited on page {claim}")
        bad += 1
notes = sum(1 for l in open(sys.argv[2]) if l.startswith("  note "))
if notes != 40:
    print(f"FAIL: {notes} notes placed, not 40"); bad += 1
print(f"{40 - bad} notes on the page that cites them")
sys.exit(1 if bad else 0)
PY
