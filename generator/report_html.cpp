#include "generator/report_html.hpp"

#include "generator/embedded.hpp"
#include "generator/emit.hpp"
#include "generator/halving.hpp"

#include <hps/io.hpp>
#include <hps/train/metrics_csv.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace hps {

namespace fs = std::filesystem;

namespace {

// At most this many rows per split and point go into the page: a 192-point study with
// 200 checkpoints each stays near 2 MB; a longer history is thinned evenly.
constexpr std::size_t max_curve_rows = 400;
constexpr std::size_t max_spec_chars = 20000;
// The overfitting warning: the validation loss ended this much above its minimum.
constexpr double overfit_rise = 0.10;

// A plotted value, to 6 significant digits: plenty for a plot, half the text.
double plotted(double v) {
    if (!std::isfinite(v)) return v;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return std::strtod(buf, nullptr);
}

// A point's history from its metrics.csv (hps/train/metrics_csv.hpp).
struct curves {
    std::vector<std::string> columns;  // the loss and the metrics, as the header names them
    std::vector<long> train_step;
    std::vector<double> train_loss;
    std::vector<long> val_step;
    std::vector<std::vector<double>> val;  // [column][evaluation]
};

std::optional<curves> read_curves(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    const std::vector<std::string> header = train_detail::split_csv(line);
    if (header.size() < 4 || header[0] != "step" || header[1] != "split" || header.back() != "elapsed_s")
        return std::nullopt;
    curves c;
    c.columns.assign(header.begin() + 2, header.end() - 1);
    c.val.resize(c.columns.size());
    auto number = [](const std::string& t) { return t.empty() ? std::nan("") : std::strtod(t.c_str(), nullptr); };
    while (std::getline(in, line)) {
        const std::vector<std::string> row = train_detail::split_csv(line);
        if (row.size() != header.size()) continue;
        const long step = std::strtol(row[0].c_str(), nullptr, 10);
        if (row[1] == "train") {
            c.train_step.push_back(step);
            c.train_loss.push_back(number(row[2]));
        } else if (row[1] == "validation") {
            c.val_step.push_back(step);
            for (std::size_t k = 0; k < c.columns.size(); ++k) c.val[k].push_back(number(row[k + 2]));
        }
    }
    return c;
}

// The rows of n that go into the page: all, or every k-th and the last.
std::vector<std::size_t> kept_rows(std::size_t n) {
    std::vector<std::size_t> out;
    const std::size_t stride = n <= max_curve_rows ? 1 : (n + max_curve_rows - 2) / (max_curve_rows - 1);
    for (std::size_t i = 0; i < n; i += stride) out.push_back(i);
    if (n && out.back() != n - 1) out.push_back(n - 1);
    return out;
}

template <class T>
void series(json_writer& w, std::string_view key, const std::vector<T>& values, const std::vector<std::size_t>& rows) {
    w.key(key).begin_array();
    for (std::size_t i : rows) {
        if constexpr (std::is_floating_point_v<T>) w.value(plotted(values[i]));
        else w.value(values[i]);
    }
    w.end_array();
}

void write_curves(json_writer& w, const curves& c) {
    w.key("curves").begin_object();
    const std::vector<std::size_t> train = kept_rows(c.train_step.size()), val = kept_rows(c.val_step.size());
    w.key("train").begin_object();
    series(w, "step", c.train_step, train);
    series(w, "loss", c.train_loss, train);
    w.end_object();
    w.key("validation").begin_object();
    series(w, "step", c.val_step, val);
    for (std::size_t k = 0; k < c.columns.size(); ++k) series(w, c.columns[k], c.val[k], val);
    w.end_object();
    w.end_object();
}

struct warning {
    std::string kind, text;
    std::vector<std::string> points;
};

// "model-1, model-3": the first 12 names, then how many more (the warning's `points` has all).
std::string names_text(const std::vector<std::string>& names) {
    constexpr std::size_t shown = 12;
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (out.empty() ? "" : ", ") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Whether the validation loss ended well above its minimum while the training loss
// went on falling: the network learnt its training set past what carries over.
bool overfits(const curves& c) {
    if (c.columns.empty() || c.columns[0] != "loss" || c.val_step.size() < 3) return false;
    const std::vector<double>& loss = c.val[0];
    std::size_t low = 0;
    for (std::size_t i = 1; i < loss.size(); ++i)
        if (std::isfinite(loss[i]) && (!std::isfinite(loss[low]) || loss[i] < loss[low])) low = i;
    const double last = loss.back(), min = loss[low];
    if (low + 1 >= loss.size() || !std::isfinite(last) || !std::isfinite(min) || last - min <= overfit_rise * std::abs(min))
        return false;
    auto train_at = [&](long step) {
        for (std::size_t i = 0; i < c.train_step.size(); ++i)
            if (c.train_step[i] == step) return c.train_loss[i];
        return std::nan("");
    };
    return train_at(c.val_step.back()) < train_at(c.val_step[low]);
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

// Every '<' as \u003c: the JSON can then not end its <script> element early (</script>)
// nor open a comment there; '<' only ever occurs inside JSON strings.
std::string script_safe(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (char ch : json) {
        if (ch == '<') out += "\\u003c";
        else out += ch;
    }
    return out;
}

// ------------------------------------------------------------------ warnings
// What the reader should not miss, most serious first: failed and diverged points with
// their messages; points trained to the end whose best checkpoint is their last
// evaluation (not converged); overfitting; points with no result yet; a ranking by
// another rule than the one that chose the checkpoints.
std::vector<warning> find_warnings(const ranking& r, const std::vector<std::optional<curves>>& history) {
    std::vector<warning> out;
    auto message = [](const point_state& st) { return st.message.empty() ? std::string("no message") : st.message; };
    for (const auto& p : r.rows)
        if (p.state.status == "failed")
            out.push_back({"failed", p.row->name + " failed: " + message(p.state), {p.row->name}});
    for (const auto& p : r.rows)
        if (p.state.status == "diverged")
            out.push_back({"diverged",
                           p.row->name + " diverged: " + message(p.state) +
                               (p.state.best_step >= 0 ? "; it is ranked at its best checkpoint before that" : ""),
                           {p.row->name}});
    std::vector<std::string> last, overfit;
    std::size_t done = 0;
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const ranked_point& p = r.rows[i];
        const std::optional<curves>& c = history[i];
        if (p.state.status != "done" || p.state.best_step < 0) continue;
        ++done;
        // without metrics.csv: the run's last step, at which it was evaluated
        const long final_step = c && !c->val_step.empty() ? c->val_step.back() : p.state.steps;
        const bool several = !c || c->val_step.size() > 1;
        if (several && p.state.best_step == final_step) last.push_back(p.row->name);
        if (c && overfits(*c)) overfit.push_back(p.row->name);
    }
    if (!last.empty())
        out.push_back({"not_converged",
                       plural(last.size(), "point", "points") + " of " + std::to_string(done) + " trained to the end " +
                           (last.size() == 1 ? "has its" : "have their") +
                           " best checkpoint at the last evaluation: the validation " + r.rule.metric +
                           " was still improving (not converged); more steps may do better: " + names_text(last),
                       last});
    if (!overfit.empty())
        out.push_back({"overfitting",
                       plural(overfit.size(), "point", "points") + ": the validation loss ended more than " +
                           std::to_string(int(overfit_rise * 100)) +
                           " % above its minimum while the training loss went on falling (overfitting; the best "
                           "checkpoint is before that): " + names_text(overfit),
                       overfit});
    std::vector<std::string> waiting;
    for (const auto& p : r.rows)
        if (!p.state.finished() && p.state.status != "failed") waiting.push_back(p.row->name);
    if (!waiting.empty())
        out.push_back({"unfinished",
                       plural(waiting.size(), "point has", "points have") +
                           " no result yet (pending, running or interrupted): this page shows the study so far; "
                           "`hpsgen run` refreshes it as points finish, `hpsgen report` at any time",
                       waiting});
    if (!r.note.empty()) out.push_back({"ranking", r.note, {}});
    return out;
}

// ------------------------------------------------------------------ the object's parts
void write_point(json_writer& w, const ranked_point& p, int rank, const std::optional<curves>& history) {
    const point_state& st = p.state;
    w.begin_object().member("name", p.row->name).member("id", p.row->id).key("rank");
    if (rank > 0) w.value(rank);
    else w.null();
    w.key("key").value(p.key);
    w.key("axes").begin_array();
    for (const auto& v : p.row->axis_values) write_axis_value(w, v);
    w.end_array();
    w.member("params", p.row->params).member("status", st.status).member("message", st.message);
    w.member("best_step", st.best_step).member("steps", st.steps).member("total_steps", st.total_steps);
    write_metric_object(w, "best", st.best);
    write_metric_object(w, "test", st.test);
    w.member("wall_seconds", st.wall_seconds).member("threads", st.threads);
    w.member("samples_per_second", st.samples_per_second);
    w.member("identity", p.row->identity).member("run_dir", p.row->run_dir());
    if (history) write_curves(w, *history);
    else w.key("curves").null();
    w.end_object();
}

// What a trainer said of its data, the first line of its train.log (hps/train/trainer.hpp:
// "[model-3] data: 54000 training, 6000 validation, 10000 test samples; 1500 steps of 64
// (1.78 epochs)"), from "54000"; "" when the log has no such line. The sizes are nowhere
// else: result.json does not record them.
std::string data_line(const fs::path& train_log) {
    std::ifstream in(train_log);
    std::string line;
    for (int i = 0; i < 20 && std::getline(in, line); ++i)
        if (const auto at = line.find("] data: "); at != std::string::npos) return line.substr(at + 8);
    return {};
}

// A result.json array of numbers (null where not a number), as plotted.
void numbers(json_writer& w, std::string_view key, const nlohmann::json& values) {
    w.key(key).begin_array();
    if (values.is_array())
        for (const auto& v : values) {
            if (v.is_number()) w.value(plotted(v.get<double>()));
            else w.null();
        }
    w.end_array();
}

// From the best checkpoint in result.json (hps/train/results.hpp): a classes target's
// per-class scores ("per_class": {precision, recall, f1, support}) and a binary target's
// ROC and precision-recall curves ("roc": {auc, fpr, tpr, threshold}, "pr":
// {average_precision, recall, precision, threshold}); null where result.json has none.
void write_best_details(json_writer& w, const fs::path& result_file) {
    const nlohmann::json j = nlohmann::json::parse(read_study_file(result_file), nullptr, false);
    const nlohmann::json none;
    const nlohmann::json& best = j.is_object() && j.contains("best") && j["best"].is_object() ? j["best"] : none;
    const nlohmann::json& per = best.is_object() ? best.value("per_class", none) : none;
    w.key("per_class");
    if (per.is_object()) {
        w.begin_object();
        for (const char* key : {"precision", "recall", "f1", "support"}) numbers(w, key, per.value(key, none));
        w.end_object();
    } else {
        w.null();
    }
    const nlohmann::json& c = best.is_object() ? best.value("curves", none) : none;
    for (const auto& [key, area, x, y] : {std::tuple{"roc", "auc", "fpr", "tpr"}, {"pr", "average_precision", "recall", "precision"}}) {
        const nlohmann::json& curve = c.is_object() ? c.value(key, none) : none;
        w.key(key);
        if (!curve.is_object()) {
            w.null();
            continue;
        }
        w.begin_object();
        const nlohmann::json& a = curve.value(area, none);
        w.key(area);
        if (a.is_number()) w.value(a.get<double>());
        else w.null();
        numbers(w, x, curve.value(x, none));
        numbers(w, y, curve.value(y, none));
        numbers(w, "threshold", curve.value("threshold", none));
        w.end_object();
    }
}

// The first point, when ranked: its files, its settings, its data, its confusion matrix,
// per-class scores and curves.
void write_best(json_writer& w, const fs::path& dir, const ranking& r) {
    w.key("best");
    if (r.rows.empty() || std::isnan(r.rows.front().key)) {
        w.null();
        return;
    }
    // with repeats: the best run of the configuration with the best mean
    const ranked_point& b = r.configurations.empty() ? r.rows.front() : *r.configurations.front().runs.front();
    const fs::path run = dir / b.row->run_dir();
    w.begin_object().member("name", b.row->name).member("run_dir", b.row->run_dir());
    w.member("best_npz", fs::exists(run / "best.npz")).member("model_py", fs::exists(run / "model.py"));
    std::string settings = read_study_file(run / "settings.json");
    if (settings.size() > max_spec_chars) settings = settings.substr(0, max_spec_chars);
    w.member("settings", settings).member("data", data_line(run / "train.log"));
    w.key("confusion");
    if (b.state.confusion.empty()) {
        w.null();
    } else {
        w.begin_array();
        for (const auto& row : b.state.confusion) {
            w.begin_array();
            for (long v : row) w.value(v);
            w.end_array();
        }
        w.end_array();
    }
    write_best_details(w, run / "result.json");
    w.end_object();
}

// Per axis, per value (in grid order): its points, how many are ranked, their best and
// mean key.
void write_axis_summary(json_writer& w, const study_dir& s, const ranking& r) {
    w.key("axis_summary").begin_array();
    for (std::size_t k = 0; k < s.axis_names.size(); ++k) {
        std::vector<std::string> values;
        for (const auto& p : s.points)
            if (k < p.axis_values.size() && std::find(values.begin(), values.end(), p.axis_values[k]) == values.end())
                values.push_back(p.axis_values[k]);
        w.begin_object().member("axis", s.axis_names[k]).key("values").begin_array();
        for (const auto& v : values) {
            std::size_t n = 0, ranked = 0;
            double best = std::nan(""), sum = 0;
            for (const auto& p : r.rows) {
                if (k >= p.row->axis_values.size() || p.row->axis_values[k] != v) continue;
                ++n;
                if (std::isnan(p.key)) continue;
                ++ranked;
                sum += p.key;
                if (std::isnan(best) || (r.rule.max ? p.key > best : p.key < best)) best = p.key;
            }
            w.begin_object().key("value");
            write_axis_value(w, v);
            w.member("points", n).member("ranked", ranked).member("best", best);
            w.member("mean", ranked ? sum / double(ranked) : std::nan("")).end_object();
        }
        w.end_array().end_object();
    }
    w.end_array();
}

// Results of earlier versions of the spec, kept in results/ (hpsgen status lists them).
void write_outside_grid(json_writer& w, const study_dir& s, const ranking& r) {
    w.key("outside_grid").begin_array();
    for (const auto& o : results_outside_grid(s)) {
        std::string axes;
        for (const auto& v : o.row.axis_values) axes += (axes.empty() ? "" : ", ") + v;
        w.begin_object().member("identity", o.row.identity).member("was", o.row.name).member("axes", axes);
        w.member("params", o.row.params).member("status", o.state.status).member("run_dir", o.row.run_dir());
        w.key("key").value(o.state.best_value(r.rule.metric).value_or(std::nan(""))).end_object();
    }
    w.end_array();
}

void write_strings(json_writer& w, std::string_view key, const std::vector<std::string>& list) {
    w.key(key).begin_array();
    for (const auto& x : list) w.value(x);
    w.end_array();
}

}  // namespace

std::string report_data(const study_dir& s, const ranking& r) {
    const fs::path dir(s.path);
    std::vector<std::optional<curves>> history;
    for (const auto& p : r.rows) history.push_back(read_curves(dir / p.row->run_dir() / "metrics.csv"));

    // the plotted columns, first seen first (loss leads: every metrics.csv has it first)
    std::vector<std::string> columns;
    for (const auto& c : history)
        if (c)
            for (const auto& k : c->columns)
                if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);

    std::map<std::string, int> counts;
    double core_seconds = 0, wall_total = 0, wall_max = 0;
    for (const auto& p : r.rows) {
        ++counts[p.state.status];
        core_seconds += p.state.wall_seconds * std::max(1, p.state.threads);
        wall_total += p.state.wall_seconds;
        wall_max = std::max(wall_max, p.state.wall_seconds);
    }

    json_writer w(0);
    w.begin_object().member("format", 1).member("study", s.study).member("description", s.description);
    w.member("folder", s.path).member("spec_path", s.spec).member("written_at", utc_now());
    std::string spec = read_study_file(dir / "study.hps");
    const bool cut = spec.size() > max_spec_chars;
    if (cut) spec = spec.substr(0, max_spec_chars);
    w.member("spec", spec).member("spec_cut", cut);
    w.key("select").begin_object().member("metric", r.rule.metric).member("goal", goal_text(r.rule.max));
    w.member("split", "validation").member("is_spec_rule", r.rule.metric == s.select_metric && r.rule.max == s.select_max);
    w.end_object();
    write_strings(w, "axes", s.axis_names);
    write_strings(w, "metrics", r.metric_names);
    write_strings(w, "test_metrics", r.test_names);
    write_strings(w, "curve_columns", columns);
    w.key("counts").begin_object().member("points", r.rows.size());
    for (const char* k : {"done", "early_stopped", "diverged", "halved", "failed", "interrupted", "pending"})
        w.member(k, counts.count(k) ? counts.at(k) : 0);
    w.end_object();
    w.member("core_hours", core_seconds / 3600).member("wall_seconds_total", wall_total);
    w.member("wall_seconds_max", wall_max);

    w.key("points").begin_array();
    int rank = 0;
    for (std::size_t i = 0; i < r.rows.size(); ++i) write_point(w, r.rows[i], std::isnan(r.rows[i].key) ? 0 : ++rank, history[i]);
    w.end_array();
    write_configurations(w, s, r);  // with a run axis (seed, fold): ranked by their mean
    write_best(w, dir, r);
    write_axis_summary(w, s, r);
    write_outside_grid(w, s, r);
    // successive halving: every rung's ranking (DIR/halving.json), null for a study without
    w.key("halving");
    if (const auto rungs = read_halving_state(s.path); s.rungs.empty() || rungs.empty()) {
        w.null();
    } else {
        w.begin_object().member("eta", s.eta).member("brackets", s.brackets).member("grouped", s.grouped);
        w.key("planned").begin_array();
        for (long b : s.rungs) w.value(b);
        w.end_array().key("rungs").begin_array();
        for (const auto& g : rungs) {
            w.begin_object().member("bracket", g.bracket + 1).member("rung", g.rung - g.bracket + 1);
            w.member("steps", g.steps).key("points").begin_array();
            for (const auto& p : g.points) {
                w.begin_object().member("name", p.name).member("promoted", p.promoted).key("value");
                if (p.reached) w.value(p.value);
                else w.null();
                if (s.grouped) {
                    w.key("mean");
                    if (p.rank) w.value(p.mean);
                    else w.null();
                    w.member("rank", p.rank).member("of", g.configurations);
                }
                w.end_object();
            }
            w.end_array().end_object();
        }
        w.end_array().key("winner");
        if (const auto win = winner_of(s, rungs)) {
            w.begin_object().member("bracket", win->bracket + 1).member("value", win->value).key("points").begin_array();
            for (const auto& n : win->names) w.value(n);
            w.end_array().end_object();
        } else {
            w.null();
        }
        w.end_object();
    }
    w.key("warnings").begin_array();
    for (const auto& x : find_warnings(r, history)) {
        w.begin_object().member("kind", x.kind).member("text", x.text);
        write_strings(w, "points", x.points);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return script_safe(w.str());
}

std::string report_html(const study_dir& s, const ranking& r) {
    return render(embedded::contents("templates/report.html.in"),
                  {{"chartjs", std::string(embedded::contents("vendor/chart.min.js"))},
                   {"script", std::string(embedded::contents("templates/report.js"))},
                   {"data", report_data(s, r)}});
}

void write_report_html(const std::string& dir, const std::string& path) {
    const study_dir s = load_study_dir(dir);
    ranking r = read_points(s);
    rank_points(r, s, spec_rule(s));
    write_file_atomic(path, report_html(s, r));
}

}  // namespace hps
