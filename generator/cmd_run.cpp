// hpsgen run DIR: build the study's trainers and train every unfinished point here,
// a few at a time, with one overall progress line. The local twin of the Slurm array.
#include "generator/build.hpp"
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/data_check.hpp"
#include "generator/halving.hpp"
#include "dsl/study.hpp"
#include "generator/process.hpp"
#include "generator/report_html.hpp"
#include "generator/study_dir.hpp"

#include <hps/train/run_dir.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace hps::cli {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int sig) { interrupted = sig; }

std::string duration(double s) {
    char buf[32];
    long t = long(s + 0.5);
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%lds", t);
    return buf;
}

// How far a running trainer is, from the last "step N/M" of its log (a trainer prints one
// at every checkpoint and progress line); -1 when it has printed none yet.
double trainer_fraction(const std::string& log) {
    std::FILE* f = std::fopen(log.c_str(), "rb");
    if (!f) return -1;
    char buf[4096];
    long size = 0;
    if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
    std::fseek(f, size > long(sizeof buf) - 1 ? size - long(sizeof buf - 1) : 0, SEEK_SET);
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    double fraction = -1;
    for (const char* p = buf; (p = std::strstr(p, "step ")) != nullptr; p += 5) {
        long step = 0, total = 0;
        if (std::sscanf(p, "step %ld/%ld", &step, &total) == 2 && total > 0 && step >= 0 && step <= total)
            fraction = double(step) / double(total);
    }
    return fraction;
}

// What one round of training ended with.
struct round_outcome {
    int done = 0, failed = 0, stopped = 0;  // stopped: interrupted, resumable
    std::vector<std::string> failures;
    double wall = 0;
};

// The command that starts `ranks` processes of a trainer (the spec's `ranks`; docs/design.md,
// section 22): mpirun, unbound (each rank runs its own threads), allowed to run more ranks
// than cores, and as root where hpsgen runs as root (OpenMPI refuses root unless told).
// `-n N` comes last, so that mpirun's MPMD form (a -n before each program) can take the
// options before it. The one copy: tests and benchmarks ask `hpsgen run --print-launcher N`.
std::vector<std::string> mpi_launcher(int ranks) {
    std::vector<std::string> argv = {"mpirun", "--bind-to", "none", "--oversubscribe"};
    if (::geteuid() == 0) argv.push_back("--allow-run-as-root");
    argv.insert(argv.end(), {"-n", std::to_string(ranks)});
    return argv;
}

// How many points of `todo` train side by side and with how many threads each, on `cores`:
// --jobs and --threads where given (not 0); else as many points as the cores hold at `ranks`
// processes each, and each rank its share of the cores, so that the ranks of the points
// running together use every core once.
struct round_shape {
    std::size_t jobs = 1, threads = 1;
};
round_shape shape_round(unsigned cores, std::size_t todo, int ranks, std::size_t jobs, std::size_t threads) {
    const std::size_t n = std::size_t(std::max(1, ranks));
    round_shape r;
    r.jobs = jobs ? jobs : std::max<std::size_t>(1, std::min<std::size_t>(cores / n, todo));
    r.threads = threads ? threads : std::max<std::size_t>(1, cores / (r.jobs * n));
    return r;
}

// Trains `todo` in the study folder `dir`, `jobs` trainers side by side with `threads`
// threads each (`ranks` processes each, under mpirun, when above 1), every trainer given
// `extra` arguments; one progress line, report.html refreshed as points end.
round_outcome train_points(const std::string& dir, const std::vector<point_row>& todo, std::size_t jobs,
                           std::size_t threads, const std::vector<std::string>& extra, int ranks = 1) {
    round_outcome out;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    struct trainer {
        process::child proc;
        std::string name;
        std::string log;  // its train.log, relative to the current folder
    };
    std::vector<trainer> running;
    std::size_t next = 0;
    int& done = out.done;
    int& failed = out.failed;
    int& stopped = out.stopped;
    std::vector<std::string>& failures = out.failures;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    const bool tty = ::isatty(1);
    double last_line = -1e9;
    bool forwarded = false;

    // report.html, refreshed as points end (at most every 10 s: it reads every point's
    // history) and at the end; a failure is said once and does not stop the training
    double last_page = -1e9;
    bool page_failed = false;
    auto refresh_page = [&](bool force) {
        if (page_failed || (!force && elapsed() - last_page < 10.0)) return;
        last_page = elapsed();
        try {
            write_report_html(dir, (fs::path(dir) / "report.html").string());
        } catch (const std::exception& e) {
            page_failed = true;
            std::fprintf(stderr, "%shpsgen run: report.html not refreshed: %s\n", tty ? "\n" : "", e.what());
        }
    };

    // The ETA counts work in points: a finished point is 1, a running one its trainer's
    // share of steps (from its log), less where it stood when this run started it (a
    // resumed point), so the rate is what this run trains per second with its parallelism.
    std::map<std::string, double> start_fraction, fraction_now;
    double finished_work = 0;  // of the points that ended in this run: 1 - their start fraction
    auto progress = [&](bool force) {
        const double t = elapsed();
        if (!force && t - last_line < (tty ? 1.0 : 30.0)) return;
        last_line = t;
        double work = finished_work, left = double(todo.size() - next);
        std::string shares;
        for (const auto& [proc, name, log] : running) {
            double f = trainer_fraction(log);
            if (f < 0) f = 0;
            auto [it, fresh] = start_fraction.emplace(name, f);
            if (!fresh) f = std::max(f, it->second);
            fraction_now[name] = f;
            work += f - it->second;
            left += 1 - f;
            if (running.size() <= 4) shares += (shares.empty() ? " (" : ", ") + name + " " + std::to_string(int(100 * f)) + "%";
        }
        if (!shares.empty()) shares += ')';
        std::string eta = "?";
        if (work > 0.005 && t > 2) eta = duration(t / work * left);
        std::printf(tty ? "\r[hpsgen run] %d/%zu done, %zu running%s, %d failed | %s elapsed | ETA %s   "
                        : "[hpsgen run] %d/%zu done, %zu running%s, %d failed | %s elapsed | ETA %s\n",
                    done, todo.size(), running.size(), shares.c_str(), failed, duration(t).c_str(), eta.c_str());
        std::fflush(stdout);
    };

    while ((next < todo.size() && !interrupted) || !running.empty()) {
        if (interrupted && !forwarded) {
            // mpirun passes SIGUSR1 on to every rank; on SIGTERM it kills them within a second
            for (const auto& t : running) t.proc.signal(ranks > 1 ? SIGUSR1 : SIGTERM);
            forwarded = true;
            std::printf("%s[hpsgen run] interrupted: asking %zu trainer%s to save a checkpoint\n", tty ? "\n" : "",
                        running.size(), running.size() == 1 ? "" : "s");
            std::fflush(stdout);
        }
        while (!interrupted && next < todo.size() && running.size() < jobs) {
            const point_row& point = todo[next++];
            const std::string& name = point.name;
            const std::string run_dir = point.run_dir();
            fs::create_directories(fs::path(dir) / run_dir);
            process::options o;
            o.argv = {"build/bin/" + point.trainer, "--settings", point.settings_file(), "--threads",
                      std::to_string(threads), "--progress", "60"};
            o.argv.insert(o.argv.end(), extra.begin(), extra.end());
            if (ranks > 1) {
                const auto launcher = mpi_launcher(ranks);
                o.argv.insert(o.argv.begin(), launcher.begin(), launcher.end());
            }
            o.dir = dir;
            o.out = process::output::append;
            o.err = process::output::merge;
            o.file = run_dir + "/train.log";
            o.own_group = true;  // Ctrl-C reaches hpsgen, which forwards SIGTERM
            // OpenMP threads that spin long while they wait take cores from the other
            // trainers (and from anyone else on the machine): a bounded spin, unless told
            // otherwise (the trainer's own choice, train_detail::bound_omp_spinning,
            // set here so that it need not start itself again)
            if (threads > 1 && !std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT"))
                o.env.emplace_back("GOMP_SPINCOUNT", "30000");
            o.start_error = "hpsgen run: cannot start " + dir + "/" + o.argv[0] +
                            " (build it with hpsgen run without --no-build)";
            std::string error;
            auto child = process::spawn(o, error);
            if (!child) {
                std::fprintf(stderr, "hpsgen run: cannot start a trainer: %s\n", error.c_str());
                interrupted = SIGTERM;
                break;
            }
            running.push_back({std::move(*child), name, (fs::path(dir) / run_dir / "train.log").string()});
        }
        auto ended = running.end();
        int rc = 0;
        for (auto it = running.begin(); it != running.end() && ended == running.end(); ++it)
            if (auto status = it->proc.try_wait()) {
                ended = it;
                rc = *status;
            }
        if (ended != running.end()) {
            const std::string name = ended->name, log = ended->log;
            running.erase(ended);
            {
                auto it = start_fraction.find(name);
                const double f0 = it == start_fraction.end() ? 0.0 : it->second;
                // a point that ended early (early stop, divergence, failure) is done with all
                // the same; only an interrupted one has just the work it did
                finished_work += rc == 75 ? std::max(0.0, fraction_now[name] - f0) : 1 - f0;
            }
            if (rc == 0 || rc == 3) ++done;  // 3: diverged, a result all the same
            else if (rc == 75) ++stopped;
            else {
                ++failed;
                failures.push_back(name + " (exit " + std::to_string(rc) + "; log: " + log + ")");
            }
            refresh_page(false);
            progress(true);
            continue;
        }
        progress(false);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (tty) std::printf("\n");
    refresh_page(true);
    out.wall = elapsed();
    return out;
}

// Successive halving (generator/halving.hpp): bracket by bracket (one, unless Hyperband's
// `brackets`), the bracket's rungs in order, each a round of training to its steps
// (paused there with --until, but for the last), ranked by the spec's selection rule, the
// best 1/eta (configurations, with a run axis) promoted. Run again, it picks up where it
// was: a point paused at a rung's steps is not trained again for it, and the ranking is
// read anew from the points' metrics.csv, so it is the same.
int run_halving(const study_dir& s, std::size_t jobs, std::size_t threads, unsigned cores) {
    const std::string& dir = s.path;
    std::vector<rung_record> history;
    std::size_t steps_trained = 0;  // what the rungs ask for, whether trained now or before
    int failed = 0;
    for (std::size_t b = 0; b < s.brackets; ++b) {
        std::vector<point_row> survivors = s.bracket_points(b);
        std::vector<long> steps_of;
        std::vector<std::size_t> points_of;
        for (std::size_t r = b; r < s.rungs.size() && !survivors.empty(); ++r) {
            const long steps = s.rungs[r];
            const bool last = r + 1 == s.rungs.size();
            std::vector<point_row> todo;
            for (const auto& p : survivors) {
                const point_state st = read_point_state(dir, p);
                const bool there = st.finished() || (st.status == "paused" && st.steps >= steps);
                if (!there) todo.push_back(p);
            }
            steps_of.push_back(steps);
            points_of.push_back(survivors.size());
            const std::string label = rung_label(s, b, r);
            std::printf("[hpsgen run] %s: %zu point%s to %ld steps (%zu there before)\n", label.c_str(),
                        survivors.size(), survivors.size() == 1 ? "" : "s", steps, survivors.size() - todo.size());
            std::fflush(stdout);
            if (!todo.empty()) {
                const round_shape shape = shape_round(cores, todo.size(), s.ranks, jobs, threads);
                std::printf("[hpsgen run] %s: %zu at a time, %zu thread%s each%s\n", label.c_str(), shape.jobs,
                            shape.threads, shape.threads == 1 ? "" : "s",
                            s.ranks > 1 ? (" in each of " + std::to_string(s.ranks) + " ranks (mpirun)").c_str() : "");
                std::fflush(stdout);
                std::vector<std::string> extra;
                if (!last) extra = {"--until", std::to_string(steps)};
                const round_outcome o = train_points(dir, todo, shape.jobs, shape.threads, extra, s.ranks);
                failed += o.failed;
                for (const auto& f : o.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
                if (interrupted || o.stopped > 0) {
                    std::printf("interrupted in %s: run `hpsgen run %s` again to go on\n", label.c_str(), dir.c_str());
                    return 130;
                }
            }
            history.push_back(rank_rung(s, survivors, b, r));
            write_halving_state(s, history);
            const rung_record& rr = history.back();
            std::string line;
            std::size_t shown = 0;
            for (const auto& p : rr.points) {
                if (!p.reached || shown == 5) continue;
                char value[32];
                std::snprintf(value, sizeof value, "%.4g", s.grouped ? p.mean : p.value);
                line += (line.empty() ? "" : ", ") + p.name + " " + value + (p.promoted ? " (on)" : "");
                ++shown;
            }
            survivors = promoted_points(s, rr);
            std::printf("[hpsgen run] %s at %ld steps, by %s %s%s: %s%s\n", label.c_str(), steps,
                        s.select_max ? "max" : "min", s.select_metric.c_str(),
                        s.grouped ? " (the mean of a configuration's runs)" : "", line.c_str(),
                        last ? "" : ("; " + std::to_string(survivors.size()) + " go on to " +
                                     std::to_string(s.rungs[r + 1]) + " steps").c_str());
            std::fflush(stdout);
        }
        steps_trained += halving_steps(steps_of, points_of);
    }
    try {  // the page with every rung ranked (each round refreshed it before its ranking)
        write_report_html(dir, (fs::path(dir) / "report.html").string());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen run: report.html not refreshed: %s\n", e.what());
    }
    const std::size_t full = s.points.size() * std::size_t(s.rungs.back());
    std::printf("[hpsgen run] halving done: %zu steps asked of %zu points, %.0f %% of training every point to "
                "%ld steps%s\n",
                steps_trained, s.points.size(), 100.0 * double(steps_trained) / double(std::max<std::size_t>(1, full)),
                s.rungs.back(), failed ? "; some points failed" : "");
    if (const auto win = winner_of(s, history)) {
        std::string names;
        for (const auto& n : win->names) names += (names.empty() ? "" : ", ") + n;
        char value[32];
        std::snprintf(value, sizeof value, "%.4g", win->value);
        std::printf("[hpsgen run] the winner%s: %s, %s%s %s at %ld steps\n",
                    s.brackets > 1 ? (" (of " + std::to_string(s.brackets) + " brackets, from bracket " +
                                      std::to_string(win->bracket + 1) + ")").c_str() : "",
                    names.c_str(), s.grouped ? "mean " : "", s.select_metric.c_str(), value, s.rungs.back());
    }
    std::printf("next: hpsgen report %s (the page so far: %s/report.html)\n", dir.c_str(), dir.c_str());
    return failed ? 1 : 0;
}

}  // namespace

int run(const args& a) {
    std::string dir;
    std::optional<std::string> point_list;
    std::size_t jobs = 0, threads = 0, steps = 0, checkpoints = 0;
    bool build_only = false, no_build = false, no_data_check = false;
    std::size_t print_launcher = 0;
    arg_parser p("run",
                 "Builds the trainers of the study folder DIR (cmake, in DIR/build) and trains every\n"
                 "point that has not finished, N at a time, sharing the machine's cores between them.\n"
                 "Each point trains into DIR/results/<identity>/ (DIR/runs/<point> links to it), its\n"
                 "trainer's output in train.log there. Interrupted (Ctrl-C, kill),\n"
                 "the running trainers save a checkpoint; the next `hpsgen run` resumes them.\n"
                 "DIR/report.html (hpsgen report) is refreshed as points finish, every 10 s at most,\n"
                 "and at the end. A study with `ranks N` (slurm block) trains each point as N MPI\n"
                 "processes: mpirun -n N, --threads threads each (docs/slurm.md).");
    p.positional("DIR", "the study folder (hpsgen generate)", dir, false);
    p.count("jobs", "N",
            "trainers side by side (default: one per core, at most the points\n"
            "left; a point of `ranks N` takes N cores)",
            jobs, 'j');
    p.count("threads", "T",
            "threads per trainer, per rank with `ranks N` (default: cores / (jobs x N),\n"
            "at least 1); for a grid, one single-threaded trainer per core trains the most\n"
            "models per hour",
            threads);
    p.count("steps", "N", "train each point N steps instead of the spec's (a quick look)", steps);
    p.count("checkpoints", "N", "evaluate N times instead of the spec's", checkpoints);
    p.option("points", "LIST",
             "only these points: names, ids or id ranges, e.g. model-3,5,10-12\n"
             "(build and train; the others are left as they are)",
             point_list);
    p.flag("build-only", 0, "build, do not train", build_only);
    p.flag("no-build", 0, "train with the trainers already built", no_build);
    data_check_flag(p, no_data_check);
    p.count("print-launcher", "N",
            "print the command that starts a point of `ranks N` (mpirun and its options,\n"
            "one argument a line; the trainer and its options follow it) and exit; no DIR",
            print_launcher);
    p.epilog("examples:\n  hpsgen run out/cyplam\n  hpsgen run out/cyplam --points model-3 --steps 100\n\n"
             "next: hpsgen report DIR");
    if (auto status = p.parse(a)) return *status;
    if (print_launcher > 0) {
        if (!dir.empty()) return p.usage_error(std::cerr, "--print-launcher takes no study folder");
        for (const std::string& arg : mpi_launcher(int(print_launcher))) std::printf("%s\n", arg.c_str());
        return 0;
    }
    if (dir.empty()) return p.usage_error(std::cerr, "missing DIR, the study folder (hpsgen generate writes it)");
    const bool some_points = point_list.has_value();
    study_dir s;
    try {
        s = load_study_dir(dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen run: %s\n", e.what());
        return 1;
    }
    if (!s.rungs.empty() && (some_points || steps || checkpoints)) {
        std::fprintf(stderr, "hpsgen run: %s is a halving study: its rungs choose the points and their steps, so "
                             "--points, --steps and --checkpoints do not apply (remove halving from the search "
                             "block to train chosen points)\n", dir.c_str());
        return 2;
    }
    std::vector<point_row> points = s.points;
    if (some_points) {
        try {
            points = select_points(s, *point_list);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "hpsgen run: %s\n", e.what());
            return 2;
        }
    }
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

    // the data, before any build: a trainer that cannot use it would stop at start
    const bool unfinished =
        std::any_of(points.begin(), points.end(), [&](const point_row& pt) { return !read_point_state(dir, pt).finished(); });
    if (!no_data_check && unfinished && !check_study_data(dir, points.front().name, "hpsgen run", std::cerr)) return 1;

    if (!no_build) {
        build_request r;
        r.dir = dir;
        std::set<std::string> trainers;  // one binary per network, shared by its points
        for (const auto& p : points) trainers.insert(p.trainer);
        r.trainers = trainers.size();
        r.jobs = cores;
        if (some_points) r.targets.assign(trainers.begin(), trainers.end());
        if (!build_trainers(r)) return 1;
    }
    if (build_only) return 0;
    if (!s.rungs.empty()) return run_halving(s, jobs, threads, cores);

    // a point is finished when its run folder holds a result of this run's kind: the
    // spec's settings, or the same --steps and --checkpoints (the trainer keeps any
    // other aside and trains again)
    train_detail::options asked;
    asked.steps = steps ? long(steps) : -1;
    asked.checkpoints = checkpoints ? int(checkpoints) : -1;
    const std::string overrides = train_detail::overrides_text(asked);
    std::vector<point_row> todo;
    int already = 0;
    for (const auto& p : points) {
        auto st = read_point_state(dir, p);
        if (st.finished() && st.overrides == overrides) ++already;
        else todo.push_back(p);
    }
    if (todo.empty()) {
        std::printf(some_points ? "the %zu point(s) chosen have finished; see hpsgen report %s\n"
                                : "all %zu points have finished; see hpsgen report %s\n",
                    points.size(), dir.c_str());
        return 0;
    }
    // `ranks`: each point is that many processes, each with `threads` threads
    const std::size_t ranks = std::size_t(std::max(1, s.ranks));
    const round_shape shape = shape_round(cores, todo.size(), s.ranks, jobs, threads);
    jobs = shape.jobs;
    threads = shape.threads;
    std::printf("training %zu point%s (%d finished before), %zu at a time, %zu thread%s each%s\n", todo.size(),
                todo.size() == 1 ? "" : "s", already, jobs, threads, threads == 1 ? "" : "s",
                ranks > 1 ? (" in each of " + std::to_string(ranks) + " ranks (mpirun)").c_str() : "");
    std::fflush(stdout);

    std::vector<std::string> extra;
    if (steps > 0) extra.insert(extra.end(), {"--steps", std::to_string(steps)});
    if (checkpoints > 0) extra.insert(extra.end(), {"--checkpoints", std::to_string(checkpoints)});
    const round_outcome r = train_points(dir, todo, jobs, threads, extra, int(ranks));
    const int done = r.done, failed = r.failed, stopped = r.stopped;
    const double wall = r.wall;
    const auto& failures = r.failures;
    std::printf("[hpsgen run] %d done, %d failed, %d interrupted, in %s", done, failed, stopped, duration(wall).c_str());
    if (done > 0 && wall > 0) std::printf(" (%.1f models per hour)", 3600.0 * done / wall);
    std::printf("\n");
    for (const auto& f : failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
    if (interrupted) {
        std::printf("interrupted: run `hpsgen run %s` again to resume\n", dir.c_str());
        return 130;
    }
    if (done > 0) std::printf("next: hpsgen report %s (the page so far: %s/report.html)\n", dir.c_str(), dir.c_str());
    return failed ? 1 : 0;
}

}  // namespace hps::cli
