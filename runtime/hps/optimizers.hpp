// Optimizers: one flat loop over every parameter (llm.c), configured at run time by name
// and settings, each step the same arithmetic as PyTorch 1.13's torch.optim (its
// single-tensor code path, in float, scalars rounded to float as torch does):
//
//   sgd       p -= lr g                              (with momentum > 0: as "momentum")
//   momentum  buf = momentum buf + g  (buf = g at the first step)
//             p -= lr (nesterov ? g + momentum buf : buf)       torch SGD, dampening 0
//   adam      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//             p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)            torch Adam
//   rmsprop   s = rho s + (1-rho) g^2;  [centered: a = rho a + (1-rho) g; s' = s - a^2]
//             d = g / (sqrt(s') + eps); momentum > 0: buf = momentum buf + d, p -= lr buf;
//             else p -= lr d                                             torch RMSprop
//   adadelta  s = rho s + (1-rho) g^2;  d = sqrt(u + eps) / sqrt(s + eps) g
//             u = rho u + (1-rho) d^2;  p -= lr d                        torch Adadelta
//   adamw     p *= 1 - lr weight_decay, then adam's step on g = grad     torch AdamW
// with g = grad + weight_decay * p when weight_decay > 0 (torch's coupled L2 convention),
// except for adamw, whose weight decay is decoupled from the gradient's moments.
//
// Configured by an optimizer_config (hps/config.hpp): its kind and the settings given;
// the others take optimizer_table's defaults there, the one set hpsgen's language and
// docs/runtime.md state. A setting the optimizer does not take, or out of its bounds,
// throws std::invalid_argument naming it.
//
// State for checkpoints: state() is one flat buffer, slots of n floats in the order
// state_slots() names them (torch's state_dict names):
//   sgd/momentum [momentum_buffer] (empty without momentum); adam, adamw [exp_avg, exp_avg_sq];
//   rmsprop [square_avg, grad_avg if centered, momentum_buffer if momentum > 0];
//   adadelta [square_avg, acc_delta]
// plus steps_taken() (Adam's t). Restoring both resumes the exact trajectory.
#pragma once

#include "hps/config.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

// Eigen's packet types as template arguments (for_each_element): GCC notes that their
// alignment attributes are not part of the type, which is harmless here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

namespace hps {

class optimizer {
public:
    // The settings not given take optimizer_table's defaults (hps/config.hpp); a setting the
    // optimizer does not take, or a value outside its bounds, throws std::invalid_argument.
    optimizer(const optimizer_config& config, std::size_t n) : name_(name_of(config.kind)), n_(n) {
        kind_ = config.kind == optimizer_kind::momentum ? optimizer_kind::sgd : config.kind;
        for (const auto& s : optimizer_setting_table) {
            const double value = config[s.key];
            if (!config.takes(s.key)) {
                if (config.has(s.key)) {
                    std::string known;
                    for (const auto& t : optimizer_setting_table)
                        if (config.takes(t.key)) known += (known.empty() ? "" : ", ") + std::string(t.name);
                    throw std::invalid_argument("optimizer " + name_ + " takes no setting '" + std::string(s.name) +
                                                "'; its settings are " + known);
                }
                continue;
            }
            if (!std::isfinite(value))
                throw std::invalid_argument("optimizer " + name_ + ": " + std::string(s.name) + " is not a finite number");
            require(setting_in_bounds(s, value), std::string(s.name) + " must be " + bounds_text(s));
            settings_[std::string(s.name)] = value;
        }
        auto get = [&](optimizer_setting k) { return config.takes(k) ? config[k] : 0.0; };
        lr_ = get(optimizer_setting::lr);
        weight_decay_ = get(optimizer_setting::weight_decay);
        momentum_ = get(optimizer_setting::momentum);
        nesterov_ = get(optimizer_setting::nesterov) == 1;
        beta1_ = get(optimizer_setting::beta1);
        beta2_ = get(optimizer_setting::beta2);
        eps_ = get(optimizer_setting::eps);
        rho_ = get(optimizer_setting::rho);
        centered_ = get(optimizer_setting::centered) == 1;
        switch (kind_) {
            case optimizer_kind::sgd:
            case optimizer_kind::momentum:
                require(!nesterov_ || momentum_ > 0, "nesterov needs momentum > 0");
                if (momentum_ > 0) slots_ = {"momentum_buffer"};
                break;
            case optimizer_kind::adam:
            case optimizer_kind::adamw: slots_ = {"exp_avg", "exp_avg_sq"}; break;
            case optimizer_kind::rmsprop:
                slots_ = {"square_avg"};
                if (centered_) slots_.push_back("grad_avg");
                if (momentum_ > 0) slots_.push_back("momentum_buffer");
                break;
            case optimizer_kind::adadelta: slots_ = {"square_avg", "acc_delta"}; break;
        }
        state_.assign(slots_.size() * n_, 0.0f);
    }

    // Whether a value lies within a setting's bounds (a flag: 0 or 1).
    static bool setting_in_bounds(const optimizer_setting_info& s, double v) {
        if (s.flag) return v == 0 || v == 1;
        return (s.min_open ? v > s.min : v >= s.min) && (s.max_open ? v < s.max : v <= s.max);
    }
    // "0 or 1", "> 0", "in [0, 1)"
    static std::string bounds_text(const optimizer_setting_info& s) {
        auto num = [](double v) {
            std::string t = std::to_string(v);
            t.erase(t.find_last_not_of('0') + 1);
            if (t.back() == '.') t.pop_back();
            return t;
        };
        if (s.flag) return "0 or 1";
        if (s.max == unbounded) return (s.min_open ? "> " : ">= ") + num(s.min);
        return "in " + std::string(s.min_open ? "(" : "[") + num(s.min) + ", " + num(s.max) + (s.max_open ? ")" : "]");
    }

    // params -= update(grads): n floats each, one pass.
    void step(float* params, const float* grads) {
        if (state_.size() != slots_.size() * n_)
            throw std::invalid_argument("optimizer " + name_ + ": its state has " + std::to_string(state_.size()) +
                                        " floats, it needs " + std::to_string(slots_.size() * n_) +
                                        " (restored from a checkpoint of another network or optimizer?)");
        ++steps_;
        switch (kind_) {
            case optimizer_kind::sgd:
            case optimizer_kind::momentum: step_sgd(params, grads); break;
            case optimizer_kind::adam: step_adam(params, grads, float(weight_decay_)); break;
            case optimizer_kind::adamw:
                decay_weights(params);
                step_adam(params, grads, 0.0f);
                break;
            case optimizer_kind::rmsprop: step_rmsprop(params, grads); break;
            case optimizer_kind::adadelta: step_adadelta(params, grads); break;
        }
    }

    const std::string& name() const { return name_; }
    std::size_t size() const { return n_; }
    double lr() const { return lr_; }
    void set_lr(double lr) {
        require(lr >= 0 && std::isfinite(lr), "lr must be a finite number >= 0");
        lr_ = lr;
        settings_["lr"] = lr;
    }
    // every setting with its value in force (defaults included)
    const std::map<std::string, double>& settings() const { return settings_; }

    // The flat state buffer (slots of size() floats, named by state_slots()), for
    // checkpoints: write it out, or overwrite it in place when resuming.
    std::vector<float>& state() { return state_; }
    const std::vector<float>& state() const { return state_; }
    const std::vector<std::string>& state_slots() const { return slots_; }
    long steps_taken() const { return steps_; }
    void set_steps_taken(long steps) {
        require(steps >= 0, "steps_taken must be >= 0");
        steps_ = steps;
    }

private:
    void require(bool ok, const std::string& what) const {
        if (!ok) throw std::invalid_argument("optimizer " + name_ + ": " + what);
    }
    float* slot(std::size_t i) { return state_.data() + i * n_; }

    // torch: grad.add(param, alpha=weight_decay)
    float decayed(float g, float p, float wd) const { return wd != 0 ? g + wd * p : g; }

    // The updates with a square root, vectorised by hand: a scalar loop calling std::sqrt
    // is not (sqrt may set errno), and Eigen's packet sqrt is an approximation under
    // EIGEN_FAST_MATH. f.template operator()<T>(i) updates element i (T = float) or the
    // packet at i (T = Eigen's packet), one IEEE operation at a time in the scalar
    // formula's order, so packets round exactly as the scalar code does.
    template <class F>
    void for_each_element(F&& f) const {
        using packet = Eigen::internal::packet_traits<float>::type;
        constexpr std::ptrdiff_t lanes = Eigen::internal::unpacket_traits<packet>::size, chunk = 4096;
        const std::ptrdiff_t n = std::ptrdiff_t(n_), chunks = (n + chunk - 1) / chunk;
        HPS_OMP(omp parallel for schedule(static) if (n >= 65536 && detail::usable_threads() > 1))
        for (std::ptrdiff_t k = 0; k < chunks; ++k) {
            std::ptrdiff_t i = k * chunk;
            const std::ptrdiff_t end = std::min(n, i + chunk);
            if constexpr (lanes > 1)
                for (; i + lanes <= end; i += lanes) f.template operator()<packet>(i);
            for (; i < end; ++i) f.template operator()<float>(i);
        }
    }

    void step_sgd(float* p, const float* grads) {
        const float lr = float(lr_), wd = float(weight_decay_), mom = float(momentum_);
        const std::ptrdiff_t n = std::ptrdiff_t(n_);
        if (momentum_ == 0) {
            HPS_OMP(omp parallel for simd schedule(static) if (n >= 65536))
            for (std::ptrdiff_t i = 0; i < n; ++i) p[i] += -lr * decayed(grads[i], p[i], wd);
            return;
        }
        float* buf = slot(0);  // zero at the start: the first step makes it g, as torch's clone
        const bool nesterov = nesterov_;
        HPS_OMP(omp parallel for simd schedule(static) if (n >= 65536))
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            const float g = decayed(grads[i], p[i], wd);
            buf[i] = buf[i] * mom + g;
            const float d = nesterov ? g + mom * buf[i] : buf[i];
            p[i] += -lr * d;
        }
    }

    // AdamW's decoupled decay, torch's param.mul_(1 - lr * weight_decay)
    void decay_weights(float* p) const {
        if (weight_decay_ == 0) return;
        const float f = float(1.0 - lr_ * weight_decay_);
        const std::ptrdiff_t n = std::ptrdiff_t(n_);
        HPS_OMP(omp parallel for simd schedule(static) if (n >= 65536))
        for (std::ptrdiff_t i = 0; i < n; ++i) p[i] *= f;
    }

    // wd: the coupled L2 term added to the gradient (adam's; 0 for adamw)
    void step_adam(float* p, const float* grads, float wd) {
        // torch computes the bias corrections in Python floats (double)
        const double t = double(steps_);
        const double bias1 = 1.0 - std::pow(beta1_, t), bias2 = 1.0 - std::pow(beta2_, t);
        const float neg_step = float(-(lr_ / bias1)), bias2_sqrt = float(std::sqrt(bias2));
        const float b1 = float(beta1_), b2 = float(beta2_), c1 = float(1.0 - beta1_), c2 = float(1.0 - beta2_);
        const float eps = float(eps_);
        float* m = slot(0);
        float* v = slot(1);
        namespace ei = Eigen::internal;
        for_each_element([&]<class T>(std::ptrdiff_t i) {
            T g = ei::ploadu<T>(grads + i);
            if (wd != 0) g = ei::padd(g, ei::pmul(ei::pset1<T>(wd), ei::ploadu<T>(p + i)));
            const T mi = ei::padd(ei::pmul(ei::ploadu<T>(m + i), ei::pset1<T>(b1)), ei::pmul(ei::pset1<T>(c1), g));
            const T vi = ei::padd(ei::pmul(ei::ploadu<T>(v + i), ei::pset1<T>(b2)),
                                  ei::pmul(ei::pmul(ei::pset1<T>(c2), g), g));
            ei::pstoreu(m + i, mi);
            ei::pstoreu(v + i, vi);
            const T denom = ei::padd(ei::pdiv(detail::exact_sqrt(vi), ei::pset1<T>(bias2_sqrt)), ei::pset1<T>(eps));
            ei::pstoreu(p + i, ei::padd(ei::ploadu<T>(p + i), ei::pmul(ei::pset1<T>(neg_step), ei::pdiv(mi, denom))));
        });
    }

    void step_rmsprop(float* p, const float* grads) {
        const float lr = float(lr_), wd = float(weight_decay_), rho = float(rho_), c = float(1.0 - rho_);
        const float eps = float(eps_), mom = float(momentum_);
        float* sq = slot(0);
        float* ga = centered_ ? slot(1) : nullptr;
        float* buf = momentum_ > 0 ? slot(centered_ ? 2 : 1) : nullptr;
        namespace ei = Eigen::internal;
        for_each_element([&]<class T>(std::ptrdiff_t i) {
            T g = ei::ploadu<T>(grads + i);
            if (wd != 0) g = ei::padd(g, ei::pmul(ei::pset1<T>(wd), ei::ploadu<T>(p + i)));
            const T s = ei::padd(ei::pmul(ei::ploadu<T>(sq + i), ei::pset1<T>(rho)), ei::pmul(ei::pmul(ei::pset1<T>(c), g), g));
            ei::pstoreu(sq + i, s);
            T avg;
            if (ga) {
                const T a = ei::padd(ei::pmul(ei::ploadu<T>(ga + i), ei::pset1<T>(rho)), ei::pmul(ei::pset1<T>(c), g));
                ei::pstoreu(ga + i, a);
                avg = ei::padd(detail::exact_sqrt(ei::padd(s, ei::pmul(ei::pmul(ei::pset1<T>(-1.0f), a), a))), ei::pset1<T>(eps));
            } else {
                avg = ei::padd(detail::exact_sqrt(s), ei::pset1<T>(eps));
            }
            if (buf) {
                const T b = ei::padd(ei::pmul(ei::ploadu<T>(buf + i), ei::pset1<T>(mom)), ei::pdiv(g, avg));
                ei::pstoreu(buf + i, b);
                ei::pstoreu(p + i, ei::padd(ei::ploadu<T>(p + i), ei::pmul(ei::pset1<T>(-lr), b)));
            } else {
                ei::pstoreu(p + i, ei::padd(ei::ploadu<T>(p + i), ei::pmul(ei::pset1<T>(-lr), ei::pdiv(g, avg))));
            }
        });
    }

    void step_adadelta(float* p, const float* grads) {
        const float lr = float(lr_), wd = float(weight_decay_), rho = float(rho_), c = float(1.0 - rho_);
        const float eps = float(eps_);
        float* sq = slot(0);
        float* acc = slot(1);
        namespace ei = Eigen::internal;
        for_each_element([&]<class T>(std::ptrdiff_t i) {
            T g = ei::ploadu<T>(grads + i);
            if (wd != 0) g = ei::padd(g, ei::pmul(ei::pset1<T>(wd), ei::ploadu<T>(p + i)));
            const T s = ei::padd(ei::pmul(ei::ploadu<T>(sq + i), ei::pset1<T>(rho)), ei::pmul(ei::pmul(ei::pset1<T>(c), g), g));
            ei::pstoreu(sq + i, s);
            const T std_dev = detail::exact_sqrt(ei::padd(s, ei::pset1<T>(eps)));
            const T delta = ei::pmul(ei::pdiv(detail::exact_sqrt(ei::padd(ei::ploadu<T>(acc + i), ei::pset1<T>(eps))), std_dev), g);
            ei::pstoreu(acc + i, ei::padd(ei::pmul(ei::ploadu<T>(acc + i), ei::pset1<T>(rho)), ei::pmul(ei::pmul(ei::pset1<T>(c), delta), delta)));
            ei::pstoreu(p + i, ei::padd(ei::ploadu<T>(p + i), ei::pmul(ei::pset1<T>(-lr), delta)));
        });
    }

    std::string name_;
    optimizer_kind kind_ = optimizer_kind::sgd;
    std::size_t n_ = 0;
    double lr_ = 0, weight_decay_ = 0, momentum_ = 0, beta1_ = 0, beta2_ = 0, eps_ = 0, rho_ = 0;
    bool nesterov_ = false, centered_ = false;
    long steps_ = 0;
    std::vector<float> state_;
    std::vector<std::string> slots_;
    std::map<std::string, double> settings_;
};

}  // namespace hps

#pragma GCC diagnostic pop
