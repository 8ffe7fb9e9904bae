#!/usr/bin/env bash
# End-to-end: what bookify asks of the file system, once and not once a
# post (docs/performance.md, "Fifteenth pass"). On a virtual machine every
# system call costs microseconds, and a 1,000-post book made thousands of
# them that were the same each time. With strace, on 40 posts that each
# show the same two images:
# - each post is opened once and not looked at otherwise (the folder's
#   entry says it is a file: no lstat);
# - each image's path is resolved and its file read once for the whole
#   book, however many posts show it, and once more to put it in the EPUB;
# - the time zone file is read once, not at each of the zip's entries
#   (libzip's mktime with TZ unset);
# and the book is the same as with TZ set by the user.
# usage: syscalls.sh BOOKIFY   (77 = skipped)
set -u
bookify=$1
command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null ||
    { echo "skip: strace missing or not allowed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1764000000
fail=0

site=$tmp/site
mkdir -p "$site/_posts" "$site/assets/img"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82' \
    >"$site/assets/img/chart.png"
printf '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n' \
    >"$site/assets/img/logo.svg"
for i in $(seq -w 1 40); do
    printf -- '---\ntitle: Post %s\ndate: 2020-01-%02d\n---\n\nText of post %s.\n\n![the logo](/assets/img/logo.svg)\n\n![a chart](../assets/img/chart.png)\n\n![gone](/assets/img/gone.png)\n' \
        "$i" $((10#$i % 28 + 1)) "$i" >"$site/_posts/2020-01-01-post-$i.md"
done

# (LeakSanitizer cannot run under ptrace: no leak check in this run)
env -u TZ ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=%file,%desc -o "$tmp/trace" "$bookify" --epub="$tmp/a.epub" "$site" 2>"$tmp/err" ||
    { echo "FAIL: bookify under strace"; cat "$tmp/err"; exit 1; }
# A file the site lacks is looked for once too, and still reported in
# every post that names it, at its line.
n=$(grep -c "_posts/2020-01-01-post-[0-9]*\.md:12: warning: image '/assets/img/gone.png' left out: no such file" "$tmp/err")
[ "$n" -eq 40 ] || { echo "FAIL: $n warnings for the missing image, expected one in each of 40 posts"; fail=1; }
for i in 01 17 40; do
    n=$(grep -c "post-$i\.md" "$tmp/trace")
    [ "$n" -eq 1 ] || { echo "FAIL: post $i named in $n system calls (expected 1, its open):"; grep "post-$i\.md" "$tmp/trace"; fail=1; }
done
for img in logo.svg chart.png gone.png; do
    n=$(grep -c "$img" "$tmp/trace")
    [ "$n" -le 8 ] || { echo "FAIL: $img named in $n system calls for 40 posts (each post resolved it again?)"; fail=1; }
done
n=$(grep -c '/etc/localtime' "$tmp/trace")
[ "$n" -le 3 ] || { echo "FAIL: /etc/localtime named in $n system calls (once a zip entry?)"; fail=1; }

TZ=America/New_York "$bookify" -q --epub="$tmp/b.epub" "$site" || { echo "FAIL: bookify with TZ set"; exit 1; }
TZ= "$bookify" -q --epub="$tmp/c.epub" "$site" || { echo "FAIL: bookify with TZ empty"; exit 1; }
cmp -s "$tmp/a.epub" "$tmp/b.epub" || { echo "FAIL: the EPUB depends on TZ"; fail=1; }
cmp -s "$tmp/a.epub" "$tmp/c.epub" || { echo "FAIL: the EPUB differs with TZ empty"; fail=1; }

[ $fail -eq 0 ] && echo "ok: system calls"
exit $fail
