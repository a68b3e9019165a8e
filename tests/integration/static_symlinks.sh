#!/usr/bin/env bash
# disable_symlinks off|on|if_not_owner with nginx's meaning; default off (as
# nginx: symlinks are followed, even out of the root). on: any symlink in
# the path -> 403. if_not_owner: 403 when a symlink's owner differs from its
# target's (file or directory component). The owner cases need root (chown).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

ROOT=0
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && ROOT=1

printf 'outside\n' >"$T/outside.txt"
mkdir -p "$T/realdir" "$T/nobodydir"
printf 'in realdir\n' >"$T/realdir/f.txt"
printf 'in nobodydir\n' >"$T/nobodydir/f.txt"
for d in def on owner off; do
    mkdir -p "$WWW/$d/real"
    printf 'plain %s\n' "$d" >"$WWW/$d/plain.txt"
    printf 'real %s\n' "$d" >"$WWW/$d/real/f.txt"
    printf 'target %s\n' "$d" >"$WWW/$d/target.txt"
    ln -s target.txt "$WWW/$d/inside.txt"     # symlink to a file beside it
    ln -s ../../outside.txt "$WWW/$d/out.txt" # symlink out of the root
    ln -s "$T/realdir" "$WWW/$d/linkdir"      # directory symlink
    ln -s real/f.txt "$WWW/$d/deep.txt"
done
if [ $ROOT = 1 ]; then
    printf 'nobody owns me\n' >"$WWW/owner/nobody.txt"
    chown nobody "$WWW/owner/nobody.txt" "$T/nobodydir" "$T/nobodydir/f.txt"
    ln -s nobody.txt "$WWW/owner/to-nobody.txt"    # root's link -> nobody's file
    ln -s nobody.txt "$WWW/owner/nobody-link.txt"  # nobody's link -> nobody's file
    chown -h nobody "$WWW/owner/nobody-link.txt"
    ln -s "$T/nobodydir" "$WWW/owner/nobodydir"    # root's link -> nobody's dir
    ln -s target.txt "$WWW/owner/nobody-to-root.txt" # nobody's link -> root's file
    chown -h nobody "$WWW/owner/nobody-to-root.txt"
fi
chmod -R a+rX "$T"

SERVER_EXTRA='
        location /on/ { disable_symlinks on; }
        location /owner/ { disable_symlinks if_not_owner; }
        location /off/ { disable_symlinks off; }' gen_config
start_server || finish

# sl LABEL PATH STATUS [FILE]: expect STATUS (and FILE's content on 200)
sl() {
    fetch "$2"
    expect_eq "$3" "$ST" "$1: $2 -> $3"
    if [ "$3" = 200 ] && [ -n "${4:-}" ]; then
        check "$1: $2 serves $(basename "$4")" body_is "$4"
    fi
    if [ "$3" != 200 ]; then
        check_not "$1: $2 does not leak the target" grep -qE 'outside|target|in realdir|nobody owns|in nobodydir' "$T/body"
    fi
}

for d in def off; do
    lbl="disable_symlinks $([ $d = def ] && echo 'default (off)' || echo off)"
    sl "$lbl" "/$d/plain.txt" 200 "$WWW/$d/plain.txt"
    sl "$lbl" "/$d/inside.txt" 200 "$WWW/$d/target.txt"
    sl "$lbl" "/$d/out.txt" 200 "$T/outside.txt"
    sl "$lbl" "/$d/linkdir/f.txt" 200 "$T/realdir/f.txt"
    sl "$lbl" "/$d/deep.txt" 200 "$WWW/$d/real/f.txt"
done

sl "disable_symlinks on" /on/plain.txt 200 "$WWW/on/plain.txt"
sl "disable_symlinks on" /on/real/f.txt 200 "$WWW/on/real/f.txt"
sl "disable_symlinks on" /on/inside.txt 403
sl "disable_symlinks on" /on/out.txt 403
sl "disable_symlinks on" /on/deep.txt 403
# a symlinked directory component: nginx answers 404 (openat O_NOFOLLOW|O_DIRECTORY
# gives ENOTDIR), 403 is as good: denied either way
for p in /on/linkdir/f.txt /on/linkdir/; do
    fetch "$p"
    expect_in "403 404" "$ST" "disable_symlinks on: symlinked directory $p -> 403/404"
    check_not "disable_symlinks on: $p does not leak the target" grep -q 'in realdir' "$T/body"
done

sl "disable_symlinks if_not_owner" /owner/plain.txt 200 "$WWW/owner/plain.txt"
sl "disable_symlinks if_not_owner (same owner)" /owner/inside.txt 200 "$WWW/owner/target.txt"
sl "disable_symlinks if_not_owner (same owner)" /owner/linkdir/f.txt 200 "$T/realdir/f.txt"
if [ $ROOT = 1 ]; then
    sl "disable_symlinks if_not_owner: root's link to nobody's file" /owner/to-nobody.txt 403
    sl "disable_symlinks if_not_owner: nobody's link to nobody's file" /owner/nobody-link.txt 200 "$WWW/owner/nobody.txt"
    sl "disable_symlinks if_not_owner: nobody's link to root's file" /owner/nobody-to-root.txt 403
    sl "disable_symlinks if_not_owner: root's link to nobody's directory" /owner/nobodydir/f.txt 403
    sl "disable_symlinks if_not_owner: nobody's file, no link" /owner/nobody.txt 200 "$WWW/owner/nobody.txt"
else
    log "not root: the if_not_owner owner-mismatch cases are skipped"
fi

finish
