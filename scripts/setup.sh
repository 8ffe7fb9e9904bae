#!/usr/bin/env bash
# Set up bookify on Debian 12: install the packages it needs to build, test
# and run (only those missing), configure and build into build/.
#
#   scripts/setup.sh          install + build
#   scripts/setup.sh --test   install + build, run the whole test suite, then
#                             build again with ASan + UBSan (build-asan/) and
#                             run the suite there too
#   scripts/setup.sh --bench  install + build, and install the tools bench/run.sh
#                             compares bookify with (pandoc, WeasyPrint, xelatex,
#                             mutool, hyperfine: some 1.5 GB with TeX Live)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    # build
    build-essential cmake pkg-config
    # the libraries of the design (DESIGN.md section 3)
    libcmark-gfm-dev libcmark-gfm-extensions-dev libxml2-dev libyaml-dev libzip-dev zlib1g-dev
    # whole-buffer compression for the zip and the PDF (include/bookify/deflate.h)
    libdeflate-dev
    # the process's malloc (include/bookify/mem.h)
    libmimalloc-dev
    libcairo2-dev libpango1.0-dev libfontconfig-dev libfreetype-dev libharfbuzz-dev
    libhyphen-dev
    # syntax highlighting of code (docs/highlighting.md)
    libgtksourceview-4-dev
    # hyphenation patterns for the book's language (others are not hyphenated)
    hyphen-en-us hyphen-en-gb hyphen-fr hyphen-de hyphen-es hyphen-it hyphen-pt-br hyphen-pt-pt
    hyphen-nl hyphen-ru hyphen-pl
    # the PDF's fonts (fonts/README.md) and fontconfig's system configuration
    fontconfig fonts-sil-gentiumplus fonts-noto-core fonts-noto-cjk fonts-symbola
    fonts-dejavu-core fonts-dejavu-extra
    # images in the PDF: GIF/WebP/CMYK-JPEG decoding and SVG (src/pdf/image.c)
    librsvg2-dev libgdk-pixbuf-2.0-dev webp-pixbuf-loader
    # validators and readers the tests run on every book
    epubcheck qpdf poppler-utils mupdf-tools libxml2-utils cmark-gfm python3
    # tools the tests and bench/ call (unzip, script, /usr/bin/time, bc)
    unzip bsdutils time bc git strace
    # memory checking of one sample build (tests/e2e/valgrind.sh)
    valgrind
)

test_mode=0 bench_mode=0
case "${1:-}" in
    "") ;;
    --test) test_mode=1 ;;
    --bench) bench_mode=1 ;;
    *) echo "usage: scripts/setup.sh [--test | --bench]" >&2; exit 2 ;;
esac

# The other tools of bench/run.sh, with their recommended packages (as
# measured in docs/performance.md: xelatex wants the fonts they bring).
bench_packages=(
    pandoc weasyprint texlive-xetex texlive-latex-recommended texlive-fonts-recommended
    texlive-plain-generic lmodern mupdf-tools hyperfine
)

# install_missing [APT-OPTION...] -- PACKAGE...: apt-get install those not installed
install_missing() {
    local opts=() missing=() p
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "setup: installing ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${opts[@]}" "${missing[@]}" >/dev/null
}
install_missing --no-install-recommends -- "${packages[@]}"
[ $bench_mode -eq 0 ] || install_missing -- "${bench_packages[@]}"

jobs=$(nproc 2>/dev/null || echo 2)

werror=OFF
[ $test_mode -eq 1 ] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBK_WERROR=$werror >/dev/null
cmake --build build -j "$jobs"

if [ $test_mode -eq 1 ]; then
    echo "== tests (release build)"
    ctest --test-dir build --output-on-failure -j "$jobs"
    echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer build)"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBK_SANITIZE=ON -DBK_WERROR=ON >/dev/null
    cmake --build build-asan -j "$jobs"
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j "$jobs"
    # (every malloc unwound by frame pointers: four times as fast as fully,
    # which one test needs, tests/unit/CMakeLists.txt)
fi
