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
    f.write("A last claim with a very long note.[^long]\n\n")
    for i in range(40):
        f.write(f"[^n{i}]: Evidence{i} for claim {i}.\n")
    f.write("[^long]: " + " ".join(f"Longnote{k} words." for k in range(700)) + "\n")
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
    print(f"FAIL: {notes} notes at page feet, not 40"); bad += 1
# the note longer than half a page is set at the end of the chapter
text = "".join(pages)
if not all(f"Longnote{k}" in text for k in (0, 350, 699)):
    print("FAIL: the long note is not all there"); bad += 1
for l in open(sys.argv[2]):
    m = re.search(r" y ([\d.]+) w [\d.]+ h ([\d.]+)", l)
    if m and float(m.group(1)) + float(m.group(2)) > 779.5 + 0.5:
        print("FAIL: a box runs past the text block:", l.strip()); bad += 1
print(f"{40 - bad} notes on the page that cites them")
sys.exit(1 if bad else 0)
PY
