#!/usr/bin/env python3
"""A Jekyll site of one post per script and language (Chinese in three
forms, Japanese, Korean, Arabic, Hebrew, Hindi, Bengali, polytonic Greek,
Russian) and one mixing them inline, with a table and lists: e2e.fonts and
e2e.shapecache build it.  usage: scripts-site.py DIR"""
import sys
d = sys.argv[1]
posts = {
    "zh-tw": ("繁體中文", "zh-TW", "這是繁體中文的段落，漢字的字形與簡體和日文不同。"),
    "zh-hk": ("香港", "zh-HK", "香港的中文字形又有分別，例如「說」與「説」。"),
    "zh": ("简体中文", "zh", "这是简体中文的段落，用来检查字形。"),
    "ja": ("日本語", "ja", "日本語の文章です。漢字とひらがなとカタカナ。"),
    "ko": ("한국어", "ko", "한국어 문장입니다. 한자 漢字 도 있습니다."),
    "ar": ("العربية", "ar", "هذه فقرة باللغة العربية مع أرقام ١٢٣."),
    "he": ("עברית", "he", "זוהי פסקה בעברית."),
    "hi": ("हिन्दी", "hi", "यह हिन्दी में एक अनुच्छेद है।"),
    "bn": ("বাংলা", "bn", "এটি বাংলায় একটি অনুচ্ছেদ।"),
    "el": ("Ελληνικά", "el", "Ἐν ἀρχῇ ἦν ὁ λόγος, polytonic Greek."),
    "ru": ("Русский", "ru", "Съешь же ещё этих мягких французских булок."),
}
for i, (slug, (title, lang, text)) in enumerate(sorted(posts.items())):
    open(f"{d}/2024-01-{i + 1:02d}-{slug}.md", "w").write(
        f"---\ntitle: {title}\nlang: {lang}\n---\n\n{text}\n\n**{text}**\n\n*{text}*\n\n`{text}`\n")
open(f"{d}/2024-02-01-mixed.md", "w").write(
    "---\ntitle: Mixed\n---\n\n"
    "English with <span lang=\"zh-TW\">說話</span>, <span lang=\"ko\">漢字</span> and "
    "<span lang=\"ja\">漢字</span> inline; math ∀x ∈ ℝ: x² ≥ 0; arrows ⇒ ↦; emoji 🎉 ❤.\n\n"
    "| a | b |\n|---|---|\n| 表 | ✓ |\n\n- bullet\n  - nested\n\n1. one\n")
