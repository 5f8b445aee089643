// The training core every trainer of a study shares (hps::train_main, hps::trainer: data,
// evaluation, checkpoints, results, logs, the loop; none of it a template), compiled once
// per study folder instead of once per trainer. A generated study's CMakeLists.txt builds
// this file into hps_train, with the trainers' own flags, and defines HPS_SHARED_TRAIN for
// them, so that their <hps/runtime.hpp> only declares it (hps/train/entry.hpp).
#define HPS_INSTANTIATE_TRAIN
#include "hps/train.hpp"
