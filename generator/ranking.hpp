// The points of a study ranked by a validation metric, each at its best checkpoint by
// that metric: what `hpsgen report` prints and writes (report.csv, report.md, JSON,
// report.html) and what `hpsgen run` refreshes report.html with.
#pragma once

#include "generator/study_dir.hpp"

#include <hps/io.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace hps {

// What the points are ranked by: a metric of result.json's "best" and its direction.
struct rank_rule {
    std::string metric;
    bool max = false;
};

inline std::string goal_text(bool max) { return max ? "max" : "min"; }

// The direction of `metric` when the command line gives none: the spec's for its
// selection metric, min for the loss, a metric kind's own (hps::metric_table) for a
// metric named after its kind; nullopt for a name given with `as` (acc20), which
// neither study.json nor result.json maps to its kind.
std::optional<bool> known_goal(const study_dir& s, const std::string& metric);

struct ranked_point {
    const point_row* row;
    point_state state;
    double key;  // the rule's metric at the point's best checkpoint; NaN: not ranked
};

// A metric over a configuration's runs: mean and sample standard deviation (n - 1; NaN
// below 2 values) of the runs that have it.
struct metric_stat {
    std::string name;
    double mean = 0, sd = 0;
    int n = 0;
};

// A configuration: the points that differ only by the run axes (train.seed, written
// `repeat N` or `seed {1, 2, 3}`, and train.fold, written `folds K`), ranked by the mean of
// the rule's metric over its runs.
struct configuration {
    std::vector<std::string> axis_values;   // every axis but the run axes, as in grid.tsv
    std::vector<const ranked_point*> runs;  // in rank order, then grid order (ranking::rows)
    int ranked = 0;                         // runs with a value of the rule's metric
    double key = 0;                         // their mean; NaN: none
    std::vector<metric_stat> best, test;    // per metric of the results, as ranking's names
};

struct ranking {
    rank_rule rule;
    // ranked points first (best first), then the rest in grid order
    std::vector<ranked_point> rows;
    // with a run axis (train.seed, train.fold): the configurations, ranked by their mean
    // (best first), then those with no ranked run in grid order; empty without one
    std::vector<int> run_axes;  // their indices in study_dir::axis_names, in grid order
    std::vector<configuration> configurations;
    bool is_run_axis(std::size_t k) const { return std::find(run_axes.begin(), run_axes.end(), int(k)) != run_axes.end(); }
    // a run's values of the run axes, "/" between them: "2", "1/0" (seed 1, fold 0)
    std::string run_of(const point_row& p) const;
    // what run_of's values are, plural: "seeds", "folds", "seeds/folds"
    std::string runs_word(const study_dir& s) const;
    std::vector<std::string> metric_names, test_names;  // as the results name them, first seen first
    int unfinished = 0;
    // What the ranking owes the reader when some point's checkpoint was chosen in training
    // by another rule than the ranking's; empty when nothing differs.
    std::string note;
};

// The indices in s.axis_names of the run axes, train.seed and train.fold, in grid order:
// a configuration's runs differ by them.
std::vector<int> run_axes_of(const study_dir& s);

// How many configurations the study's points make (the points that differ only by the run
// axes); 0 without a run axis.
std::size_t configuration_count(const study_dir& s);

// Every point's state (read_point_state), in grid order and not ranked yet, with the
// results' metric names and the count of unfinished points.
ranking read_points(const study_dir& s);

// Ranks the points read by read_points by `rule` (once: it changes their states). A
// finished point whose checkpoint was chosen in training by another rule is taken at its
// best checkpoint by `rule`, read from its metrics.csv (the trainer's own rule: the first
// finite value better than every one before it); without metrics.csv at the one chosen
// in training. The note says so.
void rank_points(ranking& r, const study_dir& s, const rank_rule& rule);

// "run_axes": [...] and "configurations": [...] (rank, axes, runs with their seed and
// fold, mean, standard deviation and count of each metric), for report --format json and
// report.html; nothing without a run axis.
void write_configurations(json_writer& w, const study_dir& s, const ranking& r);

// A point's values as JSON, for report --format json and report.html:
// a grid.tsv value, a number when it reads whole as one, else a string;
void write_axis_value(json_writer& w, const std::string& text);
// "key": {"metric": value, ...}, NaN as null.
void write_metric_object(json_writer& w, const char* key, const std::vector<std::pair<std::string, double>>& list);

// The spec's selection rule, which chose best.npz in training.
inline rank_rule spec_rule(const study_dir& s) { return {s.select_metric, s.select_max}; }

}  // namespace hps
