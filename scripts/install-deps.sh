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
# tests/integration/deps.sh checks that every command and system file the tests use comes from these lists.
TEST_DEPS="clang-format curl python3 prometheus nghttp2-client python3-h2 nginx strace user-mode-linux kmod iproute2 procps wrk systemd logrotate dpkg-dev fakeroot lintian apache2-utils brotli libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static chromium"

# Debian 12's user-mode-linux is Linux 6.1, whose kTLS cannot take a new TLS 1.3 key
# (rekeying came in 6.14): tests/uml/ktls_rekey.sh boots Debian sid's UML instead. --test
# fetches it and sid's libc (it needs glibc >= 2.38; Debian 12 has 2.36) and UNPACKS both
# (dpkg-deb -x, never installed: the host's libc is not touched) into $UML_SID, the
# directory tests/uml/uml_lib.sh looks in. linux.uml's ELF interpreter is rewritten to
# $UML_SID/ld.so (sid's loader; the path must stay within the 27 bytes of
# /lib64/ld-linux-x86-64.so.2) and $UML_SID/linux runs it with sid's libraries. (Running it
# through the loader instead does not work: UML sizes its memory from where brk starts.)
# Pinned with their SHA-256 (from sid's Packages): when sid's pool drops them, update both.
UML_SID=/opt/ktlsd-uml-sid
SID_POOL=http://deb.debian.org/debian/pool/main
SID_DEBS="u/user-mode-linux/user-mode-linux_7.2um1_amd64.deb=f947c9244fd79d481299df2ad68961f6b3b7703bff38c4b0e726f861161da62c
g/glibc/libc6_2.43-7_amd64.deb=5c71715c51103beb4fbba9fe9f8dff604af6610dfa71c70bff342f54a7860803"

# Debian 13's OpenSSL 3.5, which offloads TLS 1.3 receive too (Debian 12's 3.0 gives the
# kernel the TLS 1.3 send key only): --test UNPACKS libssl3t64 and libssl-dev into
# $OPENSSL35 (never installed), and tests/uml/ktls_openssl35.sh builds ktlsd against it
# (cmake -DKTLSD_OPENSSL_DIR=$OPENSSL35 -DKTLSD_GLIBC_DIR=$UML_SID: it needs glibc >= 2.38,
# sid's above; its shlibs ask libzstd1 >= 1.5.5, but Debian 12's 1.5.4 has every ZSTD_
# symbol it uses). Pinned with their SHA-256 (from trixie's Packages): update both when
# the pool drops them.
OPENSSL35=/opt/ktlsd-openssl35
OPENSSL35_DEBS="o/openssl/libssl3t64_3.5.9-1~deb13u1_amd64.deb=ffefb9af363e0e4592251b2533eb06453c8e470f7772e40263c4b2129251a6d5
o/openssl/libssl-dev_3.5.9-1~deb13u1_amd64.deb=9988be213bb31bb87b07a61e6e201b1b570b500a607e4449725442add3a4d3e8"

# unpack_debs DIR DEBS: unless the stamp DIR/.debs says DIR holds DEBS already (return
# 0), fetch DEBS (POOL-PATH=SHA-256 each, under $SID_POOL), check their sums and unpack
# them (dpkg-deb -x) into a fresh DIR; return 2, and the caller finishes DIR, then
# stamps it (stamp_debs). With --check: report DIR as missing (return 1).
unpack_debs() {
    local dir=$1 debs=$2 tmp deb sum
    [ "$(cat "$dir/.debs" 2>/dev/null)" = "$debs" ] && return 0
    if [ "$check_only" = 1 ]; then
        echo "install-deps.sh: missing: $dir (unpacked Debian packages)" >&2
        return 1
    fi
    [ "$(dpkg --print-architecture)" = amd64 ] || { echo "install-deps.sh: $dir: amd64 only, skipped" >&2; return 0; }
    tmp=$(mktemp -d)
    for deb in $debs; do
        sum=${deb#*=}
        deb=${deb%=*}
        if ! curl -fsS -o "$tmp/${deb##*/}" "$SID_POOL/$deb" ||
            ! echo "$sum  $tmp/${deb##*/}" | sha256sum -c --quiet -; then
            rm -rf "$tmp"
            return 1
        fi
    done
    "${sudo[@]}" rm -rf "$dir"
    "${sudo[@]}" mkdir -p "$dir"
    for deb in "$tmp"/*.deb; do
        "${sudo[@]}" dpkg-deb -x "$deb" "$dir"
    done
    rm -rf "$tmp"
    return 2
}

# stamp_debs DIR DEBS: DIR is complete (see unpack_debs).
stamp_debs() {
    printf '%s\n' "$2" | "${sudo[@]}" tee "$1/.debs" >/dev/null
}

# sid_uml: $UML_SID as above, unless its stamp says it holds $SID_DEBS already.
sid_uml() {
    local rc=0
    unpack_debs "$UML_SID" "$SID_DEBS" || rc=$?
    [ "$rc" = 2 ] || return "$rc"
    "${sudo[@]}" ln -s usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$UML_SID/ld.so"
    "${sudo[@]}" python3 -c '
import sys
p, new = sys.argv[1] + "/usr/bin/linux.uml", (sys.argv[1] + "/ld.so").encode()
old = b"/lib64/ld-linux-x86-64.so.2\0"
b = open(p, "rb").read()
assert b.count(old) == 1 and len(new) < len(old)
open(p, "wb").write(b.replace(old, new.ljust(len(old), b"\0")))' "$UML_SID"
    "${sudo[@]}" tee "$UML_SID/linux" >/dev/null <<'EOF'
#!/bin/sh
# Debian sid's UML with sid's libc (scripts/install-deps.sh)
D=$(dirname "$(readlink -f "$0")")
LD_LIBRARY_PATH=$D/usr/lib/x86_64-linux-gnu exec "$D/usr/bin/linux.uml" "$@"
EOF
    "${sudo[@]}" chmod 755 "$UML_SID/linux"
    stamp_debs "$UML_SID" "$SID_DEBS"
}

# openssl35: $OPENSSL35 as above, unless its stamp says it holds $OPENSSL35_DEBS.
openssl35() {
    local rc=0
    unpack_debs "$OPENSSL35" "$OPENSSL35_DEBS" || rc=$?
    [ "$rc" = 2 ] || return "$rc"
    stamp_debs "$OPENSSL35" "$OPENSSL35_DEBS"
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
