// Pass 4 of the checker (dsl/check/checker.hpp): the layout of the layer list, the grid
// enumerated and pruned, the problems found at grid points grouped and reported. One
// grid point is materialised in dsl/check/points.cpp.
#include "dsl/check/checker.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// Pass 4: layout, grid
// ---------------------------------------------------------------------------------

// Which layers are spatial is static (it depends on layer kinds, not on sizes), so the
// implicit flattens and the layer names are fixed once for every point.
void checker::layout() {
    auto nit = blocks_.find("network");
    auto dit = blocks_.find("data");
    if (nit == blocks_.end() || dit == blocks_.end()) return;
    const stmt_rec* input = dit->second.find("input");
    if (!input || !input->positional) return;
    const auto& dims = input->positional->dims;
    if (dims.size() > 4) {
        rep_.error(*input->positional->node,
                   "input " + dims_text(dims) + " has " + std::to_string(dims.size()) +
                       " sizes; hpsgen supports a vector (30), a sequence (15 x 1: steps x channels), an image "
                       "(28 x 28 x 1) or a volume (32 x 32 x 32 x 1)");
        return;
    }
    // each kind says what rank it makes of its input's (a sequence, an image, a vector)
    const layer_kind& flatten = *find_layer_kind("flatten");
    const std::vector<std::size_t> first_point(axes_.size(), 0);  // ranks do not depend on axes
    int rank = int(dims.size());
    int flattens = 0;  // implicit and written flattens share their numbering
    for (const auto& s : nit->second.stmts) {
        if (s.name.empty()) return;  // a statement with errors
        const layer_kind* kind = find_layer_kind(s.spec->name);
        if (kind->flattens_input && rank > 1) {
            slots_.push_back({nullptr, &flatten, "flatten" + std::to_string(++flattens), &s});
            rank = 1;
        }
        if (kind == &flatten)
            slots_.push_back({&s, kind, "flatten" + std::to_string(++flattens), &s});
        else
            slots_.push_back({&s, kind->on_rank ? kind->on_rank(rank) : kind, s.name, &s});
        if (kind->out_rank) rank = kind->out_rank(rank, point_values(*this, &s, first_point));
    }
}

void checker::point_issue(severity level, const tag& node, std::string message, std::string fix) {
    auto key = std::make_pair(&node, message + "\n" + fix);
    auto it = issue_index_.find(key);
    if (it == issue_index_.end()) {
        issue_index_[key] = issues_.size();
        issues_.push_back({level, &node, std::move(message), std::move(fix), 1, current_point_});
    } else {
        ++issues_[it->second].count;
    }
}

std::optional<study> checker::expand() {
    study s;
    s.name = file_.name.name;
    if (file_.description) s.description = file_.description->text;
    s.spec_path = src_.path();
    const tag& study_node = first_tagged({&file_.name, &file_});

    // axes in order of declaration; an unused let is no axis
    std::vector<int> order;
    for (std::size_t i = 0; i < axes_.size(); ++i)
        if (!axes_[i].named || axes_[i].used) order.push_back(int(i));
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return axes_[a].seq < axes_[b].seq; });
    std::vector<std::size_t> sizes;
    std::vector<int> drawn_axes;  // distributions: one value per point of the sample, drawn
    for (int a : order) {
        const axis_rec& rec = axes_[std::size_t(a)];
        axis out;
        out.name = rec.name;
        out.named = rec.named;
        out.values = rec.values;
        if (!rec.distribution.empty()) {
            out.distribution = rec.distribution + " " + rec.values[0].text + ".." + rec.values[1].text;
            out.values.resize(1);  // a placeholder until the draw
            drawn_axes.push_back(a);
        }
        s.axes.push_back(std::move(out));
        sizes.push_back(s.axes.back().values.size());
    }
    if (!read_search()) return std::nullopt;
    if (!drawn_axes.empty()) {
        bool ok = true;
        const axis_rec& first = axes_[std::size_t(drawn_axes[0])];
        if (search_.sample == 0) {
            rep_.error(*first.decl, "a distribution draws a value for each point of a random sample: add `random N` "
                                    "to a search block (search { random 20 }), or give a set or a range");
            ok = false;
        }
        // where and tuples select among listed values: a drawn value has none to name
        std::function<bool(const cexpr&)> uses = [&](const cexpr& e) {
            if (e.k == cexpr::kind::axis && !axes_[std::size_t(e.axis)].distribution.empty()) return true;
            return std::any_of(e.kids.begin(), e.kids.end(), uses);
        };
        for (const clause& cl : clauses_) {
            const bool drawn = cl.is_where ? uses(cl.condition)
                                           : std::any_of(cl.axes.begin(), cl.axes.end(), [&](int a) {
                                                 return !axes_[std::size_t(a)].distribution.empty();
                                             });
            if (drawn) {
                rep_.error(*cl.node, std::string(cl.is_where ? "where" : "tuples") +
                                         " names an axis drawn from a distribution, which has no listed values to "
                                         "select; give that axis a set or a range, or leave it out of this clause");
                ok = false;
            }
        }
        if (!ok) return std::nullopt;
    }
    auto full = grid_size(s.axes);
    if (!full) {
        double n = 1;
        for (auto k : sizes) n *= double(k);
        std::string count = n < 1e18 ? group_digits(std::size_t(n)) : format_significant(n, 3);
        rep_.error(study_node, "the grid has " + count + " points before tuples and where; hpsgen "
                               "expands at most " + group_digits(max_full_grid) + ": use fewer values per axis");
        return std::nullopt;
    }
    s.full_size = *full;

    // prune: a point survives every clause, in file order
    std::vector<std::size_t> kept;
    std::vector<std::size_t> failed_at(clauses_.size(), 0);
    std::vector<std::size_t> idx(axes_.size(), 0);
    std::vector<const tag*> div_zero;
    std::vector<std::size_t> key;
    for (std::size_t id = 0; id < s.full_size; ++id) {
        if (id > 0) {
            // the next point in row-major order: an odometer, the last axis fastest
            for (std::size_t k = order.size(); k-- > 0;) {
                std::size_t& digit = idx[std::size_t(order[k])];
                if (++digit < sizes[k]) break;
                digit = 0;
            }
        }
        bool keep = true;
        for (std::size_t c = 0; c < clauses_.size() && keep; ++c) {
            const clause& cl = clauses_[c];
            if (cl.is_where) {
                bool zero = false;
                eval_result r = eval(cl.condition, idx, zero);
                if (zero) {
                    current_point_ = id;
                    point_issue(severity::error, *cl.node, "where divides by zero",
                                "guard the division, as in: where d != 0 and n / d >= 2");
                }
                keep = !zero && r.num != 0 && !std::isnan(r.num);
            } else {
                key.clear();
                for (int a : cl.axes) key.push_back(idx[std::size_t(a)]);
                keep = cl.rows.count(key) > 0;
            }
            if (!keep) ++failed_at[c];
        }
        if (keep) kept.push_back(id);
    }
    if (!issues_.empty()) {
        // division by zero: name the point in the full grid
        for (auto& is : issues_) {
            auto ord_idx = point_indices(sizes, is.first_point);
            std::vector<param_value> vals;
            for (std::size_t k = 0; k < order.size(); ++k) vals.push_back(s.axes[k].values[ord_idx[k]]);
            rep_.error(*is.node, is.message + " at " +
                                     (is.count > 1 ? std::to_string(is.count) + " of " + group_digits(s.full_size) +
                                                         " grid points, e.g. "
                                                   : "the grid point ") +
                                     "(" + describe_point(s.axes, vals) + ")" + (is.fix.empty() ? "" : "; " + is.fix));
        }
        return std::nullopt;
    }
    if (kept.empty()) {
        std::size_t left = s.full_size;
        for (std::size_t c = 0; c < clauses_.size(); ++c) {
            std::size_t after = left - failed_at[c];
            if (after == 0) {
                const clause& cl = clauses_[c];
                std::string before = c == 0 ? "of the " + group_digits(left) + " grid points"
                                            : "of the " + group_digits(left) + " grid points left by the clauses before it";
                if (cl.is_where)
                    rep_.error(*cl.node, "this where removes every one " + before + "; relax the condition");
                else
                    rep_.error(*cl.node, "no row of this tuples matches any " + before.substr(3) +
                                             "; check the rows against the axes and the where clauses");
                break;
            }
            left = after;
        }
        return std::nullopt;
    }
    std::vector<std::vector<double>> drawn;  // per point of the sample, a value per drawn axis
    if (search_.sample > 0) {
        const stmt_rec* st = blocks_.at("search").find("random");
        if (drawn_axes.empty() && search_.sample > kept.size()) {
            rep_.error(*st->positional->node,
                       "random " + std::to_string(search_.sample) + " asks for more points than the " +
                           (kept.size() == s.full_size ? "grid has" : "grid keeps after tuples and where") + " (" +
                           group_digits(kept.size()) + "); draw at most " + group_digits(kept.size()) +
                           ", or use grid");
            return std::nullopt;
        }
        search_.space = kept.size();
        std::vector<std::pair<double, double>> ranges;  // of the drawn axes, in log10 for a loguniform
        for (int a : drawn_axes) {
            const axis_rec& rec = axes_[std::size_t(a)];
            const bool log = rec.distribution == "loguniform";
            const double lo = rec.values[0].number, hi = rec.values[1].number;
            ranges.emplace_back(log ? std::log10(lo) : lo, log ? std::log10(hi) : hi);
        }
        kept = draw_sample(kept, ranges, drawn);
        // each drawn axis: the values drawn, in the sample's order, to 6 significant digits
        for (std::size_t j = 0; j < drawn_axes.size(); ++j) {
            axis_rec& rec = axes_[std::size_t(drawn_axes[j])];
            const bool log = rec.distribution == "loguniform";
            std::vector<param_value> values;
            for (const auto& d : drawn) {
                const std::string written = format_significant(log ? std::pow(10.0, d[j]) : d[j], 6);
                param_value p = number_value(std::stod(written));
                p.text = written;
                values.push_back(std::move(p));
            }
            rec.values = values;
            const auto k = std::size_t(std::find(order.begin(), order.end(), drawn_axes[j]) - order.begin());
            s.axes[k].values = std::move(values);
        }
    }
    if (kept.size() > max_grid_points) {
        rep_.error(study_node, "the grid has " + group_digits(kept.size()) + " points; hpsgen generates at most " +
                                   group_digits(max_grid_points) + " trainers: use fewer values, tuples or where");
        return std::nullopt;
    }

    // materialise
    s.points.resize(kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        grid_point& p = s.points[i];
        p.id = i;
        p.full_id = kept[i];
        p.name = point_name(i, kept.size());
        auto ord_idx = point_indices(sizes, kept[i]);
        for (std::size_t k = 0; k < order.size(); ++k) {
            if (!axes_[std::size_t(order[k])].distribution.empty()) ord_idx[k] = i;  // its value drawn for point i
            idx[std::size_t(order[k])] = ord_idx[k];
            p.axis_values.push_back(s.axes[k].values[ord_idx[k]]);
        }
        current_point_ = i;
        materialise(p, idx);
    }

    // grid-point problems, once per (node, message)
    for (const auto& is : issues_) {
        std::string where;
        const grid_point& first = s.points[is.first_point];
        std::string point = first.name + (s.axes.empty() ? "" : " (" + describe_point(s.axes, first.axis_values) + ")");
        if (is.count == s.points.size())
            where = "";
        else if (is.count == 1)
            where = " at grid point " + point;
        else
            where = " at " + std::to_string(is.count) + " of " + std::to_string(s.points.size()) +
                    " grid points, e.g. " + point;
        rep_.add(is.level, *is.node, is.message + where + (is.fix.empty() ? "" : "; " + is.fix));
    }
    bool errors = std::any_of(issues_.begin(), issues_.end(), [](const issue& i) { return i.level == severity::error; });
    if (errors) return std::nullopt;

    // settings that are the same at every point: the metrics and the selection rule
    std::vector<hps::metric_spec> metrics;
    std::optional<std::pair<bool, std::string>> sel;  // maximise?, the metric's name
    if (auto it = blocks_.find("metrics"); it != blocks_.end()) {
        for (const auto& st : it->second.stmts) {
            if (st.spec->metric) {
                const hps::metric_info& info = *st.spec->metric;
                hps::metric_spec m;
                m.kind = info.kind;
                m.name = st.has("as") ? st.options.at("as").constant.text : st.spec->name;
                if (info.param == hps::metric_param::tolerance) m.param = st.positional->constant.number;
                m.one_sided = st.has("one_sided") && st.options.at("one_sided").constant.text == "true";
                if (info.param == hps::metric_param::threshold)
                    m.param = st.has("threshold") ? st.options.at("threshold").constant.number : 0.5;
                if (info.averaged && target_.kind == hps::target_kind::classes) {
                    m.param = 0;  // no threshold: the argmax
                    m.average = hps::metric_average::macro;
                    if (st.has("average"))  // a checked choice
                        m.average = hps::find_by_name(hps::average_table, st.options.at("average").constant.text)->kind;
                    if (st.has("class")) m.class_index = int(st.options.at("class").constant.number);
                }
                metrics.push_back(m);
                if (!sel && info.scalar) sel = {info.higher_is_better, m.name};  // the first scalar metric
            }
        }
        if (const stmt_rec* st = it->second.find("select"))
            sel = {st->has("max"), st->options.at(st->has("max") ? "max" : "min").constant.text};
    }
    if (metrics.empty()) {
        const hps::metric_kind k = target_.kind == hps::target_kind::regression ? hps::metric_kind::mse
                                                                                : hps::metric_kind::accuracy;
        metrics = {{k, std::string(hps::name_of(k)), 0}};
        sel = {hps::info(k).higher_is_better, metrics[0].name};
    }
    for (auto& p : s.points) {
        p.config.metrics = metrics;
        if (sel) {
            p.config.select_max = sel->first;
            p.config.select_metric = sel->second;
        }
    }
    if (!assign_brackets(s)) return std::nullopt;
    s.search = search_;
    if (auto it = blocks_.find("slurm"); it != blocks_.end()) {
        for (const auto& st : it->second.stmts) {
            const std::string& h = st.spec->name;
            const param_value& v = st.positional->constant;
            if (h == "partition") s.slurm.partition = v.text;
            if (h == "account") s.slurm.account = v.text;
            if (h == "qos") s.slurm.qos = v.text;
            if (h == "mem") s.slurm.mem = v.text;
            if (h == "time") s.slurm.time = v.text;
            if (h == "cpus") s.slurm.cpus = int(v.number);
            if (h == "throttle") s.slurm.throttle = int(v.number);
            if (h == "extra") s.slurm.extra.push_back(v.text);
            if (h == "chunk") s.slurm.chunk = int(v.number);
            if (h == "packing") s.slurm.packing = v.text;
            if (h == "build") s.slurm.build = v.text;
            if (h == "report") s.slurm.report = v.text != "no";
            if (h == "ranks") s.slurm.ranks = int(v.number);
        }
    }
    return s;
}

bool checker::read_search() {
    auto it = blocks_.find("search");
    if (it == blocks_.end()) return true;
    const block_rec& b = it->second;
    const stmt_rec* grid = b.find("grid");
    const stmt_rec* random = b.find("random");
    if (grid && random) {
        rep_.error(first_tagged({random->node}), "random and grid exclude each other: a study trains the grid, or "
                                                 "a sample of it; remove one");
        rep_.note(first_tagged({grid->node}), "grid is here");
        return false;
    }
    if (random) {
        search_.sample = std::size_t(random->positional->constant.number);
        if (random->has("seed")) search_.seed = std::uint64_t(random->options.at("seed").constant.number);
    }
    if (const stmt_rec* h = b.find("halving")) {
        halving_stmt_ = h;
        search_.eta = h->has("eta") ? int(h->options.at("eta").constant.number) : 3;
        search_.min_steps = long(h->options.at("min_steps").constant.number);
        if (h->has("max_steps")) search_.max_steps = long(h->options.at("max_steps").constant.number);
        if (h->has("brackets")) search_.brackets = int(h->options.at("brackets").constant.number);
    }
    return true;
}

// Hyperband's brackets share the configurations (deal_brackets, dsl/study.hpp): all runs
// of a configuration go to one bracket. A bracket dealt none is refused: fewer brackets,
// or more points.
bool checker::assign_brackets(const study& s) {
    search_.bracket_of.clear();
    const std::vector<long> rungs = search_.rungs();
    if (!search_.halving() || search_.brackets <= 1 || rungs.size() < std::size_t(search_.brackets)) return true;
    const auto configuration = configurations_of(s);
    const std::size_t n = configuration.empty() ? 0 : *std::max_element(configuration.begin(), configuration.end()) + 1;
    const auto weights = search_.bracket_weights();
    const auto dealt = deal_brackets(weights, n, search_.sample > 0);
    std::vector<std::size_t> count(weights.size(), 0);
    for (std::size_t c : dealt) ++count[c];
    for (std::size_t b = 0; b < count.size(); ++b)
        if (count[b] == 0) {
            std::size_t total = 0;
            for (std::size_t w : weights) total += w;
            rep_.error(*halving_stmt_->options.at("brackets").node,
                       "brackets " + std::to_string(search_.brackets) + " over " + std::to_string(n) +
                           " configuration" + (n == 1 ? "" : "s") + " leaves bracket " + std::to_string(b + 1) +
                           " empty (Hyperband deals them " + std::to_string(weights[0]) + " : ... : " +
                           std::to_string(weights.back()) + ", " + std::to_string(total) + " per round); use fewer brackets, or more points (at least " + std::to_string(total) +
                           " configurations give every bracket its full share)");
            return false;
        }
    for (const auto& p : s.points) search_.bracket_of.push_back(dealt[configuration[p.id]]);
    return true;
}

// One stream of draws (splitmix64 from the seed), each mapped to a kept point by a
// multiply-shift; a point drawn before is drawn again. The first N points of a sample of
// N + K are the N points of a sample of N: the stream is the same, and so is its prefix.
// With distributions, a point may repeat (its drawn values differ), and each point's draw
// is followed by one number per distribution, uniform in [lo, hi) from 53 bits.
std::vector<std::size_t> checker::draw_sample(const std::vector<std::size_t>& kept,
                                              const std::vector<std::pair<double, double>>& ranges,
                                              std::vector<std::vector<double>>& drawn) const {
    std::uint64_t state = search_.seed;
    auto next = [&state] {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    std::vector<std::size_t> out;
    std::set<std::size_t> taken;
    drawn.clear();
    while (out.size() < search_.sample) {
        const auto k = std::size_t((unsigned __int128)next() * kept.size() >> 64);
        if (!ranges.empty()) {
            std::vector<double> values;
            for (const auto& [lo, hi] : ranges) values.push_back(lo + double(next() >> 11) * 0x1p-53 * (hi - lo));
            out.push_back(kept[k]);
            drawn.push_back(std::move(values));
        } else if (taken.insert(k).second) {
            out.push_back(kept[k]);
        }
    }
    return out;
}

}  // namespace hps::check_detail
