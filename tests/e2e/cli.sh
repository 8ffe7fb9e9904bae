#!/usr/bin/env bash
# End-to-end: command-line behaviour (help, version, exit codes, usage
# errors, default output names, diagnostics paths).
# usage: cli.sh BOOKIFY SAMPLES_DIR
set -u
bookify=$1 samples=$2
fails=0 checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000

# expect WANT_RC DESCRIPTION -- command...; stdout/stderr land in $tmp/out, $tmp/err
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    checks=$((checks + 1))
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $what: exit $rc, expected $want"; sed 's/^/  | /' "$tmp/err"
        fails=$((fails + 1))
    fi
}
# has FILE PATTERN DESCRIPTION: fixed-string grep
has() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$1" || { echo "FAIL: $3: '$2' not in $(basename "$1")"; sed 's/^/  | /' "$1"; fails=$((fails + 1)); }
}
empty() {
    checks=$((checks + 1))
    [ ! -s "$1" ] || { echo "FAIL: $2: $(basename "$1") not empty"; sed 's/^/  | /' "$1"; fails=$((fails + 1)); }
}

expect 0 "--help" -- "$bookify" --help
has "$tmp/out" "Usage: bookify [OPTIONS] SITE" "--help"
for opt in --epub --pdf --output-dir --list --config --title --subtitle --author --lang \
           --order --category --tag --since --until --drafts --future --quiet --verbose \
           --strict --help --version --check --dump-xhtml --css --embed-fonts --toc-depth \
           --theme --page-size --dump-layout --no-smart --jobs --max-post-size --max-image-size \
           --max-image-pixels --diagnostics "bookify init SITE"; do
    has "$tmp/out" "$opt" "--help mentions $opt"
done
empty "$tmp/err" "--help"
expect 0 "-h" -- "$bookify" -h
expect 0 "--version" -- "$bookify" --version
has "$tmp/out" "bookify " "--version"

expect 2 "no SITE" -- "$bookify" --list
has "$tmp/err" "no SITE given" "no SITE"
expect 2 "unknown option" -- "$bookify" --frobnicate site
has "$tmp/err" "unknown option '--frobnicate'" "unknown option"
expect 2 "missing value" -- "$bookify" --list "$samples/handbook" --order
has "$tmp/err" "needs a value" "missing value"
expect 2 "bad --since" -- "$bookify" --list --since=yesterday "$samples/handbook"
has "$tmp/err" "invalid date 'yesterday' for --since" "bad --since"
expect 2 "since after until" -- "$bookify" --list --since=2024-05-01 --until=2024-01-01 "$samples/handbook"
expect 2 "--epub FILE without =" -- "$bookify" --epub "$samples/handbook" out.epub
has "$tmp/err" "write --epub=FILE" "--epub FILE hint"
expect 2 "two sites" -- "$bookify" --list "$samples/handbook" "$samples/field-notes"
expect 2 "--pdf FILE before SITE" -- "$bookify" --pdf out.pdf "$samples/handbook"
has "$tmp/err" "unexpected 'out.pdf'" "--pdf FILE before SITE names the file"
expect 2 "empty --output-dir" -- "$bookify" --epub -o '' "$samples/handbook"
has "$tmp/err" "--output-dir needs a folder name" "empty --output-dir"
expect 2 "empty --epub=" -- "$bookify" --epub= "$samples/handbook"
expect 2 "same file twice" -- "$bookify" --epub=x --pdf=x "$samples/handbook"
has "$tmp/err" "name the same file" "same file twice"
expect 2 "unknown short option in a cluster" -- "$bookify" -Zq "$samples/handbook"
has "$tmp/err" "unknown option '-Z'" "unknown short option named alone"
for j in 0 65 abc -1; do
    expect 2 "--jobs=$j" -- "$bookify" --jobs=$j --list "$samples/handbook"
done
has "$tmp/err" "from 1 to 64" "--jobs range"
for v in 0 lots 5X -1M; do
    expect 2 "--max-post-size=$v" -- "$bookify" --max-post-size=$v --list "$samples/handbook"
done
has "$tmp/err" "must be a size such as 500K" "--max-post-size value"
expect 2 "--diagnostics=xml" -- "$bookify" --diagnostics=xml --list "$samples/handbook"
has "$tmp/err" "'text' or 'json'" "--diagnostics value"
expect 0 "--diagnostics=json, clean" -- "$bookify" --diagnostics=json --list "$samples/hugo-notes"
has "$tmp/err" "[]" "an empty JSON array when there is nothing to say"
expect 0 "init --help" -- "$bookify" init --help
has "$tmp/out" "Usage: bookify init SITE" "init --help"
expect 2 "init with an option" -- "$bookify" init --quiet "$samples/handbook"
expect 1 "missing site" -- "$bookify" --list "$tmp/nope"
has "$tmp/err" "$tmp/nope: error: cannot open site folder: No such file or directory" "missing site"
expect 1 "site is a file" -- "$bookify" --list "$samples/handbook/README.md"
has "$tmp/err" "not a folder" "site is a file"
expect 1 "bad --lang" -- "$bookify" --list --lang='not a tag!' "$samples/handbook"

# --list: nothing on stderr for a clean site, and paths printed as typed.
expect 0 "--list handbook" -- "$bookify" --list "$samples/handbook/"
empty "$tmp/err" "--list handbook stderr"
has "$tmp/out" "_posts/2024-02-03 code that reads well.md" "--list spaces in names"
expect 0 "-v" -- "$bookify" --list -v "$samples/handbook/"
has "$tmp/err" "$samples/handbook/_posts/2024-06-01-unpublished-idea.md: note: left out: 'published: false'" "-v note path"
(cd "$samples" && "$bookify" --list -v handbook >/dev/null 2>"$tmp/err")
has "$tmp/err" "handbook/_posts/2024-06-01-unpublished-idea.md: note:" "relative SITE path"
(cd "$samples/handbook" && "$bookify" --list -v . >/dev/null 2>"$tmp/err")
has "$tmp/err" "_posts/2024-06-01-unpublished-idea.md: note:" "SITE '.'"

# Output names: the title's slug, else the site folder's name; -o DIR.
work="$tmp/work"
mkdir -p "$work"
exists() {
    checks=$((checks + 1))
    [ -f "$1" ] || { echo "FAIL: $2: no $1"; ls -la "$(dirname "$1")"; fails=$((fails + 1)); }
}
(cd "$work" && "$bookify" -q --epub "$samples/handbook")
exists "$work/the-small-web-handbook.epub" "default EPUB name from the title"
expect 0 "--title and -o" -- "$bookify" -q --epub --title="Notes, Vol. 2" -o "$tmp/out dir/sub" "$samples/handbook"
exists "$tmp/out dir/sub/notes-vol-2.epub" "-o DIR (made when missing) and --title"
checks=$((checks + 1))
ls "$tmp/out dir/sub" | grep -q "\.pdf" && { echo "FAIL: --epub alone also wrote a PDF"; fails=$((fails + 1)); }
(cd "$work" && "$bookify" -q --epub "$samples/field-notes")
exists "$work/field-notes.epub" "name from the site folder without a title"
expect 0 "--epub=FILE" -- "$bookify" -q --epub="$tmp/named.epub" "$samples/field-notes"
exists "$tmp/named.epub" "--epub=FILE"
expect 0 "--pdf=FILE" -- "$bookify" -q --pdf="$tmp/x.pdf" "$samples/field-notes"
exists "$tmp/x.pdf" "--pdf=FILE"

# EPUB options leave their mark in the book.
printf 'p { color: #123456; }\n' >"$tmp/extra.css"
expect 0 "--css --embed-fonts --toc-depth" -- "$bookify" -q --epub="$tmp/opts.epub" --css="$tmp/extra.css" \
    --embed-fonts --toc-depth=1 "$samples/handbook"
unzip -l "$tmp/opts.epub" >"$tmp/out"
has "$tmp/out" "EPUB/css/style-1.css" "--css adds a style sheet"
has "$tmp/out" "EPUB/fonts/GentiumBookPlus-Regular.ttf" "--embed-fonts embeds the text font"
unzip -p "$tmp/opts.epub" EPUB/css/style-1.css >"$tmp/out"
has "$tmp/out" "#123456" "--css content"
unzip -p "$tmp/opts.epub" EPUB/bk-nav.xhtml >"$tmp/out"
checks=$((checks + 1))
grep -q 'welcome.xhtml#' "$tmp/out" && { echo "FAIL: --toc-depth=1 still lists headings"; fails=$((fails + 1)); }
# PDF options: page size from --page-size and from a theme.
expect 0 "--page-size=A5" -- "$bookify" -q --pdf="$tmp/a5.pdf" --page-size=A5 "$samples/field-notes"
pdfinfo "$tmp/a5.pdf" >"$tmp/out"
has "$tmp/out" "419.528 x 595.276 pts" "--page-size=A5"
printf 'page:\n  size: Letter\n' >"$tmp/theme.yml"
expect 0 "--theme" -- "$bookify" -q --pdf="$tmp/letter.pdf" --theme="$tmp/theme.yml" "$samples/field-notes"
pdfinfo "$tmp/letter.pdf" >"$tmp/out"
has "$tmp/out" "612 x 792 pts" "--theme page size"
expect 1 "bad --page-size" -- "$bookify" -q --pdf="$tmp/bad.pdf" --page-size=huge "$samples/field-notes"
has "$tmp/err" "unknown page size 'huge'" "bad --page-size"

# Command line beats bookify.yml beats _config.yml: --config on top.
printf 'title: From Config\norder: title\n' >"$tmp/extra.yml"
(cd "$work" && "$bookify" -q --epub --config="$tmp/extra.yml" "$samples/handbook")
exists "$work/from-config.epub" "--config overrides bookify.yml"
expect 0 "--config order" -- "$bookify" --list --config="$tmp/extra.yml" "$samples/handbook"
checks=$((checks + 1))
[ "$(head -1 "$tmp/out" | cut -f3)" = "A Writer's Checklist" ] || { echo "FAIL: order: title from --config"; fails=$((fails + 1)); }
expect 0 "--order beats config" -- "$bookify" --list --config="$tmp/extra.yml" --order=date "$samples/handbook"
checks=$((checks + 1))
[ "$(head -1 "$tmp/out" | cut -f3)" = "Welcome to the Small Web" ] || { echo "FAIL: --order over config"; fails=$((fails + 1)); }
expect 1 "missing --config" -- "$bookify" --list --config="$tmp/none.yml" "$samples/handbook"
has "$tmp/err" "$tmp/none.yml: error: cannot read the configuration: No such file or directory" "missing --config"

# --check converts every post, reports, and writes nothing.
(cd "$tmp" && mkdir -p check && cd check && "$bookify" --check "$samples/handbook" >"$tmp/out" 2>"$tmp/err")
rc=$?
checks=$((checks + 1))
[ $rc -eq 0 ] || { echo "FAIL: --check exit $rc"; fails=$((fails + 1)); }
empty "$tmp/out" "--check stdout"
has "$tmp/err" "dropped Liquid tag '{% include %}'" "--check reports template leftovers"
checks=$((checks + 1))
[ -z "$(ls -A "$tmp/check")" ] || { echo "FAIL: --check wrote files"; fails=$((fails + 1)); }
expect 0 "--check -q" -- "$bookify" --check -q "$samples/handbook"
empty "$tmp/err" "--check -q stderr"
expect 1 "--check --strict" -- "$bookify" --check --strict "$samples/handbook"
expect 0 "--no-smart" -- "$bookify" -q --check --no-smart --dump-xhtml="$tmp/dump" "$samples/handbook"
checks=$((checks + 1))
grep -q "A Writer's Checklist" "$tmp/dump/writers-checklist.xhtml" || { echo "FAIL: --no-smart kept a curly apostrophe"; fails=$((fails + 1)); }

# SOURCE_DATE_EPOCH decides what is "future", never the clock.
expect 0 "future by epoch" -- env SOURCE_DATE_EPOCH=1706000000 "$bookify" --list "$samples/handbook"
checks=$((checks + 1))
[ "$(wc -l <"$tmp/out")" -eq 2 ] || { echo "FAIL: SOURCE_DATE_EPOCH=2024-01-23 should leave 2 posts, got $(wc -l <"$tmp/out")"; fails=$((fails + 1)); }

# The PDF writer is a module of its own (include/bookify/pdf.h), loaded
# only for a PDF: the executable is not linked with pango or cairo, and a
# bookify without its module still makes the EPUB, and says so for a PDF.
# Nor with libzip (and libcrypto under it), loaded beside the reading of
# an EPUB run (epub.h): 3 ms of every start-up.
if command -v ldd >/dev/null; then
    checks=$((checks + 1))
    ! ldd "$bookify" | grep -q 'libpango\|libcairo\|libharfbuzz\|librsvg' ||
        { echo "FAIL: bookify is linked with the PDF writer's libraries"; fails=$((fails + 1)); }
    checks=$((checks + 1))
    ! ldd "$bookify" | grep -q 'libzip\|libcrypto' ||
        { echo "FAIL: bookify is linked with libzip"; fails=$((fails + 1)); }
fi
mkdir "$tmp/alone"
cp "$bookify" "$tmp/alone/bookify"
expect 0 "EPUB without the PDF module" -- "$tmp/alone/bookify" -q --epub="$tmp/alone/a.epub" "$samples/handbook"
expect 1 "PDF without the PDF module" -- "$tmp/alone/bookify" -q --pdf="$tmp/alone/a.pdf" "$samples/handbook"
has "$tmp/err" "error: cannot load bookify's PDF writer (bookify-pdf.so)" "PDF without the PDF module"
checks=$((checks + 1))
[ ! -e "$tmp/alone/a.pdf" ] || { echo "FAIL: a PDF without the PDF module"; fails=$((fails + 1)); }

echo "$((checks - fails)) passed, $fails failed"
[ $fails -eq 0 ]
