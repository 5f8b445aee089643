// Pass 1 of the checker (dsl/check/checker.hpp): lets and value generation (sets,
// linear and log ranges).
#include "dsl/check/checker.hpp"

#include <algorithm>
#include <cmath>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// Pass 1: lets and value generation
// ---------------------------------------------------------------------------------

void checker::declare_lets() {
    for (const auto& item : file_.items) {
        const auto* let = as<ast::let_axis>(item);
        if (!let) continue;
        const std::string& name = let->name.name;
        if (auto it = lets_.find(name); it != lets_.end()) {
            rep_.error(first_tagged({&let->name, let}),
                       "axis '" + name + "' is declared twice; rename one of them");
            rep_.note(*axes_[std::size_t(it->second)].decl, "first declared here");
            continue;
        }
        if (name == "id" || name == "name" || name == "params") {
            rep_.error(first_tagged({&let->name, let}), "'" + name + "' names a column of the grid listing (id, name, "
                                                        "params); call the axis something else");
            continue;
        }
        axis_rec a;
        a.name = name;
        a.named = true;
        a.decl = &first_tagged({&let->name, let});
        a.let = let;
        if (as<ast::dims>(let->val)) {
            rep_.error(loc(let->val), "let takes a set {a, b}, a range lo..hi step s or lo..hi log n, or one value; "
                                      "found the sizes " + text(let->val));
            a.ok = false;
        } else {
            a.ok = make_values(let->val, a.values, a.value_nodes);
            if (auto* d = as<ast::distribution>(let->val)) a.distribution = d->kind;
        }
        lets_[name] = int(axes_.size());
        axes_.push_back(std::move(a));
    }
}

bool checker::make_values(const ast::value& v, std::vector<param_value>& values, std::vector<const tag*>& nodes) {
    values.clear();
    nodes.clear();
    if (auto* s = as<ast::scalar>(v)) {
        values.push_back(to_param(*s));
        nodes.push_back(&loc(*s));
        return true;
    }
    if (auto* set = as<ast::value_set>(v)) return check_set(*set, values, nodes);
    bool ok = false;
    if (auto* d = as<ast::distribution>(v)) {
        const std::string written = text(v);
        ok = true;
        if (d->kind == "loguniform")
            for (const ast::number* end : {&d->lo, &d->hi})
                if (!(end->value > 0)) {
                    rep_.error(first_tagged({end, d}), "the ends of a loguniform must be > 0; found " + text(*end));
                    ok = false;
                }
        if (ok && !(d->lo.value < d->hi.value)) {
            rep_.error(*d, d->lo.value == d->hi.value
                               ? "the distribution " + written + " has one value; write it alone: " + text(d->lo)
                               : "the distribution " + written + " is empty: it starts above its end; write " +
                                     d->kind + " " + text(d->hi) + ".." + text(d->lo));
            ok = false;
        }
        if (ok) {
            values.push_back(number_value(d->lo.value));
            values.back().text = text(d->lo);
            values.push_back(number_value(d->hi.value));
            values.back().text = text(d->hi);
        }
        nodes.assign(values.size(), &loc(v));
        return ok;
    }
    if (auto* r = as<ast::linear_range>(v)) ok = linear_range_values(*r, values);
    if (auto* r = as<ast::log_range>(v)) ok = log_range_values(*r, values);
    nodes.assign(values.size(), &loc(v));
    return ok;
}

bool checker::check_set(const ast::value_set& set, std::vector<param_value>& values,
                        std::vector<const tag*>& nodes) {
    if (set.items.empty()) {
        rep_.error(set, "an empty set {} gives no values; list at least one");
        return false;
    }
    bool ok = true;
    for (const auto& item : set.items) {
        param_value p = to_param(item);
        auto dup = std::find_if(values.begin(), values.end(), [&](const param_value& q) { return same_value(p, q); });
        if (dup != values.end()) {
            rep_.error(loc(item), "the set " + text(ast::value(set)) + " lists " + text(item) +
                                      " twice; each value must appear once");
            rep_.note(*nodes[std::size_t(dup - values.begin())], "first listed here");
            ok = false;
            continue;
        }
        values.push_back(std::move(p));
        nodes.push_back(&loc(item));
    }
    if (ok) {
        bool numbers = false, words = false, strings = false;
        for (const auto& p : values) {
            numbers |= p.type == param_value::kind::number;
            words |= p.type == param_value::kind::identifier;
            strings |= p.type == param_value::kind::string;
        }
        if (int(numbers) + int(words) + int(strings) > 1) {
            rep_.error(set, "the set " + text(ast::value(set)) +
                                " mixes numbers, names and strings; an axis holds values of one kind");
            ok = false;
        }
    }
    return ok;
}

bool checker::linear_range_values(const ast::linear_range& r, std::vector<param_value>& values) {
    const double lo = r.lo.value, hi = r.hi.value, step = r.step.value;
    const std::string written = text(r.lo) + ".." + text(r.hi) + " step " + text(r.step);
    if (!(step > 0)) {
        rep_.error(first_tagged({&r.step, &r}), "the step of a range must be > 0; found " + text(r.step));
        return false;
    }
    if (lo > hi) {
        rep_.error(r, "the range " + written + " is empty: it starts above its end; write " + text(r.hi) + ".." +
                          text(r.lo) + " step " + text(r.step));
        return false;
    }
    double n = std::floor((hi - lo) / step + 1e-9);
    if (n + 1 > double(max_range_values)) {
        rep_.error(r, "the range " + written + " gives " + format_significant(n + 1) + " values; hpsgen expands at most " +
                          group_digits(max_range_values) + " values per range");
        return false;
    }
    auto vs = linear_values(lo, hi, step);
    if (!vs) {
        // the steps overshoot hi: say what the range would give, and how to fix it
        std::vector<std::string> seen;
        for (double i = 0; i <= n; ++i) seen.push_back(format_significant(lo + i * step, 12));
        std::string gives;
        if (seen.size() <= 5) {
            gives = sc::join(seen);
        } else {
            gives = seen[0] + ", " + seen[1] + ", " + seen[2] + ", ..., " + seen.back();
        }
        std::string below = format_significant(lo + n * step, 12), above = format_significant(lo + (n + 1) * step, 12);
        rep_.error(r, "the range " + written + " never reaches " + text(r.hi) + ": it gives " + gives + "; end it at " +
                          below + " or " + above + ", or choose a step that divides " +
                          format_significant(hi - lo, 12));
        return false;
    }
    bool integral = r.lo.value == std::floor(r.lo.value) && step == std::floor(step);
    for (std::size_t i = 0; i < vs->size(); ++i) {
        param_value p = number_value((*vs)[i]);
        if (i == 0) p.text = text(r.lo);
        if (i + 1 == vs->size()) p.text = text(r.hi);
        p.is_integer = integral;
        values.push_back(std::move(p));
    }
    return true;
}

bool checker::log_range_values(const ast::log_range& r, std::vector<param_value>& values) {
    const std::string written = text(r.lo) + ".." + text(r.hi) + " log " + text(r.count);
    bool ok = true;
    if (!(r.count.value == std::floor(r.count.value)) || r.count.value < 2) {
        rep_.error(first_tagged({&r.count, &r}), "a log range needs a whole number of points >= 2 after 'log'; found " +
                                                     text(r.count));
        ok = false;
    } else if (r.count.value > double(max_range_values)) {
        rep_.error(first_tagged({&r.count, &r}), "the range " + written + " asks for " + text(r.count) +
                                                     " values; hpsgen expands at most " +
                                                     group_digits(max_range_values) + " values per range");
        ok = false;
    }
    for (const ast::number* end : {&r.lo, &r.hi}) {
        if (!(end->value > 0)) {
            rep_.error(first_tagged({end, &r}), "the ends of a log range must be > 0; found " + text(*end));
            ok = false;
        }
    }
    if (!ok) return false;
    if (r.lo.value > r.hi.value) {
        rep_.error(r, "the range " + written + " is empty: it starts above its end; write " + text(r.hi) + ".." +
                          text(r.lo) + " log " + text(r.count));
        return false;
    }
    if (r.lo.value == r.hi.value) {
        rep_.error(r, "the range " + written + " starts and ends at the same value; write the single value " +
                          text(r.lo));
        return false;
    }
    auto vs = log_values(r.lo.value, r.hi.value, std::size_t(r.count.value));
    for (std::size_t i = 0; i < vs.size(); ++i) {
        param_value p = number_value(vs[i]);
        if (i == 0) p.text = text(r.lo);
        if (i + 1 == vs.size()) p.text = text(r.hi);
        if (i > 0 && vs[i] <= vs[i - 1]) {
            rep_.error(r, "the range " + written + " gives repeated values once rounded to 6 digits (" +
                              format_significant(vs[i]) + "); use fewer points");
            return false;
        }
        values.push_back(std::move(p));
    }
    return true;
}

}  // namespace hps::check_detail
