#!/usr/bin/env bash
# End-to-end: pango's line pieces and repeated layouts take their glyphs
# from an earlier shaping where HarfBuzz says a cut is safe
# (src/pdf/shapecache.c), and the PDF is byte for byte the one made with
# every buffer shaped by HarfBuzz (BOOKIFY_NO_SHAPE_CACHE=1). Long wrapped
# paragraphs in many scripts (ligatures, kerning, Indic clusters, Thai
# without spaces, CJK, right-to-left), hyphenation, tables, code.
# usage: shapecache.sh BOOKIFY SAMPLES
set -u
bookify=$1
samples=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1790000000
fail=0

. "$(dirname "$0")/switch-same.sh"

# same NAME SITE MIN_CUTS: the same bytes, and at least MIN_CUTS runs cut
same() {
    switch_same "$1" "$2" BOOKIFY_NO_SHAPE_CACHE \
        's/^pdf: [0-9]* text runs shaped by HarfBuzz, \([0-9]*\) cut from a shaping$/\1/p' \
        "$3" "runs cut from a shaping"
}

same handbook "$samples/handbook" 200
same code-tour "$samples/code-tour" 20

mkdir -p "$tmp/scripts"
python3 "$(dirname "$0")/scripts-site.py" "$tmp/scripts"
same scripts "$tmp/scripts" 0

mkdir -p "$tmp/long"
python3 - "$tmp/long" <<'PY'
import sys
d = sys.argv[1]
texts = {
    "en": ("en", "The office affords efficient, fluffy waffles; AVATAR, Tokyo, Wavy "
                 "“quotes” — dashes, ffi ffl fi fl ligatures and incomprehensibilities. "),
    "de": ("de", "Donaudampfschifffahrtsgesellschaftskapitän und Rindfleischetikettierungs"
                 "überwachungsaufgabenübertragungsgesetz sind lange Wörter. "),
    "hi": ("hi", "हिन्दी में संयुक्ताक्षर जैसे क्ष त्र ज्ञ श्र और मात्राएँ कि की कु कू के कै को कौ होते हैं। "),
    "th": ("th", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำในประโยคเดียวกันจึงต้องตัดคำด้วยพจนานุกรม "),
    "ar": ("ar", "هذه فقرة طويلة باللغة العربية تتكرر لتلتف على عدة أسطر مع English words. "),
    "zh": ("zh", "这是一个很长的中文段落，用来检查在任意两个汉字之间断行的情况，以及标点符号。"),
    "el": ("el", "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν, καὶ θεὸς ἦν ὁ λόγος. "),
    "ru": ("ru", "Съешь же ещё этих мягких французских булок, да выпей чаю. "),
}
for i, (slug, (lang, t)) in enumerate(sorted(texts.items())):
    para = t * 12
    open(f"{d}/2024-03-{i + 1:02d}-{slug}.md", "w").write(
        f"---\ntitle: Long {slug}\nlang: {lang}\n---\n\n{para}\n\n"
        f"*{para}*\n\n**{t * 3}** {t * 4} `{t[:30]}` {t * 3}\n\n"
        f"> {t * 5}\n\n- {t * 4}\n- {t * 2}\n\n"
        f"| {t[:40]} | {t * 2} |\n|---|---|\n| {t * 3} | {t[:20]} |\n\n"
        f"```\n{t * 2}\n```\n")
PY
same long "$tmp/long" 200

exit $fail
