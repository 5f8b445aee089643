// Pass 3 of the checker (dsl/check/checker.hpp): checks across blocks (the target,
// the loss, optimizer options, checkpoints, metrics and select). Tuples and where are
// in dsl/check/constraints.cpp.
#include "dsl/check/checker.hpp"

#include <algorithm>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// Pass 3: checks across blocks
// ---------------------------------------------------------------------------------

void checker::check_cross() {
    const tag& study_node = first_tagged({&file_.name, &file_});
    for (const auto& spec : sc::blocks()) {
        if (spec.required && !blocks_.count(spec.name) && !suggested_heads_.count(spec.name)) {
            std::string example = spec.name == "data"      ? "data { train \"data/train.npz\" ... }"
                                  : spec.name == "network" ? "network { dense units 1 }"
                                                           : spec.name + " { ... }";
            rep_.error(study_node, "the study has no " + spec.name + " block (" + spec.help + "); add one: " + example);
        }
    }

    // the target
    if (auto it = blocks_.find("data"); it != blocks_.end()) {
        if (const stmt_rec* t = it->second.find("target"); t && !t->name.empty()) {
            target_.ok = true;
            if (t->positional) {
                target_.kind = hps::target_kind::binary;
                target_.outputs = 1;
                target_.words = "binary";
            } else if (t->has("regression")) {
                target_.kind = hps::target_kind::regression;
                target_.outputs = int(t->options.at("regression").constant.number);
                target_.words = "regression " + std::to_string(target_.outputs);
            } else if (t->has("classes")) {
                target_.kind = hps::target_kind::classes;
                target_.outputs = int(t->options.at("classes").constant.number);
                target_.words = "classes " + std::to_string(target_.outputs);
            } else {
                target_.ok = false;
            }
        }
    }
    const std::string target_kind(hps::name_of(target_.kind));

    // a CSV's target columns and an array's name are one setting (hps::train_config::y_name)
    if (auto it = blocks_.find("data"); it != blocks_.end()) {
        for (const auto& s : it->second.stmts)
            if (s.spec->name == "normalize" && s.positional && s.positional->constant.text == "targets" && target_.ok &&
                target_.kind != hps::target_kind::regression)
                rep_.error(first_tagged({&s.node->head, s.node}), "normalize targets is for regression; the target is " +
                                                                      target_.words + ": remove it");
        const stmt_rec* columns = it->second.find("target_columns");
        if (const stmt_rec* array = it->second.find("y_array"); columns && array) {
            rep_.error(first_tagged({&columns->node->head, columns->node}),
                       "data takes y_array (an .npz array or HDF5 dataset) or target_columns (a CSV table's), not both; "
                       "remove one");
            rep_.note(first_tagged({&array->node->head, array->node}), "'y_array' is given here");
        }
    }

    check_folds();

    // loss against the target
    std::string loss;
    if (auto it = blocks_.find("train"); it != blocks_.end()) {
        const block_rec& train = it->second;
        if (const stmt_rec* l = train.find("loss"); l && l->positional) {
            loss = l->positional->constant.text;
            const hps::loss_info& info = *hps::find_by_name(hps::loss_table, loss);  // a checked choice
            std::string wants(hps::name_of(info.target));
            if (target_.ok && info.target != target_.kind) {
                std::vector<std::string> fits;
                for (const auto& l : hps::loss_table)
                    if (l.target == target_.kind) fits.emplace_back(l.name);
                std::string fix = words(fits, "or");
                rep_.error(*l->positional->node, "loss " + loss + " is for " + wants + " targets, but the target is " +
                                                     target_.words + "; use " + fix);
            }
            if (auto pw = l->option_nodes.find("pos_weight"); pw != l->option_nodes.end() && loss != "bce")
                rep_.error(first_tagged({&pw->second->key, pw->second}),
                           "loss option 'pos_weight' applies to bce only; the loss here is " + loss);
        }
        // optimizer and lr_schedule options that no value of the statement's kind takes
        for (const auto& [head, fallback] : {std::pair<const char*, const char*>{"optimizer", "adam"}, {"lr_schedule", "constant"}}) {
            const stmt_rec* o = train.find(head);
            if (!o || o->name.empty()) continue;
            std::vector<param_value> choices =
                o->positional ? possible(*o->positional) : std::vector<param_value>{word_value(fallback)};
            for (const auto& [key, node] : o->option_nodes) {
                const sc::option_spec* os = sc::find_option(*o->spec, key);
                if (!os || os->only_with.empty()) continue;
                bool applies = std::any_of(choices.begin(), choices.end(), [&](const param_value& c) {
                    return std::find(os->only_with.begin(), os->only_with.end(), c.text) != os->only_with.end();
                });
                if (!applies) {
                    std::vector<std::string> names;
                    for (const auto& c : choices) names.push_back(c.text);
                    rep_.error(first_tagged({&node->key, node}),
                               std::string(head) + " option '" + key + "' applies to " + words(os->only_with, "and") +
                                   " only; the " + (std::string(head) == "optimizer" ? "optimizer" : "schedule") +
                                   " here is " + sc::join(names, " or "));
                }
            }
        }
        // checkpoints against a constant number of steps
        const stmt_rec* cp = train.find("checkpoints");
        const stmt_rec* steps = train.find("steps");
        if (cp && cp->positional && steps && steps->positional && steps->positional->axis < 0 &&
            cp->positional->constant.number > steps->positional->constant.number)
            rep_.error(*cp->positional->node, "checkpoints " + cp->positional->constant.text +
                                                  " is more than the " + steps->positional->constant.text +
                                                  " steps; at most one checkpoint per step");
    }

    // metrics against the target; names; select
    if (auto it = blocks_.find("metrics"); it != blocks_.end()) {
        const block_rec& m = it->second;
        std::map<std::string, const stmt_rec*> names;
        bool metric_errors = false;
        for (const auto& s : m.stmts) {
            if (s.spec->metric && s.name.empty()) metric_errors = true;
            if (!s.spec->metric || s.name.empty()) continue;
            const std::vector<std::string> targets = sc::metric_targets(*s.spec->metric);
            if (target_.ok && !hps::metric_applies(s.spec->metric->kind, target_.kind))
                rep_.error(first_tagged({&s.node->head, s.node}),
                           "metric " + s.spec->name + " needs a " + sc::join(targets, " or ") +
                               " target; the target is " + target_.words);
            check_metric_options(s);
            std::string name = s.has("as") ? s.options.at("as").constant.text : s.spec->name;
            if (auto prev = names.find(name); prev != names.end()) {
                const tag& n = s.has("as") ? *s.options.at("as").node : first_tagged({&s.node->head, s.node});
                rep_.error(n, "two metrics are named '" + name + "'; give this one another name with 'as'" +
                                  (s.has("as") ? "" : " (" + s.spec->name + " as " + name + "2)"));
                rep_.note(first_tagged({&prev->second->node->head, prev->second->node}), "the first '" + name + "'");
                continue;
            }
            names[name] = &s;
        }
        if (const stmt_rec* sel = m.find("select"); sel && !sel->name.empty()) {
            bool maximize = sel->has("max");
            const bound_value& b = sel->options.at(maximize ? "max" : "min");
            const std::string& name = b.constant.text;
            auto found_metric = names.find(name);
            if (found_metric == names.end() && metric_errors) {
                // the metric may be one whose statement has an error: say nothing more
            } else if (found_metric == names.end()) {
                std::vector<std::string> known;
                for (const auto& [n, _] : names) known.push_back(n);
                std::string hint = sc::did_you_mean(name, known);
                if (hint.empty())
                    hint = known.empty() ? "; the block defines no metrics" : "; the metrics are " + sc::join(known);
                rep_.error(*b.node, "select names '" + name + "', which is not a metric of this block" + hint);
            } else {
                const hps::metric_info& info = *found_metric->second->spec->metric;
                if (!info.scalar) {
                    rep_.error(*b.node, "select cannot rank by '" + name + "': a " +
                                            found_metric->second->spec->name + " is not a single number");
                } else if (info.higher_is_better != maximize) {
                    rep_.error(*b.node, "select " + std::string(maximize ? "max " : "min ") + name + ": " +
                                            found_metric->second->spec->name + " is better when " +
                                            (info.higher_is_better ? "higher" : "lower") + "; write select " +
                                            (info.higher_is_better ? "max " : "min ") + name);
                }
            }
        } else if (!m.find("select")) {
            bool any_scalar = std::any_of(m.stmts.begin(), m.stmts.end(), [](const stmt_rec& s) {
                return s.spec->metric && s.spec->metric->scalar;
            });
            if (!any_scalar && !m.stmts.empty())
                rep_.error(first_tagged({&m.node->name, m.node}),
                           "metrics has nothing to rank checkpoints by; add a metric such as accuracy or mse");
        }
    }
}

// `folds K` draws each run's validation part from train: a validation file or a split
// beside it would say another; halving and a random sample pick single runs, which would
// take a configuration's folds apart.
void checker::check_folds() {
    const auto train = blocks_.find("train");
    const stmt_rec* f = train == blocks_.end() ? nullptr : train->second.find("folds");
    if (!f || !f->positional) return;
    const tag& at = first_tagged({&f->node->head, f->node});
    const std::string k = "folds " + f->positional->constant.text;
    auto refuse = [&](const stmt_rec& other, const tag& where, const std::string& why, const std::string& note) {
        rep_.error(where, why);
        rep_.note(&where == &at ? first_tagged({&other.node->head, other.node}) : at, note);
    };
    if (auto d = blocks_.find("data"); d != blocks_.end()) {
        if (const stmt_rec* v = d->second.find("validation"))
            refuse(*v, first_tagged({&v->node->head, v->node}),
                   k + " validates each run on a fold of train, so this validation file would not be used; remove "
                       "it, or remove folds to validate on the file",
                   "folds is here");
        if (const stmt_rec* sp = d->second.find("split")) {
            const bool last = sp->has("take") && sp->options.at("take").constant.text == "last";
            refuse(*sp, first_tagged({&sp->node->head, sp->node}),
                   last ? k + " and split take last exclude each other: for time-ordered data every fold but the "
                              "last validates on samples older than some it trained on, which leaks the future into "
                              "training; keep split take last (one run, validated on the newest samples), or remove "
                              "it to cross-validate data whose order does not matter"
                        : k + " replaces split: each run validates on one fold (1/" + f->positional->constant.text +
                              " of train) and trains on the others; remove split (the folds' draw takes a seed: " +
                              k + " seed 7)",
                   "folds is here");
        }
    }
    if (auto sb = blocks_.find("search"); sb != blocks_.end()) {
        if (const stmt_rec* h = sb->second.find("halving"))
            refuse(*h, at,
                   k + " and search halving exclude each other: halving ranks and promotes single runs, so a "
                       "configuration's folds would be parted at the first rung and no rung could rank by the folds' "
                       "mean; use folds with search grid, or halving with split",
                   "halving is here");
        if (const stmt_rec* r = sb->second.find("random"))
            refuse(*r, at,
                   k + " and search random exclude each other: a sample draws single runs, so a configuration would "
                       "keep only some of its folds (and a drawn value would differ between them); use folds with "
                       "search grid (tuples or where choose the configurations), or random with split",
                   "random is here");
    }
}

// A metric's target-specific options: threshold (binary), average and class (classes).
void checker::check_metric_options(const stmt_rec& s) {
    if (!target_.ok || !hps::metric_applies(s.spec->metric->kind, target_.kind)) return;  // said already
    const std::string& metric = s.spec->name;
    auto option = [&](const char* key) -> const tag* {
        auto it = s.option_nodes.find(key);
        return it == s.option_nodes.end() ? nullptr : &first_tagged({&it->second->key, it->second});
    };
    if (target_.kind == hps::target_kind::classes) {
        if (const tag* t = option("threshold"))
            rep_.error(*t, "metric " + metric + " option 'threshold' applies to a binary target; a " + target_.words +
                               " target predicts the class of the largest output (use average or class)");
        const tag* avg = option("average");
        if (const tag* c = option("class")) {
            const int k = int(s.options.at("class").constant.number);
            if (avg)
                rep_.error(*c, "metric " + metric + " takes average or class, not both; write one statement of each, "
                                   "named apart with 'as'");
            else if (k >= target_.outputs)
                rep_.error(*c, "metric " + metric + " class " + std::to_string(k) + " is not a class of the target (" +
                                   target_.words + ": 0.." + std::to_string(target_.outputs - 1) + ")");
        }
    } else {
        for (const char* key : {"average", "class"})
            if (const tag* t = option(key))
                rep_.error(*t, "metric " + metric + " option '" + key + "' applies to a classes target; the target is " +
                                   target_.words + (target_.kind == hps::target_kind::binary
                                                        ? " (its " + metric + " is the positive class's)"
                                                        : ""));
    }
}

}  // namespace hps::check_detail
