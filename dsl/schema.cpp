#include "dsl/schema.hpp"
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace hps::schema {

namespace {

option_spec as_opt() { return opt("as", name(), "", "the metric's name in reports (default: its kind)"); }

// A statement whose only content is its positional value: `batch 128`, `train "x.npz"`.
head_spec setting(std::string name, value_spec value, std::string default_text, std::string help,
                  bool required = false) {
    head_spec h;
    h.name = name;
    h.positional = std::move(value);
    h.positional_name = std::move(name);
    h.positional_required = true;
    h.positional_default = std::move(default_text);
    h.required = required;
    h.help = std::move(help);
    return h;
}

// A setting whose value the reference names and shows in use: `checkpoint_every DURATION`,
// usage `checkpoint_every "10min"`.
head_spec shown(head_spec h, std::string positional_name, std::string usage) {
    h.positional_name = std::move(positional_name);
    h.usage = std::move(usage);
    return h;
}

// A metric statement from the runtime's row: `within 0.2 [as acc20]`, `f1 [threshold 0.3] [as f]`.
head_spec metric(const hps::metric_info& m) {
    head_spec h;
    h.name = std::string(m.name);
    h.options = {as_opt()};
    h.repeatable = true;
    h.metric = &m;
    h.help = std::string(m.help);
    if (m.param == hps::metric_param::tolerance) {
        h.positional = real(0.0, true, std::nullopt, false);
        h.positional_name = "tolerance";
        h.positional_required = true;
        h.usage = h.name + " 0.20 [as acc20]";
        if (m.kind == hps::metric_kind::within)
            h.options.insert(h.options.begin(),
                             opt("one_sided", choice({"true", "false"}), "false",
                                 "true: the error is y/h - 1, not |y/h - 1| (CyPLAM's Equation 3 as printed: a "
                                 "prediction above the truth is within however far off); false: a zero or "
                                 "negative prediction is never within"));
    } else if (m.param == hps::metric_param::threshold) {
        h.options.insert(h.options.begin(), opt("threshold", real(0.0, true, 1.0, true), "0.5",
                                                "binary: a sample is positive when sigmoid(logit) > threshold"));
    }
    if (m.averaged) {
        // the runtime's averagings but binary, which is the binary target's own; roc_auc
        // has no micro (as sklearn's one-vs-rest)
        std::vector<std::string> averages;
        for (const auto& a : hps::average_table)
            if (a.kind != hps::metric_average::binary &&
                !(m.kind == hps::metric_kind::roc_auc && a.kind == hps::metric_average::micro))
                averages.emplace_back(a.name);
        std::string help = "classes: how the classes' values combine;";
        for (const auto& a : hps::average_table)
            if (std::find(averages.begin(), averages.end(), a.name) != averages.end())
                help += " " + std::string(a.name) + ": " + std::string(a.help) + ";";
        help.back() = ' ';
        help += "(docs/metrics.md)";
        h.options.insert(h.options.end() - 1, opt("average", choice(averages), "macro", help));
        h.options.insert(h.options.end() - 1,
                         opt("class", integer(0, 65535), "", "classes: this one class's value (0-based), not an average"));
        const std::string classes = h.name + " [average weighted | class 3] [as " + h.name + "_w] (classes)";
        h.usage = m.param == hps::metric_param::threshold ? h.name + " [threshold 0.3] [as " + h.name + "_30] (binary) | " + classes
                                                           : h.name + " [as auc] (binary) | " + classes;
    }
    const std::string plain = h.name + (m.param == hps::metric_param::tolerance ? " 0.2" : "");
    h.example = plain + "\n" + plain;
    if (m.kind == hps::metric_kind::within) h.example += " one_sided true";
    if (m.param == hps::metric_param::threshold) h.example += " threshold 0.3";
    h.example += " as my_" + h.name;
    if (m.averaged) h.example += "\n" + h.name + " average weighted\n" + h.name + " class 1 as " + h.name + "_1";
    return h;
}

// The optimizer statement from the runtime's tables: every optimizer, every setting with its
// bounds, the optimizers that take it and its default for each.
head_spec optimizer_head() {
    head_spec h;
    h.name = "optimizer";
    h.positional = choice(names_of(hps::optimizer_table), ranged);
    h.positional_name = "optimizer";
    h.positional_required = true;
    h.positional_default = "adam";
    for (const auto& s : hps::optimizer_setting_table) {
        value_spec v;
        if (s.flag) {
            v = choice({"true", "false"});
        } else {
            v = real(s.min, s.min_open, s.max == hps::unbounded ? std::nullopt : std::optional<double>(s.max), s.max_open,
                     ranged);
        }
        option_spec o = opt(std::string(s.name), v, "", std::string(s.help));
        // the default most optimizers give it is the option's; others are named per optimizer
        std::vector<std::pair<std::string, double>> defaults;
        for (const auto& op : hps::optimizer_table) {
            const double d = op.defaults[std::size_t(s.key)];
            if (std::isnan(d)) continue;
            o.only_with.emplace_back(op.name);
            defaults.emplace_back(op.name, d);
        }
        auto text = [&](double d) { return s.flag ? std::string(d != 0 ? "true" : "false") : number_text(d); };
        std::map<double, int> votes;
        for (const auto& [_, d] : defaults) ++votes[d];
        double common = defaults.front().second;
        for (const auto& [d, n] : votes)
            if (n > votes[common]) common = d;
        o.default_text = text(common);
        for (const auto& [name, d] : defaults)
            if (d != common) o.default_with.emplace_back(name, text(d));
        if (o.only_with.size() == hps::optimizer_table.size()) o.only_with.clear();
        h.options.push_back(std::move(o));
    }
    h.usage = "optimizer adam lr 1e-3";
    h.help = "the update rule and its settings (defaults as in Keras)";
    return h;
}

// ---------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------

std::vector<block_spec> make_blocks() {
    std::vector<block_spec> out;

    // data ------------------------------------------------------------------------
    {
        block_spec b;
        b.name = "data";
        b.required = true;
        b.help = "where the samples come from and what they look like";
        b.heads.push_back(setting("train", string(), "", "training set: data.npz (arrays x, y), x.npy,y.npy, data.h5 or "
                                  "data.h5:/x,/y (HDF5 datasets), data.csv (see target_columns), IDX (docs/data.md)",
                                  true));
        b.heads.push_back(setting("validation", string(), "", "validation set, evaluated at every checkpoint"));
        b.heads.push_back(setting("test", string(), "", "test set, evaluated once with the best checkpoint"));
        {
            head_spec h = setting("split", real(0.0, true, 1.0, true), "",
                                  "hold out this fraction of train as validation (instead of `validation`, or of `folds` in train)");
            h.options = {opt("take", choice({"random", "last"}), "random",
                             "random: a seeded draw of the samples; last: the file's last samples, in order (for "
                             "time-ordered data)"),
                         opt("seed", integer(0, 4294967295.0), "1",
                             "the draw's own seed, not the training's: points with another `seed` (repeats) share "
                             "one validation set")};
            h.usage = "split 0.3 [take last] [seed 7]";
            b.heads.push_back(std::move(h));
        }
        b.heads.push_back(setting("input", dims(), "", "the shape of one sample, channels last: 28 x 28 x 1 or 30",
                                  true));
        {
            head_spec h;
            h.name = "target";
            h.positional = choice({"binary"});
            h.positional_name = "kind";
            h.options = {opt("regression", integer(1), "", "N continuous outputs"),
                         opt("classes", integer(2), "", "K classes (integer labels 0..K-1 or one-hot)")};
            h.one_of = {"", "regression", "classes"};
            h.required = true;
            h.usage = "target regression N | target classes K | target binary";
            h.help = "what is predicted";
            b.heads.push_back(std::move(h));
        }
        b.heads.push_back(setting("scale", real(0.0, true, std::nullopt, false, ranged), "1",
                                  "multiply inputs by this after loading (1/255 for bytes)"));
        // `x` is a reserved word of the grammar (28 x 28), hence x_array and y_array
        b.heads.push_back(setting("x_array", string(), "x", "name of the input array in .npz files (the dataset in HDF5 files)"));
        b.heads.push_back(setting("y_array", string(), "y", "name of the label array in .npz files (the dataset in HDF5 files)"));
        {
            head_spec h = setting("normalize", choice({"inputs", "targets"}), "",
                                  "(x - mean) / std per feature, with the training part's statistics (after `split`); "
                                  "kept with the model (normalization.npz) and applied by model.py and hpsgen export; "
                                  "targets: regression only, metrics in the original units");
            h.repeatable = true;
            h.usage = "normalize inputs | normalize targets";
            b.heads.push_back(std::move(h));
        }
        b.heads.push_back(setting("target_columns", string(), "y",
                                  "a CSV table's target columns by name, comma-separated (\"price\" or \"lat, lon\"); "
                                  "every other column is an input (docs/data.md)"));
        b.one_of = {{"validation", "split"}};
        out.push_back(std::move(b));
    }

    // network ---------------------------------------------------------------------
    {
        block_spec b;
        b.name = "network";
        b.required = true;
        b.help = "the layers, input to output; a dense layer after a spatial one flattens it first";
        for (const layer_kind* k : layer_kinds()) b.heads.push_back(k->statement());  // dsl/layers/
        out.push_back(std::move(b));
    }

    // train -----------------------------------------------------------------------
    {
        block_spec b;
        b.name = "train";
        b.required = true;
        b.help = "the optimisation";
        b.heads.push_back(optimizer_head());
        {
            head_spec h = setting("loss", choice(names_of(hps::loss_table)), "",
                                  "mse, mse_half (1/2m sum of squares), mae (regression); bce on logits "
                                  "(binary); softmax_ce on logits (classes)",
                                  true);
            auto pos_weight = opt("pos_weight", real(0.0, true, std::nullopt, false, ranged), "1",
                                  "weight of the positive samples' loss, for imbalanced data (torch's pos_weight; "
                                  "about negatives / positives)");
            pos_weight.only_with = {"bce"};
            h.options = {pos_weight};
            b.heads.push_back(std::move(h));
        }
        b.heads.push_back(setting("batch", integer(1, 1 << 20, ranged), "32", "samples per step"));
        b.heads.push_back(setting("steps", integer(1, 1e15, ranged), "", "optimizer steps (instead of epochs)"));
        b.heads.push_back(setting("epochs", integer(1, 1e9, ranged), "", "passes over train (instead of steps)"));
        b.heads.push_back(setting("checkpoints", integer(1, 1e9), "10 (with epochs: one per epoch)",
                                  "validation evaluations, evenly spaced; the best one is kept"));
        b.heads.push_back(setting("seed", integer(0, 4294967295.0, ranged), "1",
                                  "seeds initialisation, shuffling, dropout and augmentation"));
        // not rangeable: `repeat N` is itself an axis, train.seed = seed, seed + 1, ..., seed + N - 1
        b.heads.push_back(setting("repeat", integer(1, 10000), "1",
                                  "train each configuration N times, with the seeds seed..seed+N-1 (an axis "
                                  "train.seed); the report groups a configuration's runs: mean and standard "
                                  "deviation of each metric, ranked by the mean"));
        {
            // not rangeable: `folds K` is itself an axis, train.fold = 0, 1, ..., K - 1
            head_spec h = setting("folds", integer(2, 1000), "",
                                  "k-fold cross-validation instead of `validation` or `split`: train each "
                                  "configuration K times (an axis train.fold, 0..K-1), run k validating on fold k "
                                  "of train and training on the others; the report groups a configuration's runs: "
                                  "mean and standard deviation of each metric, ranked by the mean");
            h.options = {opt("seed", integer(0, 4294967295.0), "1",
                             "the folds' draw (a shuffle of train cut into K near-equal parts), not the "
                             "training's seed: every run and repeat shares the folds")};
            h.usage = "folds 5 [seed 7]";
            b.heads.push_back(std::move(h));
        }
        b.heads.push_back(setting("patience", integer(0, 1e9, ranged), "0",
                                  "stop after this many checkpoints without improvement (0: never)"));
        {
            head_spec h;
            h.name = "lr_schedule";
            h.positional = choice(names_of(hps::schedule_table), ranged);
            h.positional_name = "kind";
            h.positional_required = true;
            h.positional_default = "constant";
            auto gamma = opt("gamma", real(0.0, true, 1.0, false, ranged), "0.1", "the factor");
            gamma.only_with = {"step", "exponential"};
            auto every = opt("every", integer(1, 1e15, ranged), "", "steps between reductions (required)");
            every.only_with = {"step"};
            auto warmup = opt("warmup", integer(0, 1e15, ranged), "0",
                              "steps of linear warm-up from lr/warmup to lr, before the cosine");
            warmup.only_with = {"cosine"};
            auto min_lr = opt("min_lr", real(0.0, false, std::nullopt, false, ranged), "0",
                              "cosine: the lr at the run's end; plateau: the lowest lr");
            min_lr.only_with = {"cosine", "plateau"};
            auto factor = opt("factor", real(0.0, true, 1.0, true, ranged), "0.1", "the factor of each reduction");
            factor.only_with = {"plateau"};
            auto patience = opt("patience", integer(0, 1e9, ranged), "10",
                                "checkpoints without improvement of the selection metric tolerated before a reduction");
            patience.only_with = {"plateau"};
            h.options = {gamma, every, warmup, min_lr, factor, patience};
            h.usage = "lr_schedule step gamma 0.5 every 1000 | lr_schedule exponential gamma 0.999 | "
                      "lr_schedule cosine warmup 500 [min_lr 1e-5] | lr_schedule plateau factor 0.5 patience 3";
            h.help = "the learning rate over the run, per optimizer step: constant, step (StepLR), exponential "
                     "(ExponentialLR), cosine (linear warm-up, then CosineAnnealingLR to the run's end), plateau "
                     "(ReduceLROnPlateau on the selection metric at each checkpoint, its direction the select "
                     "goal's; threshold a relative 1e-4, cooldown 0)";
            b.heads.push_back(std::move(h));
        }
        b.heads.push_back(setting("clip_norm", real(0.0, true, std::nullopt, false, ranged), "none",
                                  "scale the gradients to this global L2 norm at most (torch clip_grad_norm_)"));
        b.heads.push_back(setting("precision", choice({"fp32", "bf16"}, ranged), "fp32",
                                  "the conv and dense layers' products: fp32, or bf16 mixed precision (inputs rounded "
                                  "to bf16, sums, weights, optimizer and loss in fp32; needs a CPU with AVX512_BF16 "
                                  "and a study built with HPS_NATIVE on, else the trainer refuses to start; a study none of whose "
                                  "points is bf16 builds fp32 only, so its trainers refuse --precision bf16 unless "
                                  "configured with -DHPS_BF16=ON)"));
        // not an axis: how often a trainer saves its state does not change its result
        b.heads.push_back(shown(setting("checkpoint_every", string(string_format::duration), "\"10min\"",
                                        "save the trainer's state (resume.bin) every DURATION of training, so that a "
                                        "kill without warning (out of memory, a node failure) loses at most that; "
                                        "\"0\": only on a stop signal (SIGTERM, Slurm's warning)"),
                                "duration", "checkpoint_every \"10min\""));
        // not an axis either: where the metrics are also logged changes no number. (`log` is
        // a keyword of log ranges, so the statement is `logging`.)
        b.heads.push_back(shown(setting("logging", choice({"all", "tensorboard", "mlflow", "none"}), "all",
                                        "also log each trainer's metrics for TensorBoard (STUDY/tensorboard/<point>/, "
                                        "with the HParams plugin's data) and MLflow (STUDY/mlruns/, a file store): "
                                        "all, one of them, or none (docs/logging.md)"),
                                "destination", "logging all | logging tensorboard | logging mlflow | logging none"));
        b.one_of = {{"steps", "epochs"}};
        out.push_back(std::move(b));
    }

    // augment ---------------------------------------------------------------------
    {
        block_spec b;
        b.name = "augment";
        b.help = "random changes to each training sample, drawn anew every step (never to validation or test)";
        b.heads.push_back(setting("brightness", real(0.0, false, 1.0, false, ranged), "0",
                                  "add U(-b, b) times the training inputs' range (max - min) to a sample"));
        b.heads.push_back(setting("contrast", real(0.0, false, 1.0, false, ranged), "0",
                                  "scale a sample's deviations from its mean by 1 + U(-c, c)"));
        b.heads.push_back(setting("flip", choice({"horizontal", "vertical", "both", "none"}, ranged), "none",
                                  "mirror the width (horizontal), the height (vertical) or each, each with "
                                  "probability 1/2"));
        b.heads.push_back(setting("translate", integer(0, 4096, ranged), "0",
                                  "shift every spatial dimension by up to this many positions, filling with 0"));
        out.push_back(std::move(b));
    }

    // metrics ---------------------------------------------------------------------
    {
        block_spec b;
        b.name = "metrics";
        b.help = "what is measured at each checkpoint and which checkpoint is best "
                 "(default: mse for regression, accuracy otherwise)";
        for (const auto& m : hps::metric_table) b.heads.push_back(metric(m));
        {
            head_spec h;
            h.name = "select";
            h.options = {opt("max", name(), "", "the metric to maximise"), opt("min", name(), "", "the metric to minimise")};
            h.one_of = {"max", "min"};
            h.usage = "select max acc20 | select min mse";
            h.help = "the metric that picks each trainer's best checkpoint and ranks the trainers "
                     "(default: the first scalar metric)";
            b.heads.push_back(std::move(h));
        }
        out.push_back(std::move(b));
    }

    // search ----------------------------------------------------------------------
    {
        block_spec b;
        b.name = "search";
        b.help = "which points of the space are trained, and for how long (default: every grid point, to the end)";
        {
            head_spec h;
            h.name = "grid";
            h.usage = "grid";
            h.help = "every point of the grid after tuples and where (the default)";
            b.heads.push_back(std::move(h));
        }
        {
            head_spec h = setting("random", integer(1, 1e6), "",
                                  "N points drawn from the grid, each once; the same seed draws the same points, and "
                                  "the first N of a larger N are the same N");
            h.positional_name = "N";
            h.options = {opt("seed", integer(0, 4294967295.0), "1", "the draw's seed")};
            h.usage = "random 20 [seed 7]";
            b.heads.push_back(std::move(h));
        }
        {
            head_spec h;
            h.name = "halving";
            h.options = {opt("eta", integer(2, 1e3), "3", "rung r keeps the best 1/eta of rung r-1 (at least one)"),
                         opt("min_steps", integer(1, 1e15), "", "rung 0's steps (required)"),
                         opt("max_steps", integer(1, 1e15), "the train block's steps",
                             "the last rung's steps: min_steps x eta^k"),
                         opt("brackets", integer(1, 1e3), "1",
                             "Hyperband: B halvings side by side, each over its share of the points; bracket b starts "
                             "at min_steps x eta^(b-1) with fewer points (at most the number of rungs)")};
            h.options[1].required = true;
            h.usage = "halving eta 3 min_steps 2000 [max_steps 18000] [brackets 3]";
            h.help = "successive halving: every point trains min_steps, the best 1/eta continue (from their "
                     "checkpoint) to min_steps x eta, and so on to max_steps; ranked by the selection metric at each "
                     "rung's last step (ties: the lower point id)";
            b.heads.push_back(std::move(h));
        }
        b.one_of = {};
        out.push_back(std::move(b));
    }

    // slurm -----------------------------------------------------------------------
    {
        block_spec b;
        b.name = "slurm";
        b.help = "the job array's resources (sbatch options)";
        b.heads.push_back(setting("partition", string(), "", "--partition"));
        b.heads.push_back(setting("account", string(), "", "--account"));
        b.heads.push_back(setting("qos", string(), "", "--qos"));
        b.heads.push_back(setting("cpus", integer(1, 4096), "1", "--cpus-per-task: the trainer's threads"));
        b.heads.push_back(setting("mem", string(string_format::slurm_mem), "",
                                  "--mem, e.g. \"4G\" (with ranks: a rank's, asked as --mem-per-cpu)"));
        b.heads.push_back(setting("time", string(string_format::slurm_time), "", "--time, e.g. \"10:00:00\""));
        b.heads.push_back(setting("throttle", integer(1, 1e6), "", "at most this many tasks at once (--array=...%N)"));
        b.heads.push_back(setting("chunk", integer(1, 1e6), "1", "grid points per array task (see packing)"));
        b.heads.push_back(setting("packing", choice({"sequential", "side_by_side"}), "sequential",
                                  "a chunk's points one after another with every cpu of the task, or side by side "
                                  "sharing them (at least one thread each)"));
        b.heads.push_back(setting("build", choice({"before", "node"}), "before",
                                  "where trainers are built: before submitting (hpsgen submit), or in each task on its "
                                  "node (-march=native there)"));
        b.heads.push_back(setting("report", choice({"yes", "no"}), "yes",
                                  "submit a job that runs hpsgen report when the arrays have ended"));
        b.heads.push_back(setting("ranks", integer(1, 4096), "1",
                                  "MPI processes that train each point together (data-parallel: each computes the "
                                  "gradients of batch/ranks samples, averaged every step; srun --ntasks, mpirun -n); "
                                  "batch must be a multiple"));
        {
            head_spec h = setting("extra", string(), "", "an extra #SBATCH line, as written");
            h.repeatable = true;
            b.heads.push_back(std::move(h));
        }
        out.push_back(std::move(b));
    }

    // examples (docs/language.md), for the rows above that do not make their own ----
    const std::vector<std::pair<std::string_view, std::string_view>> examples = {
        {"data.train", "train \"data/train.npz\"\ntrain \"data/x.npy,data/y.npy\""},
        {"data.validation", "validation \"data/validation.npz\""},
        {"data.test", "test \"data/test.npz\""},
        {"data.split", "split 0.1\nsplit 0.3 take last seed 7"},
        {"data.input", "input 28 x 28 x 1\ninput 30"},
        {"data.target", "target regression 2\ntarget classes 10\ntarget binary"},
        {"data.scale", "scale 1/255"},
        {"data.x_array", "x_array \"images\""},
        {"data.y_array", "y_array \"labels\""},
        {"train.optimizer", "optimizer adam lr 1e-5..1e-2 log 4\n"
                            "optimizer adam lr 1e-3 beta1 0.9 beta2 0.999 eps 1e-8 weight_decay 1e-4\n"
                            "optimizer sgd lr 0.01 momentum 0.9 nesterov true\n"
                            "optimizer momentum lr {0.01, 0.1} momentum 0.9\n"
                            "optimizer rmsprop lr 1e-3 rho 0.9 momentum 0 eps 1e-7 centered true\n"
                            "optimizer adadelta lr 1 rho 0.95 eps 1e-7\n"
                            "optimizer adamw lr 1e-3 weight_decay 0.05"},
        {"train.loss", "loss mse_half\nloss bce pos_weight 3"},
        {"train.batch", "batch {64, 128}"},
        {"train.steps", "steps 400000"},
        {"train.epochs", "epochs 10"},
        {"train.checkpoints", "checkpoints 200"},
        {"train.seed", "seed {1, 2, 3}"},
        {"train.repeat", "repeat 5"},
        {"train.folds", "folds 5\nfolds 10 seed 7"},
        {"train.patience", "patience 5"},
        {"train.lr_schedule", "lr_schedule step gamma 0.5 every 1000\n"
                              "lr_schedule exponential gamma 0.999\n"
                              "lr_schedule cosine warmup 500 min_lr 1e-5\n"
                              "lr_schedule plateau factor 0.5 patience 3 min_lr 1e-6"},
        {"train.clip_norm", "clip_norm 1.0"},
        {"train.precision", "precision bf16"},
        {"train.checkpoint_every", "checkpoint_every \"10min\"\ncheckpoint_every \"0\""},
        {"augment.brightness", "brightness 0.25"},
        {"augment.contrast", "contrast {0, 0.25}"},
        {"augment.flip", "flip horizontal"},
        {"augment.translate", "translate 2"},
        {"metrics.select", "select max accuracy\nselect min mse"},
        {"search.grid", "grid"},
        {"search.random", "random 20\nrandom 20 seed 7"},
        {"search.halving", "halving eta 3 min_steps 2000 max_steps 18000\nhalving eta 3 min_steps 2000 max_steps 18000 brackets 3"},
        {"slurm.partition", "partition \"thinnodes\""},
        {"slurm.account", "account \"proj42\""},
        {"slurm.qos", "qos \"normal\""},
        {"slurm.cpus", "cpus 12"},
        {"slurm.mem", "mem \"4G\""},
        {"slurm.time", "time \"10:00:00\""},
        {"slurm.throttle", "throttle 64"},
        {"slurm.chunk", "chunk 4"},
        {"slurm.packing", "packing side_by_side"},
        {"slurm.build", "build node"},
        {"slurm.report", "report no"},
        {"slurm.ranks", "ranks 2"},
        {"slurm.extra", "extra \"--constraint=avx512\""},
    };
    for (auto& b : out)
        for (auto& h : b.heads)
            for (const auto& [where, text] : examples)
                if (h.example.empty() && where == b.name + "." + h.name) h.example = text;
    return out;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit((unsigned char)c); });
}

}  // namespace

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// How the reference shows a head's positional value: `dropout RATE`, `batch N`.
std::string metavar(const head_spec& h) {
    if (!h.positional_name.empty() && h.positional_name != h.name) {
        std::string upper = h.positional_name;
        for (char& c : upper) c = char(std::toupper((unsigned char)c));
        return upper;
    }
    switch (h.positional->kind) {
    case value_kind::integer: return "N";
    case value_kind::real: return "X";
    case value_kind::choice: return "NAME";
    case value_kind::string: return "\"TEXT\"";
    case value_kind::dims: return "SIZES";
    case value_kind::name: return "NAME";
    }
    return "VALUE";
}

const std::vector<block_spec>& blocks() {
    static const std::vector<block_spec> table = make_blocks();
    return table;
}

const block_spec* find_block(std::string_view name) {
    for (const auto& b : blocks())
        if (b.name == name) return &b;
    return nullptr;
}

const head_spec* find_head(const block_spec& block, std::string_view name) {
    for (const auto& h : block.heads)
        if (h.name == name) return &h;
    return nullptr;
}

const option_spec* find_option(const head_spec& head, std::string_view key) {
    for (const auto& o : head.options)
        if (o.key == key) return &o;
    return nullptr;
}

std::vector<std::string> block_names() {
    std::vector<std::string> out;
    for (const auto& b : blocks()) out.push_back(b.name);
    return out;
}

std::vector<std::string> head_names(const block_spec& block, bool include_unsupported) {
    std::vector<std::string> out;
    for (const auto& h : block.heads)
        if (include_unsupported || !h.unsupported) out.push_back(h.name);
    return out;
}

std::vector<std::string> option_keys(const head_spec& head) {
    std::vector<std::string> out;
    for (const auto& o : head.options) out.push_back(o.key);
    return out;
}

std::vector<std::string> metric_targets(const hps::metric_info& m) {
    std::vector<std::string> out;
    for (const auto& t : hps::target_table)
        if (hps::metric_applies(m.kind, t.kind)) out.emplace_back(t.name);
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    // 1 edit for short words, about a third of the word for long ones
    const std::size_t limit = std::max<std::size_t>(1, (word.size() + 1) / 3);
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string c = closest(word, candidates);
    return c.empty() ? std::string() : "; did you mean '" + c + "'?";
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i) out += separator;
        out += words[i];
    }
    return out;
}

std::string describe(const value_spec& v) {
    switch (v.kind) {
    case value_kind::integer:
        // the maximum guards against absurd sizes; it is said when it is broken
        return v.min ? "a whole number >= " + number_text(*v.min) : "a whole number";
    case value_kind::real: {
        if (v.min && v.max)
            return "a number in " + std::string(v.min_open ? "(" : "[") + number_text(*v.min) + ", " +
                   number_text(*v.max) + (v.max_open ? ")" : "]");
        if (v.min) return std::string("a number ") + (v.min_open ? "> " : ">= ") + number_text(*v.min);
        if (v.max) return std::string("a number ") + (v.max_open ? "< " : "<= ") + number_text(*v.max);
        return "a number";
    }
    case value_kind::choice:
        return v.choices.size() == 1 ? v.choices[0] : "one of " + join(v.choices);
    case value_kind::string:
        switch (v.format) {
        case string_format::slurm_mem: return "a string like \"4G\" or \"5000M\"";
        case string_format::slurm_time: return "a string like \"10:00:00\" or \"2-00:00:00\"";
        case string_format::duration: return "a string like \"10min\", \"90s\" or \"2h\"";
        default: return "a string in double quotes";
        }
    case value_kind::dims: return "sizes like 28 x 28 x 1";
    case value_kind::name: return "a name";
    }
    return "a value";
}

bool string_ok(string_format format, const std::string& text, std::string& why) {
    switch (format) {
    case string_format::any: return true;
    case string_format::nonempty:
        if (!text.empty()) return true;
        why = "a non-empty string";
        return false;
    case string_format::slurm_mem: {
        std::string_view s = text;
        if (!s.empty() && std::string_view("KMGTkmgt").find(s.back()) != std::string_view::npos)
            s.remove_suffix(1);
        if (all_digits(s)) return true;
        why = "a memory size like \"4G\", \"500M\" or \"5000\" (megabytes)";
        return false;
    }
    case string_format::slurm_time: {
        // minutes | MM:SS | HH:MM:SS | D-HH | D-HH:MM | D-HH:MM:SS
        std::string_view s = text;
        auto dash = s.find('-');
        std::vector<std::string_view> parts;
        bool days = dash != std::string_view::npos;
        if (days) {
            if (!all_digits(s.substr(0, dash))) goto bad;
            s = s.substr(dash + 1);
        }
        while (true) {
            auto colon = s.find(':');
            parts.push_back(s.substr(0, colon));
            if (colon == std::string_view::npos) break;
            s = s.substr(colon + 1);
        }
        if (parts.size() > 3) goto bad;
        for (auto p : parts)
            if (!all_digits(p)) goto bad;
        return true;
    bad:
        why = "a time like \"90\" (minutes), \"10:00:00\" or \"2-12:00:00\"";
        return false;
    }
    case string_format::duration:
        if (duration_seconds(text)) return true;
        why = "a duration like \"10min\", \"90s\" or \"1.5h\" (\"0\": none)";
        return false;
    }
    return true;
}

std::optional<double> duration_seconds(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit((unsigned char)text[digits]) || text[digits] == '.')) ++digits;
    const std::string_view number = text.substr(0, digits), unit = text.substr(digits);
    // digits with at most one point, inside: 10, 0.5, 1.5 (not 1., .5 or 1.2.3)
    if (number.empty() || number.front() == '.' || number.back() == '.' ||
        std::count(number.begin(), number.end(), '.') > 1)
        return std::nullopt;
    const double value = std::strtod(std::string(number).c_str(), nullptr);
    const double factor = unit.empty() || unit == "s" ? 1 : unit == "min" ? 60 : unit == "h" ? 3600 : 0;
    if (factor == 0 || !std::isfinite(value * factor)) return std::nullopt;
    return value * factor;
}

std::string reference() {
    std::string out =
        "The .hps language: blocks, their statements and options.\n"
        "A statement is `head [value] {key value}`. Values marked * may be a set {a, b},\n"
        "a range lo..hi step s, a log range lo..hi log n, or the name of a `let` axis:\n"
        "each such value adds an axis to the grid.\n";
    for (const auto& b : blocks()) {
        out += "\n" + b.name + " {" + (b.required ? "}  (required)" : "}") + "  " + b.help + "\n";
        for (const auto& h : b.heads) {
            if (h.unsupported) continue;
            std::string line = "  " + h.name;
            if (h.positional) {
                std::string p = metavar(h);
                line += h.positional_required && h.positional_default.empty() ? " " + p : " [" + p + "]";
            }
            out += line + std::string(line.size() < 16 ? 16 - line.size() : 1, ' ') + h.help;
            std::vector<std::string> marks;
            if (h.required) marks.push_back("required");
            if (h.repeatable) marks.push_back("repeatable");
            if (!marks.empty()) out += " (" + join(marks) + ")";
            out += "\n";
            if (!h.usage.empty()) out += "      usage: " + h.usage + "\n";
            if (h.positional) {
                out += "      " + metavar(h) + ": " + describe(*h.positional) + (h.positional->rangeable ? " *" : "");
                if (!h.positional_default.empty()) out += " (default " + h.positional_default + ")";
                out += "\n";
            }
            for (const auto& o : h.options) {
                out += "      " + o.key + ": " + describe(o.value) + (o.value.rangeable ? " *" : "");
                if (o.required) out += " (required)";
                if (!o.default_text.empty()) {
                    out += " (default " + o.default_text;
                    for (const auto& [c, d] : o.default_with) out += "; " + c + ": " + d;
                    out += ")";
                }
                if (!o.only_with.empty()) out += " [" + join(o.only_with, ", ") + " only]";
                out += " - " + o.help + "\n";
            }
        }
        for (const auto& g : b.one_of) out += "  exactly one of: " + join(g) + "\n";
        std::vector<std::string> unsupported;
        for (const auto& h : b.heads)
            if (h.unsupported) unsupported.push_back(h.name);
        if (!unsupported.empty()) out += "  not supported yet: " + join(unsupported) + "\n";
    }
    out += "\nAround the blocks:\n";
    for (const auto& f : top_level_forms())
        out += "  " + f.usage + std::string(f.usage.size() < 25 ? 27 - f.usage.size() : 2, ' ') + f.help + "\n";
    return out;
}

const std::vector<form_spec>& top_level_forms() {
    static const std::vector<form_spec> forms = {
        {"let NAME = VALUE", "a named axis; `activation NAME` in several layers ties them", "let act = {relu, elu}"},
        {"tuples (a, b) { (1, 2) }", "only these combinations of the named axes",
         "tuples (conv2d1.filters, conv2d1.kernel) { (8, 3) (16, 5) }"},
        {"where EXPR", "keep the points where EXPR holds (== != < <= > >= + - * / % and or not)",
         "where dense1.units >= 2 * conv2d1.filters"},
    };
    return forms;
}

}  // namespace hps::schema
