// Forward and backward of each layer of workload 1 at batch 128: where a training step's
// time goes. Model-108's layers (5, 16, 5, 32, 640), plus the convolutions of Model-040
// (8 filters first) and Model-189 (32 then 64 filters).
//   layer/<layer>/<model>/forward, .../backward   counters: samples/s, GFLOP/s
// backward runs on the buffers of one forward pass (the layer contract's order); the
// first convolution's backward skips dx, as the network's first layer does.
#include "bench_support.hpp"

#include <memory>

namespace hps_bench {
namespace {

constexpr int batch = 128;

template <class L>
struct bound {
    hps::buffer params = hps::buffer(L::num_params), grads = hps::buffer(L::num_params),
                state = hps::buffer(L::num_state), scratch = hps::buffer(L::scratch_size),
                x = hps::buffer(std::size_t(L::in_shape::size) * batch), y = hps::buffer(std::size_t(L::out_shape::size) * batch),
                dy = hps::buffer(std::size_t(L::out_shape::size) * batch), dx = hps::buffer(std::size_t(L::in_shape::size) * batch);
    L layer;
    hps::rng gen{7};
    hps::context ctx;
    bound() {
        layer.bind(params.data(), grads.data(), state.data(), scratch.data());
        layer.init(gen);
        fill_random(x.data(), x.size(), 5);
        fill_random(dy.data(), dy.size(), 6);
        ctx.mode = hps::phase::train;
        ctx.gen = &gen;
    }
};

// 2 m n k of the layer's forward product (backward: dW and dx cost the same each)
template <class L>
double forward_flops() {
    if constexpr (L::num_params > 0) return 2.0 * double(L::num_weights) * L::out_shape::size / (L::num_params - L::num_weights) * batch;
    else return 0;
}

template <class L>
void forward(benchmark::State& state) {
    auto b = std::make_unique<bound<L>>();
    for (auto _ : state) {
        b->layer.forward(b->x.data(), b->y.data(), b->ctx);
        benchmark::ClobberMemory();
    }
    set_rates(state, batch, forward_flops<L>());
}

template <class L, bool First>
void backward(benchmark::State& state) {
    auto b = std::make_unique<bound<L>>();
    b->layer.forward(b->x.data(), b->y.data(), b->ctx);
    for (auto _ : state) {
        b->layer.backward(b->x.data(), b->y.data(), b->dy.data(), First ? nullptr : b->dx.data(), b->ctx);
        benchmark::ClobberMemory();
    }
    set_rates(state, batch, (First ? 1 : 2) * forward_flops<L>());
}

template <class Spec, class In>
using layer_of = typename Spec::template impl<In, batch>;

using conv1_108 = layer_of<hps::conv2d<16, 5, 5, hps::same, hps::relu>, hps::shape<28, 28, 1>>;
using pool1_108 = layer_of<hps::maxpool2d<2>, hps::shape<28, 28, 16>>;
using conv2_108 = layer_of<hps::conv2d<32, 5, 5, hps::same, hps::relu>, hps::shape<14, 14, 16>>;
using pool2_108 = layer_of<hps::maxpool2d<2>, hps::shape<14, 14, 32>>;
using dense1_108 = layer_of<hps::dense<640, hps::relu>, hps::shape<7, 7, 32>>;
using dropout_108 = layer_of<hps::dropout<0.25>, hps::shape<640>>;
using dense2_108 = layer_of<hps::dense<2>, hps::shape<640>>;
using conv1_040 = layer_of<hps::conv2d<8, 5, 5, hps::same, hps::relu>, hps::shape<28, 28, 1>>;
using conv2_040 = layer_of<hps::conv2d<32, 5, 5, hps::same, hps::relu>, hps::shape<14, 14, 8>>;
using conv1_189 = layer_of<hps::conv2d<32, 5, 5, hps::same, hps::relu>, hps::shape<28, 28, 1>>;
using conv2_189 = layer_of<hps::conv2d<64, 5, 5, hps::same, hps::relu>, hps::shape<14, 14, 32>>;
using dense1_189 = layer_of<hps::dense<768, hps::relu>, hps::shape<7, 7, 64>>;

#define HPS_LAYER_BENCH(L, first, name)                                                                           \
    BENCHMARK(forward<L>)->Name("layer/" name "/forward")->Unit(benchmark::kMicrosecond)->UseRealTime();         \
    BENCHMARK(backward<L, first>)->Name("layer/" name "/backward")->Unit(benchmark::kMicrosecond)->UseRealTime()

HPS_LAYER_BENCH(conv1_108, true, "conv1/model-108");
HPS_LAYER_BENCH(pool1_108, false, "pool1/model-108");
HPS_LAYER_BENCH(conv2_108, false, "conv2/model-108");
HPS_LAYER_BENCH(pool2_108, false, "pool2/model-108");
HPS_LAYER_BENCH(dense1_108, false, "dense1/model-108");
HPS_LAYER_BENCH(dropout_108, false, "dropout/model-108");
HPS_LAYER_BENCH(dense2_108, false, "dense2/model-108");
HPS_LAYER_BENCH(conv1_040, true, "conv1/model-040");
HPS_LAYER_BENCH(conv2_040, false, "conv2/model-040");
HPS_LAYER_BENCH(conv1_189, true, "conv1/model-189");
HPS_LAYER_BENCH(conv2_189, false, "conv2/model-189");
HPS_LAYER_BENCH(dense1_189, false, "dense1/model-189");

}  // namespace
}  // namespace hps_bench
