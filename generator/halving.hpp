// Successive halving over a study's points (the search block's `halving`): rung r trains
// the survivors to rungs[r] steps, ranks them by the selection metric on validation data
// at that step, and promotes the best 1/eta, which go on from their pause (resume.bin).
// `hpsgen run` drives the rungs; the rungs so far are kept in DIR/halving.json, which
// `hpsgen report` and `hpsgen status` read.
#pragma once

#include "generator/study_dir.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hps {

struct rung_point {
    std::string name, identity;
    std::size_t id = 0;
    double value = 0;     // the metric at the rung's last step (when reached)
    bool reached = false;  // evaluated at the rung's last step (not failed, diverged or stopped early)
    bool promoted = false;
};

struct rung_record {
    long steps = 0;
    std::vector<rung_point> points;  // ranked: best first, then the points that did not reach it
};

// The validation value of `metric` ("loss" or a metric's name) at `step`, from the run
// folder's metrics.csv; nullopt when it has no such row or the value is not finite.
std::optional<double> validation_value_at(const std::string& run_folder, const std::string& metric, long step);

// Ranks `points` at `steps` by the study's selection rule (ties: the lower id first) and
// marks the first `promote` of those that reached it as promoted.
rung_record rank_rung(const study_dir& s, const std::vector<point_row>& points, long steps, std::size_t promote);

// How many of a rung's n points go on: max(1, n / eta), none from the last rung.
std::size_t rung_promotes(const study_dir& s, std::size_t rung, std::size_t n);

// The rows of the points a ranked rung promoted, best first.
std::vector<point_row> promoted_points(const study_dir& s, const rung_record& r);

// Rungs 0 .. last ranked anew from the points' metrics.csv, every point in rung 0, each
// next rung the points the one before promoted: what `hpsgen run` ranks as it goes, and
// the promotion job of a submitted study (`hpsgen promote`) in one go.
std::vector<rung_record> rank_rungs(const study_dir& s, std::size_t last);

// DIR/halving.json: the rungs ranked so far, replaced atomically; and each ranked point's
// own history in its result.json ("halving": its rungs, value, rank and whether it went
// on; "stopped_at_rung" when halving stopped it), which a promoted point's trainer drops
// when it writes its next result and the next ranking writes again.
void write_halving_state(const study_dir& s, const std::vector<rung_record>& rungs);
// Its contents; empty when the study has none yet (or it is unreadable).
std::vector<rung_record> read_halving_state(const std::string& dir);

// The points halving has stopped (ranked at a rung and not promoted), by identity: "rung 1
// of 3 (40 steps): 4th of 9 by max accuracy". Their runs stay paused (resume.bin); the
// report and status show them as halved, a result of the study.
std::map<std::string, std::string> halved_points(const study_dir& s);

}  // namespace hps
