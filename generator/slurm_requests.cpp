#include "generator/slurm_requests.hpp"

#include "generator/cli_util.hpp"
#include "generator/cost.hpp"
#include "generator/slurm.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace hps {

namespace fs = std::filesystem;

std::string larger_mem(const std::string& a, const std::string& b) {
    const auto x = slurm::parse_mem(a), y = slurm::parse_mem(b);
    if (!x) return b;
    if (!y) return a;
    return *y > *x ? b : a;
}

std::string larger_time(const std::string& a, const std::string& b) {
    const auto x = slurm::parse_time(a), y = slurm::parse_time(b);
    if (!x) return b;
    if (!y) return a;
    return *y > *x ? b : a;
}

resource_class class_of(const request& r) {
    const auto mib = slurm::parse_mem(r.mem);
    const auto t = slurm::parse_time(r.time);
    return {mib ? cost::mem_class(*mib) : 0, t ? cost::time_class(*t) : 0};
}

std::map<resource_class, class_group> group_by_class(const std::vector<std::pair<std::size_t, request>>& tasks) {
    std::map<resource_class, class_group> out;
    for (const auto& [task, r] : tasks) {
        class_group& g = out[class_of(r)];
        g.asked.mem = larger_mem(g.asked.mem, r.mem);
        g.asked.time = larger_time(g.asked.time, r.time);
        g.tasks.push_back(task);
    }
    return out;
}

std::optional<request> retry_request(const request& anew, const request& had, const std::string& reason, double factor,
                                     std::optional<long> cap) {
    request r = anew;
    if (reason == "OUT_OF_MEMORY") {
        auto mib = slurm::parse_mem(had.mem);
        if (!mib) mib = slurm::parse_mem(anew.mem);
        if (!mib) return std::nullopt;
        r.mem = larger_mem(anew.mem, slurm::format_mem(std::size_t(std::ceil(double(*mib) * factor))));
    } else if (reason == "TIMEOUT") {
        auto t = slurm::parse_time(had.time);
        if (!t) t = slurm::parse_time(anew.time);
        if (!t) return std::nullopt;
        long more = long(std::ceil(double(*t) * factor / 60.0)) * 60;
        if (cap) more = std::min(more, *cap);
        r.time = larger_time(anew.time, slurm::format_time(more));
    } else {
        return std::nullopt;
    }
    return r;
}

namespace {

// The folder the spec's data paths are relative to, seen from here: the study folder and the
// prefix generate gave them in the settings files ("../../data/x.npz" for "data/x.npz"); the
// spec's folder when no settings file says.
std::string data_folder(const std::string& dir, const study_dir& s, const study& checked) {
    if (!s.points.empty() && !checked.points.empty())
        if (const auto c = read_point_settings(dir, s.points.front())) {
            const std::string& as_written = checked.points.front().config.train;
            const std::string& in_settings = c->train;
            if (!as_written.empty() && in_settings.size() >= as_written.size() &&
                in_settings.compare(in_settings.size() - as_written.size(), as_written.size(), as_written) == 0) {
                const std::string prefix = in_settings.substr(0, in_settings.size() - as_written.size());
                return prefix.rfind('/', 0) == 0 ? prefix : (fs::path(dir) / prefix).string();
            }
        }
    return cost::spec_folder(s.spec);
}

}  // namespace

study_costs read_study_costs(const std::string& dir, const study_dir& s) {
    study_costs out;
    std::ostringstream spec_errors;  // a spec that no longer checks: no estimates, as without one
    out.checked = cli::read_spec(dir + "/study.hps", spec_errors);
    if (out.checked) {
        out.files = cost::data_files(*out.checked, data_folder(dir, s, *out.checked));
        out.cpus = std::max(1, out.checked->slurm.cpus);
    }
    return out;
}

std::string point_mem(const study_costs& costs, const std::string& dir, const study_dir& s, std::size_t id,
                      const std::string& fixed, task_build build) {
    if (!fixed.empty()) return fixed;
    const grid_point* gp = costs.checked && id < costs.checked->points.size() ? &costs.checked->points[id] : nullptr;
    if (!gp || id >= s.points.size()) return "";
    std::string mem;
    const cost::memory m = cost::point_memory(*gp, costs.files);
    if (m.data_known) mem = cost::mem_request(m.bytes());
    // a task that builds its trainer runs the compiler first
    if (build == task_build::always ||
        (build == task_build::missing && !fs::exists(fs::path(dir) / "build" / "bin" / s.points[id].trainer)))
        mem = larger_mem(mem, slurm::format_mem(cost::kBuildMemory >> 20));
    return mem;
}

std::map<std::size_t, request> rung_requests(const study_costs& costs, const std::string& dir, const study_dir& s,
                                             const std::vector<std::size_t>& points, long from, long until,
                                             const calibrations& calibrated, std::optional<long> cap,
                                             const request& fixed, task_build build) {
    std::map<std::size_t, request> out;
    for (std::size_t id : points) {
        request& r = out[id];
        r.mem = point_mem(costs, dir, s, id, fixed.mem, build);
        r.time = fixed.time;
        const grid_point* gp = costs.checked && id < costs.checked->points.size() ? &costs.checked->points[id] : nullptr;
        if (!r.time.empty() || !gp || id >= s.points.size()) continue;
        const auto c = calibrated.find(s.points[id].trainer);
        if (c == calibrated.end()) continue;  // no --time from an estimate
        if (const auto t = cost::rung_seconds(*gp, costs.files, from, until, &c->second, costs.cpus))
            r.time = slurm::format_time(cost::time_request(*t, cap));
    }
    return out;
}

}  // namespace hps
