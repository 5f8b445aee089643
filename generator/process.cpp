#include "generator/process.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hps::process {

int exit_status(int wait_status) {
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string command_line(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& x : argv) {
        if (!line.empty()) line += ' ';
        line += x.find_first_of(" '\"$") == std::string::npos ? x : shell_quote(x);
    }
    return line;
}

// ------------------------------------------------------------------------ child

child::child(child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)),
      err_fd_(std::exchange(o.err_fd_, -1)),
      status_(o.status_) {}

child& child::operator=(child&& o) noexcept {
    if (this != &o) {
        close_pipes();
        pid_ = std::exchange(o.pid_, -1);
        out_fd_ = std::exchange(o.out_fd_, -1);
        err_fd_ = std::exchange(o.err_fd_, -1);
        status_ = o.status_;
    }
    return *this;
}

child::~child() { close_pipes(); }

void child::close_pipes() {
    for (int* fd : {&out_fd_, &err_fd_})
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
}

void child::read_all(const std::function<void(int, std::string_view)>& on_output) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    int open_fds = (out_fd_ >= 0) + (err_fd_ >= 0);
    char buf[4096];
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                on_output(i + 1, std::string_view(buf, std::size_t(n)));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;  // poll skips negative descriptors
                --open_fds;
            }
        }
    }
    close_pipes();
}

bool child::signal(int sig) const { return pid_ > 0 && !status_ && ::kill(pid_, sig) == 0; }

std::optional<int> child::try_wait() {
    if (status_ || pid_ <= 0) return status_;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) status_ = exit_status(st);
    else if (r < 0 && errno == ECHILD) status_ = -1;  // reaped elsewhere: its status is lost
    return status_;
}

int child::wait() {
    if (status_ || pid_ <= 0) return status_.value_or(-1);
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
    }
    status_ = r == pid_ ? exit_status(st) : -1;
    return *status_;
}

// ------------------------------------------------------------------------ spawn

namespace {

// In the child, after fork: only what is safe there (hpsgen starts children from its one thread).
[[noreturn]] void start_failed(const options& o, int code) {
    if (!o.start_error.empty()) {
        std::string line = o.start_error + ": " + std::strerror(code) + "\n";
        ssize_t ignored = ::write(2, line.data(), line.size());
        (void)ignored;
    }
    _exit(127);
}

[[noreturn]] void exec_child(const options& o, int out_pipe, int err_pipe) {
    if (o.own_group) ::setpgid(0, 0);
    if (!o.dir.empty() && ::chdir(o.dir.c_str()) != 0) start_failed(o, errno);
    if (o.null_stdin) {
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
    }
    auto append = [&](int target) {
        int fd = ::open(o.file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) return false;
        ::dup2(fd, target);
        ::close(fd);
        return true;
    };
    bool out_moved = false;
    if (o.out == output::pipe) out_moved = ::dup2(out_pipe, 1) >= 0;
    else if (o.out == output::append) out_moved = append(1);
    if (o.err == output::pipe) ::dup2(err_pipe, 2);
    else if (o.err == output::append) append(2);
    else if (o.err == output::merge && out_moved) ::dup2(1, 2);
    for (const auto& [name, value] : o.env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : o.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    start_failed(o, errno);
}

}  // namespace

std::optional<child> spawn(const options& o, std::string& error) {
    if (o.argv.empty()) {
        error = "nothing to run";
        return std::nullopt;
    }
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    auto close_all = [&] {
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
            if (fd >= 0) ::close(fd);
    };
    if ((o.out == output::pipe && ::pipe2(out_pipe, O_CLOEXEC) != 0) ||
        (o.err == output::pipe && ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
        error = std::string("cannot make a pipe: ") + std::strerror(errno);
        close_all();
        return std::nullopt;
    }
    std::fflush(stdout);  // what this process printed so far comes before the child's output
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid == 0) exec_child(o, out_pipe[1], err_pipe[1]);
    if (pid < 0) {
        error = std::strerror(errno);
        close_all();
        return std::nullopt;
    }
    for (int* fd : {&out_pipe[1], &err_pipe[1]})
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    child c;
    c.pid_ = pid;
    c.out_fd_ = out_pipe[0];
    c.err_fd_ = err_pipe[0];
    return c;
}

result run(const options& o, const std::function<void(int, std::string_view)>& on_output) {
    result r;
    auto c = spawn(o, r.err);
    if (!c) return r;
    if (on_output) c->read_all(on_output);
    else c->read_all([&](int stream, std::string_view bytes) { (stream == 1 ? r.out : r.err).append(bytes); });
    r.rc = c->wait();
    return r;
}

result capture(std::vector<std::string> argv) {
    options o;
    o.argv = std::move(argv);
    o.out = o.err = output::pipe;
    o.null_stdin = true;
    return run(o);
}

}  // namespace hps::process
