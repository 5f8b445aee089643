#include "generator/cost.hpp"

#include "dsl/data_check.hpp"
#include "dsl/expand.hpp"
#include "dsl/layer_kind.hpp"
#include "generator/emit.hpp"
#include "generator/expand.hpp"
#include "generator/slurm.hpp"

#include <hps/io.hpp>
#include <hps/train/continuation.hpp>


#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

namespace hps::cost {

namespace {

std::vector<std::string> paths_of(const grid_point& p) {
    std::vector<std::string> out;
    for (const std::string* path : {&p.config.train, &p.config.validation, &p.config.test})
        if (!path->empty()) out.push_back(*path);
    return out;
}

// hps::optimizer's state_slots(): sgd/momentum [momentum_buffer if momentum > 0], adam
// and adamw [exp_avg, exp_avg_sq], rmsprop [square_avg, grad_avg if centered, momentum_buffer if
// momentum > 0], adadelta [square_avg, acc_delta]
std::size_t optimizer_slots(const optimizer_config& c) {
    auto get = [&](optimizer_setting k) { return c.takes(k) ? c[k] : 0.0; };
    const std::size_t momentum = get(optimizer_setting::momentum) > 0 ? 1 : 0;
    switch (c.kind) {
        case optimizer_kind::sgd:
        case optimizer_kind::momentum: return momentum;
        case optimizer_kind::adam:
        case optimizer_kind::adamw: return 2;
        case optimizer_kind::rmsprop: return 1 + (get(optimizer_setting::centered) == 1 ? 1 : 0) + momentum;
        case optimizer_kind::adadelta: return 2;
    }
    return 2;
}

std::size_t floats(const std::vector<int>& shape, int batch) { return layer_text::size(shape) * std::size_t(batch); }

}  // namespace

std::string spec_folder(const std::string& spec) {
    const std::string dir = std::filesystem::path(spec).parent_path().string();
    return dir.empty() ? "" : dir + "/";
}

std::map<std::string, data_header> data_files(const study& s, const std::string& folder) {
    std::map<std::string, data_header> out;
    std::set<std::string> tried;
    for (const grid_point& p : s.points)
        for (const std::string& path : paths_of(p)) {
            if (!tried.insert(path).second) continue;
            // one that cannot be opened: the data check reports it; here its size is unknown
            if (auto h = read_data_header(prefixed_data_path(path, folder), p)) out[path] = *h;
        }
    return out;
}

std::optional<std::size_t> training_samples(const grid_point& p, const std::map<std::string, data_header>& files) {
    auto it = files.find(p.config.train);
    if (it == files.end()) return std::nullopt;
    const std::size_t n = it->second.samples;
    if (!p.config.validation.empty()) return n;
    if (p.config.folds > 0) {  // hps::fold_indices_of: fold k is [k*n/K, (k+1)*n/K) of a shuffle
        const auto cut = [&](int k) { return std::size_t(k) * n / std::size_t(p.config.folds); };
        return n - (cut(p.config.fold + 1) - cut(p.config.fold));
    }
    if (p.config.split <= 0) return n;
    // hps::split's rounding: the validation part is round(split * n), at least one in each part
    const std::size_t val = std::clamp<std::size_t>(std::size_t(std::llround(p.config.split * double(n))), 1,
                                                    n > 1 ? n - 1 : 1);
    return n - val;
}

int point_ranks(const grid_point& p) { return std::max(1, p.config.ranks); }
int rank_batch(const grid_point& p) { return std::max(1, p.batch / point_ranks(p)); }

double exchange_seconds(const grid_point& p) {
    const double n = point_ranks(p);
    return 2.0 * (n - 1) / n * double(p.params) * sizeof(float) / kExchangeRate;
}

memory point_memory(const grid_point& p, const std::map<std::string, data_header>& files) {
    memory m;
    const int B = rank_batch(p);  // each rank's buffers; its data is a whole copy
    std::size_t largest = layer_text::size(p.input);  // the delta buffers' size: the largest activation
    for (const layer& l : p.layers) {
        const layer_kind* kind = find_layer_kind(l.kind);
        m.params += l.params;
        if (kind && kind->memory) {
            const layer_memory lm = kind->memory(l, B);
            m.layer_state += lm.state;
            m.scratch += lm.scratch;
        }
        if (!(kind && kind->is_view)) m.activations += floats(l.out_shape, B);
        largest = std::max(largest, layer_text::size(l.out_shape));
    }
    m.grads = m.params;
    m.deltas = 2 * largest * std::size_t(B);
    m.optimizer = optimizer_slots(p.config.optimizer) * m.params;
    // the best parameters and state, and the copy of the current ones that restores them
    m.best = 2 * (m.params + m.layer_state);
    const std::size_t in = layer_text::size(p.input), out = p.layers.empty() ? 0 : layer_text::size(p.layers.back().out_shape);
    const std::size_t targets = std::size_t(std::max(1, p.config.outputs));
    // training: x, y, dy; evaluation: x, y, and y and outputs before normalisation
    m.batches = std::size_t(B) * (2 * in + 3 * targets + 2 * out);
    m.data_known = true;
    std::size_t sets = 0;
    for (const std::string& path : paths_of(p)) {
        auto it = files.find(path);
        if (it == files.end()) {
            m.data_known = false;
            continue;
        }
        const std::size_t f = it->second.samples * it->second.floats_per_sample;
        sets += f;
        if (path == p.config.train) {
            // a split copies the training set into its two parts while the whole is held
            if (p.config.validation.empty() && (p.config.split > 0 || p.config.folds > 0)) sets += f;
            // the shuffle's permutation (an int a sample), and the targets read as doubles
            // (two floats a value) before they become floats
            const std::size_t targets = p.config.target == target_kind::regression ? std::size_t(p.config.outputs) : 1;
            sets += it->second.samples * (1 + 2 * targets);
        }
    }
    m.data = sets;
    return m;
}

double forward_flops(const grid_point& p) {
    double f = 0;
    for (const layer& l : p.layers) {
        const layer_kind* kind = find_layer_kind(l.kind);
        f += kind && kind->flops ? kind->flops(l) : 2.0 * double(l.params) + double(layer_text::size(l.out_shape));
    }
    return f;
}

std::optional<workload> point_workload(const grid_point& p, const std::map<std::string, data_header>& files) {
    workload w;
    if (p.config.steps > 0) {
        w.steps = double(p.config.steps);
    } else {
        auto n = training_samples(p, files);
        if (!n) return std::nullopt;
        w.steps = double(p.config.epochs) * double(*n / std::size_t(p.batch));  // the trainer drops a partial batch
    }
    // each of the `checkpoints` evaluations is a forward pass over the validation set (the
    // validation file's, or the split's or fold's share); the test set once, at the end
    if (auto v = files.find(p.config.validation); v != files.end()) {
        w.evaluated = double(std::max(1, p.config.checkpoints)) * double(v->second.samples);
    } else if (p.config.validation.empty() && (p.config.split > 0 || p.config.folds > 0)) {
        auto n = training_samples(p, files);
        auto t = files.find(p.config.train);
        if (n && t != files.end()) w.evaluated = double(std::max(1, p.config.checkpoints)) * double(t->second.samples - *n);
    }
    if (auto t = files.find(p.config.test); !p.config.test.empty() && t != files.end()) w.evaluated += double(t->second.samples);
    return w;
}

std::optional<workload> point_workload(const grid_point& p, const std::map<std::string, data_header>& files, long from,
                                       long until) {
    auto w = point_workload(p, files);
    if (!w || p.config.steps <= 0) return std::nullopt;
    const long total = p.config.steps;
    until = std::clamp(until, 0L, total);
    from = std::clamp(from, 0L, until);
    const int checkpoints = std::max(1, p.config.checkpoints);
    double passes = 0;  // validation passes in (from, until]
    for (long at : train_detail::checkpoint_steps(total, checkpoints)) passes += at > from && at <= until;
    double test = 0;
    if (auto t = files.find(p.config.test); !p.config.test.empty() && t != files.end()) test = double(t->second.samples);
    const double per_pass = (w->evaluated - test) / double(checkpoints);
    w->steps = double(until - from);
    w->evaluated = passes * per_pass + (until == total ? test : 0.0);
    return w;
}

namespace {

double estimated_seconds(const grid_point& p, const workload& w, int cpus, double rate) {
    return forward_flops(p) * (3.0 * w.steps * rank_batch(p) + w.evaluated) / (rate * std::max(1, cpus)) +
           w.steps * exchange_seconds(p);
}

}  // namespace

std::optional<double> point_seconds(const grid_point& p, const std::map<std::string, data_header>& files, int cpus,
                                    double rate) {
    const auto w = point_workload(p, files);
    if (!w) return std::nullopt;
    return estimated_seconds(p, *w, cpus, rate);
}

std::optional<double> rung_seconds(const grid_point& p, const std::map<std::string, data_header>& files, long from,
                                   long until, const calibration* c, int cpus, double rate) {
    const auto w = point_workload(p, files, from, until);
    if (!w) return std::nullopt;
    return c ? workload_seconds(p, *w, *c, cpus) : estimated_seconds(p, *w, cpus, rate);
}

std::optional<double> calibrated_seconds(const grid_point& p, const std::map<std::string, data_header>& files,
                                         const calibration& c, int cpus) {
    const auto w = point_workload(p, files);
    if (!w) return std::nullopt;
    return workload_seconds(p, *w, c, cpus);
}

double workload_seconds(const grid_point& p, const workload& w, const calibration& c, int cpus) {
    const double batches = std::ceil(w.evaluated / double(rank_batch(p)));  // rank 0 evaluates in batches of B/N
    const double at_threads = w.steps * c.step_seconds + batches * c.eval_batch_seconds;
    return at_threads * double(c.threads) / double(std::max(c.threads, cpus)) + w.steps * exchange_seconds(p);
}

long time_request(double seconds, std::optional<long> cap) {
    long t = long(std::ceil((seconds * kTimeMargin + double(kTimeSlack)) / 60.0)) * 60;
    if (cap && *cap > 0) t = std::min(t, *cap);
    return t;
}

std::size_t mem_class(std::size_t mib) {
    std::size_t step = 64;
    for (int i = 0; step < mib; ++i) step = i % 2 == 0 ? step * 3 / 2 : step * 4 / 3;  // 64 96 128 192 256 ...
    return step;
}

long time_class(long seconds) {
    static const long minutes[] = {10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960, 1440};
    for (long m : minutes)
        if (seconds <= m * 60) return m * 60;
    return (seconds + 86399) / 86400 * 86400;
}

std::string mem_request(std::size_t bytes) {
    const double mib = (double(bytes) * kMemMargin + double(kTaskOverhead)) / double(1 << 20);
    return std::to_string(std::size_t(std::ceil(mib))) + "M";
}

std::string format_bytes(std::size_t bytes) {
    char buf[32];
    const double mib = double(bytes) / double(1 << 20);
    if (mib >= 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", mib / 1024);
    else std::snprintf(buf, sizeof buf, "%.1f MiB", mib);
    return buf;
}

std::string format_seconds(double seconds) {
    char buf[32];
    if (seconds >= 3600) std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
    else if (seconds >= 60) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
    else std::snprintf(buf, sizeof buf, "%.0f s", seconds);
    return buf;
}

std::string array_mem(const study& s, const std::map<std::string, data_header>& files) {
    if (!s.slurm.mem.empty()) return s.slurm.mem;
    std::size_t most = 0;
    for (const grid_point& p : s.points) {
        const memory m = point_memory(p, files);
        if (!m.data_known) return "";  // a request without the data would be too small
        most = std::max(most, m.bytes());
    }
    return most ? mem_request(most) : "";
}

std::string memory_summary(const study& s, const std::map<std::string, data_header>& files) {
    if (s.points.empty()) return "";
    const grid_point *least = nullptr, *most = nullptr;
    std::size_t lo = 0, hi = 0;
    bool unknown = false;
    for (const grid_point& p : s.points) {
        const memory m = point_memory(p, files);
        unknown = unknown || !m.data_known;
        if (!least || m.bytes() < lo) least = &p, lo = m.bytes();
        if (!most || m.bytes() > hi) most = &p, hi = m.bytes();
    }
    const bool ranks = s.slurm.ranks > 1;
    std::string out = std::string(ranks ? "memory per rank: " : "memory per point: ") + format_bytes(lo) + " (" +
                      least->name + ") to " + format_bytes(hi) + " (" + most->name + ")" +
                      (unknown ? ", without the data files that could not be opened" : "") + "\n";
    const std::string mem = array_mem(s, files);
    if (mem.empty())
        out += "sbatch: no --mem (the data files could not be opened here: give slurm { mem }, or generate where they are)\n";
    else
        out += "sbatch " + slurm::mem_option(mem, s.slurm.ranks, s.slurm.cpus) +
               (s.slurm.mem.empty() ? " (the largest point + 20 % + " + std::to_string(kTaskOverhead >> 20) + " MiB"
                                    : " (the spec's slurm mem") +
               (ranks ? ", " + mem + " a rank over its " + std::to_string(std::max(1, s.slurm.cpus)) + " cpus" : "") +
               ")\n";
    return out;
}

namespace {

// A point's calibration, when its trainer has one.
const calibration* calibration_of(const grid_point& p, const calibrations& calibrated) {
    const auto c = calibrated.find(signature_of(p).trainer);
    return c == calibrated.end() ? nullptr : &c->second;
}

// The tasks' line: what each task requests.
std::string task_mem(const study& s, const std::map<std::string, data_header>& files) {
    const std::string most = array_mem(s, files);
    const std::string option = slurm::mem_option(most, s.slurm.ranks, s.slurm.cpus);
    const std::string of_rank = s.slurm.ranks > 1 ? ", " + most + " a rank" : "";
    return !s.slurm.mem.empty() ? option + " (the spec's" + of_rank + ")"
           : most.empty()       ? std::string("no --mem (data unknown)")
                                : "the memory of its class, the largest request of its points (at most " + option +
                                      of_rank + ")";
}

// "12 cpus", or a `ranks` point's "2 ranks x 12 cpus"
std::string task_cpus(const study& s) {
    const int cpus = std::max(1, s.slurm.cpus);
    const std::string text = std::to_string(cpus) + (cpus == 1 ? " cpu" : " cpus");
    return s.slurm.ranks > 1 ? std::to_string(s.slurm.ranks) + " ranks x " + text : text;
}

// The cores a task holds: its cpus in each of its ranks.
int task_cores(const study& s) { return std::max(1, s.slurm.cpus) * std::max(1, s.slurm.ranks); }

// The lines after the totals: what the memory and the times are.
std::string cost_notes(const study& s, std::size_t n_calibrated, std::optional<long> cap) {
    std::string out = "memory: the runtime's buffers + the data + " + std::to_string(kFixedOverhead >> 20) +
                      " MiB measured overhead; a request adds 20 % and " + std::to_string(kTaskOverhead >> 20) +
                      " MiB for the batch shell.\n";
    if (s.slurm.ranks > 1) {
        const std::string n = std::to_string(s.slurm.ranks);
        out += "ranks " + n + ": memory and request are one rank's (its network at batch / " + n +
               ", a whole copy of the data), asked as --mem-per-cpu (the request / cpus: a node gets it for each cpu "
               "of the ranks it holds);\n  a rank's time: its steps at batch / " + n +
               " and the gradient exchange (2 x (ranks-1)/ranks x the parameters' bytes a step, at " +
               format_number(kExchangeRate / 1e9) + " GB/s, measured between 2 ranks on one node), the evaluation on "
               "rank 0; core-hours: " + n +
               " ranks x cpus x time\n";
    }
    if (n_calibrated > 0)
        out += "time: calibrated on this machine for " + std::to_string(n_calibrated) + " of " +
               std::to_string(s.points.size()) +
               " points (each trainer's --calibrate: its steps and evaluation batches at their measured time); "
               "--time: x " + format_number(kTimeMargin) + " + " + std::to_string(kTimeSlack / 60) + " min" +
               (cap ? ", at most the partition's MaxTime " + slurm::format_time(*cap) : std::string()) +
               (s.slurm.time.empty() ? "" : " (the spec's `time` overrides it)") + "\n";
    if (n_calibrated < s.points.size())
        out += std::string(n_calibrated ? "the others: " : "time: ") +
               "MFLOP per sample trained (3 x its forward pass) x samples trained, + a forward pass per sample "
               "evaluated,\nat a default " + std::to_string(int(kDefaultRate / 1e9)) +
               " GFLOP/s per cpu (estimated, not calibrated here: hpsgen submit calibrates the trainers it builds; "
               "docs/slurm.md); no --time from an estimate\n";
    return out;
}

std::string plural(std::size_t n, const std::string& word) {
    return group_digits(n) + " " + word + (n == 1 ? "" : "s");
}

// cost_table of a halving study: a column per rung (by the steps it trains to), a line per
// rung of each bracket, the sum of the rungs.
std::string halving_cost_table(const study& s, const std::map<std::string, data_header>& files,
                               const calibrations& calibrated, std::optional<long> cap) {
    const halving_plan plan = plan_halving(s);
    const std::vector<long> steps = s.search.rungs();
    const bool brackets = plan.brackets.size() > 1;
    const bool grouped = std::any_of(s.axes.begin(), s.axes.end(), [](const axis& a) { return is_run_axis(a.name); });
    const int cpus = std::max(1, s.slurm.cpus);
    std::size_t width = 5;
    for (const grid_point& p : s.points) width = std::max(width, p.name.size());
    std::vector<std::string> columns;
    for (long at : steps) columns.push_back("to " + group_digits(std::size_t(at)));
    char line[320];
    std::snprintf(line, sizeof line, "%-*s %10s %12s %8s %10s", int(width), "point", "params", "memory", "request",
                  "MFLOP");
    std::string out = line;
    if (brackets) out += " bracket";
    for (const std::string& c : columns) {
        std::snprintf(line, sizeof line, " %10s", c.c_str());
        out += line;
    }
    out += " from\n";
    // each point's time in each rung of its bracket (unset where its bracket has no such
    // rung or its time is unknown), and to the end
    std::vector<std::vector<std::optional<double>>> in_rung(s.points.size(), std::vector<std::optional<double>>(steps.size()));
    double to_end = 0;
    std::size_t n_calibrated = 0;
    bool time_unknown = false;
    for (const grid_point& p : s.points) {
        const std::size_t b = s.search.bracket_of.empty() ? 0 : s.search.bracket_of[p.id];
        const calibration* c = calibration_of(p, calibrated);
        n_calibrated += c != nullptr;
        const memory m = point_memory(p, files);
        std::snprintf(line, sizeof line, "%-*s %10zu %12s %8s %10.2f", int(width), p.name.c_str(), p.params,
                      (format_bytes(m.bytes()) + (m.data_known ? "" : "?")).c_str(), mem_request(m.bytes()).c_str(),
                      3.0 * forward_flops(p) / 1e6);
        out += line;
        if (brackets) {
            std::snprintf(line, sizeof line, " %7zu", b + 1);
            out += line;
        }
        for (std::size_t r = 0; r < steps.size(); ++r) {
            std::string cell = "-";
            if (r >= b) {
                in_rung[p.id][r] = rung_seconds(p, files, r == b ? 0 : steps[r - 1], steps[r], c, cpus);
                cell = in_rung[p.id][r] ? format_seconds(*in_rung[p.id][r]) : "?";
                time_unknown = time_unknown || !in_rung[p.id][r];
            }
            std::snprintf(line, sizeof line, " %*s", int(std::max<std::size_t>(10, columns[r].size())), cell.c_str());
            out += line;
        }
        if (const auto t = rung_seconds(p, files, 0, s.search.max_steps, c, cpus)) to_end += *t;
        out += std::string(" ") + (c ? "calibrated" : "estimated") + "\n";
    }

    // each rung: its candidates (the bracket's configurations), the most expensive of them
    // that it can promote
    out += "\nrungs (halving, eta " + std::to_string(s.search.eta) + "):\n";
    double seconds = 0;
    std::size_t tasks = 0;
    bool bound = false;
    for (const halving_rung& r : plan.rungs) {
        const auto& candidates = plan.brackets[r.bracket];
        std::vector<double> costs;  // per configuration: its points' time in the rung
        std::optional<double> least, most;
        std::optional<long> least_limit, most_limit;
        std::size_t n_points = 0;
        for (const auto& ids : candidates) {
            double sum = 0;
            for (std::size_t id : ids) {
                ++n_points;
                const std::optional<double>& t = in_rung[id][r.rung];
                if (!t) continue;
                sum += *t;
                least = std::min(least.value_or(*t), *t);
                most = std::max(most.value_or(*t), *t);
                if (calibration_of(s.points[id], calibrated)) {
                    const long limit = time_request(*t, cap);
                    least_limit = std::min(least_limit.value_or(limit), limit);
                    most_limit = std::max(most_limit.value_or(limit), limit);
                }
            }
            costs.push_back(sum);
        }
        std::sort(costs.rbegin(), costs.rend());
        double rung = 0;
        for (std::size_t k = 0; k < r.configurations && k < costs.size(); ++k) rung += costs[k];
        const bool all = r.configurations >= candidates.size();
        bound = bound || !all;
        seconds += rung;
        tasks += r.points;
        const std::size_t in_bracket = steps.size() - r.bracket;
        std::string label = "rung " + std::to_string(r.rung - r.bracket + 1) + " of " + std::to_string(in_bracket);
        if (brackets) label = "bracket " + std::to_string(r.bracket + 1) + " of " + std::to_string(plan.brackets.size()) + ", " + label;
        std::string who;
        if (grouped)
            who = all ? plural(n_points, "point") + " (" + plural(candidates.size(), "configuration") + ")"
                      : group_digits(r.configurations) + " of " + plural(candidates.size(), "configuration") +
                            " (at most " + plural(r.points, "point") + ")";
        else
            who = all ? plural(n_points, "point") : group_digits(r.configurations) + " of " + plural(n_points, "point");
        const auto span = [](const std::string& a, const std::string& b) { return a == b ? a : a + " to " + b; };
        out += "  " + label + ", steps " + group_digits(std::size_t(r.from)) + " to " + group_digits(std::size_t(r.until)) +
               ": " + who + " x " + group_digits(std::size_t(r.until - r.from)) + " steps, " +
               (most ? span(format_seconds(*least), format_seconds(*most)) : std::string("?")) + " a point: " +
               (all ? "" : "at most ") + format_seconds(rung) +
               (all ? ""
                    : " (the " + std::string(r.configurations == 1 ? "" : group_digits(r.configurations) + " ") +
                          "most expensive" +
                          (grouped ? std::string(r.configurations == 1 ? " configuration" : " configurations") : "") + ")");
        if (!s.slurm.time.empty())
            out += "; --time " + s.slurm.time;
        else if (most_limit)
            out += "; --time " + span(slurm::format_time(*least_limit), slurm::format_time(*most_limit));
        out += "\n";
    }

    out += "\n" + plural(s.points.size(), "point") + " in " +
           (brackets ? std::to_string(plan.brackets.size()) + " brackets, " + plural(plan.rungs.size(), "rung") + " in all"
                     : plural(plan.rungs.size(), "rung")) +
           ": " + (bound ? "at most " : "") + plural(tasks, "task") + " (a point each), " + task_cpus(s) +
           " each; every task requests " + task_mem(s, files) + "\n";
    std::snprintf(line, sizeof line, "total: %s%.1f core-hours%s (%.1f hours of training), the sum of the rungs; "
                  "every point trained to the end: %.1f core-hours\n",
                  bound ? "at most " : "", seconds * task_cores(s) / 3600,
                  time_unknown ? " for the points of known time" : "", seconds / 3600, to_end * task_cores(s) / 3600);
    out += line;
    out += cost_notes(s, n_calibrated, cap);
    out += "rungs: a point's time in a rung is that of its steps since the rung before (where it paused) and of "
           "its validation passes between;\nwhich points a rung promotes is known once it is ranked, so a rung after "
           "a bracket's first counts its most expensive candidates\n";
    return out;
}

}  // namespace

std::string cost_table(const study& s, const std::map<std::string, data_header>& files, const calibrations& calibrated,
                       std::optional<long> cap) {
    if (s.search.halving()) return halving_cost_table(s, files, calibrated, cap);
    std::size_t width = 5;
    for (const grid_point& p : s.points) width = std::max(width, p.name.size());
    char line[320];
    std::string out;
    const int cpus = std::max(1, s.slurm.cpus);
    std::snprintf(line, sizeof line, "%-*s %10s %12s %8s %10s %10s %-10s %9s\n", int(width), "point", "params", "memory",
                  "request", "MFLOP", "time", "from", "--time");
    out += line;
    double seconds = 0;
    bool time_unknown = false;
    std::size_t n_calibrated = 0;
    for (const grid_point& p : s.points) {
        const memory m = point_memory(p, files);
        std::optional<double> t;
        if (const calibration* c = calibration_of(p, calibrated)) t = calibrated_seconds(p, files, *c, cpus);
        const bool measured = t.has_value();
        if (!t) t = point_seconds(p, files, cpus);
        n_calibrated += measured;
        if (t) seconds += *t;
        else time_unknown = true;
        const std::string limit = !s.slurm.time.empty() ? s.slurm.time
                                  : measured             ? slurm::format_time(time_request(*t, cap))
                                                         : "-";
        std::snprintf(line, sizeof line, "%-*s %10zu %12s %8s %10.2f %10s %-10s %9s\n", int(width), p.name.c_str(),
                      p.params, (format_bytes(m.bytes()) + (m.data_known ? "" : "?")).c_str(),
                      mem_request(m.bytes()).c_str(), 3.0 * forward_flops(p) / 1e6, t ? format_seconds(*t).c_str() : "?",
                      measured ? "calibrated" : "estimated", limit.c_str());
        out += line;
    }
    const std::size_t chunk = std::size_t(std::max(1, s.slurm.chunk));
    const std::size_t tasks = (s.points.size() + chunk - 1) / chunk;
    out += "\n" + std::to_string(s.points.size()) + " points in " + std::to_string(tasks) + " array tasks, " +
           task_cpus(s) + " each; every task requests " + task_mem(s, files) + "\n";
    std::snprintf(line, sizeof line, "total: %.1f core-hours%s (%.1f hours of training)\n", seconds * task_cores(s) / 3600,
                  time_unknown ? " for the points of known time" : "", seconds / 3600);
    out += line;
    return out + cost_notes(s, n_calibrated, cap);
}

}  // namespace hps::cost
