#!/usr/bin/env bash
# Benchmark the collector: make a synthetic Jekyll site of N posts (default
# 1000, 10000) from the handbook sample and time `bookify --list` on it.
# Run by hand; results go in docs/performance.md. Not a test.
# usage: bench/list.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
bookify=${BOOKIFY:-build/bookify}
[ -x "$bookify" ] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
posts=(samples/handbook/_posts/*.md)
for n in "${sizes[@]}"; do
    site="$tmp/site-$n"
    mkdir -p "$site/_posts"
    for ((i = 0; i < n; i++)); do
        src=${posts[$((i % ${#posts[@]}))]}
        day=$(( i % 28 + 1 )) month=$(( i / 28 % 12 + 1 )) year=$(( 2000 + i / 336 ))
        name=$(printf '%04d-%02d-%02d-post-%05d.md' "$year" "$month" "$day" "$i")
        sed -e "s/^title: .*/title: \"Post number $i\"/" -e '/^date:/d' "$src" >"$site/_posts/$name"
    done
    bytes=$(du -sb "$site/_posts" | cut -f1)
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$tmp/rss" "$bookify" --list -q "$site" >/dev/null
    end=$(date +%s.%N)
    printf '%6d posts  %6.1f MB  %6.3f s  peak RSS %6.1f MiB\n' "$n" \
        "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$end - $start" | bc -l)" \
        "$(echo "$(cat "$tmp/rss") / 1024" | bc -l)"
done
