// batchnorm: batch normalisation over the channel dimension (the last one) of an input of
// any rank: per channel for (L, C), (H, W, C) and (D, H, W, C) samples, per feature for a
// flat (N) one. Each channel c has N = B * In::size / C values in a batch.
//
//   train   mean_c, var_c = the batch's mean and biased variance (in double);
//           xhat = (x - mean_c) / sqrt(var_c + eps), y = gamma_c xhat + beta_c
//           running_mean = (1 - m) running_mean + m mean_c,
//           running_var  = (1 - m) running_var + m var_c N / (N - 1)    (unbiased, as torch)
//           num_batches_tracked += 1
//   infer   xhat = (x - running_mean_c) / sqrt(running_var_c + eps), y = gamma_c xhat + beta_c
//   backward (as the forward pass ran)
//           dgamma += sum dy xhat,  dbeta += sum dy   (sums over the channel's N values)
//           train: dx = gamma inv_std (dy - sum(dy)/N - xhat sum(dy xhat)/N)
//           infer: dx = gamma inv_std dy
// m = 0.1, eps = 1e-5: torch's defaults. A channel with a single value in a training batch
// (a flat input and batch 1) has no variance: std::invalid_argument, as torch refuses it.
//
// Parameters: [gamma (C), beta (C)], none of them weights (num_weights = 0: no L1/L2).
// State (saved with the weights and in resume.bin): [running_mean (C), running_var (C),
// num_batches_tracked (1)]; init: gamma 1, beta 0, mean 0, var 1, count 0.
// Scratch: the mean and 1/sqrt(var + eps) the forward pass used (2C).
//
// PyTorch: nn.BatchNorm1d(C) for a flat or (L, C) input, nn.BatchNorm2d(C) for (H, W, C),
// nn.BatchNorm3d(C) for (D, H, W, C); state_dict weight, bias, running_mean, running_var,
// num_batches_tracked. After hps::flatten (flat_shape<Origin>) the features are exported in
// torch's channels-first flatten order, as dense's weight columns are.
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/flatten.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace hps {

namespace rules {
// batchnorm: the shape kept; parameters gamma and beta per channel (the last dimension:
// per feature when flat).
constexpr outcome batchnorm(dims in) {
    if (in.rank < 1) return refuse(fault::wrong_rank);
    return accept(in, 2 * std::size_t(in.channels()));
}
}  // namespace rules

template <class In, int B>
class batchnorm_layer {
public:
    static constexpr rules::outcome rule = rules::batchnorm(dims_of<In>());
    static_assert(rule.out == dims_of<In>());  // out_shape is In itself: a flat_shape keeps its origin
    static constexpr int channels = In::dims[In::rank - 1];  // C (the feature count when flat)
    static constexpr int positions = In::size / channels;     // values per channel and sample
    static constexpr std::size_t per_channel = std::size_t(positions) * B;  // N
    static constexpr float momentum = 0.1f;
    static constexpr double eps = 1e-5;

    using in_shape = In;
    using out_shape = In;
    static constexpr std::size_t num_params = rule.params;  // gamma, beta
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 2 * std::size_t(channels) + 1;
    static constexpr std::size_t scratch_size = 2 * std::size_t(channels);  // mean, inv_std
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = 0;

    void bind(float* params, float* grads, float* state, float* scratch) {
        gamma_ = params;
        beta_ = params + channels;
        dgamma_ = grads;
        dbeta_ = grads + channels;
        running_mean_ = state;
        running_var_ = state + channels;
        batches_ = state + 2 * channels;
        mean_ = scratch;
        inv_std_ = scratch + channels;
        sums_.assign(2 * std::size_t(channels), 0.0);  // once, here: forward and backward do not allocate
    }

    void init(rng&) {
        std::fill(gamma_, gamma_ + channels, 1.0f);
        std::fill(beta_, beta_ + channels, 0.0f);
        std::fill(running_mean_, running_mean_ + channels, 0.0f);
        std::fill(running_var_, running_var_ + channels, 1.0f);
        *batches_ = 0.0f;
    }

    void forward(const float* x, float* y, context& ctx) {
        training_ = ctx.mode == phase::train;
        if (training_) {
            if (per_channel < 2)
                throw std::invalid_argument("batchnorm: a training batch needs more than one value per channel "
                                            "(a flat input needs a batch of at least 2)");
            double* sum = sums_.data();
            double* sq = sums_.data() + channels;
            std::fill(sums_.begin(), sums_.end(), 0.0);
            for (std::size_t p = 0; p < per_channel; ++p) {
                const float* v = x + p * channels;
                for (int c = 0; c < channels; ++c) sum[c] += v[c];
            }
            for (int c = 0; c < channels; ++c) sum[c] /= double(per_channel);  // the mean
            for (std::size_t p = 0; p < per_channel; ++p) {
                const float* v = x + p * channels;
                for (int c = 0; c < channels; ++c) {
                    const double d = v[c] - sum[c];
                    sq[c] += d * d;
                }
            }
            for (int c = 0; c < channels; ++c) {
                const double var = sq[c] / double(per_channel);
                mean_[c] = float(sum[c]);
                inv_std_[c] = float(1.0 / std::sqrt(var + eps));
                running_mean_[c] = (1 - momentum) * running_mean_[c] + momentum * float(sum[c]);
                running_var_[c] = (1 - momentum) * running_var_[c] +
                                  momentum * float(var * double(per_channel) / double(per_channel - 1));
            }
            *batches_ += 1.0f;
        } else {
            for (int c = 0; c < channels; ++c) {
                mean_[c] = running_mean_[c];
                inv_std_[c] = float(1.0 / std::sqrt(double(running_var_[c]) + eps));
            }
        }
        for (std::size_t p = 0; p < per_channel; ++p) {
            const float* v = x + p * channels;
            float* out = y + p * channels;
            for (int c = 0; c < channels; ++c) out[c] = gamma_[c] * ((v[c] - mean_[c]) * inv_std_[c]) + beta_[c];
        }
    }

    void backward(const float* x, const float*, const float* dy, float* dx, context&) {
        double* sdy = sums_.data();
        double* sdyx = sums_.data() + channels;
        std::fill(sums_.begin(), sums_.end(), 0.0);
        for (std::size_t p = 0; p < per_channel; ++p) {
            const float* v = x + p * channels;
            const float* g = dy + p * channels;
            for (int c = 0; c < channels; ++c) {
                sdy[c] += g[c];
                sdyx[c] += double(g[c]) * ((v[c] - mean_[c]) * inv_std_[c]);
            }
        }
        for (int c = 0; c < channels; ++c) {
            dgamma_[c] += float(sdyx[c]);
            dbeta_[c] += float(sdy[c]);
        }
        if (!dx) return;
        if (training_) {
            for (int c = 0; c < channels; ++c) {
                sdy[c] /= double(per_channel);
                sdyx[c] /= double(per_channel);
            }
            for (std::size_t p = 0; p < per_channel; ++p) {
                const float* v = x + p * channels;
                const float* g = dy + p * channels;
                float* d = dx + p * channels;
                for (int c = 0; c < channels; ++c) {
                    const float xhat = (v[c] - mean_[c]) * inv_std_[c];
                    d[c] = gamma_[c] * inv_std_[c] * (g[c] - float(sdy[c]) - xhat * float(sdyx[c]));
                }
            }
        } else {
            for (std::size_t p = 0; p < per_channel; ++p) {
                const float* g = dy + p * channels;
                float* d = dx + p * channels;
                for (int c = 0; c < channels; ++c) d[c] = gamma_[c] * inv_std_[c] * g[c];
            }
        }
    }

    // torch.nn.BatchNormNd: weight, bias, running_mean, running_var (C), num_batches_tracked ().
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        auto put = [&](const char* name, const float* v) {
            std::vector<float> out(static_cast<std::size_t>(channels));
            for (int j = 0; j < channels; ++j) out[std::size_t(j)] = v[detail::channels_last_index<torch_origin>(j)];
            sink.put(prefix + name, {channels}, std::move(out));
        };
        put("weight", gamma_);
        put("bias", beta_);
        put("running_mean", running_mean_);
        put("running_var", running_var_);
        sink.put(prefix + "num_batches_tracked", {}, std::vector<float>{*batches_});
    }

    static void torch_modules(std::vector<std::string>& out) {
        const char* kind = In::rank == 4 ? "nn.BatchNorm3d(" : In::rank == 3 ? "nn.BatchNorm2d(" : "nn.BatchNorm1d(";
        out.push_back(kind + std::to_string(channels) + ")");
    }

    const float* gamma() const { return gamma_; }
    const float* beta() const { return beta_; }
    const float* running_mean() const { return running_mean_; }
    const float* running_var() const { return running_var_; }
    float batches_tracked() const { return *batches_; }

private:
    // a flat input that came from hps::flatten keeps torch's flatten order of its origin;
    // any other input is per channel and needs no permutation
    using torch_origin = std::conditional_t<In::rank == 1, typename flatten_origin<In>::type, shape<channels>>;

    float* gamma_ = nullptr;
    float* beta_ = nullptr;
    float* dgamma_ = nullptr;
    float* dbeta_ = nullptr;
    float* running_mean_ = nullptr;
    float* running_var_ = nullptr;
    float* batches_ = nullptr;
    float* mean_ = nullptr;
    float* inv_std_ = nullptr;
    std::vector<double> sums_;
    bool training_ = true;
};

// batchnorm: torch's BatchNorm with momentum 0.1 and eps 1e-5, over the last dimension.
struct batchnorm {
    template <class In, int B>
    using impl = batchnorm_layer<In, B>;
};

}  // namespace hps
