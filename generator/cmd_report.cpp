// hpsgen report DIR: rank the points of a study by its selection metric, or by another
// metric its results record (--by), as a table, report.csv, report.md or JSON.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/study_dir.hpp"

#include <hps/config.hpp>
#include <hps/io.hpp>
#include <hps/train/metrics_csv.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace hps::cli {

namespace {

struct ranked {
    const point_row* row;
    point_state state;
    double key;
};

std::string fixed(double v, int digits = 4) {
    if (std::isnan(v)) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// What the points are ranked by: a metric of result.json's "best" and its direction.
struct rule {
    std::string metric;
    bool max = false;
};

std::string goal_text(bool max) { return max ? "max" : "min"; }

// The direction of `metric` when the command line gives none: the spec's for its
// selection metric, min for the loss, a metric kind's own (hps::metric_table) for a
// metric named after its kind; nullopt for a name given with `as` (acc20), which
// neither study.json nor result.json maps to its kind.
std::optional<bool> known_goal(const study_dir& s, const std::string& metric) {
    if (metric == s.select_metric) return s.select_max;
    if (metric == "loss") return false;
    if (const metric_info* m = find_by_name(metric_table, metric); m && m->scalar) return m->higher_is_better;
    return std::nullopt;
}

// A point's best validation checkpoint by another rule than the one that chose its
// checkpoint in training, from its metrics.csv: the first finite value better than every
// one before it (the trainer's own rule, hps::trainer::better). nullopt when metrics.csv
// is missing or has no such column.
struct checkpoint {
    long step = -1;
    std::vector<std::pair<std::string, double>> values;
};

std::optional<checkpoint> best_checkpoint(const std::string& metrics_csv, const rule& r) {
    std::ifstream in(metrics_csv);
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    const auto cells = train_detail::split_csv;
    const std::vector<std::string> header = cells(line);
    const auto column = std::find(header.begin(), header.end(), r.metric);
    if (header.size() < 3 || header[0] != "step" || header[1] != "split" || column == header.end()) return std::nullopt;
    const std::size_t k = std::size_t(column - header.begin());
    std::optional<checkpoint> best;
    double best_value = 0;
    while (std::getline(in, line)) {
        const std::vector<std::string> row = cells(line);
        if (row.size() != header.size() || row[1] != "validation") continue;
        const double v = std::strtod(row[k].c_str(), nullptr);
        if (!std::isfinite(v) || (best && !(r.max ? v > best_value : v < best_value))) continue;
        best_value = v;
        best = checkpoint{std::strtol(row[0].c_str(), nullptr, 10), {}};
        for (std::size_t c = 2; c + 1 < header.size(); ++c)  // the metrics, not elapsed_s
            best->values.emplace_back(header[c], row[c].empty() ? std::nan("") : std::strtod(row[c].c_str(), nullptr));
    }
    return best;
}

std::string rule_text(const std::string& metric, bool max) { return goal_text(max) + " " + metric; }

// What a ranking owes the reader when some point's checkpoint was chosen in training by
// another rule than the ranking's: `rechosen` points were ranked at their best checkpoint
// by the ranking's rule, from metrics.csv; `kept` points (no metrics.csv) at the one chosen
// in training. `trained_by` lists the rules that chose them. Empty when nothing differs.
std::string checkpoint_note(const rule& r, std::size_t rechosen, std::size_t kept, const std::string& trained_by) {
    if (!rechosen && !kept) return {};
    const std::string by = r.metric + " (" + goal_text(r.max) + ")";
    std::string note = "ranked by " + by + "; the checkpoints were chosen in training by " + trained_by + ": ";
    if (rechosen)
        note += std::to_string(rechosen) + " point" + (rechosen == 1 ? " is" : "s are") + " ranked at " +
                (rechosen == 1 ? "its" : "their") + " best checkpoint by " + r.metric +
                " (from metrics.csv), with that checkpoint's metrics; best.npz and the test metrics stay those of "
                "the checkpoint chosen in training (test metrics are shown only where the two agree)";
    if (kept)
        note += std::string(rechosen ? "; " : "") + std::to_string(kept) + " point" + (kept == 1 ? "" : "s") +
                " without metrics.csv " + (kept == 1 ? "is" : "are") + " ranked at the checkpoint chosen in training";
    return note + ". For weights chosen by " + r.metric + ", put `select " + goal_text(r.max) + " " + r.metric +
           "` in the spec and train again";
}

// A grid.tsv value as JSON: a number when it reads whole as one, else a string.
void axis_value(json_writer& w, const std::string& text) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (!text.empty() && ec == std::errc() && ptr == end && std::isfinite(v)) w.value(v);
    else w.value(text);
}

void metric_object(json_writer& w, const char* key, const std::vector<std::pair<std::string, double>>& list) {
    w.key(key).begin_object();
    for (const auto& [k, v] : list) w.member(k, v);
    w.end_object();
}

// The ranking as one JSON document: the study, the rule, the statement owed when it is
// not the spec's, and the first `shown` rows.
std::string ranking_json(const study_dir& s, const rule& by_rule, const std::string& note,
                         const std::vector<ranked>& rows, std::size_t shown, int unfinished,
                         const std::vector<outside_result>& outside) {
    json_writer w;
    w.begin_object().member("study", s.study).member("folder", s.path);
    w.key("ranked_by").begin_object().member("metric", by_rule.metric);
    w.member("goal", goal_text(by_rule.max)).end_object();
    w.key("note");
    if (note.empty()) w.null();
    else w.value(note);
    w.member("points", s.points.size()).member("not_finished", unfinished).member("shown", shown);
    w.key("rows").begin_array();
    int rank = 0;
    for (std::size_t i = 0; i < shown; ++i) {
        const ranked& r = rows[i];
        w.begin_object().key("rank");
        if (std::isnan(r.key)) w.null();
        else w.value(++rank);
        w.member("name", r.row->name).member("id", r.row->id);
        w.key("axes").begin_object();
        for (std::size_t k = 0; k < s.axis_names.size() && k < r.row->axis_values.size(); ++k) {
            w.key(s.axis_names[k]);
            axis_value(w, r.row->axis_values[k]);
        }
        w.end_object();
        w.member("params", r.row->params).member("status", r.state.status);
        if (!r.state.message.empty()) w.member("message", r.state.message);
        w.key("best_step");
        if (r.state.best_step >= 0) w.value(r.state.best_step);
        else w.null();
        metric_object(w, "metrics", r.state.best);
        metric_object(w, "test", r.state.test);
        w.key("wall_seconds");
        if (r.state.wall_seconds > 0) w.value(r.state.wall_seconds);
        else w.null();
        w.member("identity", r.row->identity).member("run_dir", s.path + "/" + r.row->run_dir()).end_object();
    }
    w.end_array();
    // results of earlier versions of the spec, kept in results/
    w.key("outside_grid").begin_array();
    for (const auto& o : outside) {
        w.begin_object().member("identity", o.row.identity).member("was", o.row.name).member("status", o.state.status);
        metric_object(w, "metrics", o.state.best);
        w.member("run_dir", s.path + "/" + o.row.run_dir()).end_object();
    }
    w.end_array().end_object();
    return w.str();
}

std::string minutes(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s / 60.0);
    return buf;
}

std::string thousands(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace

int report(const args& a) {
    std::string dir, format = "table";
    std::optional<std::string> by;
    bool want_min = false, want_max = false;
    std::size_t top = 0;  // 0: not given
    arg_parser p("report",
                 "Ranks the points of the study folder DIR by the spec's selection metric (each\n"
                 "point at its best checkpoint) and prints the top N as a table: axis values, free\n"
                 "parameters, best step, metrics, test metrics where the spec has a test set, wall\n"
                 "time. Writes every point, ranked, to DIR/report.csv and DIR/report.md (its\n"
                 "minutes column: wall time in minutes).\n"
                 "\n"
                 "--by ranks by another validation metric of the results (loss, or any metric of\n"
                 "the spec), each point at its best checkpoint by that metric, read from its\n"
                 "metrics.csv: no retraining. So does a changed `select` in the spec (generate\n"
                 "again: the results are kept). best.npz and the test metrics stay those of the\n"
                 "checkpoint chosen in training, and the report says so.");
    p.positional("DIR", "the study folder", dir);
    p.option("by", "METRIC",
             "rank by this validation metric (loss, accuracy, f1, a name\n"
             "given with `as`...), each point at its best checkpoint by it,\n"
             "not by the spec's select rule",
             by);
    p.flag("min", 0, "with --by: lower is better", want_min);
    p.flag("max", 0, "with --by: higher is better (without either: the metric's own\n"
                     "direction, loss min, accuracy max...; a name given with `as`\n"
                     "needs one)",
           want_max);
    p.count("top", "N",
            "rows in the table (default 10) or in the JSON (default all);\n"
            "the files have all", top);
    p.option("format", "FORMAT",
             "table: the ranking for people; json: one JSON document on\n"
             "stdout, nothing else there (study, rule, rows with axes,\n"
             "params, status, best step, metrics, test metrics, wall\n"
             "seconds and run folder)",
             format, {"table", "json"});
    p.epilog("examples:\n  hpsgen report out/cyplam\n  hpsgen report out/cyplam --top 3\n"
             "  hpsgen report out/cyplam --by loss\n  hpsgen report out/cyplam --by acc20 --max --format json");
    if (auto status = p.parse(a)) return *status;
    if (want_min && want_max) return p.usage_error(std::cerr, "give --min or --max, not both");
    if ((want_min || want_max) && !by) return p.usage_error(std::cerr, "--min and --max go with --by METRIC");
    const bool json = format == "json";
    study_dir s;
    try {
        s = load_study_dir(dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen report: %s\n", e.what());
        return 1;
    }

    std::vector<ranked> rows;
    std::vector<std::string> metric_names, test_names;
    int unfinished = 0;
    for (const auto& pt : s.points) {
        ranked r{&pt, read_point_state(dir, pt), std::nan("")};
        if (!r.state.finished()) ++unfinished;
        for (const auto& [k, v] : r.state.best)
            if (std::find(metric_names.begin(), metric_names.end(), k) == metric_names.end()) metric_names.push_back(k);
        for (const auto& [k, v] : r.state.test)
            if (std::find(test_names.begin(), test_names.end(), k) == test_names.end()) test_names.push_back(k);
        rows.push_back(std::move(r));
    }

    rule by_rule{s.select_metric, s.select_max};
    if (by) {
        if (!metric_names.empty() && std::find(metric_names.begin(), metric_names.end(), *by) == metric_names.end()) {
            std::string have;
            for (const auto& m : metric_names) have += (have.empty() ? "" : ", ") + m;
            return p.usage_error(std::cerr, "no result of study " + s.study + " has a metric '" + *by +
                                                "'; they have " + have);
        }
        by_rule.metric = *by;
        if (want_min || want_max) {
            by_rule.max = want_max;
        } else if (auto goal = known_goal(s, *by)) {
            by_rule.max = *goal;
        } else {
            return p.usage_error(std::cerr, "say --min or --max: hpsgen does not know whether " + *by +
                                                " is better high or low");
        }
    }
    // each finished point at its best checkpoint by the ranking's rule: the one chosen in
    // training when that rule chose it, else re-chosen from its metrics.csv
    std::size_t rechosen = 0, kept = 0;
    std::vector<std::string> trained_by;
    for (auto& r : rows) {
        if (r.state.best_step < 0) continue;
        if (r.state.select_metric == by_rule.metric && r.state.select_max == by_rule.max) continue;
        const std::string t = rule_text(r.state.select_metric, r.state.select_max);
        if (std::find(trained_by.begin(), trained_by.end(), t) == trained_by.end()) trained_by.push_back(t);
        if (auto c = best_checkpoint(dir + "/" + r.row->run_dir() + "/metrics.csv", by_rule)) {
            ++rechosen;
            if (c->step != r.state.best_step) r.state.test.clear();
            r.state.best_step = c->step;
            r.state.best = std::move(c->values);
        } else {
            ++kept;
        }
    }
    std::string trained;
    for (const auto& t : trained_by) trained += (trained.empty() ? "" : " or ") + t;
    const std::string note = checkpoint_note(by_rule, rechosen, kept, trained);
    const std::vector<outside_result> outside = results_outside_grid(s);

    for (auto& r : rows)
        if (r.state.best_step >= 0)
            if (auto v = r.state.best_value(by_rule.metric)) r.key = *v;
    // ranked points first (best first), then the rest in grid order
    std::stable_sort(rows.begin(), rows.end(), [&](const ranked& x, const ranked& y) {
        const bool xn = std::isnan(x.key), yn = std::isnan(y.key);
        if (xn != yn) return !xn;
        if (xn) return false;
        return by_rule.max ? x.key > y.key : x.key < y.key;
    });

    auto metric = [](const std::vector<std::pair<std::string, double>>& list, const std::string& name) {
        for (const auto& [k, v] : list)
            if (k == name) return v;
        return std::nan("");
    };

    std::vector<std::string> header = {"rank", "name"};
    header.insert(header.end(), s.axis_names.begin(), s.axis_names.end());
    header.insert(header.end(), {"params", "best_step"});
    for (const auto& m : metric_names) header.push_back(m);
    for (const auto& m : test_names) header.push_back("test_" + m);
    header.insert(header.end(), {"minutes", "status"});

    std::vector<std::vector<std::string>> table;
    int rank = 0;
    for (const auto& r : rows) {
        std::vector<std::string> line;
        line.push_back(std::isnan(r.key) ? "-" : std::to_string(++rank));
        line.push_back(r.row->name);
        line.insert(line.end(), r.row->axis_values.begin(), r.row->axis_values.end());
        line.push_back(thousands(r.row->params));
        line.push_back(r.state.best_step >= 0 ? std::to_string(r.state.best_step) : "-");
        for (const auto& m : metric_names) line.push_back(fixed(metric(r.state.best, m)));
        for (const auto& m : test_names) line.push_back(fixed(metric(r.state.test, m)));
        line.push_back(r.state.wall_seconds > 0 ? minutes(r.state.wall_seconds) : "-");
        line.push_back(r.state.status);
        table.push_back(std::move(line));
    }

    // report.csv: every point, raw numbers (minutes: wall seconds / 60)
    std::string csv;
    {
        csv_row h;
        for (const auto& c : header) h.field(c);
        csv += h.str();
        rank = 0;
        for (const auto& r : rows) {
            csv_row line;
            if (std::isnan(r.key)) line.empty_field();
            else line.field(++rank);
            line.field(r.row->name);
            for (const auto& v : r.row->axis_values) line.field(v);
            line.field(r.row->params);
            if (r.state.best_step >= 0) line.field(r.state.best_step);
            else line.empty_field();
            for (const auto& m : metric_names) line.field(metric(r.state.best, m));
            for (const auto& m : test_names) line.field(metric(r.state.test, m));
            if (r.state.wall_seconds > 0) line.field(r.state.wall_seconds / 60.0);
            else line.empty_field();
            line.field(r.state.status);
            csv += line.str();
        }
    }
    // report.md: the same table for people
    std::string md = "# Study " + s.study + ": ranked by " + goal_text(by_rule.max) + " " + by_rule.metric + "\n\n";
    if (!note.empty()) md += "Note: " + note + ".\n\n";
    md += "|";
    for (const auto& c : header) md += " " + c + " |";
    md += "\n|";
    for (std::size_t i = 0; i < header.size(); ++i) md += " --- |";
    md += "\n";
    for (const auto& line : table) {
        md += "|";
        for (const auto& c : line) md += " " + c + " |";
        md += "\n";
    }
    if (!outside.empty()) {
        md += "\n## Results outside the current grid\n\nKept in results/ from earlier versions of the spec.\n\n"
              "| identity | was | axes | status | " + by_rule.metric + " |\n| --- | --- | --- | --- | --- |\n";
        for (const auto& o : outside) {
            std::string axes;
            for (const auto& v : o.row.axis_values) axes += (axes.empty() ? "" : ", ") + v;
            const auto v = o.state.best_value(by_rule.metric);
            md += "| " + o.row.identity + " | " + o.row.name + " | " + axes + " | " + o.state.status + " | " +
                  (v ? fixed(*v) : std::string("-")) + " |\n";
        }
    }
    try {
        write_file_atomic(dir + "/report.csv", csv);
        write_file_atomic(dir + "/report.md", md);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen report: %s\n", e.what());
        return 1;
    }

    if (json) {  // the ranking on stdout, every point unless --top says otherwise
        const std::size_t shown = top ? std::min(top, rows.size()) : rows.size();
        std::fputs(ranking_json(s, by_rule, note, rows, shown, unfinished, outside).c_str(), stdout);
        if (!note.empty()) std::fprintf(stderr, "hpsgen report: %s\n", note.c_str());
        std::fprintf(stderr, "written: %s/report.csv, %s/report.md\n", dir.c_str(), dir.c_str());
        return 0;
    }

    // the terminal table: the top rows, columns padded
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    const std::size_t shown = std::min(top ? top : 10, table.size());
    for (std::size_t r = 0; r < shown; ++r)
        for (std::size_t c = 0; c < header.size(); ++c) width[c] = std::max(width[c], table[r][c].size());
    std::printf("study %s: %zu points ranked by %s %s%s\n", s.study.c_str(), s.points.size(),
                goal_text(by_rule.max).c_str(), by_rule.metric.c_str(),
                unfinished ? (" (" + std::to_string(unfinished) + " not finished)").c_str() : "");
    if (!note.empty()) std::printf("note: %s\n", note.c_str());
    auto print_line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c) std::printf(c ? "  %-*s" : "%-*s", int(width[c]), cells[c].c_str());
        std::printf("\n");
    };
    print_line(header);
    for (std::size_t r = 0; r < shown; ++r) print_line(table[r]);
    if (table.size() > shown) std::printf("... %zu more in %s/report.md\n", table.size() - shown, dir.c_str());
    if (!outside.empty())
        std::printf("%zu result%s outside the current grid (kept in %s/results; hpsgen status lists them)\n",
                    outside.size(), outside.size() == 1 ? "" : "s", dir.c_str());
    std::printf("written: %s/report.csv, %s/report.md\n", dir.c_str(), dir.c_str());
    return 0;
}

}  // namespace hps::cli
