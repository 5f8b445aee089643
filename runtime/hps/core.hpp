// hps runtime core: shapes, the random generator, buffers, and the layer contract.
//
// Data layout (docs/runtime.md has the reasons): a batch of B samples is a column-major
// (size, B) matrix, one column per sample; a sample's spatial data is channels-last
// (H, W, C with C fastest), so a convolution over a whole batch is one GEMM
// (F, K) x (K, H*W*B) whose result is already the next layer's input.
//
// THE LAYER CONTRACT. A layer *spec* is a small type holding a layer's own
// hyperparameters (filters, kernel, activation); it knows nothing of its input. The
// network instantiates it for the shape it receives and the batch size:
//
//     template <class In, int B> using impl = <concrete layer>;      // In: hps::shape<...>
//
// A concrete layer L provides:
//   using in_shape, out_shape;                 // hps::shape<...>
//   static constexpr std::size_t num_params;   // trainable floats: weights first, then biases
//   static constexpr std::size_t num_weights;  // <= num_params; L1/L2 penalties apply to these
//   static constexpr std::size_t num_state;    // non-trainable floats kept with the weights
//                                              //   (batchnorm running statistics)
//   static constexpr std::size_t scratch_size; // floats kept between forward and backward
//                                              //   (padded inputs, dropout masks, pool argmax)
//   static constexpr bool is_view;             // output aliases input (flatten): no copy
//   void bind(float* params, float* grads, float* state, float* scratch);   // once
//   void init(rng& gen);                       // params (and state) to their initial values
//   void forward(const float* x, float* y, context& ctx);          // x (In, B) -> y (Out, B)
//   void backward(const float* x, const float* y, const float* dy, float* dx, context& ctx);
//        // grads += dL/dparams (accumulate: the trainer zeroes them once per step);
//        // dx = dL/dx (overwrite); dx == nullptr for the first layer: skip that work.
//        // x and y are the forward pass's, unchanged since.
//   template <class Sink> void export_params(Sink& sink, const std::string& prefix) const;
//        // PyTorch state_dict tensors: sink.put(prefix + "weight", torch_shape, data)
//   void torch_modules(std::vector<std::string>& out) const;   // (may be static)
//        // the equivalent torch.nn modules as Python source, in nn.Sequential order
//        // ("nn.Conv2d(1, 16, 5, padding=2)", "nn.ReLU()"); the network numbers them,
//        // and export_params' prefix is the index of the module that owns the params.
//        // The count of modules must not depend on run-time settings.
//   static constexpr int torch_param_module;   // which of those modules owns the params
//                                              //   (0; -1 when there are none)
//
// A layer may take values at run time instead of compiling them in (dropout<>'s rate: the
// points of a study that differ only there share one trainer). It then provides
//   std::string set(std::string_view name, double value);  // "" or why it refuses
//   std::string missing() const;               // "" or the run-time value it still needs
// and the network's set_layer()/missing_settings() reach it by layer index.
//
// Every buffer is allocated once, by the network, before training: nothing inside
// forward/backward allocates.
#pragma once

#include "hps/config.hpp"
#include "hps/rules.hpp"

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hps {

// ---------------------------------------------------------------------------- shapes
template <int... Dims>
struct shape {
    static_assert(sizeof...(Dims) > 0, "hps::shape: give at least one dimension");
    static_assert(((Dims > 0) && ...), "hps::shape: every dimension must be > 0");
    static constexpr int rank = int(sizeof...(Dims));
    static constexpr std::array<int, sizeof...(Dims)> dims{Dims...};
    static constexpr int size = (Dims * ...);
};

template <class S>
inline constexpr bool is_shape = false;
template <int... D>
inline constexpr bool is_shape<shape<D...>> = true;

// A shape's dims for the layers' rules (hps/rules.hpp): rules::dims has room for the four
// dimensions of a volume (D, H, W, C).
template <class S>
constexpr rules::dims dims_of() {
    static_assert(S::rank <= 4, "hps::shape: a layer takes at most 4 dimensions (depth, height, width, channels)");
    rules::dims d;
    d.rank = S::rank;
    for (int i = 0; i < S::rank && i < 4; ++i) d.d[std::size_t(i)] = S::dims[std::size_t(i)];
    return d;
}

namespace detail {
// (by rank, from ints: GCC 12 crashes on a class-type template argument used directly in
// an alias template's expression; one level of struct avoids it)
template <int Rank, int D0, int D1, int D2, int D3>
struct shape_of_rank {
    using type = shape<1>;
};
template <int D0, int D1, int D2, int D3>
struct shape_of_rank<1, D0, D1, D2, D3> {
    using type = shape<D0>;
};
template <int D0, int D1, int D2, int D3>
struct shape_of_rank<2, D0, D1, D2, D3> {
    using type = shape<D0, D1>;
};
template <int D0, int D1, int D2, int D3>
struct shape_of_rank<3, D0, D1, D2, D3> {
    using type = shape<D0, D1, D2>;
};
template <int D0, int D1, int D2, int D3>
struct shape_of_rank<4, D0, D1, D2, D3> {
    using type = shape<D0, D1, D2, D3>;
};
constexpr int at_least_1(int v) { return v > 0 ? v : 1; }
template <rules::dims D>
struct shape_from_dims {
    using type = typename shape_of_rank<D.rank, at_least_1(D.d[0]), at_least_1(D.d[1]), at_least_1(D.d[2]),
                                        at_least_1(D.d[3])>::type;
};
}  // namespace detail

// The shape<...> of a rule's output dims. A refused outcome (rank 0, no dimensions) gives
// shape<1>, and a dimension of 0 gives 1: the layer's static_assert on the fault is then
// the one message, not followed by shape's own about dimensions of 0.
template <rules::dims D>
using shape_from = typename detail::shape_from_dims<D>::type;

// ---------------------------------------------------------------------------- buffers
using buffer = std::vector<float, Eigen::aligned_allocator<float>>;

// (Rows, Cols) column-major views over preallocated buffers. Fixed sizes let Eigen pick
// its kernels at compile time; a Map never allocates, whatever its size.
// (A 1 x C matrix must be declared row-major in Eigen; its memory is the same.)
// Products and long element-wise passes over large buffers need runtime-sized maps
// instead: Eigen packs fixed-size product operands on the stack and overflows its int
// size enums past 2^31 (hps/layers/common.hpp has the details and the views).
template <int Rows, int Cols>
using matrix = Eigen::Matrix<float, Rows, Cols, (Rows == 1 && Cols != 1) ? Eigen::RowMajor : Eigen::ColMajor>;
template <int Rows, int Cols>
using mat_map = Eigen::Map<matrix<Rows, Cols>>;
template <int Rows, int Cols>
using const_mat_map = Eigen::Map<const matrix<Rows, Cols>>;
template <int Rows>
using vec_map = Eigen::Map<Eigen::Matrix<float, Rows, 1>>;
template <int Rows>
using const_vec_map = Eigen::Map<const Eigen::Matrix<float, Rows, 1>>;

// ---------------------------------------------------------------------------- random
// xoshiro256** seeded through splitmix64: the same stream on every platform and
// compiler (std:: distributions differ between standard libraries, so none is used).

// splitmix64's output at state `state`: a 64-bit mix of it (the generator's seeding; dropout's
// mask, which hashes each value's position, layers/dropout.hpp)
constexpr std::uint64_t splitmix64(std::uint64_t state) {
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class rng {
public:
    explicit rng(std::uint64_t seed = 1) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        for (auto& word : s_) {
            seed += 0x9E3779B97F4A7C15ull;
            word = splitmix64(seed);
        }
        has_spare_ = false;
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // uniform in [0, 1), 53 random bits
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    // uniform integer in [0, bound), bound > 0, without modulo bias (Lemire's
    // multiply-and-reject)
    std::uint64_t below(std::uint64_t bound) {
        unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
        std::uint64_t low = std::uint64_t(m);
        if (low < bound) {
            const std::uint64_t threshold = (0 - bound) % bound;
            while (low < threshold) {
                m = static_cast<unsigned __int128>(next()) * bound;
                low = std::uint64_t(m);
            }
        }
        return std::uint64_t(m >> 64);
    }
    // standard normal (Box-Muller, both values used)
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1 = 0;
        while (u1 <= 0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * M_PI * u2);
        has_spare_ = true;
        return r * std::cos(2.0 * M_PI * u2);
    }

    // The whole state, for checkpoints: resuming reproduces the same stream.
    static constexpr std::size_t state_words = 6;
    std::array<std::uint64_t, state_words> save() const {
        std::uint64_t spare_bits;
        static_assert(sizeof spare_bits == sizeof spare_);
        __builtin_memcpy(&spare_bits, &spare_, sizeof spare_bits);
        return {s_[0], s_[1], s_[2], s_[3], std::uint64_t(has_spare_), spare_bits};
    }
    void restore(const std::array<std::uint64_t, state_words>& st) {
        for (int i = 0; i < 4; ++i) s_[i] = st[std::size_t(i)];
        has_spare_ = st[4] != 0;
        __builtin_memcpy(&spare_, &st[5], sizeof spare_);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4] = {};
    bool has_spare_ = false;
    double spare_ = 0;
};

// ---------------------------------------------------------------------------- context
enum class phase { train, infer };

// What a forward/backward pass needs beyond its buffers.
struct context {
    phase mode = phase::train;
    rng* gen = nullptr;  // dropout masks; owned by the trainer, saved in checkpoints
    precision prec = precision::fp32;  // hps/config.hpp
};

// ---------------------------------------------------------------------------- init
// Fan-in/fan-out initialisation, chosen by the layer's activation (He for the ReLU
// family, Glorot otherwise), as Keras and PyTorch users expect.
enum class init_kind { glorot_uniform, he_normal };

inline void init_weights(float* w, std::size_t n, int fan_in, int fan_out, init_kind kind, rng& gen) {
    if (kind == init_kind::he_normal) {
        const double sd = std::sqrt(2.0 / fan_in);
        for (std::size_t i = 0; i < n; ++i) w[i] = float(sd * gen.normal());
    } else {
        const double limit = std::sqrt(6.0 / (fan_in + fan_out));
        for (std::size_t i = 0; i < n; ++i) w[i] = float(limit * (2 * gen.uniform() - 1));
    }
}

}  // namespace hps
