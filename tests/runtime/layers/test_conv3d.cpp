// conv3d<Filters, K, Padding, Act, Stride>: gradients over several volumes, kernels 1, 2
// and 3, same/valid, strides 1 and 2 (asymmetric SAME padding included); output sizes and
// TensorFlow's SAME split per dimension; a hand-computed output; the torch modules.
#include "test_support.hpp"
#include <hps/layers/conv3d.hpp>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {

template <class In, int F, int K, class Pad, class Act, int S, int B>
struct conv_case {
    using layer = typename conv3d<F, K, Pad, Act, S>::template impl<In, B>;
    static constexpr int batch = B;
    static constexpr bool kinked = hps_test::has_kink<Act>;
};

}  // namespace

TEST_CASE_TEMPLATE("conv3d: central-difference gradients", T,
                   conv_case<shape<3, 3, 3, 1>, 2, 1, valid, linear, 1, 2>,
                   conv_case<shape<4, 4, 4, 1>, 2, 3, valid, hps::tanh, 1, 2>,
                   conv_case<shape<4, 3, 5, 2>, 3, 3, same, relu, 1, 2>,
                   conv_case<shape<5, 4, 3, 2>, 2, 2, same, sigmoid, 2, 1>,
                   conv_case<shape<5, 5, 4, 3>, 2, 3, valid, elu, 2, 2>,
                   conv_case<shape<3, 4, 5, 2>, 2, 3, same, softplus, 2, 2>) {
    hps_test::gradcheck_options opt;
    opt.guard_kinks = T::kinked;
    opt.max_coords = 120;
    check_layer_gradients<typename T::layer, T::batch>(51, opt);
}

TEST_CASE("conv3d: output sizes and TensorFlow's SAME padding split") {
    using a = conv3d<1, 3, same>::impl<shape<5, 4, 3, 1>, 1>;  // pad 1 each side in every dimension
    CHECK(a::out_depth == 5);
    CHECK(a::out_height == 4);
    CHECK(a::out_width == 3);
    CHECK(a::pad_front + a::pad_back + a::pad_top + a::pad_bottom + a::pad_left + a::pad_right == 6);
    CHECK(a::symmetric_padding);
    using b = conv3d<1, 2, same, linear, 2>::impl<shape<5, 4, 3, 1>, 1>;
    // ceil(5/2) = 3: total (3-1)*2+2-5 = 1 -> 0/1; ceil(4/2) = 2: total 0; ceil(3/2) = 2: total 1 -> 0/1
    CHECK(b::out_depth == 3);
    CHECK(b::out_height == 2);
    CHECK(b::out_width == 2);
    CHECK(b::pad_front == 0);
    CHECK(b::pad_back == 1);
    CHECK(b::pad_top + b::pad_bottom == 0);
    CHECK(b::pad_right == 1);
    CHECK(!b::symmetric_padding);
    using c = conv3d<4, 3, valid, relu, 2>::impl<shape<8, 7, 6, 2>, 1>;  // (8-3)/2+1 = 3, (7-3)/2+1 = 3, (6-3)/2+1 = 2
    CHECK(c::out_depth == 3);
    CHECK(c::out_height == 3);
    CHECK(c::out_width == 2);
    CHECK(std::is_same_v<c::out_shape, shape<3, 3, 2, 4>>);
    CHECK(c::num_params == 4 * 27 * 2 + 4);
    CHECK(c::num_weights == 4 * 27 * 2);

    std::vector<std::string> m;
    a::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Conv3d(1, 1, (3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))"});
    CHECK(a::torch_param_module == 0);
    m.clear();
    b::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.ConstantPad3d((0, 1, 0, 0, 0, 1), 0.0)",
                                        "nn.Conv3d(1, 1, (2, 2, 2), stride=(2, 2, 2))"});
    CHECK(b::torch_param_module == 1);
    m.clear();
    c::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Conv3d(2, 4, (3, 3, 3), stride=(2, 2, 2))", "nn.ReLU()"});
}

TEST_CASE("conv3d: hand-computed outputs") {
    // x = 2x2x2x1 of 1..8 in (d, h, w) order, one 2x2x2 filter
    //   VALID, kernel of ones, bias 0.5: one output, 1+...+8 + 0.5 = 36.5
    //   SAME (pad 0 front/top/left, 1 back/bottom/right): output (d, h, w) sums the voxels
    //   at >= (d, h, w): (0,0,0) 36, (0,0,1) 2+4+6+8 = 20, (1,1,1) 8, plus 0.5 each
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
    context ctx;
    {
        bound_layer<conv3d<1, 2, valid>::impl<shape<2, 2, 2, 1>, 1>> l;
        std::fill(l.params.begin(), l.params.end() - 1, 1.0f);
        l.params.back() = 0.5f;
        float y[1];
        l.layer.forward(x, y, ctx);
        CHECK(y[0] == 36.5f);
        // dx = dy * W: every input gets dy once
        const float dy[] = {2};
        float dx[8];
        l.layer.backward(x, y, dy, dx, ctx);
        for (float v : dx) CHECK(v == 2.0f);
        CHECK(l.grads[0] == 2.0f);   // dW(kd=0,kh=0,kw=0) = dy * x(0,0,0)
        CHECK(l.grads[7] == 16.0f);  // dW(1,1,1) = dy * x(1,1,1)
        CHECK(l.grads[8] == 2.0f);   // db
    }
    {
        bound_layer<conv3d<1, 2, same>::impl<shape<2, 2, 2, 1>, 1>> l;
        std::fill(l.params.begin(), l.params.end() - 1, 1.0f);
        l.params.back() = 0.5f;
        float y[8];
        l.layer.forward(x, y, ctx);
        CHECK(y[0] == 36.5f);
        CHECK(y[1] == 20.5f);  // w >= 1: 2, 4, 6, 8
        CHECK(y[2] == 22.5f);  // h >= 1: 3, 4, 7, 8
        CHECK(y[3] == 12.5f);  // h, w >= 1: 4, 8
        CHECK(y[4] == 26.5f);  // d >= 1: 5, 6, 7, 8
        CHECK(y[5] == 14.5f);  // d, w >= 1: 6, 8
        CHECK(y[6] == 15.5f);  // d, h >= 1: 7, 8
        CHECK(y[7] == 8.5f);
    }
    {
        // two channels, a filter that takes channel 1 only at kernel offset (1, 0, 1), two filters
        // (the second its negative), relu: y = max(+-x_c1(d+1, h, w+1), 0) on a 3x2x3 input, VALID 2
        float xv[3 * 2 * 3 * 2];
        for (int i = 0; i < 18; ++i) xv[2 * i] = 100.0f, xv[2 * i + 1] = float(i);
        bound_layer<conv3d<2, 2, valid, relu>::impl<shape<3, 2, 3, 2>, 1>> l;
        std::fill(l.params.begin(), l.params.end(), 0.0f);
        const int k = ((1 * 2 + 0) * 2 + 1) * 2 + 1;  // row of (kd 1, kh 0, kw 1, c 1)
        l.params[std::size_t(k) * 2 + 0] = 1.0f;
        l.params[std::size_t(k) * 2 + 1] = -1.0f;
        float y[2 * 1 * 2 * 2];
        l.layer.forward(xv, y, ctx);
        // output (od, 0, ow): voxel (od+1, 0, ow+1), flat index (od+1)*6 + ow + 1
        CHECK(y[0] == 7.0f);   // od 0, ow 0, filter 0
        CHECK(y[1] == 0.0f);   // filter 1: relu(-7)
        CHECK(y[2] == 8.0f);   // od 0, ow 1
        CHECK(y[4] == 13.0f);  // od 1, ow 0
        CHECK(y[6] == 14.0f);
    }
}

TEST_CASE("conv3d: export is torch's (F, C, KD, KH, KW)") {
    using L = conv3d<2, 2, valid>::impl<shape<3, 3, 3, 3>, 1>;
    bound_layer<L> l;
    for (std::size_t i = 0; i < L::num_params; ++i) l.params[i] = float(i);
    tensor_list t;
    l.layer.export_params(t, "0.");
    REQUIRE(t.tensors.size() == 2);
    CHECK(t.tensors[0].name == "0.weight");
    CHECK(t.tensors[0].shape == std::vector<int>{2, 3, 2, 2, 2});
    // torch (f, c, kd, kh, kw) = ours: row ((kd*2 + kh)*2 + kw)*3 + c, column f of the (F, K) matrix
    for (int f = 0; f < 2; ++f)
        for (int c = 0; c < 3; ++c)
            for (int kd = 0; kd < 2; ++kd)
                for (int kh = 0; kh < 2; ++kh)
                    for (int kw = 0; kw < 2; ++kw) {
                        const int row = ((kd * 2 + kh) * 2 + kw) * 3 + c;
                        CHECK(t.tensors[0].data[std::size_t((((f * 3 + c) * 2 + kd) * 2 + kh) * 2 + kw)] ==
                              float(row * 2 + f));
                    }
    CHECK(t.tensors[1].shape == std::vector<int>{2});
    CHECK(t.tensors[1].data == std::vector<float>{48.0f, 49.0f});
}
