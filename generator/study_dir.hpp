// A generated study folder as `run`, `report` and `status` see it: its grid (grid.tsv:
// each point's name, axes, trainer and identity), its selection rule (study.json), the
// state of each point's run folder (results/<identity>/), and the results on disk that
// belong to no point of the current grid (an edited spec's).
#pragma once

#include <hps/config.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hps {

struct point_row {
    std::size_t id = 0;
    std::string name;
    std::vector<std::string> axis_values;  // as in grid.tsv
    std::size_t params = 0;
    std::string trainer;   // net-<signature>: the binary build/bin/<trainer>
    std::string identity;  // what its result belongs to
    std::size_t configuration = 0;  // the points that differ only by a run axis (train.seed, train.fold) share one
    std::size_t bracket = 0;        // halving with brackets (Hyperband): its bracket, 0 the first

    std::string settings_file() const { return "settings/" + name + ".json"; }
    std::string run_dir() const { return "results/" + identity; }  // relative to the study folder
};

struct study_dir {
    std::string path;
    std::string study;
    std::string description;  // the study statement's text, "" when none
    std::string spec;         // the spec generate read, as given to it
    std::vector<std::string> axis_names;
    std::vector<point_row> points;
    std::string select_metric = "loss";
    bool select_max = false;
    // successive halving (study.json's search): each rung's steps, ascending; empty: none
    int eta = 0;
    std::vector<long> rungs;
    std::size_t brackets = 1;  // bracket b halves its points over rungs b .. last
    bool grouped = false;      // a run axis: halving ranks configurations by their runs' mean
    int ranks = 1;             // MPI processes per point (the slurm block's `ranks`)

    // bracket b's rungs (indices into rungs): b .. last
    std::size_t bracket_rungs(std::size_t b) const { return rungs.size() > b ? rungs.size() - b : 0; }
    std::vector<point_row> bracket_points(std::size_t b) const {
        std::vector<point_row> out;
        for (const auto& p : points)
            if (p.bracket == b) out.push_back(p);
        return out;
    }
};

// The whole of a file of the study folder, "" when it is missing or unreadable.
std::string read_study_file(const std::string& path);

// Reads DIR/grid.tsv and DIR/study.json; throws std::runtime_error with a message that
// says what is wrong ("out/x is not a study folder: no .hpsgen; run hpsgen generate").
study_dir load_study_dir(const std::string& dir);

// The points a list names, in grid order: comma-separated names (model-3), ids (3) and
// id ranges (3-7, inclusive). Throws std::runtime_error naming what matches no point
// and the study's range of ids.
std::vector<point_row> select_points(const study_dir& s, const std::string& list);

// What a point's run folder says.
struct point_state {
    // pending: never started; interrupted: resume.bin, no result; done, early_stopped,
    // diverged, failed, paused (--until): from result.json; halved: see finished()
    std::string status = "pending";
    std::string message;
    long best_step = -1;
    std::vector<std::pair<std::string, double>> best;  // validation metrics at the best step
    std::vector<std::pair<std::string, double>> test;  // test metrics of the best step
    std::vector<std::vector<long>> confusion;  // of the best step: [true][predicted]; empty when not measured
    double wall_seconds = 0;
    int threads = 1;
    double samples_per_second = 0;
    long steps = 0, total_steps = 0;
    std::string overrides;  // the command line's changes (--steps 30: "steps=30"), "" when none
    std::string runtime;  // the runtime that computed it (hps::runtime_identity); "" before results recorded it
    std::string select_metric = "loss";  // the rule that chose the best checkpoint in training
    bool select_max = false;

    // halved: stopped by successive halving at a rung (generator/halving.hpp), not by its trainer
    bool finished() const {
        return status == "done" || status == "early_stopped" || status == "diverged" || status == "halved";
    }
    // a finished result that a runtime other than `current` computed (hps/version.hpp): no
    // grid of an hpsgen with `current` owns it
    bool from_other_runtime(const std::string& current) const { return finished() && runtime != current; }
    std::optional<double> best_value(const std::string& metric) const;
};

// A point's settings (DIR/settings/<point>.json) as its trainer reads them; nullopt when
// the file is missing or refused.
std::optional<train_config> read_point_settings(const std::string& dir, const point_row& p);

// The state of a point (or of any run folder under DIR/results/).
point_state read_point_state(const std::string& dir, const point_row& p);

// A result on disk that no point of the current grid owns: results/<identity>/ of a point
// the spec no longer has (or had with other values). Never deleted; listed by status
// and report.
struct outside_result {
    point_row row;  // identity and run folder; name, axes and params as its settings.json says
    point_state state;
};
std::vector<outside_result> results_outside_grid(const study_dir& s);

}  // namespace hps
