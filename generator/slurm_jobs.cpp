#include "generator/slurm_jobs.hpp"

#include "generator/process.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hps {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s;
}

std::optional<std::string> slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

slurm_settings read_slurm_settings(const std::string& dir) {
    const fs::path script = fs::path(dir) / "submit.sbatch";
    auto text = slurp(script);
    if (!text)
        throw std::runtime_error(script.string() + " is missing; regenerate the study with `hpsgen generate SPEC -o " + dir + "`");
    const std::string key = "# hpsgen submit reads: ";
    auto at = text->find(key);
    if (at == std::string::npos)
        throw std::runtime_error(script.string() + " was not written by this hpsgen (no settings line); regenerate the study with `hpsgen generate`");
    std::istringstream line(text->substr(at + key.size(), text->find('\n', at) - at - key.size()));
    slurm_settings s;
    std::string item;
    while (line >> item) {
        auto eq = item.find('=');
        if (eq == std::string::npos) continue;
        const std::string k = item.substr(0, eq), v = item.substr(eq + 1);
        try {
            if (k == "chunk") s.chunk = std::max<std::size_t>(1, std::stoul(v));
            else if (k == "build") s.build = v == "node" ? "node" : "before";
            else if (k == "packing") s.packing = v == "side_by_side" ? "side_by_side" : "sequential";
            else if (k == "report") s.report = v != "no";
            else if (k == "throttle") s.throttle = std::stoi(v);
        } catch (const std::exception&) {
            throw std::runtime_error(script.string() + ": unreadable setting '" + item + "'; regenerate the study");
        }
    }
    return s;
}

std::string jobs_path(const std::string& dir) { return (fs::path(dir) / "slurm" / "jobs.tsv").string(); }

std::vector<slurm::job_record> read_jobs(const std::string& dir) {
    const std::string path = jobs_path(dir);
    if (!fs::exists(path)) return {};
    auto text = slurp(path);
    if (!text) throw std::runtime_error("cannot read " + path);
    try {
        return slurm::parse_jobs_tsv(*text);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + " is damaged (" + e.what() + "); move it aside to start the record afresh");
    }
}

submitted_study load_submitted_study(const std::string& dir) {
    submitted_study out;
    out.study = load_study_dir(dir);
    out.settings = read_slurm_settings(dir);
    out.jobs = read_jobs(dir);
    return out;
}

std::map<std::size_t, point_job> latest_jobs(const std::vector<slurm::job_record>& jobs, std::size_t count) {
    std::map<std::size_t, point_job> out;
    for (const auto& j : jobs) {
        if (j.kind == "rung")
            for (std::size_t t = 0; t < j.points.size(); ++t) out[j.points[t]] = {j.job, t, j.submission, j.mem, j.time};
        if (j.kind != "array") continue;
        for (std::size_t t : j.tasks)
            for (std::size_t p : slurm::task_points(j.first, j.chunk, t, count))
                out[p] = {j.job, t, j.submission, j.mem, j.time};
    }
    return out;
}

std::string hpsgen_path() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

std::string sbatch_hint(const std::string& err) {
    auto has = [&](const char* s) { return err.find(s) != std::string::npos; };
    if (has("partition")) return "check `partition` in the spec's slurm block (sinfo lists the partitions)";
    if (has("account") || has("Account")) return "check `account` in the spec's slurm block (sacctmgr show assoc user=$USER)";
    if (has("qos") || has("QOS")) return "check `qos` in the spec's slurm block";
    if (has("array")) return "the cluster refuses the array; pass a smaller --max-array-size, or --chunk K";
    if (has("node configuration is not available") || has("memory") || has("Memory"))
        return "no node has the cpus or mem the spec asks for; lower `cpus` or `mem` in the slurm block (sinfo -N -l shows the nodes)";
    if (has("time limit") || has("Time limit")) return "lower `time` in the spec's slurm block to the partition's limit (sinfo -l)";
    return "check the spec's slurm block and the cluster (sinfo)";
}

std::string sbatch_job(const std::vector<std::string>& argv, std::string& error, std::string& warnings) {
    auto r = process::capture(argv);
    const std::string job = trim(r.out.substr(0, r.out.find(';')));
    if (r.rc != 0 || job.empty() || job.find_first_not_of("0123456789") != std::string::npos) {
        error = trim(r.err.empty() ? r.out : r.err);
        return {};
    }
    warnings = trim(r.err);
    return job;
}

bool active_state(const std::string& state) {
    static const std::set<std::string> ended = {"COMPLETED", "FAILED",   "TIMEOUT",  "CANCELLED", "NODE_FAIL",
                                                "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "REVOKED"};
    return !state.empty() && !ended.count(state);
}

std::string task_log(const std::string& dir, const std::string& job, std::size_t task) {
    const fs::path logs = fs::path(dir) / "logs";
    const std::string suffix = "-" + job + "_" + std::to_string(task) + ".out";
    std::error_code ec;
    if (!fs::is_directory(logs, ec)) return {};
    std::string found;
    for (const auto& e : fs::directory_iterator(logs, ec)) {
        const std::string name = e.path().filename().string();
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            if (found.empty() || name < fs::path(found).filename().string()) found = e.path().string();
        }
    }
    return found;
}

task_end read_task_end(const std::string& log, const std::string& name, const slurm::task_state* state) {
    task_end v;
    std::ifstream in(log);
    std::string line, error, since_start;
    const std::string start = "[hps] " + name + ": start", exit = "[hps] " + name + ": exit ";
    while (std::getline(in, line)) {
        if (line.rfind(start, 0) == 0) {
            error.clear();
            since_start.clear();
            v.rc = -1;
            v.error.clear();
        } else if (line.rfind(exit, 0) == 0) {
            v.rc = std::atoi(line.c_str() + exit.size());
            v.error = error;
        } else if (line.find("error:") != std::string::npos && line.find("slurmstepd") == std::string::npos) {
            error = line;
        }
        since_start += line + "\n";
    }
    v.reason = slurm::failure_reason(state ? state->state : std::string(), since_start);
    return v;
}

namespace {

// the value of "#SBATCH --OPTION=..." in DIR/submit.sbatch, "" when it has none
std::string script_option(const std::string& dir, const std::string& option) {
    const auto text = slurp(fs::path(dir) / "submit.sbatch");
    if (!text) return "";
    const std::string key = "\n#SBATCH --" + option + "=";
    const auto at = text->find(key);
    if (at == std::string::npos) return "";
    const auto from = at + key.size();
    return trim(text->substr(from, text->find('\n', from) - from));
}

// submit.sbatch's --cpus-per-task, 1 when it has none
int script_cpus(const std::string& dir) { return std::max(1, std::atoi(script_option(dir, "cpus-per-task").c_str())); }

}  // namespace

task_end point_task_end(const std::string& dir, const point_job& j, const std::string& name,
                        const slurm::queue_view& queue, const slurm::queue_view& accounting) {
    const slurm::task_state* state = nullptr;
    if (auto it = accounting.find(j.key()); it != accounting.end()) state = &it->second;
    else if (auto it = queue.find(j.key()); it != queue.end()) state = &it->second;
    const std::string log = task_log(dir, j.job, j.task);
    task_end v = log.empty() ? task_end{slurm::failure_reason(state ? state->state : "", ""), -1, ""}
                             : read_task_end(log, name, state);
    v.state = state;
    return v;
}

std::string requested_mem(const std::string& dir, const point_job& j) {
    if (!j.mem.empty()) return j.mem;
    const std::string mem = script_option(dir, "mem");
    if (!mem.empty()) return mem;
    const auto per_cpu = slurm::parse_mem(script_option(dir, "mem-per-cpu"));  // a `ranks` study's
    return per_cpu ? slurm::format_mem(*per_cpu * std::size_t(script_cpus(dir))) : "";
}

std::string requested_time(const std::string& dir, const point_job& j) {
    return j.time.empty() ? script_option(dir, "time") : j.time;
}

std::string task_mem_option(const std::string& dir, const study_dir& s, const std::string& mem) {
    return slurm::mem_option(mem, s.ranks, s.ranks > 1 ? script_cpus(dir) : 1);
}

}  // namespace hps
