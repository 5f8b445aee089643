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
// A point of `ranks N` (docs/design.md, section 22) is N processes, each with its network at
// batch B/N and its own copy of the data: its memory here is one rank's (a request per rank,
// which Slurm gets as --mem-per-cpu: slurm::mem_option), its time a rank's steps at B/N plus
// the gradient exchange, its core-hours N x cpus x its time.
//
// Time is the forward pass's floating-point operations per sample (layer_kind::flops) x 3
// for forward and backward, x the samples a point trains on, plus one forward pass per
// sample evaluated (the validation set at each checkpoint, the test set once), over
// kDefaultRate x cpus: a documented default, not a calibration on the building machine;
// or, once `hpsgen submit` has built and calibrated the trainer (generator/calibrate.hpp),
// the steps and evaluation batches at their measured times: that time gives --time.
#pragma once

#include "dsl/data_check.hpp"
#include "dsl/study.hpp"
#include "generator/calibrate.hpp"

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
// What each rank of a `ranks N` point sends and receives per byte of its gradients per
// step (MPI_Alltoallv, then MPI_Allgatherv: (N-1)/N of the array each), per second: the
// slower of the two rates benchmarks/ranks_exchange.cpp measured between 2 ranks on one
// node (OpenMPI 4.1, shared memory; the fastest of 60 exchanges, docs/performance.md,
// "Data-parallel training"): 1.29 GB/s for printability's 148,801 gradients, 1.73 GB/s for
// Model-108's 1,018,690. About a 10 Gbit/s network's line rate (1.25 GB/s) too; not the
// cluster's own network, which only a job on its nodes could measure.
inline constexpr double kExchangeRate = 1.3e9;
// The margin on what a point's sbatch requests: +20 %, plus what the batch shell and the
// tools it starts hold beside the trainer (bash 3 MiB, its subshell 2, awk 2: 7 MiB measured
// with /usr/bin/time -v; twice that), rounded up to whole MiB.
inline constexpr double kMemMargin = 1.2;
inline constexpr std::size_t kTaskOverhead = std::size_t(16) << 20;
// The least a task that builds its trainer (`build node`) requests: g++ 12 compiling the
// tests' small trainer at -O1 peaked at 555 MiB (/usr/bin/time -v); -O3 and larger networks
// take more.
inline constexpr std::size_t kBuildMemory = std::size_t(1) << 30;

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

// The processes a point trains as (the slurm block's `ranks`), and each one's batch (B/N:
// what its network is compiled for and what --calibrate times).
int point_ranks(const grid_point& p);
int rank_batch(const grid_point& p);
// One rank's gradient exchange per step, in seconds at kExchangeRate; 0 for one process.
double exchange_seconds(const grid_point& p);

// One process's memory (a rank's, for a `ranks` point).
memory point_memory(const grid_point& p, const std::map<std::string, data_header>& files);

// One sample's forward pass, in floating-point operations.
double forward_flops(const grid_point& p);

// What a point computes: its training steps, and the samples it evaluates (the
// validation set at each checkpoint, the test set once); unset when it trains for epochs
// of data that could not be opened.
struct workload {
    double steps = 0, evaluated = 0;
};
std::optional<workload> point_workload(const grid_point& p, const std::map<std::string, data_header>& files);
// Its part from step `from` to step `until` (a halving rung, which resumes where the rung
// before paused): until - from steps, the validation passes of the checkpoints in (from,
// until] (the trainer's own checkpoint steps), the test set once when `until` is the end.
// Only for points that train for steps (halving's do).
std::optional<workload> point_workload(const grid_point& p, const std::map<std::string, data_header>& files, long from,
                                       long until);

// The point's training time in seconds on `cpus` at `rate` per cpu (scaling assumed
// linear), each rank's steps at B/N and their exchange, the evaluation on rank 0 alone;
// unset when it trains for epochs of data that could not be opened.
std::optional<double> point_seconds(const grid_point& p, const std::map<std::string, data_header>& files, int cpus = 1,
                                    double rate = kDefaultRate);

// The same from a calibration of its trainer (one rank's batch B/N timed alone): steps x
// (a step + the exchange) + the batches of B/N evaluated x an evaluation batch, at `cpus`
// (scaling assumed linear beyond the calibration's threads).
std::optional<double> calibrated_seconds(const grid_point& p, const std::map<std::string, data_header>& files,
                                         const calibration& c, int cpus = 1);
// ... of a workload of the point's network (a rung's)
double workload_seconds(const grid_point& p, const workload& w, const calibration& c, int cpus = 1);
// A halving rung's part of a point (point_workload from `from` to `until`): at its trainer's
// calibration `c` (workload_seconds), or estimated at `rate` as point_seconds is when there
// is none. What a rung's --time (rung_requests) and check --cost's rung columns come from.
std::optional<double> rung_seconds(const grid_point& p, const std::map<std::string, data_header>& files, long from,
                                   long until, const calibration* c, int cpus = 1, double rate = kDefaultRate);

// --time for a calibrated time: x kTimeMargin + kTimeSlack (the data's loading, a loaded
// node), whole minutes, at most `cap` (the partition's MaxTime) when there is one.
inline constexpr double kTimeMargin = 1.5;
inline constexpr long kTimeSlack = 300;
long time_request(double seconds, std::optional<long> cap);

// Resource classes: points whose requests round up to the same step of a ladder (memory:
// 64M, 96M, 128M, 192M, 256M, ... each step 1.5 or 1.33 times the last; time: 10, 15, 20,
// 30, 45 min, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24 h, then whole days) share an array, which
// requests the largest of its points' requests (not the step's).
std::size_t mem_class(std::size_t mib);
long time_class(long seconds);

// --mem's value for `bytes` with the margin and the task's overhead: "86M" (per rank for a
// `ranks` point: slurm::mem_option makes it --mem-per-cpu).
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

// `hpsgen check --cost` and `hpsgen submit --dry-run`: per point its parameters, memory, time
// (calibrated where its trainer is in `calibrated`, else estimated) and --time; the arrays,
// and the study's core-hours. A halving study's instead: per point the time of each of its
// rungs (its part from the rung before's pause), per rung the points that train it, and the
// core-hours of the points that reach each rung; after a bracket's first rung, which ones
// do is unknown before training, and the rung counts its most expensive candidates (an
// upper bound). `cap`: the partition's MaxTime, where known.
std::string cost_table(const study& s, const std::map<std::string, data_header>& files,
                       const calibrations& calibrated = {}, std::optional<long> cap = std::nullopt);

}  // namespace hps::cost
