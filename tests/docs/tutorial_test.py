"""docs/tutorial.md, run as written: every fenced block is a file to write or commands to run.

usage: tutorial_test.py HPSGEN SOURCE_DIR WORK_DIR

The page's blocks, in order:
  ```LANG file=NAME      written to WORK_DIR/NAME
  ```console [rc=N] [numbers=any]
  $ command              run with bash in WORK_DIR (hpsgen and python3 on PATH)
  output lines           what it prints (stdout and stderr together), compared line by line:
                         `...` alone skips any lines, `[...]` inside a line any text;
                         numbers=any compares the lines with every number (and the runs of
                         blanks that align them) masked, for times and accuracies.
  Each command must exit 0, except the block's last one, which must exit N when rc=N is given.
Any other fenced block fails the test: the page has no command that is not run.
"""
import os
import re
import shutil
import subprocess
import sys
import time

HPSGEN, ROOT, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
PAGE = os.path.join(ROOT, "docs", "tutorial.md")
NUMBER = re.compile(r"\d[\d,]*(\.\d+)?(e[-+]?\d+)?")


def blocks(text):
    """(info, body, line) of every fenced block."""
    out = []
    for m in re.finditer(r"^```([^\n]*)\n(.*?)^```$", text, re.M | re.S):
        out.append((m.group(1).strip(), m.group(2), text.count("\n", 0, m.start()) + 1))
    return out


def normalise(line, numbers_any):
    line = line.rstrip()
    if numbers_any:
        line = re.sub(r"\s+", " ", NUMBER.sub("#", line))
    return line


def matches(expected, actual, numbers_any):
    e, a = normalise(expected, numbers_any), normalise(actual, numbers_any)
    pattern = ".*".join(re.escape(part) for part in e.split("[...]"))
    return re.fullmatch(pattern, a) is not None


def compare(expected, actual, numbers_any):
    """None when the actual lines fit the expected ones, else what does not."""
    while actual and not actual[-1].strip():
        actual.pop()
    j, skipping = 0, False
    for e in expected:
        if e.strip() == "...":
            skipping = True
            continue
        if skipping:
            while j < len(actual) and not matches(e, actual[j], numbers_any):
                j += 1
        if j >= len(actual):
            return f"missing line: {e!r}"
        if not matches(e, actual[j], numbers_any):
            return f"line {j + 1} is {actual[j]!r}, the page shows {e!r}"
        j += 1
        skipping = False
    if not skipping and j < len(actual):
        return f"an extra line {j + 1}: {actual[j]!r} (end the shown output with ... to leave lines out)"
    return None


def console(body):
    """[(command, [expected lines])]"""
    steps = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif not steps:
            raise AssertionError(f"output before any command: {line!r}")
        else:
            steps[-1][1].append(line)
    return steps


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    tools = os.path.join(WORK, ".bin")  # hpsgen and this python3 first on PATH
    os.makedirs(tools)
    os.symlink(os.path.abspath(HPSGEN), os.path.join(tools, "hpsgen"))
    os.symlink(sys.executable, os.path.join(tools, "python3"))
    env = dict(os.environ, PATH=tools + os.pathsep + os.environ.get("PATH", ""), LC_ALL="C")
    with open(PAGE, encoding="utf-8") as f:
        text = f.read()
    commands_run, failures = [], []
    start = time.monotonic()
    for info, body, line in blocks(text):
        words = info.split()
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        where = f"docs/tutorial.md:{line}"
        if "file" in options:
            with open(os.path.join(WORK, options["file"]), "w") as f:
                f.write(body)
            continue
        if not words or words[0] != "console":
            raise AssertionError(f"{where}: a ```{info} block that the test neither writes nor runs; "
                                 "every block is a file (```LANG file=NAME) or commands (```console)")
        steps = console(body)
        for k, (command, expected) in enumerate(steps):
            # a study's trainers at -O1, half the compile time of -O3 (hpsgen configures only a
            # build folder without a CMakeCache.txt, so it keeps this): the page's output is the same
            m = re.match(r"hpsgen run (\S+)", command)
            if m and not os.path.exists(os.path.join(WORK, m.group(1), "build", "CMakeCache.txt")):
                subprocess.run(["cmake", "-S", m.group(1), "-B", os.path.join(m.group(1), "build"),
                                "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"],
                               cwd=WORK, env=env, stdout=subprocess.DEVNULL, check=True)
            p = subprocess.run(["bash", "-c", command], cwd=WORK, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=600)
            commands_run.append(command)
            want = int(options.get("rc", 0)) if k == len(steps) - 1 else 0
            if p.returncode != want:
                raise AssertionError(f"{where}: `{command}` exits {p.returncode}, the page expects {want}\n{p.stdout}")
            why = compare(expected, p.stdout.splitlines(), options.get("numbers") == "any")
            if why:
                failures.append(f"{where}: `{command}`: {why}\n--- it printed:\n{p.stdout}")
    if failures:
        raise AssertionError("the tutorial's output is not what hpsgen prints now; update docs/tutorial.md:\n\n" +
                             "\n\n".join(failures))
    # the steps the tutorial promises, each run
    for sub in ("check", "list", "generate", "run", "report", "export"):
        if not any(re.match(rf"hpsgen {sub}\b", c) for c in commands_run):
            raise AssertionError(f"the tutorial runs no `hpsgen {sub}`")
    print(f"docs.tutorial: {len(commands_run)} commands in {time.monotonic() - start:.0f} s: ok")


if __name__ == "__main__":
    main()
