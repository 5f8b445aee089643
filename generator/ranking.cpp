#include "generator/ranking.hpp"

#include "generator/halving.hpp"
#include "dsl/study.hpp"

#include <hps/config.hpp>
#include <hps/train/metrics_csv.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

namespace hps {

namespace {

// A point's best validation checkpoint by `r` from its metrics.csv: the first finite
// value better than every one before it (the trainer's own rule, hps::trainer::better).
// nullopt when metrics.csv is missing or has no such column.
struct checkpoint {
    long step = -1;
    std::vector<std::pair<std::string, double>> values;
};

std::optional<checkpoint> best_checkpoint(const std::string& metrics_csv, const rank_rule& r) {
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

// The note of a ranking in which some point's checkpoint was chosen in training by
// another rule than the ranking's: `rechosen` points were ranked at their best checkpoint
// by the ranking's rule, from metrics.csv; `kept` points (no metrics.csv) at the one chosen
// in training. `trained_by` lists the rules that chose them. Empty when nothing differs.
std::string checkpoint_note(const rank_rule& r, std::size_t rechosen, std::size_t kept, const std::string& trained_by) {
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

void add_name(std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

metric_stat stat_of(const std::string& name, const std::vector<double>& values) {
    metric_stat m{name, 0, std::nan(""), 0};
    for (double v : values)
        if (std::isfinite(v)) m.mean += v, ++m.n;
    if (!m.n) return {name, std::nan(""), std::nan(""), 0};
    m.mean /= m.n;
    if (m.n > 1) {
        double ss = 0;
        for (double v : values)
            if (std::isfinite(v)) ss += (v - m.mean) * (v - m.mean);
        m.sd = std::sqrt(ss / (m.n - 1));
    }
    return m;
}

double value_of(const std::vector<std::pair<std::string, double>>& list, const std::string& name) {
    for (const auto& [k, v] : list)
        if (k == name) return v;
    return std::nan("");
}

// The points of `r` grouped into configurations (point_row::configuration: every axis but
// the run axes, is_run_axis), ranked by the mean of r.key.
void group_runs(ranking& r, const study_dir& s) {
    r.configurations.clear();
    r.run_axes = run_axes_of(s);
    if (r.run_axes.empty()) return;
    std::vector<std::pair<std::size_t, std::size_t>> order;  // (first grid id, configuration)
    std::map<std::size_t, std::size_t> index;
    for (const auto& p : r.rows) {
        std::vector<std::string> axes;
        for (std::size_t k = 0; k < p.row->axis_values.size(); ++k)
            if (!r.is_run_axis(k)) axes.push_back(p.row->axis_values[k]);
        auto [it, fresh] = index.try_emplace(p.row->configuration, r.configurations.size());
        if (fresh) r.configurations.push_back(configuration{std::move(axes), {}, 0, 0, {}, {}});
        r.configurations[it->second].runs.push_back(&p);
    }
    for (auto& c : r.configurations) {
        std::vector<double> keys;
        for (const ranked_point* p : c.runs) keys.push_back(p->key);
        const metric_stat k = stat_of(r.rule.metric, keys);
        c.ranked = k.n;
        c.key = k.mean;
        for (const auto& [names, of, out] : {std::tuple{&r.metric_names, &point_state::best, &c.best},
                                             std::tuple{&r.test_names, &point_state::test, &c.test}})
            for (const auto& m : *names) {
                std::vector<double> values;
                for (const ranked_point* p : c.runs)
                    if (p->state.best_step >= 0) values.push_back(value_of(p->state.*of, m));
                out->push_back(stat_of(m, values));
            }
        std::size_t first = c.runs.front()->row->id;
        for (const ranked_point* p : c.runs) first = std::min(first, p->row->id);
        order.emplace_back(first, order.size());
    }
    std::sort(order.begin(), order.end());
    std::vector<configuration> sorted;
    for (const auto& [id, k] : order) sorted.push_back(std::move(r.configurations[k]));
    std::stable_sort(sorted.begin(), sorted.end(), [&](const configuration& x, const configuration& y) {
        const bool xn = std::isnan(x.key), yn = std::isnan(y.key);
        if (xn != yn) return !xn;
        if (xn) return false;
        return r.rule.max ? x.key > y.key : x.key < y.key;
    });
    r.configurations = std::move(sorted);
}

void write_stats(json_writer& w, const char* key, const std::vector<metric_stat>& list) {
    w.key(key).begin_object();
    for (const auto& m : list)
        w.key(m.name).begin_object().member("mean", m.mean).member("sd", m.sd).member("n", m.n).end_object();
    w.end_object();
}

}  // namespace

std::vector<int> run_axes_of(const study_dir& s) {
    std::vector<int> out;
    for (std::size_t k = 0; k < s.axis_names.size(); ++k)
        if (is_run_axis(s.axis_names[k])) out.push_back(int(k));
    return out;
}

std::size_t configuration_count(const study_dir& s) {
    if (run_axes_of(s).empty()) return 0;
    std::set<std::size_t> configurations;
    for (const auto& p : s.points) configurations.insert(p.configuration);
    return configurations.size();
}

std::string ranking::run_of(const point_row& p) const {
    std::string out;
    for (int k : run_axes) out += (out.empty() ? "" : "/") + (std::size_t(k) < p.axis_values.size() ? p.axis_values[std::size_t(k)] : "");
    return out;
}

std::string ranking::runs_word(const study_dir& s) const {
    std::string out;
    for (int k : run_axes) out += (out.empty() ? "" : "/") + s.axis_names[std::size_t(k)].substr(6) + "s";  // "train."
    return out;
}

void write_configurations(json_writer& w, const study_dir& s, const ranking& r) {
    if (r.run_axes.empty()) return;
    w.key("run_axes").begin_array();
    for (int k : r.run_axes) w.value(s.axis_names[std::size_t(k)]);
    w.end_array();
    w.key("configurations").begin_array();
    int rank = 0;
    for (const auto& c : r.configurations) {
        w.begin_object().key("rank");
        if (std::isnan(c.key)) w.null();
        else w.value(++rank);
        w.key("axes").begin_object();
        for (std::size_t k = 0, j = 0; k < s.axis_names.size(); ++k) {
            if (r.is_run_axis(k)) continue;
            w.key(s.axis_names[k]);
            write_axis_value(w, j < c.axis_values.size() ? c.axis_values[j] : std::string());
            ++j;
        }
        w.end_object();
        w.member("key", c.key).member("ranked", c.ranked).member("params", c.runs.front()->row->params);
        w.key("runs").begin_array();
        for (const ranked_point* p : c.runs) {
            w.begin_object().member("name", p->row->name);
            for (int k : r.run_axes) {  // "seed", "fold"
                w.key(s.axis_names[std::size_t(k)].substr(6));
                write_axis_value(w, p->row->axis_values[std::size_t(k)]);
            }
            w.member("status", p->state.status).member("key", p->key).end_object();
        }
        w.end_array();
        write_stats(w, "metrics", c.best);
        write_stats(w, "test", c.test);
        w.end_object();
    }
    w.end_array();
}

void write_axis_value(json_writer& w, const std::string& text) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (!text.empty() && ec == std::errc() && ptr == end && std::isfinite(v)) w.value(v);
    else w.value(text);
}

void write_metric_object(json_writer& w, const char* key, const std::vector<std::pair<std::string, double>>& list) {
    w.key(key).begin_object();
    for (const auto& [k, v] : list) w.member(k, v);
    w.end_object();
}

std::optional<bool> known_goal(const study_dir& s, const std::string& metric) {
    if (metric == s.select_metric) return s.select_max;
    if (metric == "loss") return false;
    if (const metric_info* m = find_by_name(metric_table, metric); m && m->scalar) return m->higher_is_better;
    return std::nullopt;
}

ranking read_points(const study_dir& s) {
    ranking r;
    const auto halved = halved_points(s);
    for (const auto& pt : s.points) {
        ranked_point p{&pt, read_point_state(s.path, pt), std::nan("")};
        if (auto it = halved.find(pt.identity); it != halved.end() && p.state.status == "paused") {
            p.state.status = "halved";  // a result of the study: its best before it stopped
            p.state.message = it->second;
        }
        if (!p.state.finished()) ++r.unfinished;
        for (const auto& [k, v] : p.state.best) add_name(r.metric_names, k);
        for (const auto& [k, v] : p.state.test) add_name(r.test_names, k);
        r.rows.push_back(std::move(p));
    }
    return r;
}

void rank_points(ranking& r, const study_dir& s, const rank_rule& rule) {
    r.rule = rule;
    // each finished point at its best checkpoint by the ranking's rule: the one chosen in
    // training when that rule chose it, else re-chosen from its metrics.csv
    std::size_t rechosen = 0, kept = 0;
    std::vector<std::string> trained_by;
    for (auto& p : r.rows) {
        if (p.state.best_step < 0) continue;
        if (p.state.select_metric == rule.metric && p.state.select_max == rule.max) continue;
        add_name(trained_by, rule_text(p.state.select_metric, p.state.select_max));
        if (auto c = best_checkpoint(s.path + "/" + p.row->run_dir() + "/metrics.csv", rule)) {
            ++rechosen;
            if (c->step != p.state.best_step) {  // those are of training's checkpoint
                p.state.test.clear();
                p.state.confusion.clear();
            }
            p.state.best_step = c->step;
            p.state.best = std::move(c->values);
        } else {
            ++kept;
        }
    }
    std::string trained;
    for (const auto& t : trained_by) trained += (trained.empty() ? "" : " or ") + t;
    r.note = checkpoint_note(rule, rechosen, kept, trained);

    for (auto& p : r.rows)
        if (p.state.best_step >= 0)
            if (auto v = p.state.best_value(rule.metric)) p.key = *v;
    std::stable_sort(r.rows.begin(), r.rows.end(), [&](const ranked_point& x, const ranked_point& y) {
        const bool xn = std::isnan(x.key), yn = std::isnan(y.key);
        if (xn != yn) return !xn;
        if (xn) return false;
        return rule.max ? x.key > y.key : x.key < y.key;
    });
    group_runs(r, s);
}

}  // namespace hps
