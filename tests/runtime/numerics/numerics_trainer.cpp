// The trainer case of runtime.numerics (numerics_test.py): what the training core does
// around the network, whose numbers the numerics version covers too: the drawn split, the
// shuffle, normalisation, every augmentation, a schedule, clipping, penalties, dropout's
// run-time rate, the checkpoints' evaluations, a test set, and a classes target's metrics
// (accuracy, f1, precision, ROC AUC, the confusion matrix). Data: tests/runtime/train/classifier_data.py's.
#include "../train/classifier_config.hpp"

int main(int argc, char** argv) {
    hps::train_config config = classifier_config("numerics", 60, 7);
    config.normalize_inputs = true;
    config.lr_schedule.kind = hps::schedule_kind::cosine;
    config.clip_norm = 1.0;
    config.penalties = {{0, 0.001, 0.0}, {2, 0.0, 0.01}};
    config.augment = {0.1, 0.2, true, true, 1};  // brightness, contrast, both flips, translate
    config.layer_settings = {{3, "rate", 0.2}};
    config.metrics = {{hps::metric_kind::accuracy, "accuracy", 0},
                      {hps::metric_kind::f1, "f1", 0, false, hps::metric_average::macro},
                      {hps::metric_kind::precision, "precision", 0, false, hps::metric_average::weighted},
                      {hps::metric_kind::roc_auc, "roc_auc", 0, false, hps::metric_average::macro},
                      {hps::metric_kind::confusion, "confusion", 0}};
    return hps::train_main<classifier_net, 16>(config, argc, argv);
}
