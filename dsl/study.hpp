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
    int ranks = 1;  // MPI processes per point (data-parallel), each with `cpus` threads
};

// The points a halving rung of n promotes with factor eta: the best 1/eta, at least one.
inline std::size_t halving_promoted(std::size_t n, int eta) { return std::max<std::size_t>(1, n / std::size_t(eta)); }

// The axes that tell a configuration's runs apart: train.seed (`repeat N`, or a seed axis
// written out) and train.fold (`folds K`). A configuration is the points with the same values of every other axis;
// the report ranks configurations by their runs' mean, and halving ranks, promotes and
// stops a configuration's runs together (docs/design.md, sections 16, 19 and 21).
inline bool is_run_axis(const std::string& axis_name) { return axis_name == "train.seed" || axis_name == "train.fold"; }

// Each point's configuration, numbered from 0 in order of first appearance: values[i] is
// point i's value of every axis (as text, in the order of axis_names).
inline std::vector<std::size_t> configuration_index(const std::vector<std::string>& axis_names,
                                                    const std::vector<std::vector<std::string>>& values) {
    std::map<std::vector<std::string>, std::size_t> index;
    std::vector<std::size_t> out;
    for (const auto& row : values) {
        std::vector<std::string> key;
        for (std::size_t k = 0; k < row.size() && k < axis_names.size(); ++k)
            if (!is_run_axis(axis_names[k])) key.push_back(row[k]);
        out.push_back(index.try_emplace(std::move(key), index.size()).first->second);
    }
    return out;
}

// The first number of the splitmix64 stream seeded x (the sample's generator, grid.cpp).
inline std::uint64_t splitmix64_first(std::uint64_t x) {
    std::uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The steps that rungs ask for: points[i] points trained from steps[i - 1] (0 before the
// first) to steps[i], a promoted point going on from its pause. The one count of a
// halving's cost: check's plan and hpsgen run's total.
inline std::size_t halving_steps(const std::vector<long>& steps, const std::vector<std::size_t>& points) {
    std::size_t out = 0;
    long before = 0;
    for (std::size_t i = 0; i < steps.size() && i < points.size(); ++i) {
        out += points[i] * std::size_t(steps[i] - before);
        before = steps[i];
    }
    return out;
}

// Which points train, and for how long (the search block). A sample is drawn from the
// grid after tuples and where; halving applies to the grid or the sample.
struct search_config {
    std::size_t sample = 0;  // random N: N points of the grid; 0: every point (grid)
    std::uint64_t seed = 1;  // the draw's seed
    std::size_t space = 0;   // the points the sample was drawn from
    // successive halving when eta > 0: rung r trains the survivors to min_steps * eta^r
    int eta = 0;
    long min_steps = 0, max_steps = 0;
    // Hyperband: bracket b (0 the first) is a halving of its own share of the
    // configurations over rungs b .. last, starting at min_steps * eta^b
    int brackets = 1;
    std::vector<std::size_t> bracket_of;  // per point id, when brackets > 1 (else empty: bracket 0)
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
    // Hyperband's number of configurations for bracket b (Li et al. 2018, with s_max = K,
    // the study's rungs less one, and s = K - b halvings in the bracket):
    // ceil((K + 1) / (s + 1) * eta^s); the brackets share a study's configurations in
    // these proportions
    std::vector<std::size_t> bracket_weights() const {
        std::vector<std::size_t> out;
        const std::size_t k = rungs().size() - 1;
        for (std::size_t b = 0; b < std::size_t(brackets) && b <= k; ++b) {
            const std::size_t s = k - b;
            std::size_t power = 1;
            for (std::size_t i = 0; i < s; ++i) power *= std::size_t(eta);
            out.push_back(((k + 1) * power + s) / (s + 1));
        }
        return out;
    }
};

// The bracket of each of n configurations (numbered in order of first appearance):
// the configurations are taken in the sample's draw order (random: so that the first
// configurations of a larger sample keep their brackets) or, for a grid, in the order of
// splitmix64_first(configuration) (so that no bracket holds one corner of the grid), and
// dealt by smooth weighted round robin over the weights: each bracket adds its weight to
// its credit, the one with the most (ties: the first) takes the configuration and gives
// back the weights' sum. Every run of weights.sum() configurations deals each bracket
// exactly its weight.
inline std::vector<std::size_t> deal_brackets(const std::vector<std::size_t>& weights, std::size_t n, bool drawn) {
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    if (!drawn)
        std::stable_sort(order.begin(), order.end(),
                         [](std::size_t a, std::size_t b) { return splitmix64_first(a) < splitmix64_first(b); });
    std::vector<long long> credit(weights.size(), 0);
    long long total = 0;
    for (std::size_t w : weights) total += (long long)w;
    std::vector<std::size_t> out(n, 0);
    for (std::size_t c : order) {
        std::size_t best = 0;
        for (std::size_t b = 0; b < weights.size(); ++b) {
            credit[b] += (long long)weights[b];
            if (credit[b] > credit[best]) best = b;
        }
        credit[best] -= total;
        out[c] = best;
    }
    return out;
}

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

// configuration_index of a checked study's points (by id).
inline std::vector<std::size_t> configurations_of(const study& s) {
    std::vector<std::string> names;
    for (const auto& a : s.axes) names.push_back(a.name);
    std::vector<std::vector<std::string>> values;
    for (const auto& p : s.points) {
        values.emplace_back();
        for (const auto& v : p.axis_values) values.back().push_back(v.text);
    }
    return configuration_index(names, values);
}

}  // namespace hps
