// Against PyTorch: small networks with conv3d (SAME, VALID, strides, asymmetric padding),
// maxpool3d, avgpool3d, dense after a rank-4 input (with and without flatten) and
// batchnorm of every rank, in training mode (batch statistics, running statistics
// updated) and in inference mode. Each case writes its torch modules, its exported
// state_dict before the pass, an input, the output, the loss, every gradient (input
// included) and the state after the pass as .npy; torch_3d.py rebuilds it as
// nn.Sequential(*modules), loads the state_dict strictly, runs the same pass and compares.
// Exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
#define DOCTEST_CONFIG_IMPLEMENT
#include "torch_parity.hpp"

#include <hps/layers/batchnorm.hpp>
#include <hps/layers/conv3d.hpp>
#include <hps/layers/pool3d.hpp>

using namespace hps;

namespace {

// mode: the pass compared (train: batch statistics); warmup: training passes on other
// random batches before it, so that inference sees running statistics that are not the init's.
template <class In, int B, class... Layers>
void write_case(const std::string& name, loss_kind loss, phase mode, int warmup, std::uint64_t seed) {
    hps_test::write_parity_case<In, B, Layers...>(name, {.loss = loss, .seed = seed, .mode = mode, .warmup = warmup});
}

}  // namespace

TEST_CASE("torch: conv3d, pool3d, dense after a volume and batchnorm match PyTorch 1.13") {
    hps_test::clear_parity_dir();
    // conv3d SAME 3 (symmetric) + relu, maxpool3d 2, dense on the volume (implicit flatten)
    write_case<shape<4, 6, 8, 2>, 3, conv3d<3, 3, same, relu>, maxpool3d<2>, dense<4, elu>, dense<2>>(
        "conv3d_same_maxpool_dense", loss_kind::mse, phase::infer, 0, 201);
    // VALID stride 2 + sigmoid, overlapping avgpool3d (2, stride 1), explicit flatten, dense tanh
    write_case<shape<7, 6, 7, 1>, 2, conv3d<3, 3, valid, sigmoid, 2>, avgpool3d<2, 1>, flatten, dense<3, hps::tanh>>(
        "conv3d_valid_stride_avgpool", loss_kind::mse_half, phase::infer, 0, 202);
    // even kernel with stride 2 under SAME: asymmetric padding (ConstantPad3d); 1x1x1 conv + selu;
    // overlapping maxpool3d (2, stride 1)
    write_case<shape<5, 6, 7, 2>, 2, conv3d<4, 2, same, softplus, 2>, conv3d<3, 1, valid, selu>,
               maxpool3d<2, 1>, dense<3>>("conv3d_asym_pad", loss_kind::softmax_ce, phase::infer, 0, 203);
    // batchnorm in training: BatchNorm3d after a conv (whose bias gradient is 0 in exact
    // arithmetic: batchnorm cancels it), BatchNorm1d after a dense layer
    write_case<shape<4, 4, 4, 1>, 4, conv3d<3, 3, same>, batchnorm, activation<relu>, maxpool3d<2>, dense<5, relu>,
               batchnorm, dense<1>>("batchnorm_train_3d", loss_kind::bce, phase::train, 2, 204);
    // the same network in inference, after warm-up batches moved the running statistics
    write_case<shape<4, 4, 4, 1>, 4, conv3d<3, 3, same>, batchnorm, activation<relu>, maxpool3d<2>, dense<5, relu>,
               batchnorm, dense<1>>("batchnorm_infer_3d", loss_kind::bce, phase::infer, 3, 205);
    // BatchNorm1d after flatten: its 24 features in torch's channels-first order
    write_case<shape<5, 5, 5, 2>, 3, conv3d<3, 2, valid, hps::tanh>, maxpool3d<2>, flatten, batchnorm, dense<2>>(
        "batchnorm_after_flatten", loss_kind::mse, phase::train, 1, 209);
    write_case<shape<5, 5, 5, 2>, 3, conv3d<3, 2, valid, hps::tanh>, maxpool3d<2>, flatten, batchnorm, dense<2>>(
        "batchnorm_after_flatten_infer", loss_kind::mse, phase::infer, 2, 210);
    // BatchNorm2d on an image and BatchNorm1d on an (L, C) sequence, training and inference
    write_case<shape<5, 4, 3>, 3, batchnorm, conv2d<2, 3, 3, same, hps::tanh>, batchnorm, dense<3>>(
        "batchnorm_train_2d", loss_kind::softmax_ce, phase::train, 1, 206);
    write_case<shape<5, 4, 3>, 3, batchnorm, conv2d<2, 3, 3, same, hps::tanh>, batchnorm, dense<3>>(
        "batchnorm_infer_2d", loss_kind::softmax_ce, phase::infer, 2, 207);
    write_case<shape<6, 2>, 3, batchnorm, dense<3>>("batchnorm_train_1d_seq", loss_kind::mse, phase::train, 1, 208);

    hps_test::check_parity_cases();
}

int main(int argc, char** argv) { return hps_test::parity_main(argc, argv); }
