// bf16 mixed precision (hps/layers/bf16_kernels.hpp), built with -march=native; exits 77
// (ctest: skipped) with the reason where the program has no bf16 kernels or the CPU lacks
// AVX512_BF16.
//   - the rounding: scalar and vector conversions agree, round to nearest even;
//   - conv2d, conv1d, conv3d and dense in bf16 against the fp32 layer fed the same values rounded to bf16
//     (the products then have the same inputs and differ only in the fp32 summation order:
//     1e-5 of the sum of |terms|), and against the unrounded fp32 layer within bf16's
//     bound (each factor rounded: a relative 2^-8 at most each, bf16's unit roundoff u
//     with its 8-bit significand; so 2^-7 of the sum of |terms|);
//   - a conv + dense network's parameter gradients in bf16 against fp32's, layer by layer;
//   - a small network learns in bf16 (its loss falls as fp32's does);
//   - 1 and 2 threads give bit-identical bf16 results.
#define DOCTEST_CONFIG_IMPLEMENT
#include "bf16_support.hpp"

#include <hps/layers/avgpool2d.hpp>
#include <hps/layers/bf16_kernels.hpp>
#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>

#include <cstdio>
#include <cstring>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_close;
using hps_test::pass;
using hps_test::rounded;
using hps_test::run;

namespace {

namespace h = hps::detail::bf16;

float bits_float(std::uint32_t u) {
    float x;
    std::memcpy(&x, &u, sizeof x);
    return x;
}

double relative_norm(const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0, n = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        d += double(a[i] - b[i]) * double(a[i] - b[i]);
        n += double(b[i]) * double(b[i]);
    }
    return std::sqrt(d / n);
}

// The bf16 layer against (1) the fp32 layer given bf16-rounded weights, inputs and dy: the
// same products, so only the summation order differs; (2) the fp32 layer as it is, within
// bf16's error (forward and dx: W and x rounded; dW: dz and x rounded). The bias is kept
// fp32 in both, so the weights alone are rounded. Linear activation for (1)'s backward
// (dz = dy, so rounding dy rounds dz).
template <class L, int B>
void check_layer(bool rounds_dx = true) {
    const hps_test::layer_inputs<L, B> in(11);
    const auto &params = in.params, &params_r = in.params_r, &x = in.x, &dy = in.dy;

    const pass half = run<L, B>(params, x, dy, precision::bf16);
    const pass same = run<L, B>(params_r, rounded(x), rounded(dy), precision::fp32);
    const pass full = run<L, B>(params, x, dy, precision::fp32);
    check_close(half.y, same.y, 1e-5, "forward against fp32 of the rounded inputs");
    std::vector<float> dw(half.grads.begin(), half.grads.begin() + L::num_weights);
    check_close(dw, std::vector<float>(same.grads.begin(), same.grads.begin() + L::num_weights), 1e-5,
                "dW against fp32 of the rounded inputs");
    if (rounds_dx) check_close(half.dx, same.dx, 1e-5, "dx against fp32 of the rounded inputs");
    check_close(half.y, full.y, 1.0 / 64, "forward against fp32");
    check_close(dw, std::vector<float>(full.grads.begin(), full.grads.begin() + L::num_weights), 1.0 / 64, "dW against fp32");
    check_close(half.dx, full.dx, 1.0 / 64, "dx against fp32");
    // and the bf16 path was taken: rounding changed the result
    CHECK(half.y != full.y);
    CHECK(dw != std::vector<float>(full.grads.begin(), full.grads.begin() + L::num_weights));
    if (rounds_dx) CHECK(half.dx != full.dx);
}

template <class Spec, class In, int B>
using layer_of = typename Spec::template impl<In, B>;

}  // namespace

TEST_CASE("bf16: rounding to nearest even, scalar and vector alike") {
    CHECK(rounded(1.0f + 0x1p-8f) == 1.0f);                          // a tie: to the even 1.0
    CHECK(rounded(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f);            // a tie: to the even 1 + 2^-6
    CHECK(rounded(1.0f + 0x1p-8f + 0x1p-20f) == 1.0f + 0x1p-7f);     // past the tie: up
    CHECK(rounded(-2.5f) == -2.5f);                                  // exact
    CHECK(std::isinf(rounded(bits_float(0x7f7fffffu))));              // the largest float rounds past bf16's
    CHECK(rounded(bits_float(0x00000001u)) == 0.0f);                 // a denormal: zero
    CHECK(std::isnan(rounded(bits_float(0x7f800001u))));              // a signalling NaN stays NaN
    rng gen(3);
    std::vector<float> v = hps_test::normal_vector(1000, gen, 100.0);
    const std::uint32_t specials[] = {0x00000000u, 0x80000000u, 0x3f808000u, 0x3f818000u, 0x7f800000u, 0xff800000u,
                                      0x7fc00000u, 0x007fffffu, 0x80400000u, 0x7f7fffffu, 0x3f80ffffu, 0x3f817fffu};
    for (std::uint32_t u : specials) v.push_back(bits_float(u));
    std::vector<h::bf16_t> vec(v.size()), pairs(2 * v.size());
    h::convert(v.data(), vec.data(), v.size());
    h::interleave(v.data(), v.data() + 1, pairs.data(), v.size() - 1);
    for (std::size_t i = 0; i < v.size(); ++i) {
        INFO("value " << v[i] << " at " << i);
        CHECK(vec[i] == h::round(v[i]));
        if (i + 1 < v.size()) {
            CHECK(pairs[2 * i] == h::round(v[i]));
            CHECK(pairs[2 * i + 1] == h::round(v[i + 1]));
        }
        if (std::isfinite(v[i]) && std::fabs(v[i]) > 1e-30f && std::fabs(v[i]) < 1e38f)
            CHECK(std::fabs(rounded(v[i]) - v[i]) <= std::fabs(v[i]) * 0x1p-8f);
    }
}

TEST_CASE("bf16: conv2d against fp32") {
    // Model-108's conv1 (one channel, odd run of 5) and conv2 shapes, smaller; odd filters;
    // stride 2; valid padding with an odd output width
    check_layer<layer_of<conv2d<16, 5, 5, same, linear>, shape<12, 12, 1>, 6>, 6>();
    check_layer<layer_of<conv2d<32, 5, 5, same, linear>, shape<7, 7, 16>, 4>, 4>();
    check_layer<layer_of<conv2d<5, 3, 3, valid, linear>, shape<9, 7, 3>, 3>, 3>();
    check_layer<layer_of<conv2d<8, 3, 2, same, linear, 2, 2>, shape<10, 9, 4>, 5>, 5>();
}

TEST_CASE("bf16: conv1d and conv3d against fp32") {
    // the same driver with height 1 (conv1d), and with kernel planes (conv3d, stride 2)
    check_layer<layer_of<conv1d<16, 5, same, linear>, shape<21, 3>, 4>, 4>();
    check_layer<layer_of<conv3d<8, 3, same, linear, 2>, shape<6, 5, 5, 2>, 3>, 3>();
}

TEST_CASE("bf16: dense against fp32") {
    check_layer<layer_of<dense<32, linear>, shape<48>, 7>, 7>();    // dx in bf16 too
    // dx's panels of W paired by outputs: whole 16 x 16 blocks of pairs, several panels
    check_layer<layer_of<dense<64, linear>, shape<96>, 3>, 3>();
    // and the pairs past the blocks: 24 pairs of outputs, 40 inputs (8-lane packets)
    check_layer<layer_of<dense<48, linear>, shape<40>, 5>, 5>();
    check_layer<layer_of<dense<16, linear>, shape<37>, 6>, 6>(false);  // odd In: dx stays fp32
}

namespace {
// smooth activations and average pooling: no ReLU or max that a rounding can flip, so the
// gradients differ by the products' roundings alone
using smooth_net = network<shape<10, 10, 2>, conv2d<8, 3, 3, same, hps::tanh>, avgpool2d<2>, conv2d<16, 3, 3, same, hps::tanh>,
                           flatten, dense<32, hps::tanh>, dense<16>>;
using smooth_model = smooth_net::instance<8>;
// Model-108's kinds of layers
using small_net = network<shape<10, 10, 2>, conv2d<8, 3, 3, same, relu>, maxpool2d<2>, conv2d<16, 3, 3, same, relu>,
                          flatten, dense<32, relu>, dense<16>>;
constexpr int small_batch = 8;
using small_model = small_net::instance<small_batch>;

std::vector<float> gradients(precision p) { return hps_test::network_gradients<smooth_model, small_batch>(p); }
}  // namespace

TEST_CASE("bf16: a conv + dense network's gradients against fp32") {
    // Each product's two factors are rounded to bf16's 8 significant bits: a relative error
    // of at most u = 2^-8 each, u/sqrt(3) = 0.23 % in RMS and of random sign. conv1's dW is
    // reached through four products (dense2's and dense1's dx, conv2's dx, conv1's dW),
    // eight roundings: sqrt(8) x 0.23 % = 0.65 % in RMS (measured: 0.15 to 0.8 % per layer).
    // Bound: 2 % per layer's weights and biases, with fp32's own error (2^-24) far below.
    // (With ReLU and max pooling a rounding can flip a unit on or off and move a gradient
    // elsewhere, 5 to 20 % here: the smooth network isolates the kernels' arithmetic.)
    const auto full = gradients(precision::fp32);
    const auto half = gradients(precision::bf16);
    auto spans = std::make_unique<smooth_model>();
    for (int layer = 0; layer < smooth_model::num_layers; ++layer) {
        const auto sp = spans->layer_span(layer);
        const std::size_t at = sp.offset;
        for (auto [from, to] : {std::pair{at, at + sp.weights}, std::pair{at + sp.weights, at + sp.params}}) {
            if (from == to) continue;
            const std::vector<float> a(half.begin() + long(from), half.begin() + long(to)),
                b(full.begin() + long(from), full.begin() + long(to));
            const double rel = relative_norm(a, b);
            INFO("layer " << layer << (from == at ? " weights" : " biases") << ": relative difference (L2) " << rel);
            CHECK(rel < 0.02);
            if (to - from > 16) CHECK(rel > 1e-4);  // the bf16 path was taken
        }
    }
}

TEST_CASE("bf16: a convolution's ReLU folded into the max pool above it, the same bits") {
    // the dW pairs and dx tiles read the gradient the pool masked (network.hpp's fold)
    using cy = network<shape<28, 28, 1>, conv2d<16, 5, 5, same, relu>, maxpool2d<2>, conv2d<32, 5, 5, same, relu>,
                       maxpool2d<2>, dense<8>>;
    using cyu = network<shape<28, 28, 1>, conv2d<16, 5, 5, same, relu>, activation<linear>, maxpool2d<2>,
                        conv2d<32, 5, 5, same, relu>, activation<linear>, maxpool2d<2>, dense<8>>;
    hps_test::check_fold<cy, cyu, 16>(26, precision::bf16);
    using p2 = network<shape<8, 8, 3>, conv2d<4, 3, 3, same, hps::tanh>, conv2d<5, 3, 3, same, relu>, maxpool2d<2>, dense<2>>;
    using p2u = network<shape<8, 8, 3>, conv2d<4, 3, 3, same, hps::tanh>, conv2d<5, 3, 3, same, relu>, activation<linear>,
                        maxpool2d<2>, dense<2>>;
    hps_test::check_fold<p2, p2u, 3>(27, precision::bf16);
}

TEST_CASE("bf16: a small network learns") {
    // a regression whose target is a fixed random linear map of the input, Adam, 150 steps:
    // the loss falls by as much in bf16 as in fp32 (within 10 %)
    auto train = [](precision p) {
        auto model = std::make_unique<small_model>();
        rng gen(31);
        model->init(gen);
        optimizer opt(optimizer_config{optimizer_kind::adam}.set(optimizer_setting::lr, 3e-3), small_model::num_params);
        const auto map = hps_test::normal_vector(std::size_t(small_model::in_size) * small_model::out_size, gen, 0.05);
        context ctx;
        ctx.prec = p;
        std::vector<float> x(std::size_t(small_model::in_size) * small_batch), t(std::size_t(small_model::out_size) * small_batch),
            dy(t.size());
        double first = 0, last = 0;
        for (int step = 0; step < 150; ++step) {
            rng data(1000 + std::uint64_t(step));
            for (auto& v : x) v = float(data.normal());
            for (int b = 0; b < small_batch; ++b)
                for (int o = 0; o < small_model::out_size; ++o) {
                    double s = 0;
                    for (int i = 0; i < small_model::in_size; ++i)
                        s += map[std::size_t(o) * small_model::in_size + i] * x[std::size_t(b) * small_model::in_size + i];
                    t[std::size_t(b) * small_model::out_size + o] = float(s);
                }
            model->zero_grads();
            const float* out = model->forward(x.data(), ctx);
            const double loss = mse_half::compute<small_model::out_size, small_batch>(out, t.data(), dy.data(), small_batch);
            model->backward(dy.data(), ctx);
            opt.step(model->params(), model->grads());
            if (step < 10) first += loss / 10;
            if (step >= 140) last += loss / 10;
        }
        return std::pair{first, last};
    };
    const auto [first32, last32] = train(precision::fp32);
    const auto [first16, last16] = train(precision::bf16);
    INFO("fp32 loss " << first32 << " -> " << last32 << "; bf16 " << first16 << " -> " << last16);
    CHECK(last16 < 0.5 * first16);
    CHECK(last16 < 1.1 * last32);
}

TEST_CASE("bf16: 1 and 2 threads give identical results") {
#if defined(_OPENMP)
    omp_set_num_threads(1);
    const auto one = gradients(precision::bf16);
    omp_set_num_threads(2);
    const auto two = gradients(precision::bf16);
    omp_set_num_threads(1);
    CHECK(one == two);
#endif
}

int main(int argc, char** argv) { return hps_test::run_or_skip(bf16_unavailable(), argc, argv); }
