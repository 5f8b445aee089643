#include "generator/slurm.hpp"

#include "generator/process.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace hps::slurm {

namespace {

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto at = text.find(sep, start);
        out.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return out;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::size_t to_size(std::string_view s) {
    if (!all_digits(s) || s.size() > 18) throw std::invalid_argument("not a whole number: '" + std::string(s) + "'");
    return std::stoull(std::string(s));
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    return s.substr(i);
}

}  // namespace

// ------------------------------------------------------------------------ time limits

std::optional<long> parse_time(std::string_view text) {
    long days = 0;
    std::string_view rest = text;
    bool has_days = false;
    if (auto dash = text.find('-'); dash != std::string_view::npos) {
        if (!all_digits(text.substr(0, dash))) return std::nullopt;
        days = std::stol(std::string(text.substr(0, dash)));
        rest = text.substr(dash + 1);
        has_days = true;
    }
    auto parts = split(rest, ':');
    if (parts.empty() || parts.size() > 3) return std::nullopt;
    std::vector<long> v;
    for (const auto& p : parts) {
        if (!all_digits(p) || p.size() > 9) return std::nullopt;
        v.push_back(std::stol(p));
    }
    long s = 0;
    if (has_days) {  // D-HH, D-HH:MM, D-HH:MM:SS
        s = v[0] * 3600 + (v.size() > 1 ? v[1] * 60 : 0) + (v.size() > 2 ? v[2] : 0);
    } else if (v.size() == 1) {  // minutes
        s = v[0] * 60;
    } else if (v.size() == 2) {  // MM:SS
        s = v[0] * 60 + v[1];
    } else {  // HH:MM:SS
        s = v[0] * 3600 + v[1] * 60 + v[2];
    }
    return days * 86400 + s;
}

std::string format_time(long seconds) {
    char buf[48];
    const long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
    if (d > 0) std::snprintf(buf, sizeof buf, "%ld-%02ld:%02ld:%02ld", d, h, m, s);
    else std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", h, m, s);
    return buf;
}

int warning_seconds(const std::string& time_limit) {
    auto t = parse_time(time_limit);
    if (!t || *t <= 0) return 300;
    return int(std::clamp(*t / 10, 30L, 300L));
}

// ------------------------------------------------------------------------ memory sizes

std::optional<std::size_t> parse_mem(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double per_unit = 1;  // MiB
    switch (text.back()) {
        case 'K': case 'k': per_unit = 1.0 / 1024; break;
        case 'M': case 'm': break;
        case 'G': case 'g': per_unit = 1024; break;
        case 'T': case 't': per_unit = 1024.0 * 1024; break;
        default:
            if (text.back() < '0' || text.back() > '9') return std::nullopt;
            per_unit = 0;
    }
    if (per_unit != 0) text.remove_suffix(1);
    else per_unit = 1;
    if (!all_digits(text) || text.size() > 12) return std::nullopt;
    const double mib = double(std::stoull(std::string(text))) * per_unit;
    return std::size_t(mib) + (mib > double(std::size_t(mib)) ? 1 : 0);
}

std::string format_mem(std::size_t mib) {
    if (mib >= 1024 && mib % 1024 == 0) return std::to_string(mib / 1024) + "G";
    return std::to_string(mib) + "M";
}

std::string mem_option(const std::string& mem, int ranks, int cpus) {
    const auto mib = parse_mem(mem);
    if (!mib) return "";
    if (ranks <= 1) return "--mem=" + mem;
    const std::size_t per_cpu = std::size_t(std::max(1, cpus));
    return "--mem-per-cpu=" + format_mem((*mib + per_cpu - 1) / per_cpu);
}

// ------------------------------------------------------------------------ index lists

std::string index_list(const std::vector<std::size_t>& sorted) {
    std::string out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
        if (!out.empty()) out += ",";
        out += std::to_string(sorted[i]);
        if (j > i) {
            out += '-';
            out += std::to_string(sorted[j]);
        }
        i = j + 1;
    }
    return out;
}

std::vector<std::size_t> parse_index_list(std::string_view text) {
    if (auto pct = text.find('%'); pct != std::string_view::npos) text = text.substr(0, pct);
    std::vector<std::size_t> out;
    if (text.empty()) return out;
    for (const auto& item : split(text, ',')) {
        auto dash = item.find('-');
        if (dash == std::string::npos) {
            out.push_back(to_size(item));
        } else {
            std::size_t lo = to_size(item.substr(0, dash)), hi = to_size(item.substr(dash + 1));
            if (hi < lo || hi - lo > 10000000) throw std::invalid_argument("bad range '" + item + "'");
            for (std::size_t k = lo; k <= hi; ++k) out.push_back(k);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// ------------------------------------------------------------------------ arrays

std::vector<std::size_t> task_points(std::size_t first, std::size_t chunk, std::size_t task, std::size_t count) {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < chunk; ++k) {
        std::size_t p = first + task * chunk + k;
        if (p >= count) break;
        out.push_back(p);
    }
    return out;
}

std::vector<array_part> plan_arrays(const std::vector<std::size_t>& points, std::size_t count, std::size_t chunk,
                                    std::size_t max_array_size) {
    if (chunk == 0 || max_array_size == 0) throw std::invalid_argument("plan_arrays: chunk and MaxArraySize must be >= 1");
    std::map<std::size_t, array_part> parts;  // by array number
    std::size_t last_task = std::size_t(-1);
    for (std::size_t p : points) {
        const std::size_t t = p / chunk;
        if (t == last_task) continue;
        last_task = t;
        const std::size_t g = t / max_array_size;
        auto& part = parts[g];
        part.first = g * max_array_size * chunk;
        part.chunk = chunk;
        part.tasks.push_back(t - g * max_array_size);
        for (std::size_t q : task_points(part.first, chunk, t - g * max_array_size, count)) part.points.push_back(q);
    }
    std::vector<array_part> out;
    for (auto& [g, part] : parts) out.push_back(std::move(part));
    return out;
}

// ------------------------------------------------------------------------ jobs.tsv

namespace {
// a rung's or promotion's `first` cell: "R", or "R/B" in bracket B > 0
std::string rung_cell(const job_record& j) {
    return std::to_string(j.rung) + (j.bracket ? "/" + std::to_string(j.bracket) : "");
}
void read_rung_cell(const std::string& cell, job_record& j) {
    const auto slash = cell.find('/');
    j.rung = to_size(cell.substr(0, slash));
    j.bracket = slash == std::string::npos ? 0 : to_size(cell.substr(slash + 1));
}
}  // namespace

std::string jobs_tsv(const std::vector<job_record>& jobs) {
    std::string out = "submission\tjob\tkind\tfirst\tchunk\ttasks\tbuild\tmem\ttime\n";
    for (const auto& j : jobs) {
        out += std::to_string(j.submission) + "\t" + j.job + "\t" + j.kind + "\t";
        if (j.kind == "array")
            out += std::to_string(j.first) + "\t" + std::to_string(j.chunk) + "\t" + index_list(j.tasks) + "\t" + j.build;
        else if (j.kind == "rung")
            out += rung_cell(j) + "\t1\t" + index_list(j.points) + "\t" + j.build;
        else if (j.kind == "promote")
            out += rung_cell(j) + "\t-\t-\t-";
        else
            out += "-\t-\t-\t-";
        out += "\t" + (j.mem.empty() ? std::string("-") : j.mem) + "\t" + (j.time.empty() ? std::string("-") : j.time);
        out += "\n";
    }
    return out;
}

std::vector<job_record> parse_jobs_tsv(const std::string& text) {
    std::vector<job_record> out;
    std::istringstream in(text);
    std::string line;
    bool header = true;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (header) {
            header = false;
            if (line.rfind("submission\tjob\tkind", 0) != 0) throw std::runtime_error("unexpected header");
            continue;
        }
        if (line.empty()) continue;
        auto c = split(line, '\t');
        if (c.size() != 7 && c.size() != 9)
            throw std::runtime_error("line " + std::to_string(number) + " has " + std::to_string(c.size()) + " cells, not 9");
        try {
            job_record j;
            j.submission = int(to_size(c[0]));
            j.job = c[1];
            j.kind = c[2];
            if (j.kind == "array") {
                j.first = to_size(c[3]);
                j.chunk = to_size(c[4]);
                j.tasks = parse_index_list(c[5]);
                j.build = c[6];
            } else if (j.kind == "rung") {
                read_rung_cell(c[3], j);
                j.points = parse_index_list(c[5]);
                for (std::size_t t = 0; t < j.points.size(); ++t) j.tasks.push_back(t);
                j.build = c[6];
            } else if (j.kind == "promote") {
                read_rung_cell(c[3], j);
            } else if (j.kind != "report") {
                throw std::invalid_argument("unknown kind '" + j.kind + "'");
            }
            if (c.size() == 9) {
                if (c[7] != "-") j.mem = c[7];
                if (c[8] != "-") j.time = c[8];
            }
            out.push_back(std::move(j));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error("line " + std::to_string(number) + ": " + e.what());
        }
    }
    return out;
}

// ------------------------------------------------------------------------ the cluster

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path) return false;
    for (const auto& dir : split(path, ':')) {
        const std::string p = (dir.empty() ? "." : dir) + "/" + program;
        if (::access(p.c_str(), X_OK) == 0) return true;
    }
    return false;
}

std::optional<std::size_t> max_array_size() {
    if (!on_path("scontrol")) return std::nullopt;
    auto r = process::capture({"scontrol", "show", "config"});
    if (r.rc != 0) return std::nullopt;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("MaxArraySize", 0) != 0) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string v = trim(line.substr(eq + 1));
        if (all_digits(v)) return std::stoull(v);
    }
    return std::nullopt;
}

std::optional<long> parse_partition_max_time(const std::string& text, const std::string& partition) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {  // one partition a line (-o): "PartitionName=test ... MaxTime=1-00:00:00 ..."
        std::map<std::string, std::string> kv;
        std::istringstream words(line);
        std::string w;
        while (words >> w)
            if (auto eq = w.find('='); eq != std::string::npos) kv[w.substr(0, eq)] = w.substr(eq + 1);
        const bool wanted = partition.empty() ? kv["Default"] == "YES" : kv["PartitionName"] == partition;
        if (!wanted) continue;
        auto t = parse_time(kv["MaxTime"]);  // UNLIMITED (or anything else): no limit
        if (t && *t > 0) return t;
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<long> partition_max_time(const std::string& partition) {
    if (!on_path("scontrol")) return std::nullopt;
    auto r = process::capture({"scontrol", "show", "partition", "-o"});
    if (r.rc != 0) return std::nullopt;
    return parse_partition_max_time(r.out, partition);
}

queue_view parse_squeue(const std::string& text) {
    queue_view out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto c = split(trim(line), '|');
        if (c.size() < 2 || c[0].empty()) continue;
        task_state s;
        s.state = c[1];
        if (c.size() > 2) s.reason = c[2];
        if (c.size() > 3) s.elapsed = c[3];
        if (c.size() > 4) s.node = c[4];
        out[c[0]] = s;
    }
    return out;
}

queue_view parse_sacct(const std::string& text) {
    queue_view out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto c = split(trim(line), '|');
        if (c.size() < 3 || c[0].empty() || c[0].find('.') != std::string::npos) continue;  // no job steps
        task_state s;
        s.state = c[1].substr(0, c[1].find(' '));  // "CANCELLED by 0" -> CANCELLED
        s.exit_code = c[2];
        out[c[0]] = s;
    }
    return out;
}

std::optional<queue_view> squeue(const std::vector<std::string>& jobs, std::string& error) {
    if (jobs.empty()) return queue_view{};
    if (!on_path("squeue")) {
        error = "squeue not found (install slurm-client)";
        return std::nullopt;
    }
    std::string list;
    for (const auto& j : jobs) list += (list.empty() ? "" : ",") + j;
    auto r = process::capture({"squeue", "-h", "-r", "-t", "all", "-j", list, "-o", "%i|%T|%r|%M|%N"});
    if (r.rc != 0) {
        // every job has left squeue's memory (MinJobAge): nothing is queued
        if (r.err.find("Invalid job id") != std::string::npos) return queue_view{};
        error = "squeue failed: " + trim(r.err.empty() ? r.out : r.err);
        return std::nullopt;
    }
    return parse_squeue(r.out);
}

queue_view sacct(const std::vector<std::string>& jobs) {
    if (jobs.empty() || !on_path("sacct")) return {};
    std::string list;
    for (const auto& j : jobs) list += (list.empty() ? "" : ",") + j;
    auto r = process::capture({"sacct", "-n", "-P", "-X", "-j", list, "-o", "JobID,State,ExitCode"});
    if (r.rc != 0) return {};
    return parse_sacct(r.out);
}

std::string exit_meaning(int rc) {
    switch (rc) {
        case 0: return "done";
        case 1: return "error";
        case 2: return "bad command line";
        case 3: return "diverged";
        case 4: return "bad data";
        case 5: return "cannot write";
        case 6: return "run folder in use by another trainer";
        case 75: return "interrupted, resumable";
        case 126: return "trainer not executable";
        case 127: return "trainer not found";
        case 132: return "illegal instruction: built for another CPU; submit with --build node";
        case 134: return "aborted";
        case 135: return "bus error";
        case 137: return "killed (SIGKILL: out of memory, or the time limit)";
        case 139: return "segmentation fault";
        case 143: return "terminated (SIGTERM)";
    }
    if (rc > 128) return "killed by signal " + std::to_string(rc - 128);
    return "exit " + std::to_string(rc);
}

// ------------------------------------------------------------------------ why a task ended

std::string failure_reason(const std::string& state, const std::string& log_text) {
    static const char* named[] = {"OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"};
    for (const char* n : named)
        if (state == n) return state;
    // the log: the last word slurmstepd wrote about the task (a requeued task appends)
    std::string from_log;
    std::istringstream in(log_text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("slurmstepd") == std::string::npos) continue;
        if (line.find("xceeded job memory limit") != std::string::npos ||
            line.find("exceeded memory limit") != std::string::npos || line.find("oom-kill") != std::string::npos ||
            line.find("oom_kill") != std::string::npos || line.find("Out Of Memory") != std::string::npos)
            from_log = "OUT_OF_MEMORY";
        else if (line.find("DUE TO TIME LIMIT") != std::string::npos) from_log = "TIMEOUT";
        else if (line.find("DUE TO NODE FAIL") != std::string::npos) from_log = "NODE_FAIL";
        else if (line.find("DUE TO PREEMPTION") != std::string::npos) from_log = "PREEMPTED";
        else if (line.find("DUE TO JOB REQUEUE") != std::string::npos) from_log.clear();  // it went on
        else if (line.find("CANCELLED AT") != std::string::npos && from_log.empty()) from_log = "CANCELLED";
    }
    if (!from_log.empty()) return from_log;
    if (state == "CANCELLED" || state == "FAILED") return state;
    return "";
}

std::string failure_meaning(const std::string& reason) {
    if (reason == "OUT_OF_MEMORY") return "out of memory: the task used more than its --mem";
    if (reason == "TIMEOUT") return "its time limit ran out";
    if (reason == "NODE_FAIL") return "its node failed";
    if (reason == "PREEMPTED") return "preempted";
    if (reason == "BOOT_FAIL") return "its node did not boot";
    if (reason == "DEADLINE") return "past its deadline";
    if (reason == "CANCELLED") return "cancelled";
    if (reason == "FAILED") return "failed";
    return reason;
}

}  // namespace hps::slurm
