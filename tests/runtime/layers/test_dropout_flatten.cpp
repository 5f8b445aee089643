// dropout<Rate> (a fixed mask through the same random state, identity in infer, the keep
// rate and scale) and flatten (a view, nn.Flatten).
#include "test_support.hpp"

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

TEST_CASE_TEMPLATE("dropout: central-difference gradients with a fixed mask (train) and as identity (infer)", L,
                   dropout<0.25>::impl<shape<7>, 3>, dropout<0.5>::impl<shape<3, 4, 2>, 2>,
                   dropout<0.0>::impl<shape<5>, 1>) {
    hps_test::gradcheck_options opt;
    opt.mode = phase::train;
    check_layer_gradients<L, L::n / L::in_shape::size>(61, opt);
    opt.mode = phase::infer;
    check_layer_gradients<L, L::n / L::in_shape::size>(62, opt);
}

TEST_CASE("dropout: inverted scaling, keep rate, identity in infer, reproducible masks") {
    using L = dropout<0.25>::impl<shape<1000>, 40>;  // 40000 draws
    bound_layer<L> d;
    std::vector<float> x(40000, 2.0f), y(40000);
    rng gen(7);
    context ctx;
    ctx.gen = &gen;
    const auto start = gen.save();
    d.layer.forward(x.data(), y.data(), ctx);
    int kept = 0;
    double sum = 0;
    for (float v : y) {
        CHECK((v == 0.0f || v == doctest::Approx(2.0f / 0.75f)));
        kept += v != 0.0f;
        sum += v;
    }
    // 40000 Bernoulli(0.75): sd of the share is 0.0022; 5 sd
    CHECK(double(kept) / 40000 == doctest::Approx(0.75).epsilon(0.015));
    CHECK(sum / 40000 == doctest::Approx(2.0).epsilon(0.03));  // the expectation is kept

    // the same generator state draws the same mask; the next call draws another
    std::vector<float> y2(40000);
    gen.restore(start);
    d.layer.forward(x.data(), y2.data(), ctx);
    CHECK(y2 == y);
    d.layer.forward(x.data(), y2.data(), ctx);
    CHECK(y2 != y);

    // backward uses the mask of the forward pass
    std::vector<float> dy(40000, 1.0f), dx(40000);
    d.layer.backward(x.data(), y2.data(), dy.data(), dx.data(), ctx);
    for (std::size_t i = 0; i < 40000; i += 97) CHECK(dx[i] == y2[i] / 2.0f);

    ctx.mode = phase::infer;
    d.layer.forward(x.data(), y.data(), ctx);
    CHECK(y == x);
    d.layer.backward(x.data(), y.data(), dy.data(), dx.data(), ctx);
    CHECK(dx == dy);

    ctx.mode = phase::train;
    ctx.gen = nullptr;
    CHECK_THROWS_AS(d.layer.forward(x.data(), y.data(), ctx), std::invalid_argument);

    std::vector<std::string> m;
    L::torch_modules(m);
    dropout<0.5>::impl<shape<1>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Dropout(p=0.25)", "nn.Dropout(p=0.5)"});
}

TEST_CASE("flatten: a view with torch's nn.Flatten") {
    using L = flatten::impl<shape<4, 3, 2>, 5>;
    CHECK(L::is_view);
    CHECK(L::out_shape::size == 24);
    CHECK(L::out_shape::rank == 1);
    CHECK(is_shape<L::out_shape>);
    CHECK(std::is_same_v<flatten_origin<L::out_shape>::type, shape<4, 3, 2>>);
    std::vector<std::string> m;
    L::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Flatten()"});
    // in a network: the output is the input, unchanged, and gradients pass through
    using net = network<shape<2, 2, 1>, flatten>;
    net::instance<2> inst;
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
    context ctx;
    CHECK(inst.forward(x, ctx) == x);
}
