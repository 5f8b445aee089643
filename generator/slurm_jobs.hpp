// What `submit` and `status` both need to know of a study folder on a Slurm cluster:
// the settings `generate` wrote into submit.sbatch, the jobs recorded in
// slurm/jobs.tsv, and which point each job covers.
#pragma once

#include "generator/slurm.hpp"
#include "generator/study_dir.hpp"

#include <map>
#include <string>
#include <vector>

namespace hps {

// The spec's slurm settings, as submit.sbatch records them ("# hpsgen submit reads: ...").
struct slurm_settings {
    std::size_t chunk = 1;
    std::string packing = "sequential";
    std::string build = "before";
    bool report = true;
    int throttle = 0;
};

// Reads DIR/submit.sbatch; throws std::runtime_error saying how to fix a missing or
// foreign script ("regenerate the study").
slurm_settings read_slurm_settings(const std::string& dir);

// DIR/slurm/jobs.tsv, or no jobs when it does not exist; throws std::runtime_error when
// it cannot be read.
std::vector<slurm::job_record> read_jobs(const std::string& dir);
std::string jobs_path(const std::string& dir);

// A study folder as `submit` and `promote` read it; throws std::runtime_error saying
// what to fix.
struct submitted_study {
    study_dir study;
    slurm_settings settings;
    std::vector<slurm::job_record> jobs;
};
submitted_study load_submitted_study(const std::string& dir);

// The latest job that covers a point: its array job and task ("12" and 3 -> "12_3").
struct point_job {
    std::string job;
    std::size_t task = 0;
    int submission = 0;
    std::string mem, time;  // what its array asked on sbatch's command line ("": the script's)
    std::string key() const { return job + "_" + std::to_string(task); }
};
std::map<std::size_t, point_job> latest_jobs(const std::vector<slurm::job_record>& jobs, std::size_t count);

// Whether a squeue/sacct state is one a job leaves only by ending (PENDING, RUNNING,
// REQUEUED, COMPLETING, SUSPENDED, ...), as opposed to COMPLETED, FAILED, TIMEOUT, ...
bool active_state(const std::string& state);

// The absolute path of the running hpsgen, which the report and promotion jobs call back
// ("" when /proc does not say).
std::string hpsgen_path();

// sbatch's complaint, with what to change in the spec or on the command line.
std::string sbatch_hint(const std::string& err);

// Runs `sbatch --parsable ...` (argv from "sbatch" on): the job id, or "" with `error`
// set to sbatch's complaint. sbatch's warnings go to `warnings`.
std::string sbatch_job(const std::vector<std::string>& argv, std::string& error, std::string& warnings);

// The Slurm log of an array task (DIR/logs/<job name>-JOB_TASK.out), or "" when none is there.
std::string task_log(const std::string& dir, const std::string& job, std::size_t task);

// How a point's task ended, when it ended without the point's result: from its log (what
// the batch shell and the trainer wrote since the point's last start, and slurmstepd's
// lines) and from Slurm's state of the task (squeue or sacct; null when neither knows it).
struct task_end {
    std::string reason;  // slurm::failure_reason: OUT_OF_MEMORY, TIMEOUT, NODE_FAIL, ...; "" none
    int rc = -1;  // the point's exit line ("[hps] NAME: exit N"), -1 when there is none
    std::string error;  // the trainer's last "error:" line before it
    // Slurm's state it was read with (point_task_end: sacct's, else squeue's; an entry of
    // the views it was given), null when neither knows the task
    const slurm::task_state* state = nullptr;
};
task_end read_task_end(const std::string& log, const std::string& name, const slurm::task_state* state);

// How the task `j` of point `name` ended: its log read as above, with Slurm's state of it
// (sacct's, else squeue's); Slurm's state alone when there is no log.
task_end point_task_end(const std::string& dir, const point_job& j, const std::string& name,
                        const slurm::queue_view& queue, const slurm::queue_view& accounting);

// The --mem and --time a point's task requested: its array's (jobs.tsv), else the ones
// submit.sbatch holds; "" when neither says (the cluster's default). A `ranks` study's
// memory is one rank's (jobs.tsv's as recorded, the script's --mem-per-cpu x its cpus).
std::string requested_mem(const std::string& dir, const point_job& j);
std::string requested_time(const std::string& dir, const point_job& j);

// The sbatch option that asks `mem` for a task of study folder `dir`: slurm::mem_option with
// the study's ranks and submit.sbatch's --cpus-per-task ("--mem=4G", or for `ranks` above 1
// "--mem-per-cpu=..."); "" when `mem` is "".
std::string task_mem_option(const std::string& dir, const study_dir& s, const std::string& mem);

}  // namespace hps
