// hpsgen's subcommands. Each takes its arguments after the subcommand name, prints
// its own --help, and returns the process exit status: 0 success, 1 the input was
// wrong (diagnostics printed), 2 the command line was wrong.
#pragma once

#include <string>
#include <vector>

namespace hps::cli {

using args = std::vector<std::string>;

int check(const args& a);
int list(const args& a);
int fmt(const args& a);
int generate(const args& a);
int run(const args& a);
int report(const args& a);
int submit(const args& a);
int status(const args& a);
int export_model(const args& a);  // "export"

}  // namespace hps::cli
