// A generated study folder as `run`, `report` and `status` see it: its grid (grid.tsv),
// its selection rule (study.json), and the state of each point's run folder.
#pragma once

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
};

struct study_dir {
    std::string path;
    std::string study;
    std::vector<std::string> axis_names;
    std::vector<point_row> points;
    std::string select_metric = "loss";
    bool select_max = false;
};

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
    // diverged, failed: from result.json; stale: result.json of another configuration
    std::string status = "pending";
    std::string message;
    long best_step = -1;
    std::vector<std::pair<std::string, double>> best;  // validation metrics at the best step
    std::vector<std::pair<std::string, double>> test;  // test metrics of the best step
    double wall_seconds = 0;
    double samples_per_second = 0;
    long steps = 0, total_steps = 0;

    bool finished() const { return status == "done" || status == "early_stopped" || status == "diverged"; }
    std::optional<double> best_value(const std::string& metric) const;
};

// The fingerprint of the generated trainer (trainers/NAME/main.cpp), or "".
std::string trainer_fingerprint(const std::string& dir, const std::string& name);

point_state read_point_state(const std::string& dir, const std::string& name);

}  // namespace hps
