// The layers' shape rules (hps/rules.hpp, each rule in its layer's header) against
// hand-computed cases, every fault included, and the layer templates against their rules:
// out_shape and num_params come from the rule, for a handful of concrete layers.
#include "test_support.hpp"

#include <hps/layers/batchnorm.hpp>
#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>
#include <hps/layers/globalavgpool.hpp>
#include <hps/layers/lstm.hpp>
#include <hps/layers/pool1d.hpp>
#include <hps/layers/pool3d.hpp>

using namespace hps;
using rules::dims;
using rules::fault;
using rules::make;
using rules::outcome;

namespace {
constexpr bool gives(outcome o, dims out, std::size_t params) { return o.ok() && o.out == out && o.params == params; }
constexpr bool refuses(outcome o, fault why, int dim = -1) {
    return o.why == why && o.dim == dim && o.out == dims{} && o.params == 0;
}
}  // namespace

TEST_CASE("rules: dims") {
    constexpr dims image = make(28, 27, 3);
    static_assert(image.rank == 3 && image[0] == 28 && image[1] == 27 && image[2] == 3);
    static_assert(image.channels() == 3 && image.size() == 28 * 27 * 3);
    static_assert(make(7).channels() == 7 && dims{}.size() == 0 && dims{}.channels() == 0);
    static_assert(make(65536, 65536).size() == 4294967296LL);  // past int, in long long
    static_assert(dims_of<shape<4, 5, 6, 2>>() == make(4, 5, 6, 2));
    static_assert(dims_of<flat_shape<shape<2, 3>>>() == make(6));
    static_assert(std::is_same_v<shape_from<make(3, 4, 5)>, shape<3, 4, 5>>);
    static_assert(std::is_same_v<shape_from<dims{}>, shape<1>>);  // a refused outcome's
    CHECK(std::string(rules::describe(fault::window_does_not_divide)) == "window does not divide the input");
}

TEST_CASE("rules: conv") {
    // conv2d, valid: (28 - 5)/1 + 1 = 24; params 5*5*1*8 + 8
    static_assert(gives(rules::conv(make(28, 28, 1), 2, 8, {5, 5, 1}, {1, 1, 1}, false), make(24, 24, 8), 208));
    // same: ceil(28/1); the kernel does not matter
    static_assert(gives(rules::conv(make(28, 28, 1), 2, 8, {5, 5, 1}, {1, 1, 1}, true), make(28, 28, 8), 208));
    // strides, odd sizes, per-dimension kernels: valid (7 - 3)/2 + 1 = 3, (8 - 2)/3 + 1 = 3
    // (floored: conv does not refuse positions no window reaches); same ceil(7/2), ceil(8/3)
    static_assert(gives(rules::conv(make(7, 8, 3), 2, 4, {3, 2, 1}, {2, 3, 1}, false), make(3, 3, 4), 3 * 2 * 3 * 4 + 4));
    static_assert(gives(rules::conv(make(7, 8, 3), 2, 4, {3, 2, 1}, {2, 3, 1}, true), make(4, 3, 4), 76));
    // same with a kernel larger than the input
    static_assert(gives(rules::conv(make(2, 2, 1), 2, 1, {5, 5, 1}, {1, 1, 1}, true), make(2, 2, 1), 26));
    // conv1d: (10 - 5)/2 + 1 = 3; params 5*2*6 + 6
    static_assert(gives(rules::conv(make(10, 2), 1, 6, {5, 1, 1}, {2, 1, 1}, false), make(3, 6), 66));
    static_assert(gives(rules::conv(make(10, 2), 1, 6, {5, 1, 1}, {2, 1, 1}, true), make(5, 6), 66));
    // conv3d: (9 - 3)/2 + 1 = 4, (8 - 3)/2 + 1 = 3, (5 - 3)/2 + 1 = 2; params 27*2*4 + 4
    static_assert(gives(rules::conv(make(9, 8, 5, 2), 3, 4, {3, 3, 3}, {2, 2, 2}, false), make(4, 3, 2, 4), 220));
    static_assert(gives(rules::conv(make(9, 8, 5, 2), 3, 4, {3, 3, 3}, {2, 2, 2}, true), make(5, 4, 3, 4), 220));
    // a kernel as large as the input fits: one output
    static_assert(gives(rules::conv(make(5, 3, 1), 2, 1, {5, 3, 1}, {1, 1, 1}, false), make(1, 1, 1), 16));
    // faults: the kernel too tall, too wide, too deep (the first dimension at fault)
    static_assert(refuses(rules::conv(make(4, 9, 1), 2, 1, {5, 3, 1}, {1, 1, 1}, false), fault::kernel_too_large, 0));
    static_assert(refuses(rules::conv(make(5, 3, 1), 2, 4, {3, 5, 1}, {1, 1, 1}, false), fault::kernel_too_large, 1));
    static_assert(refuses(rules::conv(make(9, 9, 2, 1), 3, 4, {3, 3, 3}, {1, 1, 1}, false), fault::kernel_too_large, 2));
    static_assert(refuses(rules::conv(make(4, 2), 1, 1, {5, 1, 1}, {1, 1, 1}, false), fault::kernel_too_large, 0));
    // wrong ranks: conv2d on a sequence, conv1d on an image, conv3d on an image, a vector
    static_assert(refuses(rules::conv(make(28, 28), 2, 4, {3, 3, 1}, {1, 1, 1}, true), fault::wrong_rank));
    static_assert(refuses(rules::conv(make(28, 28, 1), 1, 4, {3, 1, 1}, {1, 1, 1}, false), fault::wrong_rank));
    static_assert(refuses(rules::conv(make(8, 8, 1), 3, 4, {3, 3, 3}, {1, 1, 1}, false), fault::wrong_rank));
    static_assert(refuses(rules::conv(make(100), 1, 4, {3, 1, 1}, {1, 1, 1}, false), fault::wrong_rank));
    // large parameter counts are counted in size_t (the second past 2^32)
    static_assert(rules::conv(make(7, 7, 4096), 2, 4096, {7, 7, 1}, {1, 1, 1}, false).params == 49ULL * 4096 * 4096 + 4096);
    static_assert(rules::conv(make(9, 9, 65536), 2, 65536, {9, 9, 1}, {1, 1, 1}, false).params ==
                  81ULL * 65536 * 65536 + 65536);
}

TEST_CASE("rules: pool") {
    // 2 x 2 windows, stride 2; channels kept, no params
    static_assert(gives(rules::pool(make(28, 28, 6), 2, {2, 2, 1}, {2, 2, 1}), make(14, 14, 6), 0));
    // overlapping: 3 x 3, stride 2 on 7 x 9: (7 - 3)/2 + 1 = 3, (9 - 3)/2 + 1 = 4
    static_assert(gives(rules::pool(make(7, 9, 2), 2, {3, 3, 1}, {2, 2, 1}), make(3, 4, 2), 0));
    // stride 1 always divides; a window as large as the input gives one output
    static_assert(gives(rules::pool(make(5, 4, 1), 2, {3, 3, 1}, {1, 1, 1}), make(3, 2, 1), 0));
    static_assert(gives(rules::pool(make(5, 4, 1), 2, {5, 4, 1}, {3, 3, 1}), make(1, 1, 1), 0));
    // 1-D and 3-D
    static_assert(gives(rules::pool(make(9, 3), 1, {3, 1, 1}, {2, 1, 1}), make(4, 3), 0));
    static_assert(gives(rules::pool(make(8, 6, 4, 2), 3, {2, 2, 2}, {2, 2, 2}), make(4, 3, 2, 2), 0));
    // the window does not divide: 5 x 5 by 2 x 2 (stride 2) would lose the last row and
    // column (the runtime floored these until the rule; the checker always refused them)
    static_assert(refuses(rules::pool(make(5, 5, 1), 2, {2, 2, 1}, {2, 2, 1}), fault::window_does_not_divide, 0));
    static_assert(refuses(rules::pool(make(4, 5, 1), 2, {2, 2, 1}, {2, 2, 1}), fault::window_does_not_divide, 1));
    static_assert(refuses(rules::pool(make(7, 8, 1), 2, {3, 3, 1}, {2, 2, 1}), fault::window_does_not_divide, 1));
    static_assert(refuses(rules::pool(make(7, 2), 1, {2, 1, 1}, {2, 1, 1}), fault::window_does_not_divide, 0));
    static_assert(refuses(rules::pool(make(4, 4, 5, 1), 3, {2, 2, 2}, {2, 2, 2}), fault::window_does_not_divide, 2));
    // the window too large: in the height, the width, the depth's third dimension
    static_assert(refuses(rules::pool(make(2, 8, 1), 2, {3, 3, 1}, {3, 3, 1}), fault::window_too_large, 0));
    static_assert(refuses(rules::pool(make(8, 2, 1), 2, {3, 3, 1}, {3, 3, 1}), fault::window_too_large, 1));
    static_assert(refuses(rules::pool(make(4, 4, 1, 1), 3, {2, 2, 2}, {2, 2, 2}), fault::window_too_large, 2));
    // too large comes before does-not-divide, whatever the dimensions' order
    static_assert(refuses(rules::pool(make(5, 2, 1), 2, {3, 3, 1}, {2, 2, 1}), fault::window_too_large, 1));
    // wrong ranks
    static_assert(refuses(rules::pool(make(28, 28), 2, {2, 2, 1}, {2, 2, 1}), fault::wrong_rank));
    static_assert(refuses(rules::pool(make(28, 28, 1), 1, {2, 1, 1}, {2, 1, 1}), fault::wrong_rank));
    static_assert(refuses(rules::pool(make(8, 8, 8), 3, {2, 2, 2}, {2, 2, 2}), fault::wrong_rank));
}

TEST_CASE("rules: dense, lstm, batchnorm, flatten, globalavgpool, dropout") {
    // dense: N*U + U
    static_assert(gives(rules::dense(make(784), 10), make(10), 7850));
    static_assert(gives(rules::dense(make(1), 1), make(1), 2));
    static_assert(rules::dense(make(1 << 20), 1 << 16).params == (1ULL << 36) + (1 << 16));
    static_assert(refuses(rules::dense(make(4, 4, 1), 10), fault::wrong_rank));
    // lstm: 4U(F + U) + 8U; the last step (U) or every step (T, U)
    static_assert(gives(rules::lstm(make(15, 1), 128, false), make(128), 4 * 128 * (1 + 128) + 8 * 128));
    static_assert(gives(rules::lstm(make(15, 3), 8, true), make(15, 8), 4 * 8 * 11 + 64));
    static_assert(refuses(rules::lstm(make(15), 8, false), fault::wrong_rank));
    static_assert(refuses(rules::lstm(make(4, 4, 1), 8, true), fault::wrong_rank));
    // batchnorm: the shape kept; 2 per channel (per feature when flat)
    static_assert(gives(rules::batchnorm(make(10, 10, 16)), make(10, 10, 16), 32));
    static_assert(gives(rules::batchnorm(make(120)), make(120), 240));
    static_assert(gives(rules::batchnorm(make(4, 4, 4, 3)), make(4, 4, 4, 3), 6));
    static_assert(refuses(rules::batchnorm(dims{}), fault::wrong_rank));
    // flatten: the size, at most 2^31 - 1
    static_assert(gives(rules::flatten(make(7, 7, 64)), make(3136), 0));
    static_assert(gives(rules::flatten(make(5)), make(5), 0));
    static_assert(gives(rules::flatten(make(2147483647)), make(2147483647), 0));
    static_assert(refuses(rules::flatten(make(65536, 32768)), fault::too_large));
    static_assert(refuses(rules::flatten(make(1024, 1024, 1024, 2)), fault::too_large));
    static_assert(refuses(rules::flatten(dims{}), fault::wrong_rank));
    // globalavgpool: rank 2 to 4, to (C)
    static_assert(gives(rules::globalavgpool(make(15, 4)), make(4), 0));
    static_assert(gives(rules::globalavgpool(make(7, 7, 32)), make(32), 0));
    static_assert(gives(rules::globalavgpool(make(2, 3, 4, 5)), make(5), 0));
    static_assert(refuses(rules::globalavgpool(make(10)), fault::wrong_rank));
    // dropout: the shape kept
    static_assert(gives(rules::dropout(make(3, 4, 5)), make(3, 4, 5), 0));
    static_assert(refuses(rules::dropout(dims{}), fault::wrong_rank));
}

namespace {
// a layer's out_shape and num_params are its rule's outcome
template <class L>
constexpr bool follows(outcome o) {
    return o.ok() && dims_of<typename L::out_shape>() == o.out && L::num_params == o.params;
}
}  // namespace

TEST_CASE("rules: the layer templates take their shapes and parameter counts from the rules") {
    static_assert(follows<conv2d<8, 5, 5, same, relu>::impl<shape<28, 28, 1>, 4>>(
        rules::conv(make(28, 28, 1), 2, 8, {5, 5, 1}, {1, 1, 1}, true)));
    static_assert(follows<conv2d<4, 3, 2, valid, linear, 2, 3>::impl<shape<7, 8, 3>, 2>>(
        rules::conv(make(7, 8, 3), 2, 4, {3, 2, 1}, {2, 3, 1}, false)));
    using c2 = conv2d<4, 3, 2, valid, linear, 2, 3>::impl<shape<7, 8, 3>, 2>;
    static_assert(std::is_same_v<c2::out_shape, shape<3, 3, 4>> && c2::num_params == 76);
    static_assert(c2::out_height == 3 && c2::out_width == 3);  // the engine's sizes, the same rule's
    static_assert(follows<conv1d<6, 5, valid, relu, 2>::impl<shape<10, 2>, 3>>(
        rules::conv(make(10, 2), 1, 6, {5, 1, 1}, {2, 1, 1}, false)));
    static_assert(follows<conv3d<4, 3, same, relu, 2>::impl<shape<9, 8, 5, 2>, 2>>(
        rules::conv(make(9, 8, 5, 2), 3, 4, {3, 3, 3}, {2, 2, 2}, true)));
    static_assert(follows<maxpool2d<3, 3, 2, 2>::impl<shape<7, 9, 2>, 2>>(rules::pool(make(7, 9, 2), 2, {3, 3, 1}, {2, 2, 1})));
    static_assert(follows<avgpool2d<2>::impl<shape<28, 28, 6>, 2>>(rules::pool(make(28, 28, 6), 2, {2, 2, 1}, {2, 2, 1})));
    static_assert(follows<maxpool1d<3, 2>::impl<shape<9, 3>, 2>>(rules::pool(make(9, 3), 1, {3, 1, 1}, {2, 1, 1})));
    static_assert(follows<avgpool1d<2>::impl<shape<8, 1>, 2>>(rules::pool(make(8, 1), 1, {2, 1, 1}, {2, 1, 1})));
    static_assert(follows<maxpool3d<2>::impl<shape<8, 6, 4, 2>, 2>>(rules::pool(make(8, 6, 4, 2), 3, {2, 2, 2}, {2, 2, 2})));
    static_assert(follows<avgpool3d<3, 2>::impl<shape<7, 9, 3, 1>, 2>>(rules::pool(make(7, 9, 3, 1), 3, {3, 3, 3}, {2, 2, 2})));
    static_assert(follows<dense<10, relu>::impl<shape<7, 7, 64>, 4>>(rules::dense(make(3136), 10)));
    static_assert(follows<lstm<8, true>::impl<shape<15, 3>, 2>>(rules::lstm(make(15, 3), 8, true)));
    static_assert(follows<lstm<128>::impl<shape<15, 1>, 2>>(rules::lstm(make(15, 1), 128, false)));
    static_assert(follows<batchnorm::impl<shape<10, 10, 16>, 2>>(rules::batchnorm(make(10, 10, 16))));
    static_assert(follows<flatten::impl<shape<7, 7, 64>, 2>>(rules::flatten(make(7, 7, 64))));
    static_assert(follows<globalavgpool::impl<shape<7, 7, 32>, 2>>(rules::globalavgpool(make(7, 7, 32))));
    static_assert(follows<dropout<0.25>::impl<shape<3, 4, 5>, 2>>(rules::dropout(make(3, 4, 5))));
    // the engine's weight layout: num_weights is the rule's count less one bias per filter / unit
    static_assert(conv2d<8, 5, 5>::impl<shape<28, 28, 1>, 4>::num_weights == 200);
    static_assert(dense<10>::impl<shape<784>, 4>::num_weights == 7840);
    static_assert(lstm<8>::impl<shape<15, 3>, 2>::num_weights == 4 * 8 * 11);
    CHECK(true);
}
