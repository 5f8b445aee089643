// A trainer written by hand on the hps runtime, without a .hps file: the runtime's layer
// types are an embedded C++ DSL (as dlib's are), and hpsgen is only one client of it.
// This one trains a small CNN on Fashion-MNIST (Debian's dataset-fashion-mnist).
//
//   cmake -S . -B build && cmake --build build --target handwritten_fashion
//   build/examples/handwritten/handwritten_fashion --steps 500
#include <hps/runtime.hpp>

// 28x28x1 -> conv 5x5x8 SAME relu -> pool 2 -> conv 3x3x16 SAME relu -> pool 2
//         -> dense 64 relu -> dropout 0.25 -> dense 10 (logits)
using net = hps::network<hps::shape<28, 28, 1>,
                         hps::conv2d<8, 5, 5, hps::same, hps::relu>,
                         hps::maxpool2d<2, 2>,
                         hps::conv2d<16, 3, 3, hps::same, hps::relu>,
                         hps::maxpool2d<2, 2>,
                         hps::dense<64, hps::relu>,
                         hps::dropout<0.25>,
                         hps::dense<10>>;

// A wrong shape is a compile-time error: e.g. hps::maxpool2d<16, 16> after the first pool
// (a 16 x 16 window on a 14 x 14 input) fails with a static_assert that says so.
static_assert(net::instance<32>::num_params == (25 * 8 + 8) + (9 * 8 * 16 + 16) + (7 * 7 * 16 * 64 + 64) + (64 * 10 + 10));

int main(int argc, char** argv) {
    hps::train_config config;
    config.study = "handwritten";
    config.point = "fashion-cnn";
    config.identity = "handwritten-1";
    config.train = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    config.test = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    config.split = 0.1;
    config.target = hps::target_kind::classes;
    config.outputs = 10;
    config.scale = 1.0 / 255;
    config.loss = hps::loss_kind::softmax_ce;
    config.optimizer.kind = hps::optimizer_kind::adam;
    config.optimizer.set(hps::optimizer_setting::lr, 1e-3);
    config.steps = 2000;
    config.checkpoints = 4;
    config.metrics = {{hps::metric_kind::accuracy, "accuracy", 0}};
    config.select_metric = "accuracy";
    config.select_max = true;
    return hps::train_main<net, 32>(config, argc, argv);
}
