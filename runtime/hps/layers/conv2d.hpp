// conv2d<Filters, KH, KW, Padding, Act, SH, SW>: a 2-D convolution (cross-correlation,
// as in every framework) over channels-last samples, activation fused.
//
//   x (H*W*C, B), one sample (H, W, C), C fastest; y (Ho*Wo*F, B), one sample (Ho, Wo, F)
//   patches P (K, Ho*Wo*B), K = KH*KW*C, row k = (kh*KW + kw)*C + c, column
//     n = (b*Ho + oh)*Wo + ow, P(k, n) = x_b(oh*SH - pad_top + kh, ow*SW - pad_left + kw, c)
//     (0 outside the input)
//   forward   Z = W P + b, y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dx = col2im(W^T dZ) (skipped when dx == nullptr)
//
// P is never built: the kernels (hps/layers/conv_kernels.hpp) read each sample zero-padded
// to (Hp, Wp, C), where a patch row is a contiguous run of KW*C floats, and keep a
// register tile of Z (or dW, or dx) for the whole reduction; bias and ReLU are applied
// to the tile before it is stored. OpenMP threads take samples (forward, dx) or tiles of
// dW (each thread sums its tiles over the whole batch in the same order), so results do
// not depend on the thread count.
//
// Padding: valid (Ho = (H - KH)/SH + 1, floored: trailing rows a window cannot reach are
// ignored) or same (Ho = ceil(H/SH), TensorFlow's split: pad_total = max((Ho-1)*SH + KH
// - H, 0), pad_top = pad_total/2, the odd one at the bottom; the same for the width).
//
// Parameters: [W as the column-major (F, K) matrix, i.e. TensorFlow's (KH, KW, C, F)
// kernel in C order; then b (F)]. Scratch: the padded samples (B, Hp, Wp, C) (backward
// writes dx's padded form over them), dZ (F', Ho*Wo*B) unless the activation is linear
// and F fills whole packets (F' = F rounded up to packets), W transposed per kernel row
// for dx, and W, b padded to F' rows when F does not fill whole packets. backward
// overwrites the padded samples, so call it once per forward.
//
// PyTorch: nn.Conv2d(C, F, (KH, KW), stride=(SH, SW)[, padding=(ph, pw)]) [, act], with
// "nn.ZeroPad2d((left, right, top, bottom))" in front when SAME padding is asymmetric
// (an even kernel or a stride > 1); weight exported as torch's (F, C, KH, KW).
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/conv_kernels.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

// Eigen's packet types (__m512 and kin) as template arguments: GCC notes that their
// alignment attributes are not part of the type, which is harmless here (Eigen silences
// the same note in its own headers).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

namespace hps {

// Padding tags for conv2d.
struct valid {
    static constexpr bool is_same = false;
};
struct same {
    static constexpr bool is_same = true;
};

namespace detail {
constexpr int conv_out_size(int in, int kernel, int stride, bool is_same) {
    return is_same ? (in + stride - 1) / stride : (in >= kernel ? (in - kernel) / stride + 1 : 0);
}
constexpr int conv_pad_total(int in, int kernel, int stride, bool is_same) {
    if (!is_same) return 0;
    const int total = (conv_out_size(in, kernel, stride, true) - 1) * stride + kernel - in;
    return total > 0 ? total : 0;
}
}  // namespace detail

template <class In, int Filters, int KH, int KW, class Padding, class Act, int SH, int SW, int B>
class conv2d_layer {
    static_assert(In::rank == 3,
                  "conv2d: the input must be a (height, width, channels) image, e.g. hps::shape<28, 28, 1>; "
                  "give a single-channel image a channel dimension of 1");

public:
    static constexpr int input_height = In::dims[0];
    static constexpr int input_width = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int channels = In::dims[In::rank > 2 ? 2 : 0];
    static constexpr int kernel_height = KH;
    static constexpr int kernel_width = KW;
    static constexpr bool is_same = Padding::is_same;

    // the kernel must fit the input under VALID padding (SAME pads it): the values of this
    // comparison appear in g++'s note under the message
    static constexpr int valid_kernel_height = is_same ? 1 : KH;
    static constexpr int valid_kernel_width = is_same ? 1 : KW;
    static_assert(valid_kernel_height <= input_height,
                  "conv2d: the kernel is taller than the input under VALID padding "
                  "(kernel height <= input height; g++'s note below has the values); use padding same or a smaller kernel");
    static_assert(valid_kernel_width <= input_width,
                  "conv2d: the kernel is wider than the input under VALID padding "
                  "(kernel width <= input width; g++'s note below has the values); use padding same or a smaller kernel");

    static constexpr int out_height = detail::conv_out_size(input_height, KH, SH, is_same);
    static constexpr int out_width = detail::conv_out_size(input_width, KW, SW, is_same);
    static constexpr int pad_top = detail::conv_pad_total(input_height, KH, SH, is_same) / 2;
    static constexpr int pad_bottom = detail::conv_pad_total(input_height, KH, SH, is_same) - pad_top;
    static constexpr int pad_left = detail::conv_pad_total(input_width, KW, SW, is_same) / 2;
    static constexpr int pad_right = detail::conv_pad_total(input_width, KW, SW, is_same) - pad_left;
    static constexpr bool symmetric_padding = pad_top == pad_bottom && pad_left == pad_right;

    static constexpr int patch_size = KH * KW * channels;          // K
    static constexpr int columns = out_height * out_width * B;     // Ho*Wo*B
    static constexpr int in_sample = In::size;
    static constexpr int out_sample = out_height * out_width * Filters;

    // kernel geometry (conv_kernels.hpp): padded sample (Hp, Wp, C), patch rows of R floats
    static constexpr int padded_height = input_height + pad_top + pad_bottom;  // Hp
    static constexpr int padded_width = input_width + pad_left + pad_right;    // Wp
    static constexpr int run = KW * channels;                                   // R
    using filter_packet = detail::conv::packet_for<Filters>;
    using run_packet = detail::conv::packet_for<run>;
    static constexpr int filter_lanes = detail::conv::lanes<filter_packet>;
    static constexpr int run_lanes = detail::conv::lanes<run_packet>;
    static constexpr int padded_filters = detail::conv::round_up(Filters, filter_lanes);  // F'
    static constexpr int padded_run = detail::conv::round_up(run, run_lanes);
    static constexpr bool pads_filters = padded_filters != Filters;
    static constexpr bool keeps_dz = !Act::is_identity || pads_filters;
    // one padded sample, plus the slack dx's padded run may overflow into, in 64-byte steps
    static constexpr std::size_t xpad_size = std::size_t(padded_height) * padded_width * channels;
    static constexpr std::size_t xpad_stride = (xpad_size + (padded_run - run) + 15) / 16 * 16;

    using in_shape = In;
    using out_shape = shape<out_height, out_width, Filters>;
    static constexpr std::size_t num_weights = std::size_t(Filters) * patch_size;
    static constexpr std::size_t num_params = num_weights + Filters;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t xpad_total = xpad_stride * B;                                        // (B, Hp, Wp, C)
    static constexpr std::size_t dz_total = keeps_dz ? std::size_t(padded_filters) * columns : 0;      // (F', Ho*Wo*B)
    static constexpr std::size_t wt_total = std::size_t(KH) * Filters * padded_run;                   // (KH, F, R')
    static constexpr std::size_t wpad_total = pads_filters ? std::size_t(padded_filters) * (patch_size + 1) : 0;
    static constexpr std::size_t scratch_size = xpad_total + dz_total + wt_total + wpad_total;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = symmetric_padding ? 0 : 1;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                // (F, K)
        b_ = params + num_weights;  // (F)
        dw_ = grads;
        db_ = grads + num_weights;
        xpad_ = scratch;                      // (B, Hp, Wp, C)
        dz_ = xpad_ + xpad_total;             // (F', Ho*Wo*B)
        wt_ = dz_ + dz_total;                 // (KH, F, R')
        wpad_ = wt_ + wt_total;               // (F', K + 1): W and b padded to F' rows
    }

    void init(rng& gen) {
        // fan-in K, fan-out KH*KW*F (as Keras and torch count a convolution's fans)
        init_weights(w_, num_weights, patch_size, KH * KW * Filters, Act::init, gen);
        std::fill(b_, b_ + Filters, 0.0f);
    }

    void forward(const float* x, float* y, context&) {
        const float* w = w_;
        const float* bias = b_;
        if constexpr (pads_filters) {
            for (int k = 0; k <= patch_size; ++k) {  // column K is the bias
                float* dst = wpad_ + std::size_t(k) * padded_filters;
                const float* src = k < patch_size ? w_ + std::size_t(k) * Filters : b_;
                std::copy(src, src + Filters, dst);
                std::fill(dst + Filters, dst + padded_filters, 0.0f);
            }
            w = wpad_;
            bias = wpad_ + std::size_t(patch_size) * padded_filters;
        }
        HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
        for (int b = 0; b < B; ++b) {
            float* xp = xpad_ + b * xpad_stride;
            pad_sample(x + std::size_t(b) * in_sample, xp);
            float* yb = y + std::size_t(b) * out_sample;
            for (int oh = 0; oh < out_height; ++oh) {
                const float* xr = xp + std::size_t(oh) * SH * padded_width * channels;
                float* yr = yb + std::size_t(oh) * out_width * Filters;
                for (int ow = 0; ow + fwd_tile.b <= out_width; ow += fwd_tile.b)
                    forward_tiles<fwd_tile.b>(w, bias, xr + ow * SW * channels, yr + ow * Filters);
                if constexpr (out_width % fwd_tile.b != 0) {
                    constexpr int ow = out_width / fwd_tile.b * fwd_tile.b;
                    forward_tiles<out_width % fwd_tile.b>(w, bias, xr + ow * SW * channels, yr + ow * Filters);
                }
            }
            if constexpr (!Act::is_identity && !std::is_same_v<Act, relu>) Act::forward(yb, out_sample);
        }
    }

    void backward(const float*, const float* y, const float* dy, float* dx, context&) {
        const float* dz = dy;
        if constexpr (keeps_dz) {
            HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
            for (int b = 0; b < B; ++b) {
                const std::size_t at = std::size_t(b) * out_sample;
                float* dzb = dz_ + std::size_t(b) * out_height * out_width * padded_filters;
                if constexpr (Act::is_identity) std::copy(dy + at, dy + at + out_sample, dzb);
                else Act::backward(y + at, dy + at, dzb, out_sample);
                if constexpr (pads_filters) {
                    // spread the rows of F to rows of F' in place, from the last pixel down.
                    // (Not Act::backward on F floats per pixel: GCC 12 -O3 with AVX-512
                    // miscompiles that loop, Eigen's select on 3 floats inside it.)
                    for (int n = out_height * out_width - 1; n >= 0; --n) {
                        float* d = dzb + std::size_t(n) * padded_filters;
                        std::memmove(d, dzb + std::size_t(n) * Filters, sizeof(float) * Filters);
                        std::fill(d + Filters, d + padded_filters, 0.0f);
                    }
                }
            }
            dz = dz_;
        }
        const int threads = detail::usable_threads();
        HPS_OMP(omp parallel num_threads(threads) if (threads > 1))
        {
            // the team OpenMP gave, which may be smaller than `threads` (detail::team_size)
            const int t = detail::thread_id(), nt = detail::team_size();
            const int first = dw_tiles * t / nt, last = dw_tiles * (t + 1) / nt;
            for (int b = 0; b < B; ++b)
                for (int tile = first; tile < last; ++tile) weight_tile(tile, dz, b);
        }
        using dz_matrix = Eigen::Map<const detail::dyn_matrix, 0, Eigen::OuterStride<>>;
        detail::vec_view(db_, Filters) += dz_matrix(dz, Filters, columns, Eigen::OuterStride<>(padded_filters)).rowwise().sum();
        if (!dx) return;
        // Wt (KH, F, R'): per kernel row, W transposed with the run padded by zeros
        for (int kh = 0; kh < KH; ++kh)
            for (int f = 0; f < Filters; ++f) {
                float* dst = wt_ + (std::size_t(kh) * Filters + f) * padded_run;
                for (int r = 0; r < run; ++r) dst[r] = w_[std::size_t(kh * run + r) * Filters + f];
                std::fill(dst + run, dst + padded_run, 0.0f);
            }
        HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
        for (int b = 0; b < B; ++b) {
            float* dxp = xpad_ + b * xpad_stride;  // the padded sample is no longer needed
            std::fill(dxp, dxp + xpad_stride, 0.0f);
            const float* dzb = dz + std::size_t(b) * out_height * out_width * padded_filters;
            for (int oh = 0; oh < out_height; ++oh) {
                const float* dzr = dzb + std::size_t(oh) * out_width * padded_filters;
                for (int kh = 0; kh < KH; ++kh) {
                    float* dr = dxp + std::size_t(oh * SH + kh) * padded_width * channels;
                    const float* wk = wt_ + std::size_t(kh) * Filters * padded_run;
                    for (int ow = 0; ow + dx_tile.b <= out_width; ow += dx_tile.b)
                        input_tiles<dx_tile.b>(wk, dzr + ow * padded_filters, dr + ow * SW * channels);
                    if constexpr (out_width % dx_tile.b != 0) {
                        constexpr int ow = out_width / dx_tile.b * dx_tile.b;
                        input_tiles<out_width % dx_tile.b>(wk, dzr + ow * padded_filters, dr + ow * SW * channels);
                    }
                }
            }
            float* dxb = dx + std::size_t(b) * in_sample;
            for (int ih = 0; ih < input_height; ++ih)
                std::copy_n(dxp + (std::size_t(ih + pad_top) * padded_width + pad_left) * channels, input_width * channels,
                            dxb + std::size_t(ih) * input_width * channels);
        }
    }

    // torch.nn.Conv2d: weight (F, C, KH, KW), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        std::vector<float> w(num_weights);
        for (int f = 0; f < Filters; ++f)
            for (int c = 0; c < channels; ++c)
                for (int kh = 0; kh < KH; ++kh)
                    for (int kw = 0; kw < KW; ++kw)
                        w[((std::size_t(f) * channels + c) * KH + kh) * KW + kw] =
                            w_[std::size_t((kh * KW + kw) * channels + c) * Filters + f];
        sink.put(prefix + "weight", {Filters, channels, KH, KW}, std::move(w));
        sink.put(prefix + "bias", {Filters}, std::vector<float>(b_, b_ + Filters));
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv2d(" + std::to_string(channels) + ", " + std::to_string(Filters) + ", " +
                           detail::python_pair(KH, KW) + ", stride=" + detail::python_pair(SH, SW);
        if constexpr (!symmetric_padding) {
            out.push_back("nn.ZeroPad2d((" + std::to_string(pad_left) + ", " + std::to_string(pad_right) + ", " +
                          std::to_string(pad_top) + ", " + std::to_string(pad_bottom) + "))");
        } else if constexpr (pad_top > 0 || pad_left > 0) {
            conv += ", padding=" + detail::python_pair(pad_top, pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }

    const float* weights() const { return w_; }
    const float* bias() const { return b_; }

private:
    // register tiles, chosen at compile time (conv_kernels.hpp)
    static constexpr detail::conv::tile_shape fwd_tile =
        detail::conv::choose_fwd(padded_filters / filter_lanes, out_width);  // a: packets, b: pixels
    static constexpr detail::conv::tile_shape dw_shape =
        detail::conv::choose_dw(padded_filters / filter_lanes, KH, run);    // a: packets, b: rows, c: run
    static constexpr detail::conv::tile_shape dx_tile =
        detail::conv::choose_dx(padded_run / run_lanes, out_width, Filters);  // a: packets, b: pixels
    static constexpr int fwd_blocks = padded_filters / (fwd_tile.a * filter_lanes);
    static constexpr int dw_blocks = padded_filters / (dw_shape.a * filter_lanes);
    static constexpr int dw_row_blocks = (KH + dw_shape.b - 1) / dw_shape.b;
    static constexpr int dw_run_blocks = (run + dw_shape.c - 1) / dw_shape.c;
    static constexpr int dw_tiles = dw_blocks * dw_row_blocks * dw_run_blocks;
    static constexpr int dx_blocks = padded_run / (dx_tile.a * run_lanes);

    // x_b (H, W, C) -> xpad (Hp, Wp, C) with zeros around, and zeros in the slack
    static void pad_sample(const float* xb, float* xp) {
        constexpr int row = padded_width * channels, left = pad_left * channels;
        std::fill(xp, xp + std::size_t(pad_top) * row, 0.0f);
        float* p = xp + std::size_t(pad_top) * row;
        for (int ih = 0; ih < input_height; ++ih, p += row) {
            std::fill(p, p + left, 0.0f);
            std::copy_n(xb + std::size_t(ih) * input_width * channels, input_width * channels, p + left);
            std::fill(p + left + input_width * channels, p + row, 0.0f);
        }
        std::fill(p, xp + xpad_stride, 0.0f);
    }

    // every block of filters for NR pixels of one output row
    template <int NR>
    static void forward_tiles(const float* w, const float* bias, const float* xr, float* yr) {
        constexpr bool fuse_relu = std::is_same_v<Act, relu>;
        for (int m = 0; m < fwd_blocks; ++m) {
            const int m0 = m * fwd_tile.a * filter_lanes;
            detail::conv::fwd_tile<filter_packet, fwd_tile.a, NR, KH, run, SW * channels, padded_width * channels, fuse_relu>(
                w + m0, padded_filters, bias + m0, xr, yr + m0, Filters, Filters - m0);
        }
    }

    // dW tile number `tile` (filter block, kernel-row block, run block), summed over sample b
    void weight_tile(int tile, const float* dz, int b) {
        const int m = tile / (dw_row_blocks * dw_run_blocks), rest = tile % (dw_row_blocks * dw_run_blocks);
        const int kb = rest / dw_run_blocks, rb = rest % dw_run_blocks;
        const int m0 = m * dw_shape.a * filter_lanes, kh0 = kb * dw_shape.b, r0 = rb * dw_shape.c;
        const float* dzb = dz + std::size_t(b) * out_height * out_width * padded_filters + m0;
        const float* xp = xpad_ + b * xpad_stride + std::size_t(kh0) * padded_width * channels + r0;
        float* dw = dw_ + std::size_t(kh0 * run + r0) * Filters + m0;
        constexpr int full_rows = KH / dw_shape.b * dw_shape.b, full_run = run / dw_shape.c * dw_shape.c;
        if (kh0 < full_rows) {
            if (r0 < full_run) weight_tile_of<dw_shape.b, dw_shape.c>(dzb, xp, dw, Filters - m0);
            else if constexpr (run % dw_shape.c != 0) weight_tile_of<dw_shape.b, run % dw_shape.c>(dzb, xp, dw, Filters - m0);
        } else if constexpr (KH % dw_shape.b != 0) {
            if (r0 < full_run) weight_tile_of<KH % dw_shape.b, dw_shape.c>(dzb, xp, dw, Filters - m0);
            else if constexpr (run % dw_shape.c != 0) weight_tile_of<KH % dw_shape.b, run % dw_shape.c>(dzb, xp, dw, Filters - m0);
        }
    }
    template <int KHT, int RT>
    static void weight_tile_of(const float* dz, const float* xp, float* dw, int valid) {
        detail::conv::dw_tile<filter_packet, dw_shape.a, KHT, RT, run, out_height, out_width, SW * channels,
                              padded_width * channels, SH * padded_width * channels>(dz, padded_filters, xp, dw, Filters,
                                                                                     valid);
    }

    // every block of the padded run for NR pixels of one output row and one kernel row
    template <int NR>
    static void input_tiles(const float* wk, const float* dz, float* dr) {
        for (int p = 0; p < dx_blocks; ++p) {
            const int p0 = p * dx_tile.a * run_lanes;
            detail::conv::dx_tile<run_packet, dx_tile.a, NR, Filters, SW * channels>(wk + p0, padded_run, dz, padded_filters,
                                                                                     dr + p0);
        }
    }

    float* w_ = nullptr;
    float* b_ = nullptr;
    float* dw_ = nullptr;
    float* db_ = nullptr;
    float* xpad_ = nullptr;
    float* dz_ = nullptr;
    float* wt_ = nullptr;
    float* wpad_ = nullptr;
};

template <int Filters, int KH, int KW, class Padding = valid, class Act = linear, int SH = 1, int SW = 1>
struct conv2d {
    static_assert(Filters > 0, "conv2d: the number of filters must be > 0");
    static_assert(KH > 0 && KW > 0, "conv2d: the kernel's height and width must be > 0");
    static_assert(SH > 0 && SW > 0, "conv2d: the strides must be > 0");
    static_assert(std::is_same_v<Padding, valid> || std::is_same_v<Padding, same>,
                  "conv2d: the padding must be hps::valid or hps::same");
    static_assert(activation_function<Act>,
                  "conv2d: Act must be an activation tag (hps::relu, elu, selu, softplus, sigmoid, tanh, linear)");
    template <class In, int B>
    using impl = conv2d_layer<In, Filters, KH, KW, Padding, Act, SH, SW, B>;
};

}  // namespace hps

#pragma GCC diagnostic pop
