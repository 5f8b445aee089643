// conv2d and dense against plain reference loops (in double), forward and backward, at
// the shapes whose kernels differ: filters that fill whole vector packets or not (3, 6,
// 8, 16, 20, 32), one or several input channels, strides, the batch sizes of the
// examples. Called as a network calls them (backward on the forward's own output, dx
// skipped for a first layer). Built twice (CMakeLists.txt beside it): with the
// project's flags and with -march=native, as generated trainers are, because a
// compiler's vectoriser can break code that the central-difference tests, compiled
// otherwise, never see (GCC 12 -O3 with AVX-512 did, in conv2d's padded-filter path).
//
// Also: maxpool2d against loops (its vector path takes packets of channels, the rest go
// one by one, ties to the first maximum), and repeated use: a layer that has already run
// other batches gives bit for bit what a fresh one gives, and a second backward without
// zeroing doubles the gradients (a training step's calls, which single calls never test).
#include "reference_support.hpp"

#include <cmath>
#include <memory>
#include <vector>

using namespace hps;
using hps_test::bound_layer;
using hps_test::act_value;
using hps_test::check_repeated;
using hps_test::relative_error;

namespace {

// conv2d<F, K, K, Pad, Act, S, S> on In (H, W, C), batch B, against loops over every index
template <class In, int F, int K, class Pad, class Act, int S, int B>
void check_conv(bool first_layer) {
    using L = typename conv2d<F, K, K, Pad, Act, S, S>::template impl<In, B>;
    constexpr int H = In::dims[0], W = In::dims[1], C = In::dims[2];
    constexpr int Ho = L::out_height, Wo = L::out_width, Kp = K * K * C;
    const hps_test::layer_pass<L, B> run(17, first_layer);
    const auto &x = run.x, &dy = run.dy, &y = run.y, &dx = run.dx;
    const float* w = run.weights();  // (F, K) column-major, k = (kh*K + kw)*C + c
    const float* b = run.bias();
    std::vector<double> ry(y.size()), rdw(L::num_weights, 0.0), rdb(F, 0.0), rdx(x.size(), 0.0);
    auto in_at = [&](int s, int ih, int iw, int c) { return (std::size_t(s) * H * W + std::size_t(ih) * W + iw) * C + c; };
    for (int s = 0; s < B; ++s)
        for (int oh = 0; oh < Ho; ++oh)
            for (int ow = 0; ow < Wo; ++ow)
                for (int f = 0; f < F; ++f) {
                    double z = b[f];
                    for (int kh = 0; kh < K; ++kh)
                        for (int kw = 0; kw < K; ++kw)
                            for (int c = 0; c < C; ++c) {
                                const int ih = oh * S - L::pad_top + kh, iw = ow * S - L::pad_left + kw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                z += double(w[std::size_t((kh * K + kw) * C + c) * F + f]) * x[in_at(s, ih, iw, c)];
                            }
                    const std::size_t o = ((std::size_t(s) * Ho + oh) * Wo + ow) * F + f;
                    ry[o] = act_value<Act>(z);
                    // backward from the layer's own output, as the contract says
                    const double dz = double(dy[o]) * double(Act::derivative_from_output(y[o]));
                    rdb[f] += dz;
                    for (int kh = 0; kh < K; ++kh)
                        for (int kw = 0; kw < K; ++kw)
                            for (int c = 0; c < C; ++c) {
                                const int ih = oh * S - L::pad_top + kh, iw = ow * S - L::pad_left + kw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                const std::size_t k = std::size_t((kh * K + kw) * C + c);
                                rdw[k * F + f] += dz * x[in_at(s, ih, iw, c)];
                                rdx[in_at(s, ih, iw, c)] += dz * w[k * F + f];
                            }
                }
    INFO("conv2d<" << F << ", " << K << "> on " << H << "x" << W << "x" << C << ", stride " << S << ", batch " << B
                   << (first_layer ? ", first layer" : ""));
    CHECK(relative_error(ry, y.data()) < 1e-5);
    CHECK(relative_error(rdw, run.weight_grads()) < 1e-4);
    CHECK(relative_error(rdb, run.bias_grads()) < 1e-4);
    if (!first_layer) CHECK(relative_error(rdx, dx.data()) < 1e-4);
    (void)Kp;
}

// dense<Out, Act> on In inputs, batch B
template <int In, int Out, class Act, int B>
void check_dense() {
    using L = typename dense<Out, Act>::template impl<shape<In>, B>;
    const hps_test::layer_pass<L, B> run(23, false);
    const auto &x = run.x, &dy = run.dy, &y = run.y, &dx = run.dx;
    const float* w = run.weights();  // (Out, In) column-major
    std::vector<double> ry(y.size()), rdw(L::num_weights, 0.0), rdb(Out, 0.0), rdx(x.size(), 0.0);
    for (int s = 0; s < B; ++s)
        for (int o = 0; o < Out; ++o) {
            double z = w[L::num_weights + o];
            for (int i = 0; i < In; ++i) z += double(w[std::size_t(i) * Out + o]) * x[std::size_t(s) * In + i];
            ry[std::size_t(s) * Out + o] = act_value<Act>(z);
            const double dz = double(dy[std::size_t(s) * Out + o]) * double(Act::derivative_from_output(y[std::size_t(s) * Out + o]));
            rdb[o] += dz;
            for (int i = 0; i < In; ++i) {
                rdw[std::size_t(i) * Out + o] += dz * x[std::size_t(s) * In + i];
                rdx[std::size_t(s) * In + i] += dz * w[std::size_t(i) * Out + o];
            }
        }
    INFO("dense<" << Out << "> on " << In << ", batch " << B);
    CHECK(relative_error(ry, y.data()) < 1e-5);
    CHECK(relative_error(rdw, run.weight_grads()) < 1e-4);
    CHECK(relative_error(rdb, run.bias_grads()) < 1e-4);
    CHECK(relative_error(rdx, dx.data()) < 1e-4);
}

// The order of a dense output's sum is fixed: the bias, then inputs 0..In-1 (forward); from
// zero, outputs 0..Out-1 (dx); one multiply-add each, whatever the register tiles and the
// blocks of inputs chosen for the building CPU's caches (design section 24). So the layer
// equals, bit for bit, scalar loops in that order (fused multiply-adds where the build has them).
template <int In, int Out, int B>
void check_dense_order() {
    using L = typename dense<Out, relu>::template impl<shape<In>, B>;
    const hps_test::layer_pass<L, B> run(41, false);
    const float *w = run.weights(), *bias = run.bias();
    const auto madd = [](float a, float b, float acc) {
#if defined(__FMA__)
        return std::fma(a, b, acc);
#else
        return acc + a * b;
#endif
    };
    int wrong_y = 0, wrong_dx = 0;
    std::vector<float> dz(static_cast<std::size_t>(Out) * B);
    for (int s = 0; s < B; ++s)
        for (int o = 0; o < Out; ++o) {
            float z = bias[o];
            for (int i = 0; i < In; ++i) z = madd(w[std::size_t(i) * Out + o], run.x[std::size_t(s) * In + i], z);
            const std::size_t at = std::size_t(s) * Out + o;
            wrong_y += std::max(z, 0.0f) != run.y[at];
            dz[at] = run.y[at] > 0 ? run.dy[at] : 0.0f;
        }
    for (int s = 0; s < B; ++s)
        for (int i = 0; i < In; ++i) {
            float d = 0;
            for (int o = 0; o < Out; ++o) d = madd(w[std::size_t(i) * Out + o], dz[std::size_t(s) * Out + o], d);
            wrong_dx += d != run.dx[std::size_t(s) * In + i];
        }
    INFO("dense<" << Out << "> on " << In << ", batch " << B << ": forward in blocks of " << L::forward_block
                  << " inputs, dx by " << (L::direct_input_grad ? "its tiles" : "detail::gemm"));
    CHECK(wrong_y == 0);
    if (L::direct_input_grad) CHECK(wrong_dx == 0);
}

// maxpool2d<P, P, S, S> on In (H, W, C), batch B, against loops: the first maximum in
// row-major window order wins (PyTorch's rule); `ties`: ReLU-like inputs, many equal zeros
template <class In, int P, int S, int B>
void check_maxpool(bool ties) {
    using L = typename maxpool2d<P, P, S, S>::template impl<In, B>;
    constexpr int H = In::dims[0], W = In::dims[1], C = In::dims[2];
    constexpr int Ho = L::out_height, Wo = L::out_width;
    auto bl = std::make_unique<bound_layer<L>>();
    rng gen(29);
    auto x = hps_test::normal_vector(std::size_t(In::size) * B, gen);
    if (ties)
        for (auto& v : x) v = std::max(v, 0.0f);
    const auto dy = hps_test::normal_vector(std::size_t(L::out_shape::size) * B, gen);
    std::vector<float> y(dy.size()), dx(x.size(), 12345.0f);
    context ctx;
    bl->layer.forward(x.data(), y.data(), ctx);
    bl->layer.backward(x.data(), y.data(), dy.data(), dx.data(), ctx);
    std::vector<float> ry(y.size()), rdx(x.size(), 0.0f);
    for (int s = 0; s < B; ++s)
        for (int oh = 0; oh < Ho; ++oh)
            for (int ow = 0; ow < Wo; ++ow)
                for (int c = 0; c < C; ++c) {
                    std::size_t best = 0;
                    bool first = true;
                    for (int kh = 0; kh < P; ++kh)
                        for (int kw = 0; kw < P; ++kw) {
                            const std::size_t at = ((std::size_t(s) * H + oh * S + kh) * W + ow * S + kw) * C + c;
                            if (first || x[at] > x[best]) best = at;
                            first = false;
                        }
                    const std::size_t o = ((std::size_t(s) * Ho + oh) * Wo + ow) * C + c;
                    ry[o] = x[best];
                    rdx[best] += dy[o];
                }
    INFO("maxpool2d<" << P << ", stride " << S << "> on " << H << "x" << W << "x" << C << ", batch " << B
                      << (ties ? ", ties" : ""));
    CHECK(y == ry);
    CHECK(dx == rdx);  // each dy lands on its window's first maximum
}

}  // namespace

TEST_CASE("conv2d: forward and backward equal reference loops") {
    // the gradation example's layers (workload 4), first layer with 6 filters
    check_conv<shape<32, 32, 1>, 6, 5, same, relu, 1, 16>(true);
    check_conv<shape<16, 16, 6>, 16, 5, same, relu, 1, 16>(false);
    check_conv<shape<8, 8, 16>, 32, 3, same, relu, 1, 16>(false);
    // CyPLAM's (workload 1), a smaller batch
    check_conv<shape<28, 28, 1>, 16, 5, same, relu, 1, 4>(true);
    check_conv<shape<14, 14, 16>, 32, 5, same, relu, 1, 4>(false);
    check_conv<shape<14, 14, 8>, 64, 3, same, relu, 1, 2>(false);
    // filters that do not fill packets, strides, valid padding, other activations
    check_conv<shape<5, 5, 1>, 3, 3, same, relu, 1, 2>(true);
    check_conv<shape<9, 11, 3>, 20, 3, valid, hps::tanh, 2, 3>(false);
    check_conv<shape<10, 10, 2>, 8, 4, same, sigmoid, 2, 5>(false);
    check_conv<shape<7, 12, 5>, 24, 5, same, linear, 1, 1>(false);
    check_conv<shape<6, 6, 3>, 6, 3, same, elu, 1, 16>(true);
}

TEST_CASE("conv2d: the gradation shapes at other batch sizes, odd channel and filter counts") {
    // gradation's three convolutions at batch 1, 3 and 128 (tails of the batch loops)
    check_conv<shape<32, 32, 1>, 6, 5, same, relu, 1, 1>(true);
    check_conv<shape<32, 32, 1>, 6, 5, same, relu, 1, 3>(false);
    check_conv<shape<32, 32, 1>, 6, 5, same, relu, 1, 128>(true);
    check_conv<shape<16, 16, 6>, 16, 5, same, relu, 1, 1>(false);
    check_conv<shape<16, 16, 6>, 16, 5, same, relu, 1, 3>(false);
    check_conv<shape<16, 16, 6>, 16, 5, same, relu, 1, 128>(false);
    check_conv<shape<8, 8, 16>, 32, 3, same, relu, 1, 1>(false);
    check_conv<shape<8, 8, 16>, 32, 3, same, relu, 1, 3>(false);
    check_conv<shape<8, 8, 16>, 32, 3, same, relu, 1, 128>(false);
    // 1, 3 and 6 channels and filters; k3 and k5; same and valid; strides 1 and 2
    check_conv<shape<12, 12, 1>, 1, 3, same, relu, 1, 3>(false);
    check_conv<shape<12, 12, 3>, 3, 5, same, relu, 1, 16>(false);
    check_conv<shape<12, 12, 6>, 6, 3, same, relu, 1, 16>(false);
    check_conv<shape<12, 12, 6>, 6, 5, valid, relu, 1, 3>(false);
    check_conv<shape<13, 13, 3>, 6, 3, valid, relu, 2, 16>(false);
    check_conv<shape<13, 11, 6>, 3, 5, same, relu, 2, 3>(false);
    check_conv<shape<9, 9, 1>, 6, 5, valid, linear, 1, 16>(false);
    check_conv<shape<10, 10, 6>, 16, 3, same, linear, 2, 1>(false);
}

TEST_CASE("dense: forward and backward equal reference loops") {
    check_dense<512, 128, relu, 16>();  // the gradation example's
    check_dense<128, 64, relu, 16>();
    check_dense<64, 32, relu, 16>();
    check_dense<32, 5, linear, 16>();
    check_dense<1568, 640, relu, 4>();  // CyPLAM's, a smaller batch
    check_dense<640, 2, linear, 4>();
    check_dense<37, 48, hps::tanh, 13>();
    check_dense<9, 16, sigmoid, 1>();
    // outputs in half packets, inputs in whole ones: dx's panels transposed a packet square
    // at a time with the outputs' tail one value at a time (with AVX-512; whole squares with AVX2)
    check_dense<32, 24, relu, 5>();
    check_dense<48, 40, linear, 3>();
}

TEST_CASE("dense: each output's sum in one fixed order, bit for bit, through blocks of inputs") {
    // CyPLAM Model-108's and Model-189's dense1 at a small batch: several blocks of inputs
    // at the default 512 KiB L2 (and at any L2 up to 2 MiB for Model-189's)
    using L108 = dense<640, relu>::impl<shape<1568>, 8>;
    using L189 = dense<768, relu>::impl<shape<3136>, 8>;
    CHECK(L108::forward_block < 1568);
    CHECK(L189::forward_block < 3136);
    CHECK(L108::direct_input_grad);
    check_dense_order<1568, 640, 8>();
    check_dense_order<3136, 768, 8>();
    check_dense_order<512, 128, 3>();  // gradation's: one block
}

TEST_CASE("dense: the gradation shapes at other batch sizes") {
    check_dense<512, 128, relu, 1>();
    check_dense<512, 128, relu, 3>();
    check_dense<512, 128, relu, 128>();
    check_dense<32, 5, linear, 1>();
    check_dense<32, 5, linear, 3>();
    check_dense<32, 5, linear, 128>();
    check_dense<6, 6, relu, 16>();
    check_dense<3, 1, linear, 3>();
}

TEST_CASE("maxpool2d: forward and backward equal reference loops") {
    // gradation's pools (6, 16 and 32 channels), other channel counts, batch sizes
    check_maxpool<shape<32, 32, 6>, 2, 2, 16>(false);
    check_maxpool<shape<32, 32, 6>, 2, 2, 16>(true);
    check_maxpool<shape<16, 16, 16>, 2, 2, 16>(true);
    check_maxpool<shape<8, 8, 32>, 2, 2, 16>(true);
    check_maxpool<shape<8, 8, 32>, 2, 2, 1>(false);
    check_maxpool<shape<32, 32, 6>, 2, 2, 128>(true);
    check_maxpool<shape<9, 9, 1>, 3, 3, 3>(true);
    check_maxpool<shape<9, 9, 3>, 3, 2, 3>(true);
    check_maxpool<shape<7, 7, 20>, 3, 1, 3>(false);
    check_maxpool<shape<6, 6, 35>, 2, 2, 2>(true);
}

TEST_CASE("layers: used again, a layer gives what a fresh one gives; backward adds") {
    // gradation's layers at batch 16 (the first conv without dx, as in a network)
    check_repeated<conv2d<6, 5, 5, same, relu>::impl<shape<32, 32, 1>, 16>, 16>(true);
    check_repeated<conv2d<6, 5, 5, same, relu>::impl<shape<32, 32, 1>, 16>, 16>(false);
    check_repeated<maxpool2d<2>::impl<shape<32, 32, 6>, 16>, 16>(false);
    check_repeated<conv2d<16, 5, 5, same, relu>::impl<shape<16, 16, 6>, 16>, 16>(false);
    check_repeated<maxpool2d<2>::impl<shape<16, 16, 16>, 16>, 16>(false);
    check_repeated<conv2d<32, 3, 3, same, relu>::impl<shape<8, 8, 16>, 16>, 16>(false);
    check_repeated<maxpool2d<2>::impl<shape<8, 8, 32>, 16>, 16>(false);
    check_repeated<dense<128, relu>::impl<shape<4, 4, 32>, 16>, 16>(false);
    check_repeated<dense<64, relu>::impl<shape<128>, 16>, 16>(false);
    check_repeated<dense<32, relu>::impl<shape<64>, 16>, 16>(false);
    check_repeated<dense<5, linear>::impl<shape<32>, 16>, 16>(false);
    // other paths: padded filters with a linear activation, valid + stride, gemm dense
    check_repeated<conv2d<6, 3, 3, valid, linear, 2, 2>::impl<shape<11, 11, 3>, 3>, 3>(false);
    check_repeated<dense<640, relu>::impl<shape<7, 7, 32>, 128>, 128>(false);
    check_repeated<dense<37, hps::tanh>::impl<shape<50>, 3>, 3>(false);
}

// Eigen's packed GEMM blocks its sum over K by the L1 size of the running CPU; the runtime
// fixes the sizes before main (layers/common.hpp), so that one binary gives the same sums
// on every CPU model (exact resume after a requeue onto another node).
TEST_CASE("layers: Eigen's products are blocked by the runtime's fixed cache sizes, not the CPU's") {
    // what the running CPU reports does not reach Eigen (this machine's L3, at least, differs)
    CHECK(Eigen::l1CacheSize() == detail::eigen_l1_bytes);
    CHECK(Eigen::l2CacheSize() == detail::eigen_l2_bytes);
    CHECK(Eigen::l3CacheSize() == detail::eigen_l3_bytes);

    // and it matters: a K of 3000 is summed in blocks whose size follows the L1 (Eigen 3.4,
    // one thread: 608 terms with 32 KiB, 1008 with 48 KiB on SSE; 608 and 752 on AVX-512)
    constexpr int M = 64, N = 48, K = 3000;
    rng gen(31);
    const auto a = hps_test::normal_vector(std::size_t(M) * K, gen), b = hps_test::normal_vector(std::size_t(K) * N, gen);
    auto product = [&] {
        std::vector<float> c(std::size_t(M) * N, 0.0f);
        detail::gemm<M, N, K, false, false> g;  // its blocking is computed on construction
        g.prepare(1);
        g.run(a.data(), b.data(), c.data());
        return c;
    };
    const auto fixed = product();
    Eigen::setCpuCacheSizes(48 * 1024, 2 * 1024 * 1024, 32 * 1024 * 1024);  // an Ice Lake's L1
    const auto other = product();
    detail::fix_eigen_blocking();  // what every program does before main
    CHECK(other != fixed);
    CHECK(product() == fixed);
}
