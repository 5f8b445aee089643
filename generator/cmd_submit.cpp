// hpsgen submit DIR: build the trainers and submit the study's unfinished points to Slurm
// as job arrays (split or chunked to fit MaxArraySize), then a report job; the job ids
// go to DIR/slurm/jobs.tsv. The Slurm twin of `hpsgen run`.
#include "generator/build.hpp"
#include "generator/calibrate.hpp"
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/cost.hpp"
#include "generator/data_check.hpp"
#include "generator/emit.hpp"
#include "generator/process.hpp"
#include "generator/slurm.hpp"
#include "generator/slurm_halving.hpp"
#include "generator/slurm_jobs.hpp"
#include "generator/slurm_requests.hpp"
#include "generator/study_dir.hpp"

#include <hps/train/run_dir.hpp>

#include <hps/io.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <tuple>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace hps::cli {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s;
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// --dry-run's cost preview
int print_cost(const study& checked, const std::map<std::string, data_header>& files, const calibrations& calibrated,
               std::optional<long> cap) {
    std::cout << "\n" << cost::cost_table(checked, files, calibrated, cap);
    return 0;
}

}  // namespace

int submit(const args& a) {
    std::string dir, packing, build_where, mem_arg, time_arg, max_time_arg, factor_arg = "2";
    std::optional<std::string> point_list;
    std::size_t chunk = 0, max_array = 0, jobs_n = 0, steps = 0, checkpoints = 0;
    bool retry = false, no_report = false, no_build = false, dry_run = false, no_data_check = false, no_calibrate = false;
    arg_parser p("submit",
                 "Submits the study folder DIR to Slurm: builds the trainers (cmake, in DIR/build, as\n"
                 "`hpsgen run` does), then submits every point that has not finished and is not queued\n"
                 "as a job array of DIR/submit.sbatch with the spec's resources, split into several\n"
                 "arrays or chunked (K points per task) where the grid exceeds the cluster's\n"
                 "MaxArraySize; then a report job that runs `hpsgen report DIR` when the arrays have\n"
                 "ended. Job ids go to DIR/slurm/jobs.tsv, logs to DIR/logs/. Points that finished are\n"
                 "never submitted again; points that failed only with --retry.\n\n"
                 "Each point requests what it needs: --mem its memory estimate + 20 % (the spec's `mem`\n"
                 "overrides it); --time its calibrated time x 1.5 + 5 min (each trainer built here is run\n"
                 "with --calibrate once, about a second, cached in DIR/build/calibration.tsv), at most the\n"
                 "partition's MaxTime (the spec's `time` overrides it; without a calibration, no --time).\n"
                 "Points are grouped into arrays by resource class (requests that round up to the same\n"
                 "step of a ladder), each array asking the largest request of its points.\n"
                 "A study with `ranks N` (each point N MPI processes): every memory figure is one rank's\n"
                 "(the spec's `mem` and --mem too), asked as --mem-per-cpu = it / cpus; time and\n"
                 "core-hours count a rank's steps at batch/N, the gradient exchange, and the N ranks.\n"
                 "A point resubmitted after its task ran out of memory (OUT_OF_MEMORY) gets --retry-factor\n"
                 "times the --mem it had, one that ran out of time (TIMEOUT) that many times the --time;\n"
                 "each resumes from its resume.bin.");
    p.positional("DIR", "the study folder (hpsgen generate)", dir);
    p.flag("retry", 0, "also resubmit the points that failed (their reasons: hpsgen status DIR)", retry);
    p.option("retry-factor", "F",
             "a point whose last task ran out of memory or time gets F times its --mem or --time (default 2)",
             factor_arg);
    p.option("points", "LIST",
             "only these points: names, ids or id ranges, e.g. model-3,5,10-12 (as hpsgen run)", point_list);
    p.option("mem", "SIZE",
             "--mem for every task of this submission, e.g. 4G (instead of each point's estimate; a rank's with `ranks`)",
             mem_arg);
    p.option("time", "LIMIT", "--time for every task of this submission, e.g. 2:00:00 (instead of the calibration)",
             time_arg);
    p.option("max-time", "LIMIT",
             "the longest --time to ask (default: the partition's MaxTime, scontrol show partition)", max_time_arg);
    p.flag("no-calibrate", 0, "do not calibrate the trainers (no --time unless the spec or --time gives one)",
           no_calibrate);
    p.count("chunk", "K", "points per array task (default: the spec's `chunk`, else 1)", chunk);
    p.option("packing", "HOW",
             "a chunk's points: sequential (one after another, every cpu each; default, or the spec's `packing`) "
             "or side_by_side (all at once, sharing the task's cpus)",
             packing, {"sequential", "side_by_side"});
    p.option("build", "WHERE",
             "before: build here first (default, or the spec's `build`); node: each task builds its trainer on "
             "its node (-march=native there)",
             build_where, {"before", "node"});
    p.count("max-array-size", "N", "the cluster's MaxArraySize (default: scontrol show config, else 1001)", max_array);
    p.flag("no-report", 0, "no report job", no_report);
    p.flag("no-build", 0, "do not build first (the trainers are built, or the tasks build what is missing)", no_build);
    p.count("steps", "N", "train each point N steps instead of the spec's (a quick look)", steps);
    p.count("checkpoints", "N", "evaluate N times instead of the spec's", checkpoints);
    p.count("jobs", "N", "parallel compilations when building (default: every core)", jobs_n, 'j');
    p.flag("dry-run", 'n', "print the sbatch commands instead of running them, then the cost preview of check --cost",
           dry_run);
    data_check_flag(p, no_data_check);
    p.epilog("examples:\n"
             "  hpsgen submit out/cyplam\n"
             "  hpsgen submit out/cyplam --chunk 4 --build node\n"
             "  hpsgen submit out/cyplam --chunk 4 --packing side_by_side   # 4 single-thread trainers per 4-cpu task\n"
             "  hpsgen submit out/cyplam --retry      # failed and unfinished points only\n"
             "  hpsgen submit out/cyplam --retry --retry-factor 3 --points model-7,12-15\n\n"
             "next: hpsgen status DIR; when every point has finished, hpsgen report DIR");
    if (auto status = p.parse(a)) return *status;
    if (!mem_arg.empty() && !slurm::parse_mem(mem_arg))
        return p.usage_error(std::cerr, "--mem needs a size like 500M or 4G, not '" + mem_arg + "'");
    for (const auto* t : {&time_arg, &max_time_arg})
        if (!t->empty() && !(slurm::parse_time(*t) && *slurm::parse_time(*t) > 0))
            return p.usage_error(std::cerr, "--time and --max-time need a time like 90 (minutes), 2:00:00 or 1-12:00:00, "
                                            "not '" + *t + "'");
    char* factor_end = nullptr;
    const double factor = std::strtod(factor_arg.c_str(), &factor_end);
    if (factor_end == factor_arg.c_str() || *factor_end != '\0' || !(factor >= 1) || factor > 100)
        return p.usage_error(std::cerr, "--retry-factor needs a number from 1 to 100, not '" + factor_arg + "'");

    submitted_study loaded;
    try {
        loaded = load_submitted_study(dir);
    } catch (const std::exception& e) {
        std::cerr << "hpsgen submit: " << e.what() << "\n";
        return 1;
    }
    const study_dir& s = loaded.study;
    const slurm_settings& settings = loaded.settings;
    std::vector<slurm::job_record>& recorded = loaded.jobs;
    const bool halving = !s.rungs.empty();
    if (halving && (steps || checkpoints || point_list)) {
        std::cerr << "hpsgen submit: " << dir << " is a halving study: its rungs choose the points and their steps, so "
                     "--points, --steps and --checkpoints do not apply\n";
        return 2;
    }
    std::set<std::size_t> chosen;  // --points
    if (point_list) {
        try {
            for (const auto& pt : select_points(s, *point_list)) chosen.insert(pt.id);
        } catch (const std::exception& e) {
            std::cerr << "hpsgen submit: " << e.what() << "\n";
            return 2;
        }
    }
    if (halving)
        for (const auto& j : recorded)
            if (j.kind == "rung") {
                // the promotion jobs carry the study on: never a second chain
                std::cout << "hpsgen submit: " << dir << "'s rungs are submitted (" << jobs_path(dir)
                          << "); follow them with: hpsgen status " << dir
                          << " (a promotion that failed: hpsgen promote " << dir
                          << (s.brackets > 1 ? " --bracket B" : "") << " --rung R)\n";
                return 0;
            }
    if (chunk == 0) chunk = settings.chunk;
    if (build_where.empty()) build_where = settings.build;
    if (packing.empty()) packing = settings.packing;
    const bool report = settings.report && !no_report;

    if (!dry_run && !slurm::on_path("sbatch")) {
        std::cerr << "hpsgen submit: sbatch not found: install slurm-client (or run on the cluster's login node), or "
                     "train locally with hpsgen run "
                  << dir << "\n";
        return 1;
    }

    // what is queued already: never submit a point twice
    std::vector<std::string> earlier;
    for (const auto& j : recorded)
        if (std::find(earlier.begin(), earlier.end(), j.job) == earlier.end()) earlier.push_back(j.job);
    slurm::queue_view queue;
    if (!earlier.empty()) {
        std::string error;
        auto q = slurm::squeue(earlier, error);
        if (!q) {
            std::cerr << "hpsgen submit: cannot tell which points are queued already (" << error
                      << "); submit again when Slurm answers (the jobs so far are in " << jobs_path(dir) << ")\n";
            return 1;
        }
        queue = *q;
    }
    const slurm::queue_view accounting = dry_run ? slurm::queue_view{} : slurm::sacct(earlier);
    const auto by_point = latest_jobs(recorded, s.points.size());
    std::vector<std::string> active_jobs;  // earlier jobs still in the queue: the report waits for them too
    for (const auto& [key, st] : queue) {
        if (!active_state(st.state)) continue;
        std::string job = key.substr(0, key.find('_'));
        if (std::find(active_jobs.begin(), active_jobs.end(), job) == active_jobs.end()) active_jobs.push_back(job);
    }

    std::vector<std::size_t> todo;
    std::size_t finished = 0, queued = 0, failed = 0;
    // finished: a result of this submission's kind (the spec's settings, or the same
    // --steps and --checkpoints); the trainer keeps any other aside and trains again
    train_detail::options asked;
    asked.steps = steps ? long(steps) : -1;
    asked.checkpoints = checkpoints ? int(checkpoints) : -1;
    const std::string overrides = train_detail::overrides_text(asked);
    for (const auto& pt : s.points) {
        if (point_list && !chosen.count(pt.id)) continue;
        auto st = read_point_state(dir, pt);
        if (st.finished() && st.overrides == overrides) {
            ++finished;
            continue;
        }
        if (auto it = by_point.find(pt.id); it != by_point.end()) {
            auto q = queue.find(it->second.key());
            if (q != queue.end() && active_state(q->second.state)) {
                ++queued;
                continue;
            }
        }
        if (st.status == "failed" && !retry) {
            ++failed;
            continue;
        }
        todo.push_back(pt.id);
    }
    if (halving) {  // rung 0 trains every point, each to where it paused or further
        todo.clear();
        for (const auto& pt : s.points) todo.push_back(pt.id);
    }
    std::string counts = plural(s.points.size(), "point") + ": " +
                         (point_list ? plural(chosen.size(), "point") + " chosen, " : std::string()) +
                         std::to_string(finished) + " finished";
    if (queued) counts += ", " + std::to_string(queued) + " queued";
    if (failed) counts += ", " + std::to_string(failed) + " failed";
    counts += ", " + std::to_string(todo.size()) + " to submit";
    std::cout << "study " << s.study << ", " << counts << "\n";
    if (todo.empty()) {
        std::cout << "nothing to submit";
        if (failed) std::cout << "; resubmit the failed points with: hpsgen submit --retry " << dir;
        else if (queued) std::cout << "; follow the queued ones with: hpsgen status " << dir;
        else if (finished == s.points.size()) std::cout << "; every point has finished: hpsgen report " << dir;
        std::cout << "\n";
        return 0;
    }

    // the data, before the build and the queue: a trainer that cannot use it would stop at start
    if (!no_data_check && !check_study_data(dir, s.points.front().name, "hpsgen submit", std::cerr)) return 1;

    if (max_array == 0) {
        if (auto m = dry_run ? std::nullopt : slurm::max_array_size()) max_array = *m;
        else max_array = 1001;
    }

    if (build_where == "before" && !no_build && !dry_run) {
        build_request r;
        r.dir = dir;
        std::set<std::string> trainers;
        for (const auto& pt : s.points) trainers.insert(pt.trainer);
        r.trainers = trainers.size();
        r.jobs = jobs_n ? unsigned(jobs_n) : std::max(1u, std::thread::hardware_concurrency());
        r.command = "hpsgen submit";
        if (!build_trainers(r)) return 1;
    }

    // what each point needs: the checked spec (memory, steps), the calibrations, the cap
    study_costs costs = read_study_costs(dir, s);
    std::optional<study>& checked = costs.checked;
    if (checked)  // what the trainers will be told
        for (grid_point& gp : checked->points) {
            if (steps) gp.config.steps = long(steps);
            if (checkpoints) gp.config.checkpoints = int(checkpoints);
        }
    const std::map<std::string, data_header>& files = costs.files;
    const int cpus = costs.cpus;
    const std::string spec_mem = checked ? checked->slurm.mem : "", spec_time = checked ? checked->slurm.time : "";
    std::optional<long> cap;
    if (!max_time_arg.empty()) cap = slurm::parse_time(max_time_arg);
    else if (checked) cap = slurm::partition_max_time(checked->slurm.partition);
    calibrations calibrated;
    if (!no_calibrate && checked && spec_time.empty() && time_arg.empty()) {
        std::map<std::string, std::string> trainers;  // trainer -> a settings file of one of its points
        for (std::size_t id : todo) trainers.emplace(s.points[id].trainer, s.points[id].settings_file());
        const int threads = std::max(1, std::min(cpus, int(std::max(1u, std::thread::hardware_concurrency()))));
        calibrated = calibrate_trainers(dir, trainers, threads, std::cout);
    } else if (checked && !no_calibrate) {
        calibrated = read_calibrations(dir);
    }
    // per point: the spec's or the command line's, else its estimate and its calibration
    std::map<std::size_t, request> wanted;  // the spec's, the command line's, or a retry's
    std::map<std::size_t, double> seconds;  // calibrated training times
    std::size_t more_memory = 0, more_time = 0;
    for (std::size_t id : halving ? std::vector<std::size_t>{} : todo) {
        request r;
        r.mem = point_mem(costs, dir, s, id, !mem_arg.empty() ? mem_arg : spec_mem,
                          build_where == "node" ? task_build::always
                          : no_build            ? task_build::missing
                                                : task_build::never);
        r.time = !time_arg.empty() ? time_arg : spec_time;
        const grid_point* gp = checked && id < checked->points.size() ? &checked->points[id] : nullptr;
        if (gp)
            if (auto c = calibrated.find(s.points[id].trainer); c != calibrated.end())
                if (auto t = cost::calibrated_seconds(*gp, files, c->second, cpus)) seconds[id] = *t;
        // its last task ran out of memory or time: F times what it had
        if (auto pj = by_point.find(id); pj != by_point.end()) {
            const std::string& name = s.points[id].name;
            const task_end e = point_task_end(dir, pj->second, name, queue, accounting);
            if (e.reason == "OUT_OF_MEMORY" && mem_arg.empty()) {
                const std::string had = larger_mem(requested_mem(dir, pj->second), "");
                if (auto more = retry_request(r, {had, ""}, e.reason, factor, cap)) {
                    r.mem = more->mem;
                    std::cout << name << ": its task " << pj->second.key() << " ran out of memory with --mem="
                              << (had.empty() ? "?" : had) << "; now --mem=" << r.mem << "\n";
                    ++more_memory;
                } else {
                    std::cout << name << ": its task " << pj->second.key()
                              << " ran out of memory, with the cluster's default --mem: give one with --mem SIZE\n";
                }
            } else if (e.reason == "TIMEOUT" && time_arg.empty()) {
                const std::string had = larger_time(requested_time(dir, pj->second), "");
                if (auto more = retry_request(r, {"", had}, e.reason, factor, cap)) {
                    r.time = more->time;
                    std::cout << name << ": its task " << pj->second.key() << " ran out of time with --time="
                              << (had.empty() ? "?" : had) << "; now --time=" << r.time
                              << (cap && slurm::parse_time(r.time) == *cap
                                      ? " (the partition's MaxTime: it requeues itself at the limit)"
                                      : "")
                              << "\n";
                    ++more_time;
                } else {
                    std::cout << name << ": its task " << pj->second.key()
                              << " ran out of time, with the cluster's default --time: give one with --time LIMIT\n";
                }
            }
        }
        wanted[id] = r;
    }

    std::error_code ec;
    std::string abs_dir = fs::absolute(dir).lexically_normal().string();
    while (abs_dir.size() > 1 && abs_dir.back() == '/') abs_dir.pop_back();
    fs::create_directories(fs::path(dir) / "logs", ec);
    fs::create_directories(fs::path(dir) / "slurm", ec);
    if (ec) {
        std::cerr << "hpsgen submit: cannot create " << dir << "/slurm: " << ec.message() << "\n";
        return 1;
    }
    std::vector<std::string> trainer_args;
    if (steps) trainer_args.insert(trainer_args.end(), {"--steps", std::to_string(steps)});
    if (checkpoints) trainer_args.insert(trainer_args.end(), {"--checkpoints", std::to_string(checkpoints)});

    int submission = 1;
    for (const auto& j : recorded) submission = std::max(submission, j.submission + 1);
    if (halving) {
        rung_submission o;
        o.dir = dir;
        o.build = build_where;
        o.packing = packing;
        o.throttle = settings.throttle > 0 ? "%" + std::to_string(settings.throttle) : "";
        o.max_array = max_array;
        o.report = report;
        o.dry_run = dry_run;
        o.no_build = no_build;
        o.submission = submission;
        o.fixed = {mem_arg, time_arg};
        o.max_time = max_time_arg;
        o.calibrate = !no_calibrate;
        o.retry_factor = factor;
        if (s.brackets > 1)
            std::cout << (dry_run ? "would submit " : "submitting ") << "the first rung of each of " << s.brackets
                      << " brackets and its promotion job (Hyperband: each bracket is a chain of rungs of its own, "
                         "each promotion job ranks its rung and submits the next):\n";
        else
            std::cout << (dry_run ? "would submit " : "submitting ") << "rung 1 of " << s.rungs.size()
                      << " and its promotion job (halving: each promotion job ranks its rung and submits the next):\n";
        for (std::size_t b = 0; b < s.brackets; ++b) {  // a bracket's first rung trains its points
            std::vector<std::size_t> ids;
            for (const auto& pt : s.bracket_points(b)) ids.push_back(pt.id);
            if (int rc = submit_rung(s, b, b, ids, o, recorded)) return rc;
        }
        if (dry_run) return checked ? print_cost(*checked, files, calibrated, cap) : 0;
        std::cout << "job ids: " << jobs_path(dir) << "; logs: " << dir << "/logs/\nnext: hpsgen status " << dir << "\n";
        return 0;
    }
    // resource classes: a task asks what its points need together (a chunk's points one
    // after another: the most memory and the sum of the times; side by side: the sum of
    // both), and tasks of one class share arrays that ask the largest request among them
    std::map<std::size_t, request> task_request;  // by task (point / chunk)
    std::map<std::size_t, double> task_seconds;  // by task, while every point of it is calibrated
    std::set<std::size_t> uncalibrated;
    for (std::size_t id : todo) {
        const std::size_t task = id / chunk;
        request& t = task_request[task];
        const request& r = wanted[id];
        if (packing == "side_by_side" && chunk > 1 && !t.mem.empty() && !r.mem.empty())
            t.mem = slurm::format_mem(*slurm::parse_mem(t.mem) + *slurm::parse_mem(r.mem));
        else
            t.mem = larger_mem(t.mem, r.mem);
        t.time = larger_time(t.time, r.time);
        if (auto it = seconds.find(id); it != seconds.end()) task_seconds[task] += it->second;
        else uncalibrated.insert(task);
    }
    for (auto& [task, t] : task_request)  // a time from the calibration: the margin once a task
        if (t.time.empty() && !uncalibrated.count(task) && task_seconds.count(task))
            t.time = slurm::format_time(cost::time_request(task_seconds[task], cap));
    std::vector<std::pair<std::size_t, request>> by_task;  // each point with its task's request
    for (std::size_t id : todo) by_task.emplace_back(id, task_request[id / chunk]);
    const auto classes = group_by_class(by_task);
    struct planned {
        slurm::array_part part;
        request asked;
    };
    std::vector<planned> parts;
    for (const auto& [key, c] : classes)
        for (auto& part : slurm::plan_arrays(c.tasks, s.points.size(), chunk, max_array)) parts.push_back({part, c.asked});
    const std::string throttle = settings.throttle > 0 ? "%" + std::to_string(settings.throttle) : "";

    auto record = [&](const slurm::job_record& j) {
        recorded.push_back(j);
        write_file_atomic(jobs_path(dir), slurm::jobs_tsv(recorded));
    };

    std::cout << (dry_run ? "would submit " : "submitting ") << plural(todo.size(), "point") << " as "
              << plural(parts.size(), "array") << " (MaxArraySize " << max_array << ", " << plural(chunk, "point")
              << " per task" << (chunk > 1 && packing == "side_by_side" ? " side by side" : "") << ", trainers built "
              << (build_where == "node" ? "on the nodes" : "before")
              << (classes.size() > 1 ? ", " + std::to_string(classes.size()) + " resource classes" : std::string())
              << "):\n";
    std::vector<std::string> submitted;
    for (const auto& [part, asked] : parts) {
        std::vector<std::string> argv = {"sbatch",
                                         "--parsable",
                                         "--chdir=" + abs_dir,
                                         "--array=" + slurm::index_list(part.tasks) + throttle,
                                         "--export=ALL,HPS_FIRST=" + std::to_string(part.first) +
                                             ",HPS_CHUNK=" + std::to_string(part.chunk) + ",HPS_PACKING=" + packing +
                                             ",HPS_BUILD=" + build_where};
        // over submit.sbatch's own lines; the warning before the limit goes with the limit
        // a `ranks` point's memory is one rank's: --mem-per-cpu (slurm::mem_option)
        const std::string mem_option = task_mem_option(dir, s, asked.mem);
        if (!mem_option.empty()) argv.push_back(mem_option);
        if (!asked.time.empty())
            argv.insert(argv.end(), {"--time=" + asked.time,
                                     "--signal=B:USR1@" + std::to_string(slurm::warning_seconds(asked.time))});
        argv.push_back(abs_dir + "/submit.sbatch");
        argv.insert(argv.end(), trainer_args.begin(), trainer_args.end());
        const std::string what = (part.points.size() == 1 ? "point " : "points ") + slurm::index_list(part.points);
        if (dry_run) {
            std::cout << "  " << process::command_line(argv) << "    # " << what << "\n";
            continue;
        }
        auto r = process::capture(argv);
        const std::string job = trim(r.out.substr(0, r.out.find(';')));
        if (r.rc != 0 || job.empty() || job.find_first_not_of("0123456789") != std::string::npos) {
            std::cerr << "hpsgen submit: sbatch refused the array of " << what << ":\n"
                      << trim(r.err.empty() ? r.out : r.err) << "\n"
                      << "hpsgen submit: " << sbatch_hint(r.err) << "\n";
            if (!submitted.empty())
                std::cerr << "hpsgen submit: the arrays submitted before (jobs";
            for (const auto& j : submitted) std::cerr << " " << j;
            if (!submitted.empty())
                std::cerr << ") are recorded in " << jobs_path(dir) << "; fix the cause and run hpsgen submit " << dir
                          << " again for the rest\n";
            return 1;
        }
        if (!trim(r.err).empty()) std::cerr << trim(r.err) << "\n";  // sbatch's warnings
        slurm::job_record rec;
        rec.submission = submission;
        rec.job = job;
        rec.kind = "array";
        rec.first = part.first;
        rec.chunk = part.chunk;
        rec.tasks = part.tasks;
        rec.build = build_where;
        rec.mem = asked.mem;
        rec.time = asked.time;
        record(rec);
        submitted.push_back(job);
        std::cout << "  job " << job << ": " << what << " (--array=" << slurm::index_list(part.tasks) << throttle;
        if (part.first) std::cout << ", HPS_FIRST=" << part.first;
        if (!mem_option.empty()) std::cout << ", " << mem_option;
        if (!asked.time.empty()) std::cout << ", --time=" << asked.time;
        std::cout << ")\n";
    }

    if (report) {
        std::vector<std::string> deps = active_jobs;
        deps.insert(deps.end(), submitted.begin(), submitted.end());
        std::string dependency = "afterany";
        for (const auto& d : deps) dependency += ":" + d;
        const std::string hpsgen = hpsgen_path();
        std::vector<std::string> argv = {"sbatch", "--parsable", "--chdir=" + abs_dir, "--dependency=" + dependency,
                                         abs_dir + "/report.sbatch", hpsgen.empty() ? "hpsgen" : hpsgen};
        if (dry_run) {
            std::cout << "  " << process::command_line(argv) << "    # the report\n";
        } else {
            auto r = process::capture(argv);
            const std::string job = trim(r.out.substr(0, r.out.find(';')));
            if (r.rc != 0 || job.empty()) {
                std::cerr << "hpsgen submit: the arrays are submitted, but sbatch refused the report job:\n"
                          << trim(r.err) << "\nhpsgen submit: run hpsgen report " << dir << " when they have ended\n";
                return 1;
            }
            slurm::job_record rec;
            rec.submission = submission;
            rec.job = job;
            rec.kind = "report";
            record(rec);
            std::cout << "  job " << job << ": the report (hpsgen report), after job" << (deps.size() == 1 ? "" : "s");
            for (const auto& d : deps) std::cout << " " << d;
            std::cout << "\n";
        }
    }
    if (dry_run) return checked ? print_cost(*checked, files, calibrated, cap) : 0;
    if (more_memory + more_time)
        std::cout << "retried with more: " << more_memory << " out of memory, " << more_time
                  << " out of time (x " << format_number(factor) << ")\n";
    std::cout << "job ids: " << jobs_path(dir) << "; logs: " << dir << "/logs/\n"
              << "next: hpsgen status " << dir << "\n";
    return 0;
}

}  // namespace hps::cli
