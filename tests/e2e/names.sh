#!/usr/bin/env bash
# End-to-end: file names inside the EPUB never collide. A post whose slug
# is "chapter-2" beside a post with a non-ASCII slug (which is named
# chapter-N), a post slugged "bk-nav" (bookify's own navigation file), and
# a post image named bk-cover.png beside the book's cover: the EPUB is
# built, passes epubcheck, and every chapter has its own file.
# usage: names.sh BOOKIFY
set -u
bookify=$1
jar=/usr/share/java/epubcheck.jar
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site/_posts" "$tmp/site/img"
python3 - "$tmp/site" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def png(path, w, h, grey):
    def chunk(t, b):
        return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    raw = b"".join(b"\0" + bytes([grey]) * w for _ in range(h))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
png(d + "/img/cover.png", 60, 90, 0x40)
png(d + "/img/bk-cover.png", 30, 20, 0xa0)
open(d + "/_posts/2020-01-01-chapter-2.md", "w").write("---\ntitle: Chapter Two\n---\n\n![pic](/img/bk-cover.png)\n")
open(d + "/_posts/2020-01-02-привет.md", "w").write("---\ntitle: Привет\n---\n\nText.\n")
open(d + "/_posts/2020-01-03-bk-nav.md", "w").write("---\ntitle: Nav Post\n---\n\nNavtext.\n")
open(d + "/bookify.yml", "w").write("title: Names\ncover: img/cover.png\n")
PY
export SOURCE_DATE_EPOCH=1764000000
"$bookify" -q --epub="$tmp/o.epub" --dump-xhtml="$tmp/x" "$tmp/site" || { echo "FAIL: bookify failed"; exit 1; }
fail=0
files=$(cut -f1 "$tmp/x/index.tsv")
[ "$(sort -u <<<"$files" | wc -l)" -eq 3 ] || { echo "FAIL: chapters share a file: $files"; fail=1; }
grep -qx "bk-nav.xhtml" <<<"$files" && { echo "FAIL: a post took bookify's bk-nav.xhtml"; fail=1; }
[ "$(unzip -Z1 "$tmp/o.epub" | grep -c '^EPUB/images/.*\.png$')" -eq 2 ] || { echo "FAIL: the cover and the post image are not two files"; fail=1; }
if [ -f "$jar" ] && command -v java >/dev/null; then
    java -jar "$jar" "$tmp/o.epub" 2>&1 | grep -q "Messages: 0 fatals / 0 errors / 0 warnings" \
        || { echo "FAIL: epubcheck"; java -jar "$jar" "$tmp/o.epub" 2>&1 | grep -E "ERROR|FATAL" | head; fail=1; }
fi
[ $fail -eq 0 ] && echo "ok: every file has its own name"
exit $fail
