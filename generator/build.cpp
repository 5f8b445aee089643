#include "generator/build.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>

#include <sys/wait.h>
#include <unistd.h>

namespace hps {

namespace fs = std::filesystem;

int run_logged(const std::string& command, const std::string& log, const char* what) {
    std::string full = command + " 2>&1";
    std::fflush(stdout);
    std::FILE* pipe = ::popen(full.c_str(), "r");
    if (!pipe) return -1;
    std::FILE* out = std::fopen(log.c_str(), "a");
    const bool tty = ::isatty(1);
    char line[4096];
    int last_percent = -1;
    while (std::fgets(line, sizeof line, pipe)) {
        if (out) std::fputs(line, out);
        if (line[0] == '[' && std::strchr(line, '%')) {
            int percent = std::atoi(line + 1);
            if (percent != last_percent && (tty || percent / 25 != last_percent / 25)) {
                std::printf(tty ? "\r%s: %3d%%" : "%s: %d%%\n", what, percent);
                std::fflush(stdout);
                last_percent = percent;
            }
        }
    }
    if (out) std::fclose(out);
    int status = ::pclose(pipe);
    if (tty && last_percent >= 0) std::printf("\n");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
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

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
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
        std::string configure = "cmake -S " + shell_quote(r.dir) + " -B " + shell_quote(build) + " -DCMAKE_BUILD_TYPE=Release";
        for (const auto& a : r.configure_args) {
            configure += ' ';
            configure += shell_quote(a);
        }
        rc = run_logged(configure, log, "configure");
    }
    std::string command = "cmake --build " + shell_quote(build) + " -j " + std::to_string(r.jobs);
    if (!r.targets.empty()) {
        command += " --target";
        for (const auto& t : r.targets) command += " " + shell_quote(t);
    }
    if (rc == 0) rc = run_logged(command, log, "build");
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
