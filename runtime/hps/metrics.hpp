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
//   classes  precision, recall, f1 per class k from the confusion matrix C (argmax
//            predictions): tp_k = C[k][k] over the column (precision) or row (recall) sum,
//            f1_k = 2 tp_k / (row + column sum), each 0 when its denominator is 0
//            (sklearn's zero_division=0 with labels=0..K-1: a class never predicted has
//            precision 0, a class absent from the targets recall 0, and both count in the
//            macro mean); averaged (metric_spec::average) macro: mean over the K classes,
//            weighted: by support (row sum), micro: from pooled counts (= accuracy); or one
//            class's value (metric_spec::class_index). roc_auc: class k's softmax
//            probability against "is class k" (sklearn's multi_class='ovr'), averaged
//            macro or weighted over the classes present in the targets (sklearn refuses a
//            class absent from them; here it is left out); NaN when fewer than two are
//            present or a logit is NaN
//   curves   binary: the ROC curve (fpr, tpr) and the precision-recall curve at each
//            distinct score t, positive when score >= t (sklearn's roc_curve and
//            precision_recall_curve without drop_intermediate), each starting at its
//            zero-recall point, thinned to at most max_points; thresholds as
//            probabilities (sigmoid of a logit); average precision sum (R_i - R_i-1) P_i
//            (sklearn's average_precision_score)
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

// Per class of a K x K confusion matrix counts[true * K + predicted]: precision, recall,
// f1 (0 where undefined, as sklearn's zero_division=0) and support (true samples).
struct class_scores {
    std::vector<double> precision, recall, f1;
    std::vector<std::int64_t> support;
};

inline class_scores per_class(const std::vector<std::int64_t>& counts, int K) {
    if (K <= 0 || counts.size() != std::size_t(K) * std::size_t(K))
        throw std::invalid_argument("per_class: a confusion matrix of " + std::to_string(counts.size()) +
                                    " counts is not " + std::to_string(K) + " x " + std::to_string(K));
    class_scores s;
    for (int k = 0; k < K; ++k) {
        std::int64_t row = 0, column = 0;
        for (int j = 0; j < K; ++j) {
            row += counts[std::size_t(k) * std::size_t(K) + std::size_t(j)];
            column += counts[std::size_t(j) * std::size_t(K) + std::size_t(k)];
        }
        const double tp = double(counts[std::size_t(k) * std::size_t(K) + std::size_t(k)]);
        s.precision.push_back(column ? tp / double(column) : 0.0);
        s.recall.push_back(row ? tp / double(row) : 0.0);
        s.f1.push_back(row + column ? 2 * tp / double(row + column) : 0.0);
        s.support.push_back(row);
    }
    return s;
}

// A binary classifier's ROC and precision-recall curves (hps::evaluator::curves): the
// points in drawing order, each with the probability threshold it is at (NaN: none, the
// zero-recall start), and the areas of the whole curves.
struct binary_curves {
    std::vector<double> fpr, tpr, roc_threshold;
    std::vector<double> recall, precision, pr_threshold;
    double roc_auc = std::numeric_limits<double>::quiet_NaN();
    double average_precision = std::numeric_limits<double>::quiet_NaN();
    bool empty() const { return fpr.empty(); }
};

// The indices of a polyline's points to draw at most max_points (>= 2) of it: the first,
// the last, and between them one each time the path has run another 1 / (max_points - 2)
// of its length since the last kept, so that steep and flat parts are both kept.
inline std::vector<std::size_t> thin_polyline(const std::vector<double>& x, const std::vector<double>& y,
                                              std::size_t max_points) {
    const std::size_t n = x.size();
    std::vector<std::size_t> keep;
    if (n <= max_points) {
        for (std::size_t i = 0; i < n; ++i) keep.push_back(i);
        return keep;
    }
    if (max_points < 3) return {0, n - 1};
    double length = 0;
    for (std::size_t i = 1; i < n; ++i) length += std::hypot(x[i] - x[i - 1], y[i] - y[i - 1]);
    const double stride = length / double(max_points - 2);
    keep.push_back(0);
    double run = 0;
    for (std::size_t i = 1; i + 1 < n; ++i) {
        run += std::hypot(x[i] - x[i - 1], y[i] - y[i - 1]);
        if (run >= stride && keep.size() < max_points - 1) {
            keep.push_back(i);
            run = 0;
        }
    }
    keep.push_back(n - 1);
    return keep;
}

class evaluator {
public:
    // outputs: K for regression and classes, 1 for binary. expected_samples reserves room
    // for the scores roc_auc and curves() keep, so that add() does not allocate.
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
            check_averaging(m);
            slot_.push_back(-1);
            if (m.kind == metric_kind::within) {
                slot_.back() = int(within_.size());
                within_.push_back({m.param, m.one_sided, 0});
            } else if (task == target_kind::binary && m.kind != metric_kind::roc_auc) {
                slot_.back() = binary_slot(m.param);
                if (m.kind == metric_kind::confusion) confusion_slot_ = slot_.back();
            } else if (m.kind == metric_kind::roc_auc) {
                keep_probabilities_ = task == target_kind::classes;
            }
        }
        if (task == target_kind::binary && confusion_slot_ < 0) confusion_slot_ = binary_slot(0.5);
        if (task == target_kind::classes) confusion_.assign(std::size_t(outputs) * std::size_t(outputs), 0);
        if (task == target_kind::binary) scores_.reserve(expected_samples);  // roc_auc and curves()
        if (keep_probabilities_) {
            probabilities_.reserve(expected_samples * std::size_t(outputs));
            labels_.reserve(expected_samples);
        }
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
        probabilities_.clear();
        labels_.clear();
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

    // A classes target's per-class precision, recall, f1 and support so far.
    class_scores classes() const {
        if (task_ != target_kind::classes) throw std::logic_error("evaluator: classes() needs a classes target");
        return per_class(confusion_, outputs_);
    }

    // A binary target's ROC and precision-recall curves so far, each thinned to at most
    // max_points points; empty when a score is NaN or only one class is present.
    binary_curves curves(std::size_t max_points = 200) const {
        if (task_ != target_kind::binary) throw std::logic_error("evaluator: curves() needs a binary target");
        binary_curves full;
        if (nan_scores_ > 0) return full;
        std::vector<std::pair<float, bool>> s = scores_;
        std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::int64_t positives = 0;
        for (const auto& v : s) positives += v.second;
        const std::int64_t negatives = std::int64_t(s.size()) - positives;
        if (positives == 0 || negatives == 0) return full;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        full.fpr = {0};
        full.tpr = {0};
        full.roc_threshold = {nan};
        full.recall = {0};
        full.precision = {1};
        full.pr_threshold = {nan};
        std::int64_t tp = 0, fp = 0;
        double ap = 0;
        for (std::size_t i = 0; i < s.size();) {
            const float v = s[i].first;
            for (; i < s.size() && s[i].first == v; ++i) ++(s[i].second ? tp : fp);
            const double t = scores_kind_ == binary_scores::logits ? 1 / (1 + std::exp(-double(v))) : double(v);
            const double recall = double(tp) / double(positives), precision = double(tp) / double(tp + fp);
            ap += (recall - full.recall.back()) * precision;
            full.fpr.push_back(double(fp) / double(negatives));
            full.tpr.push_back(recall);
            full.roc_threshold.push_back(t);
            full.recall.push_back(recall);
            full.precision.push_back(precision);
            full.pr_threshold.push_back(t);
        }
        full.roc_auc = roc_auc();
        full.average_precision = ap;
        binary_curves out;
        out.roc_auc = full.roc_auc;
        out.average_precision = ap;
        for (std::size_t i : thin_polyline(full.fpr, full.tpr, max_points)) {
            out.fpr.push_back(full.fpr[i]);
            out.tpr.push_back(full.tpr[i]);
            out.roc_threshold.push_back(full.roc_threshold[i]);
        }
        for (std::size_t i : thin_polyline(full.recall, full.precision, max_points)) {
            out.recall.push_back(full.recall[i]);
            out.precision.push_back(full.precision[i]);
            out.pr_threshold.push_back(full.pr_threshold[i]);
        }
        return out;
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

    void check_averaging(const metric_spec& m) const {
        const std::string what = "evaluator: metric '" + m.name + "' (" + std::string(name_of(m.kind)) + ")";
        const bool averaged = info(m.kind).averaged;
        if (m.average != metric_average::binary && !(averaged && task_ == target_kind::classes))
            throw std::invalid_argument(what + " takes no averaging (" + std::string(name_of(m.average)) +
                                        "): averaging is for precision, recall, f1 and roc_auc of a classes target");
        if (m.class_index >= 0 && !(averaged && task_ == target_kind::classes))
            throw std::invalid_argument(what + " takes no class: one class's value is for precision, recall, f1 and "
                                               "roc_auc of a classes target");
        if (m.class_index >= outputs_ || m.class_index < -1)
            throw std::invalid_argument(what + ": class " + std::to_string(m.class_index) + " is not in 0.." +
                                        std::to_string(outputs_ - 1));
        if (m.kind == metric_kind::roc_auc && m.average == metric_average::micro)
            throw std::invalid_argument(what + ": roc_auc averages macro or weighted, not micro");
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
        if (keep_probabilities_) {  // softmax, in double
            double top = h[0], sum = 0;
            for (int k = 1; k < outputs_; ++k) top = std::max(top, double(h[k]));
            const std::size_t at = probabilities_.size();
            for (int k = 0; k < outputs_; ++k) {
                probabilities_.push_back(std::exp(double(h[k]) - top));
                sum += probabilities_.back();
            }
            for (int k = 0; k < outputs_; ++k) probabilities_[at + std::size_t(k)] /= sum;
            labels_.push_back(t);
        }
    }

    void add_binary(float score, float target) {
        const bool positive = target != 0;
        for (binary_counter& b : binary_) {
            const bool predicted = double(score) > b.cut;
            if (positive) ++(predicted ? b.tp : b.fn);
            else ++(predicted ? b.fp : b.tn);
        }
        if (std::isnan(score)) ++nan_scores_;
        else scores_.push_back({score, positive});
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
        case metric_kind::roc_auc: return task_ == target_kind::classes ? class_roc_auc(m) : roc_auc();
        case metric_kind::confusion: return nan;
        default: break;
        }
        if (task_ == target_kind::classes) return m.kind == metric_kind::accuracy ? double(correct_) / n : class_metric(m);
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

    // precision, recall or f1 of a classes target: one class's, or averaged
    double class_metric(const metric_spec& m) const {
        const class_scores c = per_class(confusion_, outputs_);
        const std::vector<double>& v = m.kind == metric_kind::precision ? c.precision
                                       : m.kind == metric_kind::recall  ? c.recall
                                                                        : c.f1;
        if (m.class_index >= 0) return v[std::size_t(m.class_index)];
        if (m.average == metric_average::micro) return double(correct_) / double(count_);
        double sum = 0;
        for (int k = 0; k < outputs_; ++k)
            sum += v[std::size_t(k)] * (m.average == metric_average::weighted ? double(c.support[std::size_t(k)]) : 1.0);
        return sum / (m.average == metric_average::weighted ? double(count_) : double(outputs_));
    }

    // one-vs-rest over the softmax probabilities: one class's, or the macro or
    // support-weighted mean over the classes present
    double class_roc_auc(const metric_spec& m) const {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (double p : probabilities_)
            if (std::isnan(p)) return nan;
        const std::size_t n = labels_.size(), K = std::size_t(outputs_);
        std::vector<std::pair<double, bool>> s(n);
        double sum = 0, weights = 0;
        int present = 0;
        for (std::size_t k = 0; k < K; ++k) {
            if (m.class_index >= 0 && k != std::size_t(m.class_index)) continue;
            std::int64_t support = 0;
            for (std::size_t j = 0; j < n; ++j) {
                s[j] = {probabilities_[j * K + k], labels_[j] == int(k)};
                support += s[j].second;
            }
            const double auc = mann_whitney(s);
            if (std::isnan(auc)) continue;
            ++present;
            const double w = m.average == metric_average::weighted ? double(support) : 1.0;
            sum += w * auc;
            weights += w;
        }
        if (m.class_index >= 0) return present ? sum : nan;
        return present >= 2 ? sum / weights : nan;
    }

    // Mann-Whitney with ties counted half: the trapezoid under the ROC steps.
    double roc_auc() const {
        if (nan_scores_ > 0) return std::numeric_limits<double>::quiet_NaN();
        return mann_whitney(scores_);
    }
    template <class Score>
    static double mann_whitney(std::vector<std::pair<Score, bool>> s) {
        std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::uint64_t tp = 0, fp = 0;
        unsigned __int128 twice_area = 0;
        for (std::size_t i = 0; i < s.size();) {
            std::uint64_t tp_g = 0, fp_g = 0;
            const Score v = s[i].first;
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
    std::vector<std::pair<float, bool>> scores_;  // binary: (score, positive), for roc_auc and curves()
    std::int64_t nan_scores_ = 0;
    bool keep_probabilities_ = false;  // classes with roc_auc:
    std::vector<double> probabilities_;  // (K, samples): the softmax of the logits
    std::vector<int> labels_;  // the samples' classes
};

}  // namespace hps
