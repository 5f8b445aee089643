// The cases of runtime.numerics (numerics_test.py, docs/design.md section 32): five small
// networks, every layer kind, activation, loss and optimizer among them, initialised by the
// runtime's initialisers, trained four steps (dropout on) and run once in inference; each
// case's number is an FNV-1a hash of its parameters' bytes, its losses as floats and its
// inference outputs. Built with the suite's portable flags (x86-64's baseline, no -march):
// the same instructions on every machine the suite runs on, so the same bits (threads do
// not change them, design section 24).
//
//   test_numerics --print         this build's block: "version N", then a line per case
#include "hps/layers.hpp"
#include "hps/version.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace hps;

namespace {

// the bytes a case computed, hashed as identities are (hps::fnv1a_hex, FNV-1a 64)
struct digest {
    std::string bytes;
    void floats(const float* p, std::size_t n) { bytes.append(reinterpret_cast<const char*>(p), n * sizeof(float)); }
};

// an input or target in [-1, 1] from the runtime's generator (integers: the same on every machine)
float uniform_value(rng& gen) { return float(int(gen.below(2001)) - 1000) / 1000.0f; }

template <class Net, int B>
std::string train_case(loss_kind loss, optimizer_config opt_config, std::uint64_t seed) {
    using inst_t = typename Net::template instance<B>;
    auto net = std::make_unique<inst_t>();
    rng init(seed), data(seed + 1), drop(seed + 2);
    net->init(init);
    constexpr int out = inst_t::out_size;
    std::vector<float> x(std::size_t(inst_t::in_size) * B);
    for (auto& v : x) v = uniform_value(data);
    std::vector<float> t(std::size_t(loss_target_rows<out>(loss)) * B);
    for (auto& v : t)
        v = loss == loss_kind::softmax_ce ? float(data.below(out))
            : loss == loss_kind::bce      ? float(data.below(2))
                                          : uniform_value(data);
    optimizer opt(opt_config, inst_t::num_params);
    context ctx;
    ctx.gen = &drop;
    std::vector<float> dy(std::size_t(out) * B);
    digest h;
    for (int step = 0; step < 4; ++step) {
        ctx.mode = phase::train;
        net->zero_grads();
        const float* y = net->forward(x.data(), ctx);
        const float l = float(compute_loss<out, B>(loss, y, t.data(), dy.data(), B));
        if (!std::isfinite(l)) {
            std::fprintf(stderr, "test_numerics: a case's loss is %g at step %d; its numbers would check nothing\n", double(l), step);
            std::exit(1);
        }
        h.floats(&l, 1);
        net->backward(dy.data(), ctx);
        opt.step(net->params(), net->grads());
    }
    h.floats(net->params(), inst_t::num_params);
    ctx.mode = phase::infer;
    h.floats(net->forward(x.data(), ctx), std::size_t(out) * B);
    return fnv1a_hex(h.bytes);
}

optimizer_config optimizer_of(optimizer_kind k, double lr) { return optimizer_config{k}.set(optimizer_setting::lr, lr); }

// conv2d (same; valid), max and average pools, dropout, dense; ReLU, ELU, SELU
using cnn_2d = network<shape<12, 12, 2>, conv2d<16, 3, 3, same, relu>, maxpool2d<2>, conv2d<8, 3, 3, valid, elu>,
                       avgpool2d<2>, flatten, dropout<0.25>, dense<16, selu>, dense<3>>;
// conv1d, maxpool1d, avgpool1d, global average pool; tanh, softplus
using cnn_1d = network<shape<24, 2>, conv1d<8, 5, same, hps::tanh>, maxpool1d<2>, conv1d<4, 2, valid, softplus, 2>,
                       avgpool1d<2>, globalavgpool, dense<2>>;
// conv3d, batch norm, maxpool3d, avgpool3d; a standalone activation
using cnn_3d = network<shape<6, 6, 6, 1>, conv3d<4, 3, same, relu>, batchnorm, maxpool3d<2>, avgpool3d<3>, flatten,
                       activation<sigmoid>, dense<2>>;
// LSTM (sequences) into a GRU
using rnn = network<shape<10, 3>, lstm<8, true>, gru<6>, dense<2, hps::tanh>, dense<1>>;
// dense layers the width of the register tiles, batch norm between
using mlp = network<shape<40>, dense<32, relu>, batchnorm, dense<16, linear>, dense<4>>;

std::map<std::string, std::string> compute() {
    optimizer_config momentum = optimizer_of(optimizer_kind::momentum, 0.05);
    momentum.set(optimizer_setting::nesterov, 1);
    optimizer_config adamw = optimizer_of(optimizer_kind::adamw, 3e-3);
    adamw.set(optimizer_setting::weight_decay, 0.1);
    optimizer_config rmsprop = optimizer_of(optimizer_kind::rmsprop, 1e-3);
    rmsprop.set(optimizer_setting::centered, 1);
    return {
        {"cnn_2d softmax_ce adam", train_case<cnn_2d, 6>(loss_kind::softmax_ce, optimizer_of(optimizer_kind::adam, 1e-3), 11)},
        {"cnn_1d mse momentum", train_case<cnn_1d, 5>(loss_kind::mse, momentum, 12)},
        {"cnn_3d mae adamw", train_case<cnn_3d, 3>(loss_kind::mae, adamw, 13)},
        {"rnn bce rmsprop", train_case<rnn, 4>(loss_kind::bce, rmsprop, 14)},
        {"mlp mse_half sgd", train_case<mlp, 7>(loss_kind::mse_half, optimizer_of(optimizer_kind::sgd, 0.1), 15)},
        {"mlp mse adadelta", train_case<mlp, 7>(loss_kind::mse, optimizer_of(optimizer_kind::adadelta, 1.0), 16)},
    };
}

std::string block(const std::map<std::string, std::string>& cases) {
    std::string s = "version " + std::to_string(numerics_version) + "\n";
    for (const auto& [name, hash] : cases) s += hash + " " + name + "\n";
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 || std::strcmp(argv[1], "--print") != 0) {
        std::fprintf(stderr, "usage: test_numerics --print   (numerics_test.py compares the block with numerics.golden)\n");
        return 2;
    }
    std::fputs(block(compute()).c_str(), stdout);
    return 0;
}
