#!/usr/bin/env bash
# Install the Debian 12 packages ktlsd needs, and only those that are missing.
#
#   scripts/install-deps.sh           build + run dependencies (make deps, make run)
#   scripts/install-deps.sh --test    ... plus test dependencies (make test)
#   scripts/install-deps.sh --check   only report what is missing (exit 1 if anything is)
#
# Idempotent: when everything is installed it does nothing (no apt-get update, no sudo).
# Set KTLSD_SKIP_DEPS=1 to skip it entirely (e.g. on a non-Debian system).
set -euo pipefail

# Build: compiler, CMake, pkg-config, and the three libraries ktlsd links
# (OpenSSL for TLS/kTLS, libev for the event loop, llhttp's C sources for HTTP parsing,
# libnghttp2 for HTTP/2).
# libsystemd-dev: sd_notify and socket activation (-DKTLSD_SYSTEMD=OFF builds without).
# libcrypt-dev: crypt_r() for auth_basic's htpasswd hashes (bcrypt, $5$, $6$).
# zlib1g-dev and libbrotli-dev: "gzip on" and "brotli on", compression on the fly (src/compress.c).
# Run: openssl(1) makes the self-signed development certificate for `make run`.
BUILD_DEPS="build-essential cmake pkg-config libssl-dev libev-dev libpcre2-dev libsystemd-dev libcrypt-dev node-llhttp libnghttp2-dev zlib1g-dev libbrotli-dev openssl"

# Test: clang-format for `make check-format` (CI runs it); curl and openssl s_client as
# clients, nghttp/h2load (nghttp2-client) and /usr/bin/python3 with python3-h2 for HTTP/2, python3 for raw-socket tests,
# nginx as the reference the tests compare ktlsd with (Debian 12's `nginx`; nginx-light
# is only nginx plus the echo module there). The tests bring their own mime.types.
# user-mode-linux + kmod + iproute2 for the kTLS tests (UML kernel with the tls module),
# procps for pgrep/ps in the test scripts; strace to count syscalls under UML; wrk as the load generator of the reload test;
# systemd for systemd-analyze (unit checks) and systemd-socket-activate (nothing is booted),
# logrotate to check its snippet; dpkg-dev (dpkg-shlibdeps, for CPack), fakeroot and lintian
# to build and check the Debian package; apache2-utils for htpasswd (auth_basic user files); brotli(1) decodes brotli answers, and
# libnginx-mod-http-brotli-filter gives the reference nginx ngx_brotli (compress.sh), libnginx-mod-http-brotli-static its
# brotli_static, which h5bp's pre-compressed_content_brotli.conf snippet needs (configs_compare.sh). chromium: a real
# browser (headless, --dump-dom) loads a 50-asset page over HTTP/2 (tests/integration/h2_browser.sh).
# gpgv, debian-archive-keyring and xz-utils: when sid's or trixie's pool has dropped a pinned
# package (below), to check the suite's InRelease signature and read its Packages.xz.
# tests/integration/deps.sh checks that every command and system file the tests use comes from these lists.
TEST_DEPS="clang-format curl python3 prometheus nghttp2-client python3-h2 nginx strace user-mode-linux kmod iproute2 procps wrk systemd logrotate dpkg-dev fakeroot lintian apache2-utils brotli libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static chromium gpgv debian-archive-keyring xz-utils"

# Debian 12's user-mode-linux is Linux 6.1, whose kTLS cannot take a new TLS 1.3 key
# (rekeying came in 6.14): tests/uml/ktls_rekey.sh boots Debian sid's UML instead. --test
# fetches it and sid's libc (it needs glibc >= 2.38; Debian 12 has 2.36) and UNPACKS both
# (dpkg-deb -x, never installed: the host's libc is not touched) into $UML_SID, the
# directory tests/uml/uml_lib.sh looks in (both take UML_SID from the environment; the
# default is /opt/ktlsd-uml-sid). linux.uml's ELF interpreter is rewritten to
# $UML_SID/ld.so (sid's loader; the path must stay within the 27 bytes of
# /lib64/ld-linux-x86-64.so.2) and $UML_SID/linux runs it with sid's libraries. (Running it
# through the loader instead does not work: UML sizes its memory from where brk starts.)
# Pinned with their SHA-256 (from sid's Packages). sid's pool drops a version soon after
# the next one is uploaded: when a pinned .deb is gone (HTTP 404), debian_current takes sid's
# current user-mode-linux and libc6 instead, checked the way apt checks them (see there);
# the stamp $UML_SID/.debs then says which, and the pins are worth updating.
UML_SID=${UML_SID:-/opt/ktlsd-uml-sid}
DEBIAN_MIRROR=http://deb.debian.org/debian
DEBIAN_POOL=$DEBIAN_MIRROR/pool/main
SID_DEBS="u/user-mode-linux/user-mode-linux_7.2um1_amd64.deb=f947c9244fd79d481299df2ad68961f6b3b7703bff38c4b0e726f861161da62c
g/glibc/libc6_2.43-7_amd64.deb=5c71715c51103beb4fbba9fe9f8dff604af6610dfa71c70bff342f54a7860803"
# The stamp's line between the pins and what replaced them.
REPLACED="replaced by the suite's current (InRelease signature checked):"

# deb_fetch URL FILE [SHA256]: download URL into FILE and check its SHA-256. Returns 0,
# 2 when the server answers 404 or 410 (gone), 1 on any other failure; says why.
deb_fetch() {
    local code
    if ! code=$(curl -sS -o "$2" -w '%{http_code}' "$1"); then
        echo "install-deps.sh: cannot download $1" >&2
        return 1
    fi
    case $code in
        200) ;;
        404 | 410) echo "install-deps.sh: $1: HTTP $code" >&2; return 2 ;;
        *) echo "install-deps.sh: $1: HTTP $code" >&2; return 1 ;;
    esac
    if [ -n "${3:-}" ] && ! echo "$3  $2" | sha256sum -c --quiet - >/dev/null 2>&1; then
        echo "install-deps.sh: $1: SHA-256 is not $3: refused" >&2
        return 1
    fi
}

# unpack_into DIR TMP: DIR afresh, holding the .debs downloaded into TMP unpacked
# (dpkg-deb -x: never installed); TMP removed.
unpack_into() {
    local deb
    "${sudo[@]}" rm -rf "$1"
    "${sudo[@]}" mkdir -p "$1"
    for deb in "$2"/*.deb; do
        "${sudo[@]}" dpkg-deb -x "$deb" "$1"
    done
    rm -rf "$2"
}

# debian_current SUITE DIR PKG...: SUITE's current versions of the PKGs (binary packages
# of main, amd64) into DIR; prints their stamp lines (pool path=SHA-256). Each step is
# checked by the one before, as apt does: InRelease's signature by gpgv against Debian
# 12's archive keyring (packages gpgv and debian-archive-keyring), and only the text gpgv
# vouches for is read; Packages.xz by the SHA-256 that InRelease gives; each .deb by the
# SHA-256 that Packages gives. What the tests need of a version is checked too:
# user-mode-linux 6.14 or newer (its version is the kernel's: 7.2um1 is Linux 7.2), libssl
# 3.5 or newer.
debian_current() {
    local suite=$1 d=$2 sum valid t name p ver file min
    shift 2
    deb_fetch "$DEBIAN_MIRROR/dists/$suite/InRelease" "$d/InRelease" || return 1
    # gpgv fails when one of the signatures is by a key it lacks (sid is signed by two
    # keys at a time, the next release's among them): as apt, take one good signature and
    # no bad one. GOODSIG is not given for an expired or revoked key.
    gpgv --status-fd 3 --keyring /usr/share/keyrings/debian-archive-keyring.gpg \
        --output "$d/Release" "$d/InRelease" 3>"$d/gpgv.status" 2>"$d/gpgv.err" || true
    if ! grep -q '^\[GNUPG:\] GOODSIG ' "$d/gpgv.status" ||
        grep -q '^\[GNUPG:\] BADSIG ' "$d/gpgv.status" || [ ! -s "$d/Release" ]; then
        cat "$d/gpgv.err" >&2
        echo "install-deps.sh: $suite's InRelease: no good signature by Debian's archive keys: refused" >&2
        return 1
    fi
    # An old InRelease (a stale mirror, or one replayed) is signed too; it can only give
    # Debian's own older packages, and the versions are checked below, so say it and go
    # on (a mirror frozen in time, as some build sandboxes have, still works).
    valid=$(sed -n 's/^Valid-Until: //p' "$d/Release")
    if [ -n "$valid" ]; then
        t=$(date -d "$valid" +%s 2>/dev/null) || t=0
        if [ "$t" -lt "$(date +%s)" ]; then
            echo "install-deps.sh: warning: $suite's InRelease is out of date (Valid-Until: $valid)" >&2
        fi
    fi
    sum=$(awk '/^[^ ]/ { s = ($1 == "SHA256:") }
        s && $3 == "main/binary-amd64/Packages.xz" { print $1; exit }' "$d/Release")
    if [ -z "$sum" ]; then
        echo "install-deps.sh: $suite's InRelease has no SHA-256 of main/binary-amd64/Packages.xz" >&2
        return 1
    fi
    deb_fetch "$DEBIAN_MIRROR/dists/$suite/main/binary-amd64/Packages.xz" "$d/Packages.xz" "$sum" || return 1
    # the stanzas' Package, Version, Filename, SHA256 (the first of each name)
    xz -dc "$d/Packages.xz" | awk -v want=" $* " 'BEGIN { RS = ""; FS = "\n" }
        { p = v = f = s = ""
          for (i = 1; i <= NF; i++)
              if ($i ~ /^Package: /) p = substr($i, 10)
              else if ($i ~ /^Version: /) v = substr($i, 10)
              else if ($i ~ /^Filename: /) f = substr($i, 11)
              else if ($i ~ /^SHA256: /) s = substr($i, 9)
          if (index(want, " " p " ") && !seen[p]++) print p, v, f, s }' >"$d/pkgs" || return 1
    rm -f "$d/Packages.xz"
    for name in "$@"; do
        read -r p ver file sum < <(grep "^$name " "$d/pkgs") || true
        if [ "${p:-}" != "$name" ] || ! [[ $file =~ ^pool/main/[a-z0-9][A-Za-z0-9+._~/-]*\.deb$ ]] ||
            [[ $file == *..* ]] || ! [[ $sum =~ ^[0-9a-f]{64}$ ]]; then
            echo "install-deps.sh: $suite's Packages has no usable $name entry" >&2
            return 1
        fi
        case $name in
            user-mode-linux) min=6014 ;;
            libssl*) min=3005 ;;
            *) min=0 ;;
        esac
        if ! [[ ${ver#*:} =~ ^([0-9]+)\.([0-9]+) ]] ||
            [ $((BASH_REMATCH[1] * 1000 + BASH_REMATCH[2])) -lt "$min" ]; then
            echo "install-deps.sh: $suite's $name is $ver: the tests need $((min / 1000)).$((min % 1000)) or newer" >&2
            return 1
        fi
        deb_fetch "$DEBIAN_MIRROR/$file" "$d/${file##*/}" "$sum" || return 1
        echo "${file#pool/main/}=$sum"
    done
}

# pinned_or_current DIR PINS SUITE: the pinned .debs (PINS: pool path=SHA-256 lines) into
# DIR; when the pool has dropped one (HTTP 404), SUITE's current versions of the same
# packages instead (debian_current). Prints the stamp: PINS, or PINS, $REPLACED and
# what replaced them.
pinned_or_current() {
    local d=$1 pins=$2 suite=$3 deb sum rc got names=()
    for deb in $pins; do
        deb=${deb%=*}
        deb=${deb##*/}
        names+=("${deb%%_*}")
    done
    for deb in $pins; do
        sum=${deb#*=}
        deb=${deb%=*}
        rc=0
        deb_fetch "$DEBIAN_POOL/$deb" "$d/${deb##*/}" "$sum" || rc=$?
        [ "$rc" = 0 ] && continue
        [ "$rc" = 2 ] || return 1
        echo "install-deps.sh: the pinned ${names[*]} are gone from $suite: taking $suite's current ones (update the pins in $0)" >&2
        rm -f "$d"/*.deb
        got=$(debian_current "$suite" "$d" "${names[@]}") || return 1
        printf '%s\n%s\n%s\n' "$pins" "$REPLACED" "$got"
        return 0
    done
    printf '%s\n' "$pins"
}

# has_stamp DIR PINS: DIR holds PINS already, or what replaced them (no download then).
has_stamp() {
    local stamp
    stamp=$(cat "$1/.debs" 2>/dev/null || true)
    case $stamp in
        "$2" | "$2"$'\n'"$REPLACED"$'\n'*) return 0 ;;
    esac
    return 1
}

# unpack_pinned DIR PINS SUITE WHAT [FINISH]: DIR afresh with PINS (or SUITE's current
# versions, pinned_or_current) unpacked, FINISH run on it, then the stamp DIR/.debs
# written; nothing when the stamp says DIR holds them already. WHAT names it in messages.
unpack_pinned() {
    local dir=$1 pins=$2 suite=$3 what=$4 finish=${5:-} tmp got
    has_stamp "$dir" "$pins" && return 0
    if [ "$check_only" = 1 ]; then
        echo "install-deps.sh: missing: $what in $dir" >&2
        return 1
    fi
    [ "$(dpkg --print-architecture)" = amd64 ] || { echo "install-deps.sh: $what: amd64 only, skipped" >&2; return 0; }
    tmp=$(mktemp -d)
    if ! got=$(pinned_or_current "$tmp" "$pins" "$suite"); then
        rm -rf "$tmp"
        return 1
    fi
    unpack_into "$dir" "$tmp"
    if [ -n "$finish" ]; then "$finish" || return 1; fi
    printf '%s\n' "$got" | "${sudo[@]}" tee "$dir/.debs" >/dev/null
}

# sid_uml: $UML_SID as above.
sid_uml() {
    if [ "${#UML_SID}" -gt 21 ]; then
        echo "install-deps.sh: UML_SID=$UML_SID: at most 21 bytes ($UML_SID/ld.so replaces a 27-byte path)" >&2
        return 1
    fi
    unpack_pinned "$UML_SID" "$SID_DEBS" sid "Debian sid's UML kernel" sid_loader
}

# sid_loader: $UML_SID/usr/bin/linux.uml's ELF interpreter rewritten to $UML_SID/ld.so
# (sid's loader), and $UML_SID/linux, which runs it with sid's libraries.
sid_loader() {
    "${sudo[@]}" ln -s usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$UML_SID/ld.so"
    "${sudo[@]}" python3 -c '
import sys
p, new = sys.argv[1] + "/usr/bin/linux.uml", (sys.argv[1] + "/ld.so").encode()
old = b"/lib64/ld-linux-x86-64.so.2\0"
b = open(p, "rb").read()
assert b.count(old) == 1 and len(new) < len(old)
open(p, "wb").write(b.replace(old, new.ljust(len(old), b"\0")))' "$UML_SID" || return 1
    "${sudo[@]}" tee "$UML_SID/linux" >/dev/null <<'EOF'
#!/bin/sh
# Debian sid's UML with sid's libc (scripts/install-deps.sh)
D=$(dirname "$(readlink -f "$0")")
LD_LIBRARY_PATH=$D/usr/lib/x86_64-linux-gnu exec "$D/usr/bin/linux.uml" "$@"
EOF
    "${sudo[@]}" chmod 755 "$UML_SID/linux"
}

# Debian 13's OpenSSL 3.5, which offloads TLS 1.3 receive too (Debian 12's 3.0 gives the
# kernel the TLS 1.3 send key only): --test UNPACKS libssl3t64 and libssl-dev into
# $OPENSSL35 (never installed), and tests/uml/ktls_openssl35*.sh build ktlsd against it
# (cmake -DKTLSD_OPENSSL_DIR=$OPENSSL35 -DKTLSD_GLIBC_DIR=$UML_SID: it needs glibc >= 2.38,
# sid's above; its shlibs ask libzstd1 >= 1.5.5, but Debian 12's 1.5.4 has every ZSTD_
# symbol it uses). Pinned with their SHA-256 (from trixie's Packages); when trixie's pool
# has dropped them (a point release replaces them), trixie's current ones are taken, checked
# as sid's are (debian_current), and the pins are worth updating.
OPENSSL35=${OPENSSL35:-/opt/ktlsd-openssl35}
OPENSSL35_DEBS="o/openssl/libssl3t64_3.5.9-1~deb13u1_amd64.deb=ffefb9af363e0e4592251b2533eb06453c8e470f7772e40263c4b2129251a6d5
o/openssl/libssl-dev_3.5.9-1~deb13u1_amd64.deb=9988be213bb31bb87b07a61e6e201b1b570b500a607e4449725442add3a4d3e8"

# openssl35: $OPENSSL35 as above.
openssl35() {
    unpack_pinned "$OPENSSL35" "$OPENSSL35_DEBS" trixie "Debian 13's OpenSSL 3.5"
}

want_test=0
check_only=0
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1 ;;
        --check) check_only=1 ;;
        -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

if [ "${KTLSD_SKIP_DEPS:-0}" = 1 ]; then
    exit 0
fi

packages="$BUILD_DEPS"
if [ "$want_test" = 1 ]; then
    packages="$packages $TEST_DEPS"
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps.sh: dpkg-query not found (not Debian?); skipping." >&2
    echo "install-deps.sh: make sure the equivalents of these are installed: $packages" >&2
    exit 0
fi

missing=()
for pkg in $packages; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != installed ]; then
        missing+=("$pkg")
    fi
done

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    sudo=(false)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps.sh: missing packages: ${missing[*]}" >&2
    if [ "$check_only" = 1 ]; then
        [ "$want_test" = 1 ] && { sid_uml || true; openssl35 || true; }
        exit 1
    fi
    if [ "${sudo[0]:-}" = false ]; then
        echo "install-deps.sh: not root and sudo is not available; install them by hand:" >&2
        echo "    apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
fi
if [ "$want_test" = 1 ]; then
    sid_uml
    openssl35
fi
