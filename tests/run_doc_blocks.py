# Runs the shell blocks of the documentation that are marked runnable, so that documented commands cannot rot.
#
# A fenced block whose info string is "sh runnable" (or "sh runnable TAG...") is run by bash with
# -e -o pipefail: a non-zero exit of any command fails the test. The blocks of one Markdown file run
# in order, each in a fresh shell, all in one temporary directory that looks like the repository
# root: every top-level entry of the repository is linked there, except models/ (copied, so that a
# block can never change a shipped model) and the build directory (linked as build/). So a block is
# written as a user types it at the repository root, and must write only new files or directories
# in the current directory. The environment has the built `sasrnn` first on PATH, SASRNN_ROOT (the
# repository) and SASRNN_BUILD (the build directory).
#
# Blocks with a tag run only when asked for it (--tags TAG), e.g. "sh runnable firmware" needs the
# cross toolchain and QEMU; without --tags only untagged blocks run. With --tags, only the files
# that have such a block run, all their blocks with those tags or none.
#
# usage: run_doc_blocks.py --root REPO --build BUILD --sasrnn PROGRAM [--tags T,...] [--list] FILE.md|DIR...
# (a DIR stands for its *.md files)
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`]*)$")


def blocks(path):
    """(line, tags, text) of every runnable block of a Markdown file."""
    found = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).split()
        start = i
        body = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                      and lines[i].strip().strip(fence[0]) == ""):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        if len(info) >= 2 and info[0] in ("sh", "bash", "shell") and info[1] == "runnable":
            found.append((start + 1, set(info[2:]), "\n".join(body) + "\n"))
    return found


def workspace(root, build, into):
    """A directory that looks like the repository root (see the head of this file)."""
    build_real = os.path.realpath(build)
    for entry in sorted(os.listdir(root)):
        source = os.path.join(root, entry)
        if entry == ".git" or os.path.realpath(source) == build_real or entry.startswith("build"):
            continue
        if entry == "models":
            shutil.copytree(source, os.path.join(into, entry))
        else:
            os.symlink(source, os.path.join(into, entry))
    os.symlink(build_real, os.path.join(into, "build"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--sasrnn", required=True)
    p.add_argument("--tags", default="")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--list", action="store_true", help="only list the blocks that would run")
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    root = os.path.realpath(a.root)
    wanted = set(t for t in a.tags.split(",") if t)
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.realpath(a.sasrnn)) + os.pathsep + env.get("PATH", "")
    env["SASRNN_ROOT"] = root
    env["SASRNN_BUILD"] = os.path.realpath(a.build)
    files = []
    for f in a.files:
        files += sorted(os.path.join(f, n) for n in os.listdir(f) if n.endswith(".md")) if os.path.isdir(f) else [f]
    ran = 0
    for md in files:
        # Untagged blocks by default. With --tags: the files that have a block with one of those
        # tags, and in them every block whose tags were all asked for, untagged ones included
        # (a tagged block may use what the blocks before it made).
        selected = [b for b in blocks(md) if b[1] <= wanted]
        if not selected or (wanted and not any(b[1] for b in selected)):
            continue
        rel = os.path.relpath(md, root)
        if a.list:
            for line, tags, _ in selected:
                print("%s:%d %s" % (rel, line, " ".join(sorted(tags))))
            continue
        with tempfile.TemporaryDirectory(prefix="sasrnn-doc-") as tmp:
            workspace(root, a.build, tmp)
            for line, tags, text in selected:
                began = time.monotonic()
                try:
                    done = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", text],
                                          cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          text=True, timeout=a.timeout)
                    code = done.returncode
                    output = done.stdout
                except subprocess.TimeoutExpired as e:
                    code = "timeout after %g s" % a.timeout
                    output = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                took = time.monotonic() - began
                if code != 0:
                    print("FAILED %s:%d (exit %s, %.1f s)\n--- block:\n%s--- output:\n%s" % (rel, line, code, took, text, output))
                    return 1
                print("ok %s:%d (%.1f s)" % (rel, line, took))
                ran += 1
    if not a.list:
        print("%d runnable blocks passed" % ran)
        if ran == 0:
            print("no runnable block found: is the marker (```sh runnable) spelt right?")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
