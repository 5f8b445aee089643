// The Slurm side of a study folder: submit.sbatch (the job array), report.sbatch (the
// follow-up job that runs `hpsgen report`) and logs/ (where both write).
//
// Both scripts are rendered from templates/ with the spec's resources. Nothing in them
// depends on where the folder lies or who submits it: the array's first point, its chunk
// and where trainers are built come from the environment (HPS_FIRST, HPS_CHUNK,
// HPS_BUILD, defaulting to the spec), the hpsgen path from the report job's argument;
// `hpsgen submit` sets them at submission time.
#include "generator/emit.hpp"

#include "generator/embedded.hpp"
#include "generator/slurm.hpp"

#include <algorithm>
#include <stdexcept>

namespace hps {

namespace {

// Slurm's default MaxArraySize: the generated script's own --array line must fit it.
constexpr std::size_t default_max_array_size = 1001;

// Text from the spec on an #SBATCH line: one line, no control characters (a newline
// would end the comment and put the rest of the text in the script as a command).
std::string one_line(const std::string& text) {
    std::string out;
    for (unsigned char c : text) out += c < 0x20 || c == 0x7f ? ' ' : char(c);
    return out;
}

std::string sbatch_line(const std::string& option, const std::string& value) {
    return "#SBATCH --" + option + "=" + one_line(value) + "\n";
}

// The resources both jobs share: partition, account, qos, and the spec's extra lines.
std::string placement_lines(const slurm_config& c) {
    std::string out;
    if (!c.partition.empty()) out += sbatch_line("partition", c.partition);
    if (!c.account.empty()) out += sbatch_line("account", c.account);
    if (!c.qos.empty()) out += sbatch_line("qos", c.qos);
    return out;
}

std::string extra_lines(const slurm_config& c) {
    std::string out;
    for (const auto& e : c.extra) {
        std::string line = one_line(e);
        if (line.rfind("#SBATCH", 0) != 0) line = "#SBATCH " + line;
        out += line + "\n";
    }
    return out;
}

std::string chomp(std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

// The by-hand commands for the arrays of the whole grid, as a comment.
std::string by_hand(const study& s, std::size_t chunk, const std::string& throttle) {
    const std::size_t count = s.points.size();
    std::vector<std::size_t> all(count);
    for (std::size_t i = 0; i < count; ++i) all[i] = i;
    const auto parts = slurm::plan_arrays(all, count, chunk, default_max_array_size);
    std::string out = "#   sbatch submit.sbatch   by hand, in this folder, once the trainers are built\n"
                      "#                          (cmake -S . -B build && cmake --build build -j)";
    if (parts.size() > 1) {
        out += "; the grid needs\n#                          " + std::to_string(parts.size()) +
               " arrays under Slurm's default MaxArraySize (" + std::to_string(default_max_array_size) + "):";
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const auto& p = parts[i];
            out += "\n#     sbatch --array=" + slurm::index_list(p.tasks) + throttle;
            if (p.first > 0) out += " --export=ALL,HPS_FIRST=" + std::to_string(p.first);
            out += " submit.sbatch";
        }
    }
    return out;
}

}  // namespace

void emit_slurm(const study& s, const emit_options& opt, output_sink& sink) {
    const slurm_config& c = s.slurm;
    const std::size_t count = s.points.size();
    const std::size_t chunk = std::max(1, c.chunk);
    const std::size_t tasks = (count + chunk - 1) / chunk;
    const std::string throttle = c.throttle > 0 ? "%" + std::to_string(c.throttle) : "";
    const int warning = slurm::warning_seconds(c.time);

    std::string lines = "#SBATCH --job-name=hps-" + one_line(s.name) + "\n";
    if (tasks > 0)
        lines += "#SBATCH --array=0-" + std::to_string(std::min(tasks, default_max_array_size) - 1) + throttle + "\n";
    lines += placement_lines(c);
    if (c.ranks > 1) lines += "#SBATCH --ntasks=" + std::to_string(c.ranks) + "\n";  // a point's MPI ranks
    lines += "#SBATCH --cpus-per-task=" + std::to_string(std::max(1, c.cpus)) + "\n";
    // a `ranks` point's memory is one rank's, asked per cpu (slurm::mem_option)
    const std::string mem = one_line(!c.mem.empty() ? c.mem : opt.mem_estimate);
    if (const std::string asked = slurm::mem_option(mem, c.ranks, c.cpus); !asked.empty()) lines += "#SBATCH " + asked + "\n";
    if (!c.time.empty()) lines += sbatch_line("time", c.time);
    lines += "#SBATCH --output=logs/%x-%A_%a.out\n"
             "#SBATCH --open-mode=append\n"
             "#SBATCH --signal=B:USR1@" + std::to_string(warning) + "\n"
             "#SBATCH --requeue\n";
    lines += extra_lines(c);

    sink.write("submit.sbatch", render(embedded::contents("templates/submit.sbatch.in"),
                                       {{"spec", opt.spec_display},
                                        {"study", s.name},
                                        {"count", std::to_string(count)},
                                        {"by_hand", by_hand(s, chunk, throttle)},
                                        {"warning", std::to_string(warning)},
                                        {"sbatch", chomp(lines)},
                                        {"chunk", std::to_string(chunk)},
                                        {"packing", c.packing == "side_by_side" ? "side_by_side" : "sequential"},
                                        {"build", c.build == "node" ? "node" : "before"},
                                        {"report", c.report ? "yes" : "no"},
                                        {"ranks", std::to_string(std::max(1, c.ranks))},
                                        {"throttle", std::to_string(std::max(0, c.throttle))}}));

    // the report reads a few small files: one cpu, at most ten minutes
    std::string report = "#SBATCH --job-name=hps-" + one_line(s.name) + "-report\n";
    report += placement_lines(c);
    report += "#SBATCH --cpus-per-task=1\n";
    if (!c.mem.empty()) report += sbatch_line("mem", c.mem);
    auto limit = slurm::parse_time(c.time);
    report += sbatch_line("time", slurm::format_time(limit && *limit > 0 ? std::min(*limit, 600L) : 600L));
    report += "#SBATCH --output=logs/%x-%j.out\n"
              "#SBATCH --open-mode=append\n";
    report += extra_lines(c);
    sink.write("report.sbatch", render(embedded::contents("templates/report.sbatch.in"),
                                       {{"spec", opt.spec_display}, {"study", s.name}, {"sbatch", chomp(report)}}));

    // Slurm does not create the folder of --output: a job whose log cannot be opened
    // fails without a word
    sink.write("logs/README", "Slurm writes the logs of the job array (<job name>-<array job>_<task>.out) and of the\n"
                              "report job here; hpsgen status names the log of each failed point.\n");
}

}  // namespace hps
