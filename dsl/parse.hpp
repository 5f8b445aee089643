// The front end's entry points, in pipeline order: parse, check (dsl/check.hpp), print.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"

#include <string>

namespace hps {

// Parses src.text() into out, tagging node positions in src.positions(). On a syntax
// error adds one located diagnostic ("expected a range like 128..1024 step 128") and
// returns false; `out` is then unspecified.
bool parse(source& src, ast::study_file& out, diagnostics& diags);

// The canonical .hps text of an AST (dsl/printer.cpp): `hpsgen fmt`, golden tests.
// parse(print(ast)) gives back the same AST, positions aside.
std::string print(const ast::study_file& file);
// The same, with the comments of the source `file` was parsed from put back (`hpsgen fmt`).
std::string print(const ast::study_file& file, const source& src);

}  // namespace hps
