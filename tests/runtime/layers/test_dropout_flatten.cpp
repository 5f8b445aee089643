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
    d.layer.torch_modules(m);
    dropout<0.5>::impl<shape<1>, 1>{}.torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Dropout(p=0.25)", "nn.Dropout(p=0.5)"});
}

TEST_CASE("dropout<>: the rate set at run time trains as the compiled rate, and is checked") {
    using R = dropout<>::impl<shape<50>, 20>;
    using C = dropout<0.25>::impl<shape<50>, 20>;
    bound_layer<R> r;
    bound_layer<C> c;
    CHECK(r.layer.missing() == "dropout's rate");
    CHECK(c.layer.missing().empty());
    std::vector<float> x(1000, 1.5f), yr(1000), yc(1000);
    rng gen(3);
    context ctx;
    ctx.gen = &gen;
    CHECK_THROWS_AS(r.layer.forward(x.data(), yr.data(), ctx), std::invalid_argument);  // no rate yet
    CHECK(r.layer.set("rate", 1.0).find("in [0, 1), not 1") != std::string::npos);
    CHECK(r.layer.set("rate", -0.1).find("in [0, 1)") != std::string::npos);
    CHECK(r.layer.set("p", 0.2) == "dropout has no run-time setting 'p' (only rate)");
    REQUIRE(r.layer.set("rate", 0.25).empty());
    CHECK(r.layer.missing().empty());
    CHECK(r.layer.rate() == 0.25);
    const auto start = gen.save();
    r.layer.forward(x.data(), yr.data(), ctx);
    gen.restore(start);
    c.layer.forward(x.data(), yc.data(), ctx);
    CHECK(yr == yc);  // the same mask and scale as the compiled rate
    std::vector<std::string> m;
    r.layer.torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Dropout(p=0.25)"});

    // through the network, by layer index, as a trainer applies its settings file
    using net = network<shape<6>, dense<4, relu>, dropout<>, dense<1>>;
    net::instance<2> n;
    CHECK(n.missing_settings() == "layer 1: dropout's rate");
    CHECK(n.set_layer(0, "rate", 0.2) == "layer 0 takes no value at run time (it has no 'rate' setting)");
    CHECK(n.set_layer(3, "rate", 0.2) == "layer 3 does not exist (the network has 3 layers)");
    CHECK(n.set_layer(1, "rate", 1.5).find("in [0, 1)") != std::string::npos);
    CHECK(n.set_layer(1, "rate", 0.4).empty());
    CHECK(n.missing_settings().empty());
    CHECK(std::get<1>(n.layers()).rate() == 0.4);
    CHECK(n.torch_modules()[2] == "nn.Dropout(p=0.4)");
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
