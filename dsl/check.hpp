// Semantic checks: an AST (dsl/ast.hpp) against the schema (dsl/schema.hpp), then the
// grid it spans (dsl/expand.hpp), shape by shape at every grid point.
//
// Every problem is a diagnostic located on the AST node that causes it, in the words of
// the spec ("conv2d2: kernel 5 is wider than its 3 x 3 input at 96 of 192 grid points,
// e.g. model-003 (...)"): what was expected, what was found, how to fix it. The checker
// collects as many errors as it can in one run; diagnostics come out in source order.
// A problem that appears at many grid points is reported once per layer and message.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/study.hpp"

#include <optional>

namespace hps {

// The checked, expanded study, or nullopt when `diags` gained at least one error.
// Warnings (an unused `let`, a final activation before a loss that applies its own)
// are added to `diags` and do not stop the study.
std::optional<study> check(const source& src, const ast::study_file& file, diagnostics& diags);

}  // namespace hps
