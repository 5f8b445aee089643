// Forward and backward of each layer of workload 1 at batch 128: where a training step's
// time goes. Model-108's layers (5, 16, 5, 32, 640), plus the convolutions of Model-040
// (8 filters first) and Model-189 (32 then 64 filters). Also the convolutions of the
// cluster counter (examples/clustercount.hps: conv1d on 1024 bins, batch 250) and of the
// printability CNN (examples/printability.hps: conv3d on 32^3 x 1, batch 16).
//   layer/<layer>/<model>/forward, .../backward   counters: samples/s, GFLOP/s
//   layer/<layer>/model-108/bf16/forward, ...    Model-108's conv and dense layers in bf16
//                                                 (hps/layers/bf16_kernels.hpp), where the CPU has it
// backward runs on the buffers of one forward pass (the layer contract's order); the
// first convolution's backward skips dx, as the network's first layer does.
#include "bench_support.hpp"

#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>

#include <memory>

namespace hps_bench {
namespace {

constexpr int batch = 128;

template <class L, int B>
struct bound {
    hps::buffer params = hps::buffer(L::num_params), grads = hps::buffer(L::num_params),
                state = hps::buffer(L::num_state), scratch = hps::buffer(L::scratch_size),
                x = hps::buffer(std::size_t(L::in_shape::size) * B), y = hps::buffer(std::size_t(L::out_shape::size) * B),
                dy = hps::buffer(std::size_t(L::out_shape::size) * B), dx = hps::buffer(std::size_t(L::in_shape::size) * B);
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
template <class L, int B>
double forward_flops() {
    if constexpr (L::num_params > 0) return 2.0 * double(L::num_weights) * L::out_shape::size / (L::num_params - L::num_weights) * B;
    else return 0;
}

// a bf16 benchmark where the program or the CPU has no bf16 kernels: skipped, says why
bool refuse_precision(benchmark::State& state, hps::precision p) {
    if (p != hps::precision::bf16) return false;
    const std::string why = hps::bf16_unavailable();
    if (!why.empty()) state.SkipWithError(why.c_str());
    return !why.empty();
}

template <class L, int B = batch, hps::precision P = hps::precision::fp32>
void forward(benchmark::State& state) {
    if (refuse_precision(state, P)) return;
    auto b = std::make_unique<bound<L, B>>();
    b->ctx.prec = P;
    for (auto _ : state) {
        b->layer.forward(b->x.data(), b->y.data(), b->ctx);
        benchmark::ClobberMemory();
    }
    set_rates(state, B, forward_flops<L, B>());
}

template <class L, bool First, int B = batch, hps::precision P = hps::precision::fp32>
void backward(benchmark::State& state) {
    if (refuse_precision(state, P)) return;
    auto b = std::make_unique<bound<L, B>>();
    b->ctx.prec = P;
    b->layer.forward(b->x.data(), b->y.data(), b->ctx);
    for (auto _ : state) {
        b->layer.backward(b->x.data(), b->y.data(), b->dy.data(), First ? nullptr : b->dx.data(), b->ctx);
        benchmark::ClobberMemory();
    }
    set_rates(state, B, (First ? 1 : 2) * forward_flops<L, B>());
}

template <class Spec, class In, int B = batch>
using layer_of = typename Spec::template impl<In, B>;

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
// the cluster counter's (batch 250; its grid: 16 or 32 filters first, kernel 3 or 7 second)
using conv1_cc = layer_of<hps::conv1d<16, 5, hps::same, hps::relu>, hps::shape<1024, 1>, 250>;
using conv2_cc = layer_of<hps::conv1d<32, 7, hps::same, hps::relu>, hps::shape<512, 16>, 250>;
using conv3_cc = layer_of<hps::conv1d<32, 3, hps::same, hps::relu>, hps::shape<256, 32>, 250>;
// the printability CNN's (batch 16)
using conv1_pr = layer_of<hps::conv3d<8, 3, hps::same, hps::relu>, hps::shape<32, 32, 32, 1>, 16>;
using conv2_pr = layer_of<hps::conv3d<16, 3, hps::same, hps::relu>, hps::shape<16, 16, 16, 8>, 16>;
using conv3_pr = layer_of<hps::conv3d<32, 3, hps::same, hps::relu>, hps::shape<8, 8, 8, 16>, 16>;

#define HPS_LAYER_BENCH_B(L, B, first, name)                                                                      \
    BENCHMARK(forward<L, B>)->Name("layer/" name "/forward")->Unit(benchmark::kMicrosecond)->UseRealTime();      \
    BENCHMARK(backward<L, first, B>)->Name("layer/" name "/backward")->Unit(benchmark::kMicrosecond)->UseRealTime()
#define HPS_LAYER_BENCH(L, first, name) HPS_LAYER_BENCH_B(L, batch, first, name)
#define HPS_LAYER_BENCH_BF16(L, first, name)                                                                       \
    BENCHMARK(forward<L, batch, hps::precision::bf16>)                                                             \
        ->Name("layer/" name "/bf16/forward")                                                                      \
        ->Unit(benchmark::kMicrosecond)                                                                            \
        ->UseRealTime();                                                                                           \
    BENCHMARK(backward<L, first, batch, hps::precision::bf16>)                                                     \
        ->Name("layer/" name "/bf16/backward")                                                                     \
        ->Unit(benchmark::kMicrosecond)                                                                            \
        ->UseRealTime()

HPS_LAYER_BENCH(conv1_108, true, "conv1/model-108");
HPS_LAYER_BENCH(pool1_108, false, "pool1/model-108");
HPS_LAYER_BENCH(conv2_108, false, "conv2/model-108");
HPS_LAYER_BENCH(pool2_108, false, "pool2/model-108");
HPS_LAYER_BENCH(dense1_108, false, "dense1/model-108");
HPS_LAYER_BENCH(dropout_108, false, "dropout/model-108");
HPS_LAYER_BENCH(dense2_108, false, "dense2/model-108");
HPS_LAYER_BENCH_BF16(conv1_108, true, "conv1/model-108");
HPS_LAYER_BENCH_BF16(conv2_108, false, "conv2/model-108");
HPS_LAYER_BENCH_BF16(dense1_108, false, "dense1/model-108");
HPS_LAYER_BENCH(conv1_040, true, "conv1/model-040");
HPS_LAYER_BENCH(conv2_040, false, "conv2/model-040");
HPS_LAYER_BENCH(conv1_189, true, "conv1/model-189");
HPS_LAYER_BENCH(conv2_189, false, "conv2/model-189");
HPS_LAYER_BENCH(dense1_189, false, "dense1/model-189");
HPS_LAYER_BENCH_B(conv1_cc, 250, true, "conv1d-1/clustercount");
HPS_LAYER_BENCH_B(conv2_cc, 250, false, "conv1d-2/clustercount");
HPS_LAYER_BENCH_B(conv3_cc, 250, false, "conv1d-3/clustercount");
HPS_LAYER_BENCH_B(conv1_pr, 16, true, "conv3d-1/printability");
HPS_LAYER_BENCH_B(conv2_pr, 16, false, "conv3d-2/printability");
HPS_LAYER_BENCH_B(conv3_pr, 16, false, "conv3d-3/printability");

}  // namespace
}  // namespace hps_bench
