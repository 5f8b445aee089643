// hpsgen submit DIR: build the trainers and submit the study's unfinished points to Slurm
// as job arrays (split or chunked to fit MaxArraySize), then a report job; the job ids
// go to DIR/slurm/jobs.tsv. The Slurm twin of `hpsgen run`.
#include "generator/build.hpp"
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/cost.hpp"
#include "generator/data_check.hpp"
#include "generator/process.hpp"
#include "generator/slurm.hpp"
#include "generator/slurm_halving.hpp"
#include "generator/slurm_jobs.hpp"
#include "generator/study_dir.hpp"

#include <hps/train/run_dir.hpp>

#include <hps/io.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
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

// --dry-run's cost preview: the folder's study.hps checked again, its data opened from the
// spec's folder as generate was given it (unknown, "?", when it is not there from here)
int print_cost(const study_dir& s, const std::string& dir) {
    std::ostringstream err;
    auto checked = read_spec(dir + "/study.hps", err);
    if (!checked) return 0;
    std::cout << "\n" << cost::cost_table(*checked, cost::data_files(*checked, cost::spec_folder(s.spec)));
    return 0;
}

}  // namespace

int submit(const args& a) {
    std::string dir, packing, build_where;
    std::size_t chunk = 0, max_array = 0, jobs_n = 0, steps = 0, checkpoints = 0;
    bool retry = false, no_report = false, no_build = false, dry_run = false, no_data_check = false;
    arg_parser p("submit",
                 "Submits the study folder DIR to Slurm: builds the trainers (cmake, in DIR/build, as\n"
                 "`hpsgen run` does), then submits every point that has not finished and is not queued\n"
                 "as a job array of DIR/submit.sbatch with the spec's resources, split into several\n"
                 "arrays or chunked (K points per task) where the grid exceeds the cluster's\n"
                 "MaxArraySize; then a report job that runs `hpsgen report DIR` when the arrays have\n"
                 "ended. Job ids go to DIR/slurm/jobs.tsv, logs to DIR/logs/. Points that finished are\n"
                 "never submitted again; points that failed only with --retry.");
    p.positional("DIR", "the study folder (hpsgen generate)", dir);
    p.flag("retry", 0, "also resubmit the points that failed (their reasons: hpsgen status DIR)", retry);
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
    p.flag("dry-run", 'n', "print the sbatch commands instead of running them", dry_run);
    data_check_flag(p, no_data_check);
    p.epilog("examples:\n"
             "  hpsgen submit out/cyplam\n"
             "  hpsgen submit out/cyplam --chunk 4 --build node\n"
             "  hpsgen submit out/cyplam --chunk 4 --packing side_by_side   # 4 single-thread trainers per 4-cpu task\n"
             "  hpsgen submit out/cyplam --retry      # failed and unfinished points only\n\n"
             "next: hpsgen status DIR; when every point has finished, hpsgen report DIR");
    if (auto status = p.parse(a)) return *status;

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
    if (halving && (steps || checkpoints)) {
        std::cerr << "hpsgen submit: " << dir << " is a halving study: its rungs choose the steps, so --steps and "
                     "--checkpoints do not apply\n";
        return 2;
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
    std::string counts = plural(s.points.size(), "point") + ": " + std::to_string(finished) + " finished";
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
        o.submission = submission;
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
        if (!dry_run) std::cout << "job ids: " << jobs_path(dir) << "; logs: " << dir << "/logs/\nnext: hpsgen status " << dir << "\n";
        return 0;
    }
    const auto parts = slurm::plan_arrays(todo, s.points.size(), chunk, max_array);
    const std::string throttle = settings.throttle > 0 ? "%" + std::to_string(settings.throttle) : "";

    auto record = [&](const slurm::job_record& j) {
        recorded.push_back(j);
        write_file_atomic(jobs_path(dir), slurm::jobs_tsv(recorded));
    };

    std::cout << (dry_run ? "would submit " : "submitting ") << plural(todo.size(), "point") << " as "
              << plural(parts.size(), "array") << " (MaxArraySize " << max_array << ", " << plural(chunk, "point")
              << " per task" << (chunk > 1 && packing == "side_by_side" ? " side by side" : "") << ", trainers built " << (build_where == "node" ? "on the nodes" : "before") << "):\n";
    std::vector<std::string> submitted;
    for (const auto& part : parts) {
        std::vector<std::string> argv = {"sbatch",
                                         "--parsable",
                                         "--chdir=" + abs_dir,
                                         "--array=" + slurm::index_list(part.tasks) + throttle,
                                         "--export=ALL,HPS_FIRST=" + std::to_string(part.first) +
                                             ",HPS_CHUNK=" + std::to_string(part.chunk) + ",HPS_PACKING=" + packing +
                                             ",HPS_BUILD=" + build_where,
                                         abs_dir + "/submit.sbatch"};
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
        record(rec);
        submitted.push_back(job);
        std::cout << "  job " << job << ": " << what << " (--array=" << slurm::index_list(part.tasks) << throttle;
        if (part.first) std::cout << ", HPS_FIRST=" << part.first;
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
    if (dry_run) return print_cost(s, dir);
    std::cout << "job ids: " << jobs_path(dir) << "; logs: " << dir << "/logs/\n"
              << "next: hpsgen status " << dir << "\n";
    return 0;
}

}  // namespace hps::cli
