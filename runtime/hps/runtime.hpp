// The one header a trainer includes: the hps runtime, header-only.
//
//   hps/core.hpp      shapes, random numbers, buffers, the layer contract
//   hps/network.hpp   layer specs composed into one fixed-shape network
//   hps/layers.hpp    conv2d, maxpool2d, avgpool2d, dense, dropout, flatten, activations
//   hps/losses.hpp    mse, mse_half, mae, bce (logits), softmax_ce (logits)
//   hps/optimizers.hpp, hps/penalties.hpp
//   hps/dataset.hpp   .npy/.npz/IDX loading, checks, seeded splits
//   hps/metrics.hpp   validation metrics, streamed over batches
//   hps/train.hpp     train_main: the trainer's life from argv to result.json
//                     (its parts: hps/train/cli, run_dir, results, torch_export, trainer)
// Under HPS_SHARED_TRAIN (a generated study's trainers) the training core is only declared
// here and linked from the study's hps_train library (hps/train/entry.hpp); dataset.hpp,
// metrics.hpp and the train/ parts are then not included.
#pragma once

#include "hps/layers.hpp"
#include "hps/train.hpp"
