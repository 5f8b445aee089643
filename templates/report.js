// report.html's script: draws the page from the JSON object in #report-data (its fields:
// docs/design.md, "report.html") with Chart.js 3. User text only ever goes into the page
// as text nodes (el() below), never as HTML. When done it records in #render-status what
// it drew and any error, for the tests (tests/generator/cli/report_html_test.py):
//   data-charts  [{"id": canvas id, "type": "line", "datasets": n, "points": n}, ...]
//   data-errors  ["message", ...]
//   data-ms      the milliseconds the script took to draw the page
//   data-done    "1"
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var page = document.getElementById("page");
  var drawn = [];  // what #render-status lists
  var TOP = 5;     // the points highlighted in the overlaid curves
  var PALETTE = ["#1f6feb", "#cf222e", "#1a7f37", "#d97706", "#8250df", "#0e7490", "#b83280", "#57606a", "#a16207", "#4d7c0f"];
  var GREY = "rgba(110, 118, 129, 0.28)";

  // ------------------------------------------------------------------ helpers
  // el("td", {class: "text"}, "text", node, ...): an element; strings become text nodes
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; ++i) append(e, arguments[i]);
    return e;
  }
  function append(e, child) {
    if (child === null || child === undefined) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(e, c); });
    else e.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function num(v, digits) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "\u2013";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e9) return v.toLocaleString("en-US");
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(Number(v.toPrecision(digits || 4)));
  }
  function duration(s) {
    if (!(s > 0)) return "\u2013";
    s = Math.round(s);
    if (s >= 3600) return Math.floor(s / 3600) + "h" + String(Math.floor(s / 60) % 60).padStart(2, "0") + "m";
    if (s >= 60) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
    return s + "s";
  }
  function pointLink(name) { return el("a", {href: "#point-" + name}, name); }
  function section(id, title) {
    var s = el("section", {id: id}, el("h2", null, title));
    page.appendChild(s);
    document.getElementById("toc").appendChild(el("a", {href: "#" + id}, title));
    return s;
  }
  // runs one part of the page; an error there is recorded and the rest is still drawn
  function part(name, fn) {
    try { fn(); } catch (e) { window.hps_errors.push(name + ": " + (e && e.stack ? e.stack : e)); }
  }
  var nextCanvas = 0;
  function chart(parent, caption, config, small) {
    var id = "chart-" + (nextCanvas++);
    var canvas = el("canvas", {id: id, role: "img", "aria-label": caption});
    parent.appendChild(el("figure", null, el("figcaption", null, caption), el("div", {class: small ? "chart small" : "chart"}, canvas)));
    config.options = Object.assign({animation: false, responsive: true, maintainAspectRatio: false, normalized: true}, config.options || {});
    var c = new Chart(canvas, config);
    var points = 0;
    c.data.datasets.forEach(function (d) { points += d.data.length; });
    drawn.push({id: id, caption: caption, type: config.type, datasets: c.data.datasets.length, points: points});
    return c;
  }
  var selectLabel = "validation " + data.select.metric + " (" + data.select.goal + ")";
  var ranked = data.points.filter(function (p) { return p.rank !== null; });
  var withCurves = data.points.filter(function (p) { return p.curves; });  // ranked first, as data.points

  // ------------------------------------------------------------------ context
  function context() {
    document.title = "hpsgen report: " + data.study;
    document.getElementById("title").textContent = "Study " + data.study;
    document.getElementById("subtitle").textContent = data.description;
    var s = section("context", "Context");
    var c = data.counts;
    var countText = [c.points + " points: " + c.done + " done", c.early_stopped + " early-stopped", c.diverged + " diverged"]
      .concat(c.halved ? [c.halved + " stopped by successive halving"] : []).concat([
                     c.failed + " failed", c.interrupted + " interrupted or running", c.pending + " pending"]).join(", ");
    var facts = el("dl", {class: "facts"});
    function fact(k, v) { facts.appendChild(el("dt", null, k)); facts.appendChild(el("dd", null, v)); }
    fact("study folder", el("code", null, data.folder));
    fact("spec", [el("code", null, data.spec_path), " (as generated: ", el("code", null, "study.hps"), " in the study folder)"]);
    fact("ranked by", [el("strong", null, selectLabel), ", each point at its best checkpoint (evaluated on the validation set)",
                       data.select.is_spec_rule ? "; the spec's select rule, which chose best.npz" : "; not the spec's select rule"]);
    if (data.best && data.best.data) fact("data", data.best.data + " (as " + data.best.name + "'s trainer read it)");
    fact("points", countText);
    fact("CPU time", num(data.core_hours, 3) + " core-hours (each point's wall time \u00d7 its threads, summed)");
    fact("training time", duration(data.wall_seconds_total) + " summed over the points; the longest point " + duration(data.wall_seconds_max));
    fact("written", data.written_at);
    s.appendChild(facts);
    s.appendChild(el("details", null, el("summary", null, "the spec" + (data.spec_cut ? " (its beginning)" : "")), el("pre", null, data.spec)));
  }

  // ------------------------------------------------------------------ warnings
  function warnings() {
    var s = section("warnings", "Warnings");
    var list = el("ul", {class: "warnings", id: "warning-list"});
    data.warnings.forEach(function (w) {
      list.appendChild(el("li", {class: w.kind, "data-kind": w.kind}, w.text));
    });
    if (!data.warnings.length) s.appendChild(el("p", {class: "muted"}, "None."));
    s.appendChild(list);
  }

  // ------------------------------------------------------------------ leaderboard
  // with a run axis (`repeat N`, `folds K`): the configurations, ranked by the mean over their runs
  function configurations(s) {
    var runAxes = data.run_axes || ["train.seed"];
    s.appendChild(el("p", {class: "muted"}, "Configurations (the points that differ only by " + runAxes.join(" and ") +
                     "), ranked by the mean of " + selectLabel + " over their runs; \u00b1 the sample standard deviation (n \u2212 1)."));
    var axes = data.axes.filter(function (a) { return runAxes.indexOf(a) < 0; });
    var head = el("tr");
    ["rank"].concat(axes, ["runs", "params"], data.metrics.map(function (m) { return "val " + m; }),
                    data.test_metrics.map(function (m) { return "test " + m; })).forEach(function (label) {
      head.appendChild(el("th", {class: axes.indexOf(label) >= 0 ? "text" : (label === "val " + data.select.metric ? "select" : null)}, label));
    });
    var body = el("tbody");
    function stat(m) { return m && m.n ? num(m.mean) + (m.n > 1 ? " \u00b1 " + num(m.sd, 2) : "") : "\u2013"; }
    data.configurations.forEach(function (c) {
      var tr = el("tr", {class: c.rank !== null && c.rank <= TOP ? "top" : null}, el("td", null, num(c.rank)));
      axes.forEach(function (a) { tr.appendChild(el("td", {class: "text"}, String(c.axes[a]))); });
      var runs = el("td", {class: "text"}, c.ranked + "/" + c.runs.length + ": ");
      c.runs.forEach(function (r, i) { append(runs, [i ? ", " : "", pointLink(r.name)]); });
      tr.appendChild(runs);
      tr.appendChild(el("td", null, num(c.params)));
      data.metrics.forEach(function (m) { tr.appendChild(el("td", null, stat(c.metrics[m]))); });
      data.test_metrics.forEach(function (m) { tr.appendChild(el("td", null, stat(c.test[m]))); });
      body.appendChild(tr);
    });
    s.appendChild(el("div", {class: "scroll"}, el("table", {id: "configurations-table"}, [el("thead", null, head), body])));
  }
  function leaderboard() {
    var s = section("leaderboard", "Leaderboard");
    if (data.configurations) configurations(s);
    s.appendChild(el("p", {class: "muted"}, (data.configurations ? "Each run alone, ranked" : "Ranked") + " by " + selectLabel +
                     ". Click a header to sort; a name opens the point's section."));
    var cols = [{label: "rank", get: function (p) { return p.rank; }},
                {label: "name", text: true, get: function (p) { return p.name; }, cell: function (p) { return pointLink(p.name); }}];
    data.axes.forEach(function (a, k) { cols.push({label: a, text: true, get: function (p) { return p.axes[k]; }}); });
    cols.push({label: "params", get: function (p) { return p.params; }});
    cols.push({label: "best step", get: function (p) { return p.best_step >= 0 ? p.best_step : null; }});
    data.metrics.forEach(function (m) {
      cols.push({label: "val " + m, select: m === data.select.metric, get: function (p) { return p.best[m]; }});
    });
    data.test_metrics.forEach(function (m) { cols.push({label: "test " + m, get: function (p) { return p.test[m]; }}); });
    cols.push({label: "minutes", get: function (p) { return p.wall_seconds > 0 ? p.wall_seconds / 60 : null; }});
    cols.push({label: "status", text: true, get: function (p) { return p.status; }});

    var table = el("table", {class: "sortable", id: "leaderboard-table"});
    var head = el("tr");
    cols.forEach(function (c, i) {
      var th = el("th", {class: (c.text ? "text" : "") + (c.select ? " select" : ""), "data-col": i,
                         title: c.select ? "the ranking's metric" : "sort"}, c.label);
      th.addEventListener("click", function () { sortBy(i); });
      head.appendChild(th);
    });
    table.appendChild(el("thead", null, head));
    var body = el("tbody");
    table.appendChild(body);
    var rows = data.points.map(function (p) {
      var tr = el("tr", {class: p.rank !== null && p.rank <= TOP ? "top" : null});
      cols.forEach(function (c) {
        var v = c.get(p);
        tr.appendChild(el("td", {class: (c.text ? "text" : "") + (c.label === "status" ? " status-" + p.status : "")},
                          c.cell ? c.cell(p) : (c.text ? (v === null || v === undefined ? "\u2013" : String(v)) : num(v))));
      });
      return {p: p, tr: tr};
    });
    var sorted = {col: -1, asc: true};
    function sortBy(i) {
      var asc = sorted.col === i ? !sorted.asc : true;
      sorted = {col: i, asc: asc};
      var get = cols[i].get;
      rows.sort(function (x, y) {
        var a = get(x.p), b = get(y.p);
        var an = a === null || a === undefined || (typeof a === "number" && !isFinite(a));
        var bn = b === null || b === undefined || (typeof b === "number" && !isFinite(b));
        if (an || bn) return an === bn ? x.p.id - y.p.id : (an ? 1 : -1);  // no value: last either way
        var r = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), "en", {numeric: true});
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r.tr); });
      head.querySelectorAll("th").forEach(function (th, k) {
        th.classList.toggle("sorted-asc", k === i && asc);
        th.classList.toggle("sorted-desc", k === i && !asc);
      });
    }
    sortBy(0);
    s.appendChild(el("div", {class: "scroll"}, table));
  }

  // ------------------------------------------------------------------ curves
  // One line per point: the top ones coloured and drawn on top, the others thin and grey.
  function styled(p, i, points) {
    var top = p.rank !== null && p.rank <= TOP;
    return {label: p.name, data: points, borderColor: top ? PALETTE[(p.rank - 1) % PALETTE.length] : GREY,
            backgroundColor: top ? PALETTE[(p.rank - 1) % PALETTE.length] : GREY, borderWidth: top ? 2 : 1,
            pointRadius: 0, pointHoverRadius: 3, spanGaps: true, order: top ? 0 : 1, top: top};
  }
  function xy(steps, values) {
    var out = [];
    if (!values) return out;
    for (var i = 0; i < steps.length; ++i) if (values[i] !== null && values[i] !== undefined) out.push({x: steps[i], y: values[i]});
    return out;
  }
  function positive(datasets) {
    return datasets.every(function (d) { return d.data.every(function (q) { return q.y > 0; }); });
  }
  function curveOptions(datasets, ylabel, legendTopOnly) {
    return {
      parsing: false,
      interaction: {mode: "nearest", intersect: false},
      scales: {x: {type: "linear", title: {display: true, text: "step"}},
               y: {type: positive(datasets) && /loss/.test(ylabel) ? "logarithmic" : "linear", title: {display: true, text: ylabel}}},
      plugins: {legend: {labels: {boxWidth: 14, filter: legendTopOnly ? function (item, d) { return d.datasets[item.datasetIndex].top; } : undefined}},
                decimation: {enabled: false}}
    };
  }
  function curves() {
    var s = section("curves", "Learning curves");
    s.appendChild(el("p", {class: "muted"}, withCurves.length + " of " + data.points.length +
                      " points have a history (metrics.csv); the top " + TOP + " by " + selectLabel + " in colour."));
    if (!withCurves.length) return;
    var grid = el("div", {class: "grid2"});
    s.appendChild(grid);
    data.curve_columns.forEach(function (col) {
      var ds = withCurves.map(function (p, i) { return styled(p, i, xy(p.curves.validation.step, p.curves.validation[col])); });
      chart(grid, "validation " + col + " against step" + (col === data.select.metric ? " (the ranking's metric)" : ""),
            {type: "line", data: {datasets: ds}, options: curveOptions(ds, "validation " + col, true)});
    });
    var train = withCurves.map(function (p, i) { return styled(p, i, xy(p.curves.train.step, p.curves.train.loss)); });
    chart(grid, "training loss against step (mean over each interval)",
          {type: "line", data: {datasets: train}, options: curveOptions(train, "training loss", true)});
  }

  // ------------------------------------------------------------------ against parameters
  function byParams() {
    var s = section("params", "Best metric against free parameters");
    if (!ranked.length) { s.appendChild(el("p", {class: "muted"}, "No point has a result yet.")); return; }
    var controls = el("div", {class: "controls"});
    var holder = el("div");
    s.appendChild(controls);
    s.appendChild(holder);
    var current = null;
    // one network for every point (an axis of run-time values only): a log axis would span decades around it
    var sameSize = ranked.every(function (p) { return p.params === ranked[0].params; });
    function draw(axis) {
      if (current) { drawn = drawn.filter(function (d) { return d.id !== current.canvas.id; }); current.destroy(); }
      holder.textContent = "";
      var groups = [], byValue = {};
      ranked.forEach(function (p) {
        var v = axis < 0 ? "all points" : String(p.axes[axis]);
        if (!(v in byValue)) { byValue[v] = groups.length; groups.push({label: v, points: []}); }
        groups[byValue[v]].points.push({x: p.params, y: p.key, name: p.name});
      });
      var ds = groups.map(function (g, i) {
        return {label: axis < 0 ? g.label : data.axes[axis] + " = " + g.label, data: g.points, pointRadius: 4,
                backgroundColor: PALETTE[i % PALETTE.length], borderColor: PALETTE[i % PALETTE.length]};
      });
      current = chart(holder, selectLabel + " at each point's best checkpoint against its free parameters" +
                              (axis < 0 ? "" : ", coloured by " + data.axes[axis]), {
        type: "scatter", data: {datasets: ds},
        options: {parsing: false,
                  scales: {x: {type: sameSize ? "linear" : "logarithmic", ticks: sameSize ? {precision: 0} : {},
                               title: {display: true, text: "free parameters"}},
                           y: {title: {display: true, text: selectLabel}}},
                  plugins: {tooltip: {callbacks: {label: function (c) { return c.raw.name + ": " + num(c.raw.y) + " (" + num(c.raw.x) + " params)"; }}}}}
      });
    }
    if (data.axes.length) {
      var pick = el("select", {id: "colour-axis"});
      pick.appendChild(el("option", {value: -1}, "none"));
      data.axes.forEach(function (a, k) { pick.appendChild(el("option", {value: k}, a)); });
      pick.value = "0";
      pick.addEventListener("change", function () { draw(Number(pick.value)); });
      controls.appendChild(el("label", null, "colour by ", pick));
      draw(0);
    } else {
      draw(-1);
    }
  }

  // ------------------------------------------------------------------ parallel coordinates
  // One line per ranked point across the axes and the ranking's metric: each axis' values
  // evenly spaced in their order (sorted when numeric), the metric scaled from its worst to
  // its best; the lines coloured from poor (blue) to good (red), the best drawn on top.
  function parallel() {
    if (!data.axes.length || ranked.length < 2) return;
    var s = section("parallel", "Parallel coordinates");
    var scales = data.axis_summary.map(function (a) {
      var values = a.values.map(function (v) { return v.value; });
      if (values.every(function (v) { return typeof v === "number"; })) values.sort(function (x, y) { return x - y; });
      var where = {};
      values.forEach(function (v, i) { where[String(v)] = values.length > 1 ? i / (values.length - 1) : 0.5; });
      return {values: values, where: where};
    });
    var keys = ranked.map(function (p) { return p.key; });
    var lo = Math.min.apply(null, keys), hi = Math.max.apply(null, keys);
    function goodness(key) {  // 0: the worst, 1: the best
      var t = hi > lo ? (key - lo) / (hi - lo) : 1;
      return data.select.goal === "max" ? t : 1 - t;
    }
    var ds = ranked.map(function (p) {
      var t = goodness(p.key);
      var colour = "hsla(" + Math.round(220 - 215 * t) + ", 75%, " + Math.round(55 - 12 * t) + "%, " + (0.35 + 0.6 * t).toFixed(2) + ")";
      return {label: p.name, data: scales.map(function (sc, k) { return sc.where[String(p.axes[k])]; }).concat([t]),
              borderColor: colour, backgroundColor: colour, borderWidth: p.rank <= TOP ? 2.5 : 1.2, pointRadius: 2, key: p.key};
    });
    var labels = data.axes.concat([selectLabel]);
    var ticks = {  // each axis' own values, written beside it
      id: "hps_axis_values",
      afterDraw: function (c) {
        var ctx = c.ctx, x = c.scales.x, y = c.scales.y;
        ctx.save();
        ctx.font = "11px system-ui, sans-serif";
        ctx.fillStyle = "#1d232a";
        ctx.textBaseline = "middle";
        scales.forEach(function (sc, k) {
          sc.values.forEach(function (v) { ctx.fillText(String(v), x.getPixelForTick(k) + 5, y.getPixelForValue(sc.where[String(v)])); });
        });
        var m = scales.length;
        ctx.fillText((data.select.goal === "max" ? num(hi) : num(lo)) + " (best)", x.getPixelForTick(m) + 5, y.getPixelForValue(1));
        ctx.fillText(data.select.goal === "max" ? num(lo) : num(hi), x.getPixelForTick(m) + 5, y.getPixelForValue(0));
        ctx.restore();
      }
    };
    chart(s, "each ranked point across the axes and " + selectLabel + " (colour: " + selectLabel + ", red the best)", {
      type: "line", data: {labels: labels, datasets: ds}, plugins: [ticks],
      options: {layout: {padding: {right: 70}},
                scales: {x: {grid: {color: "#8c959f", lineWidth: 1.5}},
                         y: {min: -0.05, max: 1.05, ticks: {display: false}, grid: {display: false}}},
                interaction: {mode: "nearest", intersect: false},
                plugins: {legend: {display: false},
                          tooltip: {callbacks: {label: function (c) { return c.dataset.label + ": " + num(c.dataset.key); }}}}}
    });
  }

  // ------------------------------------------------------------------ histograms
  function histogram(parent, caption, values, unit) {
    values = values.filter(function (v) { return v > 0 && isFinite(v); });
    if (!values.length) { parent.appendChild(el("p", {class: "muted"}, caption + ": no point has finished.")); return; }
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var bins = hi > lo ? Math.min(20, Math.ceil(Math.sqrt(values.length)) + 1) : 1;  // all equal: one bar
    var width = (hi - lo) / bins;
    var counts = new Array(bins).fill(0);
    values.forEach(function (v) { counts[bins > 1 ? Math.min(bins - 1, Math.floor((v - lo) / width)) : 0]++; });
    var labels = counts.map(function (_, i) {
      return bins > 1 ? num(lo + i * width, 3) + "\u2013" + num(lo + (i + 1) * width, 3) : num(lo, 3);
    });
    chart(parent, caption, {
      type: "bar", data: {labels: labels, datasets: [{label: "points", data: counts, backgroundColor: PALETTE[0]}]},
      options: {scales: {x: {title: {display: true, text: unit}}, y: {title: {display: true, text: "points"}, ticks: {precision: 0}}},
                plugins: {legend: {display: false}}}
    }, true);
  }
  function histograms() {
    var s = section("times", "Training times");
    var grid = el("div", {class: "grid2"});
    s.appendChild(grid);
    var finished = data.points.filter(function (p) { return p.wall_seconds > 0; });
    histogram(grid, "wall time per point", finished.map(function (p) { return p.wall_seconds / 60; }), "minutes");
    histogram(grid, "training speed per point", finished.map(function (p) { return p.samples_per_second; }), "samples per second");
  }

  // ------------------------------------------------------------------ per axis
  function axes() {
    if (!data.axis_summary.length) return;
    var s = section("axes", "Per axis");
    s.appendChild(el("p", {class: "muted"}, "For each value of each axis: the best and the mean " + selectLabel + " of the ranked points that have it."));
    var grid = el("div", {class: "grid2"});
    s.appendChild(grid);
    data.axis_summary.forEach(function (a) {
      var t = el("table", {class: "axis-table"}, el("thead", null, el("tr", null, el("th", {class: "text"}, a.axis), el("th", null, "points"),
                                                               el("th", null, "ranked"), el("th", null, "best"), el("th", null, "mean"))));
      var b = el("tbody");
      a.values.forEach(function (v) {
        b.appendChild(el("tr", null, el("td", {class: "text"}, String(v.value)), el("td", null, num(v.points)), el("td", null, num(v.ranked)),
                         el("td", null, num(v.best)), el("td", null, num(v.mean))));
      });
      t.appendChild(b);
      grid.appendChild(el("div", null, t));
    });
  }

  // ------------------------------------------------------------------ the winner
  function winner() {
    var s = section("winner", "The best point");
    var b = data.best;
    if (!b) { s.appendChild(el("p", {class: "muted"}, "No point has a result yet.")); return; }
    var dir = data.folder.replace(/\/$/, "") + "/" + b.run_dir;
    s.appendChild(el("p", null, pointLink(b.name), " is first by " + selectLabel + ". Its files, in ", el("code", null, dir), ":"));
    s.appendChild(el("ul", null,
      el("li", null, el("code", null, "best.npz"), ": the weights of its best checkpoint, as a PyTorch state_dict" + (b.best_npz ? "" : " (missing)")),
      el("li", null, el("code", null, "model.py"), ": the equivalent torch.nn model and its loader" + (b.model_py ? "" : " (missing)")),
      el("li", null, el("code", null, "result.json"), ", ", el("code", null, "metrics.csv"), ", ", el("code", null, "settings.json"),
         ": its result, history and settings")));
    if (b.settings) s.appendChild(el("details", null, el("summary", null, "its settings (settings.json: every training value it ran with)"),
                                     el("pre", {id: "best-settings"}, b.settings)));
    s.appendChild(el("p", null, "To load it in Python (with PyTorch and NumPy):"));
    s.appendChild(el("pre", {id: "load-snippet"}, "cd " + dir + "\npython3 -c \"import model; net = model.load('best.npz'); print(net)\""));
    if (b.confusion) {
      s.appendChild(el("h3", null, "Confusion matrix of " + b.name + " (validation set, best checkpoint)"));
      var k = b.confusion.length;
      var t = el("table", {id: "confusion"});
      var head = el("tr", null, el("th", {class: "text"}, "true \\ predicted"));
      for (var j = 0; j < k; ++j) head.appendChild(el("th", null, String(j)));
      head.appendChild(el("th", null, "recall"));
      t.appendChild(el("thead", null, head));
      var body = el("tbody");
      b.confusion.forEach(function (row, i) {
        var total = row.reduce(function (a, v) { return a + v; }, 0);
        var tr = el("tr", null, el("th", {class: "text"}, String(i)));
        row.forEach(function (v, j) {
          var share = total ? v / total : 0;
          var colour = i === j ? "rgba(26, 127, 55, " : "rgba(207, 34, 46, ";
          tr.appendChild(el("td", {class: "cm", style: "background:" + colour + (0.08 + 0.6 * share).toFixed(3) + ")"}, num(v)));
        });
        tr.appendChild(el("td", null, total ? num(row[i] / total, 3) : "\u2013"));
        body.appendChild(tr);
      });
      t.appendChild(body);
      s.appendChild(t);
    }
    if (b.per_class) perClass(s, b);
    if (b.roc && b.pr) part("the best point's ROC and precision-recall curves", function () { binaryCurves(s, b); });
  }
  // a classes target's precision, recall, f1 and support per class (result.json's per_class)
  function perClass(s, b) {
    var pc = b.per_class;
    s.appendChild(el("h3", null, "Per class: " + b.name + " (validation set, best checkpoint)"));
    var t = el("table", {id: "per-class"}, el("thead", null, el("tr", null, el("th", {class: "text"}, "class"),
      el("th", null, "precision"), el("th", null, "recall"), el("th", null, "f1"), el("th", null, "support"))));
    var body = el("tbody");
    pc.support.forEach(function (n, k) {
      body.appendChild(el("tr", null, el("th", {class: "text"}, String(k)), el("td", null, num(pc.precision[k], 3)),
                          el("td", null, num(pc.recall[k], 3)), el("td", null, num(pc.f1[k], 3)), el("td", null, num(n))));
    });
    t.appendChild(body);
    function mean(v) { return v.reduce(function (a, x) { return a + x; }, 0) / v.length; }
    t.appendChild(el("tfoot", null, el("tr", null, el("th", {class: "text"}, "macro mean"), el("td", null, num(mean(pc.precision), 3)),
                                       el("td", null, num(mean(pc.recall), 3)), el("td", null, num(mean(pc.f1), 3)),
                                       el("td", null, num(pc.support.reduce(function (a, x) { return a + x; }, 0))))));
    s.appendChild(t);
    s.appendChild(el("p", {class: "muted"}, "A class never predicted has precision 0, one without samples recall 0 (scikit-learn's zero_division=0)."));
  }
  // a binary target's ROC and precision-recall curves at the best checkpoint, each point
  // with the probability threshold it is at
  function binaryCurves(s, b) {
    function points(xs, ys, ts) {
      return xs.map(function (x, i) { return {x: x, y: ys[i], t: ts[i]}; });
    }
    function line(label, data, colour, dashed) {
      return {label: label, data: data, borderColor: colour, backgroundColor: colour, borderWidth: dashed ? 1 : 2,
              borderDash: dashed ? [5, 3] : undefined, pointRadius: 0, pointHoverRadius: 3};
    }
    function options(xlabel, ylabel) {
      return {parsing: false, interaction: {mode: "nearest", intersect: false},
              scales: {x: {type: "linear", min: 0, max: 1, title: {display: true, text: xlabel}},
                       y: {type: "linear", min: 0, max: 1, title: {display: true, text: ylabel}}},
              plugins: {tooltip: {callbacks: {label: function (c) {
                var t = c.raw.t;
                return c.dataset.label + ": (" + num(c.raw.x, 3) + ", " + num(c.raw.y, 3) + ")" +
                       (t === null || t === undefined ? "" : " at threshold " + num(t, 4));
              }}}}};
    }
    s.appendChild(el("h3", null, "ROC and precision-recall curves of " + b.name + " (validation set, best checkpoint)"));
    var grid = el("div", {class: "grid2", id: "binary-curves"});
    s.appendChild(grid);
    var roc = b.roc, pr = b.pr;
    chart(grid, "ROC curve: AUC " + num(roc.auc, 4), {
      type: "line",
      data: {datasets: [line("ROC (AUC " + num(roc.auc, 4) + ")", points(roc.fpr, roc.tpr, roc.threshold), PALETTE[0]),
                        line("chance", [{x: 0, y: 0}, {x: 1, y: 1}], GREY, true)]},
      options: options("false positive rate", "true positive rate")
    }, true);
    // at the lowest threshold every sample is positive: the precision there is the positives' share
    var share = pr.precision.length ? pr.precision[pr.precision.length - 1] : 0;
    chart(grid, "precision-recall curve: average precision " + num(pr.average_precision, 4), {
      type: "line",
      data: {datasets: [line("precision-recall (AP " + num(pr.average_precision, 4) + ")", points(pr.recall, pr.precision, pr.threshold), PALETTE[1]),
                        line("chance (positives' share)", [{x: 0, y: share}, {x: 1, y: share}], GREY, true)]},
      options: options("recall", "precision")
    }, true);
  }

  // ------------------------------------------------------------------ outside the grid
  function outside() {
    if (!data.outside_grid.length) return;
    var s = section("outside", "Results outside the current grid");
    s.appendChild(el("p", {class: "muted"}, "Kept in results/ from earlier versions of the spec; not ranked above. " +
                     "Restoring their values in the spec finds them again."));
    var t = el("table", {id: "outside-table"}, el("thead", null, el("tr", null, el("th", {class: "text"}, "identity"),
      el("th", {class: "text"}, "was"), el("th", {class: "text"}, "axes"), el("th", null, "params"), el("th", {class: "text"}, "status"),
      el("th", null, "val " + data.select.metric))));
    var b = el("tbody");
    data.outside_grid.forEach(function (o) {
      b.appendChild(el("tr", null, el("td", {class: "text"}, el("code", null, o.identity)), el("td", {class: "text"}, o.was),
                       el("td", {class: "text"}, o.axes), el("td", null, num(o.params)), el("td", {class: "text"}, o.status),
                       el("td", null, num(o.key))));
    });
    t.appendChild(b);
    s.appendChild(el("div", {class: "scroll"}, t));
  }

  // ------------------------------------------------------------------ successive halving
  // Per bracket (one, unless Hyperband's brackets), one row per point, in its first rung's
  // order; a column per rung: the selection metric at the rung's last step (with a seed
  // axis, the configuration's mean too), in bold for the points that went on.
  function halving() {
    var h = data.halving;
    if (!h) return;
    var s = section("halving", h.brackets > 1 ? "Hyperband: " + h.brackets + " brackets of successive halving"
                                              : "Successive halving");
    s.appendChild(el("p", {class: "muted"}, "eta " + h.eta + ": each rung ranks its " +
                     (h.grouped ? "configurations by the mean of their runs' " : "points by ") + selectLabel +
                     " at its last step and the best 1/" + h.eta + " go on from their checkpoint. Rungs of " +
                     h.planned.join(", ") + " steps" +
                     (h.brackets > 1 ? "; bracket b starts at the b-th, with fewer points" : "") + "; " +
                     h.rungs.length + " ranked so far."));
    if (h.winner)
      s.appendChild(el("p", null, "Winner: " + h.winner.points.join(", ") +
                       (h.brackets > 1 ? " (bracket " + h.winner.bracket + ")" : "") + ", " + selectLabel +
                       (h.grouped ? " mean " : " ") + num(h.winner.value, 4) + " at " +
                       h.planned[h.planned.length - 1] + " steps."));
    for (var bracket = 1; bracket <= h.brackets; bracket++) {
      var rungs = h.rungs.filter(function (g) { return (g.bracket || 1) === bracket; });
      if (!rungs.length) continue;
      if (h.brackets > 1) s.appendChild(el("h3", null, "Bracket " + bracket));
      var head = el("tr", null, el("th", {class: "text"}, "point"));
      rungs.forEach(function (g, r) { head.appendChild(el("th", null, "rung " + (r + 1) + " (" + g.steps + " steps)")); });
      var t = el("table", {class: "halving-table", id: bracket === 1 ? "halving-table" : "halving-table-" + bracket},
                 el("thead", null, head));
      var b = el("tbody");
      var at = rungs.map(function (g) {
        var m = {};
        g.points.forEach(function (p, k) { m[p.name] = {p: p, rank: h.grouped ? p.rank : k + 1, of: h.grouped ? p.of : g.points.length}; });
        return m;
      });
      rungs[0].points.forEach(function (p0) {
        var row = el("tr", null, el("td", {class: "text"}, pointLink(p0.name)));
        at.forEach(function (m) {
          var x = m[p0.name];
          if (!x) { row.appendChild(el("td", {class: "muted"}, "")); return; }
          var text = (x.p.value === null ? "not reached" : num(x.p.value, 4)) +
                     (h.grouped && x.p.mean !== null ? ", mean " + num(x.p.mean, 4) : "") + " (" + x.rank + "/" + x.of + ")";
          row.appendChild(el("td", x.p.promoted ? {class: "promoted"} : null, x.p.promoted ? el("strong", null, text) : text));
        });
        b.appendChild(row);
      });
      t.appendChild(b);
      s.appendChild(el("div", {class: "scroll"}, t));
    }
  }

  // ------------------------------------------------------------------ each point
  function pointChart(holder, p) {
    var c = p.curves, ds = [];
    ds.push({label: "training loss", data: xy(c.train.step, c.train.loss), yAxisID: "y"});
    data.curve_columns.forEach(function (col) {
      if (!c.validation[col]) return;
      ds.push({label: "validation " + col, data: xy(c.validation.step, c.validation[col]), yAxisID: col === "loss" ? "y" : "y1"});
    });
    ds.forEach(function (d, i) {
      d.borderColor = d.backgroundColor = PALETTE[i % PALETTE.length];
      d.borderWidth = 2;
      d.pointRadius = 2;
      if (d.label === "training loss") d.borderDash = [5, 3];
    });
    var metrics = ds.some(function (d) { return d.yAxisID === "y1"; });
    chart(holder, p.name + ": loss and metrics against step; the best checkpoint at step " + num(p.best_step), {
      type: "line", data: {datasets: ds},
      options: {parsing: false, interaction: {mode: "index", intersect: false},
                scales: {x: {type: "linear", title: {display: true, text: "step"}},
                         y: {position: "left", title: {display: true, text: "loss"}},
                         y1: {display: metrics, position: "right", grid: {drawOnChartArea: false}, title: {display: true, text: "metrics"}}}}
    }, true);
  }
  function points() {
    var s = section("points", "Points");
    data.points.forEach(function (p) {
      var d = el("details", {class: "point", id: "point-" + p.name});
      d.appendChild(el("summary", null, el("strong", null, p.name), " \u2014 " + (p.rank !== null ? "rank " + p.rank + ", " : "") +
                       p.status + (p.rank !== null ? ", " + selectLabel + " " + num(p.key) : "")));
      var facts = el("dl", {class: "facts"});
      function fact(k, v) { facts.appendChild(el("dt", null, k)); facts.appendChild(el("dd", null, v)); }
      data.axes.forEach(function (a, k) { fact(a, String(p.axes[k])); });
      fact("free parameters", num(p.params));
      fact("status", p.status + (p.message ? ": " + p.message : ""));
      fact("steps", num(p.steps) + " of " + num(p.total_steps) + (p.best_step >= 0 ? "; best checkpoint at step " + num(p.best_step) : ""));
      var metrics = Object.keys(p.best).map(function (m) { return m + " " + num(p.best[m]); }).join(", ");
      if (metrics) fact("validation at best", metrics);
      var test = Object.keys(p.test).map(function (m) { return m + " " + num(p.test[m]); }).join(", ");
      if (test) fact("test at best", test);
      if (p.wall_seconds > 0) fact("time", duration(p.wall_seconds) + " on " + p.threads + " thread" + (p.threads === 1 ? "" : "s") +
                                         ", " + num(p.samples_per_second, 3) + " samples/s");
      fact("run folder", el("code", null, p.run_dir));
      d.appendChild(facts);
      var holder = el("div");
      d.appendChild(holder);
      var done = false;
      function open() {  // its chart is drawn when the section is first opened
        if (done || !d.open) return;
        done = true;
        if (p.curves) part("chart of " + p.name, function () { pointChart(holder, p); });
        else holder.appendChild(el("p", {class: "muted"}, "No metrics.csv yet."));
      }
      d.addEventListener("toggle", open);
      s.appendChild(d);
      if (data.best && data.best.name === p.name) { d.open = true; open(); }
    });
    function follow() {  // a link to #point-NAME opens its section
      var id = decodeURIComponent(location.hash.slice(1));
      var target = id && document.getElementById(id);
      if (target && target.tagName === "DETAILS" && !target.open) { target.open = true; target.scrollIntoView(); }
    }
    window.addEventListener("hashchange", follow);
    follow();
  }

  part("context", context);
  part("warnings", warnings);
  part("leaderboard", leaderboard);
  part("successive halving", halving);
  part("learning curves", curves);
  part("against parameters", byParams);
  part("parallel coordinates", parallel);
  part("histograms", histograms);
  part("per axis", axes);
  part("the best point", winner);
  part("points", points);
  part("outside the grid", outside);

  if (window.hps_errors.length) {  // said at the top too: a reader should not miss a broken figure
    var list = document.getElementById("warning-list");
    if (list) window.hps_errors.forEach(function (e) { list.appendChild(el("li", {class: "script", "data-kind": "script"}, "page script error: " + e)); });
  }
  var status = document.getElementById("render-status");
  status.setAttribute("data-charts", JSON.stringify(drawn));
  status.setAttribute("data-errors", JSON.stringify(window.hps_errors));
  status.setAttribute("data-ms", String(Math.round(performance.now() - started)));
  status.setAttribute("data-done", "1");
})();
