// lstm<Units, ReturnSequences>: gradients through time over inputs and parameters (1 to 7
// steps, 1 to 4 features, 1 to 5 units, batches of 1 to 3), a hand-computed 3-step cell,
// batch against one sample at a time, parameter layout and torch export.
#include "test_support.hpp"

#include <hps/layers/lstm.hpp>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {

template <class In, int U, bool Seq, int B>
struct lstm_case {
    using layer = typename lstm<U, Seq>::template impl<In, B>;
    static constexpr int batch = B;
};

}  // namespace

TEST_CASE_TEMPLATE("lstm: central-difference gradients through time", T, lstm_case<shape<1, 1>, 3, false, 1>,
                   lstm_case<shape<4, 2>, 3, false, 2>, lstm_case<shape<3, 3>, 2, true, 3>,
                   lstm_case<shape<6, 1>, 5, true, 2>, lstm_case<shape<7, 3>, 4, false, 3>,
                   lstm_case<shape<5, 4>, 1, true, 1>) {
    check_layer_gradients<typename T::layer, T::batch>(51, {});
}

// Sizes that reach the product kernel's full register tiles and its edges: 4U and U
// multiples of 16 and not, batches not a multiple of its 6 columns, several steps, every
// step's state or the last one.
TEST_CASE_TEMPLATE("lstm: gradients through time at kernel-tile sizes", T, lstm_case<shape<6, 2>, 16, true, 7>,
                   lstm_case<shape<4, 3>, 16, false, 13>, lstm_case<shape<5, 1>, 20, false, 6>,
                   lstm_case<shape<3, 5>, 32, true, 9>) {
    check_layer_gradients<typename T::layer, T::batch>(52, {});
}

// Against a plain per-sample implementation in double (the formulas of lstm.hpp's header),
// outputs and every gradient, at a size where the kernel's tiles are full and partial.
template <int T, int F, int U, bool Seq, int B>
void check_against_reference(std::uint64_t seed) {
    using L = typename lstm<U, Seq>::template impl<shape<T, F>, B>;
    bound_layer<L> l;
    rng gen(seed);
    l.layer.init(gen);
    for (std::size_t i = L::num_weights; i < L::num_params; ++i) l.params[i] = float(0.3 * gen.normal());
    const auto x = hps_test::normal_vector(std::size_t(T) * F * B, gen);
    const auto dy = hps_test::normal_vector(std::size_t(L::out_shape::size) * B, gen);
    std::vector<float> y(dy.size()), dx(x.size(), 7.0f);
    context ctx;
    std::fill(l.grads.begin(), l.grads.end(), 0.0f);
    l.layer.forward(x.data(), y.data(), ctx);
    l.layer.backward(x.data(), y.data(), dy.data(), dx.data(), ctx);

    const float* wih = l.params.data();            // (4U, F) column-major
    const float* whh = wih + 4 * U * F;            // (4U, U)
    const float* bih = whh + 4 * U * U;
    const float* bhh = bih + 4 * U;
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    std::vector<double> gw(L::num_params, 0.0), gx(x.size(), 0.0);
    double worst_y = 0, scale_y = 0;
    for (int b = 0; b < B; ++b) {
        const float* xb = x.data() + std::size_t(b) * T * F;
        std::vector<std::vector<double>> gate(T, std::vector<double>(4 * U)), c(T + 1, std::vector<double>(U, 0.0)),
            h(T + 1, std::vector<double>(U, 0.0));  // c[t + 1], h[t + 1] are step t's; index 0 the zero state
        for (int t = 0; t < T; ++t) {
            for (int r = 0; r < 4 * U; ++r) {
                double z = double(bih[r]) + bhh[r];
                for (int f = 0; f < F; ++f) z += double(wih[f * 4 * U + r]) * xb[t * F + f];
                for (int u = 0; u < U; ++u) z += double(whh[u * 4 * U + r]) * h[t][u];
                gate[t][r] = (r >= 2 * U && r < 3 * U) ? std::tanh(z) : sig(z);
            }
            for (int u = 0; u < U; ++u) {
                c[t + 1][u] = gate[t][U + u] * c[t][u] + gate[t][u] * gate[t][2 * U + u];
                h[t + 1][u] = gate[t][3 * U + u] * std::tanh(c[t + 1][u]);
                if (Seq || t == T - 1) {
                    const double got = y[std::size_t(b) * L::out_shape::size + (Seq ? t * U : 0) + u];
                    worst_y = std::max(worst_y, std::fabs(got - h[t + 1][u]));
                    scale_y = std::max(scale_y, std::fabs(h[t + 1][u]));
                }
            }
        }
        std::vector<double> dh(U, 0.0), dc(U, 0.0), dz(4 * U);
        for (int t = T - 1; t >= 0; --t) {
            for (int u = 0; u < U; ++u)
                if (Seq || t == T - 1) dh[u] += dy[std::size_t(b) * L::out_shape::size + (Seq ? t * U : 0) + u];
            for (int u = 0; u < U; ++u) {
                const double i = gate[t][u], f = gate[t][U + u], g = gate[t][2 * U + u], o = gate[t][3 * U + u];
                const double tc = std::tanh(c[t + 1][u]);
                dz[3 * U + u] = dh[u] * tc * o * (1 - o);
                dc[u] += dh[u] * o * (1 - tc * tc);
                dz[u] = dc[u] * g * i * (1 - i);
                dz[2 * U + u] = dc[u] * i * (1 - g * g);
                dz[U + u] = dc[u] * c[t][u] * f * (1 - f);
                dc[u] *= f;
            }
            for (int r = 0; r < 4 * U; ++r) {
                for (int f = 0; f < F; ++f) {
                    gw[std::size_t(f) * 4 * U + r] += dz[r] * xb[t * F + f];
                    gx[std::size_t(b) * T * F + t * F + f] += double(wih[f * 4 * U + r]) * dz[r];
                }
                for (int u = 0; u < U; ++u) gw[std::size_t(4 * U * F) + u * 4 * U + r] += dz[r] * h[t][u];
                gw[std::size_t(4 * U * (F + U)) + r] += dz[r];
                gw[std::size_t(4 * U * (F + U + 1)) + r] += dz[r];
            }
            for (int u = 0; u < U; ++u) {
                dh[u] = 0;
                for (int r = 0; r < 4 * U; ++r) dh[u] += double(whh[u * 4 * U + r]) * dz[r];
            }
        }
    }
    CHECK(worst_y <= 1e-5 * std::max(1.0, scale_y));
    auto rel = [](const std::vector<double>& want, const float* got) {
        double num = 0, den = 0, worst = 0, scale = 0;
        for (std::size_t i = 0; i < want.size(); ++i) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
            scale = std::max(scale, std::fabs(want[i]));
        }
        for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]) / scale);
        return std::max(std::sqrt(num / std::max(den, 1e-30)), worst);
    };
    CHECK(rel(gw, l.grads.data()) < 1e-4);
    CHECK(rel(gx, dx.data()) < 1e-4);
}

TEST_CASE("lstm: outputs and gradients against a plain double implementation") {
    check_against_reference<7, 2, 32, false, 13>(61);  // 4U = 128 rows, batch 13 = 2 x 6 + 1
    check_against_reference<5, 3, 24, true, 8>(62);    // U = 24: partial 16-row tiles
    check_against_reference<15, 1, 128, false, 26>(63);  // the peak finder's layer, a smaller batch
    check_against_reference<2, 1, 3, true, 1>(64);
}

TEST_CASE("lstm: hand-computed cell, one unit, three steps") {
    // U = F = 1; rows (i, f, g, o): W_ih = (1, 1, 1, 1), W_hh = (0.5, -0.5, 1, 0),
    // b_ih = (0, 1, 0, 0), b_hh = (0.1, 0, -0.2, 0.3); x = (1, -1, 0.5).
    //   t0: z = (1.1, 2, 0.8, 1.3): i = s(1.1), f = s(2), g = tanh(0.8), o = s(1.3)
    //       c0 = i g = 0.4982003, h0 = o tanh(c0) = 0.3620347
    //   t1: z = x W_ih + h0 W_hh + b: c1 = 0.0022866, h1 = 0.00075872
    //   t2: c2 = 0.1904307, h2 = 0.1298268            (s the logistic sigmoid; in double)
    const float w[] = {1, 1, 1, 1, 0.5f, -0.5f, 1, 0, 0, 1, 0, 0, 0.1f, 0, -0.2f, 0.3f};
    const float x[] = {1, -1, 0.5f};
    context ctx;
    bound_layer<lstm<1>::impl<shape<3, 1>, 1>> last;
    REQUIRE(last.params.size() == 16);
    std::copy(w, w + 16, last.params.begin());
    float y = 0;
    last.layer.forward(x, &y, ctx);
    CHECK(y == doctest::Approx(0.12982677738542778).epsilon(1e-6));

    bound_layer<lstm<1, true>::impl<shape<3, 1>, 1>> all;
    std::copy(w, w + 16, all.params.begin());
    float ys[3];
    all.layer.forward(x, ys, ctx);
    CHECK(ys[0] == doctest::Approx(0.36203465497683995).epsilon(1e-6));
    CHECK(ys[1] == doctest::Approx(0.00075872481545538).epsilon(1e-4));
    CHECK(ys[2] == doctest::Approx(0.12982677738542778).epsilon(1e-6));
}

TEST_CASE("lstm: a batch is the same as its samples one at a time") {
    using L3 = lstm<4, true>::impl<shape<5, 2>, 3>;
    using L1 = lstm<4, true>::impl<shape<5, 2>, 1>;
    bound_layer<L3> big;
    bound_layer<L1> one;
    rng gen(17);
    big.layer.init(gen);
    for (std::size_t i = L3::num_weights; i < L3::num_params; ++i) big.params[i] = float(0.3 * gen.normal());
    std::copy(big.params.begin(), big.params.end(), one.params.begin());
    const auto x = hps_test::normal_vector(10 * 3, gen);
    std::vector<float> y3(L3::out_shape::size * 3), y1(L1::out_shape::size);
    context ctx;
    big.layer.forward(x.data(), y3.data(), ctx);
    for (int b = 0; b < 3; ++b) {
        one.layer.forward(x.data() + b * 10, y1.data(), ctx);
        for (int i = 0; i < L1::out_shape::size; ++i)
            CHECK(y3[std::size_t(b * L1::out_shape::size + i)] == doctest::Approx(y1[std::size_t(i)]).epsilon(1e-6));
    }
    // the last step of the sequence is what lstm<4> (return_sequences false) gives
    bound_layer<lstm<4>::impl<shape<5, 2>, 3>> last;
    std::copy(big.params.begin(), big.params.end(), last.params.begin());
    std::vector<float> yl(4 * 3);
    last.layer.forward(x.data(), yl.data(), ctx);
    for (int b = 0; b < 3; ++b)
        for (int u = 0; u < 4; ++u) CHECK(yl[std::size_t(b * 4 + u)] == y3[std::size_t(b * 20 + 4 * 4 + u)]);
}

TEST_CASE("lstm: shapes, parameter count, init, torch modules and export") {
    using L = lstm<3>::impl<shape<15, 2>, 4>;
    static_assert(std::is_same_v<L::out_shape, shape<3>>);
    static_assert(std::is_same_v<lstm<3, true>::impl<shape<15, 2>, 4>::out_shape, shape<15, 3>>);
    CHECK(L::num_params == 4 * 3 * (2 + 3) + 8 * 3);  // torch's count: two bias vectors
    CHECK(L::num_weights == 4 * 3 * (2 + 3));
    CHECK(lstm<128>::impl<shape<15, 1>, 150>::num_params == 67072);  // 4*128*(1 + 128) + 8*128

    bound_layer<L> l;
    rng gen(3);
    l.layer.init(gen);
    const float limit = 1.0f / std::sqrt(3.0f);
    for (std::size_t i = 0; i < L::num_weights; ++i) CHECK(std::fabs(l.params[i]) <= limit);
    // biases: b_ih's forget-gate rows are 1, everything else 0
    for (int r = 0; r < 12; ++r) {
        CHECK(l.params[L::num_weights + std::size_t(r)] == (r >= 3 && r < 6 ? 1.0f : 0.0f));
        CHECK(l.params[L::num_weights + 12 + std::size_t(r)] == 0.0f);
    }

    std::vector<std::string> m;
    L::torch_modules(m);
    lstm<7, true>::impl<shape<4, 5>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"LSTMLastStep(2, 3)", "LSTMAllSteps(5, 7)"});
    CHECK(L::torch_param_module == 0);

    // weight_ih_l0 is torch's (4U, F) in C order: ours is column-major, element (r, f) at f*4U + r
    for (std::size_t i = 0; i < L::num_params; ++i) l.params[i] = float(i);
    tensor_list t;
    l.layer.export_params(t, "0.");
    REQUIRE(t.tensors.size() == 4);
    CHECK(t.tensors[0].name == "0.weight_ih_l0");
    CHECK(t.tensors[0].shape == std::vector<int>{12, 2});
    CHECK(t.tensors[0].data[0 * 2 + 1] == 12.0f);  // (r 0, f 1)
    CHECK(t.tensors[0].data[5 * 2 + 0] == 5.0f);   // (r 5, f 0)
    CHECK(t.tensors[1].name == "0.weight_hh_l0");
    CHECK(t.tensors[1].shape == std::vector<int>{12, 3});
    CHECK(t.tensors[1].data[2 * 3 + 1] == float(24 + 1 * 12 + 2));  // (r 2, u 1)
    CHECK(t.tensors[2].name == "0.bias_ih_l0");
    CHECK(t.tensors[2].data[0] == 60.0f);
    CHECK(t.tensors[3].name == "0.bias_hh_l0");
    CHECK(t.tensors[3].data[11] == 83.0f);

    CHECK(torch_helpers({"nn.Linear(3, 1)"}).empty());
    const std::string helpers = torch_helpers({"LSTMAllSteps(1, 2)", "nn.Flatten()"});
    CHECK(helpers.find("class LSTMLastStep(nn.LSTM):") != std::string::npos);
    CHECK(helpers.find("class LSTMAllSteps(nn.LSTM):") != std::string::npos);
}
