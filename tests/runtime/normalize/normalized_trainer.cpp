// A trainer of `normalize inputs` and `normalize targets` (hps::train_main with a hand-built
// config), for trainer_test.py: regression of 2 outputs from 3 x 2 x 2 samples whose
// features and targets are far from mean 0 and std 1; the validation part is the last
// quarter of train.npz (split take last), so that the script knows the training part.
#include <hps/runtime.hpp>

using net = hps::network<hps::shape<3, 2, 2>, hps::conv2d<4, 2, 2, hps::same, hps::relu>, hps::dense<8, hps::tanh>,
                         hps::dense<2>>;

int main(int argc, char** argv) {
    hps::train_config config;
    config.study = "normalize";
    config.point = "normalized";
    config.identity = "normalized-1";
    config.train = "train.npz";
    config.test = "test.npz";
    config.split = 0.25;
    config.split_last = true;
    config.target = hps::target_kind::regression;
    config.outputs = 2;
    config.normalize_inputs = config.normalize_targets = true;
    config.loss = hps::loss_kind::mse;
    config.optimizer.kind = hps::optimizer_kind::adam;
    config.optimizer.set(hps::optimizer_setting::lr, 1e-2);
    config.steps = 300;
    config.checkpoints = 3;
    config.metrics = {{hps::metric_kind::mse, "mse", 0}, {hps::metric_kind::mae, "mae", 0}};
    return hps::train_main<net, 8>(config, argc, argv);
}
