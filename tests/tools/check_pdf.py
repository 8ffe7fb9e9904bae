#!/usr/bin/env python3
"""Check the structure of a PDF bookify wrote (qpdf's JSON view).

usage: check_pdf.py PDF DUMP_DIR EPOCH

- every link to a destination names one that exists; external links exist
  when the chapters have any; in-book links exist;
- the outline lists every chapter's title;
- pages before the first post are labelled i, ii, iii...; the body 1, 2...;
- the document has a structure tree, and its dates are EPOCH's;
- the catalog says the book's language and that the PDF is tagged; every
  Figure has alternative text, each image's alt of the chapters among them;
- all content is tagged or an artifact: no text or drawing outside marked
  content, and at most two artifact text objects a page (running head and
  page number);
- every stream is compressed.
Exit 0 when all is well, 1 with a report otherwise.
"""
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

XHTML = "{http://www.w3.org/1999/xhtml}"


def main():
    pdf, dump, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = json.loads(subprocess.run(["qpdf", "--json=2", "--json-key=qpdf", "--json-key=outlines",
                                      "--json-key=pagelabels", "--json-key=pages",
                                      "--decode-level=generalized", "--json-stream-data=inline", pdf],
                                     capture_output=True, text=True, check=True).stdout)
    objs = data["qpdf"][1]
    val = lambda ref: objs.get("obj:" + ref, {}).get("value") if isinstance(ref, str) else ref
    problems = []
    catalog = next(v["value"] for v in objs.values()
                   if isinstance(v, dict) and isinstance(v.get("value"), dict)
                   and v["value"].get("/Type") == "/Catalog")
    # named destinations
    names = set()
    def walk_names(node):
        node = val(node)
        if not isinstance(node, dict):
            return
        arr = node.get("/Names", [])
        for n in arr[0::2]:
            if n in names:
                problems.append(f"destination {n} named twice")
            names.add(n)
        for kid in node.get("/Kids", []):
            walk_names(kid)
    dests_root = val(catalog.get("/Names")) or {}
    walk_names(dests_root.get("/Dests"))
    internal = external = 0
    for v in objs.values():
        d = v.get("value") if isinstance(v, dict) else None
        if not (isinstance(d, dict) and d.get("/Subtype") == "/Link"):
            continue
        if "/Dest" in d:
            internal += 1
            if isinstance(d["/Dest"], str) and d["/Dest"] not in names:
                problems.append(f"link to missing destination {d['/Dest']}")
        elif "/A" in d:
            external += 1
            uri = (val(d["/A"]) or {}).get("/URI", "")
            uri = uri[2:] if uri[:2] in ("u:", "b:") else uri
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", uri):
                problems.append(f"web link to '{uri}', which is no web address (an in-book link gone wrong)")
    want_external = 0
    titles = []
    for f in sorted(os.listdir(dump)):
        if not f.endswith(".xhtml"):
            continue
        root = ET.parse(os.path.join(dump, f)).getroot()
        titles.append("".join(root.find(XHTML + "head").find(XHTML + "title").itertext()))
        want_external += sum(1 for a in root.iter(XHTML + "a")
                             if re.match(r"^(https?|mailto):", a.get("href") or ""))
    if internal == 0:
        problems.append("no internal link (the contents alone should have some)")
    if want_external and not external:
        problems.append(f"the chapters have {want_external} web links, the PDF none")
    # outline
    seen = []
    def walk_outline(items):
        for it in items:
            seen.append(it.get("title", ""))
            walk_outline(it.get("kids", []))
    walk_outline(data.get("outlines", []))
    norm = lambda s: re.sub(r"\s+", " ", s).strip()
    have = {norm(t) for t in seen}
    for t in titles:
        if norm(t) not in have:
            problems.append(f"outline lacks the chapter '{t}'")
    # page labels
    labels = data.get("pagelabels", [])
    if not labels or labels[0]["label"].get("/P") not in ("u:i", "i"):
        problems.append(f"first page not labelled 'i': {labels[:1]}")
    if not any(l["label"].get("/S") == "/D" for l in labels):
        problems.append("no decimal page labels for the body")
    if "/StructTreeRoot" not in catalog:
        problems.append("no structure tree")
    problems += check_tagging(objs, val, catalog, data.get("pages", []), dump)
    problems += check_compressed(pdf)
    info = subprocess.run(["pdfinfo", "-isodates", pdf], capture_output=True, text=True).stdout
    when = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if when not in info:
        problems.append(f"creation date is not SOURCE_DATE_EPOCH ({when}):\n{info}")
    for p in problems:
        print("FAIL:", p)
    print(f"structure: {internal} internal and {external} web links, {len(names)} destinations, "
          f"{len(seen)} outline entries")
    return 1 if problems else 0


TOKEN = re.compile(rb"""
    \s+ | %[^\r\n]* |
    (?P<str>\() | (?P<hex><[0-9A-Fa-f\s]*>) | (?P<dict><<|>>) | (?P<arr>[\[\]]) |
    (?P<name>/[^\s/<>\[\]()%{}]*) | (?P<num>[-+]?[\d.]+) |
    (?P<op>[^\s/<>\[\]()%{}]+)""", re.X)


def operators(data):
    """(operator, operands) of a content stream."""
    i, args = 0, []
    while i < len(data):
        m = TOKEN.match(data, i)
        if not m:
            raise ValueError(f"cannot read the content at {i}: {data[i:i+20]!r}")
        if m.group("str"):
            depth, j = 0, i
            while j < len(data):
                c = data[j:j + 1]
                if c == b"\\":
                    j += 2
                    continue
                depth += c == b"("
                depth -= c == b")"
                j += 1
                if depth == 0:
                    break
            args.append(data[i:j])
            i = j
            continue
        i = m.end()
        if m.group("op"):
            yield m.group("op").decode("latin1"), args
            args = []
        elif m.group(0).strip():
            args.append(m.group(0))


def text_string(v):
    if isinstance(v, str) and v.startswith("u:"):
        return v[2:]
    return v


def check_tagging(objs, val, catalog, pages, dump):
    problems = []
    langs = set()
    alts = []  # every picture's alternative text, in reading order
    index = os.path.join(dump, "index.tsv")
    files = [l.split("\t")[0] for l in open(index) if l.strip()] if os.path.exists(index) else \
        sorted(f for f in os.listdir(dump) if f.endswith(".xhtml"))
    for f in files:
        root = ET.parse(os.path.join(dump, f)).getroot()
        langs.add(root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("lang"))
        alts += [img.get("alt") or "" for img in root.iter(XHTML + "img")]
    lang = text_string(catalog.get("/Lang"))
    if not lang or lang not in langs:
        problems.append(f"catalog /Lang {lang!r} is not a chapter's language {sorted(l for l in langs if l)}")
    if (val(catalog.get("/MarkInfo")) or {}).get("/Marked") is not True:
        problems.append("catalog lacks /MarkInfo << /Marked true >>")
    # Figures in the structure tree's order, which is reading order: each
    # must carry its own picture's alternative text.
    figures = []
    def walk(node, depth=0):
        node = val(node)
        if isinstance(node, list):
            for k in node:
                walk(k, depth)
            return
        if not isinstance(node, dict) or depth > 200:
            return
        if node.get("/S") == "/Figure":
            figures.append(node)
        if "/K" in node:
            walk(node["/K"], depth + 1)
    walk(catalog.get("/StructTreeRoot"))
    have = [text_string(f.get("/Alt")) for f in figures]
    if any(a is None for a in have):
        problems.append(f"{sum(a is None for a in have)} of {len(figures)} figures have no /Alt")
    elif have != alts:
        problems.append(f"figures' /Alt in reading order {have[:6]} differ from the pictures' alt "
                        f"texts {alts[:6]}")
    paint = {"Tj", "TJ", "'", '"', "Do", "sh", "S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}
    leaders = 0  # pages with the contents' dot leaders: one stroke of 0.8 pt dashes each
    for n, page in enumerate(pages, 1):
        data = b"".join(base64.b64decode(objs["obj:" + c]["stream"]["data"]) for c in page["contents"])
        on_page = len(re.findall(rb"\[\s*0\.8\s+4\.2\s*\]\s*0\s+d", data))
        if on_page > 1:
            problems.append(f"page {n}: {on_page} strokes of dot leaders (one a page: cairo's cost is per stroke)")
        leaders += on_page
        stack, artifact_text = [], 0
        for op, args in operators(data):
            if op in ("BDC", "BMC"):
                stack.append(args[0] if args else b"?")
            elif op == "EMC":
                if not stack:
                    problems.append(f"page {n}: EMC without BMC")
                    break
                stack.pop()
            elif op in paint and not stack:
                problems.append(f"page {n}: '{op}' outside marked content: neither tagged nor an artifact")
                break
            elif op == "BT" and stack and stack[-1] == b"/Artifact":
                artifact_text += 1
        if stack:
            problems.append(f"page {n}: marked content left open")
        if artifact_text > 2:
            problems.append(f"page {n}: {artifact_text} text objects are artifacts (only the running head and number may be)")
    if not leaders:
        problems.append("no dot leaders in the contents (a stroke dashed [0.8 4.2])")
    print(f"tagging: {len(figures)} figures with their alt text, {len(pages)} pages' content checked, "
          f"{leaders} pages of dot leaders")
    return problems


def check_compressed(pdf):
    """Every stream is compressed: cairo leaves page contents and forms
    plain for the finishing pass to deflate once (docs/performance.md)."""
    raw = json.loads(subprocess.run(["qpdf", "--json=2", "--json-key=qpdf", "--decode-level=none",
                                     "--json-stream-data=none", pdf],
                                    capture_output=True, text=True, check=True).stdout)
    plain = [k for k, v in raw["qpdf"][1].items()
             if isinstance(v, dict) and "stream" in v and "/Filter" not in v["stream"]["dict"]]
    print(f"compression: {len(plain)} plain streams")
    return [f"{len(plain)} streams are not compressed: {plain[:5]}"] if plain else []


if __name__ == "__main__":
    sys.exit(main())
