// maxpool2d and avgpool2d: gradients (maxpool on distinct inputs, so no window's maximum
// changes within the step), hand-computed outputs, sizes (those a window does not divide
// are refused: test_rules.cpp).
#include "test_support.hpp"

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {
template <class In, int PH, int PW, int SH, int SW, int B>
struct pool_case {
    using max_layer = typename maxpool2d<PH, PW, SH, SW>::template impl<In, B>;
    using avg_layer = typename avgpool2d<PH, PW, SH, SW>::template impl<In, B>;
    static constexpr int batch = B;
};
}  // namespace

TEST_CASE_TEMPLATE("pool: central-difference gradients", T, pool_case<shape<4, 4, 1>, 2, 2, 2, 2, 2>,
                   pool_case<shape<6, 6, 2>, 2, 2, 2, 2, 3>, pool_case<shape<7, 7, 3>, 3, 3, 2, 2, 2>,
                   pool_case<shape<6, 6, 1>, 3, 3, 3, 3, 1>, pool_case<shape<5, 6, 2>, 3, 3, 1, 1, 2>,
                   pool_case<shape<5, 7, 2>, 2, 3, 1, 2, 2>) {
    hps_test::gradcheck_options opt;
    opt.make_input = hps_test::distinct_input;
    check_layer_gradients<typename T::max_layer, T::batch>(41, opt);
    check_layer_gradients<typename T::avg_layer, T::batch>(42, {});
}

TEST_CASE("pool: hand-computed outputs") {
    // 4x4x1:   1  2  5  3        max 2x2: (6, 8, 14, 16)   avg 2x2: (13, 23, 45, 55)/4
    //          4  6  7  8
    //          9 10 13 11
    //         14 12 15 16
    const float x[] = {1, 2, 5, 3, 4, 6, 7, 8, 9, 10, 13, 11, 14, 12, 15, 16};
    context ctx;
    bound_layer<maxpool2d<2>::impl<shape<4, 4, 1>, 1>> mp;
    float y[4];
    mp.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{6, 8, 14, 16});
    // backward routes dy to the argmax: positions 5, 7, 12, 15
    const float dy[] = {1, 2, 3, 4};
    float dx[16];
    mp.layer.backward(x, y, dy, dx, ctx);
    for (int i = 0; i < 16; ++i) {
        const float expected = i == 5 ? 1 : i == 7 ? 2 : i == 12 ? 3 : i == 15 ? 4 : 0;
        CHECK(dx[i] == expected);
    }
    bound_layer<avgpool2d<2>::impl<shape<4, 4, 1>, 1>> ap;
    ap.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{3.25f, 5.75f, 11.25f, 13.75f});
    ap.layer.backward(x, y, dy, dx, ctx);
    CHECK(dx[0] == 0.25f);
    CHECK(dx[15] == 1.0f);

    // 3x3 window, stride 1 on 4x4: overlapping windows; a shared maximum collects from all
    //   windows: 13 is the max of the two lower-left windows? no: max of rows 0-2 is 13 (cols
    //   1-3 and cols 0-2 both contain 13 at (2, 2)); rows 1-3: 15 (cols 1-3 and 0-2), 16 (cols 1-3)
    bound_layer<maxpool2d<3, 3, 1, 1>::impl<shape<4, 4, 1>, 1>> ov;
    ov.layer.forward(x, y, ctx);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{13, 13, 15, 16});
    const float ones[] = {1, 1, 1, 1};
    ov.layer.backward(x, y, ones, dx, ctx);
    CHECK(dx[10] == 2.0f);  // 13 at (2, 2) wins two windows
    CHECK(dx[14] == 1.0f);
    CHECK(dx[15] == 1.0f);

    // ties: the first maximum in the window (row-major) takes the gradient, as in torch
    const float tie[] = {7, 7, 7, 7};
    bound_layer<maxpool2d<2>::impl<shape<2, 2, 1>, 1>> t;
    t.layer.forward(tie, y, ctx);
    t.layer.backward(tie, y, ones, dx, ctx);
    CHECK(std::vector<float>(dx, dx + 4) == std::vector<float>{1, 0, 0, 0});
}

TEST_CASE("pool: channels are pooled separately; sizes") {
    using P = maxpool2d<3, 3, 2, 2>::impl<shape<5, 5, 2>, 1>;  // (5-3)/2+1 = 2
    CHECK(P::out_height == 2);
    CHECK(P::out_width == 2);
    using Q = maxpool2d<3, 3, 2, 2>::impl<shape<7, 9, 1>, 1>;  // (7-3)/2+1 = 3, (9-3)/2+1 = 4
    CHECK(Q::out_height == 3);
    CHECK(Q::out_width == 4);
    // channel 0 = +i, channel 1 = -i: the max of channel 1 is its first pixel
    float x[50];
    for (int i = 0; i < 25; ++i) x[2 * i] = float(i), x[2 * i + 1] = -float(i);
    bound_layer<P> p;
    float y[8];
    context ctx;
    p.layer.forward(x, y, ctx);
    CHECK(y[0] == 12.0f);  // window (0, 0): pixel (2, 2) of channel 0
    CHECK(y[1] == 0.0f);   // (0, 0) of channel 1
    CHECK(y[6] == 24.0f);  // window (1, 1): pixel (4, 4) = 24
    CHECK(y[7] == -12.0f); // its first pixel (2, 2) of channel 1
    std::vector<std::string> m;
    Q::torch_modules(m);
    avgpool2d<2, 3, 1, 2>::impl<shape<4, 5, 1>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.MaxPool2d((3, 3), stride=(2, 2))", "nn.AvgPool2d((2, 3), stride=(1, 2))"});
}

TEST_CASE("pool: maxpool2d's backward over tiling windows, the zero-and-add's bits") {
    using hps_test::check_tiled_backward;
    check_tiled_backward<maxpool2d<2>::impl<shape<6, 8, 19>, 3>, 3>(51);     // a packet of channels and a tail
    check_tiled_backward<maxpool2d<3>::impl<shape<6, 9, 5>, 2>, 2>(52);      // 3 x 3, channels in the tail only
    check_tiled_backward<maxpool2d<2>::impl<shape<28, 28, 16>, 32>, 32>(53);  // shared among threads
}
