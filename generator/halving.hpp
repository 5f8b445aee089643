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

// Hyperband (`brackets B`): bracket b halves its own points (point_row::bracket) over the
// rungs b .. last, starting at rungs[b] steps; the brackets are independent halvings, and
// the study's winner is the best of their last rungs. With a run axis (train.seed:
// `repeat N`), a rung ranks configurations by the mean of their runs' values and promotes
// or stops all runs of a configuration together.

struct rung_point {
    std::string name, identity;
    std::size_t id = 0;
    std::size_t configuration = 0;
    double value = 0;     // the metric at the rung's last step (when reached)
    bool reached = false;  // evaluated at the rung's last step (not failed, diverged or stopped early)
    double mean = 0;       // its configuration's mean over the runs that reached it (without a run axis: value)
    std::size_t rank = 0;  // its configuration's place in the rung, 1 the best (0: none of its runs reached it)
    bool promoted = false;
};

struct rung_record {
    std::size_t bracket = 0;  // 0 the first
    std::size_t rung = 0;     // the index of its steps in study_dir::rungs: bracket b's rungs are b .. last
    long steps = 0;
    std::size_t configurations = 0;
    // ranked: the configurations best first (a configuration's runs by id), then the
    // points of those none of whose runs reached it
    std::vector<rung_point> points;
};

// The validation value of `metric` ("loss" or a metric's name) at `step`, from the run
// folder's metrics.csv; nullopt when it has no such row or the value is not finite.
std::optional<double> validation_value_at(const std::string& run_folder, const std::string& metric, long step);

// Ranks `points` (of one bracket) at rung `rung`: each configuration by the mean of its
// runs that reached the rung's last step, by the study's selection rule (ties: the
// configuration with the lower first id), and marks the runs that reached it of the
// best rung_promotes configurations as promoted.
rung_record rank_rung(const study_dir& s, const std::vector<point_row>& points, std::size_t bracket, std::size_t rung);

// How many of a rung's n configurations go on: max(1, n / eta), none from the last rung.
std::size_t rung_promotes(const study_dir& s, std::size_t rung, std::size_t n);

// The rows of the points a ranked rung promoted, best first.
std::vector<point_row> promoted_points(const study_dir& s, const rung_record& r);

// Bracket b's rungs b .. last ranked anew from the points' metrics.csv, every point of
// the bracket in its first rung, each next rung the points the one before promoted: what
// `hpsgen run` ranks as it goes, and the promotion job of a submitted study in one go.
std::vector<rung_record> rank_rungs(const study_dir& s, std::size_t bracket, std::size_t last);

// Every bracket ranked anew to as many rungs as `counts` gives it (0: none), bracket by bracket.
std::vector<rung_record> rank_brackets(const study_dir& s, const std::vector<std::size_t>& counts);
// How many rungs of each bracket `rungs` holds.
std::vector<std::size_t> ranked_counts(const study_dir& s, const std::vector<rung_record>& rungs);

// The study's winner once every bracket's last rung is ranked: the best configuration of
// the last rungs by the selection rule (ties: the lower bracket, then the lower id).
struct halving_winner {
    std::size_t bracket = 0;
    std::vector<std::string> names;  // its runs that reached max_steps, by id
    double value = 0;                // their mean
};
std::optional<halving_winner> winner_of(const study_dir& s, const std::vector<rung_record>& rungs);

// "rung 2 of 3", or with brackets "bracket 2 of 3, rung 1 of 2" (rung: an index into rungs).
std::string rung_label(const study_dir& s, std::size_t bracket, std::size_t rung);

// DIR/halving.json: the rungs ranked so far (bracket by bracket), and the winner once
// every bracket has ended, replaced atomically; and each ranked point's own history in
// its result.json ("halving": its bracket, its rungs, value, rank and whether it went on;
// "stopped_at_rung" when halving stopped it), which a promoted point's trainer drops
// when it writes its next result and the next ranking writes again.
void write_halving_state(const study_dir& s, const std::vector<rung_record>& rungs);
// Its contents; empty when the study has none yet (or it is unreadable).
std::vector<rung_record> read_halving_state(const std::string& dir);

// The points halving has stopped (ranked at a rung and not promoted), by identity: "rung 1
// of 3 (40 steps): 4th of 9 by max accuracy". Their runs stay paused (resume.bin); the
// report and status show them as halved, a result of the study.
std::map<std::string, std::string> halved_points(const study_dir& s);

}  // namespace hps
