// The checked study: what the checker makes of an AST, and what the generator consumes.
//
// A study is its axes (every ranged value, named by `let` or anonymous) and the grid
// points they span after `tuples` and `where` pruning. A grid point is the whole study
// with every axis fixed: layers with their shapes and parameter counts, and the runtime's
// own train_config (data, training, metrics); the generator needs nothing else to emit a
// trainer.
#pragma once

#include <hps/config.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hps {

// One concrete value of an axis or setting, with its canonical text ("1e-05" prints as
// written in the spec: "1e-5"; identifiers and strings as themselves).
struct param_value {
    enum class kind { number, identifier, string };
    kind type = kind::number;
    double number = 0;
    bool is_integer = false;
    std::string text;
};

struct axis {
    std::string name;  // `let` name, or "<layer><k>.<key>" (conv2d1.filters), "train.lr", ...
    bool named = false;  // declared with `let`
    std::vector<param_value> values;
    std::string distribution;  // "loguniform 1e-5..1e-2": values are the ones drawn, one per point
};

// Layer kinds the runtime has; the grammar also accepts a few more (schema.cpp's
// unsupported_layer), which the checker rejects as "not supported yet".
struct layer {
    std::string kind;  // conv2d maxpool dense dropout flatten conv1d maxpool1d avgpool globalavgpool lstm ...
    std::string name;  // kind + 1-based index among layers of that kind: conv2d1, dense2
    int filters = 0;  // conv
    std::vector<int> kernel;  // conv, per spatial dim
    std::vector<int> stride;  // conv and pool, per spatial dim
    std::vector<int> pool;  // pool window, per spatial dim
    std::string padding = "valid";  // conv: same | valid
    int units = 0;  // dense, lstm
    bool sequences = false;  // lstm: every step's hidden state (return_sequences true), not the last
    std::string activation = "linear";  // relu elu selu softplus sigmoid tanh linear
    double rate = 0;  // dropout: probability of dropping a unit
    double l1 = 0, l2 = 0;  // penalties on the layer's weights (not biases)
    std::vector<int> in_shape, out_shape;  // channels last: (H, W, C), (N)
    std::size_t params = 0;  // trainable parameters
    bool implicit = false;  // inserted by the checker (the flatten before a dense layer)
};

struct slurm_config {
    std::string partition, account, qos, mem, time;
    int cpus = 1;
    int throttle = 0;  // 0: no %N limit
    std::vector<std::string> extra;  // extra `#SBATCH` lines, as written
    int chunk = 1;  // points per array task
    std::string packing = "sequential";  // a chunk's points: sequential | side_by_side (sharing the task's cpus)
    std::string build = "before";  // where trainers are built: before (hpsgen submit) | node (in each task)
    bool report = true;  // a report job after the arrays (--dependency=afterany)
};

// The points a halving rung of n promotes with factor eta: the best 1/eta, at least one.
inline std::size_t halving_promoted(std::size_t n, int eta) { return std::max<std::size_t>(1, n / std::size_t(eta)); }

// Which points train, and for how long (the search block). A sample is drawn from the
// grid after tuples and where; halving applies to the grid or the sample.
struct search_config {
    std::size_t sample = 0;  // random N: N points of the grid; 0: every point (grid)
    std::uint64_t seed = 1;  // the draw's seed
    std::size_t space = 0;   // the points the sample was drawn from
    // successive halving when eta > 0: rung r trains the survivors to min_steps * eta^r
    int eta = 0;
    long min_steps = 0, max_steps = 0;
    bool halving() const { return eta > 0; }
    // the points a rung of n promotes: the best 1/eta, at least one
    std::size_t promoted(std::size_t n) const { return halving_promoted(n, eta); }
    // each rung's steps, min_steps to max_steps
    std::vector<long> rungs() const {
        std::vector<long> out;
        if (!halving()) return out;
        for (long b = min_steps; b <= max_steps; b *= eta) out.push_back(b);
        return out;
    }
};

struct grid_point {
    std::size_t id = 0;
    std::size_t full_id = 0;  // row-major index in the full grid, before tuples and where
    std::string name;  // model-NNN, zero-padded to the width of the grid size
    std::vector<param_value> axis_values;  // one per study::axes, same order
    std::vector<layer> layers;
    std::vector<int> input;  // one sample's shape, channels last: (H, W, C), (L, C) or (N)
    int batch = 32;  // samples per step (compiled into the trainer)
    // everything else the trainer takes, typed as the runtime takes it (hps/config.hpp):
    // data paths as written in the spec, target, loss, optimizer, steps, metrics, selection,
    // augmentation. The generator adds the bookkeeping (study, point, axes, penalties).
    hps::train_config config;
    std::size_t params = 0;  // sum of layers' params
};

struct study {
    std::string name, description;
    std::string spec_path;  // as given on the command line
    std::vector<axis> axes;  // in declaration order: the last varies fastest
    std::size_t full_size = 0;  // product of axis sizes, before pruning
    std::vector<grid_point> points;  // after tuples and where; ids renumbered from 0
    slurm_config slurm;
    search_config search;
};

}  // namespace hps
