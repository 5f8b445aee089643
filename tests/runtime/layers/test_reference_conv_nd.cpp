// conv1d and conv3d against plain reference loops (in double), forward, dW, db and dx, at
// the examples' shapes (the cluster counter's conv1d layers on 1024 bins, batch 250; the
// printability network's conv3d layers on 32^3 x 1, 16^3 x 8 and 8^3 x 16, batch 16) and
// at small odd ones: channel and filter counts that fill no vector packet, kernels 1 to 7
// (even ones pad asymmetrically under SAME), same and valid, strides 1 to 3, batches 1, 3
// and 16. Called as a network calls them (backward on the forward's own output, dx
// skipped for a first layer). The reference computes its own output sizes and padding
// (TensorFlow's rules), so it shares nothing with the layers but their parameter layout.
// Also repeated use at the examples' shapes: a layer that has run other batches gives bit
// for bit what a fresh one gives, and backward adds.
//
// Built twice, as test_reference.cpp is (CMakeLists.txt beside it): with the suite's
// flags and with -O3 -march=native, the flags of generated trainers.
#include "reference_support.hpp"

#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>

#include <memory>
#include <vector>

using namespace hps;
using hps_test::act_value;
using hps_test::check_repeated;
using hps_test::relative_error;

namespace {

// One convolution's geometry, as the reference sees it: sample (D, H, W, C), F filters of
// KD x KH x KW, strides (SD, SH, SW); conv1d is D = H = 1, conv3d a cube.
struct geometry {
    int D, H, W, C, F, KD, KH, KW, SD, SH, SW;
    bool same;
};

// TensorFlow's output size and leading padding of one dimension
int ref_out(int in, int k, int s, bool same) { return same ? (in + s - 1) / s : (in - k) / s + 1; }
int ref_pad(int in, int k, int s, bool same) {
    return same ? std::max((ref_out(in, k, s, true) - 1) * s + k - in, 0) / 2 : 0;
}

// layer L (batch B) against loops over every index of g
template <class L, class Act, int B>
void check_against_loops(const geometry& g, bool first_layer) {
    const int Do = ref_out(g.D, g.KD, g.SD, g.same), Ho = ref_out(g.H, g.KH, g.SH, g.same),
              Wo = ref_out(g.W, g.KW, g.SW, g.same);
    const int pd = ref_pad(g.D, g.KD, g.SD, g.same), ph = ref_pad(g.H, g.KH, g.SH, g.same),
              pw = ref_pad(g.W, g.KW, g.SW, g.same);
    const int F = g.F, C = g.C;
    INFO("F " << F << ", kernel " << g.KD << "x" << g.KH << "x" << g.KW << " on " << g.D << "x" << g.H << "x" << g.W << "x"
              << C << ", strides " << g.SD << "/" << g.SH << "/" << g.SW << (g.same ? ", same" : ", valid") << ", batch " << B
              << (first_layer ? ", first layer" : ""));
    REQUIRE(L::in_shape::size == g.D * g.H * g.W * C);
    REQUIRE(L::out_shape::size == Do * Ho * Wo * F);
    REQUIRE(L::num_weights == std::size_t(F) * g.KD * g.KH * g.KW * C);

    const hps_test::layer_pass<L, B> run(17, first_layer);
    const auto &x = run.x, &dy = run.dy, &y = run.y, &dx = run.dx;
    const float* w = run.weights();  // (F, K) column-major, k = ((kd*KH + kh)*KW + kw)*C + c
    const float* b = run.bias();
    std::vector<double> ry(y.size()), rdw(L::num_weights, 0.0), rdb(F, 0.0), rdx(x.size(), 0.0);
    // every (input offset, weight row) pair of output pixel (s, od, oh, ow): the patch
    std::vector<std::pair<std::size_t, std::size_t>> patch;
    for (int s = 0; s < B; ++s)
        for (int od = 0; od < Do; ++od)
            for (int oh = 0; oh < Ho; ++oh)
                for (int ow = 0; ow < Wo; ++ow) {
                    patch.clear();
                    for (int kd = 0; kd < g.KD; ++kd)
                        for (int kh = 0; kh < g.KH; ++kh)
                            for (int kw = 0; kw < g.KW; ++kw) {
                                const int id = od * g.SD - pd + kd, ih = oh * g.SH - ph + kh, iw = ow * g.SW - pw + kw;
                                if (id < 0 || id >= g.D || ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                for (int c = 0; c < C; ++c)
                                    patch.emplace_back(((((std::size_t(s) * g.D + id) * g.H + ih) * g.W + iw) * C + c),
                                                       std::size_t(((kd * g.KH + kh) * g.KW + kw) * C + c));
                            }
                    const std::size_t o0 = (((std::size_t(s) * Do + od) * Ho + oh) * Wo + ow) * F;
                    for (int f = 0; f < F; ++f) {
                        double z = b[f];
                        for (const auto& [i, k] : patch) z += double(w[k * F + f]) * x[i];
                        ry[o0 + f] = act_value<Act>(z);
                        // backward from the layer's own output, as the contract says
                        const double dz = double(dy[o0 + f]) * double(Act::derivative_from_output(y[o0 + f]));
                        rdb[f] += dz;
                        for (const auto& [i, k] : patch) {
                            rdw[k * F + f] += dz * x[i];
                            rdx[i] += dz * w[k * F + f];
                        }
                    }
                }
    CHECK(relative_error(ry, y.data()) < 1e-5);
    CHECK(relative_error(rdw, run.weight_grads()) < 1e-4);
    CHECK(relative_error(rdb, run.bias_grads()) < 1e-4);
    if (!first_layer) CHECK(relative_error(rdx, dx.data()) < 1e-4);
}

// conv1d<F, K, Pad, Act, S> on In (L, C), batch B
template <class In, int F, int K, class Pad, class Act, int S, int B>
void check_conv1d(bool first_layer) {
    using L = typename conv1d<F, K, Pad, Act, S>::template impl<In, B>;
    check_against_loops<L, Act, B>({1, 1, In::dims[0], In::dims[1], F, 1, 1, K, 1, 1, S, Pad::is_same}, first_layer);
}

// conv3d<F, K, Pad, Act, S> on In (D, H, W, C), batch B
template <class In, int F, int K, class Pad, class Act, int S, int B>
void check_conv3d(bool first_layer) {
    using L = typename conv3d<F, K, Pad, Act, S>::template impl<In, B>;
    check_against_loops<L, Act, B>({In::dims[0], In::dims[1], In::dims[2], In::dims[3], F, K, K, K, S, S, S, Pad::is_same},
                                   first_layer);
}

}  // namespace

TEST_CASE("conv1d: the cluster counter's layers equal reference loops") {
    // examples/clustercount.hps: 1024 bins x 1 -> {16, 32} k5, maxpool 2, -> 32 k{3, 7},
    // maxpool 2, -> 32 k3; all SAME + relu, batch 250 (the first without dx)
    check_conv1d<shape<1024, 1>, 16, 5, same, relu, 1, 250>(true);
    check_conv1d<shape<1024, 1>, 32, 5, same, relu, 1, 250>(true);
    check_conv1d<shape<512, 16>, 32, 3, same, relu, 1, 250>(false);
    check_conv1d<shape<512, 32>, 32, 7, same, relu, 1, 16>(false);
    check_conv1d<shape<256, 32>, 32, 3, same, relu, 1, 250>(false);
    // the same at batches 1 and 3 (tails of every loop over samples)
    check_conv1d<shape<1024, 1>, 16, 5, same, relu, 1, 1>(false);
    check_conv1d<shape<512, 16>, 32, 7, same, relu, 1, 3>(false);
    check_conv1d<shape<256, 32>, 32, 3, same, relu, 1, 1>(false);
}

TEST_CASE("conv1d: odd channel and filter counts, kernels 1 to 7, same/valid, strides 1 to 3") {
    check_conv1d<shape<13, 3>, 5, 3, valid, relu, 2, 3>(false);
    check_conv1d<shape<17, 1>, 3, 7, same, relu, 1, 16>(false);
    check_conv1d<shape<10, 6>, 6, 5, same, hps::tanh, 2, 3>(false);
    check_conv1d<shape<9, 5>, 20, 3, valid, linear, 1, 1>(false);
    check_conv1d<shape<40, 7>, 11, 5, same, sigmoid, 3, 16>(false);
    check_conv1d<shape<12, 3>, 9, 4, same, elu, 1, 3>(false);   // even kernel: padding 1 left, 2 right
    check_conv1d<shape<11, 2>, 1, 1, valid, relu, 1, 3>(true);  // one filter, kernel 1
    check_conv1d<shape<8, 33>, 17, 2, same, linear, 2, 3>(false);
    check_conv1d<shape<7, 3>, 3, 7, valid, relu, 1, 16>(false);  // the kernel spans the input
}

TEST_CASE("conv3d: the printability network's layers equal reference loops") {
    // examples/printability.hps: 32^3 x 1 -> 8 (first layer), batchnorm, maxpool 2,
    // 16^3 x 8 -> 16, batchnorm, maxpool 2, 8^3 x 16 -> 32; kernel 3, SAME + relu, batch 16
    check_conv3d<shape<32, 32, 32, 1>, 8, 3, same, relu, 1, 16>(true);
    check_conv3d<shape<16, 16, 16, 8>, 16, 3, same, relu, 1, 16>(false);
    check_conv3d<shape<8, 8, 8, 16>, 32, 3, same, relu, 1, 16>(false);
    // the same at batches 1 and 3
    check_conv3d<shape<32, 32, 32, 1>, 8, 3, same, relu, 1, 1>(false);
    check_conv3d<shape<16, 16, 16, 8>, 16, 3, same, relu, 1, 3>(false);
    check_conv3d<shape<8, 8, 8, 16>, 32, 3, same, relu, 1, 1>(false);
    check_conv3d<shape<8, 8, 8, 16>, 32, 3, same, relu, 1, 3>(false);
}

TEST_CASE("conv3d: odd channel and filter counts, kernels 1 to 7, same/valid, strides 1 and 2") {
    check_conv3d<shape<5, 6, 7, 3>, 5, 3, valid, relu, 2, 3>(false);
    check_conv3d<shape<7, 5, 6, 2>, 6, 5, same, hps::tanh, 1, 3>(false);
    check_conv3d<shape<6, 6, 6, 1>, 3, 2, same, linear, 2, 16>(false);  // asymmetric SAME
    check_conv3d<shape<9, 7, 8, 3>, 7, 3, same, sigmoid, 2, 1>(false);
    check_conv3d<shape<4, 5, 6, 5>, 17, 1, valid, relu, 1, 3>(false);
    check_conv3d<shape<9, 9, 9, 2>, 6, 7, same, elu, 1, 3>(false);
    check_conv3d<shape<8, 7, 7, 3>, 20, 7, valid, linear, 1, 16>(false);
    check_conv3d<shape<6, 5, 4, 3>, 9, 4, same, relu, 1, 1>(true);  // even kernel
}

TEST_CASE("conv1d, conv3d: used again, a layer gives what a fresh one gives; backward adds") {
    check_repeated<conv1d<16, 5, same, relu>::impl<shape<1024, 1>, 250>, 250>(true);
    check_repeated<conv1d<32, 7, same, relu>::impl<shape<512, 16>, 250>, 250>(false);
    check_repeated<conv1d<32, 3, same, relu>::impl<shape<256, 32>, 250>, 250>(false);
    check_repeated<conv1d<5, 4, same, hps::tanh, 2>::impl<shape<13, 3>, 3>, 3>(false);
    check_repeated<conv3d<8, 3, same, relu>::impl<shape<32, 32, 32, 1>, 16>, 16>(true);
    check_repeated<conv3d<16, 3, same, relu>::impl<shape<16, 16, 16, 8>, 16>, 16>(false);
    check_repeated<conv3d<32, 3, same, relu>::impl<shape<8, 8, 8, 16>, 16>, 16>(false);
    check_repeated<conv3d<6, 2, same, linear, 2>::impl<shape<5, 6, 7, 3>, 3>, 3>(false);
}
