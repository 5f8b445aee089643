// The checker's entry point: hps::check (dsl/check.hpp) runs the passes of
// checker::run (dsl/check/checker.hpp) over a parsed study.
#include "dsl/check/checker.hpp"

namespace hps::check_detail {

std::optional<study> checker::run(diagnostics& diags) {
    declare_lets();
    for (const auto& item : file_.items) {
        if (const auto* let = as<ast::let_axis>(item)) {
            if (auto it = lets_.find(let->name.name); it != lets_.end() && axes_[std::size_t(it->second)].let == let)
                axes_[std::size_t(it->second)].seq = next_seq_++;
        } else if (const auto* b = as<ast::block>(item)) {
            read_block(*b);
        }
    }
    // tuples and where may name any axis, declared before or after them
    for (const auto& item : file_.items) {
        if (const auto* t = as<ast::tuples>(item)) read_tuples(*t);
        if (const auto* w = as<ast::where_clause>(item)) read_where(*w);
    }
    check_cross();
    for (const auto& a : axes_)
        if (a.named && !a.used)
            rep_.warning(*a.decl, "axis '" + a.name + "' is never used; it adds nothing to the grid (use it as a "
                                  "value, or remove the let)");
    if (!rep_.failed()) layout();
    std::optional<study> out;
    if (!rep_.failed()) out = expand();
    if (rep_.failed()) out.reset();
    rep_.flush(diags);
    return out;
}

}  // namespace hps::check_detail

namespace hps {

std::optional<study> check(const source& src, const ast::study_file& file, diagnostics& diags) {
    check_detail::checker c(src, file);
    return c.run(diags);
}

}  // namespace hps
