// What a task asks of Slurm beyond submit.sbatch's own lines, for `hpsgen submit`'s arrays
// and a halving study's rungs (`hpsgen submit`, `hpsgen promote`): per point --mem from the
// cost model and --time from its trainer's calibration (generator/cost.hpp, calibrate.hpp),
// each with its margin, and the resource classes that group tasks into arrays.
#pragma once

#include "dsl/data_check.hpp"
#include "dsl/study.hpp"
#include "generator/calibrate.hpp"
#include "generator/study_dir.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hps {

// "" where the request is the script's (or the cluster's default).
struct request {
    std::string mem, time;
};

// The larger of two requests of one kind ("" counts as none).
std::string larger_mem(const std::string& a, const std::string& b);
std::string larger_time(const std::string& a, const std::string& b);

// A resource class: the steps of the ladders (cost::mem_class, time_class) a request rounds
// up to; 0 where the request is the script's.
using resource_class = std::pair<std::size_t, long>;
resource_class class_of(const request& r);

// Tasks grouped by class, in the order given within each class; each class asks the
// largest request among its tasks (not the step's).
struct class_group {
    request asked;
    std::vector<std::size_t> tasks;
};
std::map<resource_class, class_group> group_by_class(const std::vector<std::pair<std::size_t, request>>& tasks);

// What a point asks after its task ran out of memory (`reason` OUT_OF_MEMORY) or time
// (TIMEOUT): `factor` x the --mem or --time that task had (`had`; where it asked none, what
// it asks anew), at least what it asks anew (`anew`), the time at most `cap`; the other
// request as anew. Unset when there is nothing to multiply (the cluster's default) or the
// reason is another.
std::optional<request> retry_request(const request& anew, const request& had, const std::string& reason, double factor,
                                     std::optional<long> cap);

// What a study folder's requests are computed from: its study.hps checked again (each
// point's network, data and steps; unset when it does not check, and then nothing is
// estimated), the headers of its data files (opened from where the settings files point),
// and the spec's slurm cpus.
struct study_costs {
    std::optional<study> checked;
    std::map<std::string, data_header> files;
    int cpus = 1;
};
study_costs read_study_costs(const std::string& dir, const study_dir& s);

// Where a task builds its trainer: always (`build node`), when it is not built yet (the
// tasks build what is missing), or never (built before the tasks start).
enum class task_build { always, missing, never };

// A point's --mem: `fixed` when given, else its memory estimate with the margin ("" when its
// data could not be opened); at least the compiler's where its task builds its trainer.
std::string point_mem(const study_costs& costs, const std::string& dir, const study_dir& s, std::size_t id,
                      const std::string& fixed, task_build build);

// The --mem and --time of each point of a halving rung that trains from step `from` (where
// the rung before paused; 0 for a bracket's first rung) to `until`: its memory as above, its
// time the rung's own steps and evaluations at its trainer's calibration (`calibrated`;
// none without one) x the margin, at most `cap`. `fixed` overrides either.
std::map<std::size_t, request> rung_requests(const study_costs& costs, const std::string& dir, const study_dir& s,
                                             const std::vector<std::size_t>& points, long from, long until,
                                             const calibrations& calibrated, std::optional<long> cap,
                                             const request& fixed, task_build build);

}  // namespace hps
