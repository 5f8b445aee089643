// The config the small 8 x 8 x 1, 3-class trainers of tests/runtime/train share
// (shared_core_trainer.cpp, ranks_trainer.cpp): data train.npz with a 20 % split and
// test.npz, softmax cross-entropy, adam, selected by accuracy. Each adds what it tests.
#pragma once

#include <hps/runtime.hpp>

// the network of shared_core_trainer.cpp and tests/runtime/numerics/numerics_trainer.cpp
// (ranks_trainer.cpp's has no dropout): conv, max pool, dense, dropout, dense
using classifier_net = hps::network<hps::shape<8, 8, 1>,
                                    hps::conv2d<4, 3, 3, hps::same, hps::relu>,
                                    hps::maxpool2d<2, 2>,
                                    hps::dense<16, hps::tanh>,
                                    hps::dropout<>,
                                    hps::dense<3>>;

inline hps::train_config classifier_config(const char* name, long steps, unsigned long seed) {
    hps::train_config config;
    config.study = name;
    config.point = name;
    config.identity = std::string(name) + "-1";
    config.train = "train.npz";
    config.test = "test.npz";
    config.split = 0.2;
    config.target = hps::target_kind::classes;
    config.outputs = 3;
    config.loss = hps::loss_kind::softmax_ce;
    config.optimizer.kind = hps::optimizer_kind::adam;
    config.optimizer.set(hps::optimizer_setting::lr, 0.01);
    config.steps = steps;
    config.checkpoints = 6;
    config.seed = seed;
    config.metrics = {{hps::metric_kind::accuracy, "accuracy", 0}};
    config.select_metric = "accuracy";
    config.select_max = true;
    return config;
}
