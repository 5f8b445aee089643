// The runtime's version as a point's identity sees it (docs/design.md, sections 10 and 32):
// the version of the numbers it computes, and the format of the state it resumes from.
//
// Raise numerics_version by one with any change that can change a number a trainer computes
// or writes: a kernel's order of operations, an initialiser, a loss, an optimizer, dropout's
// mask, the data pipeline (split, shuffle, normalisation, augmentation), a metric, when a
// checkpoint is evaluated. Keep it for a change that keeps every number: speed with the same
// bits, messages, a new layer kind or setting (a new configuration has no earlier results).
// Every finished result of a study keeps its identity across an hpsgen that keeps both
// numbers, so upgrading hpsgen does not retrain a study; raising one retrains every point.
//
// runtime.numerics (tests/runtime/numerics) checks small networks of every layer kind,
// loss and optimizer, and a trainer's whole run, against the numbers recorded for this
// version (numerics.golden), and fails, saying what to do, when they change without it.
// It builds with portable flags: a change only the -march=native kernels see (AVX-512
// tails, bf16, AMX) raises the version by the rule above, unchecked.
#pragma once

#include "hps/checkpoint.hpp"

#include <string>

namespace hps {

inline constexpr int numerics_version = 1;

// the text a point's identity holds for the runtime (identity_json's "runtime")
inline std::string runtime_identity() {
    return "numerics " + std::to_string(numerics_version) + ", resume format " + std::to_string(checkpoint_version);
}

}  // namespace hps
