// Child processes, the one way hpsgen starts them: cmake for the build (build.cpp), the
// trainers of `hpsgen run` (cmd_run.cpp), and sbatch / squeue / sacct / scontrol (slurm.cpp).
//
// A program is started from an argument vector, never through a shell, in a working
// directory of its own if asked, with variables added to the inherited environment, and
// each of its outputs inherited, captured through a pipe, appended to a file, or (stderr)
// sent where stdout goes:
//
//     process::options o;
//     o.argv = {"cmake", "--build", "build"};
//     o.out = process::output::pipe;
//     o.err = process::output::merge;  // both outputs through one pipe
//     auto r = process::run(o);        // spawn, read the pipe to its end, wait
//
//     auto q = process::capture({"squeue", "-h", "-j", "42"});  // stdout and stderr apart
//     if (q.rc == 0) parse(q.out);
//
// or, for several at a time, spawn() and then try_wait() each child until it has ended.
// Exit statuses are the shell's: the exit code, or 128 + N when signal N killed it; 127
// when the program could not be started (not found, not executable, no such folder).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace hps::process {

enum class output {
    inherit,  // this process's own
    pipe,  // captured: child::out_fd() / err_fd(), or run()'s result
    append,  // appended to options::file (created 0644); when it cannot be opened, inherited
    merge,  // stderr only: wherever stdout goes
};

struct options {
    std::vector<std::string> argv;  // argv[0]: a path, or a program looked up on PATH
    std::string dir;  // the child's working directory (relative paths in argv and `file` start
                      // there); empty: this process's
    std::vector<std::pair<std::string, std::string>> env;  // set in the child, over the inherited ones
    output out = output::inherit, err = output::inherit;
    std::string file;  // output::append
    bool null_stdin = false;  // stdin from /dev/null instead of this process's
    bool own_group = false;  // a process group of its own: a terminal's Ctrl-C reaches only
                             // this process, which decides what to tell the child
    // Written to the child's stderr, followed by ": " and the reason, when the program
    // cannot be started (the child then exits 127); empty: nothing is written.
    std::string start_error;
};

// A started child. Move-only; the destructor closes the pipes but neither waits nor kills.
class child {
public:
    child() = default;
    child(child&& o) noexcept;
    child& operator=(child&& o) noexcept;
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    ~child();

    pid_t pid() const { return pid_; }
    int out_fd() const { return out_fd_; }  // the read end of a captured stdout (and a merged stderr), or -1
    int err_fd() const { return err_fd_; }  // of a captured stderr, or -1

    // Reads the captured outputs until the child closes them, handing each piece as it
    // comes to on_output(1 or 2, bytes); the pipes are closed afterwards.
    void read_all(const std::function<void(int stream, std::string_view bytes)>& on_output);

    bool signal(int sig) const;  // false when it has ended (and been waited for) or kill failed
    std::optional<int> try_wait();  // the exit status once it has ended; never blocks
    int wait();  // blocks until it has ended; the exit status

private:
    friend std::optional<child> spawn(const options& o, std::string& error);
    pid_t pid_ = -1;
    int out_fd_ = -1, err_fd_ = -1;
    std::optional<int> status_;
    void close_pipes();
};

// Starts o.argv. nullopt with `error` set when no process could be made (fork or pipe
// failed); a program that cannot be run still starts a child, which exits 127.
std::optional<child> spawn(const options& o, std::string& error);

// A finished program: its exit status and what it wrote to each captured output.
struct result {
    int rc = -1;  // -1: no process could be made; `err` says why
    std::string out, err;
};

// spawn, read every captured output, wait. The outputs go to on_output as they come
// where one is given (then `out` and `err` stay empty), else into the result.
result run(const options& o, const std::function<void(int stream, std::string_view bytes)>& on_output = {});

// A query: argv run with stdin from /dev/null and stdout and stderr captured apart.
result capture(std::vector<std::string> argv);

// A word for /bin/sh: 'text', with ' escaped.
std::string shell_quote(const std::string& s);

// argv as one line for people (and /bin/sh): words with blanks, quotes or $ quoted.
std::string command_line(const std::vector<std::string>& argv);

// The shell's exit status of a waitpid status: the exit code, or 128 + signal.
int exit_status(int wait_status);

}  // namespace hps::process
