// conv2d<Filters, KH, KW, Padding, Act, SH, SW>: gradients over inputs 5x5x1 and 6x7x3 (and wider ones
// for the register tiles of conv_kernels.hpp),
// kernels 1, 3, 5 and uneven, same/valid, strides 1 and 2; hand-computed outputs;
// TensorFlow's SAME padding split and the torch modules it needs.
#include "test_support.hpp"

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {

template <class In, int F, int KH, int KW, class Pad, class Act, int SH, int SW, int B>
struct conv_case {
    using layer = typename conv2d<F, KH, KW, Pad, Act, SH, SW>::template impl<In, B>;
    static constexpr int batch = B;
    static constexpr bool kinked = hps_test::has_kink<Act>;
};

}  // namespace

TEST_CASE_TEMPLATE("conv2d: central-difference gradients", T,
                   conv_case<shape<5, 5, 1>, 2, 1, 1, valid, linear, 1, 1, 2>,
                   conv_case<shape<5, 5, 1>, 3, 3, 3, same, relu, 1, 1, 2>,
                   conv_case<shape<5, 5, 1>, 2, 3, 3, valid, softplus, 2, 2, 1>,
                   conv_case<shape<5, 5, 1>, 2, 5, 5, valid, hps::tanh, 1, 1, 3>,
                   conv_case<shape<5, 5, 1>, 2, 5, 5, same, sigmoid, 2, 2, 2>,
                   conv_case<shape<6, 7, 3>, 2, 1, 1, same, linear, 2, 2, 2>,
                   conv_case<shape<6, 7, 3>, 4, 3, 3, valid, elu, 2, 2, 2>,
                   conv_case<shape<6, 7, 3>, 4, 3, 3, same, selu, 2, 1, 2>,
                   conv_case<shape<6, 7, 3>, 3, 5, 5, same, linear, 1, 1, 1>,
                   conv_case<shape<6, 7, 3>, 3, 5, 5, valid, relu, 1, 1, 2>,
                   conv_case<shape<6, 7, 3>, 3, 2, 3, same, hps::tanh, 2, 2, 2>,
                   conv_case<shape<6, 7, 3>, 2, 4, 2, same, linear, 1, 2, 1>,
                   // wide enough for conv_kernels.hpp's larger register tiles on every
                   // target: several packets of filters (32), pixel tiles with a remainder
                   // (30 wide), filters that do not fill whole packets (24, 20)
                   conv_case<shape<7, 9, 16>, 32, 5, 5, same, hps::tanh, 1, 1, 2>,
                   conv_case<shape<10, 30, 3>, 24, 3, 3, same, linear, 1, 1, 1>,
                   conv_case<shape<11, 13, 6>, 20, 4, 3, valid, sigmoid, 2, 2, 2>) {
    hps_test::gradcheck_options opt;
    opt.guard_kinks = T::kinked;
    check_layer_gradients<typename T::layer, T::batch>(31, opt);
}

TEST_CASE("conv2d: output sizes and TensorFlow's SAME padding split") {
    using a = conv2d<1, 3, 3, same>::impl<shape<5, 5, 1>, 1>;  // 5x5, pad 1 each side
    CHECK(a::out_height == 5);
    CHECK(a::pad_top == 1);
    CHECK(a::pad_bottom == 1);
    using b = conv2d<1, 2, 2, same>::impl<shape<3, 3, 1>, 1>;  // even kernel: pad 0 top, 1 bottom
    CHECK(b::out_height == 3);
    CHECK(b::pad_top == 0);
    CHECK(b::pad_bottom == 1);
    using c = conv2d<1, 3, 3, same, linear, 2, 2>::impl<shape<6, 7, 1>, 1>;  // ceil(6/2) = 3: total 1 -> 0/1; ceil(7/2) = 4: total 2 -> 1/1
    CHECK(c::out_height == 3);
    CHECK(c::out_width == 4);
    CHECK(c::pad_top == 0);
    CHECK(c::pad_bottom == 1);
    CHECK(c::pad_left == 1);
    CHECK(c::pad_right == 1);
    using d = conv2d<1, 1, 1, same, linear, 2, 2>::impl<shape<6, 7, 1>, 1>;  // total < 0 -> no padding
    CHECK(d::pad_top + d::pad_bottom + d::pad_left + d::pad_right == 0);
    using e = conv2d<1, 5, 3, valid, linear, 2, 1>::impl<shape<8, 7, 1>, 1>;  // (8 - 5)/2 + 1 = 2 (floored)
    CHECK(e::out_height == 2);
    CHECK(e::out_width == 5);

    std::vector<std::string> m;
    a::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Conv2d(1, 1, (3, 3), stride=(1, 1), padding=(1, 1))"});
    m.clear();
    c::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.ZeroPad2d((1, 1, 0, 1))", "nn.Conv2d(1, 1, (3, 3), stride=(2, 2))"});
    CHECK(c::torch_param_module == 1);
    m.clear();
    conv2d<8, 5, 5, valid, relu>::impl<shape<28, 28, 1>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Conv2d(1, 8, (5, 5), stride=(1, 1))", "nn.ReLU()"});
}

TEST_CASE("conv2d: hand-computed outputs") {
    // x = 3x3x1 of 1..9 (row-major), a 2x2 kernel of ones, bias 0.5
    //   VALID: (1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9) + 0.5 = (12.5, 16.5, 24.5, 28.5)
    //   SAME stride 2: out 2x2, padding 0 top/left, 1 bottom/right:
    //     (1+2+4+5, 3+6, 7+8, 9) + 0.5 = (12.5, 9.5, 15.5, 9.5)
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    context ctx;
    {
        bound_layer<conv2d<1, 2, 2, valid>::impl<shape<3, 3, 1>, 1>> c;
        std::fill(c.params.begin(), c.params.end(), 1.0f);
        c.params[4] = 0.5f;
        float y[4];
        c.layer.forward(x, y, ctx);
        CHECK(y[0] == 12.5f);
        CHECK(y[1] == 16.5f);
        CHECK(y[2] == 24.5f);
        CHECK(y[3] == 28.5f);
    }
    {
        bound_layer<conv2d<1, 2, 2, same, linear, 2, 2>::impl<shape<3, 3, 1>, 1>> c;
        std::fill(c.params.begin(), c.params.end(), 1.0f);
        c.params[4] = 0.5f;
        float y[4];
        c.layer.forward(x, y, ctx);
        CHECK(y[0] == 12.5f);
        CHECK(y[1] == 9.5f);
        CHECK(y[2] == 15.5f);
        CHECK(y[3] == 9.5f);
    }
    {
        // two channels in, two filters out, 1x1 kernel on a 1x2 image; the weight is the
        // column-major (F, K) matrix, K = C here: filter 0 = (1, 10), filter 1 = (-1, 2)
        //   pixel (0,0) = (1, 2): f0 = 1 + 20 = 21, f1 = -1 + 4 = 3
        //   pixel (0,1) = (3, -1): f0 = 3 - 10 = -7, f1 = -3 - 2 = -5 -> relu 0, 0
        bound_layer<conv2d<2, 1, 1, valid, relu>::impl<shape<1, 2, 2>, 1>> c;
        const float w[] = {1, -1, 10, 2, 0, 0};
        std::copy(w, w + 6, c.params.begin());
        const float xi[] = {1, 2, 3, -1};
        float y[4];
        c.layer.forward(xi, y, ctx);
        CHECK(y[0] == 21.0f);
        CHECK(y[1] == 3.0f);
        CHECK(y[2] == 0.0f);
        CHECK(y[3] == 0.0f);
        // torch export (F, C, KH, KW)
        tensor_list tl;
        c.layer.export_params(tl, "0.");
        CHECK(tl.tensors[0].shape == std::vector<int>{2, 2, 1, 1});
        CHECK(tl.tensors[0].data == std::vector<float>{1, 10, -1, 2});
    }
}

TEST_CASE("conv2d: a batch is the same as its samples one at a time") {
    using L3 = conv2d<3, 3, 2, same, hps::tanh, 2, 1>::impl<shape<5, 6, 2>, 3>;
    using L1 = conv2d<3, 3, 2, same, hps::tanh, 2, 1>::impl<shape<5, 6, 2>, 1>;
    bound_layer<L3> big;
    bound_layer<L1> one;
    rng gen(9);
    big.layer.init(gen);
    std::copy(big.params.begin(), big.params.end(), one.params.begin());
    const auto x = hps_test::normal_vector(5 * 6 * 2 * 3, gen);
    std::vector<float> y3(L3::out_shape::size * 3), y1(L1::out_shape::size);
    context ctx;
    big.layer.forward(x.data(), y3.data(), ctx);
    for (int b = 0; b < 3; ++b) {
        one.layer.forward(x.data() + b * 60, y1.data(), ctx);
        for (int i = 0; i < L1::out_shape::size; ++i) CHECK(y3[std::size_t(b * L1::out_shape::size + i)] == doctest::Approx(y1[std::size_t(i)]));
    }
}
