// hpsgen report DIR: rank the points of a study by its selection metric.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/study_dir.hpp"

#include <hps/io.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
    std::string dir;
    std::size_t top = 10;
    arg_parser p("report",
                 "Ranks the points of the study folder DIR by the spec's selection metric (each\n"
                 "point at its best checkpoint) and prints the top N as a table: axis values, free\n"
                 "parameters, best step, metrics, test metrics where the spec has a test set, wall\n"
                 "time. Writes every point, ranked, to DIR/report.csv and DIR/report.md (its\n"
                 "minutes column: wall time in minutes).");
    p.positional("DIR", "the study folder", dir);
    p.count("top", "N", "rows in the terminal table (default 10; the files have all)", top);
    p.epilog("examples:\n  hpsgen report out/cyplam\n  hpsgen report out/cyplam --top 3");
    if (auto status = p.parse(a)) return *status;
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
    for (const auto& p : s.points) {
        ranked r{&p, read_point_state(dir, p.name), std::nan("")};
        if (r.state.best_step >= 0 && r.state.status != "stale") {
            if (auto v = r.state.best_value(s.select_metric)) r.key = *v;
        }
        if (!r.state.finished()) ++unfinished;
        for (const auto& [k, v] : r.state.best)
            if (std::find(metric_names.begin(), metric_names.end(), k) == metric_names.end()) metric_names.push_back(k);
        for (const auto& [k, v] : r.state.test)
            if (std::find(test_names.begin(), test_names.end(), k) == test_names.end()) test_names.push_back(k);
        rows.push_back(std::move(r));
    }
    // ranked points first (best first), then the rest in grid order
    std::stable_sort(rows.begin(), rows.end(), [&](const ranked& x, const ranked& y) {
        const bool xn = std::isnan(x.key), yn = std::isnan(y.key);
        if (xn != yn) return !xn;
        if (xn) return false;
        return s.select_max ? x.key > y.key : x.key < y.key;
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
    std::string md = "# Study " + s.study + ": ranked by " + (s.select_max ? "max " : "min ") + s.select_metric + "\n\n|";
    for (const auto& c : header) md += " " + c + " |";
    md += "\n|";
    for (std::size_t i = 0; i < header.size(); ++i) md += " --- |";
    md += "\n";
    for (const auto& line : table) {
        md += "|";
        for (const auto& c : line) md += " " + c + " |";
        md += "\n";
    }
    try {
        write_file_atomic(dir + "/report.csv", csv);
        write_file_atomic(dir + "/report.md", md);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen report: %s\n", e.what());
        return 1;
    }

    // the terminal table: the top rows, columns padded
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    const std::size_t shown = std::min(top, table.size());
    for (std::size_t r = 0; r < shown; ++r)
        for (std::size_t c = 0; c < header.size(); ++c) width[c] = std::max(width[c], table[r][c].size());
    std::printf("study %s: %zu points ranked by %s %s%s\n", s.study.c_str(), s.points.size(),
                s.select_max ? "max" : "min", s.select_metric.c_str(),
                unfinished ? (" (" + std::to_string(unfinished) + " not finished)").c_str() : "");
    auto print_line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c) std::printf(c ? "  %-*s" : "%-*s", int(width[c]), cells[c].c_str());
        std::printf("\n");
    };
    print_line(header);
    for (std::size_t r = 0; r < shown; ++r) print_line(table[r]);
    if (table.size() > shown) std::printf("... %zu more in %s/report.md\n", table.size() - shown, dir.c_str());
    std::printf("written: %s/report.csv, %s/report.md\n", dir.c_str(), dir.c_str());
    return 0;
}

}  // namespace hps::cli
