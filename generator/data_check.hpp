// The commands' data check (dsl/data_check.hpp), before anything is written or built:
// `check` and `generate` open the spec's data files from the spec's folder; `run` and
// `submit` open them as the study folder's trainers will, from the folder, and locate
// each error in the folder's study.hps (the canonical copy `generate` wrote).
// --no-data-check skips it, for a spec prepared where the data is not.
#pragma once

#include "generator/cli_util.hpp"

#include <iosfwd>
#include <string>

namespace hps::cli {

// --no-data-check, with the same words on every command.
void data_check_flag(arg_parser& p, bool& skip);

// check and generate: prints the errors in the spec's data files to `err`; returns how many.
std::size_t check_spec_data(const source& src, const ast::study_file& file, const study& s, std::ostream& err);

// run and submit: the data as the trainers of study folder `dir` open it (their paths
// read from the trainer of `point`, one of its points). Prints the errors and what to do,
// after `command` ("hpsgen run"); false when there are any.
bool check_study_data(const std::string& dir, const std::string& point, const std::string& command, std::ostream& err);

}  // namespace hps::cli
