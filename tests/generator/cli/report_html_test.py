"""hpsgen report's report.html, on a study whose results are written here (no training).

usage: report_html_test.py HPSGEN ARTIFACTS CASE
  data      the page's embedded JSON: points, ranks, counts, curves, warnings, the best
            point's confusion matrix, per-class scores and files, a binary study's ROC and
            precision-recall curves; --html and --no-html; user text escaped;
            hpsgen run writes the page too; a 192-point study with 200 checkpoints each
            stays under 5 MB
  browser   headless Chromium opens the page: no script error, every chart drawn with the
            right number of series (a binary study's ROC and precision-recall curves too),
            the per-class table, user text shown as text, the leaderboard sorts and
            its links open the points' sections; a `repeat 3` study's configurations
            table; a screenshot is kept in ARTIFACTS.
            Skipped (exit 77) when chromium is not installed.
  repeats   `repeat 3`: each configuration's runs grouped, mean and standard deviation
            against numpy, ranked by the mean (table, report.csv, JSON, report.html);
            `folds 3` grouped the same way by train.fold
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HPSGEN = ARTIFACTS = None  # from the command line (main), or set by a script importing this one
SKIP = 77  # ctest's SKIP_RETURN_CODE for this test

# The description tries to end the page's <script> block and to inject markup.
SPEC = """study shapes "shapes </script><b>bold</b> & co"

data {
  train "data/shapes.npz"
  split 0.25
  input 4
  target classes 3
}

network {
  dense units {4, 8, 16, 32} activation {relu, tanh}
  dense units 3
}

train {
  optimizer adam
  loss softmax_ce
  batch 8
  steps 50
  checkpoints 5
}

metrics {
  accuracy
  confusion
  select max accuracy
}
"""

CONFUSION = [[10, 1, 0], [2, 8, 1], [0, 0, 11]]
# CONFUSION's per-class scores, as result.json has them (hps/train/results.hpp)
PER_CLASS = {"precision": [10 / 12, 8 / 9, 11 / 12], "recall": [10 / 11, 8 / 11, 1.0],
             "f1": [20 / 23, 16 / 20, 22 / 23], "support": [11, 11, 11]}

# A binary study of one point, for its ROC and precision-recall curves.
BINARY_SPEC = """study defects

data {
  train "data/defects.npz"
  split 0.25
  input 4
  target binary
}

network {
  dense units 8 activation relu
  dense units 1
}

train {
  loss bce
  steps 50
  checkpoints 5
}

metrics {
  accuracy
  roc_auc
  f1 threshold 0.4
  select max accuracy
}
"""
ROC = {"auc": 0.8125, "fpr": [0, 0, 0.25, 0.25, 0.5, 1], "tpr": [0, 0.5, 0.5, 0.75, 1, 1],
       "threshold": [None, 0.9, 0.8, 0.6, 0.4, 0.1]}
PR = {"average_precision": 0.85, "recall": [0, 0.5, 0.5, 0.75, 1, 1], "precision": [1, 1, 0.667, 0.75, 0.667, 0.5],
      "threshold": [None, 0.9, 0.8, 0.6, 0.4, 0.1]}

# point: status, [(step, train loss, validation loss, accuracy)], best step, message,
# with metrics.csv. Grid order: units 4 relu, 4 tanh, 8 relu, 8 tanh, 16 relu, 16 tanh,
# 32 relu, 32 tanh.
HISTORY = {
    # overfits: the validation loss ends 40 % above its minimum, the training loss falls
    "model-0": ("done", [(10, 1.0, 0.9, 0.6), (20, 0.7, 0.5, 0.8), (30, 0.5, 0.55, 0.78), (40, 0.3, 0.6, 0.77),
                         (50, 0.2, 0.7, 0.76)], 20, "", True),
    # the winner, best at its last evaluation: not converged
    "model-1": ("done", [(10, 1.0, 0.9, 0.5), (20, 0.8, 0.7, 0.6), (30, 0.6, 0.6, 0.7), (40, 0.5, 0.5, 0.8),
                         (50, 0.4, 0.4, 0.9)], 50, "", True),
    "model-2": ("early_stopped", [(10, 1.0, 0.8, 0.7), (20, 0.9, 0.85, 0.65), (30, 0.85, 0.9, 0.6)], 10, "", True),
    "model-3": ("diverged", [(10, 1.2, 1.1, 0.4)], 10,
                "the training loss became NaN at step 13; lower the learning rate or check the data's scale", True),
    "model-4": ("failed", [], -1, "cannot read data/shapes.npz: No such file", False),
    # model-5: pending (nothing); model-6: interrupted (resume.bin only)
    "model-7": ("done", [(50, 0.5, 0.5, 0.75)], 50, "", False),  # an older result: no metrics.csv
}
RANKED = ["model-1", "model-0", "model-7", "model-2", "model-3"]
WITH_CURVES = ["model-1", "model-0", "model-2", "model-3"]  # ranked order, then grid order


def run(*args):
    p = subprocess.run([HPSGEN, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def expect(condition, message, out="", err=""):
    if not condition:
        raise AssertionError(f"{message}\n--- stdout\n{out}\n--- stderr\n{err}")


def write_result(study, name, status, rows, best_step, message, with_csv, confusion=None, threads=2, extra=None):
    with open(os.path.join(study, "settings", name + ".json")) as f:
        identity = json.load(f)["identity"]
    run_dir = os.path.join(study, "results", identity)
    os.makedirs(run_dir, exist_ok=True)
    best = None
    if best_step >= 0:
        step, _, loss, acc = next(r for r in rows if r[0] == best_step)
        best = {"step": step, "loss": loss, "accuracy": acc}
        if confusion:
            best["confusion"] = confusion
        best.update(extra or {})
    wall = 60.0 * (1 + len(rows))
    res = {"study": "shapes", "point": name, "identity": identity, "overrides": "", "status": status,
           "select": {"metric": "accuracy", "goal": "max"}, "steps": rows[-1][0] if rows else 0, "total_steps": 50,
           "best": best, "wall_seconds": wall if rows else 0, "threads": threads, "batch": 8,
           "samples_per_second": 400.0 * (1 + len(rows))}
    if message:
        res["message"] = message
    with open(os.path.join(run_dir, "result.json"), "w") as f:
        json.dump(res, f)
    if with_csv:
        with open(os.path.join(run_dir, "metrics.csv"), "w") as f:
            f.write("step,split,loss,accuracy,elapsed_s\n")
            for step, train, loss, acc in rows:
                f.write(f"{step},train,{train},,{step / 10}\n{step},validation,{loss},{acc},{step / 10}\n")
    return run_dir


def generated(tmp, name, text, folder):
    """The study of spec `text` (written to tmp/name.hps), generated into tmp/folder
    without its data; its folder."""
    spec = os.path.join(tmp, name + ".hps")
    with open(spec, "w") as f:
        f.write(text)
    study = os.path.join(tmp, folder)
    rc, out, err = run("generate", "--no-data-check", spec, "-o", study)
    expect(rc == 0, f"generate {name}.hps", out, err)
    return study


def make_study(tmp):
    """The study of SPEC with HISTORY's results; returns its folder."""
    study = generated(tmp, "shapes", SPEC, "out")
    for name, (status, rows, best_step, message, with_csv) in HISTORY.items():
        run_dir = write_result(study, name, status, rows, best_step, message, with_csv,
                               CONFUSION if name == "model-1" else None,
                               extra={"per_class": PER_CLASS} if name == "model-1" else None)
        if name == "model-1":
            for f in ("best.npz", "model.py"):
                open(os.path.join(run_dir, f), "w").close()
            with open(os.path.join(run_dir, "settings.json"), "w") as f:
                f.write('{"point": "model-1", "optimizer": {"kind": "adam", "lr": 0.001}}\n')
            with open(os.path.join(run_dir, "train.log"), "w") as f:
                f.write("[model-1] data: 300 training, 100 validation samples; 50 steps of 8 (1.33 epochs)\n"
                        "[model-1] step 10/50 validation: loss 0.9 accuracy 0.5  (best)\n")
    with open(os.path.join(study, "settings", "model-6.json")) as f:
        run_dir = os.path.join(study, "results", json.load(f)["identity"])
    os.makedirs(run_dir, exist_ok=True)
    open(os.path.join(run_dir, "resume.bin"), "w").close()
    # a result of an earlier version of the spec (units 64), kept in results/
    gone = os.path.join(study, "results", "00000000deadbeef")
    os.makedirs(gone)
    with open(os.path.join(gone, "settings.json"), "w") as f:
        json.dump({"point": "model-8", "point_id": 8, "params": 451,
                   "axes": [{"name": "dense1.units", "value": "64"}, {"name": "dense1.activation", "value": "relu"}]}, f)
    with open(os.path.join(gone, "result.json"), "w") as f:
        json.dump({"status": "done", "select": {"metric": "accuracy", "goal": "max"},
                   "best": {"step": 50, "loss": 0.3, "accuracy": 0.95}, "wall_seconds": 60, "threads": 1}, f)
    return study


def make_binary_study(tmp):
    """BINARY_SPEC's study, its one point done with ROC and precision-recall curves."""
    study = generated(tmp, "defects", BINARY_SPEC, "defects")
    write_result(study, "model-0", "done", [(50, 0.5, 0.45, 0.8125)], 50, "", True,
                 extra={"curves": {"roc": ROC, "pr": PR}})
    return study


def make_big_study(tmp):
    """A study of 192 points, each done with 200 checkpoints (CyPLAM's size); its folder."""
    spec = os.path.join(tmp, "big.hps")
    with open(spec, "w") as f:
        f.write(SPEC.replace("dense units {4, 8, 16, 32} activation {relu, tanh}",
                             "dense units {4, 8, 16, 32, 64, 128, 256, 512} activation {relu, tanh, elu}\n"
                             "  dense units {4, 8, 16, 32, 64, 128, 256, 512} activation relu")
                    .replace("steps 50", "steps 400000").replace("checkpoints 5", "checkpoints 200"))
    study = os.path.join(tmp, "out")
    rc, out, err = run("generate", "--no-data-check", spec, "-o", study)
    expect(rc == 0 and "192 points" in out, "generate a 192-point study", out, err)
    for i in range(192):
        rows = [(2000 * (k + 1), 1 / (k + 1.123456789) + i / 1000, 1.1 / (k + 1.987654321) + i / 900,
                 0.5 + k / 401.123456789 - i / 2000) for k in range(200)]
        write_result(study, f"model-{i:03d}", "done", rows, rows[-1][0], "", True, CONFUSION)
    return study


def page_data(path):
    """The JSON object embedded in report.html."""
    with open(path) as f:
        page = f.read()
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    expect(m, f"{path} has the data block")
    return page, json.loads(m.group(1))


def test_data():
    with tempfile.TemporaryDirectory() as tmp:
        study = make_study(tmp)
        rc, out, err = run("report", study)
        expect(rc == 0 and f"{study}/report.html" in out, "report writes report.html and says so", out, err)
        page, data = page_data(os.path.join(study, "report.html"))

        # user text: never raw in the page (the JSON writes every '<' as \u003c)
        expect(page.count("</script>") == 4 and page.count("<script") == 4, "no user text opens or ends a script element")
        expect("<b>bold</b>" not in page and data["description"] == 'shapes </script><b>bold</b> & co',
               f"the description is kept, escaped: {data['description']!r}")
        # nothing fetched: the only scripts are inline, Chart.js among them
        expect(not re.search(r"<(script|link|img)[^>]+(src|href)=", page), "no external script, style or image")
        expect("Chart.js v3" in page, "Chart.js is inlined")

        expect(data["study"] == "shapes" and data["select"] == {"metric": "accuracy", "goal": "max", "split": "validation",
                                                                "is_spec_rule": True}, f"the rule: {data['select']}")
        expect(data["axes"] == ["dense1.units", "dense1.activation"] and data["curve_columns"] == ["loss", "accuracy"],
               f"axes and plotted columns: {data['axes']}, {data['curve_columns']}")
        expect("study shapes" in data["spec"] and data["spec_path"].endswith("shapes.hps"), "the spec and its path")
        expect(data["counts"] == {"points": 8, "done": 3, "early_stopped": 1, "diverged": 1, "halved": 0, "failed": 1,
                                  "interrupted": 1, "pending": 1}, f"counts: {data['counts']}")
        # wall: 60 s per evaluation + 60; threads 2
        walls = [60.0 * (1 + len(h[1])) for h in HISTORY.values() if h[1]]
        expect(abs(data["core_hours"] - 2 * sum(walls) / 3600) < 1e-9 and data["wall_seconds_max"] == max(walls),
               f"CPU time: {data['core_hours']} core-hours")

        points = {p["name"]: p for p in data["points"]}
        names = [p["name"] for p in data["points"]]
        expect(names[:5] == RANKED and sorted(names[5:]) == ["model-4", "model-5", "model-6"],
               f"ranked points first, best first: {names}")
        expect([points[n]["rank"] for n in RANKED] == [1, 2, 3, 4, 5] and points["model-5"]["rank"] is None,
               "ranks")
        expect(points["model-1"]["axes"] == [4, "tanh"] and points["model-1"]["best"]["accuracy"] == 0.9,
               f"a point's axes and metrics: {points['model-1']}")
        expect(points["model-4"]["message"] == "cannot read data/shapes.npz: No such file", "a failure's message")
        with_curves = [p["name"] for p in data["points"] if p["curves"]]
        expect(with_curves == WITH_CURVES, f"curves for the points with metrics.csv: {with_curves}")
        c = points["model-0"]["curves"]
        expect(c["validation"]["step"] == [10, 20, 30, 40, 50] and c["validation"]["accuracy"][1] == 0.8
               and c["train"]["loss"] == [1.0, 0.7, 0.5, 0.3, 0.2], f"a point's curves: {c}")

        expect(data["outside_grid"] == [{"identity": "00000000deadbeef", "was": "model-8",
                                         "axes": "dense1.units=64, dense1.activation=relu", "params": 451,
                                         "status": "done", "run_dir": "results/00000000deadbeef", "key": 0.95}]
               and "model-8" not in points, f"a result outside the grid, listed apart: {data['outside_grid']}")

        best = data["best"]
        expect(best["name"] == "model-1" and best["confusion"] == CONFUSION and best["best_npz"] and best["model_py"]
               and best["run_dir"] == points["model-1"]["run_dir"], f"the best point: {best}")
        expect(best["data"] == "300 training, 100 validation samples; 50 steps of 8 (1.33 epochs)"
               and '"lr": 0.001' in best["settings"], f"the best point's data sizes and settings: {best}")
        expect(best["per_class"]["support"] == PER_CLASS["support"]
               and all(abs(a - b) < 1e-5 for k in ("precision", "recall", "f1") for a, b in zip(best["per_class"][k], PER_CLASS[k]))
               and best["roc"] is None and best["pr"] is None,
               f"the best point's per-class scores, as result.json has them; no curves for classes: {best}")

        binary = make_binary_study(tmp)
        rc, out, err = run("report", binary)
        _, bdata = page_data(os.path.join(binary, "report.html"))
        b = bdata["best"]
        expect(rc == 0 and b["roc"] == ROC and b["pr"] == PR and b["per_class"] is None,
               f"a binary study's best point: its ROC and precision-recall curves, thresholds with them: {b}", out, err)

        summary = {a["axis"]: {str(v["value"]): v for v in a["values"]} for a in data["axis_summary"]}
        u4 = summary["dense1.units"]["4"]
        expect(u4["points"] == 2 and u4["ranked"] == 2 and u4["best"] == 0.9 and abs(u4["mean"] - 0.85) < 1e-12,
               f"units 4: best and mean accuracy: {u4}")
        u16 = summary["dense1.units"]["16"]
        expect(u16["ranked"] == 0 and u16["best"] is None, f"units 16: nothing ranked: {u16}")
        relu = summary["dense1.activation"]["relu"]
        expect(relu["points"] == 4 and relu["ranked"] == 2 and relu["best"] == 0.8, f"relu: {relu}")

        kinds = {}
        for w in data["warnings"]:
            kinds.setdefault(w["kind"], []).append(w)
        expect(sorted(kinds) == ["diverged", "failed", "not_converged", "overfitting", "unfinished"],
               f"warnings: {data['warnings']}")
        expect(kinds["failed"][0]["points"] == ["model-4"] and "No such file" in kinds["failed"][0]["text"], "failed")
        expect(kinds["diverged"][0]["points"] == ["model-3"] and "NaN at step 13" in kinds["diverged"][0]["text"],
               "diverged, with its message")
        # model-7, without metrics.csv: its best step is its last one
        expect(kinds["not_converged"][0]["points"] == ["model-1", "model-7"], f"not converged: {kinds['not_converged']}")
        expect(kinds["overfitting"][0]["points"] == ["model-0"], f"overfitting: {kinds['overfitting']}")
        expect(sorted(kinds["unfinished"][0]["points"]) == ["model-5", "model-6"], "unfinished")

        # --by: the page shows the same ranking as the tables, and says so
        rc, out, err = run("report", study, "--by", "loss")
        _, data = page_data(os.path.join(study, "report.html"))
        expect(data["select"]["metric"] == "loss" and not data["select"]["is_spec_rule"]
               and data["points"][0]["name"] == "model-1" and any(w["kind"] == "ranking" for w in data["warnings"]),
               f"--by loss: {data['select']}, first {data['points'][0]['name']}", out, err)

        # --html PATH, --no-html
        os.remove(os.path.join(study, "report.html"))
        other = os.path.join(tmp, "elsewhere.html")
        rc, out, err = run("report", study, "--html", other)
        expect(rc == 0 and os.path.exists(other) and not os.path.exists(os.path.join(study, "report.html")),
               "--html PATH writes there", out, err)
        rc, out, err = run("report", study, "--no-html")
        expect(rc == 0 and not os.path.exists(os.path.join(study, "report.html")) and "report.html" not in out,
               "--no-html writes none", out, err)
        rc, out, err = run("report", study, "--no-html", "--html", other)
        expect(rc == 2 and "not both" in err, "--html and --no-html together", out, err)
        rc, out, err = run("report", "--help")
        expect("--html PATH" in out and "--no-html" in out and "report.html" in out, "report --help", out, err)

        # hpsgen run refreshes the page as points end: here a trainer that is not built
        # (exit 127), which leaves model-5 pending
        rc, out, err = run("run", study, "--no-build", "--no-data-check", "--points", "model-5")
        expect("failed: model-5 (exit 127" in err and os.path.exists(os.path.join(study, "report.html")),
               "run writes report.html", out, err)
        _, data = page_data(os.path.join(study, "report.html"))
        expect(data["counts"]["pending"] == 1 and data["best"]["name"] == "model-1", "with the results so far", out, err)
        rc, out, err = run("run", "--help")
        expect("report.html" in out, "run --help says so", out, err)

        # a study with no result at all: a page all the same
        for name in HISTORY:
            shutil.rmtree(os.path.join(study, "runs", name) + "/", ignore_errors=True)
        shutil.rmtree(os.path.join(study, "results"))
        rc, out, err = run("report", study)
        _, data = page_data(os.path.join(study, "report.html"))
        expect(rc == 0 and data["counts"]["pending"] == 8 and data["best"] is None
               and all(p["curves"] is None for p in data["points"]), "a study not started yet", out, err)

    # the size of a large study's page: 192 points, 200 checkpoints each
    with tempfile.TemporaryDirectory() as tmp:
        study = make_big_study(tmp)
        rc, out, err = run("report", study)
        size = os.path.getsize(os.path.join(study, "report.html"))
        _, data = page_data(os.path.join(study, "report.html"))
        expect(rc == 0 and len([p for p in data["points"] if p["curves"]]) == 192, "192 points with curves", out, err)
        expect(size < 5e6, f"the page of 192 points x 200 checkpoints is {size / 1e6:.2f} MB, more than 5 MB")
        late = [w for w in data["warnings"] if w["kind"] == "not_converged"]
        expect(len(late) == 1 and len(late[0]["points"]) == 192 and late[0]["text"].endswith(", model-011 and 180 more"),
               f"a warning names 12 points in its text and lists all: {late[0]['text'] if late else None}")
        print(f"192 points x 200 checkpoints: report.html is {size / 1e6:.2f} MB")


# What a reader does, played in the page after its own script: sort the leaderboard by
# minutes (twice: up, then down) and follow a leaderboard link to a point's section;
# the outcome goes into <body data-probe>.
PROBE = """<script>
(function () {
  var out = {};
  function names() {
    return Array.from(document.querySelectorAll("#leaderboard-table tbody td:nth-child(2)")).map(function (td) { return td.textContent; });
  }
  var minutes = Array.from(document.querySelectorAll("#leaderboard-table th")).filter(function (th) { return th.textContent === "minutes"; })[0];
  minutes.click();
  out.minutes_up = names();
  minutes.click();
  out.minutes_down = names();
  out.closed_before = !document.getElementById("point-model-0").open;
  document.querySelector('#leaderboard-table a[href="#point-model-0"]').click();
  var waited = 0;
  (function look() {  // the hash change and the section's toggle come as events: wait for them
    out.opened = document.getElementById("point-model-0").open;
    out.canvases = document.querySelectorAll("#point-model-0 canvas").length;
    if ((!out.opened || !out.canvases) && (waited += 50) < 5000) return setTimeout(look, 50);
    document.body.setAttribute("data-probe", JSON.stringify(out));
  })();
})();
</script>
"""


class dom_reader(html.parser.HTMLParser):
    """The attributes of #render-status, the text of #subtitle and the tags inside it, and
    <body data-probe> (PROBE's outcome)."""

    def __init__(self):
        super().__init__()
        self.status, self.subtitle, self.inside, self.subtitle_tags, self.probe = None, "", 0, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body" and "data-probe" in attrs:
            self.probe = json.loads(attrs["data-probe"])
        if attrs.get("id") == "render-status":
            self.status = attrs
        if self.inside:
            self.subtitle_tags.append(tag)
            self.inside += 1
        elif attrs.get("id") == "subtitle":
            self.inside = 1

    def handle_endtag(self, tag):
        if self.inside:
            self.inside -= 1

    def handle_data(self, text):
        if self.inside:
            self.subtitle += text


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def browse(browser, page, profile, *extra):
    args = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={profile}", "--window-size=1280,4000", "--virtual-time-budget=10000", *extra,
            "file://" + os.path.abspath(page)]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


def test_browser():
    browser = chromium()
    if not browser:
        print("SKIPPED: chromium is not installed (scripts/install-deps.sh --test installs Debian's chromium)")
        sys.exit(SKIP)
    os.makedirs(ARTIFACTS, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        study = make_study(tmp)
        rc, out, err = run("report", study)
        expect(rc == 0, "report", out, err)
        page = os.path.join(study, "report.html")
        shutil.copy(page, os.path.join(ARTIFACTS, "report.html"))
        probed = os.path.join(tmp, "probed.html")
        with open(page) as f, open(probed, "w") as g:
            g.write(f.read().replace("</body>", PROBE + "</body>"))
        start = time.monotonic()
        p = browse(browser, probed, os.path.join(tmp, "profile"), "--dump-dom")
        seconds = time.monotonic() - start
        expect(p.returncode == 0 and "render-status" in p.stdout, f"chromium --dump-dom exits {p.returncode}",
               p.stdout[-2000:], p.stderr[-4000:])
        dom = dom_reader()
        dom.feed(p.stdout)
        status = dom.status
        expect(status and status.get("data-done") == "1", f"the page's script ran to its end: {status}", "", p.stderr[-4000:])
        errors = json.loads(status["data-errors"])
        expect(errors == [], f"no script error: {errors}")
        charts = json.loads(status["data-charts"])
        by_caption = {c["caption"]: c for c in charts}
        print(f"chromium drew {len(charts)} charts in {seconds:.1f} s (start included)")
        for c in charts:
            print(f"  {c['type']:8} {c['datasets']:3} series {c['points']:5} points  {c['caption']}")

        n = len(WITH_CURVES)
        for caption in ("validation loss against step", "validation accuracy against step (the ranking's metric)",
                        "training loss against step (mean over each interval)"):
            c = by_caption.get(caption)
            expect(c and c["type"] == "line" and c["datasets"] == n, f"'{caption}': {n} series, one per point "
                   f"with metrics.csv: {c}")
        scatter = [c for c in charts if c["type"] == "scatter"]
        expect(len(scatter) == 1 and scatter[0]["datasets"] == 3 and scatter[0]["points"] == len(RANKED),
               f"the scatter: the ranked points, one series per value of the first axis present among them: {scatter}")
        bars = [c for c in charts if c["type"] == "bar"]
        expect(len(bars) == 2 and all(b["datasets"] == 1 for b in bars), f"two histograms: {bars}")
        own = by_caption.get("model-1: loss and metrics against step; the best checkpoint at step 50")
        expect(own and own["datasets"] == 3 and own["points"] == 15,
               f"the best point's own chart, open: training loss, validation loss and accuracy: {own}")
        parallel = [c for c in charts if c["caption"].startswith("each ranked point across the axes")]
        expect(len(parallel) == 1 and parallel[0]["datasets"] == len(RANKED) and parallel[0]["points"] == 3 * len(RANKED),
               f"parallel coordinates: a line per ranked point over 2 axes and the metric: {parallel}")
        expect(len(charts) == 8, f"8 charts drawn at first (the other points' on opening): {len(charts)}")

        # user text is text, never markup
        expect(dom.subtitle == 'shapes </script><b>bold</b> & co' and dom.subtitle_tags == [],
               f"the description is shown as text: {dom.subtitle!r}, tags {dom.subtitle_tags}")
        # the per-class table: a row per class, then the macro mean (f1 (20/23 + 16/20 + 22/23) / 3)
        expect(re.search(r'<th class="text">macro mean</th><td>0\.88</td><td>0\.879</td><td>0\.875</td><td>33</td>', p.stdout),
               "the per-class table ends with the macro means and the total support")
        for needle in ('id="leaderboard-table"', 'id="confusion"', 'id="per-class"', 'id="point-model-7"', 'href="#point-model-1"',
                       "<code>00000000deadbeef</code>", "300 training, 100 validation samples",
                       "import model; net = model.load('best.npz')", 'data-kind="not_converged"'):
            expect(needle in p.stdout, f"the page has {needle}")

        # the reader's clicks: sorting (no value last either way; ties keep their order)
        # and a link that opens a point's section and draws its chart
        probe = dom.probe
        expect(probe, "the probe ran")
        expect(probe["minutes_up"] == ["model-7", "model-3", "model-2", "model-1", "model-0", "model-4", "model-5", "model-6"],
               f"sorted by minutes, up: {probe['minutes_up']}")
        expect(probe["minutes_down"] == ["model-1", "model-0", "model-2", "model-7", "model-3", "model-4", "model-5", "model-6"],
               f"sorted by minutes, down: {probe['minutes_down']}")
        expect(probe["closed_before"] and probe["opened"] and probe["canvases"] == 1,
               f"a leaderboard link opens the point's section and draws its chart: {probe}")

        # a binary study: the best point's ROC and precision-recall curves, each with the chance line
        binary = make_binary_study(tmp)
        rc, out, err = run("report", binary)
        expect(rc == 0, "report of the binary study", out, err)
        p = browse(browser, os.path.join(binary, "report.html"), os.path.join(tmp, "profile"), "--dump-dom")
        bdom = dom_reader()
        bdom.feed(p.stdout)
        bstatus = bdom.status
        expect(bstatus and bstatus.get("data-done") == "1" and json.loads(bstatus["data-errors"]) == [],
               f"the binary study's page: drawn, no script error: {bstatus}", "", p.stderr[-4000:])
        bcharts = {c["caption"]: c for c in json.loads(bstatus["data-charts"])}
        roc = bcharts.get("ROC curve: AUC 0.8125")
        pr = bcharts.get("precision-recall curve: average precision 0.85")
        expect(roc and roc["type"] == "line" and roc["datasets"] == 2 and roc["points"] == len(ROC["fpr"]) + 2,
               f"the ROC curve and the chance diagonal: {roc}; charts {list(bcharts)}")
        expect(pr and pr["type"] == "line" and pr["datasets"] == 2 and pr["points"] == len(PR["recall"]) + 2,
               f"the precision-recall curve and the positives' share: {pr}")
        expect('id="binary-curves"' in p.stdout and 'id="per-class"' not in p.stdout, "the curves' section, no per-class table")

        # `repeat 3`: the configurations' table above the runs', ranked by the mean
        repeats, _, _ = make_repeats_study(tmp)
        rc, out, err = run("report", repeats)
        p = browse(browser, os.path.join(repeats, "report.html"), os.path.join(tmp, "profile"), "--dump-dom")
        rdom = dom_reader()
        rdom.feed(p.stdout)
        expect(rc == 0 and rdom.status and rdom.status.get("data-done") == "1" and json.loads(rdom.status["data-errors"]) == [],
               f"the repeats study's page: drawn, no script error: {rdom.status}", out, p.stderr[-4000:])
        table = re.search(r'<table id="configurations-table">.*?<tbody>(.*?)</tbody>', p.stdout, re.S)
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S) if table else []
        expect(len(rows) == 4 and re.match(r'<td>1</td><td class="text">4</td><td class="text">tanh</td><td class="text">3/3: ', rows[0])
               and "0.8133 \u00b1 0.015" in rows[0] and 'href="#point-model-04"' in rows[0],
               f"the configurations' table: 4 rows, (4, tanh) first with its mean \u00b1 sd and links to its runs: {rows[:1]}")

        shot = os.path.join(ARTIFACTS, "report.png")
        if os.path.exists(shot):
            os.remove(shot)
        p = browse(browser, page, os.path.join(tmp, "profile"), f"--screenshot={shot}")
        expect(p.returncode == 0 and os.path.getsize(shot) > 10000, f"a screenshot in {shot}", p.stdout, p.stderr[-4000:])
        print(f"screenshot: {shot}")


REPEATS_SPEC = SPEC.replace("dense units {4, 8, 16, 32} activation {relu, tanh}", "dense units {4, 8} activation {relu, tanh}")
# accuracy per run of the repeats study (configuration = row // 3); (4, relu) has the best
# single run but not the best mean; one run of (8, relu) failed, one of (8, tanh) is pending
REPEATS_ACC = [[0.99, 0.50, 0.52], [0.80, 0.83, 0.81], [0.70, 0.74, None], [0.60, None, 0.66]]


def make_repeats_study(tmp, runs="repeat 3"):
    """REPEATS_SPEC with `repeat 3` (or `folds 3`, without its split), its results written
    from REPEATS_ACC; its folder and the losses written (accuracy and loss per run, NaN
    where none)."""
    import numpy as np
    name = runs.split()[0] + "s"
    text = REPEATS_SPEC.replace("steps 50", "steps 50\n  " + runs)
    study = generated(tmp, name, text.replace("  split 0.25\n", "") if runs.startswith("folds") else text, name)
    acc = np.array(REPEATS_ACC, dtype=float)
    loss = np.round(1.3 - acc + np.arange(12).reshape(4, 3) / 97, 6)
    for i in range(12):
        name, a = f"model-{i:02d}", acc[i // 3, i % 3]
        if i == 8:
            write_result(study, name, "failed", [], -1, "out of memory", False)
        elif i != 10:
            write_result(study, name, "done", [(50, 0.5, loss[i // 3, i % 3], a)], 50, "", False)
    return study, acc, loss


def test_repeats():
    """`repeat 3`: the report groups each configuration's 3 runs (the points that differ only
    by train.seed), with mean and sample standard deviation (numpy, ddof=1) of each metric
    from the runs' result.json, and ranks the configurations by the mean, in the table,
    report.csv, the JSON and report.html."""
    import numpy as np
    spec = REPEATS_SPEC
    with tempfile.TemporaryDirectory() as tmp:
        study, acc, loss = make_repeats_study(tmp)
        with open(os.path.join(study, "grid.tsv")) as f:
            grid = [line.rstrip("\n").split("\t") for line in f]
        expect(grid[0][:5] == ["id", "name", "dense1.units", "dense1.activation", "train.seed"]
               and [r[4] for r in grid[1:]] == ["1", "2", "3"] * 4, f"repeat 3: the axis train.seed, seeds 1..3: {grid}")
        same = generated(tmp, "seeds", spec.replace("steps 50", "steps 50\n  seed {1, 2, 3}"), "seeds")
        with open(os.path.join(same, "grid.tsv")) as f:
            expect([r.split("\t")[-1] for r in f] == [r[-1] + "\n" for r in grid], "the identities of a seed axis")
        configs = [("4", "relu"), ("4", "tanh"), ("8", "relu"), ("8", "tanh")]
        mean = {m: np.nanmean(v, axis=1) for m, v in (("accuracy", acc), ("loss", np.where(np.isnan(acc), np.nan, loss)))}
        sd = {m: np.nanstd(np.where(np.isnan(acc), np.nan, v), axis=1, ddof=1) for m, v in (("accuracy", acc), ("loss", loss))}
        order = list(np.argsort(-mean["accuracy"], kind="stable"))  # max accuracy
        expect(order == [1, 2, 0, 3], f"the test's own ranking: {order}")

        rc, out, err = run("report", study, "--format", "json")
        expect(rc == 0, "report --format json", out, err)
        doc = json.loads(out)
        got = doc["configurations"]
        expect([(str(c["axes"]["dense1.units"]), c["axes"]["dense1.activation"]) for c in got] == [configs[k] for k in order]
               and [c["rank"] for c in got] == [1, 2, 3, 4] and [c["ranked"] for c in got] == [3, 2, 3, 2],
               f"configurations ranked by the mean: {got}")
        for c, k in zip(got, order):
            for m in ("accuracy", "loss"):
                g = c["metrics"][m]
                expect(abs(g["mean"] - mean[m][k]) < 1e-12 and abs(g["sd"] - sd[m][k]) < 1e-12 and g["n"] == (3 if k in (0, 1) else 2),
                       f"{configs[k]} {m}: {g} against numpy {mean[m][k]} +- {sd[m][k]}")
            expect(sorted(r["seed"] for r in c["runs"]) == [1, 2, 3], f"the runs and their seeds: {c['runs']}")
        expect(abs(doc["rows"][0]["metrics"]["accuracy"] - 0.99) < 1e-12, "the runs, each ranked alone, stay in rows")

        rc, out, err = run("report", study)
        lines = out.splitlines()
        expect(rc == 0 and "12 points in 4 configurations ranked by the mean of max accuracy" in lines[0]
               and lines[1].split()[:5] == ["rank", "dense1.units", "dense1.activation", "runs", "params"]
               and lines[2].split()[:4] == ["1", "4", "tanh", "3/3"] and f"{mean['accuracy'][1]:.4f} ± {sd['accuracy'][1]:.4f}" in lines[2],
               "the table: configurations, mean ± sd", out, err)
        with open(os.path.join(study, "report.csv")) as f:
            rows = [line.rstrip("\n").split(",") for line in f]
        head = rows[0]
        expect(head == ["rank", "dense1.units", "dense1.activation", "runs", "of", "params", "accuracy_mean", "accuracy_sd",
                        "loss_mean", "loss_sd", "minutes", "seeds"], f"report.csv's header: {head}")
        for row, k in zip(rows[1:], order):
            expect(abs(float(row[6]) - mean["accuracy"][k]) < 1e-12 and abs(float(row[7]) - sd["accuracy"][k]) < 1e-12
                   and abs(float(row[9]) - sd["loss"][k]) < 1e-12, f"report.csv {configs[k]}: {row}")
        with open(os.path.join(study, "report-runs.csv")) as f:
            runs = list(f)
        expect(len(runs) == 13 and runs[1].startswith("1,model-00,4,relu,1,"), f"report-runs.csv: each run: {runs[:2]}")

        _, data = page_data(os.path.join(study, "report.html"))
        expect(data["configurations"] == got, "report.html has the same configurations")
        expect(data["best"]["name"] == "model-04", f"the best point: the best run of the best mean: {data['best']['name']}")

        rc, out, err = run("report", study, "--by", "loss", "--format", "json")
        by_loss = [(str(c["axes"]["dense1.units"]), c["axes"]["dense1.activation"]) for c in json.loads(out)["configurations"]]
        expect(by_loss == [configs[k] for k in np.argsort(mean["loss"], kind="stable")], f"--by loss: the mean loss, min: {by_loss}")

        # `folds 3`: the same grouping by train.fold, each run with its fold
        folds, _, _ = make_repeats_study(tmp, "folds 3")
        rc, out, err = run("report", folds, "--format", "json")
        doc = json.loads(out)
        expect(rc == 0 and doc["run_axes"] == ["train.fold"]
               and [(c["axes"], c["metrics"], c["rank"]) for c in doc["configurations"]] == [(c["axes"], c["metrics"], c["rank"]) for c in got]
               and all(sorted(r["fold"] for r in c["runs"]) == [0, 1, 2] and "seed" not in c["runs"][0] for c in doc["configurations"]),
               "folds 3: the configurations of repeat 3, ranked by the mean, their runs by fold", out, err)
        with open(os.path.join(folds, "report.csv")) as f:
            expect(f.readline().rstrip("\n").endswith(",minutes,folds"), "report.csv names the runs by their folds")
        _, data = page_data(os.path.join(folds, "report.html"))
        expect(data["best"]["name"] == "model-04", f"folds: the best point is the best run of the best mean: {data['best']['name']}")

        plain = generated(tmp, "plain", SPEC, "plain")
        rc, out, err = run("report", plain, "--format", "json")
        expect(rc == 0 and "configurations" not in json.loads(out) and not os.path.exists(os.path.join(plain, "report-runs.csv")),
               "without a seed axis: no configurations", out, err)


if __name__ == "__main__":
    HPSGEN, ARTIFACTS, case = sys.argv[1], sys.argv[2], sys.argv[3]
    globals()["test_" + case]()
    print(f"cli.report_html.{case}: ok")
