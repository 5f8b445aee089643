#include "generator/calibrate.hpp"

#include "generator/process.hpp"

#include <hps/io.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

namespace hps {

namespace fs = std::filesystem;

namespace {

const char* const header = "trainer\tthreads\tbatch\tstep_s\teval_batch_s\tbinary";

fs::path cache_path(const std::string& dir) { return fs::path(dir) / "build" / "calibration.tsv"; }
fs::path binary_path(const std::string& dir, const std::string& trainer) { return fs::path(dir) / "build" / "bin" / trainer; }

// "<size>:<mtime ns>" of a file, "" when it is not there
std::string stamp_of(const fs::path& p) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return "";
    const auto time = fs::last_write_time(p, ec);
    if (ec) return "";
    return std::to_string(size) + ":" +
           std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}

// every row of the cache, stale or not
calibrations read_all(const std::string& dir) {
    calibrations out;
    std::ifstream in(cache_path(dir));
    std::string line;
    if (!std::getline(in, line) || line != header) return out;  // none, or another layout: measure again
    while (std::getline(in, line)) {
        std::istringstream cells(line);
        std::string trainer;
        calibration c;
        if (cells >> trainer >> c.threads >> c.batch >> c.step_seconds >> c.eval_batch_seconds >> c.stamp)
            out[trainer] = c;
    }
    return out;
}

void write_all(const std::string& dir, const calibrations& all) {
    std::string text = std::string(header) + "\n";
    for (const auto& [trainer, c] : all)
        text += trainer + "\t" + std::to_string(c.threads) + "\t" + std::to_string(c.batch) + "\t" +
                format_number(c.step_seconds) + "\t" + format_number(c.eval_batch_seconds) + "\t" + c.stamp + "\n";
    write_file_atomic(cache_path(dir).string(), text);
}

}  // namespace

bool parse_calibration_line(const std::string& text, calibration& out) {
    const auto at = text.find("calibration ");
    if (at == std::string::npos) return false;
    std::istringstream words(text.substr(at + 12, text.find('\n', at) - at - 12));
    std::string w;
    bool step = false, eval = false;
    while (words >> w) {
        const auto eq = w.find('=');
        if (eq == std::string::npos) continue;
        const std::string k = w.substr(0, eq);
        const double v = std::atof(w.c_str() + eq + 1);
        if (k == "threads") out.threads = int(v);
        else if (k == "batch") out.batch = int(v);
        else if (k == "step_s") out.step_seconds = v, step = v > 0;
        else if (k == "eval_batch_s") out.eval_batch_seconds = v, eval = v > 0;
    }
    return step && eval && out.threads > 0 && out.batch > 0;
}

calibrations read_calibrations(const std::string& dir) {
    calibrations out;
    for (const auto& [trainer, c] : read_all(dir))
        if (c.stamp == stamp_of(binary_path(dir, trainer))) out[trainer] = c;
    return out;
}

calibrations calibrate_trainers(const std::string& dir, const std::map<std::string, std::string>& trainers, int threads,
                                std::ostream& log) {
    calibrations all = read_all(dir), known = read_calibrations(dir);
    std::vector<std::pair<std::string, std::string>> todo;
    for (const auto& [trainer, settings] : trainers)
        if (!known.count(trainer) && !stamp_of(binary_path(dir, trainer)).empty()) todo.emplace_back(trainer, settings);
    if (todo.empty()) return known;
    log << "calibrating " << todo.size() << " trainer" << (todo.size() == 1 ? "" : "s") << " (" << threads
        << (threads == 1 ? " thread" : " threads") << ", about a second each; " << cache_path(dir).string() << ")\n";
    bool changed = false;
    for (const auto& [trainer, settings] : todo) {
        process::options o;
        o.argv = {(fs::path("build") / "bin" / trainer).string(), "--settings", settings, "--calibrate", "--threads",
                  std::to_string(threads)};
        o.dir = dir;
        o.out = process::output::pipe;
        o.err = process::output::merge;
        o.null_stdin = true;
        // libgomp's own default, as under Slurm (and no restart to bound it: hps/train/cli.hpp)
        o.env = {{"GOMP_SPINCOUNT", "300000"}};
        const auto r = process::run(o);
        calibration c;
        if (r.rc != 0 || !parse_calibration_line(r.out, c)) {
            log << "  " << trainer << ": not calibrated (exit " << r.rc << "): " << r.out.substr(0, 300)
                << (r.out.empty() ? "" : "\n") << "  its points' time stays an estimate\n";
            continue;
        }
        c.stamp = stamp_of(binary_path(dir, trainer));
        all[trainer] = known[trainer] = c;
        changed = true;
    }
    if (changed) {
        try {
            write_all(dir, all);
        } catch (const std::exception& e) {
            log << "  cannot save the calibrations (" << e.what() << "); they are used for this submission only\n";
        }
    }
    return known;
}

}  // namespace hps
