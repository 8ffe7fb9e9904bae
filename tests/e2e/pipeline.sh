#!/usr/bin/env bash
# End-to-end: the PDF's pages are drawn on a thread of their own while the
# next chapters are broken into lines, the contents last (they need every
# page number) and put back in their place by the finishing pass
# (src/pdf/draw.c, "drawing beside line breaking"; src/pdf/finish.c).
# - The bytes are those of the PDF drawn after line breaking
#   (BOOKIFY_NO_PIPELINE=1) and of -j 1, on books with footnotes, tables,
#   images, links forward to later posts and to nowhere, parts, a blank
#   page before every chapter, many scripts, characters no font has (a
#   box, drawn with the lock), and a long book's way: a
#   window of one chapter's glyphs waiting for the drawing, the others laid
#   out again before they are drawn.
# - The contents are where a reader expects them: their page follows the
#   title pages, the page labels run i, ii... then 1, 2..., the bookmarks
#   go forward through the book, and the structure tree (what a screen
#   reader follows) has the contents' heading before the first chapter's.
# - cairo given each font file's face once (src/pdf/ftfaces.c) gives the
#   bytes of cairo opening its own (BOOKIFY_NO_KEPT_FACES=1); cairo's font
#   subsets left stored by cairo and compressed by the finishing pass
#   (src/pdf/cairozlib.c) give the text and the pages of zlib's
#   (BOOKIFY_CAIRO_ZLIB=1), and no stream stays stored.
# - Every font a laid-out text uses is held (a drawn chapter is then freed
#   without the lock), and the handbook's small layouts (running heads,
#   list markers) are made once and reused.
# - cairo's file is finished as cairo writes it, every object of it, to
#   the bytes of finishing it at the end (BOOKIFY_NO_EARLY_FINISH=1).
# - A book that fails while its pages are drawn (--strict) leaves the
#   earlier PDF and no temporary file.
# BK_SHORT=1 (under the sanitizers): the handbook, the links with a window
# of one chapter and the failing book only (the release build does all).
# usage: pipeline.sh BOOKIFY SOURCE_DIR
set -u
bookify=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
fail=0

# same NAME SITE [bookify options...]: pipelined, after line breaking, -j 1
same() {
    local name=$1 site=$2 before=$fail
    shift 2
    BOOKIFY_TIMES=1 "$bookify" -q "$@" --pdf="$tmp/$name.pdf" "$site" 2>"$tmp/$name.err" ||
        { echo "FAIL: $name: bookify failed"; cat "$tmp/$name.err"; fail=1; return; }
    grep -q '^pdf: pages drawn on a thread of their own while lines were broken$' "$tmp/$name.err" ||
        { echo "FAIL: $name: the pages were not drawn beside line breaking"; fail=1; return; }
    # cairo's file finished as it was written, every object of it
    # (finish.c, "finishing as cairo writes"), checked by the same bytes
    # as below
    grep -Eq "^pdf: ([1-9][0-9]*) of cairo's \1 objects finished as it wrote them$" "$tmp/$name.err" ||
        { echo "FAIL: $name: $(grep "objects finished" "$tmp/$name.err")"; fail=1; }
    # the drawing prepares the pages ready in batches, one taking of the
    # lock each (the handbook's 26 pages in fewer than 26)
    [ "${name%-relaid}" != handbook ] ||
        awk '/^pdf: [0-9]+ pages prepared for the drawing in [0-9]+ takings of the lock$/ { found = 1; if ($9 + 0 >= $2 + 0) bad = 1 }
             END { exit !(found && !bad) }' "$tmp/$name.err" ||
        { echo "FAIL: $name: $(grep "pages prepared" "$tmp/$name.err")"; fail=1; }
    # a drawn chapter is freed without the lock only when its fonts are held
    grep -Eq '^pdf: [1-9][0-9]* fonts held while drawn chapters were freed without the lock$' \
        "$tmp/$name.err" || { echo "FAIL: $name: no font held for freeing without the lock"; fail=1; }
    # the handbook's running heads, feet and list markers repeat: their
    # layouts are kept
    [ "${name%-relaid}" != handbook ] ||
        grep -Eq '^pdf: [0-9]+ small layouts made for the drawing, [1-9][0-9]* reused$' \
            "$tmp/$name.err" || { echo "FAIL: $name: no small layout reused"; fail=1; }
    BOOKIFY_NO_PIPELINE=1 BOOKIFY_TIMES=1 "$bookify" -q "$@" --pdf="$tmp/$name-after.pdf" "$site" \
        2>"$tmp/$name-after.err" || { echo "FAIL: $name: BOOKIFY_NO_PIPELINE=1 failed"; fail=1; return; }
    grep -q '^pdf: pages drawn after line breaking$' "$tmp/$name-after.err" ||
        { echo "FAIL: $name: BOOKIFY_NO_PIPELINE=1 still drew beside line breaking"; fail=1; return; }
    "$bookify" -q -j 1 "$@" --pdf="$tmp/$name-j1.pdf" "$site" ||
        { echo "FAIL: $name: -j 1 failed"; fail=1; return; }
    cmp -s "$tmp/$name.pdf" "$tmp/$name-after.pdf" ||
        { echo "FAIL: $name: the PDF differs from the one drawn after line breaking"; fail=1; }
    cmp -s "$tmp/$name.pdf" "$tmp/$name-j1.pdf" ||
        { echo "FAIL: $name: the PDF differs from the one made with -j 1"; fail=1; }
    qpdf --check "$tmp/$name.pdf" >/dev/null 2>&1 ||
        { echo "FAIL: $name: qpdf --check"; qpdf --check "$tmp/$name.pdf" | tail -3; fail=1; }
    python3 - "$tmp/$name.pdf" <<'PY' || { echo "FAIL: $name: the contents are out of place"; fail=1; }
import json, re, subprocess, sys
pdf = sys.argv[1]
j = json.loads(subprocess.run(["qpdf", "--json", "--json-key=pagelabels", "--json-key=outlines",
                               "--json-key=pages", pdf], capture_output=True, text=True).stdout)
npages = len(j["pages"])
# page labels: roman numbers for the front matter, then 1, 2, ... from the body
labels = [None] * npages
for r in j["pagelabels"]:
    labels[r["index"]] = r["label"]
style, start, out = None, 1, []
for i in range(npages):
    if labels[i] is not None:
        lab = labels[i]
        style, start, base = lab.get("/S"), lab.get("/St", 1), i
        prefix = lab.get("/P", "")
    out.append(prefix if style is None else f"{prefix}{start + i - base}")
body = [k for k, l in enumerate(out) if l.isdigit()]
assert body and out[body[0]] == "1", out[:12]
assert all(not re.fullmatch(r"u:[ivxlc]+", l) for l in out[body[0]:]), out
# the contents' heading: its page is a front page, in the order of the book
def text(first, last=None):
    return subprocess.run(["pdftotext", "-f", str(first), "-l", str(last or first), pdf, "-"],
                          capture_output=True, text=True).stdout
tops = [(o["title"], o["destpageposfrom1"]) for o in j["outlines"]]
pages = [p for _, p in tops]
assert pages == sorted(pages), tops
names = [t for t, _ in tops]
c = names.index("Contents")
cpage = tops[c][1]
assert cpage < body[0] + 1 and "Contents" in text(cpage), (tops, out[:12])
assert tops[c + 1][1] >= body[0] + 1, tops
# screen readers: the contents' heading before the first chapter's
st = subprocess.run(["pdfinfo", "-struct-text", pdf], capture_output=True, text=True).stdout
h1 = re.findall(r'^H1 \(block\)\n\s+"(.*)"', st, re.M)
assert "Contents" in h1, h1[:5]
first = tops[c + 1][0]
later = [k for k, t in enumerate(h1) if t and first.startswith(t[:20])]
assert later and h1.index("Contents") < later[0], (h1[:8], first)
PY
    [ $fail = "$before" ] && echo "ok: $name"
}

short=${BK_SHORT:-0}
same handbook "$src/samples/handbook"
if [ "$short" = 0 ]; then
    same code-tour "$src/samples/code-tour"
    mkdir -p "$tmp/scripts"
    python3 "$src/tests/e2e/scripts-site.py" "$tmp/scripts"
    same scripts "$tmp/scripts"
fi

# Links forward to a later post's heading and footnote, to a post's own
# later heading, to nowhere; parts (categories); a chapter on a right-hand
# page each (a blank page before most); notes that run on.
mkdir -p "$tmp/links/_posts"
cat >"$tmp/links/bookify.yml" <<'YML'
title: Forward
author: A. Tester
order: category
theme: recto.yml
YML
printf 'page:\n  chapter-recto: true\n' >"$tmp/links/recto.yml"
python3 - "$tmp/links/_posts" <<'PY'
import sys
d = sys.argv[1]
para = "A paragraph that says enough to wrap over a few lines of the page. " * 8
for i in range(1, 13):
    nxt = i + 3
    body = (f"## Section {i}\n\n{para}\n\nSee [the later one](/p{nxt}/#later-{nxt}), "
            f"and [my own end](#later-{i}), [nowhere](#no-such-{i}) "
            f"and [nothing](/p99/#none).[^{i}]\n\n[^{i}]: {para}\n\n"
            + "\n\n".join([para] * (i % 4 + 2))
            + f"\n\n## Later {i}\n\n{para}\n")
    open(f"{d}/2024-01-{i:02d}-p{i}.md", "w").write(
        f"---\ntitle: Post {i}\npermalink: /p{i}/\ncategories: [{'One' if i < 7 else 'Two'}]\n---\n\n"
        + body)
PY
[ "$short" = 0 ] && same links "$tmp/links"
# A character no font has (drawn as a box: the drawing thread takes the
# lock for such a line), and the same book under --strict: it fails while
# its pages are being drawn; the earlier PDF stays, no temporary file.
mkdir -p "$tmp/boxes/_posts"
for i in 1 2 3 4 5 6; do
    printf -- '---\ntitle: Post %d\n---\n\nText %d with \xf4\x8f\xbf\xbd, no font has it; see [the last](/p6/#head).\n\n## Head\n\nMore.\n' \
        "$i" "$i" >"$tmp/boxes/_posts/2024-01-0$i-p$i.md"
done
[ "$short" = 0 ] && same boxes "$tmp/boxes"
echo "the earlier book" >"$tmp/strict.pdf"
if "$bookify" -q --strict --pdf="$tmp/strict.pdf" "$tmp/boxes" 2>/dev/null; then
    echo "FAIL: strict: a book with characters no font has did not fail"; fail=1
fi
[ "$(cat "$tmp/strict.pdf")" = "the earlier book" ] ||
    { echo "FAIL: strict: the failed build changed the earlier PDF"; fail=1; }
[ -z "$(find "$tmp" -maxdepth 1 \( -name '.strict.pdf*' -o -name '.bk-*' \))" ] ||
    { echo "FAIL: strict: a temporary file stays"; fail=1; }

# and laid out again before drawing, the later half by the helper process
# (a window of one chapter: the main thread waits for the drawing, and a
# chapter is laid out again when the drawing waits for a link's chapter)
export BOOKIFY_LAYOUT_BUDGET=0
same links-relaid "$tmp/links"
grep -q '^pdf: [1-9][0-9]* chapters kept their glyphs for the drawing, [1-9][0-9]* laid out again$' \
    "$tmp/links-relaid.err" ||
    { echo "FAIL: links-relaid: $(grep 'kept their glyphs' "$tmp/links-relaid.err")"; fail=1; }
[ "$short" = 0 ] && same handbook-relaid "$src/samples/handbook"
unset BOOKIFY_LAYOUT_BUDGET

# the same drawing, its file finished only at the end
if [ "$short" = 0 ]; then
    BOOKIFY_NO_EARLY_FINISH=1 BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/handbook-late.pdf" \
        "$src/samples/handbook" 2>"$tmp/handbook-late.err" ||
        { echo "FAIL: BOOKIFY_NO_EARLY_FINISH=1 failed"; fail=1; }
    grep -q "^pdf: 0 of cairo's [1-9][0-9]* objects finished as it wrote them$" "$tmp/handbook-late.err" ||
        { echo "FAIL: BOOKIFY_NO_EARLY_FINISH=1: $(grep "objects finished" "$tmp/handbook-late.err")"; fail=1; }
    cmp -s "$tmp/handbook.pdf" "$tmp/handbook-late.pdf" ||
        { echo "FAIL: handbook: the PDF differs from the one finished at the end"; fail=1; }
fi

# cairo's faces: each font file's opened once by bookify, or cairo's own
for name in $([ "$short" = 0 ] && echo handbook scripts); do
    BOOKIFY_NO_KEPT_FACES=1 BOOKIFY_TIMES=1 "$bookify" -q \
        --pdf="$tmp/$name-faces.pdf" "$([ $name = handbook ] && echo "$src/samples/handbook" ||
                                        echo "$tmp/scripts")" 2>"$tmp/$name-faces.err" ||
        { echo "FAIL: $name: BOOKIFY_NO_KEPT_FACES=1 failed"; fail=1; continue; }
    grep -q '^pdf: 0 font files' "$tmp/$name-faces.err" ||
        { echo "FAIL: $name: BOOKIFY_NO_KEPT_FACES=1 still kept faces"; fail=1; }
    grep -q '^pdf: pages drawn after line breaking$' "$tmp/$name-faces.err" ||
        { echo "FAIL: $name: BOOKIFY_NO_KEPT_FACES=1 drew beside line breaking"; fail=1; }
    grep -q '^pdf: [1-9][0-9]* font files' "$tmp/$name.err" ||
        { echo "FAIL: $name: no font file's face was kept"; fail=1; }
    cmp -s "$tmp/$name.pdf" "$tmp/$name-faces.pdf" ||
        { echo "FAIL: $name: the PDF differs from the one with cairo's own faces"; fail=1; }
done
[ "$short" = 0 ] && [ $fail = 0 ] && echo "ok: faces"

# cairo's font subsets and other streams left stored by cairo, compressed
# by the finishing pass
# (src/pdf/cairozlib.c): other bytes than zlib's, the same text and pages.
before=$fail
for name in $([ "$short" = 0 ] && echo handbook scripts); do
    site=$([ $name = handbook ] && echo "$src/samples/handbook" || echo "$tmp/scripts")
    BOOKIFY_CAIRO_ZLIB=1 BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$name-zlib.pdf" "$site" \
        2>"$tmp/$name-zlib.err" || { echo "FAIL: $name: BOOKIFY_CAIRO_ZLIB=1 failed"; fail=1; continue; }
    grep -q "^pdf: [1-9][0-9]* of cairo's streams left stored for the finishing pass$" "$tmp/$name.err" ||
        { echo "FAIL: $name: no stream of cairo's left stored"; fail=1; }
    grep -q "^pdf: 0 of cairo's streams left stored for the finishing pass$" "$tmp/$name-zlib.err" ||
        { echo "FAIL: $name: BOOKIFY_CAIRO_ZLIB=1 still left streams stored"; fail=1; }
    # every stream compressed in the end: none starts with a stored block
    # (libdeflate's level 0 writes the zlib header 78 01)
    for pdf in "$tmp/$name.pdf" "$tmp/$name-late.pdf"; do
        [ -f "$pdf" ] || continue
        python3 -c 'import sys; sys.exit(open(sys.argv[1], "rb").read().count(b"stream\nx\x01") != 0)' "$pdf" ||
            { echo "FAIL: $name: a stream of ${pdf##*/} is left stored"; fail=1; }
    done
    pdftotext "$tmp/$name.pdf" "$tmp/$name.txt" && pdftotext "$tmp/$name-zlib.pdf" "$tmp/$name-zlib.txt" &&
        cmp -s "$tmp/$name.txt" "$tmp/$name-zlib.txt" ||
        { echo "FAIL: $name: the text differs from the PDF with cairo's zlib"; fail=1; }
    mkdir -p "$tmp/png-$name"
    pdftoppm -png -r 30 "$tmp/$name.pdf" "$tmp/png-$name/a" &&
        pdftoppm -png -r 30 "$tmp/$name-zlib.pdf" "$tmp/png-$name/b" ||
        { echo "FAIL: $name: pdftoppm"; fail=1; continue; }
    for a in "$tmp/png-$name"/a-*.png; do
        cmp -s "$a" "${a%/a-*}/b-${a##*/a-}" ||
            { echo "FAIL: $name: page ${a##*/a-} looks different with cairo's zlib"; fail=1; break; }
    done
done
[ "$short" = 0 ] && [ $fail = "$before" ] && echo "ok: cairo's streams"
exit $fail
