#!/usr/bin/env bash
# A fresh machine has what scripts/install-deps.sh --test installs, nothing more:
# every command, system file and Python module the test scripts use must come
# from a package it lists or pulls in (see deps.py). Fails here, on the
# developer's machine, when a test starts to use something not listed.
# Needs only python3 and dpkg/apt (no server): it does not source lib.sh.
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-cache >/dev/null 2>&1; then
    echo "SKIP: not a Debian system (no dpkg-query/apt-cache)"
    case "${CI:-}" in "" | 0 | false) exit 77 ;; *) exit 1 ;; esac
fi
exec python3 "$SRCDIR/tests/integration/deps.py" "$SRCDIR"
