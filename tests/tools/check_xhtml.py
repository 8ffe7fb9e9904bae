#!/usr/bin/env python3
"""Check the chapter documents bookify wrote with --dump-xhtml.

usage: check_xhtml.py SITE DUMP_DIR   (DUMP_DIR/index.tsv maps files to posts)

For every chapter: well-formed XML in the XHTML namespace; no Liquid,
Hugo-shortcode or kramdown leftovers outside code; every internal link
reaches a chapter file and an id in it; and every word of the post's
visible text is in the document. The reference for "visible text" is an
independent renderer, the cmark-gfm command-line tool, run on the post's
body with template markup stripped by a few regular expressions.
Exit 0 when all is well, 1 with a report otherwise.
"""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

XHTML = "{http://www.w3.org/1999/xhtml}"
# Elements whose content is never visible text in a book.
INVISIBLE = {"script", "style", "iframe", "object", "embed", "form", "button", "select",
             "textarea", "svg", "math", "video", "audio", "template", "noscript", "head",
             "title", "applet", "canvas", "input", "option", "label", "fieldset", "legend"}
LEFTOVERS = [re.compile(p) for p in (r"\{%", r"%\}", r"\{\{", r"\}\}", r"\{:", r"\{::")]
WORD = re.compile(r"\w+", re.UNICODE)
# The command-line tool of Debian's cmark-gfm 0.29 has no footnote option:
# footnote text is then an ordinary paragraph, and its words still count.
FOOTNOTES = ["-e", "footnotes"] if "footnotes" in subprocess.run(
    ["cmark-gfm", "--list-extensions"], capture_output=True, text=True).stdout else []


def strip_templates(md):
    md = re.sub(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", lambda m: m.group(1), md, flags=re.S)
    md = re.sub(r"\{%-?\s*comment\b.*?%\}.*?\{%-?\s*endcomment\s*-?%\}", "", md, flags=re.S)
    # captured text is shown where the theme prints it: its words count
    md = re.sub(r"\{%.*?%\}", "", md, flags=re.S)
    md = re.sub(r"\{\{[<%]/?\*?.*?\*?[>%]\}\}", "", md, flags=re.S)
    md = re.sub(r"\{\{.*?\}\}", "", md, flags=re.S)
    md = re.sub(r"\{::comment\}.*?\{:/comment\}", "", md, flags=re.S)
    md = re.sub(r"\{::?[^}]*\}", "", md)
    md = re.sub(r"\{:[^}]*\}", "", md)
    md = re.sub(r"\{#[^}\s]*\}", "", md)
    md = re.sub(r"(?m)^\*\[[^\]]*\]:.*$", "", md)
    md = re.sub(r"(?m)^(import|export)\s.*$", "", md) if md else md
    return md


KRAMDOWN_BLOCKS = ("table", "div", "figure", "details", "section", "aside", "blockquote",
                   "dl", "ul", "ol", "center", "nav", "header", "footer", "article")


def kramdown_html_blocks(md):
    """kramdown reads an HTML block to its end tag across blank lines (and
    Jekyll sites are written for it): join such blocks so the CommonMark
    reference renderer sees them whole too."""
    lines = md.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = re.match(r" {0,3}<(%s)[\s>]" % "|".join(KRAMDOWN_BLOCKS), lines[i] + " ", re.I)
        if m:
            tag, depth, j = m.group(1).lower(), 0, i
            while j < len(lines) and j - i < 5000:
                depth += len(re.findall(r"<%s[\s>/]" % tag, lines[j] + " ", re.I))
                depth -= len(re.findall(r"</%s[\s>]" % tag, lines[j] + " ", re.I))
                if depth <= 0:
                    break
                j += 1
            if j > i and j < len(lines):
                out.extend(l if l.strip() else "<!---->" for l in lines[i:j + 1])
                i = j + 1
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def body_of(text):
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("---\n") or text.startswith("+++\n"):
        mark = text[:3]
        end = re.search(r"(?m)^(%s|\.\.\.)[ \t]*$" % re.escape(mark), text[4:])
        if end:
            return text[4 + end.end():]
    return text


CJK = r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"


def words_of_html(html):
    """Words of an HTML fragment's text and alt attributes (lenient parse)."""
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.skip = 0
            self.words = []

        def handle_starttag(self, tag, attrs):
            if tag in INVISIBLE:
                self.skip += 1
            for k, v in attrs:
                if k == "alt" and v and not self.skip:
                    self.words += WORD.findall(v)

        def handle_endtag(self, tag):
            if tag in INVISIBLE and self.skip:
                self.skip -= 1

        def handle_data(self, data):
            if not self.skip:
                self.words += WORD.findall(data)

    p = P()
    p.feed(html)
    return p.words


def doc_words(root):
    words = []
    def walk(el, hidden):
        tag = el.tag.replace(XHTML, "")
        hidden = hidden or tag in INVISIBLE
        if not hidden:
            if el.text:
                words.extend(WORD.findall(el.text))
            for k in ("alt", "title"):
                if el.get(k):
                    words.extend(WORD.findall(el.get(k)))
        for child in el:
            walk(child, hidden)
            if child.tail and not hidden:
                words.extend(WORD.findall(child.tail))
    walk(root, False)
    return words


def main():
    site, dump = sys.argv[1], sys.argv[2]
    with open(os.path.join(dump, "index.tsv"), encoding="utf-8") as fh:
        index = [line.rstrip("\n").split("\t", 1) for line in fh if line.strip()]
    posts = [p for _, p in index]
    problems = []
    files = sorted(f for f in os.listdir(dump) if f.endswith(".xhtml"))
    ids = {}
    trees = {}
    for f in files:
        try:
            tree = ET.parse(os.path.join(dump, f))
        except ET.ParseError as e:
            problems.append(f"{f}: not well-formed: {e}")
            continue
        root = tree.getroot()
        if root.tag != XHTML + "html":
            problems.append(f"{f}: root is {root.tag}, not XHTML html")
        trees[f] = root
        ids[f] = {el.get("id") for el in root.iter() if el.get("id")}
    if len(files) != len(posts):
        problems.append(f"{len(files)} chapter files for {len(posts)} posts")
    for f, root in trees.items():
        # leftovers outside code
        def text_outside_code(el, out):
            tag = el.tag.replace(XHTML, "")
            # code shows template syntax on purpose; maths is verbatim TeX
            if tag in ("pre", "code") or "math" in (el.get("class") or "").split():
                return
            if el.text:
                out.append(el.text)
            for c in el:
                text_outside_code(c, out)
                if c.tail:
                    out.append(c.tail)
        parts = []
        text_outside_code(root, parts)
        text = "".join(parts)
        for rx in LEFTOVERS:
            m = rx.search(text)
            if m:
                problems.append(f"{f}: template leftover '{m.group(0)}' near: {text[max(0, m.start()-40):m.end()+40]!r}")
        for a in root.iter(XHTML + "a"):
            href = a.get("href")
            if not href or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href):
                continue
            target, _, frag = href.partition("#")
            target = target or f
            if target not in ids:
                problems.append(f"{f}: link '{href}' names no chapter file")
            elif frag and frag not in ids[target]:
                problems.append(f"{f}: link '{href}' names no id in {target}")
    # every visible word of each post is in its own chapter
    for f, rel in index:
        words = doc_words(trees[f]) if f in trees else []
        have = set(words)
        # a source line break inside Chinese or Japanese text is no space
        # in the chapter, so such words are looked for in the joined text
        flat = "".join(words)
        with open(os.path.join(site, rel), encoding="utf-8", errors="replace") as fh:
            md = strip_templates(body_of(fh.read()))
        if not os.path.isdir(os.path.join(site, "content")):  # Hugo is CommonMark
            md = kramdown_html_blocks(md)
        ref = subprocess.run(["cmark-gfm", "--unsafe", "-e", "table", "-e", "strikethrough",
                              "-e", "autolink", "-e", "tasklist"] + FOOTNOTES,
                             input=md, capture_output=True, text=True).stdout
        missing = sorted({w for w in words_of_html(ref)
                          if w not in have and not (re.search(CJK, w) and w in flat)})
        if missing:
            problems.append(f"{rel}: {len(missing)} words missing, e.g. {missing[:12]}")
    for p in problems:
        print(p)
    print(f"{len(trees)} chapters checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
