#include "generator/expand.hpp"

#include <hps/io.hpp>

#include "dsl/expand.hpp"

#include <algorithm>
#include <map>
#include <cstdio>

namespace hps {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
    std::size_t i = 0, n = s.size();
    if (i < n && s[i] == '-') ++i;
    if (i >= n || !digit(s[i])) return false;
    if (s[i] == '0') {
        ++i;
    } else {
        while (i < n && digit(s[i])) ++i;
    }
    if (i < n && s[i] == '.') {
        ++i;
        if (i >= n || !digit(s[i])) return false;
        while (i < n && digit(s[i])) ++i;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        if (i >= n || !digit(s[i])) return false;
        while (i < n && digit(s[i])) ++i;
    }
    return i == n;
}

// A TSV cell: tabs and newlines would break the row.
std::string tsv_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\t')
            out += "\\t";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\\')
            out += "\\\\";
        else
            out += c;
    }
    return out;
}

std::string dims(const std::vector<int>& d) {
    std::string out;
    for (std::size_t i = 0; i < d.size(); ++i) out += (i ? " x " : "") + std::to_string(d[i]);
    return out;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
    if (s.size() >= width) return s;
    return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string json_value(const param_value& v) {
    if (v.type != param_value::kind::number) return json_quote(v.text);
    if (is_json_number(v.text)) return v.text;
    return format_significant(v.number, 17);
}

std::string format_grid(const study& s, grid_format format) {
    std::string out;
    switch (format) {
    case grid_format::tsv: {
        out += "id\tname";
        for (const auto& a : s.axes) {
            out += '\t';
            out += tsv_cell(a.name);
        }
        out += "\tparams\n";
        for (const auto& p : s.points) {
            out += std::to_string(p.id);
            out += '\t';
            out += p.name;
            for (const auto& v : p.axis_values) {
                out += '\t';
                out += tsv_cell(v.text);
            }
            out += '\t';
            out += std::to_string(p.params);
            out += '\n';
        }
        return out;
    }
    case grid_format::json: {
        out += "[";
        for (std::size_t i = 0; i < s.points.size(); ++i) {
            const grid_point& p = s.points[i];
            out += i ? ",\n  {" : "\n  {";
            out += "\"id\": " + std::to_string(p.id) + ", \"name\": " + json_quote(p.name);
            for (std::size_t k = 0; k < s.axes.size(); ++k)
                out += ", " + json_quote(s.axes[k].name) + ": " + json_value(p.axis_values[k]);
            out += ", \"params\": " + std::to_string(p.params) + "}";
        }
        out += s.points.empty() ? "]\n" : "\n]\n";
        return out;
    }
    case grid_format::table: {
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> header = {"id", "name"};
        for (const auto& a : s.axes) header.push_back(a.name);
        header.push_back("params");
        rows.push_back(header);
        for (const auto& p : s.points) {
            std::vector<std::string> row = {std::to_string(p.id), p.name};
            for (const auto& v : p.axis_values) row.push_back(tsv_cell(v.text));
            row.push_back(group_digits(p.params));
            rows.push_back(std::move(row));
        }
        std::vector<std::size_t> width(header.size(), 0);
        for (const auto& r : rows)
            for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
        for (const auto& r : rows) {
            std::string line;
            for (std::size_t c = 0; c < r.size(); ++c) {
                bool numeric_column = c == 0 || c + 1 == r.size();
                std::string cell = c + 1 == r.size() ? pad(r[c], width[c], numeric_column)
                                                     : pad(r[c], width[c], numeric_column) + "  ";
                line += cell;
            }
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out += line + "\n";
        }
        return out;
    }
    }
    return out;
}

halving_plan plan_halving(const study& s) {
    halving_plan plan;
    if (!s.search.halving()) return plan;
    // each bracket's configurations (their runs: with a seed axis, a configuration's runs go
    // on or stop together), the best promoted at each rung: at most the largest
    const auto configuration = configurations_of(s);
    const std::size_t brackets = std::max<std::size_t>(1, s.search.bracket_weights().size());
    std::vector<std::map<std::size_t, std::vector<std::size_t>>> runs(brackets);  // per bracket: configuration -> runs
    for (const auto& p : s.points)
        runs[s.search.bracket_of.empty() ? 0 : s.search.bracket_of[p.id]][configuration[p.id]].push_back(p.id);
    const std::vector<long> all = s.search.rungs();
    for (std::size_t b = 0; b < brackets; ++b) {
        plan.brackets.emplace_back();
        std::vector<std::size_t> sizes;
        for (auto& [c, ids] : runs[b]) {
            sizes.push_back(ids.size());
            plan.brackets.back().push_back(std::move(ids));
        }
        std::sort(sizes.rbegin(), sizes.rend());
        std::size_t left = sizes.size();
        for (std::size_t r = b; r < all.size(); ++r) {
            halving_rung rung;
            rung.bracket = b;
            rung.rung = r;
            rung.from = r == b ? 0 : all[r - 1];
            rung.until = all[r];
            rung.configurations = left;
            for (std::size_t k = 0; k < left; ++k) rung.points += sizes[k];
            plan.rungs.push_back(rung);
            left = s.search.promoted(left);
        }
    }
    return plan;
}

namespace {

// The runs of each configuration (`repeat N` or a seed axis, `folds K`): how many, what
// tells them apart, and that the report ranks their mean; "" when a point is a configuration.
std::string runs_summary(const study& s) {
    std::vector<std::string> what;
    for (const auto& a : s.axes) {
        if (!is_run_axis(a.name)) continue;
        const std::string k = std::to_string(a.values.size());
        what.push_back(a.name == "train.fold" ? k + " folds" : k + (a.values.size() == 1 ? " seed" : " seeds"));
    }
    if (what.empty() || s.points.empty()) return "";
    std::map<std::size_t, std::size_t> runs;  // configuration -> its points
    for (std::size_t c : configurations_of(s)) ++runs[c];
    std::size_t lo = s.points.size(), hi = 0;
    for (const auto& [c, k] : runs) lo = std::min(lo, k), hi = std::max(hi, k);
    std::string axes;
    for (std::size_t i = 0; i < what.size(); ++i) axes += (i ? " x " : "") + what[i];
    return "runs: " + (lo == hi ? group_digits(hi) : group_digits(lo) + " to " + group_digits(hi)) +
           " per configuration (" + axes + "), " + group_digits(runs.size()) +
           (runs.size() == 1 ? " configuration" : " configurations") +
           "; the report ranks each configuration by its runs' mean\n";
}

}  // namespace

std::string study_summary(const study& s) {
    std::string out = "study " + s.name;
    if (!s.description.empty()) out += ": " + s.description;
    out += "\n";
    const std::size_t n = s.points.size();
    if (s.search.sample > 0) {
        out += "sample: " + group_digits(n) + (n == 1 ? " point" : " points") + " drawn (seed " +
               std::to_string(s.search.seed) + ") from the grid's " + group_digits(s.search.space);
        if (s.full_size != s.search.space) out += " (of " + group_digits(s.full_size) + " before tuples and where)";
        std::vector<std::string> drawn;
        for (const auto& a : s.axes)
            if (!a.distribution.empty()) drawn.push_back(a.name);
        if (!drawn.empty()) out += ", " + (drawn.size() == 1 ? drawn[0] : std::to_string(drawn.size()) + " values") +
                                   " drawn from " + (drawn.size() == 1 ? "its distribution" : "their distributions");
    } else {
        out += "grid: " + group_digits(n) + (n == 1 ? " point" : " points");
        if (s.full_size != n) out += " (of " + group_digits(s.full_size) + " before tuples and where)";
    }
    out += "\n";
    out += runs_summary(s);
    if (s.search.halving()) {
        const halving_plan plan = plan_halving(s);
        const bool grouped =
            std::any_of(s.axes.begin(), s.axes.end(), [](const axis& a) { return is_run_axis(a.name); });
        const std::size_t brackets = plan.brackets.size();
        std::string rungs;
        std::size_t trained = 0;
        std::vector<long> steps;
        std::vector<std::size_t> points;
        for (std::size_t i = 0; i < plan.rungs.size(); ++i) {
            const halving_rung& r = plan.rungs[i];
            if (steps.empty() && brackets > 1)
                rungs += std::string(r.bracket ? "; " : "") + "bracket " + std::to_string(r.bracket + 1) + ": ";
            rungs += (steps.empty() ? "" : ", ") + group_digits(r.points) + " x " + group_digits(std::size_t(r.until));
            steps.push_back(r.until);
            points.push_back(r.points);
            if (i + 1 == plan.rungs.size() || plan.rungs[i + 1].bracket != r.bracket) {
                trained += halving_steps(steps, points);
                steps.clear();
                points.clear();
            }
        }
        const std::size_t full = n * std::size_t(s.search.max_steps);
        out += "halving: eta " + std::to_string(s.search.eta) +
               (brackets > 1 ? ", " + std::to_string(brackets) + " brackets (Hyperband)" : "") +
               ", rungs of points x steps: " + rungs + "; at most " + group_digits(trained) + " steps in all, " +
               std::to_string(int(100.0 * double(trained) / double(full) + 0.5)) +
               " % of training every point to the end" +
               (grouped ? "; the runs of a configuration (train.seed) are ranked by their mean and go on together" : "") +
               "\n";
    }
    if (s.axes.empty()) {
        out += "axes: none (a single trainer)\n";
    } else {
        out += "axes:\n";
        std::size_t w = 0;
        for (const auto& a : s.axes) w = std::max(w, a.name.size());
        for (const auto& a : s.axes) {
            std::vector<std::string> vals;
            for (const auto& v : a.values) vals.push_back(v.text);
            std::string list;
            if (vals.size() > 12) {
                list = vals[0] + ", " + vals[1] + ", " + vals[2] + ", ..., " + vals[vals.size() - 2] + ", " + vals.back();
            } else {
                for (std::size_t i = 0; i < vals.size(); ++i) list += (i ? ", " : "") + vals[i];
            }
            out += "  " + pad(a.name, w) + "  " + std::to_string(a.values.size()) +
                   (a.values.size() == 1 ? " value:  " : " values: ") + list + (a.named ? "  (let)" : "") +
                   (a.distribution.empty() ? "" : "  (drawn: " + a.distribution + ")") + "\n";
        }
    }
    if (n == 0) return out;
    const grid_point* lo = &s.points[0];
    const grid_point* hi = &s.points[0];
    for (const auto& p : s.points) {
        if (p.params < lo->params) lo = &p;
        if (p.params > hi->params) hi = &p;
    }
    if (lo == hi)
        out += "parameters: " + group_digits(lo->params) + "\n";
    else
        out += "parameters: " + group_digits(lo->params) + " (" + lo->name + ") .. " + group_digits(hi->params) +
               " (" + hi->name + ")\n";

    const grid_point& p = s.points[0];
    out += "layers of " + p.name + ":\n";
    std::size_t w = 0, dw = 13;  // shape columns: 13 wide, wider for volumes (32 x 32 x 32 x 8)
    for (const auto& l : p.layers) w = std::max(w, l.name.size());
    for (const auto& l : p.layers) dw = std::max({dw, dims(l.in_shape).size(), dims(l.out_shape).size()});
    for (const auto& l : p.layers) {
        std::string line = "  " + pad(l.name, w) + "  " + pad(dims(l.in_shape), dw) + " -> " + pad(dims(l.out_shape), dw);
        if (l.params) line += "  " + pad(group_digits(l.params), 10, true) + " params";
        if (l.implicit) line += "  (implicit)";
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    const hps::train_config& t = p.config;
    out += "train: " + std::string(name_of(t.optimizer.kind));
    out += " lr " + format_significant(t.optimizer[optimizer_setting::lr]);  // every optimizer takes one
    out += ", loss " + std::string(name_of(t.loss)) + ", batch " + std::to_string(p.batch) + ", ";
    out += t.steps > 0 ? std::to_string(t.steps) + " steps" : std::to_string(t.epochs) + " epochs";
    out += ", " + std::to_string(t.checkpoints) + " checkpoints";
    if (s.axes.size() > 0) out += " (at " + p.name + ")";
    out += "\n";
    std::string metrics;
    for (const auto& m : p.config.metrics) {
        // a classes target's averaging: "f1 (macro)", "f1_3 (f1 class 3)"
        std::string how = m.class_index >= 0 ? "class " + std::to_string(m.class_index)
                          : m.average != metric_average::binary ? std::string(name_of(m.average))
                                                                 : "";
        if (!how.empty() && m.name != name_of(m.kind)) how = std::string(name_of(m.kind)) + " " + how;
        metrics += (metrics.empty() ? "" : ", ") + m.name + (how.empty() ? "" : " (" + how + ")");
    }
    out += "metrics: " + metrics + "; best checkpoint by " + (p.config.select_max ? "max " : "min ") + p.config.select_metric +
           "\n";
    return out;
}

}  // namespace hps
