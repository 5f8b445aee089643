"""Runs the hpsgen binary on the examples and on broken specs.

usage: cli_test.py HPSGEN SOURCE_DIR CASE    (CASE: a function name below without test_)
"""
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from npy_zeros import write_npy  # noqa: E402

HPSGEN, ROOT = sys.argv[1], sys.argv[2]
CYPLAM = os.path.join(ROOT, "examples", "cyplam.hps")
GOLDEN = os.path.join(ROOT, "tests", "dsl", "golden", "check")
GOLDEN_DATA = os.path.join(ROOT, "tests", "dsl", "golden", "data")


def run(*args, stdin=None):
    p = subprocess.run([HPSGEN, *args], capture_output=True, text=True, input=stdin, timeout=120)
    return p.returncode, p.stdout, p.stderr


def expect(condition, message, out="", err=""):
    if not condition:
        raise AssertionError(f"{message}\n--- stdout\n{out}\n--- stderr\n{err}")


def test_check():
    # the CyPLAM data is not in the repository: --no-data-check (test_data_check checks data)
    rc, out, err = run("check", "--no-data-check", CYPLAM)
    expect(rc == 0, f"check exits {rc}", out, err)
    expect(err == "", "check of a valid spec prints nothing to stderr", out, err)
    expect("study cyplam" in out, "summary names the study", out)
    expect("grid: 192 points" in out, "summary gives 192 points", out)
    expect("runs:" not in out, "no line of runs where a point is a configuration (no repeat, no folds)", out)
    expect("203,506" in out and "3,266,434" in out, "summary gives the parameter range", out)
    expect("(model-000)" in out and "(model-191)" in out, "summary names the extreme points", out)
    for axis in ["conv2d1.filters", "conv2d1.kernel", "conv2d2.filters", "conv2d2.kernel", "dense1.units"]:
        expect(axis in out, f"summary lists axis {axis}", out)
    expect("128, 256, 384, 512, 640, 768, 896, 1024" in out, "summary lists the values of dense1.units", out)
    for example in ["cyplam_activation.hps", "cyplam_penalty.hps"]:
        rc, out, err = run("check", "--no-data-check", os.path.join(ROOT, "examples", example))
        expect(rc == 0 and "grid: 48 points (of " in out, f"check {example}", out, err)
    # gradation reports macro f1 (a classes target's default averaging)
    rc, out, err = run("check", "--no-data-check", os.path.join(ROOT, "examples", "gradation.hps"))
    expect(rc == 0 and "metrics: accuracy, f1 (macro), confusion; best checkpoint by max accuracy" in out,
           "check gradation.hps: its f1 is macro", out, err)
    # the runs of each configuration: `repeat 2` and `folds 3` make 6 runs of each of 2 learning rates
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "runs.hps")
        with open(path, "w") as f:
            f.write('study runs\ndata {\n  train "train.npz"\n  input 4\n  target regression 1\n}\n'
                    'network {\n  dense units 1\n}\n'
                    'train {\n  optimizer adam lr {0.01, 0.001}\n  loss mse\n  batch 8\n  steps 10\n  repeat 2\n  folds 3\n}\n')
        rc, out, err = run("check", "--no-data-check", path)
    expect(rc == 0 and "grid: 12 points\nruns: 6 per configuration (2 seeds x 3 folds), 2 configurations; "
           "the report ranks each configuration by its runs' mean\n" in out,
           "check's summary gives the runs of each configuration (repeat x folds)", out, err)
    rc, out, err = run("check", "--reference")
    expect(rc == 0 and "conv2d" in out and "select" in out, "check --reference prints the language", out, err)
    expect("average: one of macro, micro, weighted (default macro)" in out and "roc_auc [average weighted | class 3]" in out,
           "the reference has the averaging of precision, recall, f1 and roc_auc", out)


def test_list_tsv():
    rc, out, err = run("list", "--format", "tsv", CYPLAM)
    expect(rc == 0, f"list exits {rc}", out, err)
    lines = out.splitlines()
    expect(len(lines) == 193, f"193 lines (a header and 192 rows), got {len(lines)}", out)
    expect(lines[0].split("\t") == ["id", "name", "conv2d1.filters", "conv2d1.kernel", "conv2d2.filters",
                                    "conv2d2.kernel", "dense1.units", "params"], "the header", out)
    rows = {line.split("\t")[1]: line.split("\t") for line in lines[1:]}
    expect(rows["model-108"] == ["108", "model-108", "16", "5", "32", "5", "640", "1018690"], "model-108", out)
    expect(rows["model-040"][2:] == ["8", "5", "32", "5", "128", "207730"], "model-040", out)
    expect(rows["model-189"][2:] == ["32", "5", "64", "5", "768", "2462850"], "model-189", out)
    params = [int(r[-1]) for r in rows.values()]
    expect(min(params) == 203506 and max(params) == 3266434, "parameter range", out)
    rc2, out2, _ = run("list", "--format=tsv", CYPLAM)
    expect(rc2 == 0 and out2 == out, "--format=tsv is --format tsv")


def test_list_json():
    rc, out, err = run("list", "-f", "json", CYPLAM)
    expect(rc == 0, f"list exits {rc}", out, err)
    points = json.loads(out)
    expect(isinstance(points, list) and len(points) == 192, "an array of 192 objects", out)
    p = points[108]
    expect(p == {"id": 108, "name": "model-108", "conv2d1.filters": 16, "conv2d1.kernel": 5,
                 "conv2d2.filters": 32, "conv2d2.kernel": 5, "dense1.units": 640, "params": 1018690},
           f"model-108 as JSON: {p}")
    rc, out, err = run("list", "--format", "json", os.path.join(ROOT, "examples", "cyplam_activation.hps"))
    points = json.loads(out)
    expect(len(points) == 48 and points[1]["act"] == "elu", "names are JSON strings", out, err)


def test_list_table():
    rc, out, err = run("list", CYPLAM)
    expect(rc == 0, f"list exits {rc}", out, err)
    lines = out.splitlines()
    expect(len(lines) == 193, f"193 lines, got {len(lines)}", out)
    expect(re.search(r"^\s*108\s+model-108\s+16\s+5\s+32\s+5\s+640\s+1,018,690$", out, re.M), "row 108", out)


def test_invalid_spec():
    spec = os.path.join(GOLDEN, "pool_indivisible.hps")
    for command in (["check"], ["list"], ["list", "--format", "json"]):
        rc, out, err = run(*command, spec)
        expect(rc == 1, f"{command} of an invalid spec exits 1, not {rc}", out, err)
        expect(out == "", "nothing on stdout", out, err)
        expect(re.search(r"pool_indivisible\.hps:14:3: error: maxpool2: .* at 96 of 192 grid points", err),
               "a located message on stderr", out, err)
        expect("\n    maxpool 2\n    ^~~~~~~\n" in err, "the source line and a caret", out, err)
        expect(err.rstrip().endswith("1 error"), "an error count", out, err)
    # several errors, in source order
    rc, out, err = run("check", os.path.join(GOLDEN, "wrong_kind.hps"))
    lines = [int(m) for m in re.findall(r"^[^:\n]+\.hps:(\d+):\d+: error", err, re.M)]
    expect(rc == 1 and len(lines) >= 5 and lines == sorted(lines), "errors in source order", out, err)
    # warnings alone do not fail
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "warn.hps")
        with open(CYPLAM) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text + "\nlet spare = {1, 2}\n")
        rc, out, err = run("check", "--no-data-check", path)
        expect(rc == 0 and "warning: axis 'spare' is never used" in err and "grid: 192 points" in out,
               "a warning is printed and the check passes", out, err)


def test_syntax_error():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "broken.hps")
        with open(path, "w") as f:
            f.write("study broken\n\nnetwork {\n  dense units 2 kernel\n}\n")
        for command in ("check", "list", "fmt"):
            rc, out, err = run(command, path)
            expect(rc == 1 and out == "", f"{command}: a syntax error exits 1 with nothing on stdout", out, err)
            expect(re.search(r"broken\.hps:4:\d+: error: ", err), f"{command}: a located syntax error", out, err)


def test_help():
    for command in ("check", "list", "fmt"):
        for flag in ("--help", "-h"):
            rc, out, err = run(command, flag)
            expect(rc == 0, f"{command} {flag} exits {rc}", out, err)
            expect(out.startswith(f"usage: hpsgen {command}"), f"{command} {flag} starts with its usage", out, err)
            expect("SPEC" in out and "--help" in out, f"{command} {flag} describes its arguments", out)
            expect(err == "", f"{command} {flag} prints nothing on stderr", out, err)
    rc, out, _ = run("list", "--help")
    expect("table|tsv|json" in out, "list --help gives the formats", out)
    rc, out, _ = run("fmt", "--help")
    expect("--check" in out, "fmt --help gives --check", out)
    rc, out, err = run("--help")
    expect(rc == 0 and all(c in out for c in ("check", "list", "fmt")), "hpsgen --help lists the commands", out, err)
    # --version: the project's version and the runtime's numerics version and resume format
    cmake = open(os.path.join(ROOT, "CMakeLists.txt")).read()
    version = re.search(r"project\(hpsgen VERSION (\S+)", cmake).group(1)
    header = open(os.path.join(ROOT, "runtime", "hps", "version.hpp")).read()
    numerics = re.search(r"numerics_version = (\d+);", header).group(1)
    rc, out, err = run("--version")
    expect(rc == 0 and out.startswith(f"hpsgen {version}\nruntime: numerics {numerics}, resume format "),
           "hpsgen --version gives the version and the runtime's numerics version", out, err)


def test_missing_file():
    for command in ("check", "list", "fmt"):
        rc, out, err = run(command, "no-such-spec.hps")
        expect(rc == 1 and out == "", f"{command} of a missing file exits 1 with nothing on stdout", out, err)
        expect("cannot read 'no-such-spec.hps': No such file or directory" in err, f"{command}: the reason", out, err)
    rc, out, err = run("check", ROOT)
    expect(rc == 1 and "Is a directory" in err, "a directory is not a spec", out, err)


def test_bad_arguments():
    cases = [
        (["check", "--bogus", CYPLAM], "unknown option '--bogus'"),
        (["list", "--format", "csv", CYPLAM], "--format must be table, tsv or json; found 'csv'"),
        (["list", CYPLAM, "--format"], "option --format needs a value"),
        (["list"], "missing SPEC"),
        (["check"], "missing SPEC"),
        (["fmt", CYPLAM, CYPLAM], "unexpected argument"),
        (["fmt", "--check=yes", CYPLAM], "option --check takes no value"),
    ]
    for args, message in cases:
        rc, out, err = run(*args)
        expect(rc == 2, f"{args} exits 2, not {rc}", out, err)
        expect(message in err, f"{args}: '{message}'", out, err)
        expect("usage: hpsgen" in err, f"{args}: the usage", out, err)
        expect(out == "", f"{args}: nothing on stdout", out, err)
    rc, out, err = run("frobnicate")
    expect(rc == 2 and "unknown command" in err, "an unknown command", out, err)
    rc, out, err = run()
    expect(rc == 2 and "usage: hpsgen" in err, "no command", out, err)


def test_fmt():
    with tempfile.TemporaryDirectory() as d:
        for example in ("cyplam.hps", "cyplam_activation.hps", "cyplam_penalty.hps"):
            spec = os.path.join(ROOT, "examples", example)
            rc, canonical, err = run("fmt", spec)
            expect(rc == 0 and "\nstudy " in canonical, f"fmt {example}", canonical, err)
            comments = lambda text: [l[l.index("#"):].rstrip() for l in text.splitlines()
                                     if "#" in l and '"' not in l]
            with open(spec) as f:
                expect(comments(canonical) == comments(f.read()) and comments(canonical),
                       f"fmt keeps the comments of {example}", canonical)
            path = os.path.join(d, example)
            with open(path, "w") as f:
                f.write(canonical)
            rc, out, err = run("fmt", "--check", path)
            expect(rc == 0 and out == "" and err == "", f"the canonical form of {example} is canonical", out, err)
            rc, again, err = run("fmt", path)
            expect(again == canonical, f"fmt is idempotent on {example}", again)
            # the canonical form means the same: the same grid
            _, grid_before, _ = run("list", "--format", "tsv", spec)
            _, grid_after, _ = run("list", "--format", "tsv", path)
            expect(grid_before == grid_after and grid_before, f"fmt keeps the grid of {example}", grid_after)
        path = os.path.join(d, "messy.hps")
        with open(path, "w") as f:
            f.write("study   messy\n\ndata {\n  train \"t.npz\"\n}\n")
        rc, out, err = run("fmt", "--check", path)
        expect(rc == 1 and out == "" and "not in canonical form" in err, "fmt --check of a messy file", out, err)
        rc, out, err = run("fmt", path)
        expect(rc == 0 and out.startswith("study messy\n"), "fmt of a file with semantic errors still works",
               out, err)


def test_generate_no_space():
    """A write that fails half-way (here a file size limit, which fails as a full disk does)
    leaves no half-written study folder: a new one is removed again, an existing one is
    left exactly as it was, with no temporaries."""
    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    def snapshot(folder):
        files = {}
        for d, _, names in os.walk(folder):
            for n in names:
                with open(os.path.join(d, n), "rb") as f:
                    files[os.path.relpath(os.path.join(d, n), folder)] = f.read()
        return files

    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "fashion.hps")
        with open(os.path.join(ROOT, "examples", "fashion.hps")) as f:
            text = f.read()
        with open(spec, "w") as f:
            f.write(text)
        out = os.path.join(tmp, "out")
        p = subprocess.run([HPSGEN, "generate", spec, "-o", out], capture_output=True, text=True,
                           preexec_fn=limited, timeout=120)
        expect(p.returncode == 1 and "File too large" in p.stderr and "nothing was written" in p.stderr,
               f"generate past the size limit fails and says why (exit {p.returncode})", p.stdout, p.stderr)
        expect(not os.path.exists(out), "the new study folder is removed again", p.stdout, p.stderr)

        rc, o, e = run("generate", spec, "-o", out)
        expect(rc == 0, "generate without a limit", o, e)
        before = snapshot(out)
        expect(len(before) > 20, f"the study folder has its files ({len(before)})")
        changed = text.replace("lr 1e-3", "lr 2e-3").replace("units {64, 128}", "units {64, 128, 256}")
        expect(changed != text, "the spec was changed")
        with open(spec, "w") as f:
            f.write(changed)
        p = subprocess.run([HPSGEN, "generate", spec, "-o", out], capture_output=True, text=True,
                           preexec_fn=limited, timeout=120)
        expect(p.returncode == 1 and "File too large" in p.stderr and "nothing in" in p.stderr,
               f"regenerating past the size limit fails (exit {p.returncode})", p.stdout, p.stderr)
        after = snapshot(out)
        expect(after.keys() == before.keys(), f"no file added or left behind: {sorted(after.keys() ^ before.keys())}")
        expect(after == before, "every file of the study folder is as it was")
        expect(not os.path.exists(os.path.join(out, "settings", "model-4.json")), "no file of a new point is left")

        rc, o, e = run("generate", spec, "-o", out)
        expect(rc == 0 and "6 points on 6 trainers" in o, "without the limit the change is written", o, e)
        expect(snapshot(out) != before, "and the folder changed")


def test_data_check():
    """check, generate, run and submit open the data files before anything is written or
    built; --no-data-check skips that."""
    for command in ("check", "generate", "run", "submit"):
        rc, out, err = run(command, "--help")
        expect(rc == 0 and "--no-data-check" in out, f"{command} --help describes --no-data-check", out, err)
    rc, out, err = run("check", os.path.join(GOLDEN_DATA, "wrong_shape.hps"))
    expect(rc == 1 and out == "", f"check of a spec with misshapen data exits 1 (not {rc})", out, err)
    expect(re.search(r"wrong_shape\.hps:4:9: error: .*data/wrong_size\.npz: array 'x' has shape \(6, 5, 5, 1\) but the "
                     r"spec's input is 4 x 4 x 1", err), "the error is located at the train statement", out, err)
    expect('\n    train "data/wrong_size.npz"\n          ^~~~' in err, "the source line and a caret", out, err)
    expect(err.rstrip().endswith("2 errors"), "an error count", out, err)
    rc, out, err = run("check", "--no-data-check", os.path.join(GOLDEN_DATA, "wrong_shape.hps"))
    expect(rc == 0 and "grid: 1 point" in out and err == "", "--no-data-check skips the data", out, err)

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(GOLDEN_DATA, "data"), os.path.join(tmp, "data"))
        with open(os.path.join(GOLDEN_DATA, "wrong_dtype.hps")) as f:
            bad = f.read()
        good = bad.replace('"data/float16.npz"', '"data/good.npz"').replace('"data/x.npy,data/y_text.npy"',
                                                                          '"data/no_channel.npz"')
        expect(good != bad, "the good spec differs")
        for name, text in (("bad.hps", bad), ("good.hps", good)):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        out_dir = os.path.join(tmp, "out", "bad")
        rc, out, err = run("generate", os.path.join(tmp, "bad.hps"), "-o", out_dir)
        expect(rc == 1 and "bad.hps:4:9: error: " in err and "dtype '<f2'" in err, "generate reports the data", out, err)
        expect("2 errors in " in err and "nothing was written" in err, "and writes nothing", out, err)
        expect(not os.path.exists(out_dir), "no study folder", out, err)
        rc, out, err = run("generate", "--no-data-check", os.path.join(tmp, "bad.hps"), "-o", out_dir)
        expect(rc == 0 and os.path.exists(os.path.join(out_dir, "study.hps")), "--no-data-check generates", out, err)

        # run and submit check the data as the trainers open it, at the folder's study.hps
        rc, out, err = run("run", out_dir)
        expect(rc == 1 and re.search(r"out/bad/study\.hps:\d+:\d+: error: .*data/float16\.npz: array 'x': has dtype", err),
               "run reports the data at the study folder's study.hps", out, err)
        expect("nothing was built" in err and not os.path.exists(os.path.join(out_dir, "build")),
               "and builds nothing", out, err)
        rc, out, err = run("submit", out_dir, "--dry-run")
        expect(rc == 1 and "dtype '<f2'" in err and "sbatch" not in out, "submit reports the data, submits nothing",
               out, err)
        rc, out, err = run("submit", out_dir, "--dry-run", "--no-data-check")
        expect(rc == 0 and "sbatch" in out, "submit --no-data-check goes on", out, err)
        rc, out, err = run("run", out_dir, "--no-build", "--no-data-check")
        expect("error:" not in err and "failed: model-0 (exit 127" in err,
               "run --no-data-check goes on (to a trainer not built)", out, err)

        good_dir = os.path.join(tmp, "out", "good")
        rc, out, err = run("generate", os.path.join(tmp, "good.hps"), "-o", good_dir)
        expect(rc == 0 and err == "", "generate takes data a trainer takes", out, err)
        rc, out, err = run("run", good_dir, "--no-build")
        expect("error:" not in err and "failed: model-0 (exit 127" in err, "run finds the data from the study folder",
               out, err)
        os.rename(os.path.join(tmp, "data", "good.npz"), os.path.join(tmp, "data", "moved.npz"))
        rc, out, err = run("run", good_dir)
        expect(rc == 1 and re.search(r"study\.hps:\d+:\d+: error: \S*data/good\.npz: no such file; the trainers of ", err),
               "data moved after generate: run says which file is missing", out, err)
        expect(not os.path.exists(os.path.join(good_dir, "build")), "and builds nothing", out, err)

    # a pair of files ("inputs,targets") is in a point's identity, each of the two
    with tempfile.TemporaryDirectory() as tmp:
        write_npy(os.path.join(tmp, "x.npy"), "<f4", (8, 4), 4)
        write_npy(os.path.join(tmp, "y.npy"), "<i8", (8,), 8)
        with open(os.path.join(tmp, "pair.hps"), "w") as f:
            f.write('study pair\ndata {\n  train "x.npy,y.npy"\n  split 0.25\n  input 4\n  target classes 3\n}\n'
                    "network {\n  dense units 3\n}\ntrain {\n  optimizer adam lr 1e-3\n  loss softmax_ce\n"
                    "  batch 2\n  steps 2\n}\n")

        def identity():
            rc, out, err = run("generate", os.path.join(tmp, "pair.hps"), "-o", os.path.join(tmp, "out"))
            expect(rc == 0, "generate on an .npy pair", out, err)
            with open(os.path.join(tmp, "out", "grid.tsv")) as f:
                return list(csv.DictReader(f, delimiter="\t"))[0]["identity"]

        first = identity()
        expect(identity() == first, "the same files: the same identity")
        for name in ("y.npy", "x.npy"):
            later = os.path.getmtime(os.path.join(tmp, name)) + 10
            os.utime(os.path.join(tmp, name), (later, later))
            changed = identity()
            expect(changed != first, f"{name} rewritten: a new identity")
            first = changed


REPORT_SPEC = """study ranks "report's rankings, on results written by hand"

data {
  train "data/ranks.npz"
  split 0.25
  input 4
  target binary
}

network {
  dense units {4, 8} activation {relu, tanh}
  dense units 1
}

train {
  optimizer adam
  loss bce
  batch 8
  steps 20
}

metrics {
  precision
  f1
  recall threshold 0.3 as recall30
  select max precision
}
"""


def test_report():
    """report --by/--min/--max, --format json, --top and report.csv's minutes on a study
    whose results are written here (no training): three points done, one pending."""
    results = {  # point: precision, f1, recall30, loss, wall seconds
        "model-0": (0.9, 0.5, 0.7, 0.6, 120.0),
        "model-1": (0.8, 0.7, 0.9, 0.4, 90.0),
        "model-2": (0.7, 0.6, 0.8, 0.5, 30.0),
    }
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "ranks.hps")
        with open(spec, "w") as f:
            f.write(REPORT_SPEC)
        study = os.path.join(tmp, "out")
        # results written by hand, no training: no data either (--no-data-check)
        rc, out, err = run("generate", "--no-data-check", spec, "-o", study)
        expect(rc == 0, "generate the study", out, err)
        for name, (prec, f1, r30, loss, wall) in results.items():
            with open(os.path.join(study, "settings", name + ".json")) as f:
                identity = json.load(f)["identity"]
            # runs/<point> is generate's link to results/<identity>
            expect(os.path.realpath(os.path.join(study, "runs", name)) == os.path.realpath(os.path.join(study, "results", identity)),
                   f"runs/{name} links to its result folder")
            res = {"study": "ranks", "point": name, "identity": identity, "overrides": "", "status": "done",
                   "select": {"metric": "precision", "goal": "max"}, "steps": 20, "total_steps": 20,
                   "best": {"step": 10, "loss": loss, "precision": prec, "f1": f1, "recall30": r30,
                            "confusion": [[1, 2], [3, 4]]},
                   "test": {"loss": loss + 0.1, "precision": prec - 0.1, "f1": f1 - 0.1, "recall30": r30 - 0.1},
                   "wall_seconds": wall, "threads": 1, "batch": 8}
            with open(os.path.join(study, "runs", name, "result.json"), "w") as f:
                json.dump(res, f)

        def order(*args):
            rc, out, err = run("report", study, "--format", "json", *args)
            expect(rc == 0, f"report {args} --format json", out, err)
            doc = json.loads(out)  # nothing else on stdout
            return doc, [r["name"] for r in doc["rows"]]

        doc, names = order()
        expect(names == ["model-0", "model-1", "model-2", "model-3"], f"the spec's rule, max precision: {names}")
        expect(doc["ranked_by"] == {"metric": "precision", "goal": "max"} and doc["note"] is None,
               f"ranked by the spec's rule, nothing to note: {doc}")
        expect(doc["study"] == "ranks" and doc["points"] == 4 and doc["not_finished"] == 1 and doc["shown"] == 4,
               f"the study and its counts: {doc}")
        r0, r3 = doc["rows"][0], doc["rows"][3]
        expect(r0["rank"] == 1 and r0["axes"] == {"dense1.units": 4, "dense1.activation": "relu"}
               and r0["status"] == "done" and r0["best_step"] == 10 and r0["wall_seconds"] == 120
               and r0["metrics"] == {"loss": 0.6, "precision": 0.9, "f1": 0.5, "recall30": 0.7}
               and r0["test"]["f1"] == 0.4 and r0["run_dir"] == study + "/results/" + r0["identity"]
               and isinstance(r0["params"], int), f"a ranked row: {r0}")
        expect(r3["rank"] is None and r3["status"] == "pending" and r3["best_step"] is None
               and r3["metrics"] == {} and r3["wall_seconds"] is None, f"a pending point: {r3}")

        doc, names = order("--by", "f1")
        expect(names[:3] == ["model-1", "model-2", "model-0"] and doc["ranked_by"]["goal"] == "max",
               f"--by f1: f1's own direction, max: {names}")
        expect("ranked by f1 (max); the checkpoints were chosen in training by max precision" in doc["note"]
               and "3 points without metrics.csv are ranked at the checkpoint chosen in training" in doc["note"],
               f"the JSON says the values are those of the checkpoints training chose: {doc['note']}")
        doc, names = order("--by", "loss", "--top", "2")
        expect(names == ["model-1", "model-2"] and doc["ranked_by"] == {"metric": "loss", "goal": "min"}
               and doc["shown"] == 2, f"--by loss: min; --top 2 keeps two rows: {names}")
        _, names = order("--by", "loss", "--max")
        expect(names[:3] == ["model-0", "model-2", "model-1"], f"--by loss --max: {names}")
        _, names = order("--by", "recall30", "--min")
        expect(names[:3] == ["model-0", "model-2", "model-1"], f"--by recall30 --min: {names}")
        doc, names = order("--by", "precision", "--min")
        expect(names[:3] == ["model-2", "model-1", "model-0"] and "precision (min)" in doc["note"],
               f"the spec's metric the other way round is noted too: {names}")

        rc, out, err = run("report", study, "--by", "f1")
        expect(rc == 0 and "ranked by max f1" in out
               and "note: ranked by f1 (max); the checkpoints were chosen in training by max precision" in out, "the table says so", out, err)
        expect(re.search(r"^1\s+model-1\s", out, re.M), "and ranks model-1 first", out, err)
        with open(os.path.join(study, "report.md")) as f:
            md = f.read()
        expect(md.startswith("# Study ranks: ranked by max f1\n\nNote: ranked by f1 (max); the checkpoints were chosen in training by max precision"),
               "report.md says so", md)

        rc, out, err = run("report", study, "--by", "recall30")
        expect(rc == 2 and "say --min or --max: hpsgen does not know whether recall30 is better high or low" in err
               and out == "", "a metric named with `as` needs --min or --max", out, err)
        rc, out, err = run("report", study, "--by", "f2")
        expect(rc == 2 and "'f2'" in err and out == ""
               and all(m in err.split("they have")[-1] for m in ("loss", "precision", "f1", "recall30")),
               "an unknown metric: exit 2, listing the results' metrics", out, err)
        rc, out, err = run("report", study, "--by", "f1", "--min", "--max")
        expect(rc == 2 and "not both" in err, "--min and --max together", out, err)
        rc, out, err = run("report", study, "--max")
        expect(rc == 2 and "--by" in err, "--max without --by", out, err)

        # report.csv: every point; minutes is wall seconds / 60
        rc, out, err = run("report", study)
        expect(rc == 0 and "note:" not in out, "the spec's rule: no note", out, err)
        with open(os.path.join(study, "report.csv")) as f:
            rows = {r["name"]: r for r in csv.DictReader(f)}
        for name, (*_, wall) in results.items():
            expect(abs(float(rows[name]["minutes"]) - wall / 60) < 1e-9, f"{name}: minutes {rows[name]['minutes']}")
        expect(rows["model-3"]["minutes"] == "" and rows["model-3"]["rank"] == "", "a pending point: no minutes")
        rc, out, err = run("report", "--help")
        expect(rc == 0 and all(o in out for o in ("--by", "--min", "--max", "--format", "--top")), "report --help", out)

        # a changed `select` keeps the results (no patience: the rule does not change
        # training) and re-ranks them at each point's best checkpoint by the new rule, read
        # from metrics.csv: model-2's best f1 is at step 20, not at training's step 10
        for name, (prec, f1, r30, loss, wall) in results.items():
            late_f1 = 0.95 if name == "model-2" else 0.1
            with open(os.path.join(study, "runs", name, "metrics.csv"), "w") as f:
                f.write("step,split,loss,precision,f1,recall30,elapsed_s\n"
                        f"10,train,{loss + 0.2},,,,1\n10,validation,{loss},{prec},{f1},{r30},1\n"
                        f"20,train,{loss + 0.1},,,,2\n20,validation,{loss + 0.05},{prec - 0.3},{late_f1},{r30},2\n")
        with open(spec, "w") as f:
            f.write(REPORT_SPEC.replace("select max precision", "select max f1"))
        rc, out, err = run("generate", "--no-data-check", spec, "-o", study)
        expect(rc == 0 and "3 points keep a finished result, 1 to train" in out, "select changed: the results are kept", out, err)
        doc, names = order()
        rows = {r["name"]: r for r in doc["rows"]}
        expect(names[:3] == ["model-2", "model-1", "model-0"] and doc["ranked_by"] == {"metric": "f1", "goal": "max"},
               f"ranked by the spec's new rule, max f1, without training: {names}")
        expect(rows["model-2"]["best_step"] == 20 and rows["model-2"]["metrics"]["f1"] == 0.95
               and rows["model-2"]["metrics"]["precision"] == 0.7 - 0.3 and rows["model-2"]["test"] == {},
               f"model-2 at its best f1 checkpoint (step 20), its metrics from metrics.csv, no test metrics "
               f"(those are of step 10's weights): {rows['model-2']}")
        expect(rows["model-1"]["best_step"] == 10 and rows["model-1"]["test"]["f1"] == 0.7 - 0.1,
               f"model-1's best f1 is training's checkpoint: its test metrics stay: {rows['model-1']}")
        expect("the checkpoints were chosen in training by max precision" in doc["note"]
               and "3 points are ranked at their best checkpoint by f1 (from metrics.csv)" in doc["note"]
               and "best.npz and the test metrics stay those of the checkpoint chosen in training" in doc["note"],
               f"the report says whose weights these are: {doc['note']}")



def cost_rows(out):
    """check --cost's table: point -> (params, memory MiB, request, MFLOP, time, "?" when the data is
    unknown, where the time is from, --time)."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"(model-\d+)\s+(\d+)\s+([\d.]+) (MiB|GiB)(\??)\s+(\d+)M\s+([\d.]+)\s+(\S+ \S+|\?)\s+"
                     r"(calibrated|estimated)\s+(\S+)$", line)
        if m:
            mib = float(m.group(3)) * (1024 if m.group(4) == "GiB" else 1)
            rows[m.group(1)] = (int(m.group(2)), mib, int(m.group(6)), float(m.group(7)), m.group(8).strip(), m.group(5),
                                m.group(9), m.group(10))
    return rows


def duration(text):
    """format_seconds' "40 s", "12 min", "2.4 h": the seconds it stands for, as (least, most) of its rounding"""
    value, unit = text.split()
    scale, half = {"s": (1, 0.5), "min": (60, 0.5), "h": (3600, 0.05)}[unit]
    return ((float(value) - half) * scale, (float(value) + half) * scale)


def halving_cost(out):
    """check --cost's table of a halving study: requests (point -> its --mem in MiB); cells (point -> its
    rungs' times, None where not its bracket's); rungs ([(points, candidates, --time)]); total core-hours;
    to_end (core-hours of every point trained to the end)"""
    cells, rungs, requests = {}, [], {}
    for line in out.splitlines():
        m = re.match(r"(model-\d+)\s+\d+\s+[\d.]+ MiB\s+(\d+)M\s+[\d.]+(?:\s+\d)?((?:\s+(?:-|[\d.]+ (?:s|min|h)))+) "
                     r"(?:calibrated|estimated)$", line)
        if m:
            requests[m.group(1)] = int(m.group(2))
            cells[m.group(1)] = [None if c == "-" else duration(c) for c in re.findall(r"-|[\d.]+ (?:s|min|h)", m.group(3))]
        m = re.match(r"  (?:bracket \d of \d, )?rung \d of \d, steps [\d,]+ to [\d,]+: (?:(\d+) of )?(\d+) points? x .*?"
                     r"(?:; --time (\S+(?: to \S+)?))?$", line)
        if m:
            rungs.append((int(m.group(1) or m.group(2)), int(m.group(2)), m.group(3)))
    m = re.search(r"total: (?:at most )?([\d.]+) core-hours .*; every point trained to the end: ([\d.]+) core-hours", out)
    return {"requests": requests, "cells": cells, "rungs": rungs, "total": float(m.group(1)) if m else None,
            "to_end": float(m.group(2)) if m else None}


def test_cost():
    # CyPLAM without its data: 192 rows, memory without data ("?"), time from its 400000 steps
    rc, out, err = run("check", "--no-data-check", "--cost", CYPLAM)
    expect(rc == 0 and err == "", "check --cost exits 0", out, err)
    rows = cost_rows(out)
    expect(len(rows) == 192, f"one row per point: {len(rows)}", out)
    expect(rows["model-000"][0] == 203506 and rows["model-191"][0] == 3266434, "the parameter counts", out)
    expect(all(r[5] == "?" for r in rows.values()), "memory marked as without the data", out)
    expect(rows["model-191"][1] > rows["model-000"][1] and rows["model-191"][3] > rows["model-000"][3],
           "the largest network needs more memory and more work", out)
    hours = sum(float(r[4].split()[0]) * {"h": 1, "min": 1 / 60, "s": 1 / 3600}[r[4].split()[1]] for r in rows.values())
    m = re.search(r"total: ([\d.]+) core-hours \(([\d.]+) hours of training\)", out)
    expect(m and abs(float(m.group(1)) - 12 * float(m.group(2))) <= 12 * 0.05 and abs(float(m.group(2)) - hours) < 0.01 * hours,
           f"core-hours = 12 cpus x the hours of the rows ({hours:.1f} h)", out)
    expect("192 points in 192 array tasks, 12 cpus each; every task requests --mem=4G" in out, "the spec's mem", out)
    expect(all(r[6] == "estimated" and r[7] == "10:00:00" for r in rows.values()),
           "every time estimated (no trainer built), --time the spec's", out)
    expect(out.endswith("at a default 18 GFLOP/s per cpu (estimated, not calibrated here: hpsgen submit calibrates the "
                        "trainers it builds; docs/slurm.md); no --time from an estimate\n"),
           "the table ends with how it was estimated, whole", out)
    rc, out, err = run("check", "--no-data-check", CYPLAM)
    expect(re.search(r"memory per point: [\d.]+ MiB \(model-000\) to [\d.]+ MiB \(model-191\), without the data", out)
           and "sbatch --mem=4G (the spec's slurm mem)" in out, "check's memory summary", out, err)

    # `ranks 2`: each point two MPI processes, each with its network at batch 64 and the
    # whole data: memory and request those of a one-process point of batch 64, the spec's 4G
    # a rank's, asked per cpu (sbatch's --mem is per node); time a rank's steps at batch 64
    # plus the gradient exchange (2 x 1/2 x 4 bytes x the parameters a step, at 1.3 GB/s);
    # core-hours 2 ranks x 12 cpus x the time
    with tempfile.TemporaryDirectory() as tmp:
        text = open(CYPLAM).read()
        specs = {"ranks": text.replace("  cpus 12\n", "  cpus 12\n  ranks 2\n"), "half": text.replace("batch 128", "batch 64")}
        tables = {}
        for name, spec in specs.items():
            expect(spec != text, f"{name}.hps differs from cyplam.hps")
            with open(os.path.join(tmp, name + ".hps"), "w") as f:
                f.write(spec)
            rc, tables[name], err = run("check", "--no-data-check", "--cost", os.path.join(tmp, name + ".hps"))
            expect(rc == 0 and err == "", f"check --cost of {name}.hps", tables[name], err)
        out = tables["ranks"]
        r, h = cost_rows(out), cost_rows(tables["half"])
        expect(len(r) == 192 and set(r) == set(h), "one row per point", out)
        expect(all(r[n][1] == h[n][1] and r[n][2] == h[n][2] for n in r), "a rank's memory: batch 64's", out + tables["half"])
        for n in ("model-000", "model-191"):
            lo, hi = duration(r[n][4])
            half_lo, half_hi = duration(h[n][4])
            exchange = 400000 * 2 * 0.5 * 4 * r[n][0] / 1.3e9
            expect(lo <= half_hi + exchange and half_lo + exchange <= hi,
                   f"{n}: {r[n][4]} = batch 64's {h[n][4]} + the exchange's {exchange:.0f} s", out + tables["half"])
        hours = sum(float(x[4].split()[0]) * {"h": 1, "min": 1 / 60, "s": 1 / 3600}[x[4].split()[1]] for x in r.values())
        m = re.search(r"total: ([\d.]+) core-hours \(([\d.]+) hours of training\)", out)
        expect(m and abs(float(m.group(1)) - 24 * float(m.group(2))) <= 24 * 0.05 and abs(float(m.group(2)) - hours) < 0.01 * hours,
               f"core-hours = 2 ranks x 12 cpus x the hours of the rows ({hours:.1f} h)", out)
        expect("192 points in 192 array tasks, 2 ranks x 12 cpus each; every task requests --mem-per-cpu=342M "
               "(the spec's, 4G a rank)" in out, "the spec's mem is a rank's, per cpu 4096 / 12 MiB", out)
        rc, out, err = run("check", "--no-data-check", os.path.join(tmp, "ranks.hps"))
        expect("memory per rank: " in out and "sbatch --mem-per-cpu=342M (the spec's slurm mem, 4G a rank over its 12 cpus)"
               in out, "check's memory summary, per rank", out, err)

    # with data: 50000 training samples of 4 x 4 x 1 floats and a class: 50000 x 17 floats more,
    # and 3 a sample while they load (the permutation, the class read as a double)
    with tempfile.TemporaryDirectory() as tmp:
        write_npy(os.path.join(tmp, "x.npy"), "<f4", (50000, 4, 4, 1), 4)
        write_npy(os.path.join(tmp, "y.npy"), "<i8", (50000,), 8)
        shutil.copy(os.path.join(GOLDEN_DATA, "data", "good.npz"), tmp)
        spec = ("study cost\ndata {\n  train \"%s\"\n  validation \"good.npz\"\n  input 4 x 4 x 1\n"
                "  target classes 3\n}\nnetwork {\n  dense units {8, 512} activation relu\n  dense units 3\n}\n"
                "train {\n  optimizer adam lr 1e-3\n  loss softmax_ce\n  batch 32\n  epochs 2\n}\n%s")
        for name, train, slurm in (("big.hps", "x.npy,y.npy", ""), ("small.hps", "good.npz", ""),
                                   ("fixed.hps", "x.npy,y.npy", 'slurm {\n  mem "3G"\n}\n')):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(spec % (train, slurm))
        rc, big, err = run("check", "--cost", os.path.join(tmp, "big.hps"))
        expect(rc == 0 and err == "", "check --cost with data", big, err)
        rc, small, err = run("check", "--cost", os.path.join(tmp, "small.hps"))
        b, s = cost_rows(big), cost_rows(small)
        expect(b["model-0"][5] == "" and s["model-0"][5] == "", "the data is counted", big)
        grown = b["model-0"][1] - s["model-0"][1]
        expect(abs(grown - (50000 - 6) * (17 + 3) * 4 / 2**20) < 0.15, f"the data's floats: +{grown:.2f} MiB", big + small)
        # epochs of 50000 samples in batches of 32: 1562 steps an epoch (a partial batch dropped), 2 epochs
        expect(b["model-1"][4] != "?" and s["model-1"][4] == "0 s", "time from the epochs", big + small)
        # submit.sbatch requests the largest point's estimate + 20 %, unless the spec's mem
        rc, out, err = run("generate", os.path.join(tmp, "big.hps"), "-o", os.path.join(tmp, "big"))
        expect(rc == 0, "generate", out, err)
        sbatch = open(os.path.join(tmp, "big", "submit.sbatch")).read()
        most = max(r[2] for r in b.values())
        expect(f"#SBATCH --mem={most}M\n" in sbatch and most >= 1.2 * max(r[1] for r in b.values()),
               f"--mem={most}M, the largest request", sbatch)
        rc, out, err = run("generate", os.path.join(tmp, "fixed.hps"), "-o", os.path.join(tmp, "fixed"))
        sbatch = open(os.path.join(tmp, "fixed", "submit.sbatch")).read()
        expect(rc == 0 and "#SBATCH --mem=3G\n" in sbatch and sbatch.count("--mem") == 1, "the spec's mem wins", sbatch)
        # no data where generate runs: no --mem rather than one too small
        os.rename(os.path.join(tmp, "x.npy"), os.path.join(tmp, "gone.npy"))
        rc, out, err = run("generate", "--no-data-check", os.path.join(tmp, "big.hps"), "-o", os.path.join(tmp, "nodata"))
        sbatch = open(os.path.join(tmp, "nodata", "submit.sbatch")).read()
        expect(rc == 0 and "--mem" not in sbatch, "without the data, no --mem", sbatch, err)
        rc, out, err = run("check", "--no-data-check", os.path.join(tmp, "big.hps"))
        expect("sbatch: no --mem (the data files could not be opened here" in out, "check says why", out, err)
        os.rename(os.path.join(tmp, "gone.npy"), os.path.join(tmp, "x.npy"))
        # submit --dry-run previews the same table
        rc, out, err = run("submit", os.path.join(tmp, "big"), "--dry-run", "--no-build")
        expect(rc == 0 and cost_rows(out) == b and "core-hours" in out, "submit --dry-run prints the cost", out, err)


RUNG_SPEC = """study rungs
data {
  train "good.npz"
  validation "good.npz"
  input 4 x 4 x 1
  target classes 3
}
let width = {8, 2048}
network {
  dense units width activation relu
  dense units width activation relu
  dense units 3
}
train {
  optimizer adam lr 1e-3
  loss softmax_ce
  batch 4
  steps 360
  checkpoints 9
}
search {
  halving eta 3 min_steps 40
}
"""


def test_rung_classes():
    # a halving rung's points ask what they need: two networks of 4,000 and 4.2 million
    # parameters, their trainers stand-ins that print a calibration (nothing built), make
    # rung 1 two arrays, each with its point's --mem and --time
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(GOLDEN_DATA, "data", "good.npz"), tmp)
        with open(os.path.join(tmp, "rungs.hps"), "w") as f:
            f.write(RUNG_SPEC)
        study = os.path.join(tmp, "out")
        rc, out, err = run("generate", os.path.join(tmp, "rungs.hps"), "-o", study)
        expect(rc == 0 and "2 points on 2 trainers" in out, "generate", out, err)
        rc, table, err = run("check", "--cost", os.path.join(tmp, "rungs.hps"))
        cost = halving_cost(table)["requests"]
        expect(rc == 0 and set(cost) == {"model-0", "model-1"} and cost["model-1"] > 1.5 * cost["model-0"] > 0,
               "check --cost: two requests of different memory classes", table, err)
        with open(os.path.join(study, "grid.tsv")) as f:
            trainer = {r["name"]: r["trainer"] for r in csv.DictReader(f, delimiter="\t")}
        os.makedirs(os.path.join(study, "build", "bin"))
        step_s = {"model-0": 6.0, "model-1": 30.0}  # a step of the large one: 20 min for 40 steps
        for name, t in trainer.items():
            binary = os.path.join(study, "build", "bin", t)
            with open(binary, "w") as f:
                f.write("#!/bin/sh\n[ \"$3\" = --calibrate ] || exit 2\n"
                        f"echo calibration threads=1 batch=4 steps=3 step_s={step_s[name]} eval_batch_s={step_s[name] / 2}\n")
            os.chmod(binary, 0o755)

        def expected_time(name, cap=None):
            # rung 1: 40 steps from 0 and the one checkpoint at step 40 (9 in 360 steps), a pass
            # over the 6 validation samples in batches of 4; x 1.5 + 5 min, whole minutes
            seconds = 40 * step_s[name] + 2 * step_s[name] / 2
            t = -(-(seconds * 1.5 + 300) // 60) * 60
            t = int(min(t, cap) if cap else t)
            return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"

        def arrays(out):
            """point -> (HPS_FIRST, --mem in MiB, --time) of each sbatch line of rung 1"""
            found = {}
            for line in out.splitlines():
                m = re.search(r"HPS_POINTS=slurm/rung-1\.points,HPS_FIRST=(\d+),\S* --mem=(\d+)M --time=(\S+) "
                              r"--signal=B:USR1@\d+ \S+/submit\.sbatch --until 40 +# rung 1 of 3's array of points (\d+)$",
                              line)
                if m:
                    found[f"model-{m.group(4)}"] = (int(m.group(1)), int(m.group(2)), m.group(3))
            return found

        rc, out, err = run("submit", study, "--dry-run", "--no-build")
        expect(rc == 0 and "calibrating 2 trainers" in out and "rung 1 of 3: 2 points in 2 resource classes" in out,
               "submit --dry-run: the trainers calibrated, rung 1 in two classes", out, err)
        got = arrays(out)
        expect(got == {"model-0": (0, cost["model-0"], expected_time("model-0")),
                       "model-1": (1, cost["model-1"], expected_time("model-1"))},
               f"each array asks its point's memory and rung-1 time, on its own line of the list: {got}", out, err)
        expect("--dependency=afterany:<rung 1>:<rung 1 #2>' " in out,
               "the promotion job waits for both arrays, each named once in the preview", out, err)
        # the cap, passed on to the promotion job as submit's other requests are
        rc, out, err = run("submit", study, "--dry-run", "--no-build", "--max-time", "20")
        expect("calibrating" not in out, "the second time, from build/calibration.tsv", out, err)
        got = arrays(out)
        expect(rc == 0 and got["model-1"][2] == expected_time("model-1", 1200) == "00:20:00"
               and got["model-0"][2] == expected_time("model-0") and "--max-time=20" in out,
               f"--max-time caps the rung's --time and goes on to the promotion: {got}", out, err)

        # the cost preview of a halving study: each point's time in each rung (its steps since
        # the rung before and its validation passes), the rungs' sizes, and a total that is
        # the sum over rungs of the most expensive points that can reach them
        rc, table, err = run("check", "--cost", os.path.join(tmp, "rungs.hps"), "--calibration", study)
        expect(rc == 0 and err == "" and "rungs of points x steps: 2 x 40, 1 x 120, 1 x 360;" in table,
               "check --cost --calibration of the halving study", table, err)
        preview = halving_cost(table)
        cells, rungs, total, to_end = (preview[k] for k in ("cells", "rungs", "total", "to_end"))
        expect(set(cells) == {"model-0", "model-1"} and all(len(c) == 3 for c in cells.values()),
               f"a column per rung: {cells}", table)
        for name, its in cells.items():
            # rung 1: 40 steps and 1 validation pass (2 batches of 4); rung 2: 80 steps and 2
            # passes (3 batches); rung 3: 240 steps, 6 passes (9 batches)
            for (lo, hi), batches, cell in zip(((0, 40), (40, 120), (120, 360)), (2, 3, 9), its):
                want = (hi - lo) * step_s[name] + batches * step_s[name] / 2
                expect(cell[0] <= want <= cell[1], f"{name} steps {lo}-{hi}: {want} s in {cell}", table)
        expect([(r[0], r[1]) for r in rungs] == [(2, 2), (1, 2), (1, 2)], f"the rungs' sizes: {rungs}", table)
        low = high = 0.0
        for r, (k, n, _) in enumerate(rungs):  # the k most expensive of the rung's candidates
            by_cost = sorted(cells.values(), key=lambda c: -c[r][0])[:k]
            low += sum(c[r][0] for c in by_cost) / 3600
            high += sum(c[r][1] for c in by_cost) / 3600
        expect(low - 0.05 <= total <= high + 0.05 and total < to_end,
               f"the total, {total} core-hours, is the rungs' sum ({low:.3f} to {high:.3f}), below {to_end} to the end",
               table)
        everyone = sum(c[r][0] for c in cells.values() for r in range(3)) / 3600
        expect(total < everyone - 0.3, f"not every point in every rung ({everyone:.2f} h)", table)
        expect(rungs[0][2] == f"{expected_time('model-0')} to {expected_time('model-1')}",
               f"rung 1's --time, as its arrays ask: {rungs[0]}", table)
        # submit --dry-run previews the same
        rc, out, err = run("submit", study, "--dry-run", "--no-build")
        expect(rc == 0 and out.endswith(table[table.index("\npoint "):]), "submit --dry-run: the same preview", out, err)

        # a Hyperband study: a point's rungs are its bracket's; a grid study's table is unchanged
        with open(os.path.join(tmp, "brackets.hps"), "w") as f:
            f.write(RUNG_SPEC.replace("{8, 2048}", "{8, 16, 32, 64, 128, 256, 512, 2048}")
                    .replace("min_steps 40", "min_steps 40 brackets 2"))
        rc, table, err = run("check", "--cost", os.path.join(tmp, "brackets.hps"))
        preview = halving_cost(table)
        cells, rungs = preview["cells"], preview["rungs"]
        expect(rc == 0 and len(cells) == 8 and sum(c[0] is None for c in cells.values()) == 3
               and [(r[0], r[1]) for r in rungs] == [(5, 5), (1, 5), (1, 5), (3, 3), (1, 3)]
               and "bracket 1: 5 x 40, 1 x 120, 1 x 360; bracket 2: 3 x 120, 1 x 360;" in table,
               "brackets: bracket 2's 3 points start at 120 steps", table, err)
        with open(os.path.join(tmp, "grid.hps"), "w") as f:
            f.write(RUNG_SPEC.replace("search {\n  halving eta 3 min_steps 40\n}\n", ""))
        rc, table, err = run("check", "--cost", os.path.join(tmp, "grid.hps"))
        expect(rc == 0 and len(cost_rows(table)) == 2 and "rungs (" not in table
               and "2 points in 2 array tasks" in table, "a grid's table", table, err)
        # random N: only the sample
        with open(os.path.join(tmp, "sample.hps"), "w") as f:
            f.write(RUNG_SPEC.replace("{8, 2048}", "{8, 16, 32, 64, 128, 256, 512, 2048}")
                    .replace("halving eta 3 min_steps 40", "random 3"))
        rc, table, err = run("check", "--cost", os.path.join(tmp, "sample.hps"))
        rc2, listed, _ = run("list", "--format", "tsv", os.path.join(tmp, "sample.hps"))
        sampled = {line.split("\t")[1] for line in listed.splitlines()[1:]}
        expect(rc == 0 and rc2 == 0 and set(cost_rows(table)) == sampled and len(sampled) == 3
               and "3 points in 3 array tasks" in table, "random 3: the 3 points drawn", table + listed, err)


if __name__ == "__main__":
    case = sys.argv[3]
    globals()["test_" + case]()
    print(f"cli.{case}: ok")
