// A small classification trainer for shared_core_test.py, built twice from this file: with
// the training core inline (<hps/runtime.hpp> alone) and under HPS_SHARED_TRAIN, linked
// with the core compiled once (runtime/hps/train.cpp). It uses what the core does around
// the network: dropout (its run-time rate and random draws), augmentation, a test set,
// penalties, gradient clipping, a schedule, metrics with a confusion matrix. With
// SHARED_CORE_NO_RATE set, its dropout is given no rate (startup_test.py: refused).
#include <hps/runtime.hpp>

#include <cstdlib>

using net = hps::network<hps::shape<8, 8, 1>,
                         hps::conv2d<4, 3, 3, hps::same, hps::relu>,
                         hps::maxpool2d<2, 2>,
                         hps::dense<16, hps::tanh>,
                         hps::dropout<>,
                         hps::dense<3>>;

int main(int argc, char** argv) {
    hps::train_config config;
    config.study = "shared_core";
    config.point = "shared-core";
    config.identity = "shared-core-1";
    config.train = "train.npz";
    config.test = "test.npz";
    config.split = 0.2;
    config.target = hps::target_kind::classes;
    config.outputs = 3;
    config.loss = hps::loss_kind::softmax_ce;
    config.optimizer.kind = hps::optimizer_kind::adam;
    config.optimizer.set(hps::optimizer_setting::lr, 0.01);
    config.lr_schedule.kind = hps::schedule_kind::cosine;
    config.clip_norm = 1.0;
    config.penalties = {{2, 0.0, 0.01}};
    config.augment.flip_horizontal = true;
    config.layer_settings = {{3, "rate", 0.2}};
    if (std::getenv("SHARED_CORE_NO_RATE")) config.layer_settings.clear();
    config.steps = 120;
    config.checkpoints = 6;
    config.seed = 9;
    config.metrics = {{hps::metric_kind::accuracy, "accuracy", 0}, {hps::metric_kind::confusion, "confusion", 0}};
    config.select_metric = "accuracy";
    config.select_max = true;
    return hps::train_main<net, 16>(config, argc, argv);
}
