// hpsgen status DIR: where each point of a study stands, from Slurm (squeue, and sacct
// where accounting is on) for the jobs recorded in DIR/slurm/jobs.tsv, and from the run
// folders and the task logs otherwise. One summary line first, then a row per point.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/halving.hpp"
#include "generator/ranking.hpp"
#include "generator/slurm_halving.hpp"
#include "generator/slurm.hpp"
#include "generator/slurm_jobs.hpp"
#include "generator/study_dir.hpp"

#include <hps/io.hpp>
#include <hps/train/continuation.hpp>
#include <hps/version.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace hps::cli {

namespace fs = std::filesystem;

namespace {

struct row {
    std::string name, state, detail, job, log, reason;
};

std::string number(double v) {
    if (std::isnan(v)) return "nan";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// The last checkpoint's step in metrics.csv, or -1.
// Whether a point not yet trained will continue a shorter finished run of its
// configuration (steps raised), or train from the start, and why (hps/train/continuation.hpp).
std::string continuation_text(const std::string& dir, const point_row& p) {
    const std::optional<train_config> c = read_point_settings(dir, p);
    if (!c) return {};
    const auto plan = train_detail::plan_continuation((fs::path(dir) / p.run_dir()).string(), *c,
                                                      c->steps > 0 ? c->steps : -1, c->checkpoints);
    if (!plan.from.empty())
        return "will continue from results/" + fs::path(plan.from).filename().string() + " at step " +
               std::to_string(plan.at_step) + " (the same configuration, fewer steps)";
    return plan.reason.empty() ? std::string() : "will train from the start, " + plan.reason;
}

long last_step(const std::string& dir, const point_row& p) {
    std::ifstream in(fs::path(dir) / p.run_dir() / "metrics.csv");
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    if (last.empty() || !std::isdigit(static_cast<unsigned char>(last[0]))) return -1;
    return std::atol(last.c_str());
}

std::string tsv_cell(std::string s) {
    for (auto& c : s)
        if (c == '\t' || c == '\n') c = ' ';
    return s;
}

}  // namespace

int status(const args& a) {
    std::string dir, format = "table";
    bool failed_only = false;
    arg_parser p("status",
                 "Says where each point of the study folder DIR stands: done (with its selection\n"
                 "metric), running, pending (queued), failed (with the reason and the task's log),\n"
                 "interrupted (resumable), or not submitted. Asks squeue (and sacct where accounting\n"
                 "is on) about the jobs `hpsgen submit` recorded in DIR/slurm/jobs.tsv, and reads the\n"
                 "run folders and task logs for the rest; without Slurm, the run folders alone.\n"
                 "A task that Slurm ended names Slurm's reason: OUT_OF_MEMORY (with the --mem it had),\n"
                 "TIMEOUT (with its --time), NODE_FAIL, PREEMPTED, CANCELLED; from squeue or sacct, or\n"
                 "where those do not say (no accounting, no cgroups), from slurmstepd's lines in the\n"
                 "task's log. `hpsgen submit --retry` gives out-of-memory and timed-out points more.");
    p.positional("DIR", "the study folder", dir);
    p.option("format", "FORMAT",
             "table for people, or tsv: point, state, detail, job, log, reason (Slurm's: OUT_OF_MEMORY, TIMEOUT, "
             "NODE_FAIL, PREEMPTED, CANCELLED, FAILED; empty when none)",
             format, {"table", "tsv"}, 'f');
    p.flag("failed", 0, "list only the points that failed or were interrupted", failed_only);
    p.epilog("examples:\n  hpsgen status out/cyplam\n  hpsgen status out/cyplam --failed\n\n"
             "next: hpsgen submit --retry DIR (failed and interrupted points), hpsgen report DIR");
    if (auto st = p.parse(a)) return *st;

    study_dir s;
    std::vector<slurm::job_record> jobs;
    try {
        s = load_study_dir(dir);
        jobs = read_jobs(dir);
    } catch (const std::exception& e) {
        std::cerr << "hpsgen status: " << e.what() << "\n";
        return 1;
    }
    std::vector<std::string> ids;
    for (const auto& j : jobs)
        if (std::find(ids.begin(), ids.end(), j.job) == ids.end()) ids.push_back(j.job);

    std::string note;
    slurm::queue_view queue, accounting;
    if (!ids.empty()) {
        std::string error;
        if (auto q = slurm::squeue(ids, error)) queue = *q;
        else note = "Slurm does not answer (" + error + "): states from the run folders and logs only";
        accounting = slurm::sacct(ids);
    }
    const auto by_point = latest_jobs(jobs, s.points.size());

    std::vector<row> rows;
    std::map<std::string, std::size_t> counts;
    std::map<std::string, bool> chunk_running;  // a running chunk task trains its first unfinished point
    const auto halved = halved_points(s);
    for (const auto& pt : s.points) {
        row r;
        r.name = pt.name;
        auto st = read_point_state(dir, pt);
        if (auto it = halved.find(pt.identity); it != halved.end() && st.status == "paused") {
            st.status = "halved";
            st.message = it->second;
        }
        const point_job* pj = nullptr;
        if (auto it = by_point.find(pt.id); it != by_point.end()) pj = &it->second;
        const slurm::task_state* q = nullptr;
        if (pj) {
            r.job = pj->key();
            r.log = task_log(dir, pj->job, pj->task);
            if (auto it = queue.find(pj->key()); it != queue.end()) q = &it->second;
        }
        if (st.finished()) {
            r.state = st.status == "diverged" ? "diverged" : st.status == "halved" ? "halved" : "done";
            if (auto v = st.best_value(s.select_metric))
                r.detail = s.select_metric + " " + number(*v) + " at step " + std::to_string(st.best_step);
            if (st.status == "early_stopped") r.detail += " (early stop)";
            if (!st.overrides.empty()) r.detail += " (a run with " + st.overrides + ", not the spec's)";
            if (st.status == "diverged") r.detail = st.message;
            if (st.status == "halved") r.detail = st.message + "; best " + r.detail;
        } else if (q && active_state(q->state)) {
            const bool on_node = q->state == "RUNNING" || q->state == "COMPLETING" || q->state == "CONFIGURING";
            if (on_node && !chunk_running[r.job]) {
                chunk_running[r.job] = true;
                r.state = "running";
                r.detail = q->state == "COMPLETING" ? "ending on " + q->node : "on " + q->node + " for " + q->elapsed;
                if (long step = last_step(dir, pt); step >= 0) r.detail += ", checkpoint at step " + std::to_string(step);
            } else {
                r.state = "pending";
                if (on_node) r.detail = "after the points before it in task " + r.job;
                else if (q->reason == "BeginTime") r.detail = "requeued; restarts shortly";
                else if (q->state == "PENDING") r.detail = "queued (" + q->reason + ")";
                else r.detail = q->state;
            }
        } else if (st.status == "paused") {  // halving: its rung is trained, the promotion ranks it
            r.state = "paused";
            r.detail = "at step " + std::to_string(st.steps) + " (resume.bin saved), waiting for the ranking or the next rung";
        } else if (st.status == "failed") {
            r.state = "failed";
            r.detail = st.message.empty() ? "the trainer failed" : st.message;
        } else if (pj) {
            // its task has ended without a result: why?
            const task_end v = point_task_end(dir, *pj, pt.name, queue, accounting);
            const slurm::task_state* acct = v.state;
            r.reason = v.reason;
            const bool resumable = st.status == "interrupted" || v.rc == 75;
            if (v.reason == "OUT_OF_MEMORY" || v.reason == "TIMEOUT") {
                const bool memory = v.reason == "OUT_OF_MEMORY";
                const std::string asked = memory ? requested_mem(dir, *pj) : requested_time(dir, *pj);
                r.state = resumable ? "interrupted" : "failed";
                r.detail = v.reason + (memory ? ": the task used more than its --mem" : ": the task's time limit ran out, --time") +
                           (asked.empty() ? std::string(" (the cluster's default)") : "=" + asked);
                if (resumable) r.detail += "; resume.bin saved";
                if (long step = last_step(dir, pt); step >= 0) r.detail += ", checkpoint at step " + std::to_string(step);
                // a halving rung's point: its promotion job trains it again, once (generator/slurm_halving.cpp)
                r.detail += std::string(s.rungs.empty() ? "; hpsgen submit --retry gives it "
                                                        : "; its rung's promotion job trains such a point again, once, with ") +
                            (memory ? "more memory" : "more time");
            } else if (resumable) {
                r.state = "interrupted";
                r.detail = "resume.bin saved";
                if (v.rc >= 0 && v.rc != 75) r.detail += "; exit " + std::to_string(v.rc) + " (" + slurm::exit_meaning(v.rc) + ")";
                if (acct) r.detail += "; its task ended " + acct->state;
                else if (!v.reason.empty()) r.detail += "; its task ended " + v.reason;
                r.detail += "; resume with hpsgen submit --retry";
            } else {
                r.state = "failed";
                if (v.rc >= 0) r.detail = "exit " + std::to_string(v.rc) + " (" + slurm::exit_meaning(v.rc) + ")";
                if (!v.error.empty()) r.detail += (r.detail.empty() ? "" : ": ") + v.error;
                if (!v.reason.empty() && v.reason != "FAILED")
                    r.detail = v.reason + " (" + slurm::failure_meaning(v.reason) + ")" + (r.detail.empty() ? "" : "; " + r.detail);
                else if (acct && (r.detail.empty() || acct->state != "FAILED"))
                    r.detail += (r.detail.empty() ? "" : "; ") + std::string("task ") + acct->state +
                                (acct->exit_code.empty() ? "" : " (exit " + acct->exit_code + ")");
                if (r.detail.empty()) r.detail = "its task ended without a result" + std::string(r.log.empty() ? " and without a log (is logs/ writable?)" : "");
            }
        } else {
            r.state = st.status == "interrupted" ? "interrupted" : "not submitted";
            if (st.status == "interrupted") r.detail = "resume.bin saved; resume with hpsgen submit";
            else r.detail = continuation_text(dir, pt);
        }
        ++counts[r.state];
        rows.push_back(std::move(r));
    }

    const std::vector<outside_result> outside = results_outside_grid(s);
    // the summary line
    std::string summary = "study " + s.study + ", " + std::to_string(s.points.size()) + " point" +
                          (s.points.size() == 1 ? "" : "s");
    if (const std::size_t n = configuration_count(s)) {  // repeats and folds: a point is a run
        std::string by;
        for (int k : run_axes_of(s)) by += (by.empty() ? "" : " and ") + s.axis_names[std::size_t(k)];
        summary += " (runs of " + std::to_string(n) + " configuration" + (n == 1 ? "" : "s") + ", by " + by + ")";
    }
    summary += ": " + std::to_string(counts["done"]) + " done, " +
                          std::to_string(counts["running"]) + " running, " + std::to_string(counts["pending"]) +
                          " pending, " + std::to_string(counts["failed"]) + " failed";
    for (const char* k : {"paused", "halved", "diverged", "interrupted", "not submitted"})
        if (counts[k]) summary += ", " + std::to_string(counts[k]) + " " + k;
    std::string report_line;
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
        if (it->kind != "report") continue;
        const std::string state = job_state_text(it->job, queue, accounting);
        report_line = "report: job " + it->job + " " + state;
        if (fs::exists(fs::path(dir) / "report.md")) report_line += "; " + dir + "/report.md";
        break;
    }

    if (format == "tsv") {
        std::cout << "point\tstate\tdetail\tjob\tlog\treason\n";
        for (const auto& r : rows)
            if (!failed_only || r.state == "failed" || r.state == "interrupted")
                std::cout << r.name << "\t" << r.state << "\t" << tsv_cell(r.detail) << "\t" << r.job << "\t" << r.log
                          << "\t" << r.reason << "\n";
        return 0;
    }
    std::cout << summary << "\n";
    if (!report_line.empty()) std::cout << report_line << "\n";
    for (const auto& line : halving_status_lines(s, jobs, queue, accounting)) std::cout << line << "\n";
    if (!note.empty()) std::cout << "note: " << note << "\n";
    std::size_t w_name = 5, w_state = 5, w_job = 3;
    for (const auto& r : rows) {
        w_name = std::max(w_name, r.name.size());
        w_state = std::max(w_state, r.state.size());
        w_job = std::max(w_job, r.job.size());
    }
    bool header = false;
    for (const auto& r : rows) {
        if (failed_only && r.state != "failed" && r.state != "interrupted") continue;
        if (!header) {
            std::printf("\n%-*s  %-*s  %-*s  %s\n", int(w_name), "point", int(w_state), "state", int(w_job), "job", "detail");
            header = true;
        }
        std::string detail = r.detail;
        if ((r.state == "failed" || r.state == "interrupted") && !r.log.empty()) detail += " (log: " + r.log + ")";
        std::printf("%-*s  %-*s  %-*s  %s\n", int(w_name), r.name.c_str(), int(w_state), r.state.c_str(), int(w_job),
                    r.job.empty() ? "-" : r.job.c_str(), detail.c_str());
    }
    if (!outside.empty() && !failed_only) {
        std::printf("\n%zu result%s outside the current grid (kept; hpsgen report lists them):\n", outside.size(),
                    outside.size() == 1 ? "" : "s");
        for (const auto& o : outside) {
            std::string axes;
            for (const auto& a : o.row.axis_values) axes += (axes.empty() ? "" : ", ") + a;
            std::string runtime;
            if (o.state.from_other_runtime(hps::runtime_identity()))
                runtime = "  computed by another runtime (" +
                          (o.state.runtime.empty() ? std::string("an hpsgen before result.json recorded it") : o.state.runtime) + ")";
            std::printf("  results/%s  %s  %s%s%s\n", o.row.identity.c_str(), o.state.status.c_str(),
                        o.row.name.empty() ? "" : ("was " + o.row.name + " ").c_str(),
                        axes.empty() ? "" : ("(" + axes + ")").c_str(), runtime.c_str());
        }
    }
    if (counts["failed"] || counts["interrupted"]) std::cout << "\nnext: hpsgen submit --retry " << dir << "\n";
    else if (counts["done"] + counts["diverged"] + counts["halved"] == s.points.size() && report_line.empty())
        std::cout << "\nnext: hpsgen report " << dir << "\n";
    return 0;
}

}  // namespace hps::cli
