// gru<Units, ReturnSequences>: gradients through time over inputs and parameters (1 to 7
// steps, 1 to 10 features, 1 to 32 units, batches of 1 to 13, the fused input pass and
// the Eigen one), against a plain double implementation, a hand-computed 3-step cell,
// batch against one sample at a time, inside a network before a dense layer (gradients,
// reuse across batches), parameter layout and torch export.
#include "test_support.hpp"

#include <hps/layers/gru.hpp>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {

template <class In, int U, bool Seq, int B>
struct gru_case {
    using layer = typename gru<U, Seq>::template impl<In, B>;
    static constexpr int batch = B;
};

}  // namespace

TEST_CASE_TEMPLATE("gru: central-difference gradients through time", T, gru_case<shape<1, 1>, 3, false, 1>,
                   gru_case<shape<4, 2>, 3, false, 2>, gru_case<shape<3, 3>, 2, true, 3>,
                   gru_case<shape<6, 1>, 5, true, 2>, gru_case<shape<7, 3>, 4, false, 3>,
                   gru_case<shape<5, 4>, 1, true, 1>, gru_case<shape<4, 10>, 3, true, 2>,
                   gru_case<shape<3, 9>, 4, false, 3>) {
    check_layer_gradients<typename T::layer, T::batch>(71, {});
}

// Sizes that reach the product kernel's full register tiles and its edges: 3U and U
// multiples of 16 and not, batches not a multiple of its 6 columns, several steps, every
// step's state or the last one, and more than 8 features (the input's Eigen product).
TEST_CASE_TEMPLATE("gru: gradients through time at kernel-tile sizes", T, gru_case<shape<6, 2>, 16, true, 7>,
                   gru_case<shape<4, 3>, 16, false, 13>, gru_case<shape<5, 1>, 20, false, 6>,
                   gru_case<shape<3, 5>, 32, true, 9>, gru_case<shape<4, 12>, 16, true, 5>) {
    check_layer_gradients<typename T::layer, T::batch>(72, {});
}

// Against a plain per-sample implementation in double (the formulas of gru.hpp's header),
// outputs and every gradient, at sizes where the kernel's tiles are full and partial.
template <int T, int F, int U, bool Seq, int B>
void check_against_reference(std::uint64_t seed) {
    using L = typename gru<U, Seq>::template impl<shape<T, F>, B>;
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

    constexpr int G = 3 * U;
    const float* wih = l.params.data();  // (3U, F) column-major, rows r, z, n
    const float* whh = wih + G * F;      // (3U, U)
    const float* bih = whh + G * U;
    const float* bhh = bih + G;
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    std::vector<double> gw(L::num_params, 0.0), gx(x.size(), 0.0);
    double worst_y = 0, scale_y = 0;
    for (int b = 0; b < B; ++b) {
        const float* xb = x.data() + std::size_t(b) * T * F;
        // gate[t] = (r, z, n), qn[t] = W_hn h_{t-1} + b_hn; h[t + 1] is step t's, h[0] the zero state
        std::vector<std::vector<double>> gate(T, std::vector<double>(G)), qn(T, std::vector<double>(U)),
            h(T + 1, std::vector<double>(U, 0.0));
        for (int t = 0; t < T; ++t) {
            std::vector<double> a(G), q(G);
            for (int r = 0; r < G; ++r) {
                a[r] = bih[r];
                q[r] = bhh[r];
                for (int f = 0; f < F; ++f) a[r] += double(wih[f * G + r]) * xb[t * F + f];
                for (int u = 0; u < U; ++u) q[r] += double(whh[u * G + r]) * h[t][u];
            }
            for (int u = 0; u < U; ++u) {
                const double r = sig(a[u] + q[u]), z = sig(a[U + u] + q[U + u]);
                const double n = std::tanh(a[2 * U + u] + r * q[2 * U + u]);
                gate[t][u] = r, gate[t][U + u] = z, gate[t][2 * U + u] = n, qn[t][u] = q[2 * U + u];
                h[t + 1][u] = (1 - z) * n + z * h[t][u];
                if (Seq || t == T - 1) {
                    const double got = y[std::size_t(b) * L::out_shape::size + (Seq ? t * U : 0) + u];
                    worst_y = std::max(worst_y, std::fabs(got - h[t + 1][u]));
                    scale_y = std::max(scale_y, std::fabs(h[t + 1][u]));
                }
            }
        }
        std::vector<double> dh(U, 0.0), da(G), dq(G);
        for (int t = T - 1; t >= 0; --t) {
            for (int u = 0; u < U; ++u)
                if (Seq || t == T - 1) dh[u] += dy[std::size_t(b) * L::out_shape::size + (Seq ? t * U : 0) + u];
            for (int u = 0; u < U; ++u) {
                const double r = gate[t][u], z = gate[t][U + u], n = gate[t][2 * U + u];
                const double dn = dh[u] * (1 - z) * (1 - n * n);
                da[u] = dq[u] = dn * qn[t][u] * r * (1 - r);
                da[U + u] = dq[U + u] = dh[u] * (h[t][u] - n) * z * (1 - z);
                da[2 * U + u] = dn;
                dq[2 * U + u] = dn * r;
            }
            for (int r = 0; r < G; ++r) {
                for (int f = 0; f < F; ++f) {
                    gw[std::size_t(f) * G + r] += da[r] * xb[t * F + f];
                    gx[std::size_t(b) * T * F + t * F + f] += double(wih[f * G + r]) * da[r];
                }
                for (int u = 0; u < U; ++u) gw[std::size_t(G * F) + u * G + r] += dq[r] * h[t][u];
                gw[std::size_t(G * (F + U)) + r] += da[r];
                gw[std::size_t(G * (F + U + 1)) + r] += dq[r];
            }
            for (int u = 0; u < U; ++u) {
                double v = dh[u] * gate[t][U + u];  // through h_t = ... + z h_{t-1}
                for (int r = 0; r < G; ++r) v += double(whh[u * G + r]) * dq[r];
                dh[u] = v;
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

TEST_CASE("gru: outputs and gradients against a plain double implementation") {
    check_against_reference<7, 2, 32, false, 13>(81);     // 3U = 96 rows, batch 13 = 2 x 6 + 1
    check_against_reference<5, 3, 24, true, 8>(82);       // 3U = 72: partial 16-row tiles
    check_against_reference<15, 1, 128, false, 26>(83);   // the peak finder's size, a smaller batch
    check_against_reference<6, 11, 20, true, 5>(84);      // 11 features: W_ih x_t an Eigen product
    check_against_reference<2, 1, 3, true, 1>(85);
}

TEST_CASE("gru: hand-computed cell, one unit, three steps") {
    // U = F = 1; rows (r, z, n): W_ih = (0.5, -1, 1), W_hh = (1, 0.5, -0.5),
    // b_ih = (0, 0.2, 0.1), b_hh = (0.1, 0, -0.3); x = (1, -1, 0.5).
    //   t0: a = (0.5, -0.8, 1.1), q = b_hh = (0.1, 0, -0.3): r = s(0.6), z = s(-0.8),
    //       n = tanh(1.1 - 0.3 r) = 0.7193531, h0 = (1 - z) n = 0.4963353
    //   t1: a = (-0.5, 1.2, -0.9), q = W_hh h0 + b_hh: h1 = 0.2440063
    //   t2: h2 = 0.2836457                                (s the logistic sigmoid; in double)
    const float w[] = {0.5f, -1, 1, 1, 0.5f, -0.5f, 0, 0.2f, 0.1f, 0.1f, 0, -0.3f};
    const float x[] = {1, -1, 0.5f};
    context ctx;
    bound_layer<gru<1>::impl<shape<3, 1>, 1>> last;
    REQUIRE(last.params.size() == 12);
    std::copy(w, w + 12, last.params.begin());
    float y = 0;
    last.layer.forward(x, &y, ctx);
    CHECK(y == doctest::Approx(0.28364567933462737).epsilon(1e-6));

    bound_layer<gru<1, true>::impl<shape<3, 1>, 1>> all;
    std::copy(w, w + 12, all.params.begin());
    float ys[3];
    all.layer.forward(x, ys, ctx);
    CHECK(ys[0] == doctest::Approx(0.496335301462261).epsilon(1e-6));
    CHECK(ys[1] == doctest::Approx(0.24400627141879525).epsilon(1e-5));
    CHECK(ys[2] == doctest::Approx(0.28364567933462737).epsilon(1e-6));
}

TEST_CASE("gru: a batch is the same as its samples one at a time") {
    using L3 = gru<4, true>::impl<shape<5, 2>, 3>;
    using L1 = gru<4, true>::impl<shape<5, 2>, 1>;
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
    // the last step of the sequence is what gru<4> (return_sequences false) gives
    bound_layer<gru<4>::impl<shape<5, 2>, 3>> last;
    std::copy(big.params.begin(), big.params.end(), last.params.begin());
    std::vector<float> yl(4 * 3);
    last.layer.forward(x.data(), yl.data(), ctx);
    for (int b = 0; b < 3; ++b)
        for (int u = 0; u < 4; ++u) CHECK(yl[std::size_t(b * 4 + u)] == y3[std::size_t(b * 20 + 4 * 4 + u)]);
}

// network<In, gru, dense>: f = dot(r, output) against backward(r)'s parameter gradients
// by central differences, then the same instance reused for other batches (nothing kept
// from one pass to the next but the parameters: a fresh instance gives the same outputs
// and gradients).
template <bool Seq>
void check_network() {
    using net_t = network<shape<6, 3>, gru<5, Seq>, dense<2, hps::tanh>>;
    using inst_t = typename net_t::template instance<4>;
    constexpr std::size_t n_in = 6 * 3 * 4, n_out = 2 * 4;
    auto net = std::make_unique<inst_t>();
    rng gen(Seq ? 91 : 92);
    net->init(gen);
    for (int l = 0; l < 2; ++l) {  // biases are 0 after init
        const auto s = net->layer_span(l);
        for (std::size_t i = s.offset + s.weights; i < s.offset + s.params; ++i)
            net->params()[i] = float(0.3 * gen.normal());
    }
    CHECK(net->layer_span(0).weights == 15 * (3 + 5));
    CHECK(net->layer_span(1).offset == 15 * (3 + 5) + 30);
    const auto x = hps_test::normal_vector(n_in, gen);
    const auto r = hps_test::normal_vector(n_out, gen);
    context ctx;
    auto f = [&](const std::vector<float>& in) { return hps_test::dot(r.data(), net->forward(in.data(), ctx), n_out); };
    f(x);
    net->zero_grads();
    net->backward(r.data(), ctx);
    const std::vector<float> grads(net->grads(), net->grads() + inst_t::num_params);
    std::vector<double> ana, num;
    for (std::size_t i = 0; i < inst_t::num_params; ++i) {
        const float keep = net->params()[i];
        net->params()[i] = keep + 1e-2f;
        const double fp = f(x);
        net->params()[i] = keep - 1e-2f;
        const double fm = f(x);
        net->params()[i] = keep;
        num.push_back((fp - fm) / 2e-2);
        ana.push_back(grads[i]);
    }
    hps_test::compare_derivatives("network dparams", ana, num, {});

    // reuse: three further batches through the same instance, each against a fresh one
    for (int round = 0; round < 3; ++round) {
        const auto xb = hps_test::normal_vector(n_in, gen);
        const float* y = net->forward(xb.data(), ctx);
        const std::vector<float> yv(y, y + n_out);
        net->zero_grads();
        net->backward(r.data(), ctx);
        auto fresh = std::make_unique<inst_t>();
        std::copy(net->params(), net->params() + inst_t::num_params, fresh->params());
        const float* yf = fresh->forward(xb.data(), ctx);
        fresh->zero_grads();
        fresh->backward(r.data(), ctx);
        for (std::size_t i = 0; i < n_out; ++i) CHECK(yv[i] == yf[i]);
        for (std::size_t i = 0; i < inst_t::num_params; ++i) CHECK(net->grads()[i] == fresh->grads()[i]);
    }
}

TEST_CASE("gru: inside a network before dense, gradients and reuse across batches") {
    check_network<false>();
    check_network<true>();
}

TEST_CASE("gru: shapes, parameter count, init, torch modules and export") {
    using L = gru<3>::impl<shape<15, 2>, 4>;
    static_assert(std::is_same_v<L::out_shape, shape<3>>);
    static_assert(std::is_same_v<gru<3, true>::impl<shape<15, 2>, 4>::out_shape, shape<15, 3>>);
    CHECK(L::num_params == 3 * 3 * (2 + 3) + 6 * 3);  // torch's count: two bias vectors
    CHECK(L::num_weights == 3 * 3 * (2 + 3));
    CHECK(gru<128>::impl<shape<15, 1>, 150>::num_params == 50304);  // 3*128*(1 + 128) + 6*128
    // the rule the template and the spec checker share (rules::gru)
    static_assert(rules::gru(rules::make(15, 2), 3, false).out == rules::make(3));
    static_assert(rules::gru(rules::make(15, 2), 3, true).out == rules::make(15, 3));
    static_assert(rules::gru(rules::make(15, 2), 3, false).params == L::num_params);
    static_assert(rules::gru(rules::make(28, 28, 1), 3, false).why == rules::fault::wrong_rank);

    bound_layer<L> l;
    rng gen(3);
    std::fill(l.params.begin(), l.params.end(), 5.0f);
    l.layer.init(gen);
    const float limit = 1.0f / std::sqrt(3.0f);
    double sum = 0;
    for (std::size_t i = 0; i < L::num_weights; ++i) {
        CHECK(std::fabs(l.params[i]) <= limit);
        sum += std::fabs(l.params[i]);
    }
    CHECK(sum / L::num_weights > 0.25 * limit);  // spread over the range, not all 0
    for (std::size_t i = L::num_weights; i < L::num_params; ++i) CHECK(l.params[i] == 0.0f);  // biases

    std::vector<std::string> m;
    L::torch_modules(m);
    gru<7, true>::impl<shape<4, 5>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"GRULastStep(2, 3)", "GRUAllSteps(5, 7)"});
    CHECK(L::torch_param_module == 0);

    // weight_ih_l0 is torch's (3U, F) in C order: ours is column-major, element (r, f) at f*3U + r
    for (std::size_t i = 0; i < L::num_params; ++i) l.params[i] = float(i);
    tensor_list t;
    l.layer.export_params(t, "0.");
    REQUIRE(t.tensors.size() == 4);
    CHECK(t.tensors[0].name == "0.weight_ih_l0");
    CHECK(t.tensors[0].shape == std::vector<int>{9, 2});
    CHECK(t.tensors[0].data[0 * 2 + 1] == 9.0f);  // (r 0, f 1)
    CHECK(t.tensors[0].data[5 * 2 + 0] == 5.0f);  // (r 5, f 0)
    CHECK(t.tensors[1].name == "0.weight_hh_l0");
    CHECK(t.tensors[1].shape == std::vector<int>{9, 3});
    CHECK(t.tensors[1].data[2 * 3 + 1] == float(18 + 1 * 9 + 2));  // (r 2, u 1)
    CHECK(t.tensors[2].name == "0.bias_ih_l0");
    CHECK(t.tensors[2].shape == std::vector<int>{9});
    CHECK(t.tensors[2].data[0] == 45.0f);
    CHECK(t.tensors[3].name == "0.bias_hh_l0");
    CHECK(t.tensors[3].data[8] == 62.0f);

    // model.py's classes: GRU's for a gru, both kinds' (LSTM's first) for both, none else
    CHECK(torch_helpers({"nn.Linear(3, 1)"}).empty());
    const std::string helpers = torch_helpers({"GRUAllSteps(1, 2)", "nn.Flatten()"});
    CHECK(helpers.find("class GRULastStep(nn.GRU):") != std::string::npos);
    CHECK(helpers.find("class GRUAllSteps(nn.GRU):") != std::string::npos);
    CHECK(helpers.find("LSTM") == std::string::npos);
    const std::string both = torch_helpers({"GRULastStep(2, 3)", "LSTMAllSteps(1, 2)"});
    CHECK(both.find("class LSTMLastStep(nn.LSTM):") < both.find("class GRULastStep(nn.GRU):"));
    CHECK(both.find("class GRUAllSteps(nn.GRU):") != std::string::npos);
    CHECK(both.find("class GRULastStep") == both.rfind("class GRULastStep"));  // once
}
