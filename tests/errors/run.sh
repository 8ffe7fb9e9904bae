#!/usr/bin/env bash
# Error catalogue: run bookify on CASE/site and compare stderr and the exit
# code with CASE/expected-stderr and CASE/expected-exit (default 1).
# CASE/args holds extra arguments (one line). Runs inside a scratch copy of
# CASE, so paths print as "site/...", and checks that nothing was written,
# or only the files CASE/expected-files lists (one path a line, e.g.
# out/book.epub). CASE/generate, when present, runs first (bash, in the
# copy) to make what git should not hold: huge posts, symbolic links;
# CASE/check runs last (bash, in the copy, BOOKIFY set) for what the
# outputs must (not) contain.
# usage: run.sh BOOKIFY CASE_DIR
set -u
bookify=$1 case_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$case_dir/." "$work/"
cd "$work" || exit 1
export BOOKIFY=$bookify
if [ -f generate ]; then
    bash generate || { echo "generate failed"; exit 1; }
fi
args=()
[ -f args ] && read -r -a args < args
want_exit=1
[ -f expected-exit ] && want_exit=$(cat expected-exit)
before=$(find . -print | sort)
SOURCE_DATE_EPOCH=1764000000 "$bookify" "${args[@]}" site >stdout 2>stderr
rc=$?
fail=0
after=$(find . -print | grep -v -e '^./stdout$' -e '^./stderr$' | sort)
if [ -f expected-files ]; then
    # the listed outputs (and their folders) may appear, nothing else
    before=$( (echo "$before"; sed 's|^|./|' expected-files;
               sed -n 's|^\(.*\)/[^/]*$|./\1|p' expected-files) | sort -u)
    for f in $(cat expected-files); do
        [ -s "$f" ] || { echo "expected output $f missing or empty"; fail=1; }
    done
fi
if [ "$rc" != "$want_exit" ]; then
    echo "exit code $rc, expected $want_exit"; fail=1
fi
if ! diff -u expected-stderr stderr; then
    echo "stderr differs"; fail=1
fi
if [ -f expected-stdout ] && ! diff -u expected-stdout stdout; then
    echo "stdout differs"; fail=1
fi
if [ "$before" != "$after" ]; then
    echo "files changed:"; diff <(echo "$before") <(echo "$after"); fail=1
fi
if [ -f check ] && ! bash check; then
    echo "check failed"; fail=1
fi
exit $fail
