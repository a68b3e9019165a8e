#!/usr/bin/env python3
"""layering.py SRCDIR: the one-way flow of src/ (STYLE: main -> config ->
server -> worker -> conn -> tls/http -> request -> ... -> send). A module is
a .c file and its .h; module A uses B when A's .c or .h includes B's
header. The graph must have no cycle: a lower file never includes one above
it. config.h is the parsed configuration that every layer reads, so
including it is not an edge. Prints each cycle found and "N passed, M failed"."""
import glob
import os
import re
import sys

src = os.path.join(sys.argv[1], "src")
uses = {}
for f in glob.glob(os.path.join(src, "*.[ch]")):
    mod = os.path.basename(f).rsplit(".", 1)[0]
    for h in re.findall(r'^#include "([a-z_0-9]+)\.h"', open(f).read(), re.M):
        # version.h is generated and holds no code; config.h is the data model
        # every layer reads (config.c's own API is used by main and server)
        if h not in (mod, "version", "config"):
            uses.setdefault(mod, set()).add(h)
state, cycles = {}, []


def visit(m, path):
    state[m] = 1
    path.append(m)
    for n in sorted(uses.get(m, ())):
        if state.get(n) == 1:
            cycles.append(path[path.index(n):] + [n])
        elif n not in state:
            visit(n, path)
    path.pop()
    state[m] = 2


for m in sorted(uses):
    if m not in state:
        visit(m, [])
for c in cycles:
    print("FAIL - include cycle: " + " -> ".join(c))
print("ok   - %d modules, %d include edges" % (len(uses), sum(len(v) for v in uses.values())))
print("%d passed, %d failed" % (1 if not cycles else 0, len(cycles)))
sys.exit(1 if cycles else 0)
