// The Slurm side of hpsgen, shared by `generate` (the sbatch scripts), `submit` and
// `status`: time limits, array index lists, how a grid is cut into arrays that fit the
// cluster's MaxArraySize, the job table of a submitted study (slurm/jobs.tsv), and
// what squeue / sacct / scontrol say.
//
// The array script (templates/submit.sbatch.in) maps array task t of an array whose
// first point is F to the points F + t*K ... F + t*K + K-1 (K points per task, "chunk"),
// looked up by id in grid.tsv. A grid of more tasks than MaxArraySize allows (task
// indices must be < MaxArraySize) becomes several arrays, each with its own F.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hps::slurm {

// --------------------------------------------------------------------- time limits

// A Slurm time ("30" minutes, "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS") in
// seconds, or nullopt when the text is not one.
std::optional<long> parse_time(std::string_view text);

// "HH:MM:SS" or "D-HH:MM:SS".
std::string format_time(long seconds);

// How long before the time limit the batch shell is warned (--signal=B:USR1@N): enough
// for a trainer to finish its step and save, never so much that a task is warned as it
// starts. 300 s, or a tenth of a shorter limit (at least 30 s).
int warning_seconds(const std::string& time_limit);

// --------------------------------------------------------------------- memory sizes

// A Slurm memory size ("500M", "4G", "2T", "800K", "5000": megabytes) in MiB, rounded up;
// nullopt when the text is not one.
std::optional<std::size_t> parse_mem(std::string_view text);

// --mem's value for `mib`: "4G" when it is whole GiB, else "1500M".
std::string format_mem(std::size_t mib);

// The sbatch option that asks a task's memory `mem` ("4G"): "--mem=4G" for a point of one
// process; for one of `ranks` above 1, where every memory figure is one rank's,
// "--mem-per-cpu=" that / `cpus` rounded up to whole MiB: sbatch's --mem is per node, and a
// point's ranks may share a node or not (--ntasks without --nodes), so per cpu is what gives
// each node what its ranks need. "" when `mem` is "" or not a size.
std::string mem_option(const std::string& mem, int ranks, int cpus);

// --------------------------------------------------------------------- index lists

// Sorted, distinct indices as Slurm's --array list: {0,1,2,3,7,9,10} -> "0-3,7,9-10".
std::string index_list(const std::vector<std::size_t>& sorted);

// The inverse ("0-3,7,9-10%2" -> {0,1,2,3,7,9,10}; a "%N" suffix is ignored). Throws
// std::invalid_argument on malformed text.
std::vector<std::size_t> parse_index_list(std::string_view text);

// --------------------------------------------------------------------- arrays

struct array_part {
    std::size_t first = 0;  // the point of task 0 (HPS_FIRST)
    std::size_t chunk = 1;  // points per task (HPS_CHUNK)
    std::vector<std::size_t> tasks;  // array indices, sorted, each < MaxArraySize
    std::vector<std::size_t> points;  // the points these tasks cover, sorted
};

// Cuts the points to train (sorted, < count) into arrays: task t = point / chunk, array
// g = t / max_array_size holds tasks g*max .. g*max + max-1 as indices 0..max-1. A task
// covering any point to train is submitted whole (the others in its chunk are skipped by
// their trainers when finished). max_array_size >= 1, chunk >= 1.
std::vector<array_part> plan_arrays(const std::vector<std::size_t>& points, std::size_t count, std::size_t chunk,
                                    std::size_t max_array_size);

// The points task `task` of an array covers (those < count).
std::vector<std::size_t> task_points(std::size_t first, std::size_t chunk, std::size_t task, std::size_t count);

// --------------------------------------------------------------------- jobs.tsv

// One submitted job: an array part, the report job, or for a halving study a rung's
// array and the promotion job after it. In jobs.tsv a rung's row keeps its rung in the
// `first` column and its points in `tasks` (task t trains the t-th, slurm/rung-R.points);
// a promotion's row its rung in `first`. With Hyperband's brackets, `first` is "R/B" for
// bracket B > 0 (0 the first; a bracket-0 row is written as before).
struct job_record {
    int submission = 0;  // 1, 2, ...: one `hpsgen submit`
    std::string job;  // Slurm's job id
    std::string kind;  // "array", "report", "rung" or "promote"
    std::size_t first = 0, chunk = 1;  // arrays
    std::vector<std::size_t> tasks;  // arrays and rungs: the submitted indices (a rung's: 0..n-1)
    std::string build = "before";  // arrays and rungs: before | node
    std::size_t rung = 0;  // rung and promote: the rung (an index into the study's rungs)
    std::vector<std::size_t> points;  // rung: the points, sorted, task t the t-th
    std::size_t bracket = 0;  // rung and promote: the Hyperband bracket (0 the first)
    // arrays: the --mem and --time given on sbatch's command line ("": submit.sbatch's own)
    std::string mem, time;
};

// DIR/slurm/jobs.tsv: the header line and one row per job, in submission order. Its
// columns: submission job kind first chunk tasks build mem time (a file of an earlier
// hpsgen, without the last two, is read as requesting the script's own).
std::string jobs_tsv(const std::vector<job_record>& jobs);
std::vector<job_record> parse_jobs_tsv(const std::string& text);  // throws std::runtime_error

// --------------------------------------------------------------------- the cluster

// (sbatch, squeue, sacct and scontrol run through process::capture, generator/process.hpp.)

// Whether a program is on PATH.
bool on_path(const std::string& program);

// MaxArraySize from `scontrol show config`, or nullopt when Slurm does not answer.
std::optional<std::size_t> max_array_size();

// The time limit (MaxTime) of `partition` ("": the default partition) in seconds, from
// `scontrol show partition -o`; nullopt when it is UNLIMITED or Slurm does not say.
std::optional<long> partition_max_time(const std::string& partition);
std::optional<long> parse_partition_max_time(const std::string& scontrol_text, const std::string& partition);

// A job or array task as squeue (or sacct) sees it.
struct task_state {
    std::string state;  // PENDING RUNNING COMPLETING REQUEUED COMPLETED FAILED TIMEOUT CANCELLED ...
    std::string reason;  // squeue's %r (Dependency, Resources, BeginTime, NonZeroExitCode, ...)
    std::string elapsed;  // squeue's %M
    std::string node;  // squeue's %N
    std::string exit_code;  // sacct's ExitCode ("4:0"), where known
};

// Key: "JOB" for a plain job, "JOB_TASK" for an array task.
using queue_view = std::map<std::string, task_state>;

// Every task of `jobs` that squeue still knows (pending, running, and for a few minutes
// after the end, finished). nullopt with `error` set when squeue cannot be asked.
std::optional<queue_view> squeue(const std::vector<std::string>& jobs, std::string& error);

// What sacct knows of `jobs`; empty when accounting is off or sacct is missing.
queue_view sacct(const std::vector<std::string>& jobs);

// Parsers of squeue's "%i|%T|%r|%M|%N" and sacct's "JobID|State|ExitCode" (exposed for tests).
queue_view parse_squeue(const std::string& text);
queue_view parse_sacct(const std::string& text);

// What a trainer's (or the batch shell's) exit status means, in a few words.
std::string exit_meaning(int rc);

// --------------------------------------------------------------------- why a task ended

// Slurm's word for why a task ended without finishing: OUT_OF_MEMORY, TIMEOUT, NODE_FAIL,
// PREEMPTED, BOOT_FAIL, DEADLINE, CANCELLED or FAILED; "" when nothing says. Slurm's state
// (squeue -t all, or sacct) decides where it names a cause; where it says only FAILED or
// nothing (a cluster without cgroups or accounting, or a task squeue has forgotten), the
// lines slurmstepd wrote into the task's log do: "Exceeded job memory limit", "oom-kill",
// "... CANCELLED AT ... DUE TO TIME LIMIT ***", "DUE TO NODE FAILURE", "DUE TO PREEMPTION".
std::string failure_reason(const std::string& state, const std::string& log_text);

// What a failure_reason means, for `hpsgen status`: "out of memory", "the time limit", ...
std::string failure_meaning(const std::string& reason);

}  // namespace hps::slurm
