#!/usr/bin/env bash
# End-to-end: a post's Markdown becomes the same book whether its nodes
# are built straight from cmark-gfm's tree (src/mdtree.c) or taken through
# cmark-gfm's HTML and libxml2's HTML parser (BOOKIFY_MD_VIA_HTML=1): the
# EPUBs must be byte for byte the same (the PDF is made from the same
# trees), with the same messages. tests/e2e/mdtree holds the edge cases
# (every block and inline, tables, task lists, notes, odd URLs and note
# labels, references cmark-gfm counts without showing them) and posts
# that must take the HTML route (raw HTML, a note inside a link, deep
# nesting, control characters); the count of posts built straight is
# checked so that a builder that always gave up would not pass. The
# template passes a post has nothing for are left out; run anyway they
# must change nothing (BOOKIFY_PREMD_CHECK=1).
# usage: mdtree.sh BOOKIFY SITE...
set -u
bookify=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
fail=0
for site in "$@"; do
    [ -d "$site" ] || continue
    name=$(basename "$site")
    formats=(--epub="$tmp/a.epub")
    rm -f "$tmp"/a.* "$tmp"/b.*
    # warnings too (not -q): each names its line
    BOOKIFY_TIMES=1 "$bookify" "${formats[@]}" "$site" 2>"$tmp/a.err"
    ra=$?
    BOOKIFY_MD_VIA_HTML=1 "$bookify" "${formats[@]//a./b.}" "$site" 2>"$tmp/b.err"
    rb=$?
    [ "$ra" = "$rb" ] || { echo "FAIL: $name: exit $ra built straight, $rb through HTML"; fail=1; }
    grep -v -E '^(convert|bookify|pdf|epub): ' "$tmp/a.err" >"$tmp/a.msg"
    grep -v -E '^(bookify|pdf|epub): ' "$tmp/b.err" >"$tmp/b.msg"
    cmp -s "$tmp/a.msg" "$tmp/b.msg" || { echo "FAIL: $name: the messages differ"; diff "$tmp/a.msg" "$tmp/b.msg" | head; fail=1; }
    for f in epub pdf; do
        [ -f "$tmp/a.$f" ] || continue
        cmp -s "$tmp/a.$f" "$tmp/b.$f" || { echo "FAIL: $name: the ${f^^}s differ"; fail=1; }
    done
    # The template passes left out of a post with none of their openers
    # (src/premd.c, "Idle passes"): run anyway and checked unchanged
    # (BOOKIFY_PREMD_CHECK=1, which aborts otherwise), the same book.
    BOOKIFY_PREMD_CHECK=1 "$bookify" -q "${formats[@]//a./c.}" "$site" 2>"$tmp/c.err"
    rc=$?
    [ "$rc" = "$ra" ] || { echo "FAIL: $name: exit $rc with every template pass run"; cat "$tmp/c.err"; fail=1; }
    for f in epub pdf; do
        [ -f "$tmp/a.$f" ] || continue
        cmp -s "$tmp/a.$f" "$tmp/c.$f" ||
            { echo "FAIL: $name: the ${f^^}s differ with every template pass run"; fail=1; }
    done
    skipped=$(sed -n 's/^convert: [0-9]* template passes over the posts run, \([0-9]*\) left out.*/\1/p' "$tmp/a.err")
    if [ "$name" = handbook ] && ! [ "${skipped:-0}" -gt 0 ]; then
        echo "FAIL: handbook: no template pass left out (posts without Liquid or maths)"; fail=1
    fi
    direct=$(sed -n 's/^convert: \([0-9]*\) of \([0-9]*\) posts built.*/\1 \2/p' "$tmp/a.err")
    echo "$name: $direct (built straight, posts) - same books"
    if [ "$name" = mdtree ] && [ "$direct" != "6 10" ]; then
        echo "FAIL: mdtree: expected 6 of its 10 posts built straight, got '$direct'"; fail=1
    fi
    if [ "$name" = mdtree ]; then
        # each block's own line, not the post's first or the last block's
        want="11 15 19 21 23"
        got=$(sed -n 's/.*2024-01-10-lines\.md:\([0-9]*\): warning: image .missing-in.*/\1/p' "$tmp/a.msg" | tr '\n' ' ')
        [ "${got% }" = "$want" ] || { echo "FAIL: mdtree: missing images reported at lines '$got', not $want"; fail=1; }
    fi
    [ -n "$direct" ] && [ "${direct%% *}" -gt 0 ] || { echo "FAIL: $name: no post built straight"; fail=1; }
done
exit $fail
