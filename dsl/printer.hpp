// The canonical .hps text of an AST (dsl/printer.cpp): `hpsgen fmt`, golden tests.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"

#include <string>

namespace hps {

// parse(print(ast)) (grammar/parse.hpp) gives back the same AST, positions aside.
std::string print(const ast::study_file& file);
// The same, with the comments of the source `file` was parsed from put back (`hpsgen fmt`).
std::string print(const ast::study_file& file, const source& src);

}  // namespace hps
