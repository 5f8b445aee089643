// The expanded grid as text: what `hpsgen check` and `hpsgen list` print and what
// `generate` writes as grid.tsv. The expansion itself (numbering, pruning, shapes) is
// the checker's (dsl/check.hpp, dsl/expand.hpp); this is its presentation.
#pragma once

#include "dsl/study.hpp"

#include <string>
#include <string_view>

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

// An axis value as JSON: a number as written when that is valid JSON, else as a string.
std::string json_value(const param_value& v);

}  // namespace hps
