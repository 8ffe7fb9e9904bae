#!/usr/bin/env bash
# End-to-end: syntax highlighting on samples/code-tour (code in twenty
# languages, written as fences, aliases, {% highlight %}, HTML and pasted
# Pygments HTML). The EPUB marks the tokens of every named language with
# bookify's classes and leaves unnamed and unknown languages plain; the
# PDF draws them in the theme's colours (a theme of one's own changes
# them); --no-highlight and bookify.yml's highlight: false turn it off;
# -j 1 (each block highlighted where it is found), -j 2 (on the
# highlighting thread) and the helper process beside it give the same
# bytes.
# usage: highlight.sh BOOKIFY SITE   (77 = skipped)
set -u
bookify=$1 site=$2
for t in qpdf unzip python3; do
    command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
fail=0

BOOKIFY_TIMES=1 "$bookify" -q -j 2 --epub="$tmp/a.epub" --pdf="$tmp/a.pdf" "$site" 2>"$tmp/times" ||
    { echo "FAIL: bookify"; exit 1; }
# With two jobs, the blocks go to the highlighting thread (convert.c).
grep -Eq 'convert: .*; [1-9][0-9]* code blocks highlighted on a thread of their own' "$tmp/times" ||
    { echo "FAIL: -j 2 did not hand its code to the highlighting thread:"; grep '^convert:' "$tmp/times"; fail=1; }
# ... and set up as soon as a post with code is read, beside the reading,
# not when the first block is converted.
grep -q "^bookify: the highlighter's set-up started while the posts were read" "$tmp/times" ||
    { echo "FAIL: the highlighter was not set up while the posts were read"; fail=1; }
# The helper process is bookify run again with arguments of its own; they
# are refused from anyone but its bookify.
"$bookify" --bk-highlight-helper 1 1 </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: the helper's arguments were not refused"; fail=1; }
# GtkSourceView is loaded when a book has code (dlopen), not linked: GTK's
# libraries were half of every run's start-up. GObject too: its calls come
# from the loaded library (1.4 ms of every start, its types registered).
if command -v ldd >/dev/null && ldd "$bookify" | grep -q 'libgtksourceview\|libgtk-3\|libgobject'; then
    echo "FAIL: bookify is linked with GtkSourceView, GTK or GObject (it loads them when needed)"; fail=1
fi
# A book with no code never sets GtkSourceView up (GTK's start is most of
# a small book's time).
mkdir -p "$tmp/plain/_posts"
printf -- '---\ntitle: Plain\n---\n\nText, a *word* and a list:\n\n- one\n- two\n' >"$tmp/plain/_posts/2020-01-01-a.md"
printf -- '---\ntitle: Plainer\n---\n\n    indented, no language\n' >"$tmp/plain/_posts/2020-01-02-b.md"
BOOKIFY_TIMES=1 "$bookify" -q -j 2 --epub="$tmp/plain.epub" "$tmp/plain" 2>"$tmp/ptimes" ||
    { echo "FAIL: bookify on a book without code"; fail=1; }
! grep -q "set-up started while the posts were read" "$tmp/ptimes" &&
grep -q '^convert: .*; highlighter not set up$' "$tmp/ptimes" ||
    { echo "FAIL: a book without code set the highlighter up:"; grep '^convert:' "$tmp/ptimes"; fail=1; }
grep -q '^convert: .*; highlighter set up$' "$tmp/times" ||
    { echo "FAIL: code-tour's book did not report the highlighter set up"; fail=1; }
"$bookify" -q -j 1 --epub="$tmp/b.epub" --pdf="$tmp/b.pdf" "$site" || { echo "FAIL: bookify -j 1"; exit 1; }
cmp -s "$tmp/a.epub" "$tmp/b.epub" || { echo "FAIL: the EPUB differs between -j 1 and -j 2"; fail=1; }
cmp -s "$tmp/a.pdf" "$tmp/b.pdf" || { echo "FAIL: the PDF differs between -j 1 and -j 2"; fail=1; }
# A code-heavy book also highlights on a helper process (convert.c decides
# by the number of blocks; forced here): same bytes, and the same when the
# helper crashes or answers wrongly part way (its blocks come back to the
# thread). Five copies of the posts (105 blocks), so the helper, which sets
# itself up first, gets some; several runs, as the two share one queue.
# The EPUB is compared: the PDF is made from the same trees.
cp -r "$site" "$tmp/heavy"
find "$tmp/heavy" -name '*.md' | while read -r f; do
    for k in 1 2 3 4; do cp "$f" "${f%.md}-$k.md"; done
done
"$bookify" -q -j 1 --epub="$tmp/c1.epub" "$tmp/heavy" || { echo "FAIL: bookify -j 1 --epub"; exit 1; }
helped=0
for mode in "" crash odd; do
    rm -f "$tmp/h.epub"
    BOOKIFY_HIGHLIGHT_HELPER=1 BOOKIFY_HELPER_TEST=$mode BOOKIFY_TIMES=1 \
        "$bookify" -q -j 2 --epub="$tmp/h.epub" "$tmp/heavy" 2>"$tmp/htimes" ||
        { echo "FAIL: bookify with the highlighting helper${mode:+ ($mode)}"; fail=1; continue; }
    grep -Eq 'code blocks highlighted on a thread of their own \([1-9][0-9]* by the helper process\)' \
        "$tmp/htimes" && helped=$((helped + 1))
    cmp -s "$tmp/h.epub" "$tmp/c1.epub" ||
        { echo "FAIL: the EPUB differs with the highlighting helper${mode:+ ($mode)}"; fail=1; }
done
[ "$helped" -gt 0 ] || { echo "FAIL: the helper process highlighted nothing in three runs"; fail=1; }
# bookify killed, its helper goes too (it asks for a signal when the
# bookify that started it ends): here the helper, set up, stalls (and says
# so), bookify waits for its first answer and is killed.
if command -v pgrep >/dev/null && command -v ps >/dev/null; then
    BOOKIFY_HIGHLIGHT_HELPER=1 BOOKIFY_HELPER_TEST=stall "$bookify" -q -j 2 --epub="$tmp/k.epub" \
        "$tmp/heavy" 2>"$tmp/stall.err" &
    bk=$!
    helper=
    for _ in $(seq 300); do
        grep -q 'helper stalled' "$tmp/stall.err" &&
            helper=$(pgrep -f -- "--bk-highlight-helper 3 $bk\$" | head -1)
        [ -n "$helper" ] && break
        sleep 0.05
    done
    if [ -z "$helper" ]; then
        echo "FAIL: no helper process seen for bookify $bk"; fail=1
    else
        kill -9 "$bk"
        wait "$bk" 2>/dev/null
        gone=
        for _ in $(seq 100); do
            st=$(ps -o stat= -p "$helper" 2>/dev/null)
            case "$st" in "" | Z*) gone=1; break ;; esac
            sleep 0.05
        done
        [ "$gone" ] || { echo "FAIL: the helper $helper outlived its killed bookify"; kill -9 "$helper"; fail=1; }
    fi
fi

mkdir "$tmp/x"
(cd "$tmp/x" && unzip -q ../a.epub) || { echo "FAIL: unzip"; exit 1; }
python3 - "$tmp/x/EPUB" <<'EOF' || fail=1
import glob, re, sys
blocks = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.xhtml")):
    s = open(f, encoding="utf-8").read()
    for m in re.finditer(r'<pre([^>]*)>(?:<code([^>]*)>)?(.*?)</pre>', s, re.S):
        attrs = (m.group(1) or "") + (m.group(2) or "")
        lang = re.search(r'language-([\w+#-]+)', attrs)
        key = lang.group(1) if lang else ("pasted" if "highlight" in attrs else "none")
        blocks.setdefault(key, []).append(m.group(3))
bad = 0
def fail(msg):
    global bad
    print("FAIL:", msg)
    bad = 1
named = ["python", "sh", "console", "ruby", "js", "c", "c++", "golang", "rust", "java", "sql",
         "json", "yml", "html", "css", "ts", "kotlin", "diff", "dockerfile", "make", "haskell"]
for lang in named:
    if lang not in blocks:
        fail(f"no code block in {lang}")
        continue
    spans = re.findall(r'<span class="(\w+)">', blocks[lang][0])
    want = 1 if lang == "console" else 3
    if len(spans) < want:
        fail(f"{lang}: {len(spans)} highlighted tokens, expected {want} or more")
# a few tokens, one per class, in several languages
expect = {
    "python": ['<span class="keyword">def</span>', '<span class="function">count_words</span>',
               '<span class="comment"># the ten most common</span>', '<span class="builtin">open</span>'],
    "ruby": ['<span class="comment"># Count words with a hash that starts every count at zero.</span>'],
    "c": ['<span class="preprocessor">#include </span>', '<span class="type">int</span>',
          '<span class="keyword">return</span>', '<span class="escape">%ld\\n</span>'],
    "rust": ['<span class="keyword">fn</span>', '<span class="type">i64</span>'],
    "sql": ['<span class="keyword">SELECT</span>', '<span class="comment">-- The ten most active writers of the year</span>'],
    "json": ['<span class="constant">false</span>', '<span class="number">3.5</span>'],
    "html": ['<span class="tag">&lt;article</span>', '<span class="attribute">class=</span>', '<span class="string">"card"</span>'],
    "diff": ['<span class="deleted">', '<span class="inserted">'],
    "haskell": ['<span class="keyword">import</span>'],
    "pasted": ['<span class="keyword">def</span>', '<span class="function">greet</span>', '<span class="string">"hello, "</span>'],
}
for lang, needles in expect.items():
    for n in needles:
        if not any(n in b for b in blocks.get(lang, [])):
            fail(f"{lang}: {n} missing")
for lang in ("none", "klingon"):
    for b in blocks.get(lang, []):
        if "<span" in b:
            fail(f"the {lang} block was highlighted")
    if lang not in blocks:
        fail(f"no {lang} block")
# escaping survives: the text of the HTML block is still escaped markup
if not any("&lt;" in b and "&amp;amp;" in b for b in blocks.get("html", [])):
    fail("html: the code's markup is not escaped")
sys.exit(bad)
EOF

# The style sheet carries the difference without colour (e-ink): keywords
# bold, comments italic.
css=$(unzip -p "$tmp/a.epub" EPUB/css/epub.css)
grep -Eq 'pre \.keyword[^{]*\{[^}]*font-weight: *bold' <<<"$css" || { echo "FAIL: keywords are not bold in epub.css"; fail=1; }
grep -Eq 'pre \.comment[^{]*\{[^}]*font-style: *italic' <<<"$css" || { echo "FAIL: comments are not italic in epub.css"; fail=1; }

# The PDF draws keywords in the theme's keyword colour (#1d3f8a), bold.
pdf_has() { qpdf --qdf --object-streams=disable "$1" - 2>/dev/null | grep -a -c "$2 rg"; }
n=$(pdf_has "$tmp/a.pdf" "0.113725 0.247059 0.541176")
[ "$n" -gt 20 ] || { echo "FAIL: the PDF has $n runs in the keyword colour"; fail=1; }
# code in a table cell is laid out inline, and highlighted there too
mkdir -p "$tmp/cell/_posts"
printf -- '---\ntitle: Cell\n---\n<table><tr><td><pre><code class="language-python">def cell(): return 1</code></pre></td></tr></table>\n' \
    >"$tmp/cell/_posts/2024-01-01-cell.md"
"$bookify" -q --pdf="$tmp/cell.pdf" "$tmp/cell" || { echo "FAIL: bookify (table cell)"; fail=1; }
n=$(pdf_has "$tmp/cell.pdf" "0.113725 0.247059 0.541176")
[ "$n" -ge 1 ] || { echo "FAIL: code in a table cell is not highlighted in the PDF"; fail=1; }
# a theme of one's own: keywords in red
printf 'highlight:\n  keyword: "#ff0000 italic"\n  comment: plain\n' >"$tmp/theme.yml"
"$bookify" -q --theme="$tmp/theme.yml" --pdf="$tmp/t.pdf" "$site" || { echo "FAIL: bookify --theme"; fail=1; }
n=$(pdf_has "$tmp/t.pdf" "1 0 0")
[ "$n" -gt 20 ] || { echo "FAIL: the theme's keyword colour is used $n times"; fail=1; }
n=$(pdf_has "$tmp/t.pdf" "0.419608 0.419608 0.419608")
[ "$n" -eq 0 ] || { echo "FAIL: comments still in the default comment colour with 'comment: plain'"; fail=1; }
# a bad style is an error at its line, found before the posts are
# converted (BOOKIFY_TIMES: no stage after reading), and by --check
printf 'highlight:\n  keyword: "#12 bold"\n' >"$tmp/bad.yml"
BOOKIFY_TIMES=1 "$bookify" -q --theme="$tmp/bad.yml" --pdf="$tmp/bad.pdf" "$site" 2>"$tmp/err.txt"
grep -q "bad.yml:2:12: error: 'keyword' should be a colour" "$tmp/err.txt" ||
    { echo "FAIL: bad highlight style:"; cat "$tmp/err.txt"; fail=1; }
[ ! -e "$tmp/bad.pdf" ] || { echo "FAIL: a PDF was written despite the theme error"; fail=1; }
! grep -q "^bookify: converted" "$tmp/err.txt" || { echo "FAIL: the posts were converted before the theme's error"; fail=1; }
# (a warning, read ahead and again, is said once)
printf 'highlight:\n  keyword: "#ff0000"\nfoo: 1\n' >"$tmp/warn.yml"
"$bookify" --theme="$tmp/warn.yml" --pdf="$tmp/warn.pdf" "$tmp/cell" 2>"$tmp/err.txt" || { echo "FAIL: a theme warning failed the build"; fail=1; }
[ "$(grep -c "warn.yml:3:1: warning: unknown theme section 'foo'" "$tmp/err.txt")" = 1 ] ||
    { echo "FAIL: the theme's warning is not said once:"; cat "$tmp/err.txt"; fail=1; }
"$bookify" -q --check --theme="$tmp/bad.yml" "$site" 2>"$tmp/err.txt" && { echo "FAIL: --check passed a bad theme"; fail=1; }
[ "$(grep -c "bad.yml:2:12: error:" "$tmp/err.txt")" = 1 ] || { echo "FAIL: --check on a bad theme:"; cat "$tmp/err.txt"; fail=1; }

# Off: --no-highlight, and highlight: false in bookify.yml
"$bookify" -q --no-highlight --epub="$tmp/off.epub" --pdf="$tmp/off.pdf" "$site" || { echo "FAIL: --no-highlight"; fail=1; }
if unzip -p "$tmp/off.epub" 'EPUB/*.xhtml' | grep -q '<span class="keyword">def'; then
    echo "FAIL: --no-highlight still highlights"; fail=1
fi
n=$(pdf_has "$tmp/off.pdf" "0.113725 0.247059 0.541176")
[ "$n" -eq 0 ] || { echo "FAIL: --no-highlight PDF has $n keyword-coloured runs"; fail=1; }
cp -r "$site" "$tmp/site"
echo "highlight: false" >>"$tmp/site/bookify.yml"
"$bookify" -q --epub="$tmp/off2.epub" --pdf="$tmp/off2.pdf" "$tmp/site" || { echo "FAIL: highlight: false"; fail=1; }
cmp -s "$tmp/off.epub" "$tmp/off2.epub" || { echo "FAIL: highlight: false differs from --no-highlight (EPUB)"; fail=1; }
cmp -s "$tmp/off.pdf" "$tmp/off2.pdf" || { echo "FAIL: highlight: false differs from --no-highlight (PDF)"; fail=1; }

[ $fail -eq 0 ] && echo "ok: highlighting"
exit $fail
