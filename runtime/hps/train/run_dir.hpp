// The run folder of a trainer (runs/<point> unless --run-dir): creating it, moving an
// old one aside under --fresh, locking it against a second trainer of the same point
// (its .lock file, flock), and telling from its result.json whether this configuration
// finished there before; the small file readers that takes. The files the trainer
// writes there are hps/train/results.hpp's and hps/train/trainer.hpp's.
#pragma once

#include "hps/io.hpp"
#include "hps/train/cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace hps::train_detail {

// The value of "key": "value" in a small JSON file we wrote ourselves, or "".
inline std::string json_field(const std::string& text, const std::string& key) {
    auto at = text.find("\"" + key + "\": \"");
    if (at == std::string::npos) return "";
    at += key.size() + 5;
    auto end = text.find('"', at);
    return end == std::string::npos ? "" : text.substr(at, end - at);
}

inline std::string read_text(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return "";
    std::string out;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
}

// Creates run_dir, after moving an old one aside to run_dir.old-N under --fresh, and
// locks it for this process, removing what a killed trainer's unfinished writes left:
// returns the descriptor of its .lock, held until the process ends. Throws
// std::runtime_error("run folder in use") when another trainer holds the lock, io_error
// when the folder or its lock cannot be made.
inline int lock_run_dir(const std::string& run_dir, bool fresh, const std::string& point) {
    std::error_code ec;
    if (fresh && std::filesystem::exists(run_dir)) {
        for (int k = 1;; ++k) {
            std::string old = run_dir + ".old-" + std::to_string(k);
            if (!std::filesystem::exists(old)) {
                std::filesystem::rename(run_dir, old, ec);
                if (ec) throw io_error(run_dir + ": cannot move the old run aside (" + ec.message() + ")");
                say(point, "the previous run is kept as %s", old.c_str());
                break;
            }
        }
    }
    std::filesystem::create_directories(run_dir, ec);
    if (ec) throw io_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
    const std::string lock = run_dir + "/.lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error(lock + ": cannot create (" + std::strerror(errno) + ")");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) throw std::runtime_error("run folder in use");
    // what a trainer killed while writing a file left (NAME.tmp.PID, hps/io.hpp's
    // atomic_file; the file itself is whole, its last version): nobody else writes here
    // while this process holds the lock
    for (const auto& entry : std::filesystem::directory_iterator(run_dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto at = name.rfind(".tmp.");
        if (at != std::string::npos && at + 5 < name.size() &&
            name.find_first_not_of("0123456789", at + 5) == std::string::npos)
            std::filesystem::remove(entry.path(), ec);
    }
    return fd;
}

// Whether run_dir holds a finished run (done, early_stopped, diverged) of this
// configuration: then there is nothing to do, and it says so. A failed run is tried
// again; the result of another configuration (the study regenerated) is an io_error.
inline bool finished_before(const std::string& run_dir, const std::string& identity, const std::string& point) {
    std::string text = read_text(run_dir + "/result.json");
    if (text.empty()) return false;
    std::string id = json_field(text, "identity");
    std::string status = json_field(text, "status");
    if (id != identity) {
        throw io_error(run_dir + " holds the result of another configuration (identity " + id + ", this point " +
                       identity + "). Start over with --fresh (the old run is kept as " + run_dir +
                       ".old-N) or use another --run-dir");
    }
    if (status == "done" || status == "early_stopped" || status == "diverged") {
        say(point, "already finished (%s); nothing to do. Use --fresh to train again.", status.c_str());
        return true;
    }
    return false;  // failed before: try again
}

// What the command line changes of a point's configuration: "steps=30,checkpoints=4,
// train=PATH"; "" when nothing.
inline std::string overrides_text(const options& o) {
    std::string out;
    auto add = [&](const std::string& item) { out += (out.empty() ? "" : ",") + item; };
    if (o.steps > 0) add("steps=" + std::to_string(o.steps));
    if (o.checkpoints > 0) add("checkpoints=" + std::to_string(o.checkpoints));
    if (!o.train.empty()) add("train=" + o.train);
    if (!o.validation.empty()) add("validation=" + o.validation);
    if (!o.test.empty()) add("test=" + o.test);
    if (!o.precision.empty()) add("precision=" + o.precision);
    return out;
}

// Whether run_dir holds a finished run of this configuration made with other overrides
// than this run's (a quick look with --steps, then the spec's length): it is not this
// run's result, and is kept aside (as under --fresh). Says so.
inline bool other_overrides(const std::string& run_dir, const std::string& identity, const std::string& overrides,
                            const std::string& point) {
    const std::string text = read_text(run_dir + "/result.json");
    if (text.empty() || json_field(text, "identity") != identity) return false;
    const std::string before = json_field(text, "overrides");
    const std::string status = json_field(text, "status");
    if (before == overrides || !(status == "done" || status == "early_stopped" || status == "diverged")) return false;
    say(point, "%s holds a run %s; this one is %s: that run is kept aside", run_dir.c_str(),
        before.empty() ? "of the spec's settings" : ("with " + before).c_str(),
        overrides.empty() ? "of the spec's settings" : ("with " + overrides).c_str());
    return true;
}

}  // namespace hps::train_detail
