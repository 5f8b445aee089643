// The expanded grid as text: what `hpsgen check` and `hpsgen list` print and what
// `generate` writes as grid.tsv. The expansion itself (numbering, pruning, shapes) is
// the checker's (dsl/check.hpp, dsl/expand.hpp); this is its presentation.
#pragma once

#include "dsl/study.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hps {

enum class grid_format {
    table,  // aligned columns for people; parameters with thousands separators
    tsv,  // header line, then one row per point: id name <axis...> params
    json,  // an array of objects {"id": 0, "name": "model-000", "<axis>": value, ..., "params": 203506}
};

// Every grid point of `s`, one row each, in `format`. Output ends with a newline.
std::string format_grid(const study& s, grid_format format);

// grid.tsv: format_grid(s, grid_format::tsv).
inline std::string grid_tsv(const study& s) { return format_grid(s, grid_format::tsv); }

// What `hpsgen check` prints: the study, its grid size, each axis and its values, the
// range of free parameters (with the points that reach it), the layers of the first
// point, and the training settings.
std::string study_summary(const study& s);

// A halving study's rungs as its search trains them (docs/design.md, sections 13 and 21),
// bracket by bracket: bracket b's rungs are the study's rungs b .. last; its first trains
// every configuration of the bracket from step 0, each next one the best 1/eta of the rung
// before's from where they paused. Which configurations go on is known only once trained:
// a rung's `points` is the most runs they can hold (those of its largest configurations).
// The one count of the rungs: check's plan (study_summary) and its cost (cost::cost_table).
struct halving_rung {
    std::size_t bracket = 0;  // 0 the first
    std::size_t rung = 0;  // into search.rungs(): bracket b's first rung is rung b
    long from = 0, until = 0;  // the steps it trains from and to
    std::size_t configurations = 0;  // that reach it
    std::size_t points = 0;  // at most
};
struct halving_plan {
    // per bracket, the point ids of each of its configurations (in order of first appearance)
    std::vector<std::vector<std::vector<std::size_t>>> brackets;
    std::vector<halving_rung> rungs;  // bracket by bracket, rung by rung
};
// Empty for a study without halving.
halving_plan plan_halving(const study& s);

// An axis value as JSON: a number as written when that is valid JSON, else as a string.
std::string json_value(const param_value& v);

}  // namespace hps
