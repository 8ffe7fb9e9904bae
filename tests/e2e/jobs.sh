#!/usr/bin/env bash
# End-to-end: the books are byte-identical whatever the number of worker
# threads (-j), over a synthetic site of 150 posts (bench/make-site.py; 100
# under the sanitizers), built three times with -j 2 against -j 1; and, on
# a smaller one, with every chapter laid out again before drawing and the
# helper process, as a long book is.
# usage: jobs.sh BOOKIFY SOURCE_DIR
set -u
bookify=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# BK_SHORT=1 (under the sanitizers, tests/CMakeLists.txt): smaller sites,
# one -j 2 build, not three, and the progress bar on the smaller site.
short=${BK_SHORT:-0}
posts=150 small=40 runs=3
[ "$short" = 1 ] && posts=100 small=24 runs=1
python3 "$src/bench/make-site.py" $posts "$tmp/site" || { echo "FAIL: make-site"; exit 1; }
export SOURCE_DATE_EPOCH=1764000000
"$bookify" -q -j 1 --epub="$tmp/one.epub" --pdf="$tmp/one.pdf" "$tmp/site" || { echo "FAIL: -j 1"; exit 1; }
fail=0
for run in $(seq 1 "$runs"); do
    "$bookify" -q -j 2 --epub="$tmp/two.epub" --pdf="$tmp/two.pdf" "$tmp/site" || { echo "FAIL: -j 2"; exit 1; }
    cmp -s "$tmp/one.epub" "$tmp/two.epub" || { echo "FAIL: run $run: the EPUB differs between -j 1 and -j 2"; fail=1; }
    cmp -s "$tmp/one.pdf" "$tmp/two.pdf" || { echo "FAIL: run $run: the PDF differs between -j 1 and -j 2"; fail=1; }
done
# A book this small keeps its glyphs from line breaking to drawing; a long
# one drawn after pagination (BOOKIFY_NO_PIPELINE=1 here; drawn beside it,
# e2e.pipeline) lays each chapter out again before drawing it, and breaks
# the lines of its second half on a helper process (with -j 2). Both forced
# here (budget 0) on a smaller site (these builds are many, and slow under
# the sanitizers): the same bytes as -j 1 with glyphs kept. The helper must
# have done its share, and whatever goes wrong with it (records cut short
# or damaged, a crash) its chapters are laid out here: the same bytes.
python3 "$src/bench/make-site.py" $small "$tmp/small" || { echo "FAIL: make-site"; exit 1; }
"$bookify" -q -j 1 --pdf="$tmp/small1.pdf" "$tmp/small" || { echo "FAIL: small -j 1"; exit 1; }
for t in "" short odd crash; do
    BOOKIFY_NO_PIPELINE=1 BOOKIFY_TIMES=1 BOOKIFY_HELPER_TEST=$t BOOKIFY_LAYOUT_BUDGET=0 \
        "$bookify" -q -j 2 --pdf="$tmp/helped.pdf" "$tmp/small" 2>"$tmp/helper.txt" || { echo "FAIL: helper test '$t': the build failed"; fail=1; }
    taken=$(sed -n 's/^pdf: the helper process broke \([0-9]*\) of \([0-9]*\) chapters$/\1 \2/p' "$tmp/helper.txt")
    read -r got of <<<"${taken:-x y}"
    case "$t" in
    "") [ "$got" = "$of" ] && [ "${of:-0}" -ge $((small / 4)) ] 2>/dev/null || { echo "FAIL: the helper broke '$taken' chapters"; fail=1; } ;;
    crash) [ "$got" = 0 ] || { echo "FAIL: a crashed helper's chapters were taken: '$taken'"; fail=1; } ;;
    *) [ "$got" -lt "$of" ] 2>/dev/null || { echo "FAIL: helper test '$t': '$taken' chapters taken"; fail=1; } ;;
    esac
    cmp -s "$tmp/small1.pdf" "$tmp/helped.pdf" || { echo "FAIL: helper test '$t': the PDF differs"; fail=1; }
done
# Laid out again before drawing, on one process: the same bytes too.
BOOKIFY_LAYOUT_BUDGET=0 "$bookify" -q -j 1 --pdf="$tmp/relaid.pdf" "$tmp/small" || { echo "FAIL: budget 0"; exit 1; }
cmp -s "$tmp/small1.pdf" "$tmp/relaid.pdf" || { echo "FAIL: laid out again before drawing, the PDF differs"; fail=1; }
if "$bookify" -q -j 0 --epub="$tmp/x.epub" "$tmp/site" 2>/dev/null; then
    echo "FAIL: -j 0 accepted"; fail=1
fi
# On a terminal a progress bar shows on stderr (and is erased); not with -q
# and never when stderr is not a terminal (above: nothing on stderr).
tty_site=$tmp/site
[ "$short" = 1 ] && tty_site=$tmp/small
if command -v script >/dev/null; then
    export BOOKIFY_PROGRESS_DELAY=0
    script -qec "'$bookify' -j 1 --pdf='$tmp/t.pdf' '$tty_site'" /dev/null >"$tmp/tty.txt" 2>&1
    grep -q "breaking lines" "$tmp/tty.txt" || { echo "FAIL: no progress bar on a terminal"; fail=1; }
    grep -q $'\033\\[K' "$tmp/tty.txt" || { echo "FAIL: the progress bar was not erased"; fail=1; }
    script -qec "'$bookify' -q -j 1 --pdf='$tmp/t.pdf' '$tty_site'" /dev/null >"$tmp/tty.txt" 2>&1
    ! grep -q "breaking lines" "$tmp/tty.txt" || { echo "FAIL: a progress bar despite -q"; fail=1; }
    # Interrupted in the middle (SIGINT, as Ctrl-C): the earlier book is
    # left as it was, no temporary file stays, the bar is erased.
    echo "the earlier book" >"$tmp/int.pdf"
    script -qec "'$bookify' -j 1 --pdf='$tmp/int.pdf' '$tty_site'" /dev/null >"$tmp/tty2.txt" 2>&1 &
    spid=$!
    for _ in $(seq 300); do grep -q "breaking lines" "$tmp/tty2.txt" && break; sleep 0.05; done
    pkill -INT -f -- "--pdf=$tmp/int.pdf" || echo "note: the build ended before it could be interrupted"
    wait $spid
    [ "$(cat "$tmp/int.pdf")" = "the earlier book" ] || { echo "FAIL: an interrupted build changed the earlier PDF"; fail=1; }
    [ -z "$(find "$tmp" -maxdepth 1 -name '.int.pdf*')" ] || { echo "FAIL: an interrupted build left a temporary file"; fail=1; }
    tail -c 20 "$tmp/tty2.txt" | grep -q $'\033\\[K' || { echo "FAIL: the bar stays on screen after an interrupt"; fail=1; }
fi
# SIGTERM (a CI job cancelled) while both books are being written: the
# earlier files are kept, no temporary file stays, the exit is not 0.
echo "earlier pdf" >"$tmp/term.pdf"
echo "earlier epub" >"$tmp/term.epub"
"$bookify" -q -j 2 --pdf="$tmp/term.pdf" --epub="$tmp/term.epub" "$tmp/site" &
bpid=$!
sleep 0.5
kill -TERM $bpid 2>/dev/null || echo "note: the build ended before SIGTERM"
wait $bpid
trc=$?
if [ "$(cat "$tmp/term.pdf")" = "earlier pdf" ]; then
    [ $trc -ne 0 ] || { echo "FAIL: killed by SIGTERM yet exit 0"; fail=1; }
    [ "$(cat "$tmp/term.epub")" = "earlier epub" ] || { echo "FAIL: SIGTERM: the EPUB was replaced after the PDF was not"; fail=1; }
fi
[ -z "$(find "$tmp" -maxdepth 1 -name '.term.*')" ] || { echo "FAIL: SIGTERM left a temporary file"; fail=1; }
"$bookify" -j 2 --epub="$tmp/x.epub" "$tmp/site" 2>"$tmp/err.txt"
! grep -q "converting" "$tmp/err.txt" || { echo "FAIL: a progress bar when stderr is a file"; fail=1; }
[ $fail -eq 0 ] && echo "ok: -j 1 and -j 2 give the same bytes"
exit $fail
