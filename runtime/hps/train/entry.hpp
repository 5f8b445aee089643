// The trainer's entry points: train_main<Net, B>, all a trainer's main() calls, makes the
// network's adapter (hps/train/model.hpp) and hands it to the training core, which is not
// a template: train_main(config or settings, model_factory, argc, argv).
//
// The core is either compiled once per study into a library or inline in the trainer:
//   - a generated study's CMakeLists.txt builds runtime/hps/train.cpp (which defines
//     HPS_INSTANTIATE_TRAIN) into hps_train and defines HPS_SHARED_TRAIN for its trainers,
//     whose <hps/runtime.hpp> is then the layers, the network and these declarations;
//   - without HPS_SHARED_TRAIN (a hand-written trainer, the tests) <hps/runtime.hpp> holds
//     the whole core, its functions inline: one source file, nothing else to link.
// docs/design.md, section 17.
#pragma once

#include "hps/config.hpp"
#include "hps/train/model.hpp"

#include <cstddef>
#include <string_view>

// HPS_TRAIN_INLINE marks the core's functions defined outside a class: inline when the
// trainer carries the core, ordinary (defined once, in hps_train) otherwise.
#if defined(HPS_SHARED_TRAIN) || defined(HPS_INSTANTIATE_TRAIN)
#define HPS_TRAIN_INLINE
#else
#define HPS_TRAIN_INLINE inline
#endif

namespace hps {

// A hand-written trainer: its config is compiled in.
HPS_TRAIN_INLINE int train_main(const train_config& config, model_factory make_network, int argc, char** argv);

// A study's trainer: one compiled network, `network` its signature (hpsgen's hash of its
// type and batch) and `num_params` its parameter count; the point it trains is the
// --settings file's (hps/settings.hpp), which must have been written for this network.
// Exit 2 when it is missing or refused.
HPS_TRAIN_INLINE int train_main(std::string_view network, std::size_t num_params, model_factory make_network,
                                int argc, char** argv);

template <class Net, int B>
int train_main(const train_config& config, int argc, char** argv) {
    return train_main(config, &make_model<Net, B>, argc, argv);
}

template <class Net, int B>
int train_main(std::string_view network, int argc, char** argv) {
    return train_main(network, std::size_t(Net::template instance<B>::num_params), &make_model<Net, B>, argc, argv);
}

}  // namespace hps
