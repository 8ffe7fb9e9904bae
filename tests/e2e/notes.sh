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
# a second long note cut while the first is still being carried
def carry_post(name, title, between, image=False):
    with open(sys.argv[1] + f"/{name}.md", "w") as f:
        f.write(f"---\ntitle: {title}\n---\n\n")
        for i in range(8):
            f.write("Filler text for the first page of it. " * 12 + "\n\n")
        f.write(f"The {title}X claim.[^x] " + "After X. " * 20 + "\n\n")
        if image:  # an image opening a page that carries the note's rest
            f.write("![a tall picture](/tall.png)\n\n")
        for i in range(between):
            f.write("Second page filler text here. " * 12 + "\n\n")
        f.write(f"The {title}Y claim.[^y] " + "After Y. " * 20 + "\n\n")
        for i in range(8):
            f.write("Tail filler text again. " * 12 + "\n\n")
        f.write("[^x]: " + " ".join(f"{title}Xw{k}." for k in range(700)) + "\n")
        f.write("[^y]: " + " ".join(f"{title}Yw{k}." for k in range(300)) + "\n")
carry_post("2020-01-03-carry", "Carry", 2)
carry_post("2020-01-04-image", "Image", 0, image=True)
# a tall PNG (400 x 900, grey)
import struct, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + b"\x80" * 400 for _ in range(900))
with open(sys.argv[1] + "/../tall.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 400, 900, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
# tables: a note cited only from a cell; a header row taller than a page
with open(sys.argv[1] + "/2020-01-05-tables.md", "w") as f:
    f.write("---\ntitle: Tables\n---\n\n| Col | Val |\n|-----|-----|\n| cited in a cell[^tab] | x |\n\n")
    f.write("| " + " ".join(f"Head{k}" for k in range(1500)) + " | h |\n|---|---|\n")
    f.write("| " + " ".join(f"Cell{k}" for k in range(1500)) + " | c |\n\n")
    f.write("[^tab]: Tablenote cited only from a table cell.\n")
# a note cited twice, pages apart: set once, at its first reference
with open(sys.argv[1] + "/2020-01-06-twice.md", "w") as f:
    f.write("---\ntitle: Twice\n---\n\nFirst cite.[^d]\n\n")
    for i in range(12):
        f.write("Filler text here. " * 40 + "\n\n")
    f.write("Second cite.[^d]\n\n[^d]: Dupnote set once.\n")
PY
SOURCE_DATE_EPOCH=1764000000 timeout 300 "$bookify" -q --pdf="$tmp/n.pdf" --dump-layout="$tmp/l.txt" \
    --dump-xhtml="$tmp/x" "$tmp/site" || { echo "bookify failed"; exit 1; }
pdftotext "$tmp/n.pdf" "$tmp/n.txt"
python3 "$(dirname "$0")/../tools/check_layout.py" "$tmp/l.txt" || exit 1
python3 "$(dirname "$0")/../tools/check_pdf.py" "$tmp/n.pdf" "$tmp/x" 1764000000 >"$tmp/s.txt" \
    || { grep FAIL "$tmp/s.txt"; exit 1; }
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
flat = re.sub(r"\s+", " ", text)
for title, n in (("CarryX", 700), ("CarryY", 300), ("ImageX", 700), ("ImageY", 300)):
    gone = [k for k in range(n) if f"{title[:-1]}{title[-1]}w{k}." not in flat]
    if gone:
        print(f"FAIL: {len(gone)} words of note {title} missing, e.g. {gone[:5]}"); bad += 1
if "Tablenote" not in text:
    print("FAIL: the note cited from a table cell is missing"); bad += 1
if text.count("Dupnote set once") != 1:
    print(f"FAIL: a note cited twice is set {text.count('Dupnote set once')} times"); bad += 1
if not all(f"Head{k}" in text and f"Cell{k}" in text for k in (0, 777, 1499)):
    print("FAIL: the table with a header taller than a page is not all there"); bad += 1
print(f"{40 - bad} notes on the page that cites them")
sys.exit(1 if bad else 0)
PY
