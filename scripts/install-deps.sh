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

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "install-deps.sh: missing packages: ${missing[*]}" >&2
if [ "$check_only" = 1 ]; then
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps.sh: not root and sudo is not available; install them by hand:" >&2
    echo "    apt-get install ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
