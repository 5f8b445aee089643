// A small classification trainer for shared_core_test.py, built twice from this file: with
// the training core inline (<hps/runtime.hpp> alone) and under HPS_SHARED_TRAIN, linked
// with the core compiled once (runtime/hps/train.cpp). It uses what the core does around
// the network: dropout (its run-time rate and random draws), augmentation, a test set,
// penalties, gradient clipping, a schedule, metrics with a confusion matrix. With
// SHARED_CORE_NO_RATE set, its dropout is given no rate (startup_test.py: refused).
#include "classifier_config.hpp"

#include <cstdlib>

int main(int argc, char** argv) {
    hps::train_config config = classifier_config("shared-core", 120, 9);
    config.study = "shared_core";
    config.lr_schedule.kind = hps::schedule_kind::cosine;
    config.clip_norm = 1.0;
    config.penalties = {{2, 0.0, 0.01}};
    config.augment.flip_horizontal = true;
    config.layer_settings = {{3, "rate", 0.2}};
    if (std::getenv("SHARED_CORE_NO_RATE")) config.layer_settings.clear();
    config.metrics.push_back({hps::metric_kind::confusion, "confusion", 0});
    return hps::train_main<classifier_net, 16>(config, argc, argv);
}
