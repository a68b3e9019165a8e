#!/usr/bin/env python3
"""Every tool and system file the tests use comes from scripts/install-deps.sh.

    python3 tests/integration/deps.py SRCDIR        (run by tests/integration/deps.sh)

A fresh Debian machine has only the required/essential packages plus what
`scripts/install-deps.sh --test` installs. This reads the test scripts
(tests/**/*.sh, tests/**/*.py, tests/uml/uml-init) and collects:

  - the commands they run: the first word of each shell command (past
    `timeout N`, `setsid`, `env`, `exec`, assignments), the arguments of
    `need` / `uml_setup` / `command -v`, and the argv[0] of Python subprocess
    calls; builtins, keywords and the scripts' own functions are left out;
  - the system files they read: absolute paths under /etc, /usr, /lib, /bin,
    /sbin (configuration heredocs included, comments not);
  - the Python modules they import;

resolves each to the Debian package that owns it (command -v, dpkg -S, with
/usr-merge and alternatives symlinks followed) and fails when that package is
neither listed in BUILD_DEPS/TEST_DEPS nor pulled in by them (Depends and
Pre-Depends, recursively) nor essential/required. A command named in
`need`/`uml_setup`/`command -v` that is not installed here fails too: its
package cannot be checked, and a fresh machine would skip a test for it.
"""
import glob
import json
import keyword
import os
import re
import shlex
import shutil
import subprocess
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
# A fresh machine's PATH, less /usr/local (no package installs there): a tool
# found only in /usr/local or in a pyenv/venv of the developer's is a miss.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
FAILS = []
PASSES = 0


def ok(msg):
    global PASSES
    PASSES += 1
    print("ok   - " + msg)


def fail(msg):
    FAILS.append(msg)
    print("FAIL - " + msg)


def sh(*argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout


# --------------------------------------------------------------- the packages
def listed_packages():
    text = open(os.path.join(SRC, "scripts/install-deps.sh")).read()
    pkgs = set()
    for var in ("BUILD_DEPS", "TEST_DEPS"):
        m = re.search(r'^%s="([^"]*)"' % var, text, re.M)
        if not m:
            fail("scripts/install-deps.sh has no %s=\"...\" line" % var)
            continue
        pkgs.update(m.group(1).split())
    return pkgs


def closure(listed):
    """The packages a fresh machine has after install-deps.sh --test."""
    have = set()
    out = sh("apt-cache", "depends", "--recurse", "--important", "--no-recommends",
             "--no-suggests", *sorted(listed))
    for line in out.splitlines():
        if not line.startswith(" "):
            have.add(line.strip().strip("<>"))
        elif ":" not in line:  # a provider of a virtual package
            have.add(line.strip().strip("<>"))
    have.update(listed)
    # the base system: essential and required packages are on every machine
    out = sh("dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\n")
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and (f[1] == "yes" or f[2] == "required"):
            have.add(f[0])
    return {p.split(":")[0] for p in have}


# ---------------------------------------------------------------- the scripts
WRAPPERS = {"timeout", "setsid", "env", "exec", "nohup", "sudo", "command", "time", "nice",
            "stdbuf", "xargs", "builtin", "!"}
SEPARATORS = re.compile(r"\|\||&&|[|;(){}`]|\$\(|\bthen\b|\bdo\b|\belse\b|\bif\b|\belif\b|"
                        r"\bwhile\b|\buntil\b")
WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]*$")
PATH = re.compile(r"(?<![\w$./])(/(?:etc|usr|lib|lib64|bin|sbin)/[A-Za-z0-9_.+@/-]*[A-Za-z0-9_+])")
HEREDOC = re.compile(r"<<(-?)\s*[\"']?([A-Za-z_]+)[\"']?")
IMPORT = re.compile(r"^\s*(?:import\s+([\w., ]+)|from\s+([\w.]+)\s+import)", re.M)
SUBPROC = re.compile(r"(?:subprocess\.\w+|Popen|check_output|check_call)\(\s*\[\s*[\"']([A-Za-z][\w.+-]*)[\"']")


def test_files():
    files = glob.glob(os.path.join(SRC, "tests/**/*.sh"), recursive=True)
    files += glob.glob(os.path.join(SRC, "tests/**/*.py"), recursive=True)
    files.append(os.path.join(SRC, "tests/uml/uml-init"))
    return sorted(f for f in files if os.path.isfile(f))


def strip_comment(line):
    if line.lstrip().startswith("#"):
        return ""
    return re.sub(r"(^|\s)#.*$", "", line)


def first_words(line):
    """The words in command position on one shell line."""
    words = []
    line = re.sub(r"'[^']*'", "''", line)  # awk/sed programs, literal strings
    line = re.sub(r'"[^"$`]*"', '""', line)  # "text (with parentheses)": no command in it
    for seg in SEPARATORS.split(line):
        try:
            toks = shlex.split(seg, posix=True)
        except ValueError:
            toks = seg.split()
        i = 0
        while i < len(toks):
            t = toks[i]
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", t):
                i += 1  # assignment
            elif t in WRAPPERS:
                words.append(t)  # timeout, setsid, env... are commands too
                i += 1
                while i < len(toks) and (toks[i].startswith("-") or re.match(r"^[0-9.]+[smh]?$", toks[i])
                                         or "=" in toks[i]):
                    i += 1
            else:
                break
        if i < len(toks):
            words.append(toks[i])
            if toks[i] in ("need", "uml_setup"):
                words.extend("!" + w for w in toks[i + 1:])  # "!": must be installed
    return words


def scan(files):
    commands = {}  # name -> set of files; "!name": must resolve
    paths = {}
    modules = {}
    functions = set()
    for f in files:
        rel = os.path.relpath(f, SRC)
        text = open(f, errors="replace").read()
        is_py = f.endswith(".py")
        for m in re.finditer(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)", text, re.M):
            functions.add(m.group(1))
        if is_py:
            py_sources = [text]
            shell_lines = []
        else:
            py_sources, shell_lines = [], []
            lines = text.splitlines()
            i = 0
            while i < len(lines):
                line = lines[i]
                hd = HEREDOC.search(line) if "<<<" not in line else None
                shell_lines.append(line)
                i += 1
                if hd:
                    dash, end = hd.group(1), hd.group(2)
                    body = []
                    while i < len(lines) and (lines[i].lstrip("\t") if dash else lines[i]) != end:
                        body.append(lines[i])
                        i += 1
                    i += 1
                    if "python" in line or end == "PY" or (body and body[0].startswith("import ")):
                        py_sources.append("\n".join(body))
                    else:  # data: a config file, a script for elsewhere; its paths count
                        for b in body:
                            for p in PATH.findall(strip_comment(b)):
                                paths.setdefault(p, set()).add(rel)
        for line in shell_lines:
            line = strip_comment(line)
            for p in PATH.findall(line):
                paths.setdefault(p, set()).add(rel)
            for m in re.finditer(r"command -v ([A-Za-z][\w.+-]*)", line):
                commands.setdefault("!" + m.group(1), set()).add(rel)
            for w in first_words(line):
                commands.setdefault(w, set()).add(rel)
        for src in py_sources:
            for m in IMPORT.finditer(src):
                names = m.group(1) or m.group(2)
                for n in names.split(","):
                    n = n.strip().split(" ")[0].split(".")[0]
                    if n and not os.path.exists(os.path.join(os.path.dirname(f), n + ".py")):
                        modules.setdefault(n, set()).add(rel)  # (a module beside it: ours)
            for m in SUBPROC.finditer(src):
                commands.setdefault("!" + m.group(1), set()).add(rel)
            for line in src.splitlines():
                for p in PATH.findall(strip_comment(line)):
                    paths.setdefault(p, set()).add(rel)
    return commands, paths, modules, functions


# ------------------------------------------------------------ path -> package
def variants(path):
    """The names dpkg may know a file by (merged /usr, alternatives)."""
    out = [path]
    for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
        if path.startswith(a):
            out.append(b + path[len(a):])
        elif path.startswith(b):
            out.append(a + path[len(b):])
    real = os.path.realpath(path)
    if real != path:
        out += [v for v in variants_flat(real) if v not in out]
    return out


def variants_flat(path):
    out = [path]
    for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
        if path.startswith(a):
            out.append(b + path[len(a):])
        elif path.startswith(b):
            out.append(a + path[len(b):])
    return out


def owners(paths):
    """{path: set of packages} for every name dpkg knows, in one dpkg -S call."""
    res = {}
    if not paths:
        return res
    out = sh("dpkg", "-S", *sorted(set(paths)))
    for line in out.splitlines():
        if line.startswith("diversion "):
            continue
        pk, _, p = line.partition(": ")
        res.setdefault(p.strip(), set()).update(x.strip().split(":")[0] for x in pk.split(","))
    return res


def main():
    listed = listed_packages()
    have = closure(listed)
    if "dpkg" not in have or "coreutils" not in have:
        fail("could not read the package lists (dpkg-query / apt-cache)")
        return
    commands, paths, modules, functions = scan(test_files())
    builtins = set(sh("bash", "-c", "compgen -b; compgen -k").split())
    skip = builtins | functions | set(keyword.kwlist) | {"!"}

    # name -> resolved file
    targets = {}  # what -> (file, [used in], must)
    missing = []
    for name, where in sorted(commands.items()):
        must = name.startswith("!")
        cmd = name.lstrip("!")
        if cmd in skip or not WORD.match(cmd):
            continue
        exe = shutil.which(cmd, path=SYSTEM_PATH)
        if exe is None:
            if must or shutil.which(cmd):
                missing.append(("command " + cmd, where))
            continue
        key = "command " + cmd
        prev = targets.get(key)
        targets[key] = (exe, (prev[1] if prev else set()) | where)
    for p, where in paths.items():
        if os.path.exists(p) and not (p + "/").startswith("/usr/local/"):
            targets["file " + p] = (p, where)
    # modules as the system's python3 finds them (not a pyenv's or a venv's)
    py = shutil.which("python3", path=SYSTEM_PATH)
    origins = {}
    if py is not None:
        out = sh(py, "-I", "-c", "import importlib.util, json, sys\n"
                 "def origin(m):\n"
                 "    try:\n"
                 "        s = importlib.util.find_spec(m)\n"
                 "    except (ImportError, ValueError):\n"
                 "        return None\n"
                 "    return s and (s.origin or 'namespace')\n"
                 "print(json.dumps({m: origin(m) for m in sys.argv[1:]}))", *sorted(modules))
        origins = json.loads(out or "{}")
    for mod, where in modules.items():
        o = origins.get(mod)
        if o is None:
            missing.append(("python3 module " + mod, where))
        elif o.startswith("/"):
            targets["python3 module " + mod] = (o, where)

    for what, where in missing:
        fail("%s (used in %s) is not installed here (in %s): add its package to "
             "scripts/install-deps.sh" % (what, ", ".join(sorted(where)), SYSTEM_PATH))

    names = {}
    for key, (f, _) in targets.items():
        names[key] = variants(f)
    own = owners([v for vs in names.values() for v in vs])
    for key in sorted(targets):
        f, where = targets[key]
        pk = set()
        for v in names[key]:
            pk |= own.get(v, set())
        used = ", ".join(sorted(where))
        if not pk:
            fail("%s (%s, used in %s) belongs to no Debian package: a fresh machine lacks it"
                 % (key, f, used))
        elif pk & have:
            got = sorted(pk & have)
            ok("%s -> %s" % (key, "/".join(got[:3]) + ("/..." if len(got) > 3 else "")))
        else:
            fail("%s (%s, used in %s) comes from %s, which scripts/install-deps.sh --test "
                 "neither lists nor pulls in" % (key, f, used, " or ".join(sorted(pk))))


if __name__ == "__main__":
    main()
    print("%d passed, %d failed" % (PASSES, len(FAILS)))
    sys.exit(1 if FAILS else 0)
