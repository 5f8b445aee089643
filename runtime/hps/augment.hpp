// hps::augmenter: on-the-fly augmentation of training batches (the spec's `augment` block).
//
// A sample is channels-last, (d0, ..., d_{r-2}, C): its spatial dimensions are all but the
// last. Each training sample, independently:
//   flip horizontal  with probability 1/2, reverses the last spatial dimension (the width)
//   flip vertical    with probability 1/2, reverses the one before it (the height)
//   translate k      shifts every spatial dimension by an integer drawn from [-k, k]
//                    (a 3-D volume in depth too); what comes in from outside is 0
//   contrast c       x = mean + (x - mean) (1 + U(-c, c)), mean = the sample's mean
//   brightness b     x = x + U(-b, b) * range, range = max - min of the training inputs
//                    (after `scale`), computed once when the data is loaded
// in that order (geometry first; contrast then brightness, which commute: a shift moves
// the mean with it). Values are not clipped. Only the training batch is changed: the
// trainer calls apply() in fill_batch, never on validation or test data.
//
// Determinism: the draws for sample b of step s come from an rng seeded by (seed, s, b)
// alone, in a fixed order (flip h, flip v, one shift per spatial dimension, contrast,
// brightness; a draw only for a transform that is on). A resumed run, or a run with
// another thread count, augments every batch exactly as an uninterrupted one: nothing
// needs saving in resume.bin.
#pragma once

#include "hps/config.hpp"
#include "hps/core.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hps {

// What to do to each training sample; all off by default. Generated code sets the fields.
// augment_config: hps/config.hpp

class augmenter {
public:
    static constexpr int max_spatial = 8;

    augmenter() = default;

    // dims: one sample's shape, channels last; range: max - min of the training inputs
    // (data_range). Throws std::invalid_argument for a transform the shape cannot take.
    void setup(const augment_config& config, const std::vector<int>& dims, float range) {
        c_ = config;
        range_ = range;
        if (config.brightness < 0 || config.contrast < 0 || config.contrast > 1 || config.translate < 0)
            throw std::invalid_argument("augment: brightness >= 0, contrast in [0, 1] and translate >= 0 are required");
        if (dims.empty()) throw std::invalid_argument("augment: the sample shape is empty");
        size_ = 1;
        for (int d : dims) size_ *= d;
        spatial_.assign(dims.begin(), dims.end() - 1);
        channels_ = dims.back();
        if (int(spatial_.size()) > max_spatial) throw std::invalid_argument("augment: too many dimensions");
        const auto needs = [&](bool on, std::size_t rank, const char* what) {
            if (on && spatial_.size() < rank)
                throw std::invalid_argument(std::string("augment: ") + what + " needs an input with " +
                                            std::to_string(rank) + " spatial dimension" + (rank > 1 ? "s" : "") +
                                            " and channels (such as 32 x 32 x 1); this one has " +
                                            std::to_string(spatial_.size()));
        };
        needs(config.flip_horizontal, 1, "flip horizontal");
        needs(config.flip_vertical, 2, "flip vertical");
        needs(config.translate > 0, 1, "translate");
        for (int d : spatial_)
            if (config.translate >= d)
                throw std::invalid_argument("augment: translate " + std::to_string(config.translate) +
                                            " shifts a sample of size " + std::to_string(d) + " out of itself");
        tmp_.assign(std::size_t(size_), 0.0f);
    }

    bool active() const { return c_.active(); }
    const augment_config& config() const { return c_; }

    // max - min over n values (0 when n is 0)
    static float data_range(const float* x, std::size_t n) {
        if (n == 0) return 0;
        const auto [lo, hi] = std::minmax_element(x, x + n);
        return *hi - *lo;
    }

    // Augments the `batch` samples at x ((size, batch), one per column) in place: training
    // step `step` of a run seeded by `seed`.
    // x holds samples first .. first + batch - 1 of the step's batch (a rank's share)
    void apply(float* x, int batch, std::uint64_t seed, long step, int first = 0) {
        if (!active()) return;
        for (int b = 0; b < batch; ++b) {
            rng gen(sample_seed(seed, step, first + b));
            apply_one(x + std::size_t(b) * std::size_t(size_), gen);
        }
    }

    // The seed of sample b's draws at a step: (seed, step, b) mixed, nothing else.
    static std::uint64_t sample_seed(std::uint64_t seed, long step, int b) {
        std::uint64_t h = seed * 0x9E3779B97F4A7C15ull ^ 0xA0761D6478BD642Full;
        h = (h ^ std::uint64_t(step)) * 0xBF58476D1CE4E5B9ull;
        h = (h ^ (h >> 31) ^ std::uint64_t(b)) * 0x94D049BB133111EBull;
        return h ^ (h >> 29);
    }

    // What one sample gets: drawn by draw(), applied by transform().
    struct draws {
        bool flip[max_spatial] = {};  // per spatial dimension
        int shift[max_spatial] = {};  // per spatial dimension
        double factor = 1;            // contrast
        double delta = 0;             // brightness, already times the range
    };

    // The draws for one sample, from gen in the documented order.
    draws draw(rng& gen) const {
        draws d;
        const int rank = int(spatial_.size());
        if (c_.flip_horizontal) d.flip[rank - 1] = gen.uniform() < 0.5;
        if (c_.flip_vertical) d.flip[rank - 2] = gen.uniform() < 0.5;
        if (c_.translate > 0)
            for (int i = 0; i < rank; ++i) d.shift[i] = int(gen.below(2 * std::uint64_t(c_.translate) + 1)) - c_.translate;
        if (c_.contrast > 0) d.factor = 1 + c_.contrast * (2 * gen.uniform() - 1);
        if (c_.brightness > 0) d.delta = c_.brightness * (2 * gen.uniform() - 1) * range_;
        return d;
    }

    void apply_one(float* s, rng& gen) { transform(s, draw(gen)); }

    // Applies d to one sample s (size values, channels last).
    void transform(float* s, const draws& d) {
        const int rank = int(spatial_.size());
        bool moved = false;
        for (int i = 0; i < rank; ++i) moved |= d.flip[i] || d.shift[i] != 0;
        if (moved) {
            // out(p) = in(flip(p - shift)) where p - shift lies inside, else 0
            std::copy(s, s + size_, tmp_.begin());
            int p[max_spatial] = {};
            const int positions = size_ / channels_;
            for (int k = 0; k < positions; ++k) {
                int src = 0;
                bool inside = true;
                for (int i = 0; i < rank; ++i) {
                    int q = p[i] - d.shift[i];
                    if (q < 0 || q >= spatial_[std::size_t(i)]) {
                        inside = false;
                        break;
                    }
                    if (d.flip[i]) q = spatial_[std::size_t(i)] - 1 - q;
                    src = src * spatial_[std::size_t(i)] + q;
                }
                float* dst = s + std::size_t(k) * channels_;
                if (inside)
                    std::copy_n(tmp_.data() + std::size_t(src) * channels_, channels_, dst);
                else
                    std::fill(dst, dst + channels_, 0.0f);
                for (int i = rank - 1; i >= 0; --i) {  // the next position, the last dimension fastest
                    if (++p[i] < spatial_[std::size_t(i)]) break;
                    p[i] = 0;
                }
            }
        }
        if (d.factor != 1.0 || d.delta != 0.0) {
            double mean = 0;
            if (d.factor != 1.0) {
                for (int i = 0; i < size_; ++i) mean += s[i];
                mean /= size_;
            }
            // x f + (1 - f) mean + delta
            const float f = float(d.factor), add = float((1 - d.factor) * mean + d.delta);
            for (int i = 0; i < size_; ++i) s[i] = s[i] * f + add;
        }
    }

private:
    augment_config c_;
    float range_ = 0;
    std::vector<int> spatial_;
    int channels_ = 1, size_ = 0;
    std::vector<float> tmp_;  // one sample, allocated in setup
};

}  // namespace hps
