#!/usr/bin/env bash
# Error catalogue: run bookify on CASE/site and compare stderr and the exit
# code with CASE/expected-stderr and CASE/expected-exit (default 1).
# CASE/args holds extra arguments (one line). Runs inside a scratch copy of
# CASE, so paths print as "site/...", and checks that nothing was written.
# usage: run.sh BOOKIFY CASE_DIR
set -u
bookify=$1 case_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$case_dir/." "$work/"
cd "$work" || exit 1
args=()
[ -f args ] && read -r -a args < args
want_exit=1
[ -f expected-exit ] && want_exit=$(cat expected-exit)
before=$(find . -print | sort)
SOURCE_DATE_EPOCH=1764000000 "$bookify" "${args[@]}" site >stdout 2>stderr
rc=$?
after=$(find . -print | grep -v -e '^./stdout$' -e '^./stderr$' | sort)
fail=0
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
exit $fail
