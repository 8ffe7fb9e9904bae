#!/usr/bin/env bash
# End-to-end: Chinese and Japanese are set as their readers expect.
# - a line break in the source between two CJK characters is no space
#   (Korean keeps its spaces);
# - justified paragraphs without spaces still reach the right margin on
#   every line but the last (the layout dump's "ragged" count is 0);
# - all the text comes back from the PDF, emoji too (set in outline, not
#   as images);
# - cairo's check of each CJK font (a CFF table of 16-23 MB) reads only
#   the table's head, and its subsetting only the structures and the
#   glyphs drawn (src/pdf/ftfaces.c, cff.c); the PDF is the same bytes as
#   with the whole tables read (BOOKIFY_FULL_CFF=1), and as with the rest
#   of cairo's buffers filled with garbage (BOOKIFY_CFF_POISON=1: cairo
#   never reads what was left out).
# usage: cjk.sh BOOKIFY
set -u
bookify=$1
command -v pdftotext >/dev/null || { echo "skip: pdftotext missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site"
python3 - "$tmp/site" <<'PY'
import sys
d = sys.argv[1]
zh = "中文排版的基本要求是每一行的两端都要对齐，标点符号不能出现在行首，而且全角字符之间不需要空格。"
ja = "日本語の文章には単語の間に空白がありません。そのため、行を折り返す位置は文字と文字の間で決まります。"
ko = "한국어는 단어 사이에 띄어쓰기를 합니다."
def wrap(s, n):
    return "\n".join(s[i:i + n] for i in range(0, len(s), n))
open(d + "/2024-01-01-zh.md", "w").write(
    "---\ntitle: 中文排版\nlang: zh\n---\n\n" + wrap(zh * 7, 23) + "\n\n" + zh * 3 + "\n")
open(d + "/2024-01-02-ja.md", "w").write(
    "---\ntitle: 日本語の組版\nlang: ja\n---\n\n" + wrap(ja * 6, 19) + "\n\n*強調*\nの後も空白なし。\n")
open(d + "/2024-01-04-emoji.md", "w").write(
    "---\ntitle: Emoji\n---\n\nParty 🎉 time 😀 and a heart ❤ in outline.\n")
open(d + "/2024-01-03-ko.md", "w").write(
    "---\ntitle: 한국어\nlang: ko\n---\n\n한국어는 단어\n사이에 띄어쓰기를 합니다.\n")
PY
"$bookify" -q --pdf="$tmp/o.pdf" --dump-layout="$tmp/l.txt" --dump-xhtml="$tmp/x" "$tmp/site" \
    || { echo "FAIL: bookify failed"; exit 1; }
pdftotext "$tmp/o.pdf" "$tmp/o.txt"
BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/h.pdf" "$tmp/site" 2>"$tmp/h.err" &&
    BOOKIFY_FULL_CFF=1 BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/f.pdf" "$tmp/site" 2>"$tmp/f.err" &&
    BOOKIFY_CFF_POISON=1 "$bookify" -q --pdf="$tmp/p.pdf" "$tmp/site" ||
    { echo "FAIL: bookify failed"; exit 1; }
heads=$(sed -n 's/^pdf: \([0-9]*\) CFF tables read in part.*/\1/p' "$tmp/h.err")
full=$(sed -n 's/^pdf: \([0-9]*\) CFF tables read in part.*/\1/p' "$tmp/f.err")
parts=$(sed -n 's/^pdf: \([0-9]*\) CFF tables read for the glyphs drawn.*/\1/p' "$tmp/h.err")
fparts=$(sed -n 's/^pdf: \([0-9]*\) CFF tables read for the glyphs drawn.*/\1/p' "$tmp/f.err")
if fc-list | grep -q 'CJK.*\.ttc'; then
    [ "${heads:-0}" -ge 2 ] && [ "$full" = 0 ] ||
        { echo "FAIL: CFF heads read: ${heads:-none} (full: ${full:-none}), expected 2 or more (0)"; exit 1; }
    [ "${parts:-0}" -ge 2 ] && [ "$fparts" = 0 ] ||
        { echo "FAIL: CFF tables read for the glyphs drawn: ${parts:-none} (full: ${fparts:-none}), expected 2 or more (0)"; exit 1; }
fi
cmp -s "$tmp/h.pdf" "$tmp/f.pdf" || { echo "FAIL: the PDF differs with the CFF tables read whole"; exit 1; }
cmp -s "$tmp/p.pdf" "$tmp/f.pdf" ||
    { echo "FAIL: cairo read a part of a CFF table that was left out (BOOKIFY_CFF_POISON=1)"; exit 1; }
python3 - "$tmp" <<'PY'
import re, sys, unicodedata
tmp = sys.argv[1]
bad = 0
def fail(m):
    global bad
    print("FAIL:", m); bad += 1
import glob
docs = [open(f).read() for f in sorted(glob.glob(tmp + "/x/*.xhtml"))]
def doc(title):
    found = [d for d in docs if f"<h1>{title}</h1>" in d or f">{title}</h1>" in d]
    if not found:
        fail(f"no chapter titled {title}")
        return ""
    return found[0]
zh, ja, ko = doc("中文排版"), doc("日本語の組版"), doc("한국어")
for name, d in (("zh", zh), ("ja", ja)):
    for para in re.findall(r"<p>(.*?)</p>", d, re.S):
        m = re.search(r"[\u3000-\u9fff\uff00-\uffef]\s+[\u3000-\u9fff\uff00-\uffef]", re.sub("<[^>]+>", "", para))
        if m:
            fail(f"{name}: a source line break left a space between CJK characters: {m.group(0)!r}")
if "単語の間に空白" not in ja or "の後も空白なし" not in ja or "</em>の後も" not in ja:
    fail("ja: the text around a line break is not joined")
if not re.search(r"단어\s+사이에", ko):
    fail("ko: Korean lost the space of its line break")
# every justified CJK paragraph reaches the margin
blocks = [l for l in open(tmp + "/l.txt") if re.match(r"  text P b[23]\.", l)]
multi = [l for l in blocks if re.search(r"lines \d+-\d+/([3-9]|\d\d)", l)]
if len(multi) < 3:
    fail(f"expected three long CJK paragraphs in the layout, found {len(multi)}")
for l in multi:
    m = re.search(r"ragged (\d+)", l)
    if not m:
        fail("a CJK paragraph is not justified: " + l.strip())
    elif m.group(1) != "0":
        fail("a CJK line stops short of the margin: " + l.strip())
text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", open(tmp + "/o.txt").read()))
for s in ("Party🎉time😀andaheart❤", "中文排版的基本要求是每一行的两端都要对齐", "全角字符之间不需要空格", "行を折り返す位置は文字と文字の間で決まります", "強調の後も空白なし"):
    if unicodedata.normalize("NFKC", s) not in text:
        fail("pdftotext lacks " + s)
print("ok: CJK joined, justified and extracted" if not bad else f"{bad} failures")
sys.exit(1 if bad else 0)
PY
