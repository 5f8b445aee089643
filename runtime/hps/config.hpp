// The contract between hpsgen and the runtime: the kinds of target, loss, optimizer,
// metric and activation as enums, one table each of their names, defaults and
// properties, and the typed train_config a trainer runs on.
//
// Written once, here. The runtime reads the tables (an optimizer's defaults, a metric's
// direction); the language (dsl/schema.cpp) builds its statements, choices, defaults and
// `hpsgen check --reference` from the same tables; the generator fills train_config with
// enum values, so a trainer never parses a name the generator gave it. A hand-written
// trainer fills the same struct and gets the same defaults as a generated one.
//
// Light on purpose (no Eigen): the front end includes it.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hps {

// ------------------------------------------------------------------ targets
enum class target_kind { regression, classes, binary };

struct target_info {
    target_kind kind;
    std::string_view name;
};
inline constexpr std::array<target_info, 3> target_table{{
    {target_kind::regression, "regression"},
    {target_kind::classes, "classes"},
    {target_kind::binary, "binary"},
}};

// ------------------------------------------------------------------ activations
// The activation functions fused into conv and dense layers; each is the runtime type
// hps::<name> (hps/activations.hpp).
enum class activation_kind { relu, elu, selu, softplus, sigmoid, tanh, linear };

struct activation_info {
    activation_kind kind;
    std::string_view name;
};
inline constexpr std::array<activation_info, 7> activation_table{{
    {activation_kind::relu, "relu"},
    {activation_kind::elu, "elu"},
    {activation_kind::selu, "selu"},
    {activation_kind::softplus, "softplus"},
    {activation_kind::sigmoid, "sigmoid"},
    {activation_kind::tanh, "tanh"},
    {activation_kind::linear, "linear"},
}};

// ------------------------------------------------------------------ losses
enum class loss_kind { mse, mse_half, mae, bce, softmax_ce };

struct loss_info {
    loss_kind kind;
    std::string_view name;
    target_kind target;  // the target kind it is meant for
    std::string_view help;
};
inline constexpr std::array<loss_info, 5> loss_table{{
    {loss_kind::mse, "mse", target_kind::regression, "mean squared error"},
    {loss_kind::mse_half, "mse_half", target_kind::regression, "1/2m sum of squares (CyPLAM's)"},
    {loss_kind::mae, "mae", target_kind::regression, "mean absolute error"},
    {loss_kind::bce, "bce", target_kind::binary, "binary cross-entropy on logits"},
    {loss_kind::softmax_ce, "softmax_ce", target_kind::classes, "softmax cross-entropy on logits"},
}};

// ------------------------------------------------------------------ metrics
enum class metric_kind { mse, mse_half, mae, rmse, within, accuracy, confusion, precision, recall, f1, eff_pur, roc_auc };

// What a metric's number (metric_spec::param) means, if it takes one.
enum class metric_param { none, tolerance, threshold };

// How precision, recall, f1 and roc_auc combine a classes target's K one-vs-rest values
// (scikit-learn's `average`). A binary target's are the positive class's (binary); on a
// classes target binary means macro, the default there.
enum class metric_average { binary, macro, micro, weighted };

struct average_info {
    metric_average kind;
    std::string_view name;
    std::string_view help;
};
inline constexpr std::array<average_info, 4> average_table{{
    {metric_average::binary, "binary", "the positive class's (a binary target)"},
    {metric_average::macro, "macro", "the mean over the K classes, each counting alike"},
    {metric_average::micro, "micro",
     "from the true and false positives summed over the classes (one label per sample: the accuracy)"},
    {metric_average::weighted, "weighted", "the mean over the classes weighted by their support (true samples)"},
}};

struct metric_info {
    metric_kind kind;
    std::string_view name;
    bool regression, classes, binary;  // the target kinds it applies to
    bool higher_is_better;
    bool scalar;  // a number (may rank checkpoints), not a matrix
    metric_param param;
    bool averaged;  // on a classes target: one value per class, combined by metric_average
    std::string_view help;
};
inline constexpr std::array<metric_info, 12> metric_table{{
    {metric_kind::within, "within", true, false, false, true, true, metric_param::tolerance, false,
     "share of samples whose largest relative error max_j |y_j/h_j - 1| is below TOL (one_sided true: max_j (y_j/h_j - 1), "
     "the CyPLAM paper's formula as printed)"},
    {metric_kind::mse, "mse", true, false, false, false, true, metric_param::none, false, "mean squared error"},
    {metric_kind::mse_half, "mse_half", true, false, false, false, true, metric_param::none, false,
     "sum of squared errors over outputs / 2, averaged over samples"},
    {metric_kind::mae, "mae", true, false, false, false, true, metric_param::none, false, "mean absolute error"},
    {metric_kind::rmse, "rmse", true, false, false, false, true, metric_param::none, false, "root mean squared error"},
    {metric_kind::accuracy, "accuracy", false, true, true, true, true, metric_param::none, false,
     "share of samples classified right"},
    {metric_kind::precision, "precision", false, true, true, true, true, metric_param::threshold, true,
     "true positives / predicted positives (classes: each class's, averaged)"},
    {metric_kind::recall, "recall", false, true, true, true, true, metric_param::threshold, true,
     "true positives / actual positives (classes: each class's, averaged)"},
    {metric_kind::f1, "f1", false, true, true, true, true, metric_param::threshold, true,
     "harmonic mean of precision and recall (classes: each class's, averaged)"},
    {metric_kind::roc_auc, "roc_auc", false, true, true, true, true, metric_param::none, true,
     "area under the ROC curve (classes: each class against the rest on softmax probabilities, averaged over the "
     "classes present in the targets)"},
    {metric_kind::eff_pur, "eff_pur", false, false, true, true, true, metric_param::none, false,
     "efficiency x purity: recall x precision"},
    {metric_kind::confusion, "confusion", false, true, true, true, false, metric_param::none, false,
     "the confusion matrix (reported, not ranked)"},
}};

// A metric as a trainer computes it.
struct metric_spec {
    metric_kind kind = metric_kind::mse;
    std::string name;  // as reported; empty: the kind's name
    double param = 0;  // within: the tolerance; binary metrics: the threshold (0: 0.5)
    bool one_sided = false;  // within: max_k (y_k/h_k - 1), not |y_k/h_k - 1| (hps/metrics.hpp)
    // precision, recall, f1, roc_auc of a classes target: how the classes combine, or
    // (class_index >= 0) that one class's value alone
    metric_average average = metric_average::binary;
    int class_index = -1;
};

// ------------------------------------------------------------------ optimizers
enum class optimizer_kind { sgd, momentum, adam, rmsprop, adadelta, adamw };

// Every setting any optimizer takes. A flag (nesterov, centered) is 0 or 1.
enum class optimizer_setting { lr, momentum, nesterov, beta1, beta2, eps, rho, centered, weight_decay };
inline constexpr std::size_t optimizer_setting_count = 9;

struct optimizer_setting_info {
    optimizer_setting key;
    std::string_view name;
    double min, max;  // bounds; an open bound excludes its value
    bool min_open, max_open;
    bool flag;  // true or false (1 or 0)
    std::string_view help;
};
inline constexpr double unbounded = std::numeric_limits<double>::infinity();
inline constexpr std::array<optimizer_setting_info, optimizer_setting_count> optimizer_setting_table{{
    {optimizer_setting::lr, "lr", 0, unbounded, true, false, false, "learning rate"},
    {optimizer_setting::momentum, "momentum", 0, 1, false, true, false, "momentum coefficient"},
    {optimizer_setting::nesterov, "nesterov", 0, 1, false, false, true, "Nesterov momentum"},
    {optimizer_setting::beta1, "beta1", 0, 1, false, true, false, "first moment decay"},
    {optimizer_setting::beta2, "beta2", 0, 1, false, true, false, "second moment decay"},
    {optimizer_setting::eps, "eps", 0, unbounded, true, false, false, "added to the denominator"},
    {optimizer_setting::rho, "rho", 0, 1, false, true, false, "decay of the squared-gradient average"},
    {optimizer_setting::centered, "centered", 0, 1, false, false, true,
     "divide by the gradient's estimated variance, not its second moment"},
    {optimizer_setting::weight_decay, "weight_decay", 0, unbounded, false, false, false,
     "adamw: decoupled, w *= 1 - lr * weight_decay before each step (torch AdamW); the others: adds "
     "weight_decay * w to every gradient (coupled L2, torch's convention)"},
}};

inline constexpr double not_taken = std::numeric_limits<double>::quiet_NaN();

struct optimizer_info {
    optimizer_kind kind;
    std::string_view name;
    // the default of every setting, by optimizer_setting; NaN: this optimizer does not take it
    std::array<double, optimizer_setting_count> defaults;
    std::string_view help;
};
// The one set of defaults (Keras's where torch's differ: RMSprop lr 0.001, rho 0.9,
// eps 1e-7; Adadelta rho 0.95, eps 1e-7), for generated and hand-written trainers alike.
//                                        lr     momentum nesterov beta1 beta2  eps    rho   centered weight_decay
inline constexpr std::array<optimizer_info, 6> optimizer_table{{
    {optimizer_kind::sgd, "sgd", {0.01, 0, 0, not_taken, not_taken, not_taken, not_taken, not_taken, 0},
     "p -= lr g (with momentum > 0: as momentum)"},
    {optimizer_kind::momentum, "momentum", {0.01, 0.9, 0, not_taken, not_taken, not_taken, not_taken, not_taken, 0},
     "SGD with (optionally Nesterov) momentum"},
    {optimizer_kind::adam, "adam", {0.001, not_taken, not_taken, 0.9, 0.999, 1e-8, not_taken, not_taken, 0}, "Adam"},
    {optimizer_kind::rmsprop, "rmsprop", {0.001, 0, not_taken, not_taken, not_taken, 1e-7, 0.9, 0, 0}, "RMSprop"},
    {optimizer_kind::adadelta, "adadelta", {1.0, not_taken, not_taken, not_taken, not_taken, 1e-7, 0.95, not_taken, 0},
     "Adadelta"},
    {optimizer_kind::adamw, "adamw", {0.001, not_taken, not_taken, 0.9, 0.999, 1e-8, not_taken, not_taken, 0.01},
     "AdamW: Adam with decoupled weight decay (torch's default 0.01)"},
}};

// ------------------------------------------------------------------ learning-rate schedules
// The learning rate at optimizer step t (0-based) of T, as a factor of the optimizer's lr
// (hps/schedule.hpp has the formulas, each torch.optim.lr_scheduler's).
enum class schedule_kind { constant, step, exponential, cosine, plateau };

struct schedule_info {
    schedule_kind kind;
    std::string_view name;
    std::string_view help;
};
inline constexpr std::array<schedule_info, 5> schedule_table{{
    {schedule_kind::constant, "constant", "the optimizer's lr throughout"},
    {schedule_kind::step, "step", "lr x gamma every N steps (torch StepLR)"},
    {schedule_kind::exponential, "exponential", "lr x gamma^t (torch ExponentialLR)"},
    {schedule_kind::cosine, "cosine",
     "linear warm-up over `warmup` steps, then cosine down to min_lr at the run's end (torch LinearLR then "
     "CosineAnnealingLR)"},
    {schedule_kind::plateau, "plateau",
     "lr x factor when the selection metric has not improved (by a relative 1e-4) for more than `patience` "
     "checkpoints (torch ReduceLROnPlateau, cooldown 0)"},
}};

struct schedule_config {
    schedule_kind kind = schedule_kind::constant;
    double gamma = 0.1;  // step, exponential: the factor
    long every = 0;  // step: steps between reductions
    long warmup = 0;  // cosine: warm-up steps
    double min_lr = 0;  // cosine: the lr at the end; plateau: the lowest lr
    double factor = 0.1;  // plateau: the factor of each reduction
    long patience = 10;  // plateau: checkpoints without improvement tolerated
};

// ------------------------------------------------------------------ lookups
template <class Table, class Kind>
constexpr const auto& info_of(const Table& table, Kind kind) {
    for (const auto& row : table)
        if (row.kind == kind) return row;
    throw std::logic_error("hps: a kind missing from its table");
}
template <class Table>
constexpr const auto* find_by_name(const Table& table, std::string_view name) {
    for (const auto& row : table)
        if (row.name == name) return &row;
    return static_cast<decltype(&table[0])>(nullptr);
}

constexpr const target_info& info(target_kind k) { return info_of(target_table, k); }
constexpr const activation_info& info(activation_kind k) { return info_of(activation_table, k); }
constexpr const loss_info& info(loss_kind k) { return info_of(loss_table, k); }
constexpr const metric_info& info(metric_kind k) { return info_of(metric_table, k); }
constexpr const optimizer_info& info(optimizer_kind k) { return info_of(optimizer_table, k); }
constexpr const schedule_info& info(schedule_kind k) { return info_of(schedule_table, k); }
constexpr const average_info& info(metric_average k) { return info_of(average_table, k); }
constexpr const optimizer_setting_info& info(optimizer_setting k) { return optimizer_setting_table[std::size_t(k)]; }

template <class Kind>
constexpr std::string_view name_of(Kind k) {
    return info(k).name;
}

constexpr bool metric_applies(metric_kind k, target_kind t) {
    const metric_info& m = info(k);
    return t == target_kind::regression ? m.regression : t == target_kind::classes ? m.classes : m.binary;
}

// ------------------------------------------------------------------ optimizer settings
// An optimizer and the settings given to it; every other setting takes the table's
// default. Settings the optimizer does not take are refused when the optimizer is built.
struct optimizer_config {
    optimizer_kind kind = optimizer_kind::adam;
    std::array<double, optimizer_setting_count> given{};  // by optimizer_setting, where is_given
    std::array<bool, optimizer_setting_count> is_given{};

    optimizer_config& set(optimizer_setting k, double v) {
        given[std::size_t(k)] = v;
        is_given[std::size_t(k)] = true;
        return *this;
    }
    bool takes(optimizer_setting k) const { return !std::isnan(info(kind).defaults[std::size_t(k)]); }
    bool has(optimizer_setting k) const { return is_given[std::size_t(k)]; }
    // the value in force: given, else the default (NaN when the optimizer does not take it)
    double operator[](optimizer_setting k) const {
        return has(k) ? given[std::size_t(k)] : info(kind).defaults[std::size_t(k)];
    }
};

// ------------------------------------------------------------------ augmentation
struct augment_config {
    double brightness = 0;  // >= 0: add U(-b, b) * the training data's range
    double contrast = 0;    // in [0, 1]: scale deviations from the mean by 1 + U(-c, c)
    bool flip_horizontal = false;  // reverse the width with probability 1/2
    bool flip_vertical = false;    // reverse the height with probability 1/2
    int translate = 0;      // >= 0: shift each spatial dimension by up to this many positions

    bool active() const { return brightness > 0 || contrast > 0 || flip_horizontal || flip_vertical || translate > 0; }
};

// ------------------------------------------------------------------ the trainer's config
struct penalty_spec {
    int layer = 0;  // index in the network's layer list
    double l1 = 0, l2 = 0;
};

// A value a layer takes at run time (dropout<>'s rate): hps::network::set_layer
struct layer_setting {
    int layer = 0;  // index in the network's layer list
    std::string name;  // "rate"
    double value = 0;
};

struct axis_setting {
    std::string name, value;
};

// Everything a trainer needs besides its network type and batch size. hpsgen fills it
// for a grid point; a hand-written trainer fills it by hand. Paths are relative to the
// folder the trainer runs in (the study folder).
// The arithmetic of the conv and dense layers' products: fp32 throughout, or bf16 mixed
// precision (hps/layers/bf16_kernels.hpp: the products' inputs rounded to bf16, summed in
// fp32; parameters, gradients, optimizer, loss and element-wise passes stay fp32).
enum class precision { fp32, bf16 };

struct train_config {
    std::string study = "study", point = "model";
    // what the result belongs to (hps/settings.hpp, identity_json): a run folder's result.json
    // and resume.bin carry it, and a trainer refuses either when they carry another
    std::string identity;
    std::string lineage;  // the identity without the training's length: a longer run may continue a shorter
    std::size_t point_id = 0, num_points = 1;
    // data
    std::string train, validation, test;
    double split = 0;  // > 0 and no validation: hold out this fraction of train
    bool split_last = false;  // the split's validation part: train's last samples, not a draw
    unsigned long split_seed = 1;  // the draw's seed (not `seed`: repeats share one validation set)
    // folds >= 2 and no validation: k-fold cross-validation, this run validating on fold
    // `fold` (0-based) of train, drawn with split_seed (hps/dataset.hpp, fold_indices_of)
    int folds = 0, fold = 0;
    std::string x_name = "x", y_name = "y";  // array names in .npz files
    target_kind target = target_kind::regression;
    int outputs = 1;  // regression: outputs; classes: K; binary: 1
    double scale = 1;  // multiply inputs by this after loading (1/255 for bytes)
    // per-feature (x - mean) / std with the training part's statistics (hps/normalize.hpp);
    // targets: regression only, the metrics in the original units
    bool normalize_inputs = false, normalize_targets = false;
    // training
    loss_kind loss = loss_kind::mse;
    optimizer_config optimizer;
    schedule_config lr_schedule;  // the lr over the run (hps/schedule.hpp)
    double clip_norm = 0;  // > 0: gradients scaled to this global L2 norm at most (torch clip_grad_norm_)
    // the conv and dense layers' products in fp32 or in bf16 mixed precision (hps/core.hpp);
    // a bf16 run refuses to start where the kernels or the CPU lack AVX512_BF16
    precision prec = precision::fp32;
    long steps = 0, epochs = 0;  // one of them > 0
    int checkpoints = 10;  // validation evaluations, evenly spaced
    unsigned long seed = 1;
    int patience = 0;  // evaluations without improvement before stopping; 0: never
    double pos_weight = 1;  // bce: weight of the positive samples' loss (torch's pos_weight)
    // seconds of training between two saves of resume.bin (at a step's end), so that a
    // kill that gives no warning (SIGKILL: the OOM killer, a node failure) loses at most
    // this much; 0: saved only on a stop signal. Not part of the identity: it does not
    // change the result (a resumed run ends as an uninterrupted one)
    double checkpoint_every = 600;
    // the processes that train this point together, each on batch/ranks samples of every
    // batch (hps/train/ranks.hpp; MPI); in the identity when above 1: a result equals one
    // process's only within float rounding
    int ranks = 1;
    // where the trainer also logs its metrics (hps/train/run_logs.hpp, docs/logging.md):
    // TensorBoard event files and an MLflow file store in the study folder. Not part of
    // the identity: they change no number
    bool log_tensorboard = true, log_mlflow = true;
    // evaluation
    std::vector<metric_spec> metrics;
    bool select_max = true;
    std::string select_metric;  // a metric's name; empty: validation loss, min
    std::vector<penalty_spec> penalties;
    std::vector<layer_setting> layer_settings;  // set on the network before training
    augment_config augment;  // applied to training batches only (hps/augment.hpp)
    // for the record
    std::vector<axis_setting> axes;
    std::size_t params = 0;
};

}  // namespace hps
