// A longer run continued from a shorter one. Raising `steps` (or `epochs`) of a finished
// study gives its points new identities of the same lineage (hps/settings.hpp): the
// configuration but for its length. The learning rate is a function of the step alone (no
// schedule, or step or exponential; not cosine, which spans the run) and batches, dropout
// and augmentation draw from (seed, step) alone, so the weights at step T of a run of
// N > T steps are those a run of T steps ended with (its final.bin). What may differ is
// the evaluation: a run of N steps evaluates at its own checkpoints. So a run continues
// from a finished one only where the result is exactly what it would have computed alone:
//   - the earlier run ended done (not early-stopped or diverged), with the spec's settings
//     (no --steps), and kept its final state (final.bin);
//   - no patience (an early stop depends on the evaluations), no plateau schedule (its
//     learning rate does too);
//   - the same metrics (metrics.csv's columns);
//   - every checkpoint of the longer run up to T was evaluated by the earlier run, and the
//     best of them by this run's rule is the earlier run's best (its weights are kept).
// Else the run trains from the start, and says why. The trainer (hps/train/trainer.hpp)
// follows the plan; `hpsgen status` and `hpsgen generate` show it.
#pragma once

#include "hps/config.hpp"
#include "hps/io.hpp"
#include "hps/json_read.hpp"
#include "hps/train/metrics_csv.hpp"
#include "hps/train/run_dir.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace hps::train_detail {

// The steps a run of `total` steps evaluates at: `n` evenly spaced, the last at `total`.
inline std::vector<long> checkpoint_steps(long total, int n) {
    n = int(std::max<long>(1, std::min<long>(n, total)));
    std::vector<long> at;
    for (int k = 1; k <= n; ++k) at.push_back((total * k + n / 2) / n);
    at.back() = total;
    at.erase(std::unique(at.begin(), at.end()), at.end());
    return at;
}

// metrics.csv's value columns for a config: the loss, then every metric but the confusion
// matrix, by name.
inline std::vector<std::string> csv_columns(const train_config& c) {
    std::vector<std::string> out = {"loss"};
    for (const auto& m : c.metrics)
        if (m.kind != metric_kind::confusion) out.push_back(m.name.empty() ? std::string(name_of(m.kind)) : m.name);
    return out;
}

struct continuation {
    std::string from;          // the run folder continued from; "" when none
    long at_step = 0;          // where: its last step
    std::string reason;        // why not, when a shorter run of this lineage exists: "not from X (N steps): ..."
    std::string history;       // metrics.csv's rows as this run would have written them up to at_step
    double train_loss_sum = 0;  // the training loss since this run's last checkpoint before at_step
    long train_loss_count = 0;
    long best_step = -1;       // this run's best checkpoint up to at_step (-1: none yet)
    double elapsed = 0;        // the earlier run's seconds
};

namespace continuation_detail {

inline double number_of(const json::value* v, double otherwise) {
    return v && v->is(json::value::type::number) ? v->num : otherwise;
}

}  // namespace continuation_detail

// The plan for a run of configuration c with `total` steps evaluated at `at` (ascending),
// in run folder run_dir (results/<identity>): its siblings are the candidates. With
// total < 0 (hpsgen, before the data is read) an epochs-based run's total is taken from
// the earlier run's steps per epoch.
inline continuation plan_continuation(const std::string& run_dir, const train_config& c, long total, int checkpoints) {
    namespace cd = continuation_detail;
    namespace fs = std::filesystem;
    continuation plan;
    if (c.lineage.empty()) return plan;
    // the longest finished run of this lineage that is shorter than this one
    std::string best_dir;
    long best_total = -1;
    json::value best_result;
    std::error_code ec;
    const fs::path self = fs::path(run_dir).lexically_normal();
    for (const auto& e : fs::directory_iterator(self.parent_path().empty() ? fs::path(".") : self.parent_path(), ec)) {
        if (!e.is_directory() || e.path().lexically_normal() == self) continue;
        const std::string text = read_text((e.path() / "result.json").string());
        if (text.empty() || text.find(c.lineage) == std::string::npos) continue;
        json::value r;
        try {
            r = json::parse(text);
        } catch (const json::error&) {
            continue;
        }
        const json::value* lin = r.find("lineage");
        const json::value* ovr = r.find("overrides");
        if (!lin || lin->str != c.lineage || (ovr && !ovr->str.empty())) continue;
        const long t = long(cd::number_of(r.find("total_steps"), -1));
        long mine = total;
        if (mine < 0) {  // epochs: the earlier run's steps per epoch
            const std::string settings = read_text((e.path() / "settings.json").string());
            const auto pos = settings.find("\"epochs\": ");
            const long epochs = pos == std::string::npos ? 0 : std::atol(settings.c_str() + pos + 10);
            mine = c.steps > 0 ? c.steps : (epochs > 0 && t % epochs == 0 ? c.epochs * (t / epochs) : -1);
        }
        if (t <= 0 || mine <= t || t <= best_total) continue;
        best_total = t;
        best_dir = e.path().string();
        best_result = std::move(r);
        total = mine;
    }
    if (best_dir.empty()) return plan;
    const std::string name = fs::path(best_dir).filename().string();
    auto refuse = [&](const std::string& why) {
        plan.reason = "not from " + name + " (" + std::to_string(best_total) + " steps): " + why;
        return plan;
    };
    const json::value* status = best_result.find("status");
    if (!status || status->str != "done")
        return refuse("that run ended " + (status ? status->str : std::string("without a status")));
    if (c.patience > 0) return refuse("with patience, when to stop depends on the evaluations");
    if (c.lr_schedule.kind == schedule_kind::cosine)
        return refuse("a cosine schedule's learning rate depends on the run's length");
    if (c.lr_schedule.kind == schedule_kind::plateau)
        return refuse("a plateau schedule's learning rate depends on the evaluations");
    if (!fs::exists(fs::path(best_dir) / "final.bin")) return refuse("it kept no final state (final.bin)");
    const std::string csv = read_text((fs::path(best_dir) / "metrics.csv").string());
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    const std::vector<std::string> header = split_csv(line);
    std::vector<std::string> want = {"step", "split"};
    for (const auto& col : csv_columns(c)) want.push_back(col);
    want.push_back("elapsed_s");
    if (header != want) return refuse("its metrics differ from this run's");
    // its rows: validation rows by step, training rows (step, mean loss)
    std::vector<std::pair<long, std::string>> validation;  // step, the row's text
    std::vector<std::pair<long, double>> train;
    const std::string rule = c.select_metric.empty() ? "loss" : c.select_metric;
    const auto rule_col = std::size_t(std::find(header.begin(), header.end(), rule) - header.begin());
    if (rule_col >= header.size()) return refuse("it has no column " + rule);
    std::vector<std::pair<long, double>> rule_values;
    while (std::getline(lines, line)) {
        const auto cells = split_csv(line);
        if (cells.size() != header.size()) continue;
        const long step = std::atol(cells[0].c_str());
        if (cells[1] == "validation") {
            validation.emplace_back(step, line);
            rule_values.emplace_back(step, cells[rule_col].empty() ? std::nan("") : std::strtod(cells[rule_col].c_str(), nullptr));
        } else if (cells[1] == "train") {
            train.emplace_back(step, std::strtod(cells[2].c_str(), nullptr));
        }
    }
    // this run's checkpoints up to the earlier run's end must all have been evaluated there
    const bool maximize = !c.select_metric.empty() && c.select_max;
    long best_step = -1;
    double best_value = 0, elapsed = 0;
    std::size_t ti = 0;
    long last_train = 0;  // the earlier run's training row before the current interval
    for (long a : checkpoint_steps(total, checkpoints)) {
        if (a > best_total) break;
        const auto v = std::find_if(validation.begin(), validation.end(), [&](const auto& r) { return r.first == a; });
        if (v == validation.end())
            return refuse("this run evaluates at step " + std::to_string(a) + ", which that run did not");
        // the mean training loss over (previous, a]: its intervals' means, weighted by length
        double sum = 0;
        long count = 0;
        for (; ti < train.size() && train[ti].first <= a; ++ti) {
            sum += train[ti].second * double(train[ti].first - last_train);
            count += train[ti].first - last_train;
            last_train = train[ti].first;
        }
        const auto cells = split_csv(v->second);
        elapsed = std::strtod(cells.back().c_str(), nullptr);
        plan.history += train_row(a, sum / double(std::max<long>(1, count)), header.size() - 3, elapsed);
        plan.history += v->second + "\n";
        const double value = std::find_if(rule_values.begin(), rule_values.end(), [&](const auto& r) { return r.first == a; })->second;
        if (std::isfinite(value) && (best_step < 0 || (maximize ? value > best_value : value < best_value))) {
            best_step = a;
            best_value = value;
        }
    }
    // the training loss since this run's last checkpoint, up to the earlier run's end
    for (; ti < train.size(); ++ti) {
        plan.train_loss_sum += train[ti].second * double(train[ti].first - last_train);
        plan.train_loss_count += train[ti].first - last_train;
        last_train = train[ti].first;
    }
    const json::value* best = best_result.find("best");
    const long kept = long(cd::number_of(best && best->is(json::value::type::object) ? best->find("step") : nullptr, -1));
    if (best_step >= 0 && best_step != kept)
        return refuse("this run's best checkpoint up to step " + std::to_string(best_total) + " is step " +
                      std::to_string(best_step) + ", whose weights that run did not keep (it kept step " +
                      std::to_string(kept) + ")");
    plan.from = best_dir;
    plan.at_step = best_total;
    plan.best_step = best_step;
    plan.elapsed = cd::number_of(best_result.find("wall_seconds"), 0);
    return plan;
}

}  // namespace hps::train_detail
