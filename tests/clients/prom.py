#!/usr/bin/env python3
"""prom.py sum FILE NAME [LABEL=VALUE...]: the sum of the samples of metric
NAME in the Prometheus text FILE that carry those labels.
prom.py cumulative FILE NAME BUCKETS: exit 0 when histogram NAME has BUCKETS
buckets and their counts never fall. Run by tests/integration/metrics.sh."""
import re
import sys

SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(path):
    for line in open(path):
        m = SAMPLE.match(line.strip())
        if m and not line.startswith("#"):
            yield m.group(1), dict(LABEL.findall(m.group(3) or "")), float(m.group(4))


cmd, path, name = sys.argv[1], sys.argv[2], sys.argv[3]
if cmd == "sum":
    want = dict(a.split("=", 1) for a in sys.argv[4:])
    total = sum(v for n, labels, v in samples(path)
                if n == name and all(labels.get(k) == x for k, x in want.items()))
    print(int(total) if total == int(total) else total)
elif cmd == "cumulative":
    v = [x for n, labels, x in samples(path) if n == name + "_bucket" and set(labels) == {"le"}]
    sys.exit(0 if len(v) == int(sys.argv[4]) and v == sorted(v) else 1)
else:
    sys.exit("prom.py: unknown command " + cmd)
