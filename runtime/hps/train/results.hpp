// What a trainer reports in its run folder, as text built from plain values:
//   metrics.csv   hps/train/metrics_csv.hpp
//   result.json   status, the runtime that computed it, axes, parameters, selection,
//                 optimizer, thresholds, the best evaluation (a classes target's per-class
//                 scores, a binary target's ROC and precision-recall curves), the test
//                 evaluation, wall time and threads
// The trainer (hps/train/trainer.hpp) keeps the rows and the run's progress and calls
// these; every file is written atomically (write_file_atomic, hps/io.hpp).
#pragma once

#include "hps/config.hpp"
#include "hps/io.hpp"
#include "hps/metrics.hpp"
#include "hps/optimizers.hpp"
#include "hps/train/cli.hpp"
#include "hps/train/metrics_csv.hpp"
#include "hps/version.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hps::train_detail {

// One pass of the network over a data set.
struct evaluation {
    double loss = 0;
    metric_values values;  // loss first, then the spec's metrics
    confusion_matrix confusion;  // classes: always (the per-class scores); binary: with a confusion metric
    binary_curves curves;  // binary, when asked for
};

// ------------------------------------------------------------------ result.json
// What result.json reports besides the configuration.
struct run_report {
    std::string status, message;
    std::size_t params = 0;
    const optimizer* opt = nullptr;  // null: no optimizer section
    long steps = 0, total_steps = 0;
    long best_step = -1;  // -1: no evaluation yet ("best": null)
    metric_values best_values;
    confusion_matrix best_confusion;
    bool show_confusion = false;  // the spec asks for the matrix (else only per-class scores come of it)
    binary_curves best_curves;  // binary: the validation set's curves at the best parameters
    std::optional<evaluation> test;  // the test set at the best parameters, when evaluated
    double wall_seconds = 0;
    int threads = 1, batch = 1;
    std::string overrides;  // the command line's changes to the configuration, "" when none
    std::string continued_from;  // "<identity> at step N": this run continued a shorter one
};

// A classes target's confusion matrix as per-class scores: "per_class": {"precision": [K],
// "recall", "f1", "support"} (hps::per_class).
inline void write_per_class(json_writer& w, const train_config& c, const confusion_matrix& confusion) {
    if (c.target != target_kind::classes || confusion.empty()) return;
    const int K = int(confusion.size());
    std::vector<std::int64_t> flat;
    for (const auto& row : confusion) flat.insert(flat.end(), row.begin(), row.end());
    if (flat.size() != std::size_t(K) * std::size_t(K)) return;
    const class_scores s = per_class(flat, K);
    w.key("per_class").begin_object();
    for (const auto& [name, values] : {std::pair{"precision", &s.precision}, {"recall", &s.recall}, {"f1", &s.f1}}) {
        w.key(name).begin_array();
        for (double v : *values) w.value(v);
        w.end_array();
    }
    w.key("support").begin_array();
    for (std::int64_t v : s.support) w.value(v);
    w.end_array();
    w.end_object();
}

// "curves": {"roc": {"auc", "fpr", "tpr", "threshold"}, "pr": {"average_precision",
// "recall", "precision", "threshold"}}; a threshold is a probability, null at the start
inline void write_curves(json_writer& w, const binary_curves& c) {
    if (c.empty()) return;
    auto array = [&](const char* key, const std::vector<double>& v) {
        w.key(key).begin_array();
        for (double x : v) w.value(x);
        w.end_array();
    };
    w.key("curves").begin_object();
    w.key("roc").begin_object().member("auc", c.roc_auc);
    array("fpr", c.fpr);
    array("tpr", c.tpr);
    array("threshold", c.roc_threshold);
    w.end_object();
    w.key("pr").begin_object().member("average_precision", c.average_precision);
    array("recall", c.recall);
    array("precision", c.precision);
    array("threshold", c.pr_threshold);
    w.end_object();
    w.end_object();
}

inline void write_confusion(json_writer& w, const confusion_matrix& confusion) {
    if (confusion.empty()) return;
    w.key("confusion").begin_array();
    for (const auto& row : confusion) {
        w.begin_array();
        for (long v : row) w.value(v);
        w.end_array();
    }
    w.end_array();
}

inline std::string result_json(const train_config& c, const run_report& r) {
    json_writer w;
    w.begin_object();
    w.member("study", c.study).member("point", c.point).member("id", c.point_id);
    w.member("identity", c.identity).member("lineage", c.lineage).member("overrides", r.overrides);
    w.member("runtime", runtime_identity());  // what computed it (hps/version.hpp)
    if (!r.continued_from.empty()) w.member("continued_from", r.continued_from);
    w.member("status", r.status);
    if (!r.message.empty()) w.member("message", r.message);
    w.key("axes").begin_object();
    for (const auto& a : c.axes) w.member(a.name, a.value);
    w.end_object();
    w.member("params", r.params);
    w.key("select").begin_object();
    w.member("metric", c.select_metric.empty() ? std::string("loss") : c.select_metric);
    w.member("goal", c.select_metric.empty() || !c.select_max ? "min" : "max");
    w.end_object();
    if (r.opt) {  // the optimizer and every setting in force, defaults included
        w.key("optimizer").begin_object().member("kind", r.opt->name());
        for (const auto& [k, v] : r.opt->settings()) w.member(k, v);
        w.end_object();
    }
    if (c.target == target_kind::binary) {
        // the decision threshold of the binary metrics: positive when sigmoid(logit) > T;
        // "thresholds" by metric name when the spec gives them different ones
        std::vector<std::pair<std::string, double>> cuts;
        for (const auto& m : c.metrics)
            if (m.kind != metric_kind::roc_auc)
                cuts.emplace_back(m.name.empty() ? std::string(name_of(m.kind)) : m.name, m.param > 0 ? m.param : 0.5);
        const bool one = std::all_of(cuts.begin(), cuts.end(), [&](const auto& cut) { return cut.second == cuts[0].second; });
        if (one) {
            w.member("threshold", cuts.empty() ? 0.5 : cuts[0].second);
        } else {
            w.key("thresholds").begin_object();
            for (const auto& [name, cut] : cuts) w.member(name, cut);
            w.end_object();
        }
    }
    w.member("steps", r.steps).member("total_steps", r.total_steps);
    if (r.best_step >= 0) {
        w.key("best").begin_object().member("step", r.best_step);
        for (const auto& [k, v] : r.best_values) w.member(k, v);
        if (r.show_confusion) write_confusion(w, r.best_confusion);
        write_per_class(w, c, r.best_confusion);
        write_curves(w, r.best_curves);
        w.end_object();
    } else {
        w.key("best").null();
    }
    if (r.test) {
        w.key("test").begin_object();
        for (const auto& [k, v] : r.test->values) w.member(k, v);
        if (r.show_confusion) write_confusion(w, r.test->confusion);
        write_per_class(w, c, r.test->confusion);
        w.end_object();
    }
    const double wall = r.wall_seconds;
    w.member("wall_seconds", wall).member("threads", r.threads).member("batch", r.batch);
    w.member("omp_wait", omp_wait_setting());
    w.member("samples_per_second", wall > 0 ? double(r.steps) * r.batch / wall : 0.0);
    w.end_object();
    return w.str();
}

}  // namespace hps::train_detail
