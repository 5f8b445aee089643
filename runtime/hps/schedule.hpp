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
//   plateau      torch ReduceLROnPlateau(mode, factor, patience, threshold 1e-4 'rel',
//                cooldown 0, min_lr, eps 1e-8), stepped with the selection metric at each
//                checkpoint (mode: the select goal): lr = max(lr * factor, min_lr) once the
//                metric has not beaten its best by a relative 1e-4 for more than `patience`
//                checkpoints in a row.
//
// The others are a function of (t, T) alone: a resumed run needs no state for them. Only
// cosine depends on T, so only it makes a longer run differ from a shorter one's start.
// plateau depends on the evaluations: its state (plateau_state) goes into resume.bin.
//
// clip_grad_norm: the global L2 norm of every gradient, as one vector; when above max_norm
// every gradient is scaled by max_norm / (norm + 1e-6) (torch's formula). Returns the norm
// before clipping.
#pragma once

#include "hps/config.hpp"

#include <cmath>
#include <algorithm>
#include <cstddef>
#include <limits>
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
        case schedule_kind::plateau:
            if (!(s.factor > 0 && s.factor < 1)) return "lr_schedule plateau: factor must be in (0, 1)";
            if (s.patience < 0) return "lr_schedule plateau: patience must be >= 0";
            if (!(s.min_lr >= 0)) return "lr_schedule plateau: min_lr must be >= 0";
            return "";
    }
    return "";
}

// ReduceLROnPlateau's state: the lr in force, the best metric so far, the checkpoints
// since it (num_bad_epochs).
struct plateau_state {
    double lr = 0;
    double best = 0;
    long bad = 0;
};

inline plateau_state plateau_start(double lr0, bool maximize) {
    const double worst = std::numeric_limits<double>::infinity();
    return {lr0, maximize ? -worst : worst, 0};
}

// One checkpoint's metric; returns whether the lr was reduced. A NaN never improves.
inline bool plateau_step(plateau_state& p, const schedule_config& s, bool maximize, double metric) {
    constexpr double threshold = 1e-4, eps = 1e-8;  // torch's defaults
    const bool better = maximize ? metric > p.best * (1.0 + threshold) : metric < p.best * (1.0 - threshold);
    if (better) {
        p.best = metric;
        p.bad = 0;
    } else {
        ++p.bad;
    }
    if (p.bad <= s.patience) return false;
    p.bad = 0;
    const double next = std::max(p.lr * s.factor, s.min_lr);
    if (!(p.lr - next > eps)) return false;
    p.lr = next;
    return true;
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
        case schedule_kind::plateau: return lr0;  // set at checkpoints, by plateau_step
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
