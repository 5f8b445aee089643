#include "generator/build.hpp"

#include "generator/process.hpp"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>

#include <unistd.h>

namespace hps {

namespace fs = std::filesystem;

int run_logged(const std::vector<std::string>& argv, const std::string& log, const char* what,
               const std::string& who) {
    std::FILE* out = std::fopen(log.c_str(), "a");
    const bool tty = ::isatty(1);
    int last_percent = -1;
    std::string line;  // make's output, one line at a time: "[ 42%] Building ..."
    auto show_progress = [&] {
        if (line[0] == '[' && line.find('%') != std::string::npos) {
            int percent = std::atoi(line.c_str() + 1);
            if (percent != last_percent && (tty || percent / 25 != last_percent / 25)) {
                std::printf(tty ? "\r%s: %3d%%" : "%s: %d%%\n", what, percent);
                std::fflush(stdout);
                last_percent = percent;
            }
        }
        line.clear();
    };
    process::options o;
    o.argv = argv;
    o.out = process::output::pipe;
    o.err = process::output::merge;
    o.start_error = who + ": cannot start " + argv[0];
    auto r = process::run(o, [&](int, std::string_view bytes) {
        if (out) std::fwrite(bytes.data(), 1, bytes.size(), out);
        for (char c : bytes) {
            line += c;
            if (c == '\n') show_progress();
        }
    });
    if (!line.empty()) show_progress();
    if (r.rc < 0 && out) std::fprintf(out, "%s: cannot start %s: %s\n", who.c_str(), argv[0].c_str(), r.err.c_str());
    if (out) std::fclose(out);
    if (tty && last_percent >= 0) std::printf("\n");
    return r.rc;
}

void print_tail(const std::string& path, int lines) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return;
    std::deque<std::string> tail;
    char line[4096];
    while (std::fgets(line, sizeof line, f)) {
        tail.push_back(line);
        if (int(tail.size()) > lines) tail.pop_front();
    }
    std::fclose(f);
    for (const auto& l : tail) std::fputs(l.c_str(), stderr);
}

bool build_trainers(const build_request& r) {
    const std::string build = r.dir + "/build";
    std::error_code ec;
    fs::create_directories(build, ec);
    if (ec) {
        std::fprintf(stderr, "%s: cannot create %s: %s\n", r.command.c_str(), build.c_str(), ec.message().c_str());
        return false;
    }
    const std::string log = build + "/build.log";
    std::remove(log.c_str());
    std::printf("building %zu trainer%s in %s (log: %s)\n", r.trainers, r.trainers == 1 ? "" : "s", build.c_str(),
                log.c_str());
    std::fflush(stdout);
    int rc = 0;
    if (!fs::exists(build + "/CMakeCache.txt")) {
        std::vector<std::string> configure = {"cmake", "-S", r.dir, "-B", build, "-DCMAKE_BUILD_TYPE=Release"};
        configure.insert(configure.end(), r.configure_args.begin(), r.configure_args.end());
        rc = run_logged(configure, log, "configure", r.command);
    }
    std::vector<std::string> command = {"cmake", "--build", build, "-j", std::to_string(r.jobs)};
    if (!r.targets.empty()) {
        command.push_back("--target");
        command.insert(command.end(), r.targets.begin(), r.targets.end());
    }
    if (rc == 0) rc = run_logged(command, log, "build", r.command);
    if (rc != 0) {
        std::fprintf(stderr, "%s: the build failed; the end of %s:\n", r.command.c_str(), log.c_str());
        print_tail(log, 30);
        if (rc == 127)
            std::fprintf(stderr, "%s: cmake was not found: install cmake (scripts/install-deps.sh)\n", r.command.c_str());
        return false;
    }
    return true;
}

}  // namespace hps
