"""report.html of a CyPLAM-sized study: its size and the time headless Chromium takes to
draw it (issue 12: under 5 MB, under 2 s). A benchmark, not a test: it prints figures.

usage: python3 benchmarks/report_html.py HPSGEN [REPEATS]
The study is tests/generator/cli/report_html_test.py's: 192 points written by hand, each
done with 200 checkpoints (no training). Prints the page's size, the time its script took
to draw it (its own measure, #render-status data-ms) and chromium's whole run (start,
load, draw, exit), the median of REPEATS (default 3).
"""
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "generator", "cli"))
import report_html_test as t  # noqa: E402


def main():
    t.HPSGEN = os.path.abspath(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    browser = t.chromium()
    if not browser:
        sys.exit("report_html.py: chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        study = t.make_big_study(tmp)
        start = time.monotonic()
        rc, out, err = t.run("report", study, "--top", "1")
        report_s = time.monotonic() - start
        t.expect(rc == 0, "hpsgen report", out, err)
        page = os.path.join(study, "report.html")
        draw, whole = [], []
        for i in range(repeats):
            start = time.monotonic()
            p = t.browse(browser, page, os.path.join(tmp, f"profile-{i}"), "--dump-dom")
            whole.append(time.monotonic() - start)
            dom = t.dom_reader()
            dom.feed(p.stdout)
            t.expect(dom.status and dom.status.get("data-done") == "1", "the page was drawn", "", p.stderr[-2000:])
            t.expect(json.loads(dom.status["data-errors"]) == [], f"no script error: {dom.status['data-errors']}")
            draw.append(int(dom.status["data-ms"]) / 1000)
        charts = json.loads(dom.status["data-charts"])
        size = os.path.getsize(page)
    print(f"report.html of 192 points x 200 checkpoints: {size / 1e6:.2f} MB, "
          f"written by hpsgen report in {report_s:.2f} s")
    print(f"drawn by its script in {statistics.median(draw):.2f} s (median of {repeats}: "
          f"{', '.join(f'{d:.2f}' for d in draw)}); {len(charts)} charts, "
          f"{sum(c['points'] for c in charts):,} plotted points")
    print(f"chromium --headless --dump-dom, start to exit: {statistics.median(whole):.2f} s (median)")


if __name__ == "__main__":
    main()
