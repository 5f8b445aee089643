// Successive halving on Slurm: each rung is a job array over its points (the list in
// DIR/slurm/rung-R.points, which submit.sbatch reads through HPS_POINTS), paused at the
// rung's steps with the trainer's --until, and followed by a promotion job
// (--dependency=afterany) that runs `hpsgen promote DIR --rung R`: it ranks the rungs
// anew from metrics.csv with the code `hpsgen run` uses (generator/halving.hpp), writes
// halving.json, and submits the next rung and its promotion job; after the last rung,
// the report job. Every job is recorded in slurm/jobs.tsv before the next is submitted,
// and a rung or promotion recorded there is never submitted again: a failed promotion
// can be run again by hand. With Hyperband's brackets, each bracket is a chain of its own
// (slurm/bracket-B-rung-R.points, `hpsgen promote --bracket B`), side by side; the last
// bracket's promotion to end submits the report.
#pragma once

#include "generator/slurm.hpp"
#include "generator/slurm_requests.hpp"
#include "generator/study_dir.hpp"

#include <string>
#include <vector>

namespace hps {

struct rung_submission {
    std::string dir;  // the study folder as given
    std::string build = "before", packing = "sequential";
    std::string throttle;  // "%N" or ""
    std::size_t max_array = 1001;
    bool report = true;
    bool dry_run = false;
    bool no_build = false;  // submit's --no-build: a trainer not built is built by its task
    int submission = 1;
    // what the rung's arrays ask (generator/slurm_requests.hpp), as for submit's arrays:
    // the command line's --mem and --time over every point's, --max-time over the
    // partition's MaxTime, and no time from the calibrations under --no-calibrate; passed on
    // to each promotion job's command line, so that every rung asks alike
    request fixed;
    std::string max_time;
    bool calibrate = true;
    // a point whose task of a rung ran out of memory or time is trained again, once, with
    // this many times its --mem or --time (submit's --retry-factor)
    double retry_factor = 2;
};

// Submits rung `rung` (an index into the study's rungs) of bracket `bracket` (0 the first;
// its first rung is `bracket`) over `points` (ids, sorted) as arrays by resource class, cut
// to max_array, and its promotion job, each unless jobs.tsv records it for this rung;
// records what it submits in `recorded` and jobs.tsv. Prints what it does; returns the
// exit status (1 when sbatch refused, with the reason on stderr).
int submit_rung(const study_dir& s, std::size_t bracket, std::size_t rung, const std::vector<std::size_t>& points,
                const rung_submission& o, std::vector<slurm::job_record>& recorded);

// `hpsgen status`: a line per rung submitted (its points, array jobs, state, the points
// it promoted) and per promotion job not yet done.
std::vector<std::string> halving_status_lines(const study_dir& s, const std::vector<slurm::job_record>& jobs,
                                              const slurm::queue_view& queue, const slurm::queue_view& accounting);

// A job's state in a few words: "done", "pending (Dependency)", "running", "failed", ...
std::string job_state_text(const std::string& job, const slurm::queue_view& queue, const slurm::queue_view& accounting);

}  // namespace hps
