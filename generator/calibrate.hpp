// The time of a network's training step on this machine: each built trainer run with
// --calibrate (hps/train/calibrate.hpp: a few steps and evaluation batches on a made-up
// batch, after two to warm up), cached in DIR/build/calibration.tsv per trainer binary.
// `hpsgen submit` calibrates the trainers it built; `submit --dry-run` and
// `check --cost --calibration DIR` read the cache. A row holds while its binary's size and
// modification time are those it was measured with: a rebuilt trainer is measured again.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace hps {

struct calibration {
    int threads = 1;  // the threads it ran with
    int batch = 0;
    double step_seconds = 0;  // one training step: forward, loss, backward, optimizer
    double eval_batch_seconds = 0;  // one batch's inference forward pass
    std::string stamp;  // the binary's "<size>:<mtime ns>"
};

// trainer (net-<signature>) -> its calibration
using calibrations = std::map<std::string, calibration>;

// The cache of study folder DIR, only the rows whose binary (DIR/build/bin/<trainer>) is
// unchanged; empty when there is none.
calibrations read_calibrations(const std::string& dir);

// The trainer's --calibrate line ("calibration threads=1 batch=16 step_s=... eval_batch_s=...").
bool parse_calibration_line(const std::string& text, calibration& out);

// Calibrates each trainer of `trainers` (name -> a settings file of one of its points,
// relative to DIR) built in DIR/build/bin and not calibrated yet, with `threads` threads,
// one after another (side by side they would measure each other), and rewrites the cache.
// Progress and failures go to `log`; returns the calibrations now known.
calibrations calibrate_trainers(const std::string& dir, const std::map<std::string, std::string>& trainers, int threads,
                                std::ostream& log);

}  // namespace hps
