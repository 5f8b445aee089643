// hpsgen report DIR: rank the points of a study by its selection metric, or by another
// metric its results record (--by), as a table, report.csv, report.md, report.html or JSON.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/ranking.hpp"
#include "generator/report_html.hpp"
#include "generator/study_dir.hpp"

#include <hps/io.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace hps::cli {

namespace {

std::string fixed(double v, int digits = 4) {
    if (std::isnan(v)) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// The ranking as one JSON document: the study, the rule, the statement owed when it is
// not the spec's, and the first `shown` rows.
std::string ranking_json(const study_dir& s, const ranking& ranks, std::size_t shown,
                         const std::vector<outside_result>& outside) {
    const rank_rule& by_rule = ranks.rule;
    const std::string& note = ranks.note;
    const std::vector<ranked_point>& rows = ranks.rows;
    json_writer w;
    w.begin_object().member("study", s.study).member("folder", s.path);
    w.key("ranked_by").begin_object().member("metric", by_rule.metric);
    w.member("goal", goal_text(by_rule.max)).end_object();
    w.key("note");
    if (note.empty()) w.null();
    else w.value(note);
    w.member("points", s.points.size()).member("not_finished", ranks.unfinished).member("shown", shown);
    write_configurations(w, s, ranks);  // with a run axis (seed, fold): ranked by their mean
    w.key("rows").begin_array();
    int rank = 0;
    for (std::size_t i = 0; i < shown; ++i) {
        const ranked_point& r = rows[i];
        w.begin_object().key("rank");
        if (std::isnan(r.key)) w.null();
        else w.value(++rank);
        w.member("name", r.row->name).member("id", r.row->id);
        w.key("axes").begin_object();
        for (std::size_t k = 0; k < s.axis_names.size() && k < r.row->axis_values.size(); ++k) {
            w.key(s.axis_names[k]);
            write_axis_value(w, r.row->axis_values[k]);
        }
        w.end_object();
        w.member("params", r.row->params).member("status", r.state.status);
        if (!r.state.message.empty()) w.member("message", r.state.message);
        w.key("best_step");
        if (r.state.best_step >= 0) w.value(r.state.best_step);
        else w.null();
        write_metric_object(w, "metrics", r.state.best);
        write_metric_object(w, "test", r.state.test);
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
        write_metric_object(w, "metrics", o.state.best);
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
    std::optional<std::string> html_path;
    bool no_html = false;
    arg_parser p("report",
                 "Ranks the points of the study folder DIR by the spec's selection metric (each\n"
                 "point at its best checkpoint) and prints the top N as a table: axis values, free\n"
                 "parameters, best step, metrics, test metrics where the spec has a test set, wall\n"
                 "time. Writes every point, ranked, to DIR/report.csv and DIR/report.md (its\n"
                 "minutes column: wall time in minutes).\n"
                 "\n"
                 "Writes DIR/report.html too: one self-contained page (no server, no network; it\n"
                 "opens in a browser after scp) with the study's context, warnings (best checkpoint\n"
                 "at the last evaluation, overfitting, diverged and failed points), a sortable\n"
                 "leaderboard, the learning curves of every point (the top 5 in colour), the best\n"
                 "metric against free parameters, parallel coordinates over the axes, histograms of\n"
                 "training time and speed, each axis' best and mean metric, the best point's\n"
                 "confusion matrix and files, and a section per point. `hpsgen run` refreshes it\n"
                 "as points finish.\n"
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
    p.option("html", "PATH", "write the page to PATH instead of DIR/report.html", html_path);
    p.flag("no-html", 0, "write no report.html", no_html);
    p.epilog("examples:\n  hpsgen report out/cyplam\n  hpsgen report out/cyplam --top 3\n"
             "  hpsgen report out/cyplam --by loss\n  hpsgen report out/cyplam --by acc20 --max --format json");
    if (auto status = p.parse(a)) return *status;
    if (want_min && want_max) return p.usage_error(std::cerr, "give --min or --max, not both");
    if ((want_min || want_max) && !by) return p.usage_error(std::cerr, "--min and --max go with --by METRIC");
    if (no_html && html_path) return p.usage_error(std::cerr, "give --html PATH or --no-html, not both");
    if (html_path && html_path->empty()) return p.usage_error(std::cerr, "--html needs a file name");
    const bool json = format == "json";
    study_dir s;
    try {
        s = load_study_dir(dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen report: %s\n", e.what());
        return 1;
    }

    ranking ranks = read_points(s);
    const std::vector<std::string>& metric_names = ranks.metric_names;
    const std::vector<std::string>& test_names = ranks.test_names;
    rank_rule by_rule = spec_rule(s);
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
    rank_points(ranks, s, by_rule);
    const std::vector<ranked_point>& rows = ranks.rows;
    const std::string& note = ranks.note;
    const int unfinished = ranks.unfinished;
    const std::vector<outside_result> outside = results_outside_grid(s);

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
    // with a run axis (`repeat N`, `folds K`): the configurations, ranked by their mean, are report.csv,
    // the terminal's table and report.md's first; the runs go to report-runs.csv
    const bool grouped = !ranks.configurations.empty();
    std::vector<std::string> conf_header;
    std::vector<std::vector<std::string>> conf_table;
    std::string conf_csv;
    if (grouped) {
        conf_header = {"rank"};
        for (std::size_t k = 0; k < s.axis_names.size(); ++k)
            if (!ranks.is_run_axis(k)) conf_header.push_back(s.axis_names[k]);
        conf_header.insert(conf_header.end(), {"runs", "params"});
        std::vector<std::string> csv_header = conf_header;
        csv_header.insert(csv_header.begin() + std::ptrdiff_t(conf_header.size() - 1), "of");
        for (const auto& [names, prefix] : {std::pair{&metric_names, ""}, std::pair{&test_names, "test_"}})
            for (const auto& m : *names) {
                conf_header.push_back(prefix + m + " (mean ± sd)");
                csv_header.insert(csv_header.end(), {prefix + m + "_mean", prefix + m + "_sd"});
            }
        conf_header.push_back(ranks.runs_word(s));
        csv_header.insert(csv_header.end(), {"minutes", ranks.runs_word(s)});
        csv_row h;
        for (const auto& c : csv_header) h.field(c);
        conf_csv = h.str();
        int crank = 0;
        for (const auto& c : ranks.configurations) {
            std::vector<std::string> line;
            csv_row out;
            if (std::isnan(c.key)) line.push_back("-"), out.empty_field();
            else line.push_back(std::to_string(++crank)), out.field(crank);
            line.insert(line.end(), c.axis_values.begin(), c.axis_values.end());
            for (const auto& v : c.axis_values) out.field(v);
            line.push_back(std::to_string(c.ranked) + "/" + std::to_string(c.runs.size()));
            line.push_back(thousands(c.runs.front()->row->params));
            out.field(c.ranked).field(c.runs.size()).field(c.runs.front()->row->params);
            for (const auto* stats : {&c.best, &c.test})
                for (const auto& m : *stats) {
                    line.push_back(fixed(m.mean) + (std::isnan(m.sd) ? "" : " ± " + fixed(m.sd)));
                    out.field(m.mean).field(m.sd);
                }
            double wall = 0;
            std::string runs;  // their seeds, folds or seed/fold pairs, in rank order
            for (const ranked_point* p : c.runs) {
                wall += p->state.wall_seconds;
                runs += (runs.empty() ? "" : " ") + ranks.run_of(*p->row);
            }
            if (wall > 0) out.field(wall / 60.0);
            else out.empty_field();
            line.push_back(runs);
            out.field(runs);
            conf_table.push_back(std::move(line));
            conf_csv += out.str();
        }
    }
    // report.md: the same tables for people
    const std::string rule_words = goal_text(by_rule.max) + " " + by_rule.metric;
    std::string md = "# Study " + s.study + ": ranked by " + (grouped ? "the mean of " : "") + rule_words + "\n\n";
    if (!note.empty()) md += "Note: " + note + ".\n\n";
    auto md_table = [&md](const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& lines) {
        md += "|";
        for (const auto& c : head) md += " " + c + " |";
        md += "\n|";
        for (std::size_t i = 0; i < head.size(); ++i) md += " --- |";
        md += "\n";
        for (const auto& line : lines) {
            md += "|";
            for (const auto& c : line) md += " " + c + " |";
            md += "\n";
        }
    };
    if (grouped) {
        std::string by;
        for (int k : ranks.run_axes) by += (by.empty() ? "" : " and ") + s.axis_names[std::size_t(k)];
        md += "Configurations (the points that differ only by " + by + "), ranked by the mean over their runs; "
              "sd: the sample standard deviation (n - 1).\n\n";
        md_table(conf_header, conf_table);
        md += "\n## Runs\n\nEach run ranked alone by " + rule_words + ".\n\n";
    }
    md_table(header, table);
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
    std::string written = dir + "/report.csv, " + (grouped ? dir + "/report-runs.csv, " : "") + dir + "/report.md";
    try {
        write_file_atomic(dir + "/report.csv", grouped ? conf_csv : csv);
        if (grouped) write_file_atomic(dir + "/report-runs.csv", csv);
        write_file_atomic(dir + "/report.md", md);
        if (!no_html) {
            const std::string html = html_path ? *html_path : dir + "/report.html";
            write_file_atomic(html, report_html(s, ranks));
            written += ", " + html;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen report: %s\n", e.what());
        return 1;
    }

    if (json) {  // the ranking on stdout, every point unless --top says otherwise
        const std::size_t shown = top ? std::min(top, rows.size()) : rows.size();
        std::fputs(ranking_json(s, ranks, shown, outside).c_str(), stdout);
        if (!note.empty()) std::fprintf(stderr, "hpsgen report: %s\n", note.c_str());
        std::fprintf(stderr, "written: %s\n", written.c_str());
        return 0;
    }

    // the terminal table: the top rows (configurations with a run axis), columns padded
    if (grouped) {
        header = conf_header;
        table = conf_table;
    }
    auto text_width = [](const std::string& t) {  // "±" is one column, two bytes
        std::size_t n = 0;
        for (unsigned char ch : t) n += (ch & 0xC0) != 0x80;
        return n;
    };
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = text_width(header[c]);
    const std::size_t shown = std::min(top ? top : 10, table.size());
    for (std::size_t r = 0; r < shown; ++r)
        for (std::size_t c = 0; c < header.size(); ++c) width[c] = std::max(width[c], text_width(table[r][c]));
    const std::string counted = unfinished ? " (" + std::to_string(unfinished) + " not finished)" : "";
    if (grouped)
        std::printf("study %s: %zu points in %zu configurations ranked by the mean of %s%s\n", s.study.c_str(),
                    s.points.size(), ranks.configurations.size(), rule_words.c_str(), counted.c_str());
    else
        std::printf("study %s: %zu points ranked by %s%s\n", s.study.c_str(), s.points.size(), rule_words.c_str(),
                    counted.c_str());
    if (!note.empty()) std::printf("note: %s\n", note.c_str());
    auto print_line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c)
            std::printf(c ? "  %s%*s" : "%s%*s", cells[c].c_str(), int(width[c] - text_width(cells[c])), "");
        std::printf("\n");
    };
    print_line(header);
    for (std::size_t r = 0; r < shown; ++r) print_line(table[r]);
    if (table.size() > shown) std::printf("... %zu more in %s/report.md\n", table.size() - shown, dir.c_str());
    if (!outside.empty())
        std::printf("%zu result%s outside the current grid (kept in %s/results; hpsgen status lists them)\n",
                    outside.size(), outside.size() == 1 ? "" : "s", dir.c_str());
    std::printf("written: %s\n", written.c_str());
    return 0;
}

}  // namespace hps::cli
