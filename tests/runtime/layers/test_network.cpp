// Layers composed by hps::network: gradients of a loss through a whole small CNN (every
// parameter), the torch module list and export names, layer spans for penalties, backward's
// per-layer function, a workload-sized network (no stack-allocated products), and a few
// training steps.
#include "test_support.hpp"
#include "hps/layers/conv1d.hpp"
#include "hps/layers/conv3d.hpp"
#include "hps/layers/pool1d.hpp"
#include "hps/layers/pool3d.hpp"
#include "hps/train/model.hpp"

#include <memory>

using namespace hps;

namespace {

// conv same (asymmetric, stride 2) -> avgpool -> conv valid -> flatten -> dropout -> dense
// -> standalone activation -> dense; smooth activations so no kink is near.
using small_cnn = network<shape<7, 6, 2>, conv2d<3, 2, 2, same, hps::tanh, 2, 1>, avgpool2d<2, 2, 1, 1>,
                          conv2d<4, 2, 3, valid, softplus>, flatten, dropout<0.3>, dense<5, sigmoid>,
                          activation<elu>, dense<3>>;

template <class Net, int B>
void check_network_gradients(loss_kind loss, std::uint64_t seed) {
    using inst_t = typename Net::template instance<B>;
    inst_t net;
    rng gen(seed);
    net.init(gen);
    for (std::size_t i = 0; i < inst_t::num_params; ++i) net.params()[i] += float(0.1 * gen.normal());
    const auto x = hps_test::normal_vector(std::size_t(inst_t::in_size) * B, gen);
    constexpr int out = inst_t::out_size;
    const int rows = loss_target_rows<out>(loss);
    std::vector<float> t(static_cast<std::size_t>(rows) * B);
    for (auto& v : t) v = loss == loss_kind::softmax_ce ? float(gen.below(out)) : float(gen.normal());
    rng drop_gen(seed + 1);
    const auto drop_state = drop_gen.save();
    context ctx;
    ctx.gen = &drop_gen;
    auto f = [&](float* dy) {
        drop_gen.restore(drop_state);
        const float* y = net.forward(x.data(), ctx);
        return compute_loss<out, B>(loss, y, t.data(), dy, B - 1);
    };
    std::vector<float> dy(static_cast<std::size_t>(out) * B);
    f(dy.data());
    net.zero_grads();
    net.backward(dy.data(), ctx);
    const std::vector<float> grads(net.grads(), net.grads() + inst_t::num_params);
    std::vector<double> ana, num;
    for (std::size_t i : hps_test::pick_coords(inst_t::num_params, 300)) {
        const float keep = net.params()[i];
        net.params()[i] = keep + 1e-2f;
        const double fp = f(nullptr);
        net.params()[i] = keep - 1e-2f;
        const double fm = f(nullptr);
        net.params()[i] = keep;
        num.push_back((fp - fm) / double((keep + 1e-2f) - (keep - 1e-2f)));
        ana.push_back(grads[i]);
    }
    hps_test::compare_derivatives(std::string(name_of(loss)), ana, num, {});
}

// flatten first: the dense layer's dx is not computed (nothing below uses it)
using flat_first = network<shape<3, 2, 2>, flatten, dense<4, hps::tanh>, dense<2>>;

}  // namespace

TEST_CASE("network: central-difference gradients of each loss through a small CNN") {
    check_network_gradients<flat_first, 2>(loss_kind::mae, 90);
    check_network_gradients<small_cnn, 3>(loss_kind::mse, 91);
    check_network_gradients<small_cnn, 3>(loss_kind::mse_half, 92);
    check_network_gradients<small_cnn, 3>(loss_kind::softmax_ce, 93);
    check_network_gradients<small_cnn, 2>(loss_kind::bce, 94);
}

TEST_CASE("network: torch modules, export names and layer spans") {
    using inst = small_cnn::instance<2>;
    const std::vector<std::string> expected{"nn.ZeroPad2d((0, 1, 0, 1))",
                                            "nn.Conv2d(2, 3, (2, 2), stride=(2, 1))",
                                            "nn.Tanh()",
                                            "nn.AvgPool2d((2, 2), stride=(1, 1))",
                                            "nn.Conv2d(3, 4, (2, 3), stride=(1, 1))",
                                            "nn.Softplus()",
                                            "nn.Flatten()",
                                            "nn.Dropout(p=0.3)",
                                            "nn.Linear(24, 5)",
                                            "nn.Sigmoid()",
                                            "nn.ELU()",
                                            "nn.Linear(5, 3)"};
    inst net;
    CHECK(net.torch_modules() == expected);
    rng gen(1);
    net.init(gen);
    tensor_list tl;
    net.export_params(tl);
    std::vector<std::string> names;
    for (const auto& t : tl.tensors) names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"1.weight", "1.bias", "4.weight", "4.bias", "8.weight", "8.bias",
                                            "11.weight", "11.bias"});
    // 7x6 -> conv 2x2 same stride (2, 1): 4x6x3 -> avgpool 2, stride 1: 3x5x3 -> conv 2x3 valid: 2x3x4
    CHECK(std::is_same_v<inst::layer_t<0>::out_shape, shape<4, 6, 3>>);
    CHECK(std::is_same_v<inst::layer_t<2>::out_shape, shape<2, 3, 4>>);
    CHECK(net.layer_span(0).weights == 2 * 2 * 2 * 3);
    CHECK(net.layer_span(0).params == 2 * 2 * 2 * 3 + 3);
    CHECK(net.layer_span(2).offset == 27);
    CHECK(net.layer_span(5).weights == 24 * 5);
    CHECK(net.layer_span(3).params == 0);
}

TEST_CASE("network: backward's per-layer function, after each computing layer, when its gradients and those above are final") {
    // the small CNN (conv, avgpool, conv, flatten, dropout, dense, activation, dense), its last
    // layer first; flatten is a view and is skipped
    using inst_t = small_cnn::instance<4>;
    inst_t net;
    rng gen(11);
    net.init(gen);
    const auto x = hps_test::normal_vector(std::size_t(inst_t::in_size) * 4, gen);
    const auto dy = hps_test::normal_vector(std::size_t(inst_t::out_size) * 4, gen);
    rng drop_gen(12);
    const auto drop_state = drop_gen.save();
    context ctx;
    ctx.gen = &drop_gen;
    net.forward(x.data(), ctx);
    net.zero_grads();
    net.backward(dy.data(), ctx);
    const std::vector<float> plain(net.grads(), net.grads() + inst_t::num_params);

    drop_gen.restore(drop_state);
    net.forward(x.data(), ctx);
    net.zero_grads();
    std::vector<std::size_t> calls;
    std::vector<std::vector<float>> seen;  // grads()[from, end) at each call
    net.backward(dy.data(), ctx, [&](std::size_t from) {
        calls.push_back(from);
        seen.emplace_back(net.grads() + from, net.grads() + inst_t::num_params);
    });
    const std::vector<std::size_t> expected = {net.layer_span(7).offset, net.layer_span(6).offset, net.layer_span(5).offset,
                                               net.layer_span(4).offset, net.layer_span(2).offset, net.layer_span(1).offset,
                                               net.layer_span(0).offset};
    CHECK(calls == expected);
    CHECK(calls.back() == 0);
    const std::vector<float> with(net.grads(), net.grads() + inst_t::num_params);
    CHECK(with == plain);  // bit for bit: the function changes nothing
    for (std::size_t k = 0; k < calls.size(); ++k)  // what was final at the call stays so
        CHECK(seen[k] == std::vector<float>(plain.begin() + std::ptrdiff_t(calls[k]), plain.end()));
    CHECK(seen[0].size() == inst_t::num_params - net.layer_span(7).offset);

    // through model_interface, as the trainer calls it
    network_model<small_cnn, 4> model;
    rng init(11);
    model.init(init);
    std::vector<std::size_t> via;
    drop_gen.restore(drop_state);
    model.forward(x.data(), ctx);
    model.zero_grads();
    model.backward(dy.data(), ctx,
                   layer_done{[](void* v, std::size_t from) { static_cast<std::vector<std::size_t>*>(v)->push_back(from); },
                              &via});
    CHECK(via == expected);
    CHECK(std::vector<float>(model.grads(), model.grads() + inst_t::num_params) == plain);
}

TEST_CASE("network: a CyPLAM-sized network runs (products on the heap, not the stack)") {
    // the workload-1 skeleton at its largest: 3,266,434 parameters
    using cyplam = network<shape<28, 28, 1>, conv2d<32, 5, 5, same, relu>, maxpool2d<2>,
                           conv2d<64, 5, 5, same, relu>, maxpool2d<2>, dense<1024, relu>, dropout<0.25>, dense<2>>;
    using inst = cyplam::instance<8>;
    CHECK(inst::num_params == 5 * 5 * 32 + 32 + 5 * 5 * 32 * 64 + 64 + 49 * 64 * 1024 + 1024 + 2 * 1024 + 2);
    auto net = std::make_unique<inst>();
    rng gen(3);
    net->init(gen);
    const auto x = hps_test::normal_vector(28 * 28 * 8, gen);
    context ctx;
    ctx.gen = &gen;
    const float* y = net->forward(x.data(), ctx);
    std::vector<float> t(16, 0.5f), dy(16);
    const double l = mse_half::compute<2, 8>(y, t.data(), dy.data(), 8);
    CHECK(std::isfinite(l));
    net->zero_grads();
    net->backward(dy.data(), ctx);
    double g2 = 0;
    for (std::size_t i = 0; i < inst::num_params; ++i) g2 += double(net->grads()[i]) * net->grads()[i];
    CHECK(std::isfinite(g2));
    CHECK(g2 > 0);
}

TEST_CASE("network: training a few steps lowers the loss") {
    // learn y = (sum x, x0 - x1) on 4x4x1 inputs with adam
    using net_t = network<shape<4, 4, 1>, conv2d<4, 3, 3, same, relu>, maxpool2d<2>, dense<16, hps::tanh>, dense<2>>;
    net_t::instance<16> net;
    rng gen(5);
    net.init(gen);
    optimizer opt(optimizer_config{optimizer_kind::adam}.set(optimizer_setting::lr, 0.01), net_t::instance<16>::num_params);
    context ctx;
    ctx.gen = &gen;
    std::vector<float> x(16 * 16), t(2 * 16), dy(2 * 16);
    double first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
        for (int b = 0; b < 16; ++b) {
            float sum = 0;
            for (int i = 0; i < 16; ++i) sum += (x[std::size_t(b * 16 + i)] = float(gen.uniform()));
            t[std::size_t(2 * b)] = sum / 4;
            t[std::size_t(2 * b + 1)] = x[std::size_t(b * 16)] - x[std::size_t(b * 16 + 1)];
        }
        const float* y = net.forward(x.data(), ctx);
        const double l = mse::compute<2, 16>(y, t.data(), dy.data(), 16);
        if (step < 10) first += l / 10;
        if (step >= 290) last += l / 10;
        net.zero_grads();
        net.backward(dy.data(), ctx);
        opt.step(net.params(), net.grads());
    }
    INFO("mean loss of the first 10 steps " << first << ", of the last 10 " << last);
    CHECK(last < 0.2 * first);
}

TEST_CASE("network: a convolution's ReLU folded into the max pool above it, the same gradients bit for bit") {
    // a layer below the fold, so that the folded convolution's dx counts too; filters that
    // fill packets (dz read in place) and that do not (copied into padded rows); windows that
    // overlap (3 wide, stride 2: an input can be the maximum of two windows) and that do not;
    // many windows whose maximum is 0 (ReLU of negative values)
    using c2 = network<shape<9, 9, 2>, conv2d<4, 3, 3, same, hps::tanh>, conv2d<16, 3, 3, same, relu>, maxpool2d<3, 3, 2, 2>,
                       flatten, dense<3>>;
    using c2u = network<shape<9, 9, 2>, conv2d<4, 3, 3, same, hps::tanh>, conv2d<16, 3, 3, same, relu>, activation<linear>,
                        maxpool2d<3, 3, 2, 2>, flatten, dense<3>>;
    hps_test::check_fold<c2, c2u, 5>(21);
    {  // the fold is made where a max pool is directly above a convolution with ReLU, only there
        auto net = std::make_unique<c2::instance<5>>();
        auto unfolded = std::make_unique<c2u::instance<5>>();
        CHECK(std::get<2>(net->layers()).masks_relu());
        CHECK_FALSE(std::get<3>(unfolded->layers()).masks_relu());
        using t = network<shape<8, 8, 1>, conv2d<4, 3, 3, same, hps::tanh>, maxpool2d<2>, dense<2>>;
        auto other = std::make_unique<t::instance<2>>();
        CHECK_FALSE(std::get<1>(other->layers()).masks_relu());
    }
    using p2 = network<shape<8, 8, 3>, conv2d<4, 3, 3, same, hps::tanh>, conv2d<5, 3, 3, same, relu>, maxpool2d<2>, dense<2>>;
    using p2u = network<shape<8, 8, 3>, conv2d<4, 3, 3, same, hps::tanh>, conv2d<5, 3, 3, same, relu>, activation<linear>,
                        maxpool2d<2>, dense<2>>;
    hps_test::check_fold<p2, p2u, 3>(22);
    using c1 = network<shape<21, 2>, conv1d<3, 3, same, hps::tanh>, conv1d<16, 5, same, relu>, maxpool1d<3, 2>, dense<2>>;
    using c1u = network<shape<21, 2>, conv1d<3, 3, same, hps::tanh>, conv1d<16, 5, same, relu>, activation<linear>,
                        maxpool1d<3, 2>, dense<2>>;
    hps_test::check_fold<c1, c1u, 4>(23);
    using c3 = network<shape<6, 6, 6, 1>, conv3d<2, 3, same, hps::tanh>, conv3d<7, 3, same, relu>, maxpool3d<2>, dense<2>>;
    using c3u = network<shape<6, 6, 6, 1>, conv3d<2, 3, same, hps::tanh>, conv3d<7, 3, same, relu>, activation<linear>,
                        maxpool3d<2>, dense<2>>;
    hps_test::check_fold<c3, c3u, 2>(24);
    // the pair as the trainer's workloads have it, at a batch the threads share
    using cy = network<shape<28, 28, 1>, conv2d<16, 5, 5, same, relu>, maxpool2d<2>, conv2d<32, 5, 5, same, relu>,
                       maxpool2d<2>, dense<8>>;
    using cyu = network<shape<28, 28, 1>, conv2d<16, 5, 5, same, relu>, activation<linear>, maxpool2d<2>,
                        conv2d<32, 5, 5, same, relu>, activation<linear>, maxpool2d<2>, dense<8>>;
    hps_test::check_fold<cy, cyu, 16>(25);
    // in bf16: runtime.layers.bf16 (built for the CPU's bf16 kernels)
}
