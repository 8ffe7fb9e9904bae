#!/usr/bin/env bash
# docs/ci.md's GitHub Actions steps "Build the books" and "Annotate
# warnings" run as written (their `run:` bodies, taken from the document)
# in a git repository holding a blog: the books land in dist/, identical
# when built twice, and the diagnostics become annotations.
# usage: ci-recipe.sh BOOKIFY DOC SITE
set -u
bookify=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") doc=$2 site=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
step() { # the run: body of the step named $1, dedented
    awk -v name="$1" '
        $0 ~ "- name: " name "$" { on = 1; next }
        on && /^      - name:/ { exit }
        on && /^        run: \|/ { body = 1; next }
        on && body { sub(/^          /, ""); print }' "$doc"
}
step "Build the books" >"$tmp/build.sh"
step "Annotate warnings" >"$tmp/annotate.sh"
[ -s "$tmp/build.sh" ] && [ -s "$tmp/annotate.sh" ] || { echo "FAIL: steps not found in $doc"; exit 1; }
mkdir -p "$tmp/bin" && ln -s "$bookify" "$tmp/bin/bookify"
cp -a "$site/." "$tmp/blog/"
cd "$tmp/blog" || exit 1
git init -q && git add -A && git -c user.name=t -c user.email=t@t -c commit.gpgsign=false \
    commit -qm posts --date=2024-06-01T00:00:00Z || { echo "FAIL: git"; exit 1; }
export PATH="$tmp/bin:$PATH" HOME="$tmp"
bash -e "$tmp/build.sh" || { echo "FAIL: the build step"; fail=1; }
ls dist/*.epub dist/*.pdf >/dev/null 2>&1 || { echo "FAIL: no books in dist/"; fail=1; }
mv dist first
bash -e "$tmp/build.sh" || fail=1
for f in first/*; do cmp -s "$f" "dist/$(basename "$f")" || { echo "FAIL: $f differs when built again"; fail=1; }; done
bash "$tmp/annotate.sh" >"$tmp/ann.txt" || { echo "FAIL: the annotate step"; fail=1; }
python3 -c "import json; json.load(open('diagnostics.json'))" || { echo "FAIL: diagnostics.json is not JSON"; fail=1; }
# the handbook's sample has one warning (a dropped Liquid include)
grep -q '^::warning file=' "$tmp/ann.txt" || { echo "FAIL: no annotation"; cat "$tmp/ann.txt"; fail=1; }
[ $fail -eq 0 ] && echo "ok: docs/ci.md's steps run as written"
exit $fail
