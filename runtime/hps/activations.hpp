// Activations: element-wise functions whose derivative is expressed from the OUTPUT
// y = f(x), so a layer that fuses its activation (dense, conv2d) keeps y only.
//
//   relu      y = max(x, 0)                      f' = y > 0 ? 1 : 0
//   elu       y = x > 0 ? x : exp(x) - 1         f' = y > 0 ? 1 : y + 1          (alpha 1)
//   selu      y = s * (x > 0 ? x : a(exp(x)-1))  f' = y > 0 ? s : y + s*a        (PyTorch's s, a)
//   softplus  y = log(1 + exp(x))                f' = 1 - exp(-y) = sigmoid(x)   (beta 1)
//   sigmoid   y = 1 / (1 + exp(-x))              f' = y (1 - y)
//   tanh      y = tanh(x)                        f' = 1 - y^2
//   linear    y = x                              f' = 1
//
// At x = 0, relu and selu take the left derivative (0; s*a), as PyTorch does for relu.
// Each tag also names its weight initialisation (He normal for the ReLU family, Glorot
// uniform otherwise) and its torch.nn module (none for linear).
//
// activation<Act> is the same function as a layer of its own (out_shape = in_shape).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hps {

// GCC 12 at -O3 warns (-Warray-bounds) about Eigen's packet loop when it inlines these
// into a caller whose n < 4 is a constant: that loop never runs there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"

struct activation_tag {};

template <class T>
concept activation_function = std::is_base_of_v<activation_tag, T>;

struct relu : activation_tag {
    static constexpr std::string_view name = "relu";
    static constexpr std::string_view torch_module = "nn.ReLU()";
    static constexpr init_kind init = init_kind::he_normal;
    static constexpr bool is_identity = false;

    static float value(float x) { return x > 0 ? x : 0.0f; }
    static float derivative_from_output(float y) { return y > 0 ? 1.0f : 0.0f; }
    // y = f(y) in place, n floats
    static void forward(float* y, std::ptrdiff_t n) {
        detail::array_view a(y, n);
        a = a.max(0.0f);
    }
    // dz = dy * f'(y); dz may alias dy
    static void backward(const float* y, const float* dy, float* dz, std::ptrdiff_t n) {
        const detail::const_array_view Y(y, n), DY(dy, n);
        detail::array_view DZ(dz, n);
        DZ = (Y > 0.0f).select(DY, 0.0f);
    }
};

struct elu : activation_tag {
    static constexpr std::string_view name = "elu";
    static constexpr std::string_view torch_module = "nn.ELU()";
    static constexpr init_kind init = init_kind::he_normal;
    static constexpr bool is_identity = false;

    static float value(float x) { return x > 0 ? x : std::expm1(x); }
    static float derivative_from_output(float y) { return y > 0 ? 1.0f : y + 1.0f; }
    static void forward(float* y, std::ptrdiff_t n) {
        detail::array_view a(y, n);
        a = (a > 0.0f).select(a, a.expm1());
    }
    static void backward(const float* y, const float* dy, float* dz, std::ptrdiff_t n) {
        const detail::const_array_view Y(y, n), DY(dy, n);
        detail::array_view DZ(dz, n);
        DZ = (Y > 0.0f).select(DY, DY * (Y + 1.0f));
    }
};

struct selu : activation_tag {
    static constexpr std::string_view name = "selu";
    static constexpr std::string_view torch_module = "nn.SELU()";
    static constexpr init_kind init = init_kind::he_normal;
    static constexpr bool is_identity = false;
    // torch.nn.SELU's constants (Klambauer et al. 2017)
    static constexpr float scale = 1.0507009873554804934193349852946f;
    static constexpr float alpha = 1.6732632423543772848170429916717f;

    static float value(float x) { return x > 0 ? scale * x : scale * alpha * std::expm1(x); }
    static float derivative_from_output(float y) { return y > 0 ? scale : y + scale * alpha; }
    static void forward(float* y, std::ptrdiff_t n) {
        detail::array_view a(y, n);
        a = (a > 0.0f).select(scale * a, (scale * alpha) * a.expm1());
    }
    static void backward(const float* y, const float* dy, float* dz, std::ptrdiff_t n) {
        const detail::const_array_view Y(y, n), DY(dy, n);
        detail::array_view DZ(dz, n);
        DZ = (Y > 0.0f).select(scale * DY, DY * (Y + scale * alpha));
    }
};

struct softplus : activation_tag {
    static constexpr std::string_view name = "softplus";
    static constexpr std::string_view torch_module = "nn.Softplus()";
    static constexpr init_kind init = init_kind::glorot_uniform;
    static constexpr bool is_identity = false;

    // max(x, 0) + log1p(exp(-|x|)): no overflow for large x, no cancellation for small.
    static float value(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }
    // 1 - exp(-y) = -expm1(-y): exact also where y is tiny (x very negative)
    static float derivative_from_output(float y) { return -std::expm1(-y); }
    static void forward(float* y, std::ptrdiff_t n) {
        detail::array_view a(y, n);
        a = a.max(0.0f) + (-a.abs()).exp().log1p();
    }
    static void backward(const float* y, const float* dy, float* dz, std::ptrdiff_t n) {
        const detail::const_array_view Y(y, n), DY(dy, n);
        detail::array_view DZ(dz, n);
        DZ = -DY * (-Y).expm1();
    }
};

struct sigmoid : activation_tag {
    static constexpr std::string_view name = "sigmoid";
    static constexpr std::string_view torch_module = "nn.Sigmoid()";
    static constexpr init_kind init = init_kind::glorot_uniform;
    static constexpr bool is_identity = false;

    static float value(float x) { return 1.0f / (1.0f + std::exp(-x)); }
    static float derivative_from_output(float y) { return y * (1.0f - y); }
    static void forward(float* y, std::ptrdiff_t n) {
        // 1 / (1 + exp(-x)) with Eigen's vectorised exp (Eigen's logistic() is off by up to
        // 2e-5 relative for small outputs); x -> -inf gives 1/inf = 0, no NaN
        detail::array_view a(y, n);
        a = 1.0f / (1.0f + (-a).exp());
    }
    static void backward(const float* y, const float* dy, float* dz, std::ptrdiff_t n) {
        const detail::const_array_view Y(y, n), DY(dy, n);
        detail::array_view DZ(dz, n);
        DZ = DY * (Y * (1.0f - Y));
    }
};

struct tanh : activation_tag {
    static constexpr std::string_view name = "tanh";
    static constexpr std::string_view torch_module = "nn.Tanh()";
    static constexpr init_kind init = init_kind::glorot_uniform;
    static constexpr bool is_identity = false;

    static float value(float x) { return std::tanh(x); }
    static float derivative_from_output(float y) { return 1.0f - y * y; }
    static void forward(float* y, std::ptrdiff_t n) {
        detail::array_view a(y, n);
        a = a.tanh();
    }
    static void backward(const float* y, const float* dy, float* dz, std::ptrdiff_t n) {
        const detail::const_array_view Y(y, n), DY(dy, n);
        detail::array_view DZ(dz, n);
        DZ = DY * (1.0f - Y.square());
    }
};

struct linear : activation_tag {
    static constexpr std::string_view name = "linear";
    static constexpr std::string_view torch_module = "";  // none
    static constexpr init_kind init = init_kind::glorot_uniform;
    static constexpr bool is_identity = true;

    static float value(float x) { return x; }
    static float derivative_from_output(float) { return 1.0f; }
    static void forward(float*, std::ptrdiff_t) {}
    static void backward(const float*, const float* dy, float* dz, std::ptrdiff_t n) {
        if (dz != dy) std::memcpy(dz, dy, sizeof(float) * std::size_t(n));
    }
};

#pragma GCC diagnostic pop

// ---------------------------------------------------------------------------- layer
// activation<Act>: y = Act(x) element-wise, any input shape; no parameters.
//   backward: dx = dy * Act'(y). activation<linear> is a view (no copy, no module
//   beyond nn.Identity()).
template <class Act>
struct activation {
    static_assert(activation_function<Act>,
                  "activation<Act>: Act must be an activation tag (hps::relu, elu, selu, softplus, sigmoid, tanh, linear)");

    template <class In, int B>
    class impl {
    public:
        using in_shape = In;
        using out_shape = In;
        static constexpr std::size_t num_params = 0;
        static constexpr std::size_t num_weights = 0;
        static constexpr std::size_t num_state = 0;
        static constexpr std::size_t scratch_size = 0;
        static constexpr bool is_view = Act::is_identity;
        static constexpr int torch_param_module = -1;
        static constexpr std::ptrdiff_t n = std::ptrdiff_t(In::size) * B;

        void bind(float*, float*, float*, float*) {}
        void init(rng&) {}
        void forward(const float* x, float* y, context&) {
            if (x != y) std::memcpy(y, x, sizeof(float) * std::size_t(n));
            Act::forward(y, n);
        }
        void backward(const float*, const float* y, const float* dy, float* dx, context&) {
            if (dx) Act::backward(y, dy, dx, n);
        }
        template <class Sink>
        void export_params(Sink&, const std::string&) const {}
        static void torch_modules(std::vector<std::string>& out) {
            out.emplace_back(Act::is_identity ? std::string_view("nn.Identity()") : Act::torch_module);
        }
    };
};

}  // namespace hps
