// conv1d<Filters, Kernel, Padding, Act, Stride>: gradients over sequences 7x1 and 9x3,
// kernels 1 to 5, same/valid, strides 1 to 3; hand-computed outputs; TensorFlow's SAME
// split, the torch modules it needs and the (F, C, K) export.
#include "test_support.hpp"

#include <hps/layers/conv1d.hpp>

using namespace hps;
using hps_test::bound_layer;
using hps_test::check_layer_gradients;

namespace {

template <class In, int F, int K, class Pad, class Act, int S, int B>
struct conv_case {
    using layer = typename conv1d<F, K, Pad, Act, S>::template impl<In, B>;
    static constexpr int batch = B;
    static constexpr bool kinked = hps_test::has_kink<Act>;
};

}  // namespace

TEST_CASE_TEMPLATE("conv1d: central-difference gradients", T, conv_case<shape<7, 1>, 2, 1, valid, linear, 1, 2>,
                   conv_case<shape<7, 1>, 3, 3, same, relu, 1, 2>, conv_case<shape<7, 1>, 2, 3, valid, softplus, 2, 1>,
                   conv_case<shape<7, 1>, 2, 5, same, sigmoid, 2, 3>, conv_case<shape<9, 3>, 4, 2, same, hps::tanh, 1, 2>,
                   conv_case<shape<9, 3>, 3, 4, same, elu, 3, 2>, conv_case<shape<9, 3>, 2, 5, valid, selu, 2, 1>,
                   conv_case<shape<9, 3>, 3, 9, valid, linear, 1, 2>) {
    hps_test::gradcheck_options opt;
    opt.guard_kinks = T::kinked;
    check_layer_gradients<typename T::layer, T::batch>(61, opt);
}

TEST_CASE("conv1d: output sizes and TensorFlow's SAME padding split") {
    using a = conv1d<1, 3, same>::impl<shape<5, 1>, 1>;  // pad 1 each side
    CHECK(a::out_length == 5);
    CHECK(a::pad_left == 1);
    CHECK(a::pad_right == 1);
    using b = conv1d<1, 2, same>::impl<shape<5, 1>, 1>;  // even kernel: 0 left, 1 right
    CHECK(b::out_length == 5);
    CHECK(b::pad_left == 0);
    CHECK(b::pad_right == 1);
    using c = conv1d<1, 3, same, linear, 2>::impl<shape<6, 1>, 1>;  // ceil(6/2) = 3: total 1 -> 0/1
    CHECK(c::out_length == 3);
    CHECK(c::pad_left == 0);
    CHECK(c::pad_right == 1);
    using d = conv1d<1, 5, valid, linear, 2>::impl<shape<10, 2>, 1>;  // (10 - 5)/2 + 1 = 3 (floored)
    CHECK(d::out_length == 3);
    static_assert(std::is_same_v<d::out_shape, shape<3, 1>>);
    CHECK(d::num_params == 5 * 2 * 1 + 1);

    std::vector<std::string> m;
    a::torch_modules(m);
    c::torch_modules(m);
    conv1d<8, 5, valid, relu, 1>::impl<shape<1024, 1>, 1>::torch_modules(m);
    CHECK(m == std::vector<std::string>{"nn.Conv1d(1, 1, 3, stride=1, padding=1)", "nn.ConstantPad1d((0, 1), 0.0)",
                                        "nn.Conv1d(1, 1, 3, stride=2)", "nn.Conv1d(1, 8, 5, stride=1)", "nn.ReLU()"});
    CHECK(a::torch_param_module == 0);
    CHECK(c::torch_param_module == 1);
}

TEST_CASE("conv1d: hand-computed outputs") {
    // x = 1..5 (one channel), kernel (1, 2, 3), bias 0.5
    //   VALID: 1+4+9, 2+6+12, 3+8+15 = (14, 20, 26) + 0.5
    //   SAME stride 2: out 3, pad 1/1: (0+2+6, 2+6+12, 4+10+0) + 0.5 = (8.5, 20.5, 14.5)
    const float x[] = {1, 2, 3, 4, 5};
    const float w[] = {1, 2, 3, 0.5f};
    context ctx;
    {
        bound_layer<conv1d<1, 3, valid>::impl<shape<5, 1>, 1>> c;
        std::copy(w, w + 4, c.params.begin());
        float y[3];
        c.layer.forward(x, y, ctx);
        CHECK(std::vector<float>(y, y + 3) == std::vector<float>{14.5f, 20.5f, 26.5f});
        // backward: dx = sum of w over the windows each input lies in (dy = 1)
        const float ones[] = {1, 1, 1};
        float dx[5];
        c.layer.backward(x, y, ones, dx, ctx);
        CHECK(std::vector<float>(dx, dx + 5) == std::vector<float>{1, 3, 6, 5, 3});
        CHECK(c.grads[0] == 6.0f);  // dW_0 = x0 + x1 + x2
        CHECK(c.grads[3] == 3.0f);  // db = 3 outputs
    }
    {
        bound_layer<conv1d<1, 3, same, linear, 2>::impl<shape<5, 1>, 1>> c;
        std::copy(w, w + 4, c.params.begin());
        float y[3];
        c.layer.forward(x, y, ctx);
        CHECK(std::vector<float>(y, y + 3) == std::vector<float>{8.5f, 20.5f, 14.5f});
    }
    {
        // two channels in, two filters, kernel 1 on 2 steps: the weight is the column-major
        // (F, K*C) matrix: filter 0 = (1, 10), filter 1 = (-1, 2)
        //   step 0 = (1, 2): 21, 3;  step 1 = (3, -1): -7, -5 -> relu 0, 0
        bound_layer<conv1d<2, 1, valid, relu>::impl<shape<2, 2>, 1>> c;
        const float wc[] = {1, -1, 10, 2, 0, 0};
        std::copy(wc, wc + 6, c.params.begin());
        const float xi[] = {1, 2, 3, -1};
        float y[4];
        c.layer.forward(xi, y, ctx);
        CHECK(std::vector<float>(y, y + 4) == std::vector<float>{21, 3, 0, 0});
        tensor_list tl;
        c.layer.export_params(tl, "0.");
        CHECK(tl.tensors[0].shape == std::vector<int>{2, 2, 1});
        CHECK(tl.tensors[0].data == std::vector<float>{1, 10, -1, 2});
    }
    {
        // export order with K > 1, C > 1: torch (F, C, K) from ours (F, K*C), k = kk*C + c
        bound_layer<conv1d<1, 2, valid>::impl<shape<3, 2>, 1>> c;
        for (std::size_t i = 0; i < c.params.size(); ++i) c.params[i] = float(i);  // W(0, kk*2 + c) = kk*2 + c
        tensor_list tl;
        c.layer.export_params(tl, "");
        CHECK(tl.tensors[0].shape == std::vector<int>{1, 2, 2});
        CHECK(tl.tensors[0].data == std::vector<float>{0, 2, 1, 3});  // (c0: kk0, kk1), (c1: kk0, kk1)
    }
}
