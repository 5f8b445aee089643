// Activations: values against hand-computed numbers, derivatives from the output against
// derivatives from the input, the vectorised forms against the scalar ones, and
// activation<Act> as a layer (gradients, torch module).
#include "test_support.hpp"

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

TEST_CASE("activations: hand-computed values") {
    CHECK(relu::value(-1.0f) == 0.0f);
    CHECK(relu::value(2.5f) == 2.5f);
    CHECK(elu::value(-1.0f) == doctest::Approx(std::exp(-1.0) - 1));  // -0.6321205588
    CHECK(elu::value(0.75f) == 0.75f);
    CHECK(selu::value(1.0f) == doctest::Approx(1.0507009873554805));
    CHECK(selu::value(-1.0f) == doctest::Approx(1.0507009873554805 * 1.6732632423543772 * (std::exp(-1.0) - 1)));  // -1.1113307378
    CHECK(softplus::value(0.0f) == doctest::Approx(std::log(2.0)));
    CHECK(softplus::value(30.0f) == 30.0f);                                       // no overflow
    CHECK(softplus::value(-30.0f) == doctest::Approx(9.357623e-14).epsilon(1e-5));  // exp(-30), not 0
    CHECK(sigmoid::value(0.0f) == 0.5f);
    CHECK(sigmoid::value(2.0f) == doctest::Approx(0.8807970779778823));
    CHECK(hps::tanh::value(0.5f) == doctest::Approx(0.46211715726000974));
    CHECK(linear::value(-3.0f) == -3.0f);
    CHECK(relu::torch_module == "nn.ReLU()");
    CHECK(linear::torch_module.empty());
    CHECK(elu::init == init_kind::he_normal);
    CHECK(selu::init == init_kind::he_normal);
    CHECK(sigmoid::init == init_kind::glorot_uniform);
}

TEST_CASE_TEMPLATE("activations: derivative from the output = derivative from the input; vector = scalar", Act, relu,
                   elu, selu, softplus, sigmoid, hps::tanh, linear) {
    std::vector<float> xs;
    for (int i = -60; i <= 60; ++i)
        if (i != 0) xs.push_back(0.1f * float(i) + 0.013f);
    xs.push_back(-25.0f);
    xs.push_back(25.0f);
    std::vector<float> ys = xs;
    Act::forward(ys.data(), std::ptrdiff_t(ys.size()));
    std::vector<float> ones(xs.size(), 1.0f), dz(xs.size());
    Act::backward(ys.data(), ones.data(), dz.data(), std::ptrdiff_t(ys.size()));
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double x = xs[i];
        INFO(Act::name << " at x = " << x);
        CHECK(ys[i] == doctest::Approx(Act::value(xs[i])).epsilon(2e-6).scale(1e-30));
        // derivative from the input, by a central difference in double
        const double h = 1e-4;
        auto f = [&](double v) {
            if constexpr (std::is_same_v<Act, relu>) return v > 0 ? v : 0.0;
            if constexpr (std::is_same_v<Act, elu>) return v > 0 ? v : std::expm1(v);
            if constexpr (std::is_same_v<Act, selu>) return v > 0 ? selu::scale * v : double(selu::scale) * selu::alpha * std::expm1(v);
            if constexpr (std::is_same_v<Act, softplus>) return std::log1p(std::exp(v));
            if constexpr (std::is_same_v<Act, sigmoid>) return 1 / (1 + std::exp(-v));
            if constexpr (std::is_same_v<Act, hps::tanh>) return std::tanh(v);
            return v;
        };
        const double expected = (f(x + h) - f(x - h)) / (2 * h);
        // from the output, 1 - y^2 and the like cancel near saturation: absolute float slack
        CHECK(std::fabs(Act::derivative_from_output(ys[i]) - expected) <= 1e-3 * std::fabs(expected) + 3e-7);
        CHECK(dz[i] == doctest::Approx(Act::derivative_from_output(ys[i])).epsilon(1e-5));
    }
}

TEST_CASE_TEMPLATE("activation<Act>: central-difference gradients as a layer", Act, relu, elu, selu, softplus, sigmoid,
                   hps::tanh) {
    hps_test::gradcheck_options opt;
    opt.make_input = hps_test::away_from_zero;  // no kink within the step
    check_layer_gradients<typename activation<Act>::template impl<shape<3, 4, 2>, 3>, 3>(51, opt);
    check_layer_gradients<typename activation<Act>::template impl<shape<1>, 1>, 1>(52, opt);
    std::vector<std::string> mods;
    activation<Act>::template impl<shape<2>, 1>::torch_modules(mods);
    CHECK(mods == std::vector<std::string>{std::string(Act::torch_module)});
}

TEST_CASE("activation<linear> is a view, nn.Identity() in torch") {
    using L = activation<linear>::impl<shape<5>, 2>;
    CHECK(L::is_view);
    std::vector<std::string> mods;
    L::torch_modules(mods);
    CHECK(mods == std::vector<std::string>{"nn.Identity()"});
}

TEST_CASE("activations: saturation stays finite") {
    std::vector<float> v{-200.0f, -90.0f, 90.0f, 200.0f};
    for (auto fwd : {&elu::forward, &selu::forward, &softplus::forward, &sigmoid::forward, &hps::tanh::forward}) {
        std::vector<float> y = v;
        fwd(y.data(), 4);
        for (float t : y) CHECK(std::isfinite(t));
    }
    std::vector<float> y = v;
    softplus::forward(y.data(), 4);
    CHECK(y[3] == 200.0f);
    CHECK(y[0] <= 1e-30f);  // exp(-200) underflows (Eigen's exp bottoms out at 2.9e-39)
}
