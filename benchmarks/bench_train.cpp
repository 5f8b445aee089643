// One training step of workload 1's models at batch 128, as hps::trainer runs it:
// zero the gradients, forward, loss (mse_half, CyPLAM's), backward, Adam (lr 1e-5).
// The batch is fixed (data loading is not the runtime's kernels) and dropout draws its
// masks as in training; two untimed steps first (first touch of every buffer).
//   train/<model>   counters: samples/s, GFLOP/s (cyplam_flops per sample); time: wall,
//                   and the CPU time of the whole process (every thread)
//   train/model-108/bf16   the same step in bf16 mixed precision (hps/layers/bf16_kernels.hpp),
//                   registered where the CPU has AVX512_BF16
// hps_bench --steps=N times exactly N steps (compare_torch.py's PyTorch side does the same).
#include "bench_support.hpp"

#include <memory>

namespace hps_bench {
namespace {

constexpr int batch = 128;

template <int W1, int N1, int W2, int N2, int NFC, hps::precision P = hps::precision::fp32>
void train_step(benchmark::State& state) {
    using net = cyplam_net<W1, N1, W2, N2, NFC>;
    using model_type = typename net::template instance<batch>;
    auto model = std::make_unique<model_type>();
    hps::rng init(1), dropout_rng(2);
    model->init(init);
    hps::optimizer opt(hps::optimizer_config{hps::optimizer_kind::adam}.set(hps::optimizer_setting::lr, 1e-5), model_type::num_params);
    hps::context ctx;
    ctx.mode = hps::phase::train;
    ctx.gen = &dropout_rng;
    ctx.prec = P;
    hps::buffer x(std::size_t(model_type::in_size) * batch), y(std::size_t(model_type::out_size) * batch),
        dy(std::size_t(model_type::out_size) * batch);
    fill_random(x.data(), x.size(), 3);
    fill_random(y.data(), y.size(), 4);
    double loss = 0;
    auto step = [&] {
        model->zero_grads();
        const float* out = model->forward(x.data(), ctx);
        loss += hps::mse_half::compute<model_type::out_size, batch>(out, y.data(), dy.data(), batch);
        model->backward(dy.data(), ctx);
        opt.step(model->params(), model->grads());
    };
    step();
    step();
    for (auto _ : state) step();
    benchmark::DoNotOptimize(loss);
    state.counters["params"] = double(model_type::num_params);
    set_rates(state, batch, batch * cyplam_flops(W1, N1, W2, N2, NFC));
}

// The optimizer's share of a step: Adam over Model-108's 1,018,690 parameters.
void adam_step(benchmark::State& state) {
    const std::size_t n = 1018690;
    hps::buffer p(n), g(n);
    fill_random(p.data(), n, 8);
    fill_random(g.data(), n, 9);
    hps::optimizer opt(hps::optimizer_config{hps::optimizer_kind::adam}.set(hps::optimizer_setting::lr, 1e-5), n);
    opt.step(p.data(), g.data());
    for (auto _ : state) {
        opt.step(p.data(), g.data());
        benchmark::ClobberMemory();
    }
    state.counters["params/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(adam_step)->Name("optimizer/adam/model-108")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

// Model-040 (5, 8, 5, 32, 128), Model-108 (5, 16, 5, 32, 640), Model-189 (5, 32, 5, 64, 768)
void register_train_benchmarks(int steps) {
    auto add = [&](const char* name, void (*f)(benchmark::State&)) {
        auto* b = benchmark::RegisterBenchmark(name, f)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
        if (steps > 0) b->Iterations(steps);
    };
    add("train/model-040", train_step<5, 8, 5, 32, 128>);
    add("train/model-108", train_step<5, 16, 5, 32, 640>);
    if (hps::bf16_unavailable().empty()) add("train/model-108/bf16", train_step<5, 16, 5, 32, 640, hps::precision::bf16>);
    add("train/model-189", train_step<5, 32, 5, 64, 768>);
}

}  // namespace hps_bench
