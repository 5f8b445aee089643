// Pass 2 of the checker (dsl/check/checker.hpp): blocks and statements against the
// schema (dsl/schema.hpp), each value bound to a constant or an axis.
#include "dsl/check/checker.hpp"

#include <algorithm>
#include <cmath>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// Pass 2: blocks and statements
// ---------------------------------------------------------------------------------

std::optional<std::string> checker::mismatch(const param_value& v, const sc::value_spec& spec) const {
    using vk = sc::value_kind;
    using pk = param_value::kind;
    auto bound_text = [](double x) { return format_significant(x, 12); };
    switch (spec.kind) {
    case vk::integer:
    case vk::real: {
        bool integer = spec.kind == vk::integer;
        if (v.type != pk::number)
            return std::string(integer ? "expects a whole number" : "expects a number") + "; found " + found(v);
        if (integer && v.number != std::floor(v.number)) return "must be a whole number; found " + v.text;
        bool below = spec.min && (v.number < *spec.min || (spec.min_open && v.number == *spec.min));
        bool above = spec.max && (v.number > *spec.max || (spec.max_open && v.number == *spec.max));
        if ((below || above) && spec.min && spec.max && !integer)
            return "must be in " + std::string(spec.min_open ? "(" : "[") + bound_text(*spec.min) + ", " +
                   bound_text(*spec.max) + (spec.max_open ? ")" : "]") + "; found " + v.text;
        if (below)
            return std::string("must be ") + (spec.min_open ? "> " : ">= ") + bound_text(*spec.min) + "; found " +
                   v.text;
        if (above)
            return std::string("must be ") + (spec.max_open ? "< " : "at most ") + bound_text(*spec.max) +
                   "; found " + v.text;
        return std::nullopt;
    }
    case vk::choice: {
        if (v.type == pk::identifier) {
            if (std::find(spec.choices.begin(), spec.choices.end(), v.text) != spec.choices.end())
                return std::nullopt;
            return "must be " + sc::describe(spec) + "; found " + found(v) + sc::did_you_mean(v.text, spec.choices);
        }
        if (v.type == pk::string &&
            std::find(spec.choices.begin(), spec.choices.end(), v.text) != spec.choices.end())
            return "expects the name " + v.text + " without quotes; found " + found(v);
        return "expects " + sc::describe(spec) + "; found " + found(v);
    }
    case vk::string: {
        if (v.type != pk::string) {
            std::string fix = v.type == pk::identifier || v.type == pk::number ? "; write " + quoted(v.text) : "";
            return "expects a string in double quotes; found " + found(v) + fix;
        }
        std::string why;
        if (!sc::string_ok(spec.format, v.text, why)) return "expects " + why + "; found " + found(v);
        return std::nullopt;
    }
    case vk::name:
        if (v.type != pk::identifier) return "expects a name; found " + found(v);
        return std::nullopt;
    case vk::dims: return "expects sizes like 28 x 28 x 1; found " + found(v);
    }
    return std::nullopt;
}

std::optional<bound_value> checker::bind(const ast::value& v, const sc::value_spec& spec, const std::string& what,
                                         const std::string& axis_name, const std::string& hint) {
    bound_value b;
    b.node = &loc(v);

    // dims: input 28 x 28 x 1, or a single size
    if (spec.kind == sc::value_kind::dims) {
        std::vector<const ast::number*> sizes;
        const ast::scalar* sc_value = as<ast::scalar>(v);
        const ast::identifier* word = sc_value ? as<ast::identifier>(*sc_value) : nullptr;
        if (word && lets_.count(word->name)) {
            axes_[std::size_t(lets_.at(word->name))].used = true;
            rep_.error(loc(v), what + " takes fixed sizes like 28 x 28 x 1, but '" + word->name +
                                   "' is an axis (a let); it cannot vary across the grid");
            return std::nullopt;
        }
        if (auto* d = as<ast::dims>(v)) {
            for (const auto& n : d->sizes) sizes.push_back(&n);
        } else if (auto* s = as<ast::scalar>(v); s && as<ast::number>(*s)) {
            sizes.push_back(as<ast::number>(*s));
        } else {
            rep_.error(loc(v), what + " expects sizes like 28 x 28 x 1 (or one size like 30); found " + text(v));
            return std::nullopt;
        }
        bool ok = true;
        for (const auto* n : sizes) {
            if (n->value != std::floor(n->value) || n->value < 1 || n->value > *spec.max) {
                rep_.error(first_tagged({n, &v}), what + " sizes must be whole numbers in 1.." +
                                                      format_significant(*spec.max) + "; found " + text(*n));
                ok = false;
            } else {
                b.dims.push_back(int(n->value));
            }
        }
        if (!ok) return std::nullopt;
        b.constant.type = param_value::kind::string;
        b.constant.text = dims_text(b.dims);
        return b;
    }
    if (as<ast::dims>(v)) {
        rep_.error(loc(v), what + " expects " + sc::describe(spec) + "; found the sizes " + text(v));
        return std::nullopt;
    }

    // a scalar: a constant, or the name of a `let` axis
    if (auto* s = as<ast::scalar>(v)) {
        auto* id = as<ast::identifier>(*s);
        if (id && spec.kind != sc::value_kind::name) {
            if (auto it = lets_.find(id->name); it != lets_.end()) {
                axis_rec& a = axes_[std::size_t(it->second)];
                a.used = true;
                if (!spec.rangeable) {
                    rep_.error(loc(v), what + " takes a single value, but '" + id->name +
                                           "' is an axis (a let); it cannot vary across the grid");
                    rep_.note(*a.decl, "'" + id->name + "' is declared here");
                    return std::nullopt;
                }
                if (!a.ok) return std::nullopt;
                if (!a.distribution.empty() && spec.kind != sc::value_kind::real) {
                    rep_.error(loc(v), what + " takes " + sc::describe(spec) + ", but '" + id->name + "' is a " +
                                           a.distribution + " distribution, which draws real numbers; use a set or a "
                                           "range of its values (a random sample draws from them too)");
                    rep_.note(*a.decl, "'" + id->name + "' is declared here");
                    return std::nullopt;
                }
                bool ok = true;
                for (std::size_t i = 0; i < a.values.size(); ++i) {
                    if (auto why = mismatch(a.values[i], spec)) {
                        rep_.error(*a.value_nodes[i], what + " " + *why + " (a value of axis '" + a.name + "')");
                        rep_.note(loc(v), "'" + a.name + "' is used here");
                        ok = false;
                    }
                }
                if (!ok) return std::nullopt;
                b.axis = it->second;
                return b;
            }
        }
        param_value p = to_param(*s);
        if (auto why = mismatch(p, spec)) {
            rep_.error(loc(v), what + " " + *why + hint);
            return std::nullopt;
        }
        b.constant = std::move(p);
        return b;
    }

    // a set or a range: an anonymous axis
    if (!spec.rangeable) {
        const char* form = as<ast::value_set>(v) ? "a set" : as<ast::distribution>(v) ? "a distribution" : "a range";
        rep_.error(loc(v), what + " takes a single value, not " + std::string(form) + " (" + text(v) +
                               "): it cannot vary across the grid");
        return std::nullopt;
    }
    axis_rec a;
    a.name = axis_name;
    a.decl = &loc(v);
    if (auto* d = as<ast::distribution>(v)) {
        if (spec.kind != sc::value_kind::real) {
            rep_.error(loc(v), what + " takes " + sc::describe(spec) + "; a distribution (" + text(v) +
                                   ") draws real numbers: give a set or a range, from which a random sample draws");
            return std::nullopt;
        }
        a.distribution = d->kind;
    }
    if (!make_values(v, a.values, a.value_nodes)) return std::nullopt;
    bool ok = true;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        if (auto why = mismatch(a.values[i], spec)) {
            std::string at = as<ast::value_set>(v) ? "" : " (a value of " + text(v) + ")";
            rep_.error(*a.value_nodes[i], what + " " + *why + at);
            ok = false;
            if (!as<ast::value_set>(v)) break;  // one message per range is enough
        }
    }
    if (!ok) return std::nullopt;
    a.seq = next_seq_++;
    b.axis = int(axes_.size());
    axes_.push_back(std::move(a));
    return b;
}

std::optional<stmt_rec> checker::read_statement(const sc::block_spec& block, const ast::statement& st,
                                                std::map<std::string, int>& layer_counts) {
    const std::string& head = st.head.name;
    const tag& head_node = first_tagged({&st.head, &st});
    const bool network = block.name == "network";
    const sc::head_spec* spec = sc::find_head(block, head);
    if (!spec) {
        std::string msg = "unknown " + std::string(network ? "layer" : "statement") + " '" + head + "' in " +
                          block.name;
        std::string hint = sc::did_you_mean(head, sc::head_names(block));
        if (!hint.empty()) suggested_heads_.insert(block.name + "." + sc::closest(head, sc::head_names(block)));
        if (hint.empty()) {
            // a statement of another block?
            for (const auto& other : sc::blocks()) {
                if (&other != &block && sc::find_head(other, head) && !sc::find_head(other, head)->unsupported) {
                    hint = "; '" + head + "' belongs in the " + other.name + " block";
                    break;
                }
            }
        }
        if (hint.empty())
            hint = network ? "; the layers are " + sc::join(sc::head_names(block))
                           : "; " + block.name + " takes " + sc::join(sc::head_names(block));
        rep_.error(head_node, msg + hint);
        return std::nullopt;
    }
    if (spec->unsupported) {
        rep_.error(head_node, head + " is not supported yet; the layers are " + sc::join(sc::head_names(block)));
        return std::nullopt;
    }

    stmt_rec rec;
    rec.node = &st;
    rec.spec = spec;
    if (network) {
        rec.name = head + std::to_string(++layer_counts[head]);
    } else {
        rec.name = head;
    }
    const std::string prefix = network ? rec.name : block.name;  // of anonymous axes
    bool ok = true;
    std::set<std::string> suggested_options;  // a typo is not also reported as a missing option

    // the positional value
    const ast::identifier* positional_word = nullptr;
    if (st.positional)
        if (const auto* s = as<ast::scalar>(*st.positional)) positional_word = as<ast::identifier>(*s);
    const sc::option_spec* bare_option = positional_word ? sc::find_option(*spec, positional_word->name) : nullptr;
    if (bare_option && spec->positional && spec->positional->kind == sc::value_kind::choice &&
        std::find(spec->positional->choices.begin(), spec->positional->choices.end(), positional_word->name) !=
            spec->positional->choices.end())
        bare_option = nullptr;
    if (bare_option) {
        // `target regression`, `dense units`: an option without its value
        rep_.error(loc(*st.positional), rec.name + " option '" + bare_option->key + "' needs a value (" +
                                            sc::describe(bare_option->value) + ")" +
                                            (spec->usage.empty() ? "" : ": " + spec->usage));
        ok = false;
    } else if (st.positional) {
        const ast::value& pv = *st.positional;
        if (!spec->positional) {
            if (spec->options.empty()) {
                rep_.error(loc(pv), head + " takes no value; found " + text(pv) + "; write just '" + head + "'");
            } else {
                rep_.error(loc(pv), head + " takes no value after its name, only options (" +
                                        sc::join(sc::option_keys(*spec)) + "); found " + text(pv));
            }
            ok = false;
        } else {
            std::string what = network ? rec.name + " " + spec->positional_name
                               : spec->positional_name == head ? head
                                                               : head + " " + spec->positional_name;
            std::optional<bound_value> b;
            const auto* s = as<ast::scalar>(pv);
            if (!spec->one_of.empty() && spec->positional->kind == sc::value_kind::choice && s &&
                as<ast::number>(*s)) {
                // `target 2`: say which kinds there are
                std::vector<std::string> forms;
                for (const auto& k : spec->one_of)
                    if (!k.empty()) forms.push_back(head + " " + k + " " + text(pv));
                for (const auto& c : spec->positional->choices) forms.push_back(head + " " + c);
                std::string last = forms.back();
                forms.pop_back();
                rep_.error(loc(pv), head + " needs its kind before the number; write " + sc::join(forms) + " or " +
                                        last);
            } else {
                b = bind(pv, *spec->positional, what, prefix + "." + spec->positional_name,
                         spec->one_of.empty() ? "" : "; usage: " + spec->usage);
            }
            if (b) {
                rec.positional = std::move(*b);
                rec.positional_node = &pv;
            } else {
                ok = false;
            }
        }
    } else if (spec->positional && spec->positional_required && spec->positional_default.empty()) {
        std::string usage = spec->usage.empty() ? head + " " + spec->positional_name : spec->usage;
        rep_.error(head_node, head + " needs its " + spec->positional_name + " (" + sc::describe(*spec->positional) +
                                  "): " + usage);
        ok = false;
    }

    // options
    for (const auto& o : st.options) {
        const std::string& key = o.key.name;
        const tag& key_node = first_tagged({&o.key, &o});
        const sc::option_spec* os = sc::find_option(*spec, key);
        if (!os) {
            std::string hint = sc::did_you_mean(key, sc::option_keys(*spec));
            if (!hint.empty()) suggested_options.insert(sc::closest(key, sc::option_keys(*spec)));
            if (hint.empty())
                hint = spec->options.empty() ? "; it takes none" : "; its options are " + sc::join(sc::option_keys(*spec));
            rep_.error(key_node, head + " has no option '" + key + "'" + hint);
            ok = false;
            continue;
        }
        if (auto prev = rec.option_nodes.find(key); prev != rec.option_nodes.end()) {
            rep_.error(key_node, rec.name + " gives option '" + key + "' twice; keep one");
            rep_.note(first_tagged({&prev->second->key, prev->second}), "first given here");
            ok = false;
            continue;
        }
        rec.option_nodes[key] = &o;
        std::string what = network ? rec.name + " " + key : head + " " + key;
        auto b = bind(o.val, os->value, what, prefix + "." + key);
        if (b)
            rec.options[key] = std::move(*b);
        else
            ok = false;
    }

    // exactly one of (target: binary | regression N | classes K; select: max | min)
    if (!spec->one_of.empty()) {
        std::vector<std::string> given;
        for (const auto& k : spec->one_of)
            if (k.empty() ? st.positional.has_value() : rec.option_nodes.count(k) > 0) given.push_back(k);
        if (given.empty() && ok) {
            rep_.error(head_node, head + " needs one of " + [&] {
                std::vector<std::string> names;
                for (const auto& k : spec->one_of) names.push_back(k.empty() ? spec->positional->choices.at(0) : k);
                return sc::join(names, ", ");
            }() + ": " + spec->usage);
            ok = false;
        } else if (given.size() > 1) {
            const std::string& second = given[1];
            rep_.error(second.empty() ? loc(*st.positional) : first_tagged({&rec.option_nodes[second]->key}),
                       head + " takes only one of " + [&] {
                           std::vector<std::string> names;
                           for (const auto& k : spec->one_of)
                               names.push_back(k.empty() ? spec->positional->choices.at(0) : k);
                           return sc::join(names, ", ");
                       }() + ": " + spec->usage);
            ok = false;
        }
    }

    // required options
    for (const auto& os : spec->options) {
        if (os.required && !rec.option_nodes.count(os.key)) {
            ok = false;
            if (suggested_options.count(os.key)) continue;
            rep_.error(head_node, rec.name + " needs option '" + os.key + "' (" + sc::describe(os.value) + "), e.g. " +
                                      head + " " + os.key + (os.key == "kernel" ? " 3" : " 8"));
        }
    }
    if (!ok) return std::nullopt;
    return rec;
}

void checker::read_block(const ast::block& b) {
    const std::string& name = b.name.name;
    const tag& name_node = first_tagged({&b.name, &b});
    const sc::block_spec* spec = sc::find_block(name);
    if (!spec) {
        std::string hint = sc::did_you_mean(name, sc::block_names());
        if (!hint.empty()) suggested_heads_.insert(sc::closest(name, sc::block_names()));
        if (hint.empty()) {
            for (const auto& other : sc::blocks()) {
                if (sc::find_head(other, name) && !sc::find_head(other, name)->unsupported) {
                    hint = "; '" + name + "' is a statement of the " + other.name + " block";
                    break;
                }
            }
        }
        if (hint.empty()) hint = "; the blocks are " + sc::join(sc::block_names());
        rep_.error(name_node, "unknown block '" + name + "'" + hint);
        return;
    }
    if (auto it = blocks_.find(name); it != blocks_.end()) {
        rep_.error(name_node, "a second " + name + " block; merge it into the first");
        rep_.note(first_tagged({&it->second.node->name, it->second.node}), "first " + name + " block here");
        return;
    }
    block_rec rec;
    rec.node = &b;
    rec.spec = spec;
    std::map<std::string, int> layer_counts;
    std::map<std::string, const ast::statement*> seen;
    for (const auto& st : b.statements) {
        const sc::head_spec* hs = sc::find_head(*spec, st.head.name);
        if (hs && !hs->repeatable) {
            if (auto prev = seen.find(hs->name); prev != seen.end()) {
                rep_.error(first_tagged({&st.head, &st}),
                           name + " gives '" + hs->name + "' twice; keep one");
                rep_.note(first_tagged({&prev->second->head, prev->second}), "first given here");
                continue;
            }
            seen[hs->name] = &st;
        }
        if (auto s = read_statement(*spec, st, layer_counts)) {
            rec.stmts.push_back(std::move(*s));
        } else if (hs) {
            // keep a record that the statement exists (for "missing" checks) without values
            stmt_rec placeholder;
            placeholder.node = &st;
            placeholder.spec = hs;
            placeholder.name = "";
            rec.stmts.push_back(std::move(placeholder));
        }
    }
    check_block_heads(rec);
    if (name == "train") read_repeat(rec), read_folds(rec);
    blocks_[name] = std::move(rec);
}

// `repeat N` is the axis train.seed with the values seed..seed+N-1 (seed: the train
// block's, 1 by default), bound to the repeat statement: the same points, identities and
// report as `seed {1, 2, 3}`, which the report groups the same way.
void checker::read_repeat(block_rec& train) {
    stmt_rec* repeat = nullptr;
    const stmt_rec* seed = nullptr;
    for (auto& st : train.stmts) {
        if (st.spec->name == "repeat" && st.positional) repeat = &st;
        if (st.spec->name == "seed") seed = &st;
    }
    if (!repeat) return;
    const long n = long(repeat->positional->constant.number);
    if (seed && seed->positional && seed->positional->axis >= 0) {
        rep_.error(*repeat->positional->node, "repeat " + repeat->positional->constant.text +
                                                  " and a seed axis both vary the seed; keep one (repeat N "
                                                  "trains seed..seed+N-1)");
        rep_.note(*seed->positional->node, "the seed axis");
        return;
    }
    if (seed && !seed->positional) return;  // the seed was refused already
    const double first = seed ? seed->positional->constant.number : 1.0;
    if (first + double(n) - 1 > 4294967295.0) {
        rep_.error(*repeat->positional->node, "repeat " + repeat->positional->constant.text + " from seed " +
                                                  seed->positional->constant.text + " passes the largest seed, 4294967295");
        return;
    }
    if (n < 2) return;  // one run: the seed as given
    axis_rec a;
    a.name = "train.seed";
    a.decl = repeat->positional->node;
    for (long k = 0; k < n; ++k) {
        a.values.push_back(number_value(first + double(k)));
        a.values.back().text = std::to_string(static_cast<unsigned long long>(first) + std::uint64_t(k));
        a.value_nodes.push_back(repeat->positional->node);
    }
    a.seq = next_seq_++;
    repeat->positional->axis = int(axes_.size());
    axes_.push_back(std::move(a));
}

// `folds K` is the axis train.fold with the values 0..K-1, bound to the folds statement:
// each configuration becomes K runs, run k validating on fold k of train
// (hps::fold_indices_of), which the report groups as it groups repeats.
void checker::read_folds(block_rec& train) {
    stmt_rec* folds = nullptr;
    for (auto& st : train.stmts)
        if (st.spec->name == "folds" && st.positional) folds = &st;
    if (!folds) return;
    const long k = long(folds->positional->constant.number);
    axis_rec a;
    a.name = "train.fold";
    a.decl = folds->positional->node;
    for (long i = 0; i < k; ++i) {
        a.values.push_back(number_value(double(i)));
        a.values.back().text = std::to_string(i);
        a.value_nodes.push_back(folds->positional->node);
    }
    a.seq = next_seq_++;
    folds->positional->axis = int(axes_.size());
    axes_.push_back(std::move(a));
}

// Whether the spec's train block gives `folds`, whose folds stand for the data block's
// validation part (read before the train block, when the train block comes later).
bool checker::folds_given() const {
    for (const auto& item : file_.items)
        if (const auto* b = as<ast::block>(item); b && b->name.name == "train")
            for (const auto& st : b->statements)
                if (st.head.name == "folds") return true;
    return false;
}

void checker::check_block_heads(const block_rec& b) {
    const tag& name_node = first_tagged({&b.node->name, b.node});
    for (const auto& h : b.spec->heads) {
        if (h.required && !b.find(h.name) && !suggested_heads_.count(b.spec->name + "." + h.name)) {
            std::string what = !h.usage.empty() ? h.usage
                               : h.positional  ? (h.positional_name == h.name ? "" : h.positional_name + ", ") +
                                                      sc::describe(*h.positional)
                                               : h.name;
            std::string example = h.name == "input"   ? "input 28 x 28 x 1"
                                  : h.name == "train" ? "train \"data/train.npz\""
                                  : h.name == "loss"  ? "loss mse"
                                                      : "";
            rep_.error(name_node, b.spec->name + " needs '" + h.name + "' (" + what + ")" +
                                      (example.empty() ? "" : ", e.g. " + example));
        }
    }
    for (const auto& group : b.spec->one_of) {
        std::vector<const stmt_rec*> given;
        for (const auto& g : group)
            if (auto* s = b.find(g)) given.push_back(s);
        if (given.empty() && b.spec->name == "data" && folds_given()) continue;  // the folds validate
        if (given.empty()) {
            rep_.error(name_node, b.spec->name + " needs one of: " + sc::join(group, ", ") + " (e.g. " + group[0] + " " +
                                      (group[0] == "validation" ? "\"data/validation.npz\"" : "1000") + ")" +
                                      (group[0] == "validation" ? ", or folds K in the train block" : ""));
        } else if (given.size() > 1) {
            rep_.error(first_tagged({&given[1]->node->head, given[1]->node}),
                       b.spec->name + " takes " + sc::join(group, " or ") + ", not both; remove one");
            rep_.note(first_tagged({&given[0]->node->head, given[0]->node}), "'" + given[0]->spec->name +
                                                                                "' is given here");
        }
    }
    if (b.spec->name == "network" && b.node->statements.empty())
        rep_.error(name_node, "network has no layers; add at least one, e.g. dense units 1");
}

}  // namespace hps::check_detail
