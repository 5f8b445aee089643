// Building a study folder's trainers with CMake: the step `hpsgen run` and `hpsgen submit`
// share. It configures DIR/build once (cmake -S DIR -B DIR/build), then builds every
// trainer (or the ones asked for), appending the whole output to DIR/build/build.log and showing make's
// percentage as progress; on failure it prints the end of the log.
#pragma once

#include <string>
#include <vector>

namespace hps {

struct build_request {
    std::string dir;  // the study folder
    std::size_t trainers = 0;  // how many (for the message)
    unsigned jobs = 1;  // parallel compilations
    std::vector<std::string> configure_args;  // extra -D... for the first configuration
    std::string command = "hpsgen run";  // who asks, for messages ("hpsgen run: the build failed")
    std::vector<std::string> targets;  // only these trainers (their CMake targets); empty: all
};

// True when every trainer is built; otherwise the reason and the log's tail are printed.
bool build_trainers(const build_request& r);

// Runs argv (no shell) with its output and errors appended to `log`; shows make's
// "[ 42%]" as progress on stdout, prefixed by `what`. Returns the exit status (127: not
// found, with "WHO: cannot start cmake: ..." in the log; -1: no process could be made).
int run_logged(const std::vector<std::string>& argv, const std::string& log, const char* what, const std::string& who);

// Prints the last `lines` lines of a file to stderr.
void print_tail(const std::string& path, int lines);

}  // namespace hps
