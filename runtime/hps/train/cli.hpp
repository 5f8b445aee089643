// The trainer's command line and console: its options, --help text and parsing; the
// stop signals (SIGTERM, SIGINT, SIGUSR1) it answers by saving resume.bin; how many
// threads it uses and how their OpenMP team waits; its "[point] ..." progress lines.
// train_main (hps/train.hpp) reads the command line with these; the trainer class
// (hps/train/trainer.hpp) reads stop_signal and prints with say.
#pragma once

#include "hps/config.hpp"
#include "hps/io.hpp"

#include <cmath>
#include <cstdarg>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <unistd.h>

namespace hps::train_detail {

// ------------------------------------------------------------------ command line
struct options {
    std::string settings;  // a point's settings file (a study's trainer: required)
    std::string run_dir;  // default results/<identity> (settings), else runs/<point>
    std::string train, validation, test;  // override the config's paths
    int threads = 0;  // 0: SLURM_CPUS_PER_TASK, else every core
    long steps = -1;  // override (short runs, tests)
    int checkpoints = -1;
    long until = -1;  // pause at this step (a halving rung's end): resume.bin and a "paused" result
    double progress_seconds = -1;  // -1: 10 s on a terminal, 60 s otherwise
    double checkpoint_every = -1;  // seconds between saves of resume.bin; -1: the config's, 0: none
    std::string precision;  // "fp32" or "bf16": override the config's; empty: the config's
    bool quiet = false, fresh = false, help = false;
    bool calibrate = false;  // time a few steps on a made-up batch (hps/train/calibrate.hpp); train nothing
    // ranks: the gradient exchange overlaps the backward pass, in buckets of at least this
    // many bytes of gradients (hps/train/ranks.hpp); false: one exchange after it. Either
    // gives the same result bit for bit, so neither is an override of the run's.
    bool overlap = true;
    double exchange_bucket = 256 * 1024;
};

// The --help of a trainer: `c` null for a study's trainer, which trains the point its
// --settings file names; a hand-written trainer's own config otherwise.
inline void print_help(const train_config* c, const char* argv0) {
    const std::string what = c ? c->point + " of study " + c->study : std::string("the point its --settings file names");
    const std::string usage = c ? "[options]" : "--settings settings/POINT.json [options]";
    const std::string run_dir = c ? "runs/" + c->point : std::string("results/<the point's identity>");
    const std::string every =
        c ? format_number(c->checkpoint_every) : std::string("the settings file's checkpoint_every, 600 unless the spec says");
    std::printf(
        "usage: %s %s\n\n"
        "Trains %s and writes its results under the run\n"
        "folder: metrics.csv, result.json, best.npz (PyTorch state_dict), model.py.\n"
        "Run it from the study folder (data paths are relative to it). Started again after\n"
        "an interruption it resumes; a finished run is not trained again.\n\n"
        "options:\n"
        "%s"
        "  --run-dir DIR       where results go (default %s)\n"
        "  --threads N         threads (default: $SLURM_CPUS_PER_TASK, else every core)\n"
        "  --train PATH        training data instead of the spec's (also --validation, --test)\n"
        "  --steps N           train N steps instead of the spec's (short runs)\n"
        "  --checkpoints N     evaluate N times instead of the spec's\n"
        "  --until STEP        pause at STEP: save resume.bin and a result marked paused\n"
        "                      (hpsgen run's successive halving); run again to go on\n"
        "  --progress SECONDS  progress line interval (default 10 on a terminal, else 60)\n"
        "  --checkpoint-every SECONDS\n"
        "                      save resume.bin every SECONDS of training, at a step's end,\n"
        "                      so that a kill without warning (SIGKILL, out of memory)\n"
        "                      loses at most that much; 0: only on a stop signal\n"
        "                      (default: %s)\n"
        "  --calibrate         time a few training steps and evaluation batches on a made-up\n"
        "                      batch, print them on one line and exit (hpsgen submit's time\n"
        "                      per point); reads no data, writes nothing\n"
        "  --precision P       the conv and dense products in fp32 or bf16 (mixed precision:\n"
        "                      bf16 inputs, fp32 sums; needs AVX512_BF16), whatever the\n"
        "                      settings file says (the spec's `precision`)\n"
        "  --exchange MODE     with ranks: overlap (default) exchanges each bucket of layers'\n"
        "                      gradients while the layers below compute their backward pass;\n"
        "                      blocking exchanges them all after it. The same result, bit for bit\n"
        "  --exchange-bucket BYTES\n"
        "                      the least gradients' size of an overlapped exchange's bucket of\n"
        "                      consecutive layers (default 262144); 0: one bucket per layer\n"
        "  --quiet             no progress lines, only errors and the final line\n"
        "  --fresh             start over: the old run folder is kept as DIR.old-N\n"
        "  -h, --help          this text\n\n"
        "With more than one thread, outside Slurm and unless OMP_WAIT_POLICY or GOMP_SPINCOUNT\n"
        "is set, the trainer restarts itself with GOMP_SPINCOUNT=30000: waiting threads spin\n"
        "briefly, then sleep, instead of holding cores that other work may need.\n\n"
        "A point with `ranks N` (the spec's slurm block) trains as N MPI processes, each on\n"
        "batch/N samples: start it with mpirun -n N or srun --ntasks=N (hpsgen run and\n"
        "submit.sbatch do); rank 0 writes every file; stop it with SIGUSR1 to mpirun.\n\n"
        "exit status: 0 done, 2 bad command line, 3 diverged (NaN/Inf loss), 4 bad data,\n"
        "5 cannot write, 6 run folder in use, 75 interrupted (resumable); 0 also when paused (--until)\n",
        argv0, usage.c_str(), what.c_str(),
        c ? "" : "  --settings FILE     the point's settings (written by hpsgen generate: settings/POINT.json)\n",
        run_dir.c_str(), every.c_str());
}

inline bool parse_number(const char* text, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0';
}

// Returns an error message, or "" when the command line is fine.
inline std::string parse_options(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)name;
            return argv[++i];
        };
        auto need = [&](const char* v) { return v ? std::string() : "option " + a + " needs a value"; };
        double num = 0;
        if (a == "-h" || a == "--help") o.help = true;
        else if (a == "--quiet") o.quiet = true;
        else if (a == "--fresh") o.fresh = true;
        else if (a == "--calibrate") o.calibrate = true;
        else if (a == "--settings" || a == "--run-dir" || a == "--train" || a == "--validation" || a == "--test") {
            const char* v = value(a.c_str());
            if (!v) return need(v);
            (a == "--settings"   ? o.settings
             : a == "--run-dir"  ? o.run_dir
             : a == "--train"    ? o.train
             : a == "--validation" ? o.validation
                                 : o.test) = v;
        } else if (a == "--precision") {
            const char* v = value(a.c_str());
            if (!v) return need(v);
            if (std::string(v) != "fp32" && std::string(v) != "bf16")
                return "option --precision needs fp32 or bf16, not '" + std::string(v) + "'";
            o.precision = v;
        } else if (a == "--exchange") {
            const char* v = value(a.c_str());
            if (!v) return need(v);
            if (std::string(v) != "overlap" && std::string(v) != "blocking")
                return "option --exchange needs overlap or blocking, not '" + std::string(v) + "'";
            o.overlap = std::string(v) == "overlap";
        } else if (a == "--exchange-bucket") {
            const char* v = value(a.c_str());
            if (!v) return need(v);
            if (!parse_number(v, num) || !(num >= 0) || num > 1e15 || num != double(long(num)))
                return "option --exchange-bucket needs a whole number of bytes (0: one bucket per layer), not '" +
                       std::string(v) + "'";
            o.exchange_bucket = num;
        } else if (a == "--threads" || a == "--steps" || a == "--checkpoints" || a == "--progress" ||
                   a == "--checkpoint-every" || a == "--until") {
            const char* v = value(a.c_str());
            if (!v) return need(v);
            const bool seconds = a == "--progress" || a == "--checkpoint-every";
            if (!parse_number(v, num) || !(num >= (seconds ? 0 : 1)) || !std::isfinite(num) ||
                (!seconds && num != double(long(num))))
                return "option " + a + " needs a " + (seconds ? "number of seconds" : "positive whole number") +
                       ", not '" + v + "'";
            if (a == "--threads") o.threads = int(num);
            else if (a == "--steps") o.steps = long(num);
            else if (a == "--checkpoints") o.checkpoints = int(num);
            else if (a == "--until") o.until = long(num);
            else if (a == "--progress") o.progress_seconds = num;
            else o.checkpoint_every = num;
        } else {
            return "unknown option '" + a + "' (see --help)";
        }
    }
    return "";
}

// ------------------------------------------------------------------ signals
inline volatile std::sig_atomic_t stop_signal = 0;
extern "C" inline void on_stop_signal(int sig) { stop_signal = sig; }

inline void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    // past a file size limit (ulimit -f) a write fails with EFBIG, reported like a full
    // disk, instead of SIGXFSZ killing the trainer without a word
    std::signal(SIGXFSZ, SIG_IGN);
}

// ------------------------------------------------------------------ threads
inline int choose_threads(int flag) {
    if (flag > 0) return flag;
    if (const char* s = std::getenv("SLURM_CPUS_PER_TASK")) {
        int n = std::atoi(s);
        if (n > 0) return n;
    }
    unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? int(n) : 1;
}

// How long OpenMP threads spin while they wait for the rest of their team. libgomp's
// default (300,000 spins, then sleep) keeps a core busy long after a step's parallel
// region: on a machine shared with other work a trainer with --threads 2 ran many times
// slower than with one (the peak finder's LSTM, 300 steps, with two busy loops beside it:
// 28.7 s, against 2.4 s on one thread). Sleeping at once (OMP_WAIT_POLICY=PASSIVE) costs
// a wake-up per region, which doubles the LSTM's time on an idle machine (2.06 s against
// 0.93 s). A bounded spin of 30,000 is as fast as the default when idle (0.95 s) and the
// fastest when busy (1.90 s; 10,000 to 100,000 all gave about the same). libgomp reads
// GOMP_SPINCOUNT once, when it is loaded, so a trainer started outside Slurm with more
// than one thread and no setting of the user's (OMP_WAIT_POLICY or GOMP_SPINCOUNT)
// starts itself again with GOMP_SPINCOUNT=30000; `hpsgen run` starts trainers so too.
// Under Slurm a task's cores are its own, and libgomp's default stays.
// Returns only when no restart is wanted or the exec failed (no /proc: the default stays).
inline constexpr const char* bounded_spin = "30000";

inline void bound_omp_spinning(int threads, char** argv) {
#if defined(_OPENMP) && defined(__linux__)
    if (threads <= 1 || std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT") ||
        std::getenv("SLURM_JOB_ID"))
        return;
    ::setenv("GOMP_SPINCOUNT", bounded_spin, 1);
    ::execv("/proc/self/exe", argv);
    ::unsetenv("GOMP_SPINCOUNT");  // still this process: its OpenMP keeps the default
#else
    (void)threads;
    (void)argv;
#endif
}

// How this process's OpenMP threads wait, for result.json: the user's OMP_WAIT_POLICY,
// else GOMP_SPINCOUNT=N, else "default".
inline std::string omp_wait_setting() {
    if (const char* p = std::getenv("OMP_WAIT_POLICY")) return p;
    if (const char* n = std::getenv("GOMP_SPINCOUNT")) return std::string("GOMP_SPINCOUNT=") + n;
    return "default";
}

// ------------------------------------------------------------------ console
// One progress line on stdout, "[point] text", flushed at once (a log file under Slurm).
inline void vsay(const std::string& point, const char* fmt, va_list args) {
    std::printf("[%s] ", point.c_str());
    std::vprintf(fmt, args);
    std::printf("\n");
    std::fflush(stdout);
}

__attribute__((format(printf, 2, 3))) inline void say(const std::string& point, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsay(point, fmt, args);
    va_end(args);
}

// "42s", "3m07s", "2h05m": elapsed time and ETA in progress lines.
inline std::string duration_text(double seconds) {
    if (!(seconds >= 0) || seconds > 1e9) return "?";
    long s = long(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

// "0 B", "512 B", "83.2 kB", "1.5 MB", "12.0 GB" (powers of 1000): data in memory.
inline std::string size_text(double bytes) {
    char buf[32];
    if (bytes < 1e3) std::snprintf(buf, sizeof buf, "%.0f B", bytes);
    else if (bytes < 1e6) std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
    else if (bytes < 1e9) std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
    else std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
    return buf;
}

}  // namespace hps::train_detail
