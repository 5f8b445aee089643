// Against PyTorch: small sequence networks (lstm and gru, last step and every step, stacked,
// lstm into gru, dense after a rank-2 output, conv1d same/valid/asymmetric padding and strides,
// maxpool1d, avgpool1d, globalavgpool on sequences and images, conv1d into lstm into
// conv1d, the same with a gru) write their torch modules, the model.py helper classes (hps::torch_helpers), the
// exported state_dict, an input, the output, the loss and every gradient (input included)
// as .npy files; torch_seq.py rebuilds each as nn.Sequential, loads the state_dict
// strictly and compares outputs, loss and gradients.
// Exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
#define DOCTEST_CONFIG_IMPLEMENT
#include "torch_parity.hpp"

#include <hps/layers/conv1d.hpp>
#include <hps/layers/globalavgpool.hpp>
#include <hps/layers/gru.hpp>
#include <hps/layers/lstm.hpp>
#include <hps/layers/pool1d.hpp>

using namespace hps;

namespace {

template <class In, int B, class... Layers>
void write_case(const std::string& name, loss_kind loss, int valid, std::uint64_t seed, double pos_weight = 1.0) {
    hps_test::write_parity_case<In, B, Layers...>(
        name, {.loss = loss, .seed = seed, .valid = valid, .pos_weight = pos_weight, .helpers = &torch_helpers});
}

}  // namespace

TEST_CASE("torch: sequence layers match PyTorch 1.13") {
    hps_test::clear_parity_dir();
    // the peak finder's shape, small: last hidden state -> dense selu -> dropout -> one logit
    write_case<shape<15, 1>, 4, lstm<8>, dense<16, selu>, dropout<0.1>, dense<1>>("lstm_peakfinder", loss_kind::bce,
                                                                                 4, 201, 3.0);
    // several features, a partial batch
    write_case<shape<6, 2>, 3, lstm<5>, dense<4, relu>, dense<2>>("lstm_last", loss_kind::mse, 2, 202);
    // every step's hidden state into dense: the flatten permutation of a rank-2 output
    write_case<shape<5, 3>, 2, lstm<4, true>, dense<3, hps::tanh>>("lstm_sequence_dense", loss_kind::mse_half, 2, 203);
    // stacked: a sequence into a second lstm
    write_case<shape<7, 1>, 3, lstm<3, true>, lstm<4>, dense<2>>("lstm_stacked", loss_kind::softmax_ce, 3, 204);
    // wider than the product kernel's register tile (4U = 64 rows, 16 units), a batch of 7
    // (not a multiple of its 6 columns) and a partial one, a sequence into a second lstm
    write_case<shape<9, 3>, 7, lstm<16, true>, lstm<20>, dense<2>>("lstm_stacked_wide", loss_kind::softmax_ce, 5, 209);
    // gru: the same kinds of network as lstm's
    write_case<shape<15, 1>, 4, gru<8>, dense<16, selu>, dropout<0.1>, dense<1>>("gru_peakfinder", loss_kind::bce, 4,
                                                                               211, 3.0);
    write_case<shape<6, 2>, 3, gru<5>, dense<4, relu>, dense<2>>("gru_last", loss_kind::mse, 2, 212);
    write_case<shape<5, 3>, 2, gru<4, true>, dense<3, hps::tanh>>("gru_sequence_dense", loss_kind::mse_half, 2, 213);
    write_case<shape<7, 1>, 3, gru<3, true>, gru<4>, dense<2>>("gru_stacked", loss_kind::softmax_ce, 3, 214);
    // 3U = 48 and 60 rows (a full and a partial kernel tile), a batch of 7 and a partial one
    write_case<shape<9, 3>, 7, gru<16, true>, gru<20>, dense<2>>("gru_stacked_wide", loss_kind::softmax_ce, 5, 215);
    // more than 8 features: W_ih x_t as an Eigen product, not in the fused gate pass
    write_case<shape<4, 11>, 3, gru<6, true>, dense<2>>("gru_wide_input", loss_kind::mae, 3, 216);
    // both recurrent kinds in one model: model.py's helpers hold both pairs of classes
    write_case<shape<6, 2>, 2, lstm<4, true>, gru<3>, dense<1>>("lstm_gru", loss_kind::bce, 2, 217);
    write_case<shape<13, 1>, 2, conv1d<3, 5, valid, hps::tanh>, maxpool1d<3, 2>, gru<4, true>,
               conv1d<2, 2, valid, sigmoid>, flatten, dense<1>>("conv1d_gru_conv1d", loss_kind::bce, 2, 218);
    // conv1d same (symmetric), maxpool1d, conv1d same stride 2 (asymmetric: ConstantPad1d),
    // overlapping avgpool1d, globalavgpool, dense
    write_case<shape<16, 2>, 3, conv1d<4, 3, same, relu>, maxpool1d<2>, conv1d<3, 4, same, elu, 2>,
               avgpool1d<2, 1>, globalavgpool, dense<2>>("conv1d_pools_gap", loss_kind::mae, 3, 205);
    // conv1d valid -> overlapping maxpool1d -> lstm over its steps -> conv1d -> flatten -> dense
    write_case<shape<13, 1>, 2, conv1d<3, 5, valid, hps::tanh>, maxpool1d<3, 2>, lstm<4, true>,
               conv1d<2, 2, valid, sigmoid>, flatten, dense<1>>("conv1d_lstm_conv1d", loss_kind::bce, 2, 206);
    // the cluster counter's kind: strided conv1d stack on a long sequence, then dense
    write_case<shape<64, 1>, 2, conv1d<4, 5, valid, relu, 2>, maxpool1d<2>, conv1d<6, 3, same, selu>,
               avgpool1d<3, 3>, dense<1>>("conv1d_counter", loss_kind::mse, 2, 207);
    // globalavgpool over an image
    write_case<shape<6, 5, 2>, 2, conv2d<3, 3, 3, same, softplus>, globalavgpool, dense<3>>("conv2d_gap",
                                                                                             loss_kind::softmax_ce, 2, 208);

    hps_test::check_parity_cases();
}

int main(int argc, char** argv) { return hps_test::parity_main(argc, argv); }
