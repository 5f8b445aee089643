// bf16 on AMX tiles (hps/layers/amx_kernels.hpp), built with -march=native and the AMX
// intrinsics (-mamx-tile -mamx-bf16), so that the hw backend is compiled on every machine.
// Two ctests of this one program:
//   runtime.layers.amx      the emulated tiles (any CPU with AVX512_BF16, else exit 77):
//     - the emulated TDPBF16PS, TILELOADD and TILESTORED against a scalar reference of Intel's
//       pseudo-code written here, on random tiles with partial configurations (rows < 16,
//       bytes per row < 64, rows at strides wider than the data, which is fenced by values
//       that would show if read), and TDPBF16PS on values whose sums are exact;
//     - conv1d, conv2d, conv3d and dense forward, dW and dx through the AMX kernels on the
//       emulated tiles against the fp32 layer fed the same values rounded to bf16 and against the
//       AVX512_BF16 kernels (1e-5 of the largest value: only the summation order differs),
//       on shapes with edges (pixels, filters, runs and pixel pairs not multiples of 16,
//       several chunks of 16 pairs and a tail, stride 2, same and valid padding);
//     - a conv + dense network's bf16 gradients bit-identical with 1 and 2 threads.
//   runtime.layers.amx_hw   (--hw) the same tile and layer checks on the real tiles, only on a
//     CPU with AMX (exit 77 with the reason elsewhere), and the hw results against the
//     emulation's (1e-5: Intel documents the order of TDPBF16PS's sums, not that the
//     hardware keeps it).
#define DOCTEST_CONFIG_IMPLEMENT
#include "bf16_support.hpp"

#include <hps/layers/amx_kernels.hpp>
#include <hps/layers/avgpool2d.hpp>
#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>

#include <array>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace hps;
using hps_test::check_close;
using hps_test::pass;
using hps_test::rounded;
using hps_test::run;

namespace {

namespace amx = hps::detail::amx;
namespace h = hps::detail::bf16;

// ------------------------------------------------------------------ the tile operations
// Intel's TDPBF16PS for C (m x n fp32) += A (m x 2k bf16) B (k x 2n bf16, pairs), written
// from the pseudo-code: per row, k outer, n inner, the even then the odd product
void reference_dp(int m, int k, int n, const std::vector<float>& a, const std::vector<float>& b, std::vector<float>& c) {
    for (int i = 0; i < m; ++i)
        for (int p = 0; p < k; ++p)
            for (int j = 0; j < n; ++j) {
                c[std::size_t(i) * n + j] += a[std::size_t(i) * 2 * k + 2 * p] * b[std::size_t(p) * 2 * n + 2 * j];
                c[std::size_t(i) * n + j] += a[std::size_t(i) * 2 * k + 2 * p + 1] * b[std::size_t(p) * 2 * n + 2 * j + 1];
            }
}

// random bf16 values (or `value(i)`), in rows of `count` at `stride` bf16, the rest of the
// buffer a fence of large values that would spoil a sum that read them
template <class Value>
std::vector<h::bf16_t> rows_of(int rows, int count, int stride, Value value) {
    std::vector<h::bf16_t> v(std::size_t(rows) * stride + 64, h::round(3e30f));
    for (int r = 0; r < rows; ++r)
        for (int i = 0; i < count; ++i) v[std::size_t(r) * stride + i] = h::round(value(r * count + i));
    return v;
}

std::vector<float> as_floats(const std::vector<h::bf16_t>& v, int rows, int count, int stride) {
    std::vector<float> f(std::size_t(rows) * count);
    for (int r = 0; r < rows; ++r)
        for (int i = 0; i < count; ++i) f[std::size_t(r) * count + i] = h::to_float(v[std::size_t(r) * stride + i]);
    return f;
}

// One TDPBF16PS C += A B of m x k pairs x n through tiles (C, A, B) = (0, 1, 3) or (0, 2, 4)
// of backend Be, C loaded from and stored to a buffer at a stride of 20 floats; the result
// and whether the store kept to its rows and columns
template <class Be, int TA, int TB>
std::vector<float> tile_dp(int m, int k, int n, const std::vector<h::bf16_t>& a, int lda, const std::vector<h::bf16_t>& b,
                           int ldb, const std::vector<float>& c0, bool& fenced) {
    amx::tile_config cfg;
    cfg.rows[0] = std::uint8_t(m), cfg.colsb[0] = std::uint16_t(4 * n);
    cfg.rows[TA] = std::uint8_t(m), cfg.colsb[TA] = std::uint16_t(4 * k);
    cfg.rows[TB] = std::uint8_t(k), cfg.colsb[TB] = std::uint16_t(4 * n);
    constexpr int ldc = 20;
    std::vector<float> cbuf(std::size_t(16) * ldc + 16, -7.0f);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) cbuf[std::size_t(i) * ldc + j] = c0[std::size_t(i) * n + j];
    Be::configure(cfg);
    Be::template load<0>(cbuf.data(), ldc * 4);
    Be::template load<TA>(a.data(), lda * 2);
    Be::template load<TB>(b.data(), ldb * 2);
    Be::template dpbf16ps<0, TA, TB>();
    std::fill(cbuf.begin(), cbuf.end(), -7.0f);
    Be::template store<0>(cbuf.data(), ldc * 4);
    Be::release();
    std::vector<float> c(std::size_t(m) * n);
    fenced = true;
    for (std::size_t e = 0; e < cbuf.size(); ++e) {
        const int i = int(e / ldc), j = int(e % ldc);
        if (i < m && j < n) c[std::size_t(i) * n + j] = cbuf[e];
        else if (cbuf[e] != -7.0f) fenced = false;
    }
    return c;
}

// random shapes, full and partial, against the reference: equal bit for bit on the emulation
// (exact = true); on the hardware within 1e-5 of the sum of |terms| (32 fp32 additions a
// chunk: if the hardware rounds them otherwise than the pseudo-code, 32 x 2^-24 at most)
template <class Be>
void check_tile_ops(bool exact) {
    rng gen(5);
    const int shapes[][3] = {{16, 16, 16}, {1, 1, 1}, {7, 16, 16}, {16, 5, 16}, {16, 16, 3}, {5, 9, 13}, {16, 1, 9}, {3, 12, 16}};
    for (int trial = 0; trial < 40; ++trial) {
        int m, k, n;
        if (trial < 8) m = shapes[trial][0], k = shapes[trial][1], n = shapes[trial][2];
        else m = 1 + int(gen.uniform() * 16), k = 1 + int(gen.uniform() * 16), n = 1 + int(gen.uniform() * 16);
        m = std::min(m, 16), k = std::min(k, 16), n = std::min(n, 16);
        const int lda = 2 * k + 2 * int(gen.uniform() * 8), ldb = 2 * n + 2 * int(gen.uniform() * 8);
        auto normal = [&](int) { return float(gen.normal()); };
        const auto a = rows_of(m, 2 * k, lda, normal);
        const auto b = rows_of(k, 2 * n, ldb, normal);
        std::vector<float> c0(std::size_t(m) * n);
        for (auto& v : c0) v = float(gen.normal());
        std::vector<float> want = c0, mag(c0.size());
        reference_dp(m, k, n, as_floats(a, m, 2 * k, lda), as_floats(b, k, 2 * n, ldb), want);
        for (std::size_t e = 0; e < c0.size(); ++e) mag[e] = std::fabs(c0[e]);
        {
            std::vector<float> aa = as_floats(a, m, 2 * k, lda), bb = as_floats(b, k, 2 * n, ldb);
            for (auto& v : aa) v = std::fabs(v);
            for (auto& v : bb) v = std::fabs(v);
            reference_dp(m, k, n, aa, bb, mag);
        }
        bool fenced = false;
        const auto got = trial % 2 ? tile_dp<Be, 1, 3>(m, k, n, a, lda, b, ldb, c0, fenced)
                                   : tile_dp<Be, 2, 4>(m, k, n, a, lda, b, ldb, c0, fenced);
        INFO("m " << m << ", k " << k << " pairs, n " << n << ", lda " << lda << ", ldb " << ldb);
        CHECK(fenced);
        for (std::size_t e = 0; e < got.size(); ++e) {
            if (exact) CHECK(got[e] == want[e]);
            else CHECK(std::fabs(got[e] - want[e]) <= 1e-5 * mag[e]);
        }
    }
}

// Small integers whose products and sums are exact in fp32 in any order: the result is the
// integer product, on any backend; the even and odd halves of each pair weighted apart
template <class Be>
void check_exact_dp() {
    const int m = 13, k = 11, n = 10;
    auto a = rows_of(m, 2 * k, 2 * k, [](int i) { return float((i * 7) % 17 - 8); });
    auto b = rows_of(k, 2 * n, 2 * n, [](int i) { return float(((i * 5) % 13 - 6) * (i % 2 ? 16 : 1)); });
    std::vector<float> c0(std::size_t(m) * n);
    for (std::size_t e = 0; e < c0.size(); ++e) c0[e] = float(int(e % 9) - 4);
    bool fenced = false;
    const auto got = tile_dp<Be, 1, 3>(m, k, n, a, 2 * k, b, 2 * n, c0, fenced);
    CHECK(fenced);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            long want = long(c0[std::size_t(i) * n + j]);
            for (int p = 0; p < 2 * k; ++p) {
                const long av = (((i * 2 * k + p) * 7) % 17) - 8;
                const long q = p / 2, s = p % 2;
                const long bi = q * 2 * n + 2 * j + s;
                const long bv = ((bi * 5) % 13 - 6) * (bi % 2 ? 16 : 1);
                want += av * bv;
            }
            INFO("C[" << i << "][" << j << "]");
            CHECK(got[std::size_t(i) * n + j] == float(want));
        }
}

// ------------------------------------------------------------------ the layers
template <class Spec, class In, int B>
using layer_of = typename Spec::template impl<In, B>;

// Layer L in bf16 on the backend `be` against the fp32 layer fed the values rounded to bf16
// and against bf16 on `other`: 1e-5 of the largest value (the products are the same, their
// sums in another order). Linear activation: dz = dy, so rounding dy rounds dz. rounds_dx
// false: dx stays fp32 on every path (a dense layer with odd inputs).
template <class L, int B>
void check_layer(amx::backend be, amx::backend other, bool backward = true, bool rounds_dx = true) {
    const hps_test::layer_inputs<L, B> in(17);
    const auto &params = in.params, &params_r = in.params_r, &x = in.x, &dy = in.dy;

    const long before = amx::emulated::dp_count().load();
    amx::set_backend_for_tests(be);
    const pass tiles = run<L, B>(params, x, dy, precision::bf16);
    amx::set_backend_for_tests(other);
    const pass avx = run<L, B>(params, x, dy, precision::bf16);
    amx::reset_backend_for_tests();
    const pass same = run<L, B>(params_r, rounded(x), rounded(dy), precision::fp32);
    if (be == amx::backend::emulated) CHECK(amx::emulated::dp_count().load() > before);  // the tiles ran
    auto weights = [](const pass& p) { return std::vector<float>(p.grads.begin(), p.grads.begin() + L::num_weights); };
    check_close(tiles.y, same.y, 1e-5, "forward against fp32 of the rounded inputs");
    check_close(tiles.y, avx.y, 1e-5, "forward against the other bf16 kernels");
    if (!backward) return;
    check_close(weights(tiles), weights(same), 1e-5, "dW against fp32 of the rounded inputs");
    check_close(weights(tiles), weights(avx), 1e-5, "dW against the other bf16 kernels");
    if (rounds_dx) check_close(tiles.dx, same.dx, 1e-5, "dx against fp32 of the rounded inputs");
    check_close(tiles.dx, avx.dx, 1e-5, "dx against the other bf16 kernels");
    // db is fp32 on every path
    CHECK(std::vector<float>(tiles.grads.begin() + L::num_weights, tiles.grads.end()) ==
          std::vector<float>(avx.grads.begin() + L::num_weights, avx.grads.end()));
}

template <class L, int B>
void check_emulated(bool rounds_dx = true) {
    check_layer<L, B>(amx::backend::emulated, amx::backend::avx512_bf16, true, rounds_dx);
}

using smooth_net = network<shape<10, 10, 2>, conv2d<8, 3, 3, same, hps::tanh>, avgpool2d<2>, conv2d<18, 3, 3, same, hps::tanh>,
                           flatten, dense<32, hps::tanh>, dense<16>>;
using smooth_model = smooth_net::instance<6>;

std::vector<float> gradients() { return hps_test::network_gradients<smooth_model, 6>(precision::bf16); }

}  // namespace

TEST_CASE("amx emulated: tile loads, stores and TDPBF16PS against Intel's pseudo-code") {
    check_tile_ops<amx::emulated>(true);
}

TEST_CASE("amx emulated: TDPBF16PS on values whose sums are exact") { check_exact_dp<amx::emulated>(); }

TEST_CASE("amx: transpose_to_pairs against its definition") {
    // dst[c * (rows + rows % 2) + r] = round(src[r * ld + c]), a zero after an odd count of
    // rows: blocks of 16 columns and 16 rows through the vector conversion, the rest scalar;
    // the values include ties, denormals (to zero, as VCVTNEPS2BF16), infinities and a NaN
    std::mt19937 gen(11);
    std::uniform_real_distribution<float> u(-4.0f, 4.0f);
    for (auto [rows, cols, ld] : {std::array{1, 1, 1}, {14, 32, 48}, {15, 17, 20}, {16, 16, 16}, {33, 40, 41},
                                  {128, 640, 640}, {5, 48, 48}, {20, 64, 64}, {7, 3, 9}}) {
        std::vector<float> src(std::size_t(rows) * ld);
        for (auto& v : src) v = u(gen);
        src[0] = 1.00390625f;                        // a tie: 1 + 2^-8 rounds to even (1)
        if (src.size() > 3) src[1] = 1e-40f, src[2] = -std::numeric_limits<float>::infinity(),
                            src[3] = std::numeric_limits<float>::quiet_NaN();
        const int len = rows + rows % 2;
        std::vector<h::bf16_t> dst(std::size_t(cols) * len, h::bf16_t(0xdead)), want(dst.size());
        for (int c = 0; c < cols; ++c) {
            for (int r = 0; r < rows; ++r) want[std::size_t(c) * len + r] = h::round(src[std::size_t(r) * ld + c]);
            if (rows % 2) want[std::size_t(c) * len + rows] = 0;
        }
        amx::transpose_to_pairs(src.data(), ld, rows, cols, dst.data());
        CHECK_MESSAGE(dst == want, "rows " << rows << ", cols " << cols << ", ld " << ld);
    }
    CHECK(h::round(1.00390625f) == h::round(1.0f));
    CHECK(h::round(1e-40f) == 0);
}

TEST_CASE("amx emulated: conv2d against fp32 and AVX512_BF16") {
    // odd filters and run (one tail chunk of 5 pairs), valid padding with an odd output width
    check_emulated<layer_of<conv2d<5, 3, 3, valid, linear>, shape<9, 7, 3>, 3>, 3>();
    // 20 filters (16 + 4), 18 pixels a row (16 + 2), run 15 (8 pairs), 9 pixel pairs
    check_emulated<layer_of<conv2d<20, 5, 5, same, linear>, shape<6, 18, 3>, 2>, 2>();
    // run 48 (24 pairs: a full chunk and a tail), 35 pixels a row (18 pairs: a full chunk and
    // a tail), 33 filters (three blocks), dx's run in three blocks
    check_emulated<layer_of<conv2d<33, 3, 3, same, linear>, shape<3, 35, 16>, 2>, 2>();
    // stride 2, even kernel width, same padding
    check_emulated<layer_of<conv2d<8, 3, 2, same, linear, 2, 2>, shape<10, 9, 4>, 3>, 3>();
    // ReLU fused on the AVX512_BF16 path, after the tiles on AMX: the forward pass
    check_layer<layer_of<conv2d<12, 3, 3, same, relu>, shape<7, 7, 5>, 2>, 2>(amx::backend::emulated,
                                                                              amx::backend::avx512_bf16, false);
}

TEST_CASE("amx emulated: conv1d and conv3d against fp32 and AVX512_BF16") {
    check_emulated<layer_of<conv1d<16, 5, same, linear>, shape<21, 3>, 4>, 4>();
    check_emulated<layer_of<conv1d<17, 3, valid, linear, 2>, shape<70, 12>, 2>, 2>();  // 34 pixels, stride 2
    check_emulated<layer_of<conv3d<8, 3, same, linear, 2>, shape<6, 5, 5, 2>, 3>, 3>();
    check_emulated<layer_of<conv3d<17, 2, valid, linear>, shape<3, 4, 19, 3>, 2>, 2>();
}

TEST_CASE("amx emulated: dense against fp32 and AVX512_BF16") {
    check_emulated<layer_of<dense<32, linear>, shape<48>, 7>, 7>();   // odd batch: a sample paired with a zero
    check_emulated<layer_of<dense<64, linear>, shape<96>, 20>, 20>();  // 16 + 4 samples, 48 input pairs
    check_emulated<layer_of<dense<48, linear>, shape<40>, 5>, 5>();    // 24 output pairs: a chunk and a tail
    check_emulated<layer_of<dense<16, linear>, shape<37>, 34>, 34>(false);  // odd In: dx stays fp32; 17 sample pairs
    check_layer<layer_of<dense<24, relu>, shape<64>, 9>, 9>(amx::backend::emulated, amx::backend::avx512_bf16, false);
}

TEST_CASE("amx emulated: 1 and 2 threads give identical results") {
#if defined(_OPENMP)
    amx::use_emulation_for_tests(true);
    omp_set_num_threads(1);
    const long before = amx::emulated::dp_count().load();
    const auto one = gradients();
    CHECK(amx::emulated::dp_count().load() > before);
    omp_set_num_threads(2);
    const auto two = gradients();
    omp_set_num_threads(1);
    amx::use_emulation_for_tests(false);
    CHECK(one == two);
#endif
}

#if HPS_AMX_HW
TEST_CASE("amx hw: tile loads, stores and TDPBF16PS against Intel's pseudo-code") {
    check_tile_ops<amx::hw>(false);
    check_exact_dp<amx::hw>();
}

TEST_CASE("amx hw: conv1d, conv2d, conv3d and dense against fp32 and the emulation") {
    const auto hw = amx::backend::hw, emulated = amx::backend::emulated;
    check_layer<layer_of<conv2d<5, 3, 3, valid, linear>, shape<9, 7, 3>, 3>, 3>(hw, emulated);
    check_layer<layer_of<conv2d<33, 3, 3, same, linear>, shape<3, 35, 16>, 2>, 2>(hw, emulated);
    check_layer<layer_of<conv2d<8, 3, 2, same, linear, 2, 2>, shape<10, 9, 4>, 3>, 3>(hw, emulated);
    check_layer<layer_of<conv1d<17, 3, valid, linear, 2>, shape<70, 12>, 2>, 2>(hw, emulated);
    check_layer<layer_of<conv3d<17, 2, valid, linear>, shape<3, 4, 19, 3>, 2>, 2>(hw, emulated);
    check_layer<layer_of<dense<64, linear>, shape<96>, 20>, 20>(hw, emulated);
    check_layer<layer_of<dense<48, linear>, shape<40>, 5>, 5>(hw, emulated);
    check_layer<layer_of<conv2d<33, 3, 3, same, linear>, shape<3, 35, 16>, 2>, 2>(hw, amx::backend::avx512_bf16);
}

TEST_CASE("amx hw: the trainer's choice and 1 and 2 threads identical") {
    CHECK(amx::active() == amx::backend::hw);
    CHECK(std::string(bf16_kernels_in_use()) == "bf16 on AMX tiles");
#if defined(_OPENMP)
    omp_set_num_threads(1);
    const auto one = gradients();
    omp_set_num_threads(2);
    const auto two = gradients();
    omp_set_num_threads(1);
    CHECK(one == two);
#endif
}
#endif

int main(int argc, char** argv) {
    bool hw = false;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::string(argv[i]) == "--hw") hw = true;
        else args.push_back(argv[i]);
    }
    std::string why = bf16_unavailable();
    if (why.empty() && hw) why = amx::hw_unavailable();
    return hps_test::run_or_skip(why, int(args.size()), args.data(), hw ? "test-case" : "test-case-exclude", "amx hw*");
}
