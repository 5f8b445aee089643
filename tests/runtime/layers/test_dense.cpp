// dense<Units, Act>: gradients over shapes (small ones, and wider ones for the register-tile
// kernels) and every activation, a hand-computed forward, the torch export order of a
// flattened channels-last input.
#include "test_support.hpp"

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {

template <class In, int Units, class Act, int B>
struct dense_case {
    using layer = typename dense<Units, Act>::template impl<In, B>;
    static constexpr int batch = B;
    static constexpr bool kinked = hps_test::has_kink<Act>;
};

}  // namespace

TEST_CASE_TEMPLATE("dense: central-difference gradients over shapes", T,
                   dense_case<shape<1>, 1, linear, 1>, dense_case<shape<1>, 1, hps::tanh, 4>,
                   dense_case<shape<3>, 5, linear, 4>, dense_case<shape<3>, 5, relu, 1>,
                   dense_case<shape<17>, 9, linear, 1>, dense_case<shape<17>, 9, relu, 4>,
                   dense_case<shape<17>, 9, sigmoid, 4>, dense_case<shape<2, 3, 2>, 4, hps::tanh, 3>,
                   dense_case<shape<4, 3>, 6, linear, 2>,
                   // units that fill whole vector packets take conv_kernels.hpp's register
                   // tiles: several packets, inputs and samples that leave remainders
                   dense_case<shape<37>, 32, hps::tanh, 13>, dense_case<shape<3, 5, 2>, 64, linear, 7>,
                   dense_case<shape<50>, 16, sigmoid, 30>) {
    hps_test::gradcheck_options opt;
    opt.guard_kinks = T::kinked;
    check_layer_gradients<typename T::layer, T::batch>(11, opt);
}

TEST_CASE_TEMPLATE("dense: central-difference gradients for every activation", Act, relu, elu, selu, softplus, sigmoid,
                   hps::tanh, linear) {
    hps_test::gradcheck_options opt;
    opt.guard_kinks = hps_test::has_kink<Act>;
    check_layer_gradients<typename dense<5, Act>::template impl<shape<3>, 4>, 4>(21, opt);
    check_layer_gradients<typename dense<7, Act>::template impl<shape<6>, 2>, 2>(22, opt);
}

TEST_CASE("dense: hand-computed forward and backward") {
    // W = [[1, 2], [3, 4]], b = [0.5, -1]; samples x0 = (1, -1), x1 = (2, 0.5)
    //   z0 = (1 - 2 + 0.5, 3 - 4 - 1) = (-0.5, -2);  z1 = (2 + 1 + 0.5, 6 + 2 - 1) = (3.5, 7)
    bound_layer<dense<2, linear>::impl<shape<2>, 2>> lin;
    const float w[] = {1, 3, 2, 4};  // column-major (Out, In)
    std::copy(w, w + 4, lin.params.begin());
    lin.params[4] = 0.5f;
    lin.params[5] = -1.0f;
    const float x[] = {1, -1, 2, 0.5f};
    float y[4];
    context ctx;
    lin.layer.forward(x, y, ctx);
    CHECK(y[0] == doctest::Approx(-0.5));
    CHECK(y[1] == doctest::Approx(-2));
    CHECK(y[2] == doctest::Approx(3.5));
    CHECK(y[3] == doctest::Approx(7));
    // dy = ones: dW = sum_b dy x^T = [[3, -0.5], [3, -0.5]], db = (2, 2), dx_b = W^T 1 = (4, 6)
    const float dy[] = {1, 1, 1, 1};
    float dx[4];
    std::fill(lin.grads.begin(), lin.grads.end(), 0.0f);
    lin.layer.backward(x, y, dy, dx, ctx);
    const float dw_expected[] = {3, 3, -0.5f, -0.5f, 2, 2};
    for (int i = 0; i < 6; ++i) CHECK(lin.grads[std::size_t(i)] == doctest::Approx(dw_expected[i]));
    CHECK(dx[0] == doctest::Approx(4));
    CHECK(dx[1] == doctest::Approx(6));
    CHECK(dx[3] == doctest::Approx(6));

    // the same with relu: (0, 0, 3.5, 7); with sigmoid: sigmoid(-0.5) = 0.3775406688
    bound_layer<dense<2, relu>::impl<shape<2>, 2>> rl;
    std::copy(lin.params.begin(), lin.params.end(), rl.params.begin());
    rl.layer.forward(x, y, ctx);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 0.0f);
    CHECK(y[2] == doctest::Approx(3.5));
    bound_layer<dense<2, sigmoid>::impl<shape<2>, 2>> sg;
    std::copy(lin.params.begin(), lin.params.end(), sg.params.begin());
    sg.layer.forward(x, y, ctx);
    CHECK(y[0] == doctest::Approx(0.3775406688));
}

TEST_CASE("dense: init is He normal for relu, Glorot uniform for tanh, biases 0") {
    bound_layer<dense<64, relu>::impl<shape<200>, 1>> he;
    rng gen(5);
    he.layer.init(gen);
    double s2 = 0;
    for (std::size_t i = 0; i < 64 * 200; ++i) s2 += double(he.params[i]) * he.params[i];
    CHECK(std::sqrt(s2 / (64 * 200)) == doctest::Approx(std::sqrt(2.0 / 200)).epsilon(0.03));
    for (std::size_t i = 64 * 200; i < he.params.size(); ++i) CHECK(he.params[i] == 0.0f);
    bound_layer<dense<64, hps::tanh>::impl<shape<200>, 1>> gl;
    gl.layer.init(gen);
    const double limit = std::sqrt(6.0 / (200 + 64));
    float lo = 1, hi = -1;
    for (std::size_t i = 0; i < 64 * 200; ++i) lo = std::min(lo, gl.params[i]), hi = std::max(hi, gl.params[i]);
    CHECK(lo >= -limit);
    CHECK(hi <= limit);
    CHECK(hi > 0.95 * limit);
}

TEST_CASE("dense: torch export permutes a channels-last input to torch's flatten order") {
    // input (H, W, C) = (2, 3, 2): our flat index i = (h*3 + w)*2 + c, torch's j = (c*2 + h)*3 + w
    using L = dense<1, linear>::impl<shape<2, 3, 2>, 1>;
    bound_layer<L> d;
    for (int i = 0; i < 12; ++i) d.params[std::size_t(i)] = float(i);  // weight of our input i is i
    tensor_list tl;
    d.layer.export_params(tl, "1.");
    REQUIRE(tl.tensors.size() == 2);
    CHECK(tl.tensors[0].name == "1.weight");
    CHECK(tl.tensors[0].shape == std::vector<int>{1, 12});
    for (int c = 0; c < 2; ++c)
        for (int h = 0; h < 2; ++h)
            for (int w = 0; w < 3; ++w)
                CHECK(tl.tensors[0].data[std::size_t((c * 2 + h) * 3 + w)] == float((h * 3 + w) * 2 + c));
    std::vector<std::string> mods;
    L::torch_modules(mods);
    CHECK(mods == std::vector<std::string>{"nn.Flatten()", "nn.Linear(12, 1)"});
    CHECK(L::torch_param_module == 1);

    // after hps::flatten (and a dropout that keeps the shape) the origin is remembered
    using net = network<shape<2, 3, 2>, flatten, dropout<0.5>, dense<1, hps::tanh>>;
    using D = net::instance<1>::layer_t<2>;
    std::vector<std::string> dm;
    D::torch_modules(dm);
    CHECK(dm == std::vector<std::string>{"nn.Linear(12, 1)", "nn.Tanh()"});
    bound_layer<D> d2;
    for (int i = 0; i < 12; ++i) d2.params[std::size_t(i)] = float(i);
    tensor_list t2;
    d2.layer.export_params(t2, "2.");
    CHECK(t2.tensors[0].data == tl.tensors[0].data);
}
