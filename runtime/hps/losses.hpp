// Losses: the mean loss of a batch and its gradient with respect to the network's output.
//
// Every loss L has
//   template <int Out> static constexpr int target_rows;      // rows of its target (T, B)
//   template <int Out, int B>
//   static double compute(const float* y,       // (Out, B) the network's output
//                         const float* target,  // (T, B)
//                         float* dy,            // (Out, B) dL/dy, written; nullptr: loss only
//                         int valid);           // the first `valid` columns are real samples,
//                                               //   the rest padding: dy = 0 there, not counted
// and returns the mean over the `valid` samples (as PyTorch's reduction='mean'):
//
//   mse         sum (y - t)^2 / (m Out)                      torch MSELoss
//   mse_half    sum (y - t)^2 / (2 m)   (sum over outputs,   CyPLAM's (1/2m) sum_i ||h_i - y_i||^2
//                                        mean over samples)
//   mae         sum |y - t| / (m Out)   (d/dy at y = t: 0)   torch L1Loss
//   bce_logits  mean of (1 - t) z + w (log1p(exp(-|z|)) + max(-z, 0)), w = 1 + (p - 1) t,
//               over m Out; z the logit, t in [0, 1] (0/1 labels), p = pos_weight
//                                                            torch BCEWithLogitsLoss
//   softmax_ce  sum_i (logsumexp(y_i) - y_i[t_i]) / m; t_i a class index in [0, Out)
//               stored as a float                            torch CrossEntropyLoss
// (m = valid). Each also has compute(out, batch, y, target, dy, valid), the same with the
// sizes given at run time (the training core's, compiled once for every network); the
// template calls it. Sums are taken in double. A class index outside [0, Out) or not a
// whole number throws std::invalid_argument.
//
// compute_loss picks a loss by its loss_kind at run time (the kinds, their names and
// target kinds: hps/config.hpp's loss_table).
#pragma once

#include "hps/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hps {

namespace detail {
inline void check_valid(int valid, int batch, const char* loss) {
    if (valid < 0 || valid > batch)
        throw std::invalid_argument(std::string(loss) + ": valid = " + std::to_string(valid) + " is outside [0, " +
                                    std::to_string(batch) + "] (the batch size)");
}
inline void zero_padding(float* dy, int rows, int valid, int batch) {
    if (dy) std::fill(dy + std::size_t(rows) * valid, dy + std::size_t(rows) * batch, 0.0f);
}
}  // namespace detail

struct mse {
    static constexpr const char* name = "mse";
    template <int Out>
    static constexpr int target_rows = Out;

    template <int Out, int B>
    static double compute(const float* y, const float* target, float* dy, int valid) {
        return compute(Out, B, y, target, dy, valid);
    }
    static double compute(int out, int batch, const float* y, const float* target, float* dy, int valid) {
        detail::check_valid(valid, batch, name);
        const std::size_t n = std::size_t(out) * valid;
        const double scale = n ? 1.0 / double(n) : 0.0;
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double d = double(y[i]) - double(target[i]);
            sum += d * d;
            if (dy) dy[i] = float(2.0 * d * scale);
        }
        detail::zero_padding(dy, out, valid, batch);
        return sum * scale;
    }
};

struct mse_half {
    static constexpr const char* name = "mse_half";
    template <int Out>
    static constexpr int target_rows = Out;

    template <int Out, int B>
    static double compute(const float* y, const float* target, float* dy, int valid) {
        return compute(Out, B, y, target, dy, valid);
    }
    static double compute(int out, int batch, const float* y, const float* target, float* dy, int valid) {
        detail::check_valid(valid, batch, name);
        const std::size_t n = std::size_t(out) * valid;
        const double scale = valid ? 1.0 / double(valid) : 0.0;
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double d = double(y[i]) - double(target[i]);
            sum += d * d;
            if (dy) dy[i] = float(d * scale);
        }
        detail::zero_padding(dy, out, valid, batch);
        return 0.5 * sum * scale;
    }
};

struct mae {
    static constexpr const char* name = "mae";
    template <int Out>
    static constexpr int target_rows = Out;

    template <int Out, int B>
    static double compute(const float* y, const float* target, float* dy, int valid) {
        return compute(Out, B, y, target, dy, valid);
    }
    static double compute(int out, int batch, const float* y, const float* target, float* dy, int valid) {
        detail::check_valid(valid, batch, name);
        const std::size_t n = std::size_t(out) * valid;
        const double scale = n ? 1.0 / double(n) : 0.0;
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double d = double(y[i]) - double(target[i]);
            sum += std::fabs(d);
            if (dy) dy[i] = float(d > 0 ? scale : d < 0 ? -scale : 0.0);
        }
        detail::zero_padding(dy, out, valid, batch);
        return sum * scale;
    }
};

struct bce_logits {
    static constexpr const char* name = "bce";
    template <int Out>
    static constexpr int target_rows = Out;  // one 0/1 label per output (1 for a binary head)

    // pos_weight p scales the loss of the positive targets (torch's pos_weight, one value
    // for every output).
    template <int Out, int B>
    static double compute(const float* y, const float* target, float* dy, int valid, double pos_weight = 1.0) {
        return compute(Out, B, y, target, dy, valid, pos_weight);
    }
    static double compute(int out, int batch, const float* y, const float* target, float* dy, int valid,
                          double pos_weight = 1.0) {
        detail::check_valid(valid, batch, name);
        const std::size_t n = std::size_t(out) * valid;
        const double scale = n ? 1.0 / double(n) : 0.0;
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double z = y[i], t = target[i];
            const double w = 1.0 + (pos_weight - 1.0) * t;
            // softplus(-z) = log(1 + exp(-z)), stable for either sign of z
            const double softplus_neg = std::log1p(std::exp(-std::fabs(z))) + std::max(-z, 0.0);
            sum += (1.0 - t) * z + w * softplus_neg;
            if (dy) {
                // d/dz = (1 - t) - w sigmoid(-z)
                const double sig_neg = z >= 0 ? std::exp(-z) / (1.0 + std::exp(-z)) : 1.0 / (1.0 + std::exp(z));
                dy[i] = float(((1.0 - t) - w * sig_neg) * scale);
            }
        }
        detail::zero_padding(dy, out, valid, batch);
        return sum * scale;
    }
};

struct softmax_ce {
    static constexpr const char* name = "softmax_ce";
    template <int Out>
    static constexpr int target_rows = 1;  // the class index, as a float

    template <int Out, int B>
    static double compute(const float* y, const float* target, float* dy, int valid) {
        static_assert(Out >= 2, "softmax_ce: the network needs one output per class, at least 2 (use bce for one logit)");
        return compute(Out, B, y, target, dy, valid);
    }
    static double compute(int out, int batch, const float* y, const float* target, float* dy, int valid) {
        if (out < 2)
            throw std::invalid_argument("softmax_ce: the network has 1 output; it needs one per class (at least 2), or use bce");
        detail::check_valid(valid, batch, name);
        const double scale = valid ? 1.0 / double(valid) : 0.0;
        double sum = 0;
        for (int b = 0; b < valid; ++b) {
            const float* yb = y + std::size_t(b) * out;
            const float t = target[b];
            const int cls = int(t);
            if (!(t >= 0 && t < float(out)) || float(cls) != t)
                throw std::invalid_argument("softmax_ce: sample " + std::to_string(b) + " of the batch has class " +
                                            std::to_string(t) + ", not a whole number in [0, " + std::to_string(out) +
                                            "); targets are class indices");
            const double top = *std::max_element(yb, yb + out);
            double total = 0;
            for (int o = 0; o < out; ++o) total += std::exp(double(yb[o]) - top);
            const double lse = top + std::log(total);
            sum += lse - double(yb[cls]);
            if (dy) {
                float* db = dy + std::size_t(b) * out;
                for (int o = 0; o < out; ++o) {
                    const double p = std::exp(double(yb[o]) - lse);
                    db[o] = float((p - (o == cls ? 1.0 : 0.0)) * scale);
                }
            }
        }
        detail::zero_padding(dy, out, valid, batch);
        return sum * scale;
    }
};

// ---------------------------------------------------------------------------- by kind
// loss_kind and its names: hps/config.hpp

template <int Out>
constexpr int loss_target_rows(loss_kind k) {
    return k == loss_kind::softmax_ce ? 1 : Out;
}

// The loss named by k (see the structs above) for a network of `out` outputs and a batch of
// `batch` columns, sizes given at run time: the training core's (hps/train/trainer.hpp),
// compiled once for every network. pos_weight only matters for bce.
inline double compute_loss(loss_kind k, int out, int batch, const float* y, const float* target, float* dy, int valid,
                           double pos_weight = 1.0) {
    switch (k) {
        case loss_kind::mse: return mse::compute(out, batch, y, target, dy, valid);
        case loss_kind::mse_half: return mse_half::compute(out, batch, y, target, dy, valid);
        case loss_kind::mae: return mae::compute(out, batch, y, target, dy, valid);
        case loss_kind::bce: return bce_logits::compute(out, batch, y, target, dy, valid, pos_weight);
        case loss_kind::softmax_ce: return softmax_ce::compute(out, batch, y, target, dy, valid);
    }
    throw std::invalid_argument("compute_loss: unknown loss_kind");
}

// The same with the sizes as template arguments.
template <int Out, int B>
double compute_loss(loss_kind k, const float* y, const float* target, float* dy, int valid, double pos_weight = 1.0) {
    return compute_loss(k, Out, B, y, target, dy, valid, pos_weight);
}

}  // namespace hps
