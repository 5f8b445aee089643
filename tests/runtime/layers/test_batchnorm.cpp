// batchnorm over the last dimension of ranks 1 to 4: gradients in training mode (batch
// statistics) and inference mode (running statistics); a hand-computed batch; running
// statistics as torch updates them (momentum 0.1, unbiased variance); state, not
// parameters, in a network (saved with the weights, untouched by L1/L2); torch export.
#include "test_support.hpp"
#include <hps/layers/batchnorm.hpp>
#include <hps/layers/conv3d.hpp>
#include <hps/layers/pool3d.hpp>

#include <memory>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {
template <class In, int B>
struct bn_case {
    using layer = typename batchnorm::template impl<In, B>;
    static constexpr int batch = B;
};
}  // namespace

TEST_CASE_TEMPLATE("batchnorm: central-difference gradients, training and inference", T, bn_case<shape<5>, 4>,
                   bn_case<shape<3>, 6>, bn_case<shape<6, 3>, 2>, bn_case<shape<4, 3, 2>, 3>,
                   bn_case<shape<3, 2, 4, 3>, 2>, bn_case<shape<2, 2, 2, 1>, 1>) {
    hps_test::gradcheck_options opt;
    opt.max_coords = 150;
    check_layer_gradients<typename T::layer, T::batch>(71, opt);
    // inference: the running statistics (at their initial values)
    opt.mode = phase::infer;
    check_layer_gradients<typename T::layer, T::batch>(72, opt);
}

TEST_CASE("batchnorm: hand-computed training batch and inference") {
    // 2 channels, 2 positions, batch 2: channel 0 takes 1, 3, 5, 7 (mean 4, biased var 5),
    // channel 1 takes 2, 2, 2, 2 (var 0)
    using L = batchnorm::impl<shape<2, 2>, 2>;
    bound_layer<L> bn;
    rng gen(1);
    bn.layer.init(gen);
    CHECK(bn.params[0] == 1.0f);   // gamma
    CHECK(bn.params[2] == 0.0f);   // beta
    CHECK(bn.state[2] == 1.0f);    // running_var
    bn.params[0] = 2.0f;           // gamma_0
    bn.params[3] = -1.0f;          // beta_1
    const float x[] = {1, 2, 3, 2, 5, 2, 7, 2};
    float y[8];
    context ctx;  // phase::train
    bn.layer.forward(x, y, ctx);
    const double s = std::sqrt(5.0 + 1e-5);
    CHECK(y[0] == doctest::Approx(2 * (1 - 4) / s).epsilon(1e-6));
    CHECK(y[2] == doctest::Approx(2 * (3 - 4) / s).epsilon(1e-6));
    CHECK(y[6] == doctest::Approx(2 * (7 - 4) / s).epsilon(1e-6));
    CHECK(y[1] == -1.0f);  // a constant channel becomes beta
    CHECK(y[7] == -1.0f);
    // running: mean 0.9*0 + 0.1*4, var 0.9*1 + 0.1 * 5 * 4/3 (unbiased); channel 1: 0.2, 0.9
    CHECK(bn.state[0] == doctest::Approx(0.4));
    CHECK(bn.state[1] == doctest::Approx(0.2));
    CHECK(bn.state[2] == doctest::Approx(0.9 + 0.1 * 20.0 / 3));
    CHECK(bn.state[3] == doctest::Approx(0.9));
    CHECK(bn.state[4] == 1.0f);  // num_batches_tracked
    bn.layer.forward(x, y, ctx);
    CHECK(bn.state[0] == doctest::Approx(0.9 * 0.4 + 0.4));
    CHECK(bn.state[4] == 2.0f);

    // training backward with dy = 1 everywhere: dx = 0 (a shift does not change the output),
    // dbeta = 4, dgamma = sum xhat = 0
    const float ones[] = {1, 1, 1, 1, 1, 1, 1, 1};
    float dx[8];
    std::fill(bn.grads.begin(), bn.grads.end(), 0.0f);
    bn.layer.backward(x, y, ones, dx, ctx);
    for (float v : dx) CHECK(std::fabs(v) < 1e-6f);
    CHECK(bn.grads[2] == 4.0f);
    CHECK(std::fabs(bn.grads[0]) < 1e-5f);

    // inference uses the running statistics and changes none of them
    ctx.mode = phase::infer;
    bn.state[0] = 1.0f, bn.state[2] = 4.0f - 1e-5f;  // channel 0: mean 1, sd 2
    const std::vector<float> before(bn.state.begin(), bn.state.end());
    bn.layer.forward(x, y, ctx);
    CHECK(y[0] == doctest::Approx(0.0));
    CHECK(y[6] == doctest::Approx(2.0 * 6 / 2));
    CHECK(std::vector<float>(bn.state.begin(), bn.state.end()) == before);
    bn.layer.backward(x, y, ones, dx, ctx);
    CHECK(dx[0] == doctest::Approx(2.0 / 2));  // gamma / sd
}

TEST_CASE("batchnorm: torch's running statistics over several batches") {
    // the update rule, step by step in double, against the layer over 5 random batches
    using L = batchnorm::impl<shape<3, 2>, 4>;  // 2 channels, N = 12 values each
    bound_layer<L> bn;
    rng gen(5);
    bn.layer.init(gen);
    double rm[2] = {0, 0}, rv[2] = {1, 1};
    context ctx;
    float y[24];
    for (int step = 0; step < 5; ++step) {
        const auto x = hps_test::normal_vector(24, gen, 2.0);
        for (int c = 0; c < 2; ++c) {
            double m = 0, v = 0;
            for (int i = c; i < 24; i += 2) m += x[std::size_t(i)];
            m /= 12;
            for (int i = c; i < 24; i += 2) v += (x[std::size_t(i)] - m) * (x[std::size_t(i)] - m);
            rm[c] = 0.9 * rm[c] + 0.1 * m;
            rv[c] = 0.9 * rv[c] + 0.1 * v / 11;
        }
        bn.layer.forward(x.data(), y, ctx);
    }
    CHECK(bn.state[0] == doctest::Approx(rm[0]).epsilon(1e-5));
    CHECK(bn.state[1] == doctest::Approx(rm[1]).epsilon(1e-5));
    CHECK(bn.state[2] == doctest::Approx(rv[0]).epsilon(1e-5));
    CHECK(bn.state[3] == doctest::Approx(rv[1]).epsilon(1e-5));
    CHECK(bn.state[4] == 5.0f);
    CHECK(bn.layer.batches_tracked() == 5.0f);
}

TEST_CASE("batchnorm: a flat channel of one value cannot train") {
    bound_layer<batchnorm::impl<shape<3>, 1>> bn;
    rng gen(1);
    bn.layer.init(gen);
    const float x[] = {1, 2, 3};
    float y[3];
    context ctx;
    CHECK_THROWS_AS(bn.layer.forward(x, y, ctx), std::invalid_argument);
    ctx.mode = phase::infer;
    bn.layer.forward(x, y, ctx);
    CHECK(y[2] == doctest::Approx(3.0 / std::sqrt(1 + 1e-5)));
}

TEST_CASE("batchnorm: in a network its statistics are state, gamma and beta are not weights") {
    using net = network<shape<4, 4, 4, 2>, conv3d<3, 3, same, relu>, batchnorm, maxpool3d<2>, flatten, batchnorm,
                        dense<2>>;
    using inst = net::instance<2>;
    static_assert(inst::num_state == (2 * 3 + 1) + (2 * 24 + 1));
    static_assert(inst::num_params == (3 * 27 * 2 + 3) + 2 * 3 + 2 * 24 + (24 * 2 + 2));
    auto m = std::make_unique<inst>();
    rng gen(3);
    m->init(gen);
    CHECK(m->layer_span(1).weights == 0);
    CHECK(m->layer_span(1).params == 6);
    CHECK(m->state()[3] == 1.0f);  // running_var of the first batchnorm
    const auto x = hps_test::normal_vector(std::size_t(inst::in_size) * 2, gen);
    context ctx;
    m->forward(x.data(), ctx);
    CHECK(m->state()[6] == 1.0f);   // one batch tracked
    CHECK(m->state()[7 + 48] == 1.0f);
    CHECK(m->state()[0] != 0.0f);   // the running mean moved
    // the torch model: the flat batchnorm is BatchNorm1d over the 24 flattened features
    CHECK(m->torch_modules() == std::vector<std::string>{"nn.Conv3d(2, 3, (3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))",
                                                             "nn.ReLU()", "nn.BatchNorm3d(3)",
                                                             "nn.MaxPool3d((2, 2, 2), stride=(2, 2, 2))", "nn.Flatten()",
                                                             "nn.BatchNorm1d(24)", "nn.Linear(24, 2)"});
    tensor_list t;
    m->export_params(t);
    std::vector<std::string> names;
    for (const auto& e : t.tensors) names.push_back(e.name);
    CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean",
                                            "2.running_var", "2.num_batches_tracked", "5.weight", "5.bias",
                                            "5.running_mean", "5.running_var", "5.num_batches_tracked", "6.weight",
                                            "6.bias"});
    CHECK(t.tensors[6].shape.empty());
    CHECK(t.tensors[6].data == std::vector<float>{1.0f});
    // the flat batchnorm exports its features in torch's channels-first order:
    // torch feature j = channel j / 8 at position j % 8, ours (j % 8) * 3 + j / 8
    const float* rm = m->state() + 7;
    for (int j = 0; j < 24; ++j) CHECK(t.tensors[9].data[std::size_t(j)] == rm[(j % 8) * 3 + j / 8]);
}
