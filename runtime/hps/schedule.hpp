// Learning-rate schedules and gradient clipping, as torch.optim.lr_scheduler and
// torch.nn.utils.clip_grad_norm_ compute them. The lr of optimizer step t (0-based; the
// scheduler's step count in torch, which a training loop steps once per optimizer step)
// of a run of T steps, with lr0 the optimizer's lr:
//
//   constant     lr0
//   step         lr0 * gamma^floor(t / every)                               StepLR(every, gamma)
//   exponential  lr0 * gamma^t                                               ExponentialLR(gamma)
//   cosine       t < W: lr0 * (1/W + (1 - 1/W) * t / W)           LinearLR(1/W, 1, total_iters=W)
//                else:  min + (lr0 - min) * (1 + cos(pi * (t - W) / (T - W))) / 2
//                                     CosineAnnealingLR(T - W, min), the two as SequentialLR at W
//
// A schedule is a function of (t, T) alone: a resumed run needs no state for it. Only
// cosine depends on T, so only it makes a longer run differ from a shorter one's start.
//
// clip_grad_norm: the global L2 norm of every gradient, as one vector; when above max_norm
// every gradient is scaled by max_norm / (norm + 1e-6) (torch's formula). Returns the norm
// before clipping.
#pragma once

#include "hps/config.hpp"

#include <cmath>
#include <cstddef>
#include <string>

namespace hps {

// Why a schedule cannot run for `total` steps ("" when it can).
inline std::string schedule_problem(const schedule_config& s, long total) {
    switch (s.kind) {
        case schedule_kind::constant: return "";
        case schedule_kind::step:
            if (s.every < 1) return "lr_schedule step needs `every N` (steps between reductions), N >= 1";
            [[fallthrough]];
        case schedule_kind::exponential:
            if (!(s.gamma > 0 && s.gamma <= 1)) return "lr_schedule's gamma must be in (0, 1]";
            return "";
        case schedule_kind::cosine:
            if (s.warmup < 0) return "lr_schedule cosine: warmup must be >= 0";
            if (total > 0 && s.warmup >= total)
                return "lr_schedule cosine: warmup " + std::to_string(s.warmup) + " is not below the " +
                       std::to_string(total) + " steps of the run";
            if (!(s.min_lr >= 0)) return "lr_schedule cosine: min_lr must be >= 0";
            return "";
    }
    return "";
}

// The lr of optimizer step t of a run of `total` steps (see above).
inline double scheduled_lr(const schedule_config& s, double lr0, long t, long total) {
    switch (s.kind) {
        case schedule_kind::constant: return lr0;
        case schedule_kind::step: return lr0 * std::pow(s.gamma, double(t / s.every));
        case schedule_kind::exponential: return lr0 * std::pow(s.gamma, double(t));
        case schedule_kind::cosine: {
            const double w = double(s.warmup);
            if (t < s.warmup) return lr0 * (1.0 / w + (1.0 - 1.0 / w) * double(t) / w);
            const double span = double(total - s.warmup);
            const double pi = 3.14159265358979323846;
            return s.min_lr + (lr0 - s.min_lr) * (1.0 + std::cos(pi * double(t - s.warmup) / span)) / 2.0;
        }
    }
    return lr0;
}

inline double clip_grad_norm(float* grads, std::size_t n, double max_norm) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += double(grads[i]) * double(grads[i]);
    const double norm = std::sqrt(sum);
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1) {
        const float c = float(coef);
        for (std::size_t i = 0; i < n; ++i) grads[i] *= c;
    }
    return norm;
}

}  // namespace hps
