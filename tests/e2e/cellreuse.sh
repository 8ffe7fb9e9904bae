#!/usr/bin/env bash
# End-to-end: a table cell that fits its column is laid out once, by the
# unwrapped layout that measured it (src/pdf/lines.c, measured_fits), and
# the PDF is byte for byte the one made with every cell laid out again at
# its column's width (BOOKIFY_NO_CELL_REUSE=1). Tables with left, centred
# and right columns, header rows, links, code and footnotes in cells,
# right-to-left cells in a left-to-right chapter and the other way round,
# CJK, a cell of several lines, and tables too wide for the page (wrapped
# cells, smaller type).
# usage: cellreuse.sh BOOKIFY SAMPLES
set -u
bookify=$1
samples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
fail=0

. "$(dirname "$0")/switch-same.sh"

# same NAME SITE MIN: the same bytes, and at least MIN cells laid out once
same() {
    switch_same "$1" "$2" BOOKIFY_NO_CELL_REUSE \
        's/^pdf: [0-9]* table cells measured, \([0-9]*\) of them laid out by that alone$/\1/p' \
        "$3" "cells laid out by their measuring alone"
}

same handbook "$samples/handbook" 50

mkdir -p "$tmp/tables/_posts"
python3 - "$tmp/tables/_posts" <<'PY'
import sys
d = sys.argv[1]
long = ("a long cell that will not fit unwrapped in a table of many columns, "
        "so that the columns are shared out and this one wraps ")
posts = {
    "en": ("en", f"""
| Left | Centre | Right | Mixed |
|:-----|:------:|------:|-------|
| plain | **bold** | 1,234.50 | [a link](https://example.org/x) |
| `code span` | *emphasis* | 7 | foot[^n] |
| שלום עולם | مرحبا بالعالم | 42 | abc שלום def |
| 日本語のセル | 中文单元格 | 3.14 | 한국어 셀 |
| line one<br>line two | centred<br>twice | 1<br>22 | |

[^n]: A footnote from a table cell.

| a | b | c | d | e | f |
|---|---|---|---|---|---|
| {long} | {long} | short | {long * 2} | x | y |
| one | two | three | four | five | six |

| Name | Value |
|------|-------|
| alpha | 1 |
| beta | 2 |
| gamma delta epsilon | 3 |
"""),
    "ar": ("ar", """
| الاسم | التاريخ | ملاحظة |
|-------|:-------:|-------:|
| أحمد | 2024-03-01 | نص عربي قصير |
| John Smith | 2024-03-02 | English in a right-to-left chapter |
| مرحبا world | 12 | ٣٤٥ |
"""),
    "ja": ("ja", """
| 項目 | 説明 |
|------|------|
| 東京 | 日本の首都で、とても大きな都市です。 |
| 大阪 | 関西地方の中心的な都市です。 |
"""),
}
for i, (slug, (lang, body)) in enumerate(sorted(posts.items())):
    open(f"{d}/2024-03-{i + 1:02d}-{slug}.md", "w").write(
        f"---\ntitle: Tables {slug}\nlang: {lang}\n---\n\nBefore the tables.\n{body}\nAfter.\n")
PY
same tables "$tmp/tables" 10

exit $fail
