# Sourced by e2e tests of a shortcut that has a switch to turn it off
# (shapecache.sh, cellreuse.sh): the PDF made with the shortcut must be the
# bytes of the one made without it, the shortcut must really have been
# taken, and the switch must really turn it off (else the comparison would
# be the shortcut against itself).
#
# switch_same NAME SITE SWITCH SED MIN WHAT
#   SWITCH  the environment variable that turns the shortcut off
#   SED     a sed -n script printing, from BOOKIFY_TIMES, how often the
#           shortcut was taken
#   MIN     at least that often with it on (0 with it off)
#   WHAT    words for the messages ("runs cut from a shaping")
# Needs $bookify and $tmp; sets fail=1 on a failure.
switch_same() {
    local name=$1 site=$2 switch=$3 script=$4 min=$5 what=$6
    BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$name.pdf" "$site" 2>"$tmp/$name.err" ||
        { echo "FAIL: $name: bookify failed"; cat "$tmp/$name.err"; fail=1; return; }
    env "$switch=1" BOOKIFY_TIMES=1 "$bookify" -q --pdf="$tmp/$name-off.pdf" "$site" \
        2>"$tmp/$name-off.err" ||
        { echo "FAIL: $name: bookify with $switch=1 failed"; fail=1; return; }
    local on off
    on=$(sed -n "$script" "$tmp/$name.err")
    off=$(sed -n "$script" "$tmp/$name-off.err")
    [ "${on:-0}" -ge "$min" ] ||
        { echo "FAIL: $name: only '${on:-none}' $what (at least $min expected)"; fail=1; return; }
    [ "${off:-x}" = 0 ] ||
        { echo "FAIL: $name: $switch=1 still gave '${off:-none}' $what"; fail=1; return; }
    cmp -s "$tmp/$name.pdf" "$tmp/$name-off.pdf" ||
        { echo "FAIL: $name: the PDF differs from the one made with $switch=1"; fail=1; return; }
    echo "ok: $name ($on $what, same bytes)"
}
