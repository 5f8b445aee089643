// The front end's first step: a .hps source -> its AST (dsl/ast.hpp), errors as
// diagnostics (dsl/diagnostics.hpp). Then check (dsl/check.hpp), and print (dsl/printer.hpp).
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"

namespace hps {

// Parses src.text() into out, tagging node positions in src.positions(). On a syntax
// error adds one located diagnostic ("expected a range like 128..1024 step 128") and
// returns false; `out` is then unspecified.
bool parse(source& src, ast::study_file& out, diagnostics& diags);

}  // namespace hps
