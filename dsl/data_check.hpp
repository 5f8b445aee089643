// Data checked before anything builds: every file a checked study names in its data
// block (train, validation, test) is loaded with the runtime's own readers
// (hps/dataset.hpp's load_dataset). Whatever the trainer would refuse at start (a missing
// or corrupt file, a missing array, an unreadable dtype, a sample shape that is not the
// spec's `input`, labels that do not fit `target`, x and y of different lengths, NaN or
// infinite values) becomes an error located at the data statement, in the runtime's own
// words. The values are read, not only the headers, because a NaN found by the trainer
// stops every point of the grid after it was built and queued.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/study.hpp"

#include <functional>
#include <optional>
#include <string>

namespace hps {

// The path a trainer opens for a data path of the spec when `prefix` leads from the
// trainer's working folder to the spec's folder ("" or ending in '/'): a relative path
// gets the prefix, each of a pair "x.npy,y.npy" its own, the file of "file.h5:/x,/y" its
// own; absolute paths and "idx:" ones are kept.
std::string prefixed_data_path(const std::string& path, const std::string& prefix);

// Where the data files are, as the check should open them.
struct data_location {
    // The folder relative paths are opened from ("" for the working folder).
    std::string folder;
    // The path the trainer opens, from `folder`, for the spec's path `written` of the data
    // statement `which` (train, validation, test); unset: `written` as it is.
    std::function<std::string(const std::string& which, const std::string& written)> trainer_path;
    // For a missing file: where relative paths are taken from, and what to do
    // ("relative paths are taken from the spec's folder; ...").
    std::string missing_hint;
};

// Samples, and floats per sample as a trainer holds them (inputs and targets), of the data
// at `path` opened for point p: headers only (hps::open_dataset). Unset when it cannot be
// opened (the data check says why).
struct data_header {
    std::size_t samples = 0, floats_per_sample = 0;
};
std::optional<data_header> read_data_header(const std::string& path, const grid_point& p);

// Adds an error at each data statement of `file` whose files a trainer of `s` would refuse.
void check_data(const source& src, const ast::study_file& file, const study& s, const data_location& where,
                diagnostics& diags);

}  // namespace hps
