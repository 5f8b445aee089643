// Impossible shapes are compile errors with a readable message: CMakeLists.txt compiles
// this file once per SHAPE_ERROR case (-fsyntax-only) and expects the message below.
// the headers of the 2-D layers it needs (not hps/layers.hpp, which gathers every layer)
#include <hps/activations.hpp>
#include <hps/core.hpp>
#include <hps/layers/avgpool2d.hpp>
#include <hps/layers/conv2d.hpp>
#include <hps/layers/dense.hpp>
#include <hps/layers/dropout.hpp>
#include <hps/layers/flatten.hpp>
#include <hps/layers/maxpool2d.hpp>
#include <hps/losses.hpp>
#include <hps/network.hpp>
#include <hps/optimizers.hpp>
#include <hps/penalties.hpp>

#if SHAPE_ERROR == 1
// expect: conv2d: the kernel is wider than the input under VALID padding
using net = hps::network<hps::shape<5, 3, 1>, hps::conv2d<4, 3, 5>>;
#elif SHAPE_ERROR == 2
// expect: maxpool2d: the window is taller than the input
using net = hps::network<hps::shape<4, 4, 2>, hps::maxpool2d<2>, hps::maxpool2d<3>>;
#elif SHAPE_ERROR == 3
// expect: conv2d: the input must be a (height, width, channels) image
using net = hps::network<hps::shape<28, 28>, hps::conv2d<4, 3, 3, hps::same>>;
#elif SHAPE_ERROR == 4
// expect: dropout<Rate>: Rate is the share of units dropped, in [0, 1)
using net = hps::network<hps::shape<10>, hps::dropout<0.75 * 2>>;
#elif SHAPE_ERROR == 5
// expect: maxpool2d: the window does not divide the input (5 - 2 is odd: the last row and
// column would be lost; the spec checker refuses the same sizes)
using net = hps::network<hps::shape<5, 5, 1>, hps::maxpool2d<2>>;
#elif SHAPE_ERROR == 6
// expect: avgpool2d: the window does not divide the input ((8 - 3) % 2 in the width)
using net = hps::network<hps::shape<7, 8, 2>, hps::avgpool2d<3, 3, 2, 2>>;
#endif

int main() {
    net::instance<2> model;
    (void)model;
}
