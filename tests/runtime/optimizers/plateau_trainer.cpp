// A trainer with `lr_schedule plateau factor 0.5 patience 1` (hps::train_main with a
// hand-built config), for plateau_resume_test.py: regression of 1 output from 4 features,
// an lr high enough that the validation loss stalls and the schedule halves it several
// times in 120 steps of 40 checkpoints.
#include <hps/runtime.hpp>

using net = hps::network<hps::shape<4>, hps::dense<8, hps::tanh>, hps::dense<1>>;

int main(int argc, char** argv) {
    hps::train_config config;
    config.study = "plateau";
    config.point = "plateau";
    config.identity = "plateau-1";
    config.train = "train.npz";
    config.split = 0.25;
    config.target = hps::target_kind::regression;
    config.outputs = 1;
    config.loss = hps::loss_kind::mse;
    config.optimizer.kind = hps::optimizer_kind::adam;
    config.optimizer.set(hps::optimizer_setting::lr, 0.05);
    config.lr_schedule.kind = hps::schedule_kind::plateau;
    config.lr_schedule.factor = 0.5;
    config.lr_schedule.patience = 1;
    config.steps = 120;
    config.checkpoints = 40;
    config.metrics = {{hps::metric_kind::mse, "mse", 0}};
    return hps::train_main<net, 8>(config, argc, argv);
}
