// A point's settings file (settings/<point>.json in a study folder): every value of a
// train_config, written by hpsgen and read by the point's trainer when it starts. A
// trainer binary is one compiled network (its type and batch); the points that share it
// differ only here (docs/design.md, "Identity and run-time settings").
//
//   settings_json(config, network)      the file's text (hpsgen generate)
//   read_settings(text, network, params)  the train_config it holds, checked: a file
//                                       written for another network, a kind the runtime
//                                       does not know or a value out of range is a
//                                       settings_error that says which and how to fix it
//   identity_json(config, network, ...)  what determines a point's result, canonical: its
//                                       hash is the point's identity (results/<identity>/)
//
// The fields are listed once, in write_fields; reading checks the same names.
#pragma once

#include "hps/config.hpp"
#include "hps/io.hpp"
#include "hps/json_read.hpp"
#include "hps/schedule.hpp"

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hps {

struct settings_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr int settings_format = 1;

namespace settings_detail {

inline const char* goal(bool max) { return max ? "max" : "min"; }

// The training and data fields of a config, as members of the object open in w. With
// `in_force`, an optimizer's every setting in force (defaults included: the identity of
// `lr 0.001` given and of adam's default is one); else only those the spec gave.
inline void write_training(json_writer& w, const train_config& c, bool in_force) {
    w.key("data").begin_object();
    w.member("train", c.train).member("validation", c.validation).member("test", c.test);
    w.member("split", c.split).member("split_take", c.split_last ? "last" : "random").member("split_seed", c.split_seed);
    w.member("x_name", c.x_name).member("y_name", c.y_name);
    w.member("target", name_of(c.target)).member("outputs", c.outputs).member("scale", c.scale);
    // written only when on, so that the settings and identities of studies without them stay
    if (c.normalize_inputs) w.member("normalize_inputs", true);
    if (c.normalize_targets) w.member("normalize_targets", true);
    if (c.folds > 0) w.member("folds", c.folds).member("fold", c.fold);
    w.end_object();
    w.member("loss", name_of(c.loss));
    w.key("optimizer").begin_object().member("kind", name_of(c.optimizer.kind));
    for (const auto& s : optimizer_setting_table)
        if (in_force ? c.optimizer.takes(s.key) : c.optimizer.has(s.key)) w.member(s.name, c.optimizer[s.key]);
    w.end_object();
    const schedule_config& s = c.lr_schedule;
    w.key("lr_schedule").begin_object().member("kind", name_of(s.kind)).member("gamma", s.gamma);
    w.member("every", s.every).member("warmup", s.warmup).member("min_lr", s.min_lr);
    // only plateau's: the identities of the other schedules stay those they had before it
    if (s.kind == schedule_kind::plateau) w.member("factor", s.factor).member("patience", s.patience);
    w.end_object();
    w.member("clip_norm", c.clip_norm);
    // written only for bf16, so that the settings and identities of fp32 studies stay
    if (c.prec == precision::bf16) w.member("precision", "bf16");
    // written only above 1, so that the settings and identities of one-process points stay
    if (c.ranks > 1) w.member("ranks", c.ranks);
    w.member("steps", c.steps).member("epochs", c.epochs).member("checkpoints", c.checkpoints);
    w.member("seed", c.seed).member("patience", c.patience).member("pos_weight", c.pos_weight);
    w.key("penalties").begin_array();
    for (const auto& p : c.penalties) w.begin_object().member("layer", p.layer).member("l1", p.l1).member("l2", p.l2).end_object();
    w.end_array();
    w.key("layers").begin_array();
    for (const auto& l : c.layer_settings)
        w.begin_object().member("layer", l.layer).member("name", l.name).member("value", l.value).end_object();
    w.end_array();
    const augment_config& a = c.augment;
    w.key("augment").begin_object().member("brightness", a.brightness).member("contrast", a.contrast);
    w.member("flip_horizontal", a.flip_horizontal).member("flip_vertical", a.flip_vertical);
    w.member("translate", a.translate).end_object();
}

inline void write_selection(json_writer& w, const train_config& c) {
    w.key("select").begin_object().member("metric", c.select_metric).member("goal", goal(c.select_max)).end_object();
}

inline void write_metrics(json_writer& w, const train_config& c) {
    w.key("metrics").begin_array();
    for (const auto& m : c.metrics) {
        w.begin_object().member("kind", name_of(m.kind)).member("name", m.name).member("param", m.param)
            .member("one_sided", m.one_sided);
        // a classes target's averaging, only where there is one (older files have none)
        if (m.average != metric_average::binary) w.member("average", name_of(m.average));
        if (m.class_index >= 0) w.member("class", m.class_index);
        w.end_object();
    }
    w.end_array();
}

// ---- reading
class reader {
public:
    reader(const json::value& root, std::string where) : root_(root), where_(std::move(where)) {}

    [[noreturn]] void fail(const std::string& what) const { throw settings_error(where_ + ": " + what); }

    const json::value& at(const json::value& obj, std::string_view key, json::value::type t, const char* what) const {
        const json::value* v = obj.find(key);
        if (!v) fail("no \"" + std::string(key) + "\"; regenerate the study (hpsgen generate)");
        if (!v->is(t)) fail("\"" + std::string(key) + "\" is not " + what);
        return *v;
    }
    std::string text(const json::value& obj, std::string_view key) const {
        return at(obj, key, json::value::type::string, "text").str;
    }
    double number(const json::value& obj, std::string_view key) const {
        return at(obj, key, json::value::type::number, "a number").num;
    }
    bool flag(const json::value& obj, std::string_view key) const {
        return at(obj, key, json::value::type::boolean, "true or false").b;
    }
    long whole(const json::value& obj, std::string_view key, long least) const {
        const double v = number(obj, key);
        if (v != std::floor(v) || v < double(least) || v > 9e15)
            fail("\"" + std::string(key) + "\" must be a whole number of at least " + std::to_string(least) + ", not " +
                 format_number(v));
        return long(v);
    }
    double at_least(const json::value& obj, std::string_view key, double least) const {
        const double v = number(obj, key);
        if (!(v >= least)) fail("\"" + std::string(key) + "\" must be at least " + format_number(least) + ", not " + format_number(v));
        return v;
    }
    template <class Table>
    auto kind(const Table& table, const json::value& obj, std::string_view key) const {
        const std::string name = text(obj, key);
        if (const auto* row = find_by_name(table, name)) return row->kind;
        std::string known;
        for (const auto& row : table) known += (known.empty() ? "" : ", ") + std::string(row.name);
        fail("\"" + std::string(key) + "\": '" + name + "' is none of " + known);
    }
    const json::value& root() const { return root_; }

private:
    const json::value& root_;
    std::string where_;
};

}  // namespace settings_detail

// The text of a point's settings file. `network` names the compiled network the file is
// for (the trainer's signature: the hash of its network type and batch).
inline std::string settings_json(const train_config& c, std::string_view network) {
    json_writer w;
    w.begin_object().member("hpsgen_settings", settings_format).member("network", network);
    w.member("identity", c.identity).member("lineage", c.lineage).member("study", c.study).member("point", c.point);
    w.member("point_id", c.point_id).member("num_points", c.num_points).member("params", c.params);
    settings_detail::write_training(w, c, false);
    settings_detail::write_metrics(w, c);
    settings_detail::write_selection(w, c);
    // how often the trainer saves resume.bin, where it logs: not in write_training, so not in the identity
    w.member("checkpoint_every", c.checkpoint_every);
    w.key("log").begin_object().member("tensorboard", c.log_tensorboard).member("mlflow", c.log_mlflow).end_object();
    w.key("axes").begin_array();
    for (const auto& a : c.axes) w.begin_object().member("name", a.name).member("value", a.value).end_object();
    w.end_array().end_object();
    return w.str() + "\n";
}

// What determines a point's result, as canonical JSON: its network, every training
// setting (an optimizer's in force), the data (`stamp` maps a config data path to what
// identifies the file: its resolved path, size and time, or its content's hash) and the
// runtime's version. Not its name, position or axes, not the spec's path; not its
// metrics, which only report; not the selection rule unless `patience` stops training by
// it (else changing `select` re-ranks the recorded checkpoints, hpsgen report).
//
// With `length` false, the training's length (steps, epochs, checkpoints) is left out: the
// point's lineage. A finished run of the same lineage and fewer steps is where a longer
// one may continue from (hps/train/continuation.hpp).
inline std::string identity_json(const train_config& c, std::string_view network, std::string_view runtime_version,
                                 const std::function<std::string(const std::string&)>& stamp, bool length = true) {
    train_config d = c;
    d.train = c.train.empty() ? "" : stamp(c.train);
    d.validation = c.validation.empty() ? "" : stamp(c.validation);
    d.test = c.test.empty() ? "" : stamp(c.test);
    if (!length) d.steps = d.epochs = d.checkpoints = 0;
    json_writer w(0);
    w.begin_object().member("hps_identity", 1).member("runtime", runtime_version).member("network", network);
    settings_detail::write_training(w, d, true);
    if (c.patience > 0) settings_detail::write_selection(w, c);
    w.end_object();
    return w.str();
}

// The train_config of a settings file's text, checked against the trainer that reads it:
// `network` its signature, `params` its parameter count. `where` names the file in
// messages. Throws settings_error.
inline train_config read_settings(std::string_view text, std::string_view network, std::size_t params,
                                  const std::string& where) {
    json::value root;
    try {
        root = json::parse(text);
    } catch (const json::error& e) {
        throw settings_error(where + " is not a settings file hpsgen wrote (" + e.what() + "); regenerate the study");
    }
    using T = json::value::type;
    settings_detail::reader r(root, where);
    if (!root.is(T::object)) r.fail("not a settings file (no JSON object); regenerate the study");
    const json::value* fmt = root.find("hpsgen_settings");
    if (!fmt || !fmt->is(T::number)) r.fail("not a settings file hpsgen wrote (no \"hpsgen_settings\")");
    if (fmt->num != settings_format)
        r.fail("settings format " + format_number(fmt->num) + ", this trainer reads format " +
               std::to_string(settings_format) + "; regenerate the study with this hpsgen");
    const std::string net = r.text(root, "network");
    if (net != network)
        r.fail("written for network " + net + ", but this trainer is network " + std::string(network) +
               ": give the settings of one of its own points (grid.tsv's trainer column says which), "
               "or regenerate the study");
    train_config c;
    c.identity = r.text(root, "identity");
    c.lineage = r.text(root, "lineage");
    c.study = r.text(root, "study");
    c.point = r.text(root, "point");
    c.point_id = std::size_t(r.whole(root, "point_id", 0));
    c.num_points = std::size_t(r.whole(root, "num_points", 1));
    c.params = std::size_t(r.whole(root, "params", 0));
    if (c.params != params)
        r.fail("written for " + std::to_string(c.params) + " parameters, this trainer has " + std::to_string(params) +
               "; regenerate the study");
    const json::value& data = r.at(root, "data", T::object, "an object");
    c.train = r.text(data, "train");
    c.validation = r.text(data, "validation");
    c.test = r.text(data, "test");
    c.split = r.at_least(data, "split", 0);
    if (c.split >= 1) r.fail("\"split\" must be below 1");
    const std::string take = r.text(data, "split_take");
    if (take != "random" && take != "last") r.fail("\"split_take\" must be random or last, not '" + take + "'");
    c.split_last = take == "last";
    c.split_seed = static_cast<unsigned long>(r.whole(data, "split_seed", 0));
    c.x_name = r.text(data, "x_name");
    c.y_name = r.text(data, "y_name");
    c.target = r.kind(target_table, data, "target");
    c.outputs = int(r.whole(data, "outputs", 1));
    c.scale = r.number(data, "scale");
    c.normalize_inputs = data.find("normalize_inputs") && r.flag(data, "normalize_inputs");
    c.normalize_targets = data.find("normalize_targets") && r.flag(data, "normalize_targets");
    if (data.find("folds")) {
        c.folds = int(r.whole(data, "folds", 2));
        c.fold = int(r.whole(data, "fold", 0));
        if (c.fold >= c.folds) r.fail("\"fold\" " + std::to_string(c.fold) + " is not one of 0.." + std::to_string(c.folds - 1));
        if (!c.validation.empty() || c.split > 0)
            r.fail("\"folds\" draws the validation part from train, and the file also gives \"validation\" or "
                   "\"split\"; regenerate the study");
    }
    if (c.train.empty()) r.fail("no training data (\"data\": {\"train\": ...})");
    c.loss = r.kind(loss_table, root, "loss");
    const json::value& opt = r.at(root, "optimizer", T::object, "an object");
    c.optimizer.kind = r.kind(optimizer_table, opt, "kind");
    for (const auto& [key, v] : opt.members) {
        if (key == "kind") continue;
        const auto* s = find_by_name(optimizer_setting_table, key);
        if (!s) r.fail("the optimizer has no setting \"" + key + "\"");
        c.optimizer.set(s->key, r.number(opt, key));  // bounds: hps::optimizer refuses what is out of them
    }
    const json::value& sch = r.at(root, "lr_schedule", T::object, "an object");
    c.lr_schedule.kind = r.kind(schedule_table, sch, "kind");
    c.lr_schedule.gamma = r.number(sch, "gamma");
    c.lr_schedule.every = r.whole(sch, "every", 0);
    c.lr_schedule.warmup = r.whole(sch, "warmup", 0);
    c.lr_schedule.min_lr = r.at_least(sch, "min_lr", 0);
    if (c.lr_schedule.kind == schedule_kind::plateau) {
        c.lr_schedule.factor = r.number(sch, "factor");
        c.lr_schedule.patience = r.whole(sch, "patience", 0);
    }
    if (const std::string why = schedule_problem(c.lr_schedule, 0); !why.empty()) r.fail(why);
    c.clip_norm = r.at_least(root, "clip_norm", 0);
    if (root.find("precision")) {
        const std::string p = r.text(root, "precision");
        if (p != "fp32" && p != "bf16") r.fail("\"precision\" must be fp32 or bf16, not \"" + p + "\"");
        c.prec = p == "bf16" ? precision::bf16 : precision::fp32;
    }
    c.steps = r.whole(root, "steps", 0);
    c.epochs = r.whole(root, "epochs", 0);
    if ((c.steps > 0) == (c.epochs > 0)) r.fail("exactly one of \"steps\" and \"epochs\" must be above 0");
    c.checkpoints = int(r.whole(root, "checkpoints", 1));
    c.seed = static_cast<unsigned long>(r.whole(root, "seed", 0));
    c.patience = int(r.whole(root, "patience", 0));
    c.pos_weight = r.number(root, "pos_weight");
    if (!(c.pos_weight > 0)) r.fail("\"pos_weight\" must be above 0");
    for (const auto& p : r.at(root, "penalties", T::array, "a list").items) {
        if (!p.is(T::object)) r.fail("a penalty is not an object");
        c.penalties.push_back({int(r.whole(p, "layer", 0)), r.at_least(p, "l1", 0), r.at_least(p, "l2", 0)});
    }
    // checked against the network by the trainer (hps::network::set_layer)
    for (const auto& l : r.at(root, "layers", T::array, "a list").items) {
        if (!l.is(T::object)) r.fail("a layer setting is not an object");
        c.layer_settings.push_back({int(r.whole(l, "layer", 0)), r.text(l, "name"), r.number(l, "value")});
    }
    const json::value& a = r.at(root, "augment", T::object, "an object");
    c.augment.brightness = r.at_least(a, "brightness", 0);
    c.augment.contrast = r.at_least(a, "contrast", 0);
    if (c.augment.contrast > 1) r.fail("\"contrast\" must be at most 1");
    c.augment.flip_horizontal = r.flag(a, "flip_horizontal");
    c.augment.flip_vertical = r.flag(a, "flip_vertical");
    c.augment.translate = int(r.whole(a, "translate", 0));
    for (const auto& m : r.at(root, "metrics", T::array, "a list").items) {
        if (!m.is(T::object)) r.fail("a metric is not an object");
        metric_spec s{r.kind(metric_table, m, "kind"), r.text(m, "name"), r.at_least(m, "param", 0), r.flag(m, "one_sided")};
        if (m.find("average")) s.average = r.kind(average_table, m, "average");
        if (m.find("class")) s.class_index = int(r.whole(m, "class", 0));
        if ((s.average != metric_average::binary || s.class_index >= 0) &&
            !(info(s.kind).averaged && c.target == target_kind::classes))
            r.fail("the metric " + s.name + " has an averaging or a class, which only a classes target's precision, "
                   "recall, f1 and roc_auc take");
        if (s.class_index >= c.outputs) r.fail("the metric " + s.name + " names class " + std::to_string(s.class_index) +
                                               " of " + std::to_string(c.outputs));
        if (!metric_applies(s.kind, c.target))
            r.fail("the metric " + std::string(name_of(s.kind)) + " does not apply to a " +
                   std::string(name_of(c.target)) + " target");
        c.metrics.push_back(std::move(s));
    }
    const json::value& sel = r.at(root, "select", T::object, "an object");
    c.select_metric = r.text(sel, "metric");
    const std::string g = r.text(sel, "goal");
    if (g != "min" && g != "max") r.fail("\"select\": \"goal\" must be min or max, not '" + g + "'");
    c.select_max = g == "max";
    c.checkpoint_every = r.at_least(root, "checkpoint_every", 0);
    if (root.find("ranks")) c.ranks = int(r.whole(root, "ranks", 1));
    const json::value& log = r.at(root, "log", T::object, "an object");
    c.log_tensorboard = r.flag(log, "tensorboard");
    c.log_mlflow = r.flag(log, "mlflow");
    for (const auto& ax : r.at(root, "axes", T::array, "a list").items) {
        if (!ax.is(T::object)) r.fail("an axis is not an object");
        c.axes.push_back({r.text(ax, "name"), r.text(ax, "value")});
    }
    return c;
}

}  // namespace hps
