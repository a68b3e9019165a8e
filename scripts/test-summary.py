#!/usr/bin/env python3
"""Summarise the skipped tests of a ctest run (make test).

    scripts/test-summary.py BUILD_DIR/Testing/junit.xml

Reads the JUnit file that `ctest --output-junit` wrote and prints each test
that was skipped (exit 77) with the reason its "SKIP:" line gave. A skipped
test is a hole in the suite: under CI (CI set, and not "false" or "0") it is a
failure and the exit status is 1; elsewhere the summary is printed and the
exit status is 0.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    try:
        suite = ET.parse(sys.argv[1]).getroot()
    except (OSError, ET.ParseError) as e:
        print("test-summary: cannot read %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    skipped = []
    for case in suite.iter("testcase"):
        if case.find("skipped") is None:
            continue
        out = case.findtext("system-out") or ""
        why = [line[5:].strip() for line in out.splitlines() if line.startswith("SKIP:")]
        skipped.append((case.get("name"), why[-1] if why else "no SKIP: line in its output"))
    if not skipped:
        return 0
    ci = os.environ.get("CI", "") not in ("", "0", "false")
    print("\n%d test(s) skipped%s:" % (len(skipped),
                                        " -- under CI a skipped test is a failure" if ci else ""))
    for name, why in skipped:
        print("  %-36s %s" % (name, why))
    if not ci:
        print("(scripts/install-deps.sh --test installs what the tests need)")
    return 1 if ci else 0


if __name__ == "__main__":
    sys.exit(main())
