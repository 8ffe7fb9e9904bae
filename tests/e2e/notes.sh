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
# a note too long for the rest of its page goes on at the next page's foot
with open(sys.argv[1] + "/2020-01-02-cont.md", "w") as f:
    f.write("---\ntitle: Continued\n---\n")
    for i in range(9):
        f.write("Filler text for the paragraph before the note. " * 12 + "\n\n")
    f.write("The cited claim.[^c] " + "After the claim. " * 30 + "\n\n")
    for i in range(6):
        f.write(f"Later{i} paragraph text. " * 20 + "\n\n")
    f.write("[^c]: " + " ".join(f"Contnote{k} words." for k in range(200)) + "\n")
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
notes = sum(1 for l in open(sys.argv[2]) if l.startswith("  note Note n2."))
if notes != 40:
    print(f"FAIL: {notes} notes at page feet, not 40"); bad += 1
# the continued note: its start on the page of the claim, its end on the next
claim = [k for k, p in enumerate(pages) if "The cited claim" in p]
first = [k for k, p in enumerate(pages) if re.search(r"\bContnote0\b", p)]
last = [k for k, p in enumerate(pages) if re.search(r"\bContnote199\b", p)]
if not claim or first != claim or last != [claim[0] + 1]:
    print(f"FAIL: continued note on pages {first}..{last}, claim on {claim}"); bad += 1
pieces = [re.search(r"lines (\d+)-(\d+)/(\d+)", l).groups() for l in open(sys.argv[2])
          if l.startswith("  note Note n3.")]
if len(pieces) != 2 or pieces[0][0] != "0" or pieces[0][1] != pieces[1][0] or pieces[1][1] != pieces[1][2]:
    print("FAIL: the long note is not in two pieces, start then rest:", pieces); bad += 1
elif int(pieces[0][1]) < 2 or int(pieces[1][2]) - int(pieces[1][0]) < 2:
    print("FAIL: a piece of the continued note has a lone line:", pieces); bad += 1
# the note longer than a page is set at the end of the chapter
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
