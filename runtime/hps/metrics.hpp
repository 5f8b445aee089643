// Evaluation metrics, accumulated over validation batches in one pass, then read.
//
//   hps::evaluator ev(hps::target_kind::regression, 2, {{metric_kind::within, "acc20", 0.20},
//                                                     {metric_kind::mse, "mse"}});
//   for (each batch) ev.add(outputs, targets, batch);   // (outputs, B) and (y_size, B) blocks
//   double acc20 = ev.value("acc20");
//
// Outputs are the network's raw outputs, sample j's at outputs + j * outputs_per_sample:
// regression values (K per sample), class logits (K per sample), one binary logit (or a
// probability, with binary_scores::probabilities). Targets are a dataset's y: K values
// (regression), a class index, 0 or 1.
//
// Definitions (m samples, K outputs; sums in double):
//   mse      sum (h - y)^2 / (m K)          mae  sum |h - y| / (m K)    rmse  sqrt(mse)
//            (sklearn's mean_squared_error / mean_absolute_error, multioutput averaged;
//            rmse is the root of the pooled mse, which for K > 1 is not sklearn's mean of
//            per-output roots)
//   mse_half sum (h - y)^2 / (2 m): the CyPLAM loss, summed over outputs
//   within T share of samples with Err_i < T, Err_i = max_k |y_k / h_k - 1| in double: CyPLAM's
//            Accuracy20% with T = 0.2 as its text reads it (each output within 20 % of its
//            prediction); a sample with some h_k <= 0, or a NaN, counts as not within.
//            one_sided (metric_spec::one_sided): Err_i = max_k (y_k / h_k - 1), the paper's
//            Equation (3) as printed, where an output predicted above the truth gives a
//            negative error however far off it is; only h_k == 0 or a NaN is not within
//   accuracy classes: argmax of the logits (the first maximum on ties, as numpy) equals
//            the class; binary: the thresholded prediction equals the target
//   binary   positive when sigmoid(logit) > T, computed as logit > log(T / (1 - T)) (so
//            T = 0.5 is logit > 0 exactly), or probability > T with
//            binary_scores::probabilities; T is the metric's param, 0.5 when it is 0;
//            precision tp/(tp+fp), recall tp/(tp+fn), f1 2tp/(2tp+fp+fn), each 0 when its
//            denominator is 0 (sklearn's zero_division=0), eff_pur recall * precision
//   roc_auc  area under the ROC curve of the raw scores, threshold-free: equal scores form
//            one step (the trapezoid sklearn's roc_auc_score takes); NaN when only one
//            class is present or a score is NaN
//   confusion  counts[true][predicted], row-major: K x K, or 2 x 2 for binary
//            ([[tn, fp], [fn, tp]], as sklearn's confusion_matrix), at the confusion
//            metric's threshold (0.5 without one)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hps/config.hpp>
#include <hps/dataset.hpp>

namespace hps {

// metric_kind, metric_spec and the kinds' table (direction, target kinds, scalar or
// matrix): hps/config.hpp.

// What a binary output is: a logit (the default) or a probability in [0, 1].
enum class binary_scores { logits, probabilities };

class evaluator {
public:
    // outputs: K for regression and classes, 1 for binary. expected_samples reserves room
    // for roc_auc's scores, so that add() does not allocate.
    evaluator(target_kind task, int outputs, std::vector<metric_spec> metrics, std::size_t expected_samples = 0,
              binary_scores scores = binary_scores::logits)
        : task_(task), outputs_(outputs), metrics_(std::move(metrics)), scores_kind_(scores) {
        if (outputs <= 0 || (task == target_kind::binary && outputs != 1) || (task == target_kind::classes && outputs < 2))
            throw std::invalid_argument("evaluator: " + std::to_string(outputs) + " outputs do not fit the target kind");
        for (std::size_t i = 0; i < metrics_.size(); ++i) {
            metric_spec& m = metrics_[i];
            if (m.name.empty()) m.name = std::string(name_of(m.kind));
            for (std::size_t j = 0; j < i; ++j)
                if (metrics_[j].name == m.name) throw std::invalid_argument("evaluator: two metrics named '" + m.name + "'");
            if (!metric_applies(m.kind, task))
                throw std::invalid_argument("evaluator: metric '" + m.name + "' (" + std::string(name_of(m.kind)) +
                                            ") does not apply to a " + task_name(task) + " target");
            slot_.push_back(-1);
            if (m.kind == metric_kind::within) {
                slot_.back() = int(within_.size());
                within_.push_back({m.param, m.one_sided, 0});
            } else if (task == target_kind::binary && m.kind != metric_kind::roc_auc) {
                slot_.back() = binary_slot(m.param);
                if (m.kind == metric_kind::confusion) confusion_slot_ = slot_.back();
            } else if (m.kind == metric_kind::roc_auc) {
                keep_scores_ = true;
            }
        }
        if (task == target_kind::binary && confusion_slot_ < 0) confusion_slot_ = binary_slot(0.5);
        if (task == target_kind::classes) confusion_.assign(std::size_t(outputs) * std::size_t(outputs), 0);
        if (keep_scores_) scores_.reserve(expected_samples);
    }

    const std::vector<metric_spec>& metrics() const { return metrics_; }
    target_kind task() const { return task_; }
    std::int64_t count() const { return count_; }

    // Forgets every sample (keeps the memory).
    void reset() {
        count_ = 0;
        sum_sq_ = sum_abs_ = 0;
        for (within_counter& w : within_) w.hits = 0;
        for (binary_counter& b : binary_) b.tp = b.fp = b.tn = b.fn = 0;
        std::fill(confusion_.begin(), confusion_.end(), 0);
        correct_ = 0;
        scores_.clear();
        nan_scores_ = 0;
    }

    // `count` samples: outputs (outputs, count) and targets (y_size, count), column-major.
    void add(const float* outputs, const float* targets, int count) {
        if (count <= 0) return;
        const int K = outputs_;
        for (int j = 0; j < count; ++j) {
            const float* h = outputs + std::size_t(j) * std::size_t(K);
            switch (task_) {
            case target_kind::regression: add_regression(h, targets + std::size_t(j) * std::size_t(K)); break;
            case target_kind::classes: add_class(h, targets[j]); break;
            case target_kind::binary: add_binary(h[0], targets[j]); break;
            }
        }
        count_ += count;
    }

    // A metric's value by name; NaN before any sample.
    double value(std::string_view name) const {
        for (std::size_t i = 0; i < metrics_.size(); ++i)
            if (metrics_[i].name == name) {
                if (!info(metrics_[i].kind).scalar)
                    throw std::invalid_argument("evaluator: '" + metrics_[i].name + "' is a matrix; use confusion()");
                return compute(i);
            }
        throw std::invalid_argument("evaluator: no metric named '" + std::string(name) + "'");
    }

    // Every scalar metric, in the order given.
    std::vector<std::pair<std::string, double>> values() const {
        std::vector<std::pair<std::string, double>> out;
        for (std::size_t i = 0; i < metrics_.size(); ++i)
            if (info(metrics_[i].kind).scalar) out.emplace_back(metrics_[i].name, compute(i));
        return out;
    }

    // counts[true * n + predicted], n = confusion_classes(); empty for regression.
    std::vector<std::int64_t> confusion() const {
        if (task_ != target_kind::binary) return confusion_;
        const binary_counter& b = binary_[std::size_t(confusion_slot_)];
        return {b.tn, b.fp, b.fn, b.tp};
    }
    int confusion_classes() const {
        return task_ == target_kind::regression ? 0 : task_ == target_kind::binary ? 2 : outputs_;
    }

private:
    struct within_counter {
        double tolerance;
        bool one_sided;
        std::int64_t hits;
    };
    struct binary_counter {
        double cut;  // positive when score > cut
        double threshold;
        std::int64_t tp = 0, fp = 0, tn = 0, fn = 0;
    };

    static const char* task_name(target_kind t) {
        return t == target_kind::regression ? "regression" : t == target_kind::classes ? "classes" : "binary";
    }

    int binary_slot(double threshold) {
        if (threshold == 0) threshold = 0.5;
        if (!(threshold > 0 && threshold < 1))
            throw std::invalid_argument("evaluator: a binary threshold must be between 0 and 1, got " + std::to_string(threshold));
        for (std::size_t i = 0; i < binary_.size(); ++i)
            if (binary_[i].threshold == threshold) return int(i);
        const double cut = scores_kind_ == binary_scores::logits ? std::log(threshold / (1 - threshold)) : threshold;
        binary_.push_back({cut, threshold});
        return int(binary_.size() - 1);
    }

    void add_regression(const float* h, const float* y) {
        // the largest error, signed (one_sided) and absolute; `positive`: every h_k > 0
        double worst = -std::numeric_limits<double>::infinity(), worst_abs = 0;
        bool valid = true, positive = true;
        for (int k = 0; k < outputs_; ++k) {
            const double d = double(h[k]) - double(y[k]);
            sum_sq_ += d * d;
            sum_abs_ += std::abs(d);
            if (!(h[k] > 0)) positive = false;
            if (h[k] == 0) {
                valid = false;
                continue;
            }
            const double err = double(y[k]) / double(h[k]) - 1;
            if (std::isnan(err)) {
                valid = false;
            } else {
                worst = std::max(worst, err);
                worst_abs = std::max(worst_abs, std::abs(err));
            }
        }
        if (valid)
            for (within_counter& w : within_)
                if (w.one_sided ? worst < w.tolerance : positive && worst_abs < w.tolerance) ++w.hits;
    }

    void add_class(const float* h, float target) {
        int best = 0;
        for (int k = 1; k < outputs_ && !std::isnan(h[best]); ++k)
            if (std::isnan(h[k]) || h[k] > h[best]) best = k;
        const int t = int(target);
        if (!(target >= 0 && t < outputs_) || float(t) != target)
            throw std::out_of_range("evaluator: class target " + std::to_string(target) + " is not in 0.." +
                                    std::to_string(outputs_ - 1));
        ++confusion_[std::size_t(t) * std::size_t(outputs_) + std::size_t(best)];
        if (best == t) ++correct_;
    }

    void add_binary(float score, float target) {
        const bool positive = target != 0;
        for (binary_counter& b : binary_) {
            const bool predicted = double(score) > b.cut;
            if (positive) ++(predicted ? b.tp : b.fn);
            else ++(predicted ? b.fp : b.tn);
        }
        if (keep_scores_) {
            if (std::isnan(score)) ++nan_scores_;
            else scores_.push_back({score, positive});
        }
    }

    static double ratio(double a, double b) { return b == 0 ? 0.0 : a / b; }

    double compute(std::size_t i) const {
        const metric_spec& m = metrics_[i];
        const double nan = std::numeric_limits<double>::quiet_NaN();
        if (count_ == 0) return nan;
        const double n = double(count_), elements = n * outputs_;
        switch (m.kind) {
        case metric_kind::mse: return sum_sq_ / elements;
        case metric_kind::mse_half: return sum_sq_ / (2 * n);
        case metric_kind::mae: return sum_abs_ / elements;
        case metric_kind::rmse: return std::sqrt(sum_sq_ / elements);
        case metric_kind::within: return double(within_[std::size_t(slot_[i])].hits) / n;
        case metric_kind::roc_auc: return roc_auc();
        case metric_kind::confusion: return nan;
        default: break;
        }
        if (task_ == target_kind::classes) return double(correct_) / n;  // accuracy
        const binary_counter& b = binary_[std::size_t(slot_[i])];
        const double tp = double(b.tp), fp = double(b.fp), fn = double(b.fn), tn = double(b.tn);
        switch (m.kind) {
        case metric_kind::accuracy: return (tp + tn) / n;
        case metric_kind::precision: return ratio(tp, tp + fp);
        case metric_kind::recall: return ratio(tp, tp + fn);
        case metric_kind::f1: return ratio(2 * tp, 2 * tp + fp + fn);
        case metric_kind::eff_pur: return ratio(tp, tp + fn) * ratio(tp, tp + fp);
        default: return nan;
        }
    }

    // Mann-Whitney with ties counted half: the trapezoid under the ROC steps.
    double roc_auc() const {
        if (nan_scores_ > 0) return std::numeric_limits<double>::quiet_NaN();
        std::vector<std::pair<float, bool>> s = scores_;
        std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::uint64_t tp = 0, fp = 0;
        unsigned __int128 twice_area = 0;
        for (std::size_t i = 0; i < s.size();) {
            std::uint64_t tp_g = 0, fp_g = 0;
            const float v = s[i].first;
            for (; i < s.size() && s[i].first == v; ++i) ++(s[i].second ? tp_g : fp_g);
            twice_area += (unsigned __int128)fp_g * (2 * tp + tp_g);
            tp += tp_g;
            fp += fp_g;
        }
        if (tp == 0 || fp == 0) return std::numeric_limits<double>::quiet_NaN();
        return double(twice_area) / (2.0 * double(tp) * double(fp));
    }

    target_kind task_;
    int outputs_;
    std::vector<metric_spec> metrics_;
    binary_scores scores_kind_;
    std::vector<int> slot_;  // per metric: its within_ or binary_ counter
    std::int64_t count_ = 0;
    double sum_sq_ = 0, sum_abs_ = 0;
    std::vector<within_counter> within_;
    std::vector<binary_counter> binary_;
    int confusion_slot_ = -1;
    std::vector<std::int64_t> confusion_;  // classes: (true, predicted), K x K
    std::int64_t correct_ = 0;
    bool keep_scores_ = false;
    std::vector<std::pair<float, bool>> scores_;  // roc_auc: (score, positive)
    std::int64_t nan_scores_ = 0;
};

}  // namespace hps
