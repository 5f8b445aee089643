// hps::network: a sequence of layer specs made into one fixed-shape network.
//
//     using net = hps::network<hps::shape<28, 28, 1>,
//                              hps::conv2d<16, 5, 5, hps::same, hps::relu>, hps::maxpool2d<2>,
//                              hps::dense<640, hps::relu>, hps::dropout<0.25>, hps::dense<2>>;
//     net::instance<128> model;          // batch 128: every buffer allocated here, once
//
// Each spec is instantiated for the shape the previous layer produces (core.hpp states
// the layer contract), so a shape error is a compile-time error raised by the layer
// that cannot take its input. The instance owns every buffer in a few flat allocations
// (llm.c): parameters, gradients, state, per-layer scratch, and activations; the
// optimizer then runs as one loop over the flat parameter and gradient arrays.
#pragma once

#include "hps/core.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace hps {

namespace detail {

// chain<In, B, S1, S2, ...>::type = std::tuple<S1::impl<In,B>, S2::impl<S1'::out_shape,B>, ...>
template <class In, int B, class... Specs>
struct chain;
template <class In, int B>
struct chain<In, B> {
    using type = std::tuple<>;
    using out_shape = In;
};
template <class In, int B, class S, class... Rest>
struct chain<In, B, S, Rest...> {
    using layer = typename S::template impl<In, B>;
    using next = chain<typename layer::out_shape, B, Rest...>;
    using type = decltype(std::tuple_cat(std::declval<std::tuple<layer>>(), std::declval<typename next::type>()));
    using out_shape = typename next::out_shape;
};

}  // namespace detail

// A PyTorch tensor sink for export: put(name, shape, data) with torch's layout already
// applied by the layer. The trainer's sink writes them into an .npz.
struct tensor_entry {
    std::string name;
    std::vector<int> shape;
    std::vector<float> data;
};
struct tensor_list {
    std::vector<tensor_entry> tensors;
    void put(std::string name, std::vector<int> shape, std::vector<float> data) {
        tensors.push_back({std::move(name), std::move(shape), std::move(data)});
    }
};

template <class In, class... Specs>
struct network {
    static_assert(is_shape<In>, "hps::network: the first argument is the input shape, e.g. hps::shape<28, 28, 1>");
    static_assert(sizeof...(Specs) > 0, "hps::network: give at least one layer");

    using in_shape = In;
    static constexpr int num_layers = int(sizeof...(Specs));

    template <int B>
    class instance {
        static_assert(B > 0, "hps::network: the batch size must be > 0");

    public:
        using layers_type = typename detail::chain<In, B, Specs...>::type;
        using out_shape = typename detail::chain<In, B, Specs...>::out_shape;
        static constexpr int batch = B;
        static constexpr int in_size = In::size;
        static constexpr int out_size = out_shape::size;

        template <std::size_t I>
        using layer_t = std::tuple_element_t<I, layers_type>;

    private:
        template <std::size_t... I>
        static constexpr std::size_t sum_params(std::index_sequence<I...>) { return (layer_t<I>::num_params + ... + 0); }
        template <std::size_t... I>
        static constexpr std::size_t sum_state(std::index_sequence<I...>) { return (layer_t<I>::num_state + ... + 0); }
        template <std::size_t... I>
        static constexpr std::size_t sum_scratch(std::index_sequence<I...>) { return (layer_t<I>::scratch_size + ... + 0); }
        template <std::size_t... I>
        static constexpr std::size_t sum_acts(std::index_sequence<I...>) {
            return ((layer_t<I>::is_view ? 0 : std::size_t(layer_t<I>::out_shape::size) * B) + ... + 0);
        }
        template <std::size_t... I>
        static constexpr std::size_t max_act(std::index_sequence<I...>) {
            std::size_t m = std::size_t(In::size);
            ((m = std::max(m, std::size_t(layer_t<I>::out_shape::size))), ...);
            return m * B;
        }
        using seq = std::make_index_sequence<sizeof...(Specs)>;

    public:
        static constexpr std::size_t num_params = sum_params(seq{});
        static constexpr std::size_t num_state = sum_state(seq{});

        instance()
            : params_(num_params), grads_(num_params), state_(num_state), scratch_(sum_scratch(seq{})),
              acts_(sum_acts(seq{})), delta_a_(max_act(seq{})), delta_b_(max_act(seq{})) {
            std::size_t p = 0, s = 0, sc = 0, a = 0;
            bind_all(p, s, sc, a, seq{});
            fold_all(seq{});
        }
        instance(const instance&) = delete;
        instance& operator=(const instance&) = delete;

        void init(rng& gen) {
            std::apply([&](auto&... l) { (l.init(gen), ...); }, layers_);
        }

        // x: (In, B). Returns the output (Out, B), valid until the next forward.
        const float* forward(const float* x, context& ctx) {
            input_ = x;
            forward_from<0>(x, ctx);
            return out_[sizeof...(Specs) - 1];
        }

        // dy: dL/d output (Out, B). Accumulates into grads(); zero_grads() once per step.
        void backward(const float* dy, context& ctx) {
            auto nothing = [](std::size_t) {};
            backward_from<sizeof...(Specs) - 1>(dy, ctx, nothing);
        }
        // The same, calling done(from) after each layer's backward: grads() from `from` to
        // num_params are then final (the layers' parameters lie in order and the pass runs
        // from the last), so that data-parallel training can exchange them while the layers
        // below compute (hps/train/ranks.hpp).
        template <class Done>
        void backward(const float* dy, context& ctx, Done&& done) {
            backward_from<sizeof...(Specs) - 1>(dy, ctx, done);
        }

        void zero_grads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

        float* params() { return params_.data(); }
        const float* params() const { return params_.data(); }
        float* grads() { return grads_.data(); }
        float* state() { return state_.data(); }
        const float* state() const { return state_.data(); }
        const float* output() const { return out_[sizeof...(Specs) - 1]; }

        // Where layer i's weights lie in params(): penalties (L1/L2) apply to them.
        struct span {
            std::size_t offset, weights, params;
        };
        span layer_span(int i) const { return spans_[std::size_t(i)]; }
        static constexpr int num_layers = int(sizeof...(Specs));

        // PyTorch export: the state_dict of the nn.Sequential that torch_model() builds.
        template <class Sink>
        void export_params(Sink& sink) const {
            int module = 0;
            export_from<0>(sink, module);
        }
        // Python source of the equivalent torch.nn.Sequential's modules, in order.
        std::vector<std::string> torch_modules() const {
            std::vector<std::string> out;
            collect_modules<0>(out);
            return out;
        }

        // A run-time value of layer i (dropout<>'s "rate"; core.hpp, the layer contract).
        // Returns "" or why it was refused: no such layer, a layer that takes no run-time
        // value, an unknown name or a value out of range.
        std::string set_layer(int i, std::string_view name, double value) {
            if (i < 0 || i >= num_layers)
                return "layer " + std::to_string(i) + " does not exist (the network has " + std::to_string(num_layers) +
                       " layers)";
            return set_from<0>(std::size_t(i), name, value);
        }
        // "" when every layer has the run-time values it needs, else the first one missing
        std::string missing_settings() const { return missing_from<0>(); }

        layers_type& layers() { return layers_; }

    private:
        template <std::size_t... I>
        void bind_all(std::size_t& p, std::size_t& s, std::size_t& sc, std::size_t& a, std::index_sequence<I...>) {
            (bind_one<I>(p, s, sc, a), ...);
        }
        template <std::size_t I>
        void bind_one(std::size_t& p, std::size_t& s, std::size_t& sc, std::size_t& a) {
            using L = layer_t<I>;
            auto& l = std::get<I>(layers_);
            l.bind(params_.data() + p, grads_.data() + p, state_.data() + s, scratch_.data() + sc);
            spans_[I] = {p, L::num_weights, L::num_params};
            p += L::num_params;
            s += L::num_state;
            sc += L::scratch_size;
            if constexpr (!L::is_view) {
                out_[I] = acts_.data() + a;
                a += std::size_t(L::out_shape::size) * B;
            } else {
                out_[I] = nullptr;  // set during forward: aliases the input
            }
        }

        // A convolution with ReLU directly below a max pool leaves ReLU's derivative to the
        // pool's backward pass, which applies it where it routes a gradient (fold_relu,
        // mask_relu: conv_kernels.hpp, common.hpp's max_pool_backward): one pass over the
        // convolution's output gradient fewer, the same bits
        template <std::size_t... I>
        void fold_all(std::index_sequence<I...>) {
            (fold_one<I>(), ...);
        }
        template <std::size_t I>
        void fold_one() {
            if constexpr (I + 1 < sizeof...(Specs)) {
                auto& below = std::get<I>(layers_);
                auto& above = std::get<I + 1>(layers_);
                if constexpr (requires { below.fold_relu(); } && requires { above.mask_relu(); }) {
                    below.fold_relu();
                    above.mask_relu();
                }
            }
        }

        template <std::size_t I>
        void forward_from(const float* x, context& ctx) {
            if constexpr (I < sizeof...(Specs)) {
                using L = layer_t<I>;
                if constexpr (L::is_view) {
                    out_[I] = const_cast<float*>(x);
                } else {
                    std::get<I>(layers_).forward(x, out_[I], ctx);
                }
                forward_from<I + 1>(out_[I], ctx);
            }
        }

        // whether some layer below I is not a view, so that layer I's dx is needed
        template <std::size_t I>
        static constexpr bool computes_below() {
            if constexpr (I == 0)
                return false;
            else
                return !layer_t<I - 1>::is_view || computes_below<I - 1>();
        }

        template <std::size_t I, class Done>
        void backward_from(const float* dy, context& ctx, Done& done) {
            using L = layer_t<I>;
            const float* x = I == 0 ? input_ : out_[I == 0 ? 0 : I - 1];
            if constexpr (L::is_view) {
                if constexpr (I > 0) backward_from<I - 1>(dy, ctx, done);
            } else {
                float* dx = nullptr;  // nullptr: nothing below uses it (only views, or the input)
                if constexpr (computes_below<I>()) dx = (dy == delta_a_.data()) ? delta_b_.data() : delta_a_.data();
                std::get<I>(layers_).backward(x, out_[I], dy, dx, ctx);
                done(spans_[I].offset);
                if constexpr (I > 0) backward_from<I - 1>(dx, ctx, done);
            }
        }

        template <std::size_t I, class Sink>
        void export_from(Sink& sink, int& module) const {
            if constexpr (I < sizeof...(Specs)) {
                using L = layer_t<I>;
                std::vector<std::string> mods;
                std::get<I>(layers_).torch_modules(mods);
                if constexpr (L::torch_param_module >= 0)
                    std::get<I>(layers_).export_params(sink, std::to_string(module + L::torch_param_module) + ".");
                module += int(mods.size());
                export_from<I + 1>(sink, module);
            }
        }

        template <std::size_t I>
        void collect_modules(std::vector<std::string>& out) const {
            if constexpr (I < sizeof...(Specs)) {
                std::get<I>(layers_).torch_modules(out);
                collect_modules<I + 1>(out);
            }
        }

        template <std::size_t I>
        std::string set_from(std::size_t i, std::string_view name, double value) {
            if constexpr (I < sizeof...(Specs)) {
                if (i != I) return set_from<I + 1>(i, name, value);
                auto& l = std::get<I>(layers_);
                if constexpr (requires { l.set(name, value); })
                    return l.set(name, value);
                else
                    return "layer " + std::to_string(I) + " takes no value at run time (it has no '" + std::string(name) +
                           "' setting)";
            } else {
                return "layer " + std::to_string(i) + " does not exist";
            }
        }

        template <std::size_t I>
        std::string missing_from() const {
            if constexpr (I < sizeof...(Specs)) {
                const auto& l = std::get<I>(layers_);
                if constexpr (requires { l.missing(); }) {
                    std::string m = l.missing();
                    if (!m.empty()) return "layer " + std::to_string(I) + ": " + m;
                }
                return missing_from<I + 1>();
            } else {
                return "";
            }
        }

        layers_type layers_;
        buffer params_, grads_, state_, scratch_, acts_, delta_a_, delta_b_;
        std::array<float*, sizeof...(Specs)> out_{};
        std::array<span, sizeof...(Specs)> spans_{};
        const float* input_ = nullptr;
    };
};

}  // namespace hps
