// maxpool3d and avgpool3d: gradients (maxpool on distinct inputs, so no window's maximum
// changes within the step), hand-computed outputs and routing, torch modules. (Sizes a
// window does not divide are refused: test_rules.cpp.)
#include "test_support.hpp"
#include <hps/layers/pool3d.hpp>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {
template <class In, int P, int S, int B>
struct pool_case {
    using max_layer = typename maxpool3d<P, S>::template impl<In, B>;
    using avg_layer = typename avgpool3d<P, S>::template impl<In, B>;
    static constexpr int batch = B;
};
}  // namespace

TEST_CASE_TEMPLATE("pool3d: central-difference gradients", T, pool_case<shape<4, 4, 4, 1>, 2, 2, 2>,
                   pool_case<shape<6, 4, 6, 2>, 2, 2, 2>, pool_case<shape<5, 5, 5, 2>, 3, 2, 1>,
                   pool_case<shape<4, 5, 3, 3>, 2, 1, 2>) {
    hps_test::gradcheck_options opt;
    opt.make_input = hps_test::distinct_input;
    opt.max_coords = 160;
    check_layer_gradients<typename T::max_layer, T::batch>(61, opt);
    opt = {};
    opt.max_coords = 160;
    check_layer_gradients<typename T::avg_layer, T::batch>(62, opt);
}

TEST_CASE("pool3d: hand-computed outputs") {
    // 2x2x4x1, (d, h, w) order: d 0 = rows (1 2 9 3) (4 6 7 8), d 1 = (5 0 2 2) (3 -1 10 4)
    //   2x2x2 windows: w 0-1: max 6 (at (0,1,1) = index 5), mean (1+2+4+6+5+0+3-1)/8 = 2.5
    //                  w 2-3: max 10 (at (1,1,2) = index 14), mean (9+3+7+8+2+2+10+4)/8 = 5.625
    const float x[] = {1, 2, 9, 3, 4, 6, 7, 8, 5, 0, 2, 2, 3, -1, 10, 4};
    context ctx;
    bound_layer<maxpool3d<2>::impl<shape<2, 2, 4, 1>, 1>> mp;
    float y[2];
    mp.layer.forward(x, y, ctx);
    CHECK(y[0] == 6.0f);
    CHECK(y[1] == 10.0f);
    const float dy[] = {1.5f, -2.0f};
    float dx[16];
    mp.layer.backward(x, y, dy, dx, ctx);
    for (int i = 0; i < 16; ++i) CHECK(dx[i] == (i == 5 ? 1.5f : i == 14 ? -2.0f : 0.0f));

    bound_layer<avgpool3d<2>::impl<shape<2, 2, 4, 1>, 1>> ap;
    ap.layer.forward(x, y, ctx);
    CHECK(y[0] == 2.5f);
    CHECK(y[1] == 5.625f);
    ap.layer.backward(x, y, dy, dx, ctx);
    for (int i = 0; i < 16; ++i) CHECK(dx[i] == ((i % 4) < 2 ? 1.5f / 8 : -2.0f / 8));

    // ties: the first maximum in (d, h, w) order takes the gradient, as in torch
    const float tie[] = {7, 7, 7, 7, 7, 7, 7, 7};
    bound_layer<maxpool3d<2>::impl<shape<2, 2, 2, 1>, 1>> t;
    const float one[] = {1};
    t.layer.forward(tie, y, ctx);
    t.layer.backward(tie, y, one, dx, ctx);
    CHECK(std::vector<float>(dx, dx + 8) == std::vector<float>{1, 0, 0, 0, 0, 0, 0, 0});

    // overlapping windows (3, stride 1) on 4x3x3: a shared maximum collects from each window
    float big[36];
    for (int i = 0; i < 36; ++i) big[i] = float(i % 7);
    big[17] = 50;  // (1, 2, 2): in the windows starting at d 0 and d 1
    bound_layer<maxpool3d<3, 1>::impl<shape<4, 3, 3, 1>, 1>> ov;
    ov.layer.forward(big, y, ctx);
    CHECK(y[0] == 50.0f);
    CHECK(y[1] == 50.0f);
    const float ones[] = {1, 1};
    float dbig[36];
    ov.layer.backward(big, y, ones, dbig, ctx);
    CHECK(dbig[17] == 2.0f);
    CHECK(std::count(dbig, dbig + 36, 0.0f) == 35);
}

TEST_CASE("pool3d: channels pooled separately, sizes, torch modules") {
    using P = maxpool3d<2>::impl<shape<4, 4, 2, 2>, 1>;  // (4-2)/2+1 = 2, 2, (2-2)/2+1 = 1
    CHECK(std::is_same_v<P::out_shape, shape<2, 2, 1, 2>>);
    using A = avgpool3d<3, 2>::impl<shape<7, 9, 3, 1>, 1>;  // 3, 4, 1
    CHECK(std::is_same_v<A::out_shape, shape<3, 4, 1, 1>>);
    // channel 0 = +i, channel 1 = -i: the max of channel 1 is the first voxel of its window
    float x[4 * 4 * 2 * 2];
    for (int i = 0; i < 32; ++i) x[2 * i] = float(i), x[2 * i + 1] = -float(i);
    bound_layer<P> p;
    float y[8];
    context ctx;
    p.layer.forward(x, y, ctx);
    // window (0, 0, 0) covers voxels (d 0-1, h 0-1, w 0-1): max index (1*4 + 1)*2 + 1 = 11
    CHECK(y[0] == 11.0f);
    CHECK(y[1] == 0.0f);
    // window (1, 1, 0): d 2-3, h 2-3, w 0-1: max (3*4 + 3)*2 + 1 = 31, channel 1 first -((2*4 + 2)*2) = -20
    CHECK(y[6] == 31.0f);
    CHECK(y[7] == -20.0f);
    std::vector<std::string> m;
    P::torch_modules(m);
    A::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.MaxPool3d((2, 2, 2), stride=(2, 2, 2))",
                                        "nn.AvgPool3d((3, 3, 3), stride=(2, 2, 2))"});
}

TEST_CASE("pool3d: maxpool3d's backward over tiling windows, the zero-and-add's bits") {
    using hps_test::check_tiled_backward;
    check_tiled_backward<maxpool3d<2>::impl<shape<4, 6, 8, 19>, 2>, 2>(71);     // a packet of channels and a tail
    check_tiled_backward<maxpool3d<3>::impl<shape<6, 3, 9, 2>, 2>, 2>(72);      // channels in the tail only
    check_tiled_backward<maxpool3d<2>::impl<shape<16, 16, 16, 8>, 16>, 16>(73);  // shared among threads
}
