#!/usr/bin/env bash
# Benchmark bookify against the tools a user could pick instead, on
# synthetic sites made from samples/ (bench/make-site.py).
#
# usage: bench/run.sh [--setup] [N...]   (default sizes: 100 1000 10000)
#   --setup        first install what is missing, bookify's packages and the
#                  other tools below, and build (scripts/setup.sh --bench): on
#                  a fresh clone, `bench/run.sh --setup 1000 10000` is the
#                  whole benchmark of docs/performance.md in one command
#   BOOKIFY=path   the binary (default build/bookify)
#   RUNS=k         runs per measurement, median taken (default 3); with
#                  hyperfine installed it runs them after one warm-up run
#                  (this VM runs its first second or so after an idle
#                  moment a third slower) (peak RSS: one more run)
#   OTHER_RUNS=k   runs for pandoc + WeasyPrint and pandoc + xelatex
#                  (default RUNS; WeasyPrint takes minutes at 1,000 posts);
#                  mutool, cmark-gfm and pandoc's EPUB (seconds) always get
#                  RUNS: a median against a median, not against one run
#   SKIP_OTHERS=1  bookify only
#   OTHERS_MAX=n   the other tools run for sizes up to n (default 1000:
#                  the targets compare them at 1,000 posts; at 10,000,
#                  pandoc + WeasyPrint alone would take a quarter of an
#                  hour and gigabytes), bookify at every size
#   HIGHLIGHT_MAX=n the highlighting section runs for sizes up to n
#                  (default 1000)
#
# For each size: bookify EPUB, PDF and both; cmark-gfm + gzip over the same
# Markdown (the work no EPUB writer can avoid); and when installed pandoc
# (EPUB), pandoc + WeasyPrint and pandoc + xelatex (PDF), and
# `mutool convert` (bookify's EPUB to PDF). It prints wall time (median),
# peak RSS, output size, pages, and bookify's speed-up; bookify is timed
# again right after each other tool (the machine's speed drifts), and the
# speed-up is given against both timings. Then, for sizes up to 1,000,
# what syntax highlighting costs on samples/code-tour scaled up. Last,
# issue 7's targets from the 1,000- and 10,000-post numbers: met, met once
# of two, not met, or not measured. Run by hand on a quiet machine; not a
# test. Results go in docs/performance.md. A measurement that fails says
# so in the table, and the run then ends with status 1.
# The other tools, on Debian 12: `scripts/setup.sh --bench` (or --setup
# here) installs them: pandoc weasyprint texlive-xetex
# texlive-latex-recommended texlive-fonts-recommended texlive-plain-generic
# lmodern mupdf-tools hyperfine
set -uo pipefail
cd "$(dirname "$0")/.."
setup=
case "${1:-}" in
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --setup) shift; setup=1 ;;
esac
# the sizes checked before any set-up: a typo costs no install
for n in "$@"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: not a number of posts: $n (--help)" >&2; exit 2; }
done
[ -z "$setup" ] || scripts/setup.sh --bench || exit 1
bookify=${BOOKIFY:-build/bookify}
runs=${RUNS:-3}
[ -x "$bookify" ] || { echo "build first: scripts/setup.sh (or bench/run.sh --setup ...)" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
hyperfine=
command -v hyperfine >/dev/null && hyperfine=1
other_runs=${OTHER_RUNS:-$runs}
failed=0 # a measurement failed: the run ends non-zero, after its table

# measure NAME OUTPUT CMD...: median wall time (hyperfine's when it is
# installed and RUNS > 1) and the peak RSS (of the median run, or with
# hyperfine of one run of its own)
measure() {
    local name=$1 out=$2; shift 2
    local times=() rss=()
    local n=$runs hf=
    [ "$hyperfine" ] && [ "$runs" -gt 1 ] && hf=1 n=1
    for ((r = 0; r < n; r++)); do
        rm -f "$out"
        /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || {
            printf '%-22s failed: %s\n' "$name" "$(tail -1 "$tmp/err")"; failed=1; return 1; }
        read -r t m <"$tmp/t"
        times+=("$t") rss+=("$m")
    done
    local med idx
    med=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (n + 1) / 2 ))p")
    for idx in "${!times[@]}"; do [ "${times[$idx]}" = "$med" ] && break; done
    if [ "$hf" ]; then
        hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$tmp/h.json" -- "$(printf '%q ' "$@")" \
            >/dev/null 2>"$tmp/err" || { printf '%-22s hyperfine failed: %s\n' "$name" "$(tail -1 "$tmp/err")"; failed=1; return 1; }
        med=$(python3 -c 'import json, sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$tmp/h.json")
    fi
    local size="-" pages="-"
    [ -f "$out" ] && size=$(du -k "$out" | cut -f1)
    case "$out" in *.pdf) pages=$(pdfinfo "$out" 2>/dev/null | awk '/^Pages/ {print $2}') ;; esac
    printf '%-22s %9.3f s %8.0f MiB %8s KiB %7s pages' "$name" "$med" "$(( ${rss[$idx]} / 1024 ))" "$size" "${pages:--}"
    printf '%s\t%s\t%s\t%s\n' "$name" "$med" "$pages" "$(( ${rss[$idx]} / 1024 ))" >>"$results"
    echo
}

# The machine's speed drifts by a fifth or more within minutes, and the
# other tools run for minutes: bookify is timed again right after each of
# them ("again"), and the speed-up is given against both timings.
again() { # again NAME OUT CMD...: bookify's measurement NAME, repeated
    local name=$1; shift
    runs=$runs measure "$name (again)" "$@"
}

speedup() { # speedup BASE OTHER: OTHER's time / BASE's time
    awk -F'\t' -v a="$1" -v b="$2" '$1 == a {ta = $2} $1 == b {tb = $2} END {
        if (ta > 0 && tb > 0) printf "  %s is %.1fx faster than %s\n", a, tb / ta, b }' "$results"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "bookify: $("$bookify" --version)"
echo "timing: median of $runs runs (pandoc + WeasyPrint, pandoc + xelatex: $other_runs)$([ "$hyperfine" ] && [ "$runs" -gt 1 ] && echo ", by hyperfine; peak RSS of one more run")"
for n in "${sizes[@]}"; do
    site="$tmp/site-$n"
    python3 bench/make-site.py "$n" "$site"
    results="$tmp/results-$n"
    : >"$results"
    echo
    echo "== $n posts, $(cat "$site"/_posts/*.md | wc -c | awk '{printf "%.2f MB", $1 / 1e6}') of Markdown =="
    echo "   ($("$bookify" --list -q "$site" | wc -l) of them in the book: drafts and unpublished posts are left out)"
    measure "bookify --epub" "$tmp/b.epub" "$bookify" -q --epub="$tmp/b.epub" "$site"
    measure "  --no-highlight" "$tmp/b.epub" "$bookify" -q --no-highlight --epub="$tmp/b.epub" "$site"
    measure "bookify --pdf" "$tmp/b.pdf" "$bookify" -q --pdf="$tmp/b.pdf" "$site"
    measure "bookify (both; PDF)" "$tmp/b.pdf" "$bookify" -q --epub="$tmp/b.epub" --pdf="$tmp/b.pdf" "$site"
    "$bookify" -q --epub="$tmp/keep.epub" "$site"
    measure "cmark-gfm + gzip" "$tmp/md.gz" sh -c "cat '$site'/_posts/*.md | cmark-gfm -e table -e strikethrough -e autolink | gzip > '$tmp/md.gz'"
    speedup "cmark-gfm + gzip" "bookify --epub"
    [ "${SKIP_OTHERS:-}" ] && continue
    [ "$n" -le "${OTHERS_MAX:-1000}" ] || continue
    if command -v mutool >/dev/null; then
        # as many runs as bookify's: seconds each, and the pages-per-second
        # ratio is only as steady as both sides
        measure "mutool convert" "$tmp/m.pdf" mutool convert -o "$tmp/m.pdf" "$tmp/keep.epub"
        again "bookify --pdf" "$tmp/b.pdf" "$bookify" -q --pdf="$tmp/b.pdf" "$site"
        for b in "bookify --pdf" "bookify --pdf (again)"; do
            awk -F'\t' -v b="$b" '$1 == b {t = $2; bp = $3} $1 == "mutool convert" {m = $2; mp = $3} END {
                if (t > 0 && m > 0) printf "  pages per second: %s %.0f, mutool %.0f (%.2fx)\n", b, bp / t, mp / m, (bp / t) / (mp / m) }' \
                "$results"
        done
    fi
    if command -v pandoc >/dev/null; then
        files=("$site"/_posts/*.md)
        measure "pandoc (EPUB)" "$tmp/p.epub" pandoc -f markdown -o "$tmp/p.epub" "${files[@]}"
        again "bookify --epub" "$tmp/b.epub" "$bookify" -q --epub="$tmp/b.epub" "$site"
        speedup "bookify --epub" "pandoc (EPUB)"
        speedup "bookify --epub (again)" "pandoc (EPUB)"
        if command -v weasyprint >/dev/null; then
            runs=$other_runs measure "pandoc + WeasyPrint" "$tmp/w.pdf" pandoc -f markdown --pdf-engine=weasyprint -o "$tmp/w.pdf" "${files[@]}"
            again "bookify --pdf" "$tmp/b.pdf" "$bookify" -q --pdf="$tmp/b.pdf" "$site"
            speedup "bookify --pdf" "pandoc + WeasyPrint"
            speedup "bookify --pdf (again)" "pandoc + WeasyPrint"
        fi
        if command -v xelatex >/dev/null; then
            # LaTeX stops at an image it cannot find: the posts' site paths
            # (/assets/...) made relative to the site, as a site generator
            # would serve them
            mkdir -p "$tmp/tex-$n"
            for f in "${files[@]}"; do sed 's#](/#](#g; s#src="/#src="#g' "$f" >"$tmp/tex-$n/${f##*/}"; done
            runs=$other_runs measure "pandoc + xelatex" "$tmp/x.pdf" pandoc -f markdown --pdf-engine=xelatex \
                --resource-path="$site" -o "$tmp/x.pdf" "$tmp/tex-$n"/*.md
            again "bookify --pdf" "$tmp/b.pdf" "$bookify" -q --pdf="$tmp/b.pdf" "$site"
            speedup "bookify --pdf" "pandoc + xelatex"
            speedup "bookify --pdf (again)" "pandoc + xelatex"
        fi
    fi
done

# What syntax highlighting costs: samples/code-tour (code in twenty
# languages, nearly all of each post) scaled up, with and without it.
for n in "${sizes[@]}"; do
    [ "$n" -le "${HIGHLIGHT_MAX:-1000}" ] || continue
    site="$tmp/code-$n"
    python3 bench/make-site.py "$n" "$site" code-tour
    results="$tmp/code-results-$n"
    : >"$results"
    echo
    echo "== highlighting: $n code-tour posts, $(grep -c '^```[a-z]' "$site"/_posts/*.md | awk -F: '{s += $2} END {print s}') fenced blocks with a language =="
    measure "EPUB" "$tmp/c.epub" "$bookify" -q --epub="$tmp/c.epub" "$site"
    measure "EPUB --no-highlight" "$tmp/c.epub" "$bookify" -q --no-highlight --epub="$tmp/c.epub" "$site"
    measure "PDF" "$tmp/c.pdf" "$bookify" -q --pdf="$tmp/c.pdf" "$site"
    measure "PDF --no-highlight" "$tmp/c.pdf" "$bookify" -q --no-highlight --pdf="$tmp/c.pdf" "$site"
    awk -F'\t' '{t[$1] = $2} END {
        printf "  highlighting costs %.2f s of the EPUB (%.0f%%), %.2f s of the PDF (%.0f%%)\n",
            t["EPUB"] - t["EPUB --no-highlight"], 100 * (t["EPUB"] - t["EPUB --no-highlight"]) / t["EPUB"],
            t["PDF"] - t["PDF --no-highlight"], 100 * (t["PDF"] - t["PDF --no-highlight"]) / t["PDF"] }' "$results"
done

# Issue 7's targets, from this run's numbers: each comparison against
# bookify's first timing and against its timing right after the other
# tool ("a / b"), met only when both are.
echo
echo "== targets (docs/performance.md; 1,000 and 10,000 posts) =="
touch "$tmp/results-1000" "$tmp/results-10000" # a size not run: "not measured"
awk -F'\t' -v k="$tmp/results-1000" -v m="$tmp/results-10000" '
    function verdict(ok1, ok2) { return ok1 && ok2 ? "met" : ok1 || ok2 ? "met once of two" : "not met" }
    function row(label, value, v) { printf "%-42s %-18s %s\n", label, value, v }
    FILENAME == k {
        t[$1] = t[$1] ? t[$1] : $2; p[$1] = $3
        if ($1 ~ /\(again\)$/ && last != "") after[last] = $2
        last = $1 ~ /\(again\)$/ ? "" : $1
    }
    FILENAME == m { big[$1] = big[$1] ? big[$1] : $2; rss[$1] = $4 }
    function ratio(label, tool, mine, lo,   a, b) {
        if (!t[tool] || !t[mine]) { row(label, "not measured", ""); return }
        a = t[tool] / t[mine]; b = after[tool] ? t[tool] / after[tool] : a
        row(label, sprintf("%.1fx / %.1fx", a, b), verdict(a >= lo, b >= lo))
    }
    END {
        ratio("EPUB >= 40x pandoc", "pandoc (EPUB)", "bookify --epub", 40)
        if (t["cmark-gfm + gzip"] && t["bookify --epub"])
            row("EPUB <= 2x cmark-gfm + gzip", sprintf("%.1fx", t["bookify --epub"] / t["cmark-gfm + gzip"]),
                t["bookify --epub"] <= 2 * t["cmark-gfm + gzip"] ? "met" : "not met")
        else row("EPUB <= 2x cmark-gfm + gzip", "not measured", "")
        ratio("PDF >= 50x pandoc + WeasyPrint", "pandoc + WeasyPrint", "bookify --pdf", 50)
        ratio("PDF >= 25x pandoc + xelatex", "pandoc + xelatex", "bookify --pdf", 25)
        if (t["mutool convert"] && t["bookify --pdf"]) {
            mu = p["mutool convert"] / t["mutool convert"]
            a = p["bookify --pdf"] / t["bookify --pdf"] / mu
            b = after["mutool convert"] ? p["bookify --pdf"] / after["mutool convert"] / mu : a
            row("PDF pages a second >= 1.5x mutool", sprintf("%.2fx / %.2fx", a, b), verdict(a >= 1.5, b >= 1.5))
        } else row("PDF pages a second >= 1.5x mutool", "not measured", "")
        if (!big["bookify --epub"]) { row("10,000 posts", "not measured", ""); exit }
        row("10,000 posts: EPUB within 10 s", sprintf("%.2f s", big["bookify --epub"]), big["bookify --epub"] <= 10 ? "met" : "not met")
        row("10,000 posts: PDF within 60 s", sprintf("%.2f s", big["bookify --pdf"]), big["bookify --pdf"] <= 60 ? "met" : "not met")
        r = rss["bookify --epub"]
        if (rss["bookify --pdf"] > r) r = rss["bookify --pdf"]
        if (rss["bookify (both; PDF)"] > r) r = rss["bookify (both; PDF)"]
        row("10,000 posts: peak RSS under 500 MiB", sprintf("%d MiB", r), r < 500 ? "met" : "not met")
        if (t["bookify --epub"] && t["bookify --pdf"]) {
            a = big["bookify --epub"] / t["bookify --epub"]; b = big["bookify --pdf"] / t["bookify --pdf"]
            row("10,000 <= 11x 1,000 posts (EPUB / PDF)", sprintf("%.1fx / %.1fx", a, b), a <= 11 && b <= 11 ? "met" : "not met")
        }
    }' "$tmp/results-1000" "$tmp/results-10000"
exit $failed
