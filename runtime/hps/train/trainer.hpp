// hps::trainer: one training run of a network, from its run folder to result.json
// (train_main, hps/train.hpp, makes one from the command line and runs it). It is not a
// template: the network is a model_interface (hps/train/model.hpp) that a factory makes,
// so the whole class is compiled once per study (hps/train/entry.hpp).
//   - locks the run folder; a finished run of this configuration is not trained again
//     (hps/train/run_dir.hpp);
//   - loads the data once (npz/npy/IDX) and checks it against the network's shapes;
//   - trains for the configured steps (or epochs), evaluating the validation set at
//     `checkpoints` evenly spaced steps, keeping the best parameters by the selection
//     metric (best.npz), stopping early after `patience` evaluations without improvement;
//   - writes metrics.csv and result.json (hps/train/results.hpp) and model.py
//     (hps/train/torch_export.hpp), and logs the metrics for TensorBoard and MLflow
//     (hps/train/run_logs.hpp);
//   - saves resume.bin every `checkpoint_every` seconds of training (at a step's end,
//     atomically: a kill at any moment leaves the last one whole) and on a stop signal,
//     and resumes from it, ending exactly as an uninterrupted run;
//   - with `ranks N`, runs as one of N processes (hps/train/ranks.hpp), each training on
//     its share of every batch, their gradients averaged each step, layer by layer as the
//     backward pass goes; rank 0 evaluates and writes every file; the ranks of a node read
//     one copy of the training set, which the node's first rank loads into memory they
//     share (docs/design.md, sections 22 and 28).
#pragma once

#include "hps/augment.hpp"
#include "hps/checkpoint.hpp"
#include "hps/config.hpp"
#include "hps/dataset.hpp"
#include "hps/io.hpp"
#include "hps/layers/amx_kernels.hpp"
#include "hps/losses.hpp"
#include "hps/metrics.hpp"
#include "hps/normalize.hpp"
#include "hps/schedule.hpp"
#include "hps/npz.hpp"
#include "hps/optimizers.hpp"
#include "hps/penalties.hpp"
#include "hps/train/cli.hpp"
#include "hps/train/continuation.hpp"
#include "hps/train/results.hpp"
#include "hps/train/run_dir.hpp"
#include "hps/train/run_logs.hpp"
#include "hps/train/startup.hpp"
#include "hps/train/entry.hpp"
#include "hps/train/model.hpp"
#include "hps/train/ranks.hpp"
#include "hps/train/torch_export.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace hps {

namespace train_detail {

struct clock_type {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
};

}  // namespace train_detail

class trainer {
public:
    // make_network: called once by run(), after the process is set up (threads, allocator)
    trainer(const train_config& config, const train_detail::options& opt, model_factory make_network)
        : c_(config), o_(opt), make_network_(make_network) {}

    int run();

private:
    using evaluation = train_detail::evaluation;

    void say(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));
    void load_data();
    void load_files(const data_spec& spec, const std::string& train_path);  // the node's leader's part of load_data
    void share_training_set();
    evaluation evaluate(const dataset& data, bool with_curves = false);
    double selection_value(const evaluation& e) const;
    bool better(double candidate, double best) const;
    void save_best_files();
    void save_resume(const std::string& file = "resume.bin");  // in the run folder
    bool try_resume(const std::string& file, const std::string& key);  // a checkpoint's path and key
    // resume.bin's float arrays, in their order: parameters, state, optimizer state, best
    // parameters, best state
    template <class F> void for_each_array(F&& f) {
        f(model_->params(), model_->num_params());
        f(model_->state(), model_->num_state());
        f(opt_->state().data(), opt_->state().size());
        f(best_params_.data(), best_params_.size());
        f(best_state_.data(), best_state_.size());
    }
    void write_metrics_csv() const {
        if (group_.leader()) train_detail::write_metrics_csv(path("metrics.csv"), csv_columns_, history_);
    }
    void write_result(const std::string& status, const std::string& message);
    void fill_batch(long step, float* x, float* y);
    std::vector<long> checkpoint_steps() const;

    std::string path(const std::string& name) const { return run_dir_ + "/" + name; }

    train_config c_;
    train_detail::options o_;
    plateau_state plateau_;  // lr_schedule plateau (hps/schedule.hpp); saved in resume.bin
    std::string run_dir_;
    // what this run changes of its configuration from the command line ("steps=30,
    // checkpoints=4"; empty: none): recorded in result.json, part of resume.bin's key
    std::string overrides_;
    std::string continued_from_;  // "<identity> at step N" when this run continued a shorter one
    int lock_fd_ = -1;
    int threads_ = 1;
    dataset train_, validation_, test_;  // inputs normalized; targets normalized in train_ alone
    // the training set's inputs (in_size_, train_.n) and targets (target_rows_, train_.n):
    // train_'s own arrays, or with ranks the node's one copy, which its ranks share
    // (share_training_set); validation_ and test_ are rank 0's alone, which evaluates
    const float* train_x_ = nullptr;
    const float* train_y_ = nullptr;
    bool data_failed_elsewhere_ = false;  // ranks: another node's leader could not load the data
    normalization norm_;  // `normalize`: the training part's statistics (hps/normalize.hpp)
    target_kind task_ = target_kind::regression;
    std::vector<metric_spec> metric_specs_;
    bool has_confusion_ = false;
    bool has_test_ = false;
    int target_rows_ = 1;
    long total_steps_ = 0, steps_per_epoch_ = 0;
    double base_lr_ = 0;  // the optimizer's lr: a schedule's lr0

    model_factory make_network_;
    std::unique_ptr<model_interface> model_;
    int batch_ = 0, in_size_ = 0, out_size_ = 0;  // the network's, read once it is made
    // the processes training this point (one unless `ranks`); each computes batch_ samples
    // of a step's batch of global_batch_; rank 0 alone evaluates and writes
    train_detail::rank_group& group_ = train_detail::rank_group::world();
    int global_batch_ = 0;
    std::unique_ptr<optimizer> opt_;
    loss_kind loss_ = loss_kind::mse;
    rng dropout_rng_{1};
    augmenter augment_;  // the training batches' augmentation, set up once the data is loaded
    context ctx_;

    // progress of the run: what resume.bin holds
    long step_ = 0;
    double elapsed_before_ = 0;  // seconds trained before this process
    double train_loss_sum_ = 0;
    long train_loss_count_ = 0;
    long best_step_ = -1;
    double best_value_ = 0;
    int stale_ = 0;  // evaluations since the best
    train_detail::metric_values best_values_;
    train_detail::confusion_matrix best_confusion_;
    std::string history_;  // metrics.csv rows after the header
    buffer best_params_, best_state_;

    train_detail::clock_type clock_;
    std::vector<std::string> csv_columns_;
    std::vector<int> perm_;  // this epoch's order of the training samples
    long perm_epoch_ = -1;
    train_detail::run_logs logs_;  // metrics.csv's rows for TensorBoard and MLflow
};

HPS_TRAIN_INLINE void trainer::say(const char* fmt, ...) const {
    if (!group_.leader()) return;
    va_list args;
    va_start(args, fmt);
    train_detail::vsay(c_.point, fmt, args);
    va_end(args);
}

HPS_TRAIN_INLINE void trainer::load_data() {
    const data_spec spec = data_spec_of(c_, model_->in_shape());
    if (c_.target == target_kind::classes) {
        target_rows_ = 1;
        if (out_size_ != c_.outputs)
            throw data_error("the network has " + std::to_string(out_size_) + " outputs but the spec has " +
                             std::to_string(c_.outputs) + " classes");
    } else if (c_.target == target_kind::binary) {
        target_rows_ = 1;
    } else {
        target_rows_ = c_.outputs;
        if (out_size_ != c_.outputs)
            throw data_error("the network has " + std::to_string(out_size_) + " outputs but the spec's target has " +
                             std::to_string(c_.outputs));
    }
    task_ = spec.target;
    const std::string train_path = o_.train.empty() ? c_.train : o_.train;
    if (train_path.empty()) throw data_error("no training data: the spec names none and --train was not given");
    // ranks: each node's leader alone reads the files; a failure on any stops every rank
    std::exception_ptr failed;
    if (group_.node_leader()) {
        try {
            load_files(spec, train_path);
        } catch (...) {
            failed = std::current_exception();
        }
    }
    if (group_.active()) {
        double failures = failed ? 1 : 0;
        group_.sum(&failures, 1);
        if (failures > 0 && !failed) {
            data_failed_elsewhere_ = true;
            throw data_error("the data could not be loaded on another node (the error of its first rank says why)");
        }
    }
    if (failed) std::rethrow_exception(failed);
    share_training_set();
    if (train_.n < global_batch_)
        throw data_error(train_path + ": " + std::to_string(train_.n) + " training samples, fewer than one batch of " +
                         std::to_string(global_batch_) + "; lower `batch` or add data");
    augment_.setup(c_.augment, spec.input, augmenter::data_range(train_x_, std::size_t(train_.n) * std::size_t(in_size_)));
    steps_per_epoch_ = train_.n / global_batch_;  // the last partial batch of an epoch is dropped
    total_steps_ = c_.steps > 0 ? c_.steps : c_.epochs * steps_per_epoch_;
    if (o_.steps > 0) total_steps_ = o_.steps;
    if (total_steps_ <= 0) throw data_error("nothing to train: the spec gives no steps or epochs");
    // a cosine schedule's warm-up must fit the run, whose length epochs give only now
    if (const std::string why = schedule_problem(c_.lr_schedule, total_steps_); !why.empty())
        throw data_error(why + " (" + std::to_string(steps_per_epoch_) + " steps per epoch)");
    say("data: %d training, %d validation%s samples; %ld steps of %d (%.2f epochs)", train_.n, validation_.n,
        has_test_ ? (", " + std::to_string(test_.n) + " test").c_str() : "", total_steps_, global_batch_,
        double(total_steps_) / double(steps_per_epoch_));
    // which kernels the conv layers' bf16 products run on (hps/layers/amx_kernels.hpp)
    if (c_.prec == precision::bf16) say("precision bf16: %s", bf16_kernels_in_use());
}

// The training, validation and test sets, split and normalized. With ranks, only the
// leader of each node calls it, and only rank 0 loads the validation and test files.
HPS_TRAIN_INLINE void trainer::load_files(const data_spec& spec, const std::string& train_path) {
    const std::string validation_path = o_.validation.empty() ? c_.validation : o_.validation;
    const std::string test_path = o_.test.empty() ? c_.test : o_.test;
    train_ = load_dataset(train_path, spec);
    if (!validation_path.empty()) {
        if (group_.leader()) validation_ = load_dataset(validation_path, spec);
    } else if (c_.folds > 0) {  // k-fold cross-validation: this run's fold validates
        auto [tr, va] = split_fold(train_, c_.folds, c_.fold, c_.split_seed);
        train_ = std::move(tr);
        validation_ = std::move(va);
    } else if (c_.split > 0) {
        auto [tr, va] = c_.split_last ? split_last(train_, c_.split) : split(train_, c_.split, c_.split_seed);
        train_ = std::move(tr);
        validation_ = std::move(va);
    } else {
        throw data_error("no validation data: name a validation file or a `split` fraction in the spec");
    }
    if (!test_path.empty() && group_.leader()) {
        test_ = load_dataset(test_path, spec);
        has_test_ = true;
    }
    if (group_.leader() && validation_.n < 1) throw data_error("the validation set is empty");
    if (!group_.leader()) validation_ = dataset{};  // a split's validation part: rank 0 alone evaluates
    if (c_.normalize_inputs || c_.normalize_targets) {  // after the split: the training part's statistics
        if (c_.normalize_targets && task_ != target_kind::regression)
            throw data_error("normalize targets is for regression; the spec's target is " + std::string(name_of(task_)));
        norm_ = normalization_of(train_, c_.normalize_inputs, c_.normalize_targets);
        if (norm_.inputs())
            for (dataset* d : {&train_, &validation_, &test_}) normalize_values(d->x.data(), d->x.size(), norm_.input_mean, norm_.input_std);
        if (norm_.targets()) normalize_values(train_.y.data(), train_.y.size(), norm_.target_mean, norm_.target_std);
    }
}

// train_x_ and train_y_: train_'s arrays, or with ranks one copy per node in memory its
// ranks share, moved there by the node's leader (hps/train/ranks.hpp); train_.n on every
// rank. With ranks, rank 0 says what each rank holds.
HPS_TRAIN_INLINE void trainer::share_training_set() {
    const auto [x, x_count] = group_.share_on_node(train_.x);
    train_x_ = x;
    train_y_ = group_.share_on_node(train_.y).first;
    if (!group_.node_leader()) {
        train_.n = int(x_count / std::size_t(in_size_));
        train_.x_size = in_size_;
        train_.y_size = target_rows_;
    }
    if (!group_.active()) return;
    // the bytes of data each rank holds (its own arrays and the shared memory it allocated),
    // and how many nodes
    const auto held = [](const dataset& d) { return double((d.x.capacity() + d.y.capacity()) * sizeof(float)); };
    std::vector<double> bytes(std::size_t(group_.size()) + 1, 0.0);
    bytes[std::size_t(group_.rank())] = held(train_) + held(validation_) + held(test_) + double(group_.shared_bytes());
    bytes.back() = group_.node_leader() ? 1 : 0;
    group_.sum(bytes.data(), int(bytes.size()));
    std::string per_rank;
    for (int r = 0; r < group_.size(); ++r)
        per_rank += (r > 0 ? ", " : "") + train_detail::size_text(bytes[std::size_t(r)]);
    const int nodes = int(bytes.back());
    say("%d ranks on %d node%s: data in memory per rank %s; the training set's %s once per node, shared by its ranks",
        group_.size(), nodes, nodes == 1 ? "" : "s", per_rank.c_str(),
        train_detail::size_text(double(std::size_t(train_.n) * std::size_t(in_size_ + target_rows_) * sizeof(float))).c_str());
}

// Batches follow a permutation of the training set per epoch, drawn from (seed, epoch)
// alone: a resumed run draws the same batches without storing any permutation.
HPS_TRAIN_INLINE void trainer::fill_batch(long step, float* x, float* y) {
    const long epoch = step / steps_per_epoch_;
    if (epoch != perm_epoch_) {
        perm_.resize(std::size_t(train_.n));
        std::iota(perm_.begin(), perm_.end(), 0);
        rng shuffle(c_.seed * 0x9E3779B97F4A7C15ull + std::uint64_t(epoch) + 1);
        for (std::size_t i = perm_.size() - 1; i > 0; --i) std::swap(perm_[i], perm_[shuffle.below(i + 1)]);
        perm_epoch_ = epoch;
    }
    // rank r's share of the step's batch: its samples r*batch_ .. (r+1)*batch_ - 1
    const int share = group_.rank() * batch_;
    const long first = (step % steps_per_epoch_) * global_batch_ + share;
    for (int b = 0; b < batch_; ++b) {
        const int s = perm_[std::size_t(first + b)];
        std::copy_n(train_x_ + std::size_t(s) * in_size_, in_size_, x + std::size_t(b) * in_size_);
        std::copy_n(train_y_ + std::size_t(s) * target_rows_, target_rows_, y + std::size_t(b) * target_rows_);
    }
    augment_.apply(x, batch_, c_.seed, step, share);  // training batches only; draws from (seed, step) alone
}

HPS_TRAIN_INLINE trainer::evaluation trainer::evaluate(const dataset& data, bool with_curves) {
    context ctx;
    ctx.mode = phase::infer;
    ctx.gen = nullptr;
    ctx.prec = c_.prec;
    evaluator ev(task_, out_size_, metric_specs_, std::size_t(data.n));
    buffer x(std::size_t(in_size_) * batch_, 0.0f), y(std::size_t(target_rows_) * batch_, 0.0f);
    // normalized targets: the loss in the training's units, the metrics in the data's
    buffer y_norm(norm_.targets() ? y.size() : 0), out_raw(norm_.targets() ? std::size_t(out_size_) * batch_ : 0);
    double loss_sum = 0;
    for (int first = 0; first < data.n; first += batch_) {
        const int valid = std::min(batch_, data.n - first);
        std::copy_n(data.x.data() + std::size_t(first) * in_size_, std::size_t(valid) * in_size_, x.data());
        std::copy_n(data.y.data() + std::size_t(first) * target_rows_, std::size_t(valid) * target_rows_, y.data());
        const float* out = model_->forward(x.data(), ctx);
        if (norm_.targets()) {
            std::copy(y.begin(), y.end(), y_norm.begin());
            normalize_values(y_norm.data(), y_norm.size(), norm_.target_mean, norm_.target_std);
            loss_sum += compute_loss(loss_, out_size_, batch_, out, y_norm.data(), nullptr, valid, c_.pos_weight) * valid;
            std::copy_n(out, out_raw.size(), out_raw.data());
            denormalize_values(out_raw.data(), out_raw.size(), norm_.target_mean, norm_.target_std);
            out = out_raw.data();
        } else {
            loss_sum += compute_loss(loss_, out_size_, batch_, out, y.data(), nullptr, valid, c_.pos_weight) * valid;
        }
        ev.add(out, y.data(), valid);
    }
    evaluation e;
    e.loss = loss_sum / data.n;
    e.values.push_back({"loss", e.loss});
    for (const auto& [name, value] : ev.values()) e.values.push_back({name, value});
    const int k = ev.confusion_classes();
    if (k > 0 && (has_confusion_ || task_ == target_kind::classes)) {
        const auto flat = ev.confusion();
        e.confusion.assign(std::size_t(k), std::vector<long>(std::size_t(k)));
        for (int t = 0; t < k; ++t)
            for (int p = 0; p < k; ++p) e.confusion[std::size_t(t)][std::size_t(p)] = long(flat[std::size_t(t * k + p)]);
    }
    if (with_curves && task_ == target_kind::binary) e.curves = ev.curves();
    return e;
}

HPS_TRAIN_INLINE double trainer::selection_value(const evaluation& e) const {
    if (c_.select_metric.empty()) return e.loss;
    return train_detail::find_metric(e.values, c_.select_metric);
}

HPS_TRAIN_INLINE bool trainer::better(double candidate, double best) const {
    if (!std::isfinite(candidate)) return false;
    if (best_step_ < 0) return true;
    const bool maximize = c_.select_metric.empty() ? false : c_.select_max;
    return maximize ? candidate > best : candidate < best;
}

HPS_TRAIN_INLINE std::vector<long> trainer::checkpoint_steps() const {
    return train_detail::checkpoint_steps(total_steps_, o_.checkpoints > 0 ? o_.checkpoints : c_.checkpoints);
}

HPS_TRAIN_INLINE void trainer::save_best_files() {
    if (!group_.leader()) return;
    // best.npz: the best parameters under PyTorch's state_dict names and layouts
    buffer current(model_->params(), model_->params() + model_->num_params());
    buffer current_state(model_->state(), model_->state() + model_->num_state());
    std::copy(best_params_.begin(), best_params_.end(), model_->params());
    std::copy(best_state_.begin(), best_state_.end(), model_->state());
    tensor_list tensors;
    model_->export_params(tensors);
    std::copy(current.begin(), current.end(), model_->params());
    std::copy(current_state.begin(), current_state.end(), model_->state());
    std::vector<npz_entry> entries;
    for (const auto& t : tensors.tensors)
        entries.emplace_back(t.name, std::vector<std::int64_t>(t.shape.begin(), t.shape.end()), t.data.data());
    write_npz(path("best.npz"), entries);
    if (norm_.inputs() || norm_.targets())
        write_normalization(path("normalization.npz"), norm_, model_->in_shape());
}

HPS_TRAIN_INLINE void trainer::write_result(const std::string& status, const std::string& message) {
    if (!group_.leader()) return;
    train_detail::run_report r;
    r.status = status;
    r.message = message;
    r.params = std::size_t(model_->num_params());
    r.opt = opt_.get();
    r.steps = step_;
    r.total_steps = total_steps_;
    r.best_step = best_step_;
    r.best_values = best_values_;
    r.best_confusion = best_confusion_;
    r.show_confusion = has_confusion_;
    const bool finished = best_step_ >= 0 && (status == "done" || status == "early_stopped");
    if (finished && (has_test_ || task_ == target_kind::binary)) {
        std::copy(best_params_.begin(), best_params_.end(), model_->params());
        std::copy(best_state_.begin(), best_state_.end(), model_->state());
    }
    // the curves of the best checkpoint's validation predictions, evaluated again at its
    // parameters: nothing to keep per checkpoint or in resume.bin
    if (finished && task_ == target_kind::binary) r.best_curves = evaluate(validation_, true).curves;
    if (has_test_ && finished) {
        r.test = evaluate(test_);
        history_ += train_detail::evaluation_row(best_step_, "test", csv_columns_, r.test->values,
                                                 elapsed_before_ + clock_.seconds());
        write_metrics_csv();
    }
    r.wall_seconds = elapsed_before_ + clock_.seconds();
    r.threads = threads_;
    r.batch = global_batch_;
    r.overrides = overrides_;
    r.continued_from = continued_from_;
    write_file_atomic(path("result.json"), train_detail::result_json(c_, r));
}

HPS_TRAIN_INLINE void trainer::save_resume(const std::string& file) {
    if (!group_.leader()) return;
    checkpoint_writer out(path(file));
    out.text(c_.identity + "|" + overrides_);
    out.i64(step_);
    out.f64(elapsed_before_ + clock_.seconds());
    out.f64(train_loss_sum_);
    out.i64(train_loss_count_);
    out.i64(best_step_);
    out.f64(best_value_);
    out.i64(stale_);
    out.text(history_);
    out.values(best_values_);
    out.matrix(best_confusion_);
    auto st = dropout_rng_.save();
    for (auto word : st) out.u64(word);
    out.i64(opt_->steps_taken());
    if (c_.lr_schedule.kind == schedule_kind::plateau) {  // its lr follows the evaluations
        out.f64(plateau_.lr);
        out.f64(plateau_.best);
        out.i64(plateau_.bad);
    }
    for_each_array([&](float* p, std::size_t n) { out.floats(p, n); });
    out.commit();
}

HPS_TRAIN_INLINE bool trainer::try_resume(const std::string& file, const std::string& key) {
    if (!std::filesystem::exists(file)) return false;
    checkpoint_reader in(file);
    if (in.text() != key)
        throw io_error(file + " belongs to another configuration (identity " + c_.identity +
                       (overrides_.empty() ? "" : " with " + overrides_) +
                       " expected); start over with --fresh");
    step_ = in.i64();
    elapsed_before_ = in.f64();
    train_loss_sum_ = in.f64();
    train_loss_count_ = in.i64();
    best_step_ = in.i64();
    best_value_ = in.f64();
    stale_ = int(in.i64());
    history_ = in.text();
    best_values_ = in.values();
    best_confusion_ = in.matrix();
    std::array<std::uint64_t, rng::state_words> st{};
    for (auto& word : st) word = in.u64();
    dropout_rng_.restore(st);
    opt_->set_steps_taken(in.i64());
    if (c_.lr_schedule.kind == schedule_kind::plateau) {
        plateau_.lr = in.f64();
        plateau_.best = in.f64();
        plateau_.bad = in.i64();
        opt_->set_lr(plateau_.lr);
    }
    for_each_array([&](float* p, std::size_t n) { in.floats(p, n); });
    in.finish();
    return true;
}

HPS_TRAIN_INLINE int trainer::run() {
    threads_ = train_detail::choose_threads(o_.threads);
    // the process set up, the network made with its run-time layer values, before anything is written
    model_ = train_detail::start_model(c_, o_, make_network_, threads_);
    if (!model_) return 2;
    batch_ = model_->batch();
    in_size_ = model_->in_size();
    out_size_ = model_->out_size();
    global_batch_ = batch_ * group_.size();
    // a point of a study trains into results/<identity>; a hand-written trainer into runs/<point>
    run_dir_ = !o_.run_dir.empty() ? o_.run_dir : o_.settings.empty() ? "runs/" + c_.point : "results/" + c_.identity;
    overrides_ = train_detail::overrides_text(o_);
    // a finished run of this configuration with other overrides (a quick look with --steps)
    // is kept aside, as under --fresh, not taken for this run's result
    // rank 0 alone locks the run folder (and moves a finished run aside); the others
    // follow its verdict: train, or exit with its status
    double verdict = -1;
    if (group_.leader()) {
        const bool fresh = o_.fresh || train_detail::other_overrides(run_dir_, c_.identity, overrides_, c_.point);
        try {
            lock_fd_ = train_detail::lock_run_dir(run_dir_, fresh, c_.point);
            if (!fresh && train_detail::finished_before(run_dir_, c_.identity, c_.point)) verdict = 0;
        } catch (const std::runtime_error& e) {
            if (std::string(e.what()) != "run folder in use") throw;
            std::fprintf(stderr, "[%s] error: %s is in use by another trainer of this point; wait for it to end\n",
                         c_.point.c_str(), run_dir_.c_str());
            verdict = 6;
        }
    }
    group_.share(&verdict, 1);
    if (verdict >= 0) return int(verdict);
    train_detail::install_signal_handlers();
    // a point's settings beside its results: a run folder says what it is a result of
    if (!o_.settings.empty() && group_.leader())
        write_file_atomic(path("settings.json"), train_detail::read_text(o_.settings));

    opt_ = std::make_unique<optimizer>(c_.optimizer, model_->num_params());
    base_lr_ = opt_->lr();
    plateau_ = plateau_start(base_lr_, !c_.select_metric.empty() && c_.select_max);
    loss_ = c_.loss;
    best_params_.assign(model_->num_params(), 0.0f);
    best_state_.assign(model_->num_state(), 0.0f);
    csv_columns_ = train_detail::csv_columns(c_);
    for (const auto& m : c_.metrics) {
        metric_specs_.push_back(m);
        if (m.name.empty()) metric_specs_.back().name = name_of(m.kind);
        if (m.kind == metric_kind::confusion) has_confusion_ = true;
    }

    if (group_.leader())
        write_file_atomic(path("model.py"), torch_model_source(model_->torch_modules(), model_->in_shape(), c_.study, c_.point,
                                                          c_.normalize_inputs, c_.normalize_targets));
    try {
        load_data();
    } catch (const data_error& e) {
        if (group_.leader() || !data_failed_elsewhere_) std::fprintf(stderr, "[%s] error: %s\n", c_.point.c_str(), e.what());
        write_result("failed", e.what());
        return 4;
    }

    rng init_rng(c_.seed);
    model_->init(init_rng);
    dropout_rng_.reseed(c_.seed ^ 0xD1B54A32D192ED03ull);
    if (try_resume(path("resume.bin"), c_.identity + "|" + overrides_)) {
        say("resuming at step %ld of %ld (%s trained before)", step_, total_steps_,
            train_detail::duration_text(elapsed_before_).c_str());
    } else if (overrides_.empty() && !o_.settings.empty()) {
        // a longer run of a finished shorter one: continue from its final state where that
        // is exactly what this run computes (hps/train/continuation.hpp)
        const auto plan = train_detail::plan_continuation(run_dir_, c_, total_steps_, c_.checkpoints);
        if (!plan.from.empty()) {
            const std::string earlier = std::filesystem::path(plan.from).filename().string();
            try_resume(plan.from + "/final.bin", earlier + "|");
            history_ = plan.history;
            train_loss_sum_ = plan.train_loss_sum;
            train_loss_count_ = plan.train_loss_count;
            elapsed_before_ = plan.elapsed;
            stale_ = 0;
            if (plan.best_step < 0) {  // no checkpoint of this run before the earlier run's end
                best_step_ = -1;
                best_value_ = 0;
                best_values_.clear();
                best_confusion_.clear();
            } else {
                save_best_files();
            }
            continued_from_ = earlier + " at step " + std::to_string(plan.at_step);
            write_metrics_csv();
            say("continuing from %s at step %ld of %ld: a longer run of the same configuration, whose first %ld "
                "steps and checkpoints are that run's", plan.from.c_str(), step_, total_steps_, step_);
        } else if (!plan.reason.empty()) {
            say("training from the start, %s", plan.reason.c_str());
        }
    }
    if (group_.leader()) logs_.start(c_, o_.run_dir, overrides_, csv_columns_, elapsed_before_, history_);
    ctx_.mode = phase::train;
    ctx_.gen = &dropout_rng_;
    ctx_.prec = c_.prec;

    // HPS_STOP_AFTER_STEP=N sends this process SIGTERM after step N: the tests' way to
    // interrupt a run at an exact step, through the same path as a real signal.
    const char* stop_env = std::getenv("HPS_STOP_AFTER_STEP");
    const long stop_after_step = stop_env ? std::atol(stop_env) : -1;
    const auto at = checkpoint_steps();
    const double interval = o_.progress_seconds >= 0 ? o_.progress_seconds : (::isatty(1) ? 10.0 : 60.0);
    double last_print = 0, last_resume_save = 0;
    const double save_every = o_.checkpoint_every >= 0 ? o_.checkpoint_every : c_.checkpoint_every;
    long steps_at_last_print = step_;
    buffer xb(std::size_t(in_size_) * batch_), yb(std::size_t(target_rows_) * batch_), dy(std::size_t(out_size_) * batch_);
    std::string status = "done", message;
    bool stop_agreed = false;  // ranks: a stop signal any rank has seen, agreed at a step's exchange

    // --until: a pause at a step, with what a resumed run needs and the result so far
    auto pause = [&] {
        save_resume();
        write_result("paused", "paused at step " + std::to_string(step_) + " of " + std::to_string(total_steps_) +
                                   " (--until)");
        say("paused at step %ld of %ld: saved %s; run again to go on", step_, total_steps_, path("resume.bin").c_str());
        return 0;
    };
    if (o_.until > 0 && step_ >= o_.until && step_ < total_steps_) return pause();
    // ranks: every rank exchanges as rank 0's command line says (the same collectives, in
    // the same buckets); the result is the same either way
    double exchange[2] = {o_.overlap ? 1.0 : 0.0, o_.exchange_bucket};
    group_.share(exchange, 2);
    const bool overlap = group_.active() && exchange[0] != 0;
    const std::size_t bucket = std::size_t(exchange[1]) / sizeof(float);
    while (step_ < total_steps_) {
        if (group_.active() ? stop_agreed : train_detail::stop_signal != 0) {
            save_resume();
            if (group_.leader()) logs_.finish("stopped", run_dir_, history_, best_step_);
            say("stopped by signal %d at step %ld: saved %s; run again to resume", int(train_detail::stop_signal), step_,
                path("resume.bin").c_str());
            return 75;
        }
        fill_batch(step_, xb.data(), yb.data());
        // ranks: each its own dropout masks, drawn from (seed, step, rank) alone, so that
        // resume.bin (rank 0's) needs no other rank's rng
        if (group_.active())
            dropout_rng_.reseed(augmenter::sample_seed(c_.seed ^ 0xD1B54A32D192ED03ull, step_, group_.rank()));
        model_->zero_grads();
        const float* out = model_->forward(xb.data(), ctx_);
        double loss = compute_loss(loss_, out_size_, batch_, out, yb.data(), dy.data(), batch_, c_.pos_weight);
        if (overlap) {  // ranks: each bucket of layers' gradients exchanged as the pass below them goes on
            group_.exchange_begin(model_->grads(), model_->num_params(), bucket);
            model_->backward(dy.data(), ctx_, layer_done{[](void* g, std::size_t from) {
                                                             static_cast<train_detail::rank_group*>(g)->exchange_ready(from);
                                                         },
                                                         &group_});
            group_.exchange_end();
        } else {
            model_->backward(dy.data(), ctx_);
        }
        if (group_.active()) {  // the mean of the ranks' gradients and losses, in rank order
            if (!overlap) group_.average(model_->grads(), model_->num_params());
            double shared[2] = {loss, train_detail::stop_signal != 0 ? 1.0 : 0.0};
            group_.sum(shared, 2);
            loss = shared[0] / group_.size();
            stop_agreed = shared[1] > 0;
        }
        for (const auto& p : c_.penalties) {
            auto span = model_->layer_span(p.layer);
            loss += apply_penalty(model_->params() + span.offset, model_->grads() + span.offset, span.weights, p.l1, p.l2);
        }
        if (!std::isfinite(loss)) {
            status = "diverged";
            message = "the training loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                      std::to_string(step_ + 1) + "; lower the learning rate or check the data's scale";
            if (group_.leader()) std::fprintf(stderr, "[%s] error: %s\n", c_.point.c_str(), message.c_str());
            break;
        }
        if (c_.clip_norm > 0) clip_grad_norm(model_->grads(), model_->num_params(), c_.clip_norm);
        if (c_.lr_schedule.kind != schedule_kind::constant && c_.lr_schedule.kind != schedule_kind::plateau)
            opt_->set_lr(scheduled_lr(c_.lr_schedule, base_lr_, step_, total_steps_));
        opt_->step(model_->params(), model_->grads());
        ++step_;
        if (step_ == stop_after_step) std::raise(SIGTERM);  // a test's stand-in for Slurm
        train_loss_sum_ += loss;
        ++train_loss_count_;

        if (std::binary_search(at.begin(), at.end(), step_) && !group_.leader()) {
            // rank 0 evaluates; the others take its verdict (1 diverged, 2 early stop) and lr
            double verdict[2] = {0, 0};
            group_.share(verdict, 2);
            if (c_.lr_schedule.kind == schedule_kind::plateau) opt_->set_lr(verdict[1]);
            if (verdict[0] != 0) {
                status = verdict[0] == 1 ? "diverged" : "early_stopped";
                break;
            }
        } else if (std::binary_search(at.begin(), at.end(), step_)) {
            const double elapsed = elapsed_before_ + clock_.seconds();
            history_ += train_detail::train_row(step_, train_loss_sum_ / std::max<long>(1, train_loss_count_),
                                                csv_columns_.size(), elapsed);
            train_loss_sum_ = 0;
            train_loss_count_ = 0;
            evaluation e = evaluate(validation_);
            history_ += train_detail::evaluation_row(step_, "validation", csv_columns_, e.values, elapsed);
            const double value = selection_value(e);
            const bool improved = better(value, best_value_);
            if (improved) {
                best_step_ = step_;
                best_value_ = value;
                best_values_ = e.values;
                best_confusion_ = e.confusion;
                stale_ = 0;
                std::copy(model_->params(), model_->params() + model_->num_params(), best_params_.begin());
                std::copy(model_->state(), model_->state() + model_->num_state(), best_state_.begin());
                save_best_files();
            } else {
                ++stale_;
            }
            const double lr_before = plateau_.lr;
            if (c_.lr_schedule.kind == schedule_kind::plateau &&
                plateau_step(plateau_, c_.lr_schedule, !c_.select_metric.empty() && c_.select_max, value)) {
                opt_->set_lr(plateau_.lr);
                say("step %ld: lr %s -> %s (plateau: no improvement in %ld checkpoints)", step_,
                    format_number(lr_before).c_str(), format_number(plateau_.lr).c_str(), c_.lr_schedule.patience + 1);
            }
            write_metrics_csv();
            logs_.sync(history_);
            double verdict[2] = {!std::isfinite(e.loss) ? 1.0 : c_.patience > 0 && stale_ >= c_.patience ? 2.0 : 0.0,
                                 plateau_.lr};
            group_.share(verdict, 2);
            if (!o_.quiet) {
                std::string shown;
                for (const auto& [k, v] : e.values) shown += " " + k + " " + format_number(std::round(v * 1e4) / 1e4);
                say("step %ld/%ld validation:%s%s", step_, total_steps_, shown.c_str(), improved ? "  (best)" : "");
            }
            if (!std::isfinite(e.loss)) {
                status = "diverged";
                message = "the validation loss became non-finite at step " + std::to_string(step_);
                break;
            }
            if (c_.patience > 0 && stale_ >= c_.patience) {
                status = "early_stopped";
                message = "no improvement in " + std::to_string(stale_) + " evaluations";
                say("early stop at step %ld: %s", step_, message.c_str());
                break;
            }
        }
        if (o_.until > 0 && step_ >= o_.until && step_ < total_steps_) return pause();
        const double now = clock_.seconds();
        // a periodic save, whatever the step: resume.bin holds everything a resumed run needs
        // at any step boundary (the current interval's training-loss sum included; the
        // batches follow from the seed and step alone), and it replaces the last one
        // atomically. A process killed without warning loses at most save_every seconds.
        if (save_every > 0 && now - last_resume_save >= save_every && step_ < total_steps_) {
            save_resume();
            last_resume_save = now;
            if (!o_.quiet) {
                std::error_code ec;
                const double mb = double(std::filesystem::file_size(path("resume.bin"), ec)) / 1e6;
                say("step %ld/%ld: saved %s (%.1f MB in %.0f ms)", step_, total_steps_, path("resume.bin").c_str(), mb,
                    (clock_.seconds() - now) * 1e3);
            }
        }
        if (!o_.quiet && now - last_print >= interval && step_ < total_steps_) {
            const double rate = double(step_ - steps_at_last_print) * global_batch_ / std::max(1e-9, now - last_print);
            const double eta = double(total_steps_ - step_) * global_batch_ / std::max(1e-9, rate);
            say("step %ld/%ld (%.0f%%) loss %.4g  %.0f samples/s  ETA %s", step_, total_steps_,
                100.0 * double(step_) / double(total_steps_), loss, rate, train_detail::duration_text(eta).c_str());
            last_print = now;
            steps_at_last_print = step_;
        }
    }
    // the final state, for a longer run of this configuration to continue from
    if (status == "done") save_resume("final.bin");
    write_result(status, message);
    std::error_code ec;
    if (group_.leader()) {
        logs_.finish(status, run_dir_, history_, best_step_);
        std::filesystem::remove(path("resume.bin"), ec);
    }
    if (group_.active()) {
        const double per_step = 1e3 / double(std::max<long>(1, step_)), time = std::max(1e-9, clock_.seconds());
        if (overlap)
            say("%d ranks: %.2f ms per step exchanging gradients (%.1f%% of the time), overlapped with the backward "
                "pass in %zu bucket%s: %.2f ms during it, %.2f ms after it (waiting for the slower rank included)",
                group_.size(), per_step * group_.comm_seconds(), 100 * group_.comm_seconds() / time, group_.buckets(),
                group_.buckets() == 1 ? "" : "s", per_step * group_.overlapped_seconds(),
                per_step * group_.after_backward_seconds());
        else
            say("%d ranks: %.2f ms per step exchanging gradients (%.1f%% of the time), %.2f ms waiting for the slower "
                "rank", group_.size(), per_step * group_.comm_seconds(), 100 * group_.comm_seconds() / time,
                per_step * group_.wait_seconds());
    }
    std::string best = best_step_ >= 0 ? (c_.select_metric.empty() ? "loss" : c_.select_metric) + " " +
                                             format_number(best_value_) + " at step " + std::to_string(best_step_)
                                       : "none";
    say("%s in %s: best %s", status.c_str(), train_detail::duration_text(elapsed_before_ + clock_.seconds()).c_str(),
        best.c_str());
    return status == "diverged" ? 3 : 0;
}

}  // namespace hps
