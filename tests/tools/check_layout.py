#!/usr/bin/env python3
"""Check a PDF layout dump (bookify --dump-layout=FILE).

usage: check_layout.py LAYOUT

- every box (text, image, rule, table row, footnote) is inside the page's
  text block, and no box overlaps the one above it, footnotes included;
- a broken text block keeps two lines at least on each side of a break
  (no orphan, no widow); no page ends with a heading;
- every footnote is set whole exactly once: its pieces, across pages, are
  lines 0-a, a-b, ... up to its last line, in order, on following pages.
Exit 0 when all is well, 1 with a report otherwise.
"""
import re
import sys


def main():
    bad = 0
    pages = []
    for line in open(sys.argv[1]):
        m = re.match(r"page (\d+) .* text-block ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", line)
        if m:
            pages.append((int(m.group(1)), tuple(map(float, m.groups()[1:])), []))
            continue
        m = re.match(r"  (\w+) (\S+) ([bn][\d.]+) lines (\d+)-(\d+)/(\d+) x ([-\d.]+) y ([-\d.]+) "
                     r"w ([-\d.]+) h ([-\d.]+)", line)
        if m:
            kind, tag, block = m.group(1), m.group(2), m.group(3)
            a, z, n = int(m.group(4)), int(m.group(5)), int(m.group(6))
            x, y, w, h = map(float, m.groups()[6:])
            pages[-1][2].append((kind, tag, block, a, z, n, x, y, w, h))

    def fail(msg):
        nonlocal bad
        print("FAIL:", msg)
        bad += 1

    notes = {}
    for page, (l, t, r, b), boxes in pages:
        prev = None
        for kind, tag, block, a, z, n, x, y, w, h in boxes:
            if x < l - 0.5 or x + w > r + 0.5 or y < t - 0.5 or y + h > b + 0.5:
                fail(f"page {page}: {kind} {tag} leaves the text block: x {x} y {y} w {w} h {h}")
            if prev is not None and y < prev - 0.5:
                fail(f"page {page}: {kind} {tag} {block} at y {y} overlaps the box above (ends {prev})")
            prev = y + h
            if kind == "text" and (a > 0 or z < n) and z - a < 2 and n >= 2:
                fail(f"page {page}: {tag} {block} has a lone line ({a}-{z} of {n}) at a page break")
            if kind == "note":
                notes.setdefault(block, []).append((page, a, z, n))
        body = [bx for bx in boxes if bx[0] != "note"]
        if len(body) > 1 and body[-1][1] in ("H1", "H2", "H3", "H4", "H5", "H6"):
            fail(f"page {page}: the page ends with a heading ({body[-1][2]})")
    for note, pieces in notes.items():
        want = 0
        for i, (page, a, z, n) in enumerate(pieces):
            if a != want or z <= a:
                fail(f"footnote {note}: piece {a}-{z} on page {page}, expected lines from {want}")
                break
            if i and page != pieces[i - 1][0] + 1:
                fail(f"footnote {note}: continued on page {page}, not on the page after {pieces[i - 1][0]}")
            want = z
        else:
            if want != pieces[-1][3]:
                fail(f"footnote {note}: lines {want}-{pieces[-1][3]} never set")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
