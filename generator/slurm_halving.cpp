// Successive halving as chained Slurm arrays: submit_rung (for `hpsgen submit` and
// `hpsgen promote`), the promote command, and what `hpsgen status` says of the rungs.
#include "generator/slurm_halving.hpp"

#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/halving.hpp"
#include "generator/process.hpp"
#include "generator/slurm_jobs.hpp"

#include <hps/io.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace hps {

namespace fs = std::filesystem;

namespace {

std::string absolute_dir(const std::string& dir) {
    std::string abs = fs::absolute(dir).lexically_normal().string();
    while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
    return abs;
}

// a rung's list of points: slurm/rung-R.points, or in bracket B > 1 slurm/bracket-B-rung-R.points (R of the bracket)
std::string points_file(std::size_t bracket, std::size_t rung) {
    return "slurm/" + (bracket ? "bracket-" + std::to_string(bracket + 1) + "-" : std::string()) + "rung-" +
           std::to_string(rung - bracket + 1) + ".points";
}

// Submits argv (dry run: prints it), records the job as `rec`; false when sbatch refused.
bool submit_and_record(const rung_submission& o, std::vector<std::string> argv, slurm::job_record rec,
                       const std::string& what, std::vector<slurm::job_record>& recorded, std::string& job) {
    if (o.dry_run) {
        std::cout << "  " << process::command_line(argv) << "    # " << what << "\n";
        // a placeholder for the job id; a rung's second and later arrays (resource classes)
        // are numbered, so that a dependency lists each job once
        static std::map<std::string, int> placeholders;
        const std::string name =
            rec.kind + " " + (rec.bracket ? std::to_string(rec.bracket + 1) + "." : "") + std::to_string(rec.rung - rec.bracket + 1);
        const int n = ++placeholders[name];
        job = "<" + name + (n > 1 ? " #" + std::to_string(n) : std::string()) + ">";
        return true;
    }
    std::string error, warnings;
    job = sbatch_job(argv, error, warnings);
    if (job.empty()) {
        std::cerr << "hpsgen: sbatch refused " << what << ":\n" << error << "\nhpsgen: " << sbatch_hint(error) << "\n";
        return false;
    }
    if (!warnings.empty()) std::cerr << warnings << "\n";
    rec.job = job;
    recorded.push_back(rec);
    write_file_atomic(jobs_path(o.dir), slurm::jobs_tsv(recorded));
    return true;
}

}  // namespace

namespace {

// What the rung's points are asked to need, as submit_rung and a retry compute it.
struct rung_context {
    study_costs costs;
    request fixed;  // the command line's, else the spec's
    std::optional<long> cap;
    calibrations calibrated;
    task_build build = task_build::missing;
    long from = 0;  // the steps the rung starts from
};

rung_context rung_context_of(const study_dir& s, std::size_t bracket, std::size_t rung, const rung_submission& o) {
    rung_context c;
    c.costs = read_study_costs(o.dir, s);
    c.fixed = o.fixed;
    if (!o.max_time.empty()) c.cap = slurm::parse_time(o.max_time);
    if (c.costs.checked) {
        if (c.fixed.mem.empty()) c.fixed.mem = c.costs.checked->slurm.mem;
        if (c.fixed.time.empty()) c.fixed.time = c.costs.checked->slurm.time;
        if (o.max_time.empty()) c.cap = slurm::partition_max_time(c.costs.checked->slurm.partition);
    }
    if (o.calibrate) c.calibrated = read_calibrations(o.dir);
    c.build = o.build == "node"             ? task_build::always
              : o.dry_run && !o.no_build ? task_build::never  // submit builds before the tasks start
                                         : task_build::missing;
    c.from = rung == bracket ? 0 : s.rungs[rung - 1];
    return c;
}

// Submits the points of `requests` as arrays of rung `rung`, by resource class, each class's
// points on consecutive lines of the rung's list after its first `lines` (the lines written
// before); rewrites the list with them. Appends each array's job to `arrays`; false when
// sbatch refused.
bool submit_rung_arrays(const study_dir& s, std::size_t bracket, std::size_t rung,
                        const std::vector<std::pair<std::size_t, request>>& requests, const std::string& lines,
                        const rung_submission& o, std::vector<slurm::job_record>& recorded,
                        std::vector<std::string>& arrays) {
    const bool last = rung + 1 == s.rungs.size();
    const std::string abs_dir = absolute_dir(o.dir);
    const std::string name = rung_label(s, bracket, rung);
    const std::string list_file = points_file(bracket, rung);
    const auto classes = group_by_class(requests);
    std::string list = lines;
    for (const auto& [key, c] : classes)
        for (std::size_t id : c.tasks) list += std::to_string(id) + "\n";
    if (!o.dry_run) write_file_atomic((fs::path(o.dir) / list_file).string(), list);
    if (classes.size() > 1)
        std::cout << "  " << name << ": " << requests.size() << " points in " << classes.size() << " resource classes\n";
    std::size_t offset = std::size_t(std::count(lines.begin(), lines.end(), '\n'));  // the class's first line
    for (const auto& [key, c] : classes) {
        std::vector<std::size_t> positions(c.tasks.size());
        for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = i;
        for (const auto& part : slurm::plan_arrays(positions, positions.size(), 1, o.max_array)) {
            std::vector<std::string> argv = {"sbatch", "--parsable", "--chdir=" + abs_dir,
                                             "--array=" + slurm::index_list(part.tasks) + o.throttle,
                                             "--export=ALL,HPS_POINTS=" + list_file + ",HPS_FIRST=" +
                                                 std::to_string(offset + part.first) +
                                                 ",HPS_CHUNK=1,HPS_PACKING=" + o.packing + ",HPS_BUILD=" + o.build};
            // over submit.sbatch's own lines; the warning before the limit goes with the limit
            const std::string mem_option = task_mem_option(o.dir, s, c.asked.mem);  // per cpu for `ranks`
            if (!mem_option.empty()) argv.push_back(mem_option);
            if (!c.asked.time.empty())
                argv.insert(argv.end(), {"--time=" + c.asked.time,
                                         "--signal=B:USR1@" + std::to_string(slurm::warning_seconds(c.asked.time))});
            argv.push_back(abs_dir + "/submit.sbatch");
            if (!last) argv.insert(argv.end(), {"--until", std::to_string(s.rungs[rung])});
            slurm::job_record rec;
            rec.submission = o.submission;
            rec.kind = "rung";
            rec.rung = rung;
            rec.bracket = bracket;
            rec.build = o.build;
            rec.mem = c.asked.mem;
            rec.time = c.asked.time;
            for (std::size_t q : part.points) rec.points.push_back(c.tasks[q]);
            for (std::size_t t = 0; t < rec.points.size(); ++t) rec.tasks.push_back(t);
            const std::string what = name + "'s array of points " + slurm::index_list(rec.points);
            std::string job;
            if (!submit_and_record(o, argv, rec, what, recorded, job)) return false;
            arrays.push_back(job);
            std::cout << "  job " << job << ": " << name << ", " << rec.points.size() << " point"
                      << (rec.points.size() == 1 ? "" : "s") << " to " << s.rungs[rung] << " steps ("
                      << slurm::index_list(rec.points);
            if (!mem_option.empty()) std::cout << ", " << mem_option;
            if (!rec.time.empty()) std::cout << ", --time=" << rec.time;
            std::cout << ")\n";
        }
        offset += c.tasks.size();
    }
    return true;
}

// Submits the promotion job of rung `rung` after `arrays` (none: at once); 1 when sbatch
// refused, saying how to go on.
int submit_promotion(const study_dir& s, std::size_t bracket, std::size_t rung, const std::vector<std::string>& arrays,
                     const rung_submission& o, std::vector<slurm::job_record>& recorded) {
    const bool last = rung + 1 == s.rungs.size();
    const std::string abs_dir = absolute_dir(o.dir);
    const std::string hpsgen = hpsgen_path().empty() ? "hpsgen" : hpsgen_path();
    const std::string name = rung_label(s, bracket, rung);
    std::string dependency = "--dependency=afterany";
    for (const auto& a : arrays) dependency += ":" + a;
    std::vector<std::string> argv = {"sbatch", "--parsable", "--chdir=" + abs_dir,
                                     "--job-name=hps-" + s.study + "-promote"};
    if (!arrays.empty()) argv.push_back(dependency);  // none when every point was there before
    argv.insert(argv.end(), {abs_dir + "/report.sbatch", hpsgen, "promote", ".", "--rung",
                             std::to_string(rung - bracket + 1), "--max-array-size", std::to_string(o.max_array)});
    if (s.brackets > 1) argv.insert(argv.end(), {"--bracket", std::to_string(bracket + 1)});
    if (!o.report) argv.push_back("--no-report");
    if (!o.fixed.mem.empty()) argv.push_back("--mem=" + o.fixed.mem);
    if (!o.fixed.time.empty()) argv.push_back("--time=" + o.fixed.time);
    if (!o.max_time.empty()) argv.push_back("--max-time=" + o.max_time);
    if (!o.calibrate) argv.push_back("--no-calibrate");
    if (o.retry_factor != 2) argv.push_back("--retry-factor=" + format_number(o.retry_factor));
    slurm::job_record rec;
    rec.submission = o.submission;
    rec.kind = "promote";
    rec.rung = rung;
    rec.bracket = bracket;
    const std::string promote_args =
        (s.brackets > 1 ? " --bracket " + std::to_string(bracket + 1) : std::string()) + " --rung " +
        std::to_string(rung - bracket + 1);
    std::string job;
    if (!submit_and_record(o, argv, rec, "the promotion job after " + name, recorded, job)) {
        std::cerr << "hpsgen: " << name << " is submitted; when it has ended, rank it and go on with: hpsgen promote "
                  << o.dir << promote_args << "\n";
        return 1;
    }
    std::cout << "  job " << job << ": "
              << (last ? "ranks the last rung, then submits the report" + std::string(s.brackets > 1 ? " (after the last bracket to end)" : "")
                       : "ranks " + name + ", then submits the next rung")
              << " (hpsgen promote" << promote_args << ")" << (arrays.empty() ? "" : arrays.size() == 1 ? ", after job" : ", after jobs");
    for (const auto& a : arrays) std::cout << " " << a;
    std::cout << "\n";
    return 0;
}

}  // namespace

int submit_rung(const study_dir& s, std::size_t bracket, std::size_t rung, const std::vector<std::size_t>& points,
                const rung_submission& o, std::vector<slurm::job_record>& recorded) {
    const std::string name = rung_label(s, bracket, rung);
    std::vector<std::string> arrays;
    bool submitted_before = false;
    for (const auto& j : recorded)
        if (j.kind == "rung" && j.rung == rung && j.bracket == bracket) {
            submitted_before = true;
            arrays.push_back(j.job);
        }
    // a point trained to the rung's steps before (by hpsgen run) is not trained again for it
    std::vector<std::size_t> todo;
    for (const auto& row : s.points) {
        if (!std::binary_search(points.begin(), points.end(), row.id)) continue;
        const point_state st = read_point_state(s.path, row);
        if (!(st.finished() || (st.status == "paused" && st.steps >= s.rungs[rung]))) todo.push_back(row.id);
    }
    std::sort(todo.begin(), todo.end());
    if (submitted_before) {
        std::cout << "  " << name << ": submitted before (job";
        for (const auto& a : arrays) std::cout << " " << a;
        std::cout << "), not again\n";
    } else {
        if (todo.size() < points.size())
            std::cout << "  " << name << ": " << points.size() - todo.size() << " of " << points.size()
                      << " points trained to " << s.rungs[rung] << " steps before\n";
        // each point's --mem and --time for this rung: the rung's own steps, from where the
        // rung before paused, and its evaluations
        const rung_context c = rung_context_of(s, bracket, rung, o);
        const auto requests =
            rung_requests(c.costs, o.dir, s, todo, c.from, s.rungs[rung], c.calibrated, c.cap, c.fixed, c.build);
        if (!submit_rung_arrays(s, bracket, rung, {requests.begin(), requests.end()}, "", o, recorded, arrays))
            return 1;
    }
    for (const auto& j : recorded)
        if (j.kind == "promote" && j.rung == rung && j.bracket == bracket) {
            std::cout << "  the promotion after " << name << ": job " << j.job << ", submitted before\n";
            return 0;
        }
    return submit_promotion(s, bracket, rung, arrays, o, recorded);
}

namespace {

// The points of rung `rung` whose only task of the rung Slurm ended for its memory or its
// time limit before the rung's end (OUT_OF_MEMORY, TIMEOUT): submitted again, once, with
// retry_request's more, as more arrays of the rung, and a promotion job after them, which
// ranks the rung. Unset when there is none (rank the rung now), else the exit status.
std::optional<int> retry_rung(const study_dir& s, std::size_t bracket, std::size_t rung, const rung_submission& o,
                              const slurm::queue_view& queue, std::vector<slurm::job_record>& recorded) {
    // each point's tasks of the rung: its only one, or its retry too
    std::map<std::size_t, std::vector<point_job>> tasks;
    std::vector<std::string> jobs;
    for (const auto& j : recorded)
        if (j.kind == "rung" && j.rung == rung && j.bracket == bracket) {
            jobs.push_back(j.job);
            for (std::size_t t = 0; t < j.points.size(); ++t)
                tasks[j.points[t]].push_back({j.job, t, j.submission, j.mem, j.time});
        }
    const slurm::queue_view accounting = slurm::sacct(jobs);
    std::optional<rung_context> c;
    std::vector<std::pair<std::size_t, request>> again;
    for (const auto& [id, its] : tasks) {
        if (its.size() != 1 || id >= s.points.size()) continue;  // retried once already
        const point_row& row = s.points[id];
        const point_state st = read_point_state(s.path, row);
        if (st.finished() || (st.status == "paused" && st.steps >= s.rungs[rung])) continue;
        const task_end e = point_task_end(o.dir, its.front(), row.name, queue, accounting);
        if (e.reason != "OUT_OF_MEMORY" && e.reason != "TIMEOUT") continue;
        if (!c) c = rung_context_of(s, bracket, rung, o);
        const request anew =
            rung_requests(c->costs, o.dir, s, {id}, c->from, s.rungs[rung], c->calibrated, c->cap, c->fixed, c->build).at(id);
        const request had{requested_mem(o.dir, its.front()), requested_time(o.dir, its.front())};
        if (auto more = retry_request(anew, had, e.reason, o.retry_factor, c->cap)) {
            std::cout << row.name << ": its task " << its.front().key() << " ran out of "
                      << (e.reason == "TIMEOUT" ? "time with --time=" + (had.time.empty() ? "?" : had.time) + "; now --time=" + more->time
                                                : "memory with --mem=" + (had.mem.empty() ? "?" : had.mem) + "; now --mem=" + more->mem)
                      << "\n";
            again.emplace_back(id, *more);
        }
    }
    if (again.empty()) return std::nullopt;
    const std::string name = rung_label(s, bracket, rung);
    std::cout << again.size() << " point" << (again.size() == 1 ? "" : "s") << " of " << name
              << " trained again, once, with more (x " << format_number(o.retry_factor)
              << "); the rung is ranked when they have ended:\n";
    // the retried points go on the rung's list after the lines its arrays read
    const std::string list = (fs::path(o.dir) / points_file(bracket, rung)).string();
    std::ifstream in(list);
    std::ostringstream lines;
    if (!(in && lines << in.rdbuf())) throw std::runtime_error("cannot read " + list + ", the rung's list of points");
    std::vector<std::string> arrays;
    if (!submit_rung_arrays(s, bracket, rung, again, lines.str(), o, recorded, arrays)) return 1;
    return submit_promotion(s, bracket, rung, arrays, o, recorded);
}

}  // namespace

std::string job_state_text(const std::string& job, const slurm::queue_view& queue, const slurm::queue_view& accounting) {
    // an array's tasks are keyed JOB_TASK: it is running while a task runs, pending while
    // one waits, else ended as its worst task
    const slurm::task_state* shown = nullptr;
    auto rank = [](const slurm::task_state& t) {
        return t.state == "RUNNING" ? 3 : active_state(t.state) ? 2 : t.state != "COMPLETED" ? 1 : 0;
    };
    for (const auto* view : {&queue, &accounting}) {
        for (auto it = view->lower_bound(job); it != view->end() && it->first.rfind(job, 0) == 0; ++it)
            if (it->first.size() == job.size() || it->first[job.size()] == '_')
                if (!shown || rank(it->second) > rank(*shown)) shown = &it->second;
        if (shown) break;
    }
    if (!shown) return "ended";
    std::string state = shown->state == "COMPLETED" ? "done" : shown->state;
    for (auto& ch : state) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (shown->state == "PENDING" && !shown->reason.empty() && shown->reason != "None") state += " (" + shown->reason + ")";
    return state;
}

std::vector<std::string> halving_status_lines(const study_dir& s, const std::vector<slurm::job_record>& jobs,
                                              const slurm::queue_view& queue, const slurm::queue_view& accounting) {
    std::vector<std::string> out;
    const auto ranked = read_halving_state(s.path);
    // a promotion that failed and was run again by hand: what it was to submit is there
    auto followed = [&](std::size_t b, std::size_t r) {
        bool after = false;
        for (const auto& j : jobs) {
            if (j.kind == "rung" && j.rung == r + 1 && j.bracket == b) return true;
            if (j.kind == "promote" && j.rung == r && j.bracket == b) after = true;
            else if (after && j.kind == "report" && r + 1 == s.rungs.size()) return true;
        }
        return false;
    };
    for (std::size_t b = 0; b < s.brackets; ++b)
        for (std::size_t r = b; r < s.rungs.size(); ++r) {
            std::vector<std::string> arrays;
            std::set<std::string> superseded;  // arrays whose every point was trained again (out of memory or time)
            std::map<std::size_t, std::string> latest;  // a point's latest array of the rung
            for (const auto& j : jobs)
                if (j.kind == "rung" && j.rung == r && j.bracket == b) {
                    arrays.push_back(j.job);
                    for (std::size_t id : j.points) latest[id] = j.job;
                }
            for (const auto& a : arrays)
                if (std::none_of(latest.begin(), latest.end(), [&](const auto& l) { return l.second == a; }))
                    superseded.insert(a);
            const std::size_t count = latest.size();
            if (arrays.empty()) continue;
            const std::string label = rung_label(s, b, r);
            std::string line = label + " (" + std::to_string(s.rungs[r]) + " steps): " + std::to_string(count) + " point" +
                               (count == 1 ? "" : "s") + ", job";
            std::string state;
            for (const auto& a : arrays) {
                line += " " + a;
                if (superseded.count(a)) continue;  // its state is its retry's
                const std::string st = job_state_text(a, queue, accounting);
                if (state.empty() || st != "done") state = st;
            }
            line += " " + state;
            if (!superseded.empty()) line += " (points that ran out of memory or time trained again)";
            for (const auto& g : ranked) {
                if (g.bracket != b || g.rung != r || g.steps != s.rungs[r] || g.points.empty()) continue;
                std::string on;
                for (const auto& p : g.points)
                    if (p.promoted) on += (on.empty() ? "" : ", ") + p.name;
                if (r + 1 == s.rungs.size()) line += "; ranked (halving.json), best " + g.points.front().name;
                else line += "; ranked, on to rung " + std::to_string(r - b + 2) + ": " + (on.empty() ? "none" : on);
            }
            out.push_back(line);
            for (const auto& j : jobs)
                if (j.kind == "promote" && j.rung == r && j.bracket == b) {
                    const std::string st = job_state_text(j.job, queue, accounting);
                    if (st == "done" || followed(b, r)) continue;
                    const std::string after = (s.brackets > 1 ? "bracket " + std::to_string(b + 1) + ", " : std::string()) +
                                              "rung " + std::to_string(r - b + 1);
                    out.push_back("promotion after " + after + ": job " + j.job + " " + st +
                                  (st.rfind("pending", 0) == 0 || st == "running"
                                       ? ""
                                       : "; run it again with: hpsgen promote " + s.path +
                                             (s.brackets > 1 ? " --bracket " + std::to_string(b + 1) : "") +
                                             " --rung " + std::to_string(r - b + 1)));
                }
        }
    return out;
}

namespace {
int promote_rung(const std::string& dir, std::size_t bracket_number, std::size_t rung_number, std::size_t max_array,
                 bool no_report, const rung_submission& asked);
}  // namespace

namespace cli {

int promote(const args& a) {
    std::string dir;
    std::size_t rung_number = 0, bracket_number = 1, max_array = 0;
    bool no_report = false, no_calibrate = false;
    rung_submission asked;  // what the next rung's arrays ask, as hpsgen submit was told
    arg_parser p("promote",
                 "Ranks rung R of a halving study submitted to Slurm (hpsgen submit) from its points'\n"
                 "metrics.csv, as hpsgen run does, writes DIR/halving.json, and submits the next rung's\n"
                 "array and its promotion job; after the last rung, the report job. The promotion job\n"
                 "that hpsgen submit chains after each rung runs it; running it again by hand (after\n"
                 "it failed) is safe: the ranking is the same, and a rung or job recorded in\n"
                 "DIR/slurm/jobs.tsv is never submitted twice. With Hyperband's brackets, each bracket is\n"
                 "a chain of its own (--bracket B); the last bracket to end submits the report.\n\n"
                 "The next rung's points ask what they need for that rung, as hpsgen submit's do: --mem\n"
                 "their memory estimate + 20 %, --time the rung's own steps and evaluations at their\n"
                 "trainer's calibration (DIR/build/calibration.tsv) x 1.5 + 5 min, at most the partition's\n"
                 "MaxTime, grouped into arrays by resource class. hpsgen submit passes its --mem, --time,\n"
                 "--max-time and --no-calibrate on to every promotion job.");
    p.positional("DIR", "the study folder", dir);
    p.count("rung", "R", "the rung to rank (1 the first of its bracket)", rung_number);
    p.count("bracket", "B", "the bracket of the rung (1 the first, the default)", bracket_number);
    p.count("max-array-size", "N", "the cluster's MaxArraySize (default: scontrol show config, else 1001)", max_array);
    p.flag("no-report", 0, "no report job after the last rung", no_report);
    p.option("mem", "SIZE", "--mem for every task of the next rung (instead of each point's estimate)", asked.fixed.mem);
    p.option("time", "LIMIT", "--time for every task of the next rung (instead of the calibration)", asked.fixed.time);
    p.option("max-time", "LIMIT", "the longest --time to ask (default: the partition's MaxTime)", asked.max_time);
    p.flag("no-calibrate", 0, "no --time from the calibrations (unless the spec or --time gives one)", no_calibrate);
    std::string factor_arg = "2";
    p.option("retry-factor", "F",
             "a point of the rung whose task ran out of memory or time is trained again once with F times its --mem "
             "or --time (default 2)",
             factor_arg);
    if (auto status = p.parse(a)) return *status;
    char* factor_end = nullptr;
    asked.retry_factor = std::strtod(factor_arg.c_str(), &factor_end);
    if (factor_end == factor_arg.c_str() || *factor_end != '\0' || !(asked.retry_factor >= 1) || asked.retry_factor > 100)
        return p.usage_error(std::cerr, "--retry-factor needs a number from 1 to 100, not '" + factor_arg + "'");
    if (!asked.fixed.mem.empty() && !slurm::parse_mem(asked.fixed.mem))
        return p.usage_error(std::cerr, "--mem needs a size like 500M or 4G, not '" + asked.fixed.mem + "'");
    for (const auto* t : {&asked.fixed.time, &asked.max_time})
        if (!t->empty() && !(slurm::parse_time(*t) && *slurm::parse_time(*t) > 0))
            return p.usage_error(std::cerr, "--time and --max-time need a time like 90 (minutes), 2:00:00 or 1-12:00:00, "
                                            "not '" + *t + "'");
    asked.calibrate = !no_calibrate;

    // one promotion at a time: a rerun by hand beside the job must not submit a rung twice
    std::error_code ec;
    fs::create_directories(fs::path(dir) / "slurm", ec);
    const std::string lock_path = (fs::path(dir) / "slurm" / "promote.lock").string();
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
        std::cerr << "hpsgen promote: cannot lock " << lock_path << "\n";
        return 1;
    }
    try {
        return promote_rung(dir, bracket_number, rung_number, max_array, no_report, asked);
    } catch (const std::exception& e) {  // a file that cannot be written: nothing half done to undo
        std::cerr << "hpsgen promote: " << e.what() << "\nhpsgen promote: fix that and run again: hpsgen promote "
                  << absolute_dir(dir) << (bracket_number > 1 ? " --bracket " + std::to_string(bracket_number) : "")
                  << " --rung " << rung_number << "\n";  // the job's DIR is "."
        return 1;
    }
}

}  // namespace cli

namespace {

// hpsgen promote, once its arguments are read and it holds the lock; throws
// std::runtime_error where a file cannot be read or written.
int promote_rung(const std::string& dir, std::size_t bracket_number, std::size_t rung_number, std::size_t max_array,
                 bool no_report, const rung_submission& asked) {
    const submitted_study loaded = load_submitted_study(dir);
    const study_dir& s = loaded.study;
    const slurm_settings& settings = loaded.settings;
    std::vector<slurm::job_record> recorded = loaded.jobs;
    if (s.rungs.empty()) {
        std::cerr << "hpsgen promote: " << dir << " is not a halving study (no halving in its search block)\n";
        return 2;
    }
    if (bracket_number == 0 || bracket_number > s.brackets) {
        std::cerr << "hpsgen promote: --bracket " << bracket_number << ": the study has "
                  << (s.brackets == 1 ? "one bracket (1)" : "brackets 1 to " + std::to_string(s.brackets)) << "\n";
        return 2;
    }
    const std::size_t b = bracket_number - 1;
    if (rung_number == 0 || rung_number > s.bracket_rungs(b)) {
        std::cerr << "hpsgen promote: --rung " << rung_number << ": "
                  << (s.brackets > 1 ? "bracket " + std::to_string(bracket_number) : std::string("the study")) << " has rungs 1 to "
                  << s.bracket_rungs(b) << "\n";
        return 2;
    }
    const std::size_t r = b + rung_number - 1;
    const std::string label = rung_label(s, b, r);
    std::vector<std::string> arrays;
    int submission = 1;
    std::string build = "before";
    for (const auto& j : recorded)
        if (j.kind == "rung" && j.rung == r && j.bracket == b) {
            arrays.push_back(j.job);
            submission = j.submission;
            build = j.build;
        }
    if (arrays.empty()) {
        std::cerr << "hpsgen promote: " << label << " has not been submitted (" << jobs_path(dir)
                  << "); submit the study with hpsgen submit " << dir << "\n";
        return 1;
    }
    // ranking a rung whose tasks still train would promote on partial results
    std::string error;
    slurm::queue_view queue;
    if (auto q = slurm::squeue(arrays, error)) {
        queue = *q;
        for (const auto& [key, st] : queue)
            if (st.state == "PENDING" || st.state == "RUNNING") {
                std::cerr << "hpsgen promote: " << label << " is still training (task " << key << " "
                          << st.state << "); its promotion job ranks it when it has ended\n";
                return 1;
            }
    }

    rung_submission o = asked;
    o.dir = dir;
    o.build = build;
    o.packing = settings.packing;
    o.throttle = settings.throttle > 0 ? "%" + std::to_string(settings.throttle) : "";
    o.report = settings.report && !no_report;
    o.submission = submission;
    if (max_array == 0) max_array = slurm::max_array_size().value_or(1001);
    o.max_array = max_array;
    // a point that ran out of memory or time is not ranked last for it: trained again first
    if (const auto rc = retry_rung(s, b, r, o, queue, recorded)) return *rc;

    // the rungs ranked before stay (a rerun of an earlier promotion, another bracket's),
    // ranked anew: the same
    std::vector<std::size_t> counts = ranked_counts(s, read_halving_state(dir));
    counts[b] = std::max(counts[b], rung_number);
    const auto history = rank_brackets(s, counts);
    write_halving_state(s, history);
    const rung_record* found = nullptr;
    for (const auto& g : history)
        if (g.bracket == b && g.rung == r) found = &g;
    if (!found) {
        std::cerr << "hpsgen promote: no point reached " << label << "; see hpsgen status " << dir << "\n";
        return 1;
    }
    const rung_record& ranked = *found;
    std::size_t reached = 0;
    for (const auto& pt : ranked.points) reached += pt.reached;
    std::cout << label << " at " << ranked.steps << " steps: " << reached << " of " << ranked.points.size()
              << " points reached it, ranked by " << (s.select_max ? "max " : "min ") << s.select_metric
              << (s.grouped ? " (a configuration by its runs' mean)" : "") << " (" << dir << "/halving.json)\n";

    if (r + 1 < s.rungs.size()) {
        std::vector<std::size_t> next;
        for (const auto& row : promoted_points(s, ranked)) next.push_back(row.id);
        std::sort(next.begin(), next.end());
        if (next.empty()) {
            std::cerr << "hpsgen promote: no point of " << label << " reached its end, none goes on; "
                      << "see why with hpsgen status " << dir << "\n";
            return 1;
        }
        std::cout << next.size() << " go on to " << s.rungs[r + 1] << " steps:\n";
        return submit_rung(s, b, r + 1, next, o, recorded);
    }

    // the last rung: the report, once, after the last bracket to end
    if (!o.report) return 0;
    const auto ended = ranked_counts(s, history);
    bool all_ended = true;
    for (std::size_t k = 0; k < s.brackets; ++k) all_ended = all_ended && ended[k] == s.bracket_rungs(k);
    if (!all_ended) {
        std::cout << label << " has ended; the report follows when every bracket has (hpsgen status " << dir << ")\n";
        return 0;
    }
    bool after_last = false;
    for (const auto& j : recorded) {
        if (j.kind == "promote" && j.rung == r) after_last = true;
        else if (after_last && j.kind == "report") {
            std::cout << "the report: job " << j.job << ", submitted before\n";
            return 0;
        }
    }
    const std::string abs_dir = absolute_dir(dir);
    std::vector<std::string> argv = {"sbatch", "--parsable", "--chdir=" + abs_dir, abs_dir + "/report.sbatch",
                                     hpsgen_path().empty() ? "hpsgen" : hpsgen_path()};
    std::string warnings, job = sbatch_job(argv, error, warnings);
    if (job.empty()) {
        std::cerr << "hpsgen promote: sbatch refused the report job:\n" << error << "\nhpsgen promote: run hpsgen report " << dir << "\n";
        return 1;
    }
    slurm::job_record rec;
    rec.submission = submission;
    rec.job = job;
    rec.kind = "report";
    recorded.push_back(rec);
    write_file_atomic(jobs_path(dir), slurm::jobs_tsv(recorded));
    std::cout << "the report: job " << job << "\n";
    return 0;
}

}  // namespace

}  // namespace hps
