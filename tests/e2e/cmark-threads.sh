#!/usr/bin/env bash
# End-to-end: cmark-gfm parses on every worker thread at once
# (src/convert.c, cmark_manage_extensions_special_characters): posts full of
# what the extensions' special characters start (~strike~, www. and
# scheme: autolinks, tables with struck cells, task lists) give the same
# EPUB with -j 8 as parsed one at a time under a lock with -j 1. Parses
# that hid those characters from each other, as cmark-gfm 0.29's own
# add-and-remove did, drop a strike or a link here and there.
# usage: cmark-threads.sh BOOKIFY
set -u
bookify=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site/_posts"
# BK_SHORT=1 (under the sanitizers, tests/CMakeLists.txt): half the posts,
# two runs
posts=240 runs=3
[ "${BK_SHORT:-0}" = 1 ] && posts=120 runs=2
for i in $(seq 1 $posts); do
    d=$(printf '2020-%02d-%02d' $(( (i - 1) / 28 % 12 + 1 )) $(( (i - 1) % 28 + 1 )))
    {
        printf -- '---\ntitle: "Post %d"\n---\n\n' "$i"
        for k in $(seq 1 30); do
            printf 'Line %d: ~~gone %d~~ and ~once~, see www.example%d.org/a or https://x.test/%d, ' "$k" "$i" "$k" "$i"
            printf 'mail me@host%d.test, a:b and w w www www.x\n\n' "$k"
        done
        printf '| a | ~b~ |\n|---|---|\n'
        for k in $(seq 1 20); do printf '| ~~%d~~ www.t%d.test | x:y ~z~ |\n' "$k" "$k"; done
        printf '\n- [x] ~done~ www.done.test\n- [ ] open\n'
    } >"$tmp/site/_posts/$d-p$i.md"
done
export SOURCE_DATE_EPOCH=1764000000
BOOKIFY_CMARK_LOCK=1 "$bookify" -q -j 1 --epub="$tmp/locked.epub" "$tmp/site" || { echo "FAIL: -j 1 under the lock"; exit 1; }
fail=0
for run in $(seq 1 $runs); do
    BOOKIFY_TIMES=1 "$bookify" -q -j 8 --epub="$tmp/free.epub" "$tmp/site" 2>"$tmp/times" ||
        { echo "FAIL: -j 8"; exit 1; }
    grep -q "cmark-gfm parsing on every thread" "$tmp/times" ||
        { echo "FAIL: cmark-gfm still parses under the lock:"; grep '^convert:' "$tmp/times"; exit 1; }
    cmp -s "$tmp/locked.epub" "$tmp/free.epub" ||
        { echo "FAIL: run $run: the EPUB parsed on 8 threads differs from the one parsed under the lock"; fail=1; }
done
# The test can see what it guards: the posts are full of struck text and links.
unzip -p "$tmp/locked.epub" 'EPUB/*.xhtml' 2>/dev/null | grep -o '<del' | wc -l >"$tmp/dels"
[ "$(cat "$tmp/dels")" -gt $((posts * 40)) ] || { echo "FAIL: only $(cat "$tmp/dels") struck spans"; fail=1; }
[ $fail = 0 ] && echo "ok: -j 8 without the lock = -j 1 under it ($runs runs, $posts posts)"
exit $fail
