// Against PyTorch: small networks built here (conv2d same/valid/asymmetric padding,
// strides, pools, dense after a spatial layer with and without flatten, every activation,
// every loss) write their torch modules, exported state_dict, an input, the output, the
// loss and every gradient (input included) as .npy files; torch_2d.py rebuilds each
// as nn.Sequential(*modules), loads the state_dict strictly and compares.
// Exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
#define DOCTEST_CONFIG_IMPLEMENT
#include "torch_parity.hpp"

using namespace hps;

namespace {

template <class In, int B, class... Layers>
void write_case(const std::string& name, loss_kind loss, int valid, std::uint64_t seed, double pos_weight = 1.0) {
    hps_test::write_parity_case<In, B, Layers...>(
        name, {.loss = loss, .seed = seed, .valid = valid, .pos_weight = pos_weight});
}

}  // namespace

TEST_CASE("torch: layers, activations and losses match PyTorch 1.13") {
    hps_test::clear_parity_dir();
    // conv same 3x3 (symmetric padding) + relu, maxpool 2, dense after a spatial layer (implicit flatten)
    write_case<shape<6, 8, 3>, 3, conv2d<4, 3, 3, same, relu>, maxpool2d<2>, dense<5, elu>, dense<2>>(
        "conv_same_pool_dense", loss_kind::mse, 3, 101);
    // conv valid 5x5 stride 2 + sigmoid, avgpool stride 1, explicit flatten, dense tanh
    write_case<shape<9, 8, 2>, 3, conv2d<3, 5, 5, valid, sigmoid, 2, 2>, avgpool2d<2, 2, 1, 1>, flatten,
               dense<3, hps::tanh>>("conv_valid_stride_avgpool", loss_kind::mse_half, 3, 102);
    // even kernel, stride 2, SAME: asymmetric padding (ZeroPad2d); 1x1 conv + selu; dropout (eval)
    write_case<shape<7, 8, 2>, 3, conv2d<4, 2, 2, same, softplus, 2, 2>, conv2d<3, 1, 1, valid, selu>, flatten,
               dropout<0.5>, dense<4>>("conv_asym_pad_dropout", loss_kind::softmax_ce, 2, 103);
    // rank-2 input (L, C) into dense; a standalone activation; mae
    write_case<shape<4, 3>, 3, dense<6, relu>, activation<hps::tanh>, dense<3>>("dense_rank2_mae", loss_kind::mae, 3,
                                                                                 104);
    // symmetric SAME padding with stride 2, overlapping 3x3/2 maxpool, bce (two labels, pos_weight)
    write_case<shape<9, 9, 2>, 3, conv2d<3, 3, 3, same, elu, 2, 2>, maxpool2d<3, 3, 2, 2>, dense<2>>(
        "conv_stride_overlap_pool_bce", loss_kind::bce, 2, 105, 2.0);
    // every activation as a layer of its own
    write_case<shape<6>, 4, dense<5, sigmoid>, activation<elu>, activation<softplus>, activation<relu>,
               activation<selu>, activation<sigmoid>, activation<linear>, dense<3, softplus>>(
        "activations", loss_kind::softmax_ce, 4, 106);
    // a (4, 2) kernel with strides (2, 1): symmetric in height, asymmetric in width; a (2, 3)/(1, 2) avgpool
    write_case<shape<8, 9, 1>, 2, conv2d<2, 4, 2, same, hps::tanh, 2, 1>, avgpool2d<2, 3, 1, 2>, dense<2>>(
        "conv_rect_kernel", loss_kind::mse, 2, 107);
    // the CyPLAM skeleton, small
    write_case<shape<28, 28, 1>, 4, conv2d<8, 5, 5, same, relu>, maxpool2d<2>, conv2d<16, 3, 3, same, relu>,
               maxpool2d<2>, dense<32, relu>, dropout<0.25>, dense<2>>("cyplam_small", loss_kind::mse_half, 4, 108);
    // one binary logit, one sample
    write_case<shape<1>, 1, dense<1>>("dense_1x1_bce", loss_kind::bce, 1, 109);

    hps_test::check_parity_cases();
}

int main(int argc, char** argv) { return hps_test::parity_main(argc, argv); }
