// Pass 4 of the checker (dsl/check/checker.hpp): one grid point materialised, its layer
// shapes through the descriptors (dsl/layers/) and their refusals in the spec's words.
#include "dsl/check/checker.hpp"

#include <hps/schedule.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// Pass 4: points
// ---------------------------------------------------------------------------------

param_value checker::point_values::value(std::string_view key) const {
    const sc::head_spec* spec = s_ ? s_->spec : nullptr;
    if (s_ && s_->positional && (key.empty() || key == spec->positional_name)) return c_.value_at(*s_->positional, idx_);
    if (s_)
        if (auto it = s_->options.find(std::string(key)); it != s_->options.end()) return c_.value_at(it->second, idx_);
    const sc::option_spec* o = spec ? sc::find_option(*spec, key) : nullptr;
    if (!o) throw std::logic_error("hpsgen: layer option '" + std::string(key) + "' has no value and no default");
    if (o->default_text == spec->positional_name && s_->positional) return c_.value_at(*s_->positional, idx_);
    char* end = nullptr;
    const double v = std::strtod(o->default_text.c_str(), &end);
    return end != o->default_text.c_str() && *end == '\0' ? number_value(v) : word_value(o->default_text);
}

std::pair<std::string, std::string> checker::wrong_input(const grid_point& p, const layer_slot& slot,
                                                         const std::string& name, const std::vector<int>& shape) const {
    const layer_kind& kind = *slot.kind;
    if (kind.accepts == rank_bit(4)) {  // the 3-D layers
        const bool from_data = &slot == &slots_.front() || p.input.size() != 4;
        return {name + " needs a D x H x W x C input, but it gets " + dims_text(shape),
                from_data ? "3-D layers need a volume such as input 32 x 32 x 32 x 1" : "put it before the first dense layer"};
    }
    const bool sequence_ok = kind.accepts & rank_bit(2), image_ok = kind.accepts & rank_bit(3);
    const std::string wants = sequence_ok && image_ok ? "an H x W x C image or an L x C sequence"
                              : image_ok             ? "an H x W x C input"
                                                     : "an L x C sequence (steps x channels)";
    std::string fix;
    if (p.input.size() == 1) {
        fix = image_ok ? "the data's input is a vector: convolutions and pools need an image such as input 28 x 28 x 1"
                       : "the data's input is a vector: write input " + dims_text(p.input) +
                             " x 1 for a sequence of one value per step";
        if (image_ok && sequence_ok) fix += " or a sequence such as input 30 x 1";
    } else if (shape.size() == 1) {
        // the layer before that made a vector of its input, and what it suggests
        const layer* flat = nullptr;
        for (const auto& before : p.layers)
            if (before.in_shape.size() > 1 && before.out_shape.size() == 1) flat = &before;
        const layer_kind* flat_kind = flat ? find_layer_kind(flat->kind) : nullptr;
        fix = flat_kind && !flat_kind->flat_fix.empty() ? std::string(flat_kind->flat_fix)
                                                         : "put it before the first dense layer";
        for (std::size_t at = fix.find("{name}"); at != std::string::npos; at = fix.find("{name}"))
            fix.replace(at, 6, flat->name);
    } else if (shape.size() == 2) {
        fix = &slot == &slots_.front() ? "the data's input is a sequence (steps x channels): write input " +
                                             dims_text(shape) + " x 1 for a one-channel image, or use conv1d"
                                       : "its input is a sequence here: use conv1d";
    } else if (shape.size() == 3) {
        fix = "it takes sequences, not images: " + std::string(kind.image_hint) +
              "give the data a sequence input such as 15 x 1";
    } else {
        fix = "no layer of this kind takes a " + dims_text(shape) + " input";
    }
    return {name + " needs " + wants + ", but it gets " + dims_text(shape), fix};
}

std::pair<std::string, std::string> checker::fault_text(const layer_kind& kind, const layer& l,
                                                        const std::vector<int>& shape, const rules::outcome& r) {
    const std::size_t spatial = shape.size() - 1;  // every dimension but the channels
    const std::vector<int> space(shape.begin(), shape.end() - 1);
    const std::string input = spatial == 1 ? std::to_string(shape[0]) + "-step input" : dims_text(space) + " input";
    switch (r.why) {
    case rules::fault::kernel_too_large:
    case rules::fault::window_too_large: {
        const bool conv = r.why == rules::fault::kernel_too_large;
        const int k = conv ? l.kernel.at(0) : l.pool.at(0);
        const char* than = spatial == 1 ? " is longer than its " : spatial == 2 ? " is wider than its " : " is larger than its ";
        return {l.name + ": " + (conv ? "kernel " : "window ") + std::to_string(k) + than + input,
                conv ? "use a smaller kernel, or fewer or smaller pools before it" : "use a smaller window, or remove the pool"};
    }
    case rules::fault::window_does_not_divide: {
        const int k = l.pool.at(0), stride = l.stride.at(0);
        const char* lost = spatial == 1 ? "steps" : spatial == 2 ? "rows and columns" : "planes";
        return {l.name + ": its " + input + " does not divide into windows of " + std::to_string(k) +
                    (stride == k ? "" : " with stride " + std::to_string(stride)),
                std::string("pools do not pad, so the last ") + lost +
                    " would be lost: change the window, or the sizes before it (padding same keeps them)"};
    }
    case rules::fault::too_large: {
        double n = 1;
        for (int d : shape) n *= d;
        return {l.name + " would give " + format_significant(n, 3) + " values",
                "hpsgen flattens at most 2147483647; reduce the sizes before it"};
    }
    default: return {"internal: " + std::string(kind.name) + " refuses its " + dims_text(shape) + " input", ""};
    }
}

void checker::materialise(grid_point& p, const std::vector<std::size_t>& idx) {
    auto val = [&](const bound_value& b) -> const param_value& { return value_at(b, idx); };
    auto opt_num = [&](const stmt_rec& s, const std::string& key, double fallback) {
        auto it = s.options.find(key);
        return it == s.options.end() ? fallback : val(it->second).number;
    };

    // data
    hps::train_config& c = p.config;
    const block_rec& data = blocks_.at("data");
    for (const auto& s : data.stmts) {
        const std::string& h = s.spec->name;
        if (!s.positional && h != "target") continue;
        if (h == "train") c.train = s.positional->constant.text;
        if (h == "validation") c.validation = s.positional->constant.text;
        if (h == "test") c.test = s.positional->constant.text;
        if (h == "split") {
            c.split = s.positional->constant.number;
            c.split_last = s.has("take") && s.options.at("take").constant.text == "last";
            if (s.has("seed")) c.split_seed = (unsigned long)s.options.at("seed").constant.number;
        }
        if (h == "input") p.input = s.positional->dims;
        if (h == "scale") c.scale = val(*s.positional).number;
        if (h == "x_array") c.x_name = s.positional->constant.text;
        if (h == "y_array" || h == "target_columns") c.y_name = s.positional->constant.text;
        if (h == "normalize") (s.positional->constant.text == "inputs" ? c.normalize_inputs : c.normalize_targets) = true;
    }
    c.target = target_.kind;
    c.outputs = target_.outputs;

    // layers, with shapes and parameter counts: each kind's descriptor reads its values and
    // applies the runtime's rule (hps/rules.hpp); a refusal is said in the spec's words
    std::vector<int> shape = p.input;
    bool shapes_ok = true;
    for (const auto& slot : slots_) {
        layer l;
        l.kind = std::string(slot.kind->name);
        l.name = slot.name;
        l.in_shape = shape;
        l.implicit = slot.stmt == nullptr;
        const tag& node = first_tagged({&slot.anchor->node->head, slot.anchor->node});
        if (!shapes_ok) {
            p.layers.push_back(std::move(l));
            continue;
        }
        const layer_kind& kind = *slot.kind;
        const point_values values(*this, slot.stmt, idx);
        rules::outcome r;
        if (!(kind.accepts & rank_bit(int(shape.size())))) {
            auto [message, fix] = wrong_input(p, slot, l.name, shape);
            point_issue(severity::error, node, message, fix);
            r = rules::refuse(rules::fault::wrong_rank);
        } else {
            rules::dims in{int(shape.size()), {}};
            for (std::size_t i = 0; i < shape.size(); ++i) in.d[i] = shape[i];
            r = kind.infer(l, values, in);
            if (!r.ok()) {
                auto [message, fix] = fault_text(kind, l, shape, r);
                const stmt_rec* s = slot.stmt;
                const bool blame_size = r.why == rules::fault::kernel_too_large || r.why == rules::fault::window_too_large;
                const tag* size_node = !blame_size || !s ? &node
                                       : kind.size_key.empty() ? s->positional->node
                                                               : s->options.at(std::string(kind.size_key)).node;
                point_issue(severity::error, *size_node, message, fix);
            } else if (double(r.params) > 1e11) {
                point_issue(severity::error, node, l.name + " would have " + format_significant(double(r.params), 3) +
                                                       " parameters; hpsgen trains at most 1e11 per layer");
                r = rules::refuse(rules::fault::too_large);
            }
        }
        if (!r.ok()) {
            shapes_ok = false;
        } else {
            shape.assign(r.out.d.begin(), r.out.d.begin() + r.out.rank);
            l.params = r.params;
        }
        l.out_shape = shape;
        p.params += l.params;
        p.layers.push_back(std::move(l));
    }
    if (shapes_ok && !p.layers.empty() && target_.ok) {
        const layer& last = p.layers.back();
        const stmt_rec* s = slots_.back().stmt;
        const tag& node = first_tagged({&slots_.back().anchor->node->head, slots_.back().anchor->node});
        if (last.out_shape.size() != 1) {
            point_issue(severity::error, node,
                        "the network ends with " + last.name + ", whose output is " + dims_text(last.out_shape),
                        "end it with dense units " + std::to_string(target_.outputs) + " for target " + target_.words);
        } else if (last.out_shape[0] != target_.outputs) {
            // blame the option that sets the output count (dense's units, lstm's and gru's)
            const tag* n = s && s->has("units") ? s->options.at("units").node : &node;
            point_issue(severity::error, *n,
                        last.name + " gives " + std::to_string(last.out_shape[0]) + " outputs, but target " +
                            target_.words + " needs " + std::to_string(target_.outputs),
                        "write units " + std::to_string(target_.outputs));
        }
    }

    // train
    const block_rec& train = blocks_.at("train");
    auto setting = [&](const std::string& head) { return train.find(head); };
    {
        // the optimizer and the settings the spec gives it; the others take the runtime's
        // defaults (hps/config.hpp's optimizer_table), as in a hand-written trainer
        const stmt_rec* o = setting("optimizer");
        if (o && o->positional) c.optimizer.kind = hps::find_by_name(hps::optimizer_table, val(*o->positional).text)->kind;
        if (o)
            for (const auto& [key, b] : o->options) {
                const hps::optimizer_setting_info& si = *hps::find_by_name(hps::optimizer_setting_table, key);
                if (!c.optimizer.takes(si.key)) continue;  // given for another optimizer of the axis
                const param_value& pv = val(b);
                c.optimizer.set(si.key, pv.type == param_value::kind::number ? pv.number : double(pv.text == "true"));
            }
    }
    if (const stmt_rec* s = setting("loss")) {
        c.loss = hps::find_by_name(hps::loss_table, s->positional->constant.text)->kind;
        c.pos_weight = opt_num(*s, "pos_weight", 1);
    }
    if (const stmt_rec* s = setting("batch")) p.batch = int(val(*s->positional).number);
    // `ranks N`: each of N processes trains on batch/N samples of every batch, the size its
    // trainer is compiled for
    if (auto it = blocks_.find("slurm"); it != blocks_.end())
        if (const stmt_rec* r = it->second.find("ranks"); r && r->positional) {
            c.ranks = int(r->positional->constant.number);
            if (p.batch % c.ranks != 0) {
                const stmt_rec* b = setting("batch");
                point_issue(severity::error, b ? *b->positional->node : *r->positional->node,
                            "batch " + std::to_string(p.batch) + " is not a multiple of the slurm block's ranks " +
                                std::to_string(c.ranks) + ": each rank trains on batch/ranks samples",
                            "use a batch that " + std::to_string(c.ranks) + " divides, or other ranks");
            }
        }
    if (const stmt_rec* s = setting("steps")) c.steps = long(val(*s->positional).number);
    if (const stmt_rec* s = setting("epochs")) c.epochs = long(val(*s->positional).number);
    if (const stmt_rec* s = setting("checkpoints")) {
        c.checkpoints = int(s->positional->constant.number);
        if (c.steps > 0 && c.checkpoints > c.steps)
            point_issue(severity::error, *s->positional->node,
                        "checkpoints " + s->positional->constant.text + " is more than the " +
                            std::to_string(c.steps) + " steps",
                        "at most one checkpoint per step");
    } else if (c.epochs > 0) {
        c.checkpoints = int(std::min<long>(c.epochs, 1'000'000'000));
    } else if (c.steps > 0 && c.steps < c.checkpoints) {
        c.checkpoints = int(c.steps);
    }
    if (search_.halving()) apply_halving(c, setting("steps"), setting("checkpoints"));
    if (const stmt_rec* s = setting("seed")) c.seed = (unsigned long)val(*s->positional).number;
    if (const stmt_rec* s = setting("repeat"); s && s->positional->axis >= 0)  // the seed of this run
        c.seed = (unsigned long)val(*s->positional).number;
    if (const stmt_rec* s = setting("folds"); s && s->positional && s->positional->axis >= 0) {  // this run's fold
        c.folds = int(s->positional->constant.number);
        c.fold = int(val(*s->positional).number);
        c.split_seed = s->has("seed") ? (unsigned long)s->options.at("seed").constant.number : 1;
    }
    if (const stmt_rec* s = setting("patience")) c.patience = int(val(*s->positional).number);
    if (const stmt_rec* s = setting("clip_norm")) c.clip_norm = val(*s->positional).number;
    if (const stmt_rec* s = setting("precision"))
        c.prec = val(*s->positional).text == "bf16" ? hps::precision::bf16 : hps::precision::fp32;
    if (const stmt_rec* s = setting("lr_schedule")) {
        hps::schedule_config& l = c.lr_schedule;
        l.kind = hps::find_by_name(hps::schedule_table, val(*s->positional).text)->kind;
        l.gamma = opt_num(*s, "gamma", 0.1);
        l.every = long(opt_num(*s, "every", 0));
        l.warmup = long(opt_num(*s, "warmup", 0));
        l.min_lr = opt_num(*s, "min_lr", 0);
        l.factor = opt_num(*s, "factor", 0.1);
        l.patience = long(opt_num(*s, "patience", 10));
        if (const std::string why = hps::schedule_problem(l, c.steps); !why.empty())
            point_issue(severity::error, *s->positional->node, why,
                        l.kind == hps::schedule_kind::step ? "add every N, such as every 1000"
                                                           : "shorten the warm-up, or train longer");
    }
    if (const stmt_rec* s = setting("checkpoint_every"))  // its format checked with the statement
        c.checkpoint_every = sc::duration_seconds(s->positional->constant.text).value_or(c.checkpoint_every);
    if (const stmt_rec* s = setting("logging")) {  // one of the schema's choices, checked with the statement
        const std::string& to = s->positional->constant.text;
        c.log_tensorboard = to == "all" || to == "tensorboard";
        c.log_mlflow = to == "all" || to == "mlflow";
    }

    // layers that need more than one sample per batch for some inputs (batchnorm on a flat
    // input trains on each feature's batch statistics)
    for (std::size_t i = 0; i < p.layers.size() && i < slots_.size(); ++i) {
        const layer& l = p.layers[i];
        const layer_kind& kind = *slots_[i].kind;
        const int least = kind.min_batch ? kind.min_batch(int(l.in_shape.size())) : 1;
        const int per_rank = p.batch / std::max(1, c.ranks);  // what each rank's network sees
        if (per_rank < least && p.batch % std::max(1, c.ranks) == 0)  // else the batch is refused above
            point_issue(severity::error, first_tagged({&slots_[i].anchor->node->head, slots_[i].anchor->node}),
                        l.name + " " + std::string(kind.min_batch_reason) + ", but batch is " + std::to_string(p.batch) +
                            (c.ranks > 1 ? " (" + std::to_string(per_rank) + " per rank)" : ""),
                        "use batch " + std::to_string(least * std::max(1, c.ranks)) + " or more");
    }

    // augment: transforms of the training samples, checked against the input's shape
    if (auto it = blocks_.find("augment"); it != blocks_.end()) {
        const block_rec& aug = it->second;
        const std::vector<int>& in = p.input;
        const std::size_t spatial = in.size() >= 2 ? in.size() - 1 : 0;  // every dimension but the channels
        if (const stmt_rec* s = aug.find("brightness"); s && s->positional) c.augment.brightness = val(*s->positional).number;
        if (const stmt_rec* s = aug.find("contrast"); s && s->positional) c.augment.contrast = val(*s->positional).number;
        if (const stmt_rec* s = aug.find("flip"); s && s->positional) {
            const std::string& f = val(*s->positional).text;
            c.augment.flip_horizontal = f == "horizontal" || f == "both";
            c.augment.flip_vertical = f == "vertical" || f == "both";
            if (c.augment.flip_vertical && spatial < 2)
                point_issue(severity::error, *s->positional->node,
                            "flip " + f + " mirrors the height, but the input " + dims_text(in) + " has none",
                            spatial == 1 ? "use flip horizontal on a sequence (it reverses the steps)"
                                         : "flips need an image or a volume, such as input 32 x 32 x 1");
            else if (c.augment.flip_horizontal && spatial < 1)
                point_issue(severity::error, *s->positional->node,
                            "flip " + f + " needs spatial dimensions, but the input " + dims_text(in) + " is a vector",
                            "remove it, or give the input its shape, such as input 32 x 32 x 1");
        }
        if (const stmt_rec* s = aug.find("translate"); s && s->positional) {
            c.augment.translate = int(val(*s->positional).number);
            const int smallest = spatial ? *std::min_element(in.begin(), in.end() - 1) : 0;
            if (c.augment.translate > 0 && spatial == 0)
                point_issue(severity::error, *s->positional->node,
                            "translate needs spatial dimensions, but the input " + dims_text(in) + " is a vector",
                            "remove it, or give the input its shape, such as input 32 x 32 x 1");
            else if (c.augment.translate >= smallest && spatial > 0)
                point_issue(severity::error, *s->positional->node,
                            "translate " + std::to_string(c.augment.translate) + " would shift a sample of " +
                                dims_text(in) + " out of itself",
                            "use at most " + std::to_string(smallest - 1));
        }
    }

    // a final activation before a loss that applies its own
    if (!p.layers.empty() && (c.loss == hps::loss_kind::bce || c.loss == hps::loss_kind::softmax_ce)) {
        const layer& last = p.layers.back();
        const stmt_rec* s = slots_.back().stmt;
        if (s && last.activation != "linear" && s->has("activation")) {
            std::string applied = c.loss == hps::loss_kind::bce ? "the sigmoid" : "the softmax";
            point_issue(severity::warning, *s->options.at("activation").node,
                        last.name + " ends with activation " + last.activation + ", but loss " + std::string(hps::name_of(c.loss)) +
                            " works on logits and applies " + applied + " itself",
                        "remove the activation");
        }
    }
}

// Halving trains every point as a run of max_steps that pauses at each rung's steps: the
// run a point trained straight to max_steps would be (its identity, its schedule). Its
// checkpoints are at least the spec's, and as many as put one at the end of every rung:
// m * eta^k of them, m dividing min_steps, so that they fall every min_steps / m steps.
void checker::apply_halving(hps::train_config& c, const stmt_rec* steps, const stmt_rec* checkpoints) {
    const tag& node = *halving_stmt_->node;
    const long eta = search_.eta, min = search_.min_steps;
    long max = search_.max_steps;
    if (max == 0) {
        if (!steps) {
            point_issue(severity::error, node, "halving counts steps, and the train block gives epochs",
                        "add max_steps N to halving (the last rung's steps), or train with steps");
            return;
        }
        if (steps->positional->axis >= 0) {
            point_issue(severity::error, node, "halving needs one length for every point, and steps is an axis",
                        "add max_steps N to halving, or give steps one value");
            return;
        }
        max = c.steps;
    }
    long b = min, k = 0;
    while (b < max && b <= max / eta) {
        b *= eta;
        ++k;
    }
    if (b != max || k == 0) {
        const long below = b > max ? b / eta : b, above = b > max ? b : b * eta;
        std::string rungs;
        for (long r = min, n = 0; n < 4 && r <= above; r *= eta, ++n) rungs += std::to_string(r) + ", ";
        point_issue(severity::error, node,
                    "halving's rungs are min_steps x eta^k steps (" + rungs + "...), and the last one must be " +
                        (search_.max_steps ? "max_steps" : "the train block's steps") + " (" + std::to_string(max) +
                        ")" + (k == 0 ? ", more than min_steps" : ""),
                    "write max_steps " + std::to_string(k == 0 ? min * eta : below) +
                        (k == 0 ? "" : " or " + std::to_string(above)) + ", or change min_steps");
        return;
    }
    if (search_.brackets > k + 1) {
        point_issue(severity::error, *halving_stmt_->options.at("brackets").node,
                    "brackets " + std::to_string(search_.brackets) + " asks for more brackets than the " +
                        std::to_string(k + 1) + " rungs (" + std::to_string(min) + " to " + std::to_string(max) +
                        " steps): bracket b starts at min_steps x eta^(b-1), which must not pass max_steps",
                    "write brackets " + std::to_string(k + 1) + " or fewer, or lower min_steps");
        return;
    }
    long base = 1;
    for (long r = 0; r < k; ++r) base *= eta;
    const long want = checkpoints ? long(checkpoints->positional->constant.number) : 10;
    long m = std::max<long>(1, (want + base - 1) / base);
    while (min % m != 0) ++m;
    c.steps = max;
    c.epochs = 0;
    c.checkpoints = int(m * base);
    search_.max_steps = max;
}

}  // namespace hps::check_detail
