#!/usr/bin/env bash
# The one-way include flow of src/: no module includes one above it (no
# cycle in the include graph). See layering.py.
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$SRCDIR/tests/integration/layering.py" "$SRCDIR"
