// maxpool1d, avgpool1d and globalavgpool: gradients (maxpool on distinct inputs, so no
// window's maximum changes within the step), hand-computed outputs and backward, torch
// modules. (Sizes a window does not divide are refused: test_rules.cpp.)
#include "test_support.hpp"

#include <hps/layers/globalavgpool.hpp>
#include <hps/layers/pool1d.hpp>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {
template <class In, int P, int S, int B>
struct pool_case {
    using max_layer = typename maxpool1d<P, S>::template impl<In, B>;
    using avg_layer = typename avgpool1d<P, S>::template impl<In, B>;
    static constexpr int batch = B;
};
template <class In, int B>
struct global_case {
    using layer = globalavgpool::impl<In, B>;
    static constexpr int batch = B;
};
}  // namespace

TEST_CASE_TEMPLATE("pool1d: central-difference gradients", T, pool_case<shape<4, 1>, 2, 2, 2>,
                   pool_case<shape<7, 2>, 3, 2, 3>, pool_case<shape<9, 3>, 3, 2, 2>, pool_case<shape<6, 1>, 3, 1, 1>,
                   pool_case<shape<8, 2>, 4, 4, 2>) {
    hps_test::gradcheck_options opt;
    opt.make_input = hps_test::distinct_input;
    check_layer_gradients<typename T::max_layer, T::batch>(71, opt);
    check_layer_gradients<typename T::avg_layer, T::batch>(72, {});
}

TEST_CASE_TEMPLATE("globalavgpool: central-difference gradients", T, global_case<shape<5, 1>, 2>,
                   global_case<shape<6, 3>, 3>, global_case<shape<3, 4, 2>, 2>, global_case<shape<2, 3, 2, 3>, 1>) {
    check_layer_gradients<typename T::layer, T::batch>(73, {});
}

TEST_CASE("pool1d: hand-computed outputs") {
    // (6, 1): 1 5 2 2 9 3   max/2: (5, 2, 9)   avg/2: (3, 2, 6)   max 3 stride 1: (5, 5, 9, 9)
    const float x[] = {1, 5, 2, 2, 9, 3};
    context ctx;
    bound_layer<maxpool1d<2>::impl<shape<6, 1>, 1>> mp;
    float y[4], dx[6];
    mp.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 3) == std::vector<float>{5, 2, 9});
    const float dy[] = {1, 2, 3, 4};
    mp.layer.backward(x, y, dy, dx, ctx);
    // ties: the first maximum of the window (2, 2) takes the gradient, as in torch
    CHECK(std::vector<float>(dx, dx + 6) == std::vector<float>{0, 1, 2, 0, 3, 0});

    bound_layer<avgpool1d<2>::impl<shape<6, 1>, 1>> ap;
    ap.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 3) == std::vector<float>{3, 2, 6});
    ap.layer.backward(x, y, dy, dx, ctx);
    CHECK(std::vector<float>(dx, dx + 6) == std::vector<float>{0.5f, 0.5f, 1, 1, 1.5f, 1.5f});

    bound_layer<maxpool1d<3, 1>::impl<shape<6, 1>, 1>> ov;  // overlapping windows add
    ov.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{5, 5, 9, 9});
    ov.layer.backward(x, y, dy, dx, ctx);
    CHECK(std::vector<float>(dx, dx + 6) == std::vector<float>{0, 3, 0, 0, 7, 0});

    // two channels pooled separately: channel 0 = +i, channel 1 = -i
    float x2[8];
    for (int i = 0; i < 4; ++i) x2[2 * i] = float(i), x2[2 * i + 1] = -float(i);
    using P = maxpool1d<2>::impl<shape<4, 2>, 1>;  // (4 - 2)/2 + 1 = 2
    static_assert(std::is_same_v<P::out_shape, shape<2, 2>>);
    bound_layer<P> p;
    p.layer.forward(x2, y, ctx);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{1, 0, 3, -2});

    std::vector<std::string> m;
    maxpool1d<3, 2>::impl<shape<9, 1>, 1>::torch_modules(m);
    avgpool1d<4>::impl<shape<8, 1>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.MaxPool1d(3, stride=2)", "nn.AvgPool1d(4, stride=4)"});
}

TEST_CASE("globalavgpool: hand-computed means over every position") {
    // (3, 2) sequence: channel 0 = 1, 2, 6; channel 1 = -3, 0, 0 -> (3, -1)
    const float x[] = {1, -3, 2, 0, 6, 0, /* sample 2 */ 0, 1, 0, 1, 3, 1};
    context ctx;
    bound_layer<globalavgpool::impl<shape<3, 2>, 2>> g;
    float y[4];
    g.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{3, -1, 1, 1});
    const float dy[] = {3, 6, 0, -3};
    float dx[12];
    g.layer.backward(x, y, dy, dx, ctx);
    CHECK(std::vector<float>(dx, dx + 12) == std::vector<float>{1, 2, 1, 2, 1, 2, 0, -1, 0, -1, 0, -1});

    static_assert(std::is_same_v<globalavgpool::impl<shape<4, 4, 8>, 1>::out_shape, shape<8>>);
    std::vector<std::string> m;
    globalavgpool::impl<shape<3, 2>, 1>::torch_modules(m);
    globalavgpool::impl<shape<4, 4, 8>, 1>::torch_modules(m);
    globalavgpool::impl<shape<2, 4, 4, 8>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.AdaptiveAvgPool1d(1)", "nn.Flatten()", "nn.AdaptiveAvgPool2d(1)",
                                        "nn.Flatten()", "nn.AdaptiveAvgPool3d(1)", "nn.Flatten()"});
}

TEST_CASE("pool1d: maxpool1d's backward over tiling windows, the zero-and-add's bits") {
    using hps_test::check_tiled_backward;
    check_tiled_backward<maxpool1d<2>::impl<shape<24, 19>, 3>, 3>(61);     // a packet of channels and a tail
    check_tiled_backward<maxpool1d<3>::impl<shape<21, 1>, 4>, 4>(62);      // one channel
    check_tiled_backward<maxpool1d<2>::impl<shape<512, 16>, 16>, 16>(63);  // shared among threads
}
