// hps::train_detail::start_model: what a training run (trainer.hpp) and --calibrate
// (calibrate.hpp) both do before anything else: the process set up for its threads (Eigen,
// OpenMP, the allocator), then the network made and given its run-time layer values
// (dropout<>'s rate, train_config::layer_settings), every one it needs. So --calibrate
// refuses what a run refuses, with the same words.
#pragma once

#include "hps/config.hpp"
#include "hps/train/cli.hpp"
#include "hps/train/entry.hpp"
#include "hps/train/model.hpp"

#include <cstdio>
#include <memory>
#include <string>

#include <Eigen/Core>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hps::train_detail {

// Sets the process up for `threads` threads and makes the network with `c`'s layer
// settings. Null when a setting is refused or one the network needs is not given: the
// reason is on stderr, and the caller exits 2.
HPS_TRAIN_INLINE std::unique_ptr<model_interface> start_model(const train_config& c, const options& o,
                                                              model_factory make_network, int threads) {
    Eigen::setNbThreads(threads);
#if defined(__GLIBC__)
    // Eigen's matrix products allocate their packing buffers per product (docs/runtime.md).
    // glibc serves blocks over 128 KB with mmap and unmaps them on free, so every product
    // would fault its pages in again: a quarter of an LSTM training step. Keep such blocks
    // in the heap, and the heap's top untrimmed.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
#if defined(_OPENMP)
    omp_set_num_threads(threads);
#endif
    std::unique_ptr<model_interface> model = make_network();
    const std::string settings_file = o.settings.empty() ? "" : o.settings + ": ";
    for (const auto& l : c.layer_settings) {
        const std::string why = model->set_layer(l.layer, l.name, l.value);
        if (!why.empty()) {
            std::fprintf(stderr, "[%s] error: %s%s; regenerate the study\n", c.point.c_str(), settings_file.c_str(),
                         why.c_str());
            return nullptr;
        }
    }
    if (const std::string m = model->missing_settings(); !m.empty()) {
        std::fprintf(stderr, "[%s] error: %s%s is not given (%s)\n", c.point.c_str(), settings_file.c_str(), m.c_str(),
                     o.settings.empty() ? "add it to train_config::layer_settings" : "regenerate the study");
        return nullptr;
    }
    return model;
}

}  // namespace hps::train_detail
