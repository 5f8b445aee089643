"""The pages against hpsgen: the language page is generated, help prints the pages, links hold.

usage: docs_test.py HPSGEN SOURCE_DIR CASE    (CASE: a function name below without test_)
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import run, check  # noqa: E402 (tests/support)

HPSGEN, ROOT = sys.argv[1], sys.argv[2]
DOCS = os.path.join(ROOT, "docs")
REFRESH = "build/release/generator/hpsgen check --reference --markdown > docs/language.md"
# Pages that other work in progress adds; the README links them already (README.md says so).
ANNOUNCED = set()  # pages other work is writing: linked from the README before they land


def hpsgen(*args):
    p = run([HPSGEN, *args], timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect(condition, what, *shown):
    """check(), with what the command printed when it fails"""
    check(condition, what if condition else what + "".join(f"\n--- {s[-4000:]}" for s in shown))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def pages():
    return sorted("docs/" + n for n in os.listdir(DOCS) if n.endswith(".md"))


def test_language():
    rc, out, err = hpsgen("check", "--reference", "--markdown")
    expect(rc == 0 and err == "", f"check --reference --markdown exits {rc}", out, err)
    page = read("docs/language.md")
    if page != out:
        a, b = page.splitlines(), out.splitlines()
        at = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        raise AssertionError(
            f"docs/language.md differs from `hpsgen check --reference --markdown` at line {at + 1}:\n"
            f"  page:   {a[at] if at < len(a) else '(end)'}\n  hpsgen: {b[at] if at < len(b) else '(end)'}\n"
            f"refresh it from the source's root with\n  {REFRESH}")
    # the text reference and the page are the same table: every statement of one is in the other
    rc, text, err = hpsgen("check", "--reference")
    heads = re.findall(r"^  ([a-z_0-9]+)\b", text, re.M)
    expect(len(heads) > 50, f"the text reference lists the statements: {len(heads)}", text)
    for h in heads:
        if h == "exactly" or h == "not":  # "exactly one of", "not supported yet"
            continue
        expect(f"### `{h}" in page or f"`{h} " in page, f"docs/language.md describes `{h}`")
    expect("grammar/hps.ebnf" in page, "the page links the grammar")
    rc, out, err = hpsgen("check", "--markdown")
    expect(rc == 2 and "--markdown goes with --reference" in err, "--markdown alone is a usage error", out, err)


def test_help():
    rc, out, err = hpsgen("help")
    expect(rc == 0, f"hpsgen help exits {rc}", out, err)
    listed = re.findall(r"^  ([a-z_]+) +(.+)$", out.split("topics")[1], re.M)
    names = {n for n, _ in listed}
    for page in pages():
        name = os.path.basename(page)[:-3]
        expect(name in names, f"hpsgen help lists the topic {name} (pages are compiled in: rebuild hpsgen)", out)
        rc, text, err = hpsgen("help", name)
        expect(rc == 0 and text == read(page), f"hpsgen help {name} prints {page} as it is now "
                                              f"(rebuild hpsgen after editing the page)", text[:400], err)
        rc, line, err = hpsgen("help", name, "--summary")
        title = next(line[2:] for line in read(page).splitlines() if line.startswith("# "))
        expect(rc == 0 and line == f"{page}: {title}\n", f"help {name} --summary: where and the title", line, err)
    for topic in ("tutorial", "language", "slurm", "performance", "design", "runtime", "usage"):
        expect(topic in names, f"the topic {topic} exists", out)
    rc, out, err = hpsgen("help", "slurmm")
    expect(rc == 2 and "did you mean 'slurm'" in err, "an unknown topic is a usage error with a suggestion", out, err)
    rc, out, err = hpsgen("help", "submit")
    expect(rc == 0 and out.startswith("usage: hpsgen submit"), "help COMMAND is the command's --help", out, err)
    for command, page in (("submit", "docs/slurm.md"), ("status", "docs/slurm.md"), ("check", "docs/language.md"),
                          ("run", "docs/tutorial.md"), ("report", "docs/tutorial.md"), ("export", "docs/tutorial.md")):
        rc, out, err = hpsgen(command, "--help")
        expect(rc == 0 and "pages: " in out and page in out, f"{command} --help names {page}", out, err)
        expect(os.path.exists(os.path.join(ROOT, page)), f"{page} exists")
    rc, out, err = hpsgen("--help")
    expect(rc == 0 and "hpsgen help TOPIC" in out and "tutorial" in out, "hpsgen --help lists the topics", out, err)


def anchors(page):
    """GitHub's ids of a page's headings: lower case, punctuation dropped, blanks as '-'."""
    text = re.sub(r"```.*?```", "", page, flags=re.S)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", text, re.M)}


def test_links():
    readme = read("README.md")
    lines = readme.count("\n")
    expect(lines <= 150, f"README.md has {lines} lines; at most about 150 (the rest belongs in docs/)")
    for command in ("scripts/demo.sh", "scripts/test.sh"):
        expect(command in readme and os.access(os.path.join(ROOT, command), os.X_OK),
               f"the README's command {command} exists")
    expect("exec scripts/test.sh" in read(".ci/run"), "CI runs the README's test command")
    missing = []
    for page in ["README.md"] + pages():
        text = re.sub(r"```.*?```", "", read(page), flags=re.S)
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(page), target)) if target else page
            if not os.path.exists(os.path.join(ROOT, path)):
                if path not in ANNOUNCED:
                    missing.append(f"{page}: {target}")
            elif anchor and path.endswith(".md") and anchor not in anchors(read(path)):
                missing.append(f"{page}: {target}#{anchor} (no such heading)")
    expect(not missing, "links to files or headings that do not exist:\n  " + "\n  ".join(missing))
    for page in ANNOUNCED:
        expect(f"]({page})" in readme, f"the README links the page {page} that other work adds")
    # the pages the README links, and every figure's page
    for page in ("docs/tutorial.md", "docs/language.md", "docs/slurm.md", "docs/performance.md",
                 "docs/design.md", "docs/runtime.md"):
        expect(f"]({page})" in readme, f"the README links {page}")


def test_specs():
    """The specs the pages show (a whole study, or one block of one) pass `hpsgen check`;
    tutorial.md's run in docs.tutorial, language.md's examples in dsl.reference."""
    around = ('study t\ndata {\n  train "t.npz"\n  validation "v.npz"\n  input 3\n  target regression 1\n}\n'
              'network {\n  dense units 1\n}\ntrain {\n  loss mse\n  steps 100\n}\n')
    shown = 0
    with tempfile.TemporaryDirectory() as work:
        for page in ["README.md"] + pages():
            if page in ("docs/tutorial.md", "docs/language.md"):
                continue
            text = read(page)
            for m in re.finditer(r"^```[^\n]*\n(.*?)^```$", text, re.M | re.S):
                body = m.group(1)
                first = next((l for l in body.splitlines() if l.strip() and not l.startswith("#")), "")
                if first.startswith("study "):
                    spec = body
                elif re.fullmatch(r"(augment|metrics|slurm) \{", first):  # a block added to a small study
                    spec = around + body
                else:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                path = os.path.join(work, f"shown{shown}.hps")
                with open(path, "w") as f:
                    f.write(spec)
                rc, out, err = hpsgen("check", "--no-data-check", path)
                expect(rc == 0, f"{page}:{line}: the spec shown passes hpsgen check", err)
                shown += 1
    expect(shown >= 3, f"the README's, usage.md's and slurm.md's specs were found: {shown}")


if __name__ == "__main__":
    case = sys.argv[3]
    globals()["test_" + case]()
    print(f"docs.{case}: ok")
