// What a point costs on a cluster: the memory its trainer holds and the time it trains,
// before anything is built (`hpsgen check`, `check --cost`, and submit.sbatch's --mem).
//
// Memory is counted as the runtime allocates it, in floats:
//   network      parameters, gradients, layer state, layer scratch, activations and the
//                two delta buffers (hps/network.hpp), the layers' own counts coming from
//                their descriptors (layer_kind::memory, is_view)
//   optimizer    its slots x parameters (adam 2, momentum 1, rmsprop 1 to 3, ...)
//   best         the best checkpoint's parameters and state, and the copy that restores them
//   batches      the trainer's batch, target and delta buffers
//   data         every sample of the training, validation and test files as float32 (from
//                the files' headers), the training set twice when a `split` cuts it, its
//                shuffle's permutation and its targets as read (doubles)
// plus a fixed overhead measured on a trainer with tiny data (kFixedOverhead, docs/slurm.md).
//
// Time is the forward pass's floating-point operations per sample (layer_kind::flops) x 3
// for forward and backward, x the samples a point trains on, plus one forward pass per
// sample evaluated (the validation set at each checkpoint, the test set once), over
// kDefaultRate x cpus: a documented default, not a calibration on the building machine.
#pragma once

#include "dsl/data_check.hpp"
#include "dsl/study.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace hps::cost {

// A trainer's resident memory beyond its buffers and data: the executable, libstdc++,
// the allocator's arenas, thread stacks (measured: docs/slurm.md, "Memory, time and cost per point").
inline constexpr std::size_t kFixedOverhead = std::size_t(5) << 20;
// Floating-point operations per second of one cpu of a training task: the rate
// examples/fashion_long.hps's two points trained at on docs/performance.md's machine 1
// (35.1 and 21.4 min measured), not a calibration on the building machine.
inline constexpr double kDefaultRate = 18e9;
// The margin on what a point's sbatch requests: +20 %, rounded up to whole MiB.
inline constexpr double kMemMargin = 1.2;

// The data files a study names, opened from `folder` (the spec's folder, "" or ending in
// '/'). A file that cannot be opened is left out: its point's data counts as unknown.
std::map<std::string, data_header> data_files(const study& s, const std::string& folder);
// The folder of a spec, as data_files takes it: "examples/" for examples/cyplam.hps.
std::string spec_folder(const std::string& spec);

struct memory {
    std::size_t params = 0, grads = 0, layer_state = 0, scratch = 0, activations = 0, deltas = 0;
    std::size_t optimizer = 0, best = 0, batches = 0, data = 0;  // floats
    bool data_known = true;  // every data file of the point was opened
    std::size_t buffers() const {  // floats
        return params + grads + layer_state + scratch + activations + deltas + optimizer + best + batches + data;
    }
    std::size_t bytes() const { return buffers() * sizeof(float) + kFixedOverhead; }
};

// The training samples of a point (after a split), if its data is known.
std::optional<std::size_t> training_samples(const grid_point& p, const std::map<std::string, data_header>& files);

memory point_memory(const grid_point& p, const std::map<std::string, data_header>& files);

// One sample's forward pass, in floating-point operations.
double forward_flops(const grid_point& p);

// The point's training time in seconds on `cpus` at `rate` per cpu (scaling assumed
// linear); unset when it trains for epochs of data that could not be opened.
std::optional<double> point_seconds(const grid_point& p, const std::map<std::string, data_header>& files, int cpus = 1,
                                    double rate = kDefaultRate);

// --mem's value for `bytes` with the margin: "58M".
std::string mem_request(std::size_t bytes);
// "45.2 MiB", "1.3 GiB"
std::string format_bytes(std::size_t bytes);
// "2.4 h", "12 min", "40 s"
std::string format_seconds(double seconds);

// The --mem an array of these points requests: the spec's `mem` when it gives one, else
// the largest point's estimate with the margin; "" when there are no points, or when a
// point's data could not be opened (its estimate would be too small).
std::string array_mem(const study& s, const std::map<std::string, data_header>& files);

// `hpsgen check`'s summary line: the least and the most memory per point, and --mem.
std::string memory_summary(const study& s, const std::map<std::string, data_header>& files);

// `hpsgen check --cost`: per point its parameters, memory, time; the arrays, and the
// study's core-hours.
std::string cost_table(const study& s, const std::map<std::string, data_header>& files);

}  // namespace hps::cost
