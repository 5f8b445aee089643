// hps::train_detail::calibrate: the trainer's --calibrate, how long one training
// step and one evaluation batch of this network take on this machine, for `hpsgen submit`'s
// time per point (generator/calibrate.hpp).
//
// No data is read and nothing is written: the batch is made up (inputs from the point's
// seed, valid targets of its kind), so a calibration costs the network's arithmetic and
// nothing else. A step is what the training loop does per step (forward, loss, backward,
// the optimizer); assembling the batch (a copy, augmentation) is left out. Two steps warm
// up first (page faults, the allocator's first blocks, OpenMP's team); then steps are
// timed until at least `min_seconds` and 3 steps have passed, and evaluation batches (an
// inference forward pass) likewise. One line on stdout:
//   calibration threads=1 batch=16 steps=812 step_s=0.000615 eval_batches=2301 eval_batch_s=0.000217
#pragma once

#include "hps/config.hpp"
#include "hps/core.hpp"
#include "hps/losses.hpp"
#include "hps/optimizers.hpp"
#include "hps/train/cli.hpp"
#include "hps/train/entry.hpp"
#include "hps/train/model.hpp"
#include "hps/train/startup.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

namespace hps::train_detail {

// Declared in hps/train/entry.hpp's way: inline in a header-only trainer, compiled once in
// the study's hps_train library otherwise (HPS_SHARED_TRAIN, docs/design.md section 17).
HPS_TRAIN_INLINE int calibrate(const train_config& c, const options& o, model_factory make_network,
                               double min_seconds = 0.5) {
    const int threads = choose_threads(o.threads);
    const std::unique_ptr<model_interface> model = start_model(c, o, make_network, threads);
    if (!model) return 2;  // a run-time layer value refused or not given, as a training run refuses it
    const int B = model->batch(), in_size = model->in_size(), out_size = model->out_size();
    rng gen(c.seed);
    model->init(gen);
    optimizer opt(c.optimizer, model->num_params());
    const int target_rows = c.target == target_kind::regression ? c.outputs : 1;
    buffer x(std::size_t(in_size) * B), y(std::size_t(target_rows) * B), dy(std::size_t(out_size) * B);
    for (auto& v : x) v = float(gen.normal());
    for (std::size_t i = 0; i < y.size(); ++i)
        y[i] = c.target == target_kind::classes ? float(i % std::size_t(std::max(1, c.outputs)))
               : c.target == target_kind::binary ? float(i % 2)
                                                 : float(0.1 * gen.normal());
    context train_ctx, infer_ctx;
    train_ctx.mode = phase::train;
    train_ctx.gen = &gen;
    infer_ctx.mode = phase::infer;
    train_ctx.prec = infer_ctx.prec = c.prec;
    double sink = 0;  // the losses, so that no step is optimised away
    auto step = [&] {
        model->zero_grads();
        const float* out = model->forward(x.data(), train_ctx);
        sink += compute_loss(c.loss, out_size, B, out, y.data(), dy.data(), B, c.pos_weight);
        model->backward(dy.data(), train_ctx);
        opt.step(model->params(), model->grads());
    };
    auto infer = [&] { sink += double(model->forward(x.data(), infer_ctx)[0]); };
    // runs f until min_seconds and 3 runs have passed (at most 100,000): runs and seconds
    auto timed = [&](auto&& f) {
        using clock = std::chrono::steady_clock;
        f();
        f();
        const auto start = clock::now();
        long n = 0;
        double seconds = 0;
        do {
            f();
            ++n;
            seconds = std::chrono::duration<double>(clock::now() - start).count();
        } while ((seconds < min_seconds || n < 3) && n < 100000);
        return std::pair<long, double>(n, seconds);
    };
    const auto [steps, step_seconds] = timed(step);
    const auto [batches, eval_seconds] = timed(infer);
    std::printf("calibration threads=%d batch=%d steps=%ld step_s=%.6g eval_batches=%ld eval_batch_s=%.6g%s\n", threads,
                B, steps, step_seconds / double(steps), batches, eval_seconds / double(batches),
                std::isfinite(sink) ? "" : " (the made-up batch's loss was not finite)");
    return 0;
}

}  // namespace hps::train_detail
