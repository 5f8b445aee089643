// hpsgen: hyperparameter studies of neural networks as specialised C++ trainers.
#include "generator/commands.hpp"

#include <hps/version.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct command {
    const char* name;
    int (*run)(const hps::cli::args&);
    const char* summary;
};

constexpr command commands[] = {
    {"check", hps::cli::check, "check a .hps study and summarise its grid"},
    {"list", hps::cli::list, "list the grid points of a study (table, tsv or json)"},
    {"fmt", hps::cli::fmt, "print a study in canonical form"},
    {"generate", hps::cli::generate, "write a study folder: one trainer per network, settings per point, CMake, Slurm"},
    {"run", hps::cli::run, "build and train a study folder's points on this machine"},
    {"submit", hps::cli::submit, "build a study folder's trainers and submit them to Slurm as job arrays"},
    {"status", hps::cli::status, "where each point of a submitted study stands (Slurm and run folders)"},
    {"report", hps::cli::report, "rank a study's trained points; write report.html, its figures"},
    {"promote", hps::cli::promote, "rank a submitted halving study's rung and submit the next (its promotion job)"},
    {"export", hps::cli::export_model, "write a trained point as a header-only C++ inference library (or ONNX)"},
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: hpsgen <command> [options]\n\n"
                 "hpsgen turns a hyperparameter study written as a .hps file into one\n"
                 "specialised C++ trainer per distinct network (each point's values in a\n"
                 "settings file), plus a Slurm job array.\n\n"
                 "commands:\n");
    for (const auto& c : commands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
    std::fprintf(out, "\n'hpsgen <command> --help' describes a command.\n\n%s", hps::cli::topics_text().c_str());
}

}  // namespace

int main(int argc, char** argv) {
    // past a file size limit (ulimit -f) a write fails with EFBIG and says so, as on a full
    // disk, instead of SIGXFSZ killing hpsgen half-way through a folder
    std::signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    std::string name = argv[1];
    if (name == "--help" || name == "-h" || (name == "help" && argc == 2)) {
        usage(stdout);
        return 0;
    }
    if (name == "help") {  // help COMMAND is the command's --help; help TOPIC a page
        for (const auto& c : commands)
            if (c.name == std::string(argv[2])) return c.run({"--help"});
        return hps::cli::help(hps::cli::args(argv + 2, argv + argc));
    }
    if (name == "--version") {  // and the runtime's part of every result's identity (docs/design.md section 32)
        std::printf("hpsgen %s\nruntime: %s (finished results of the same numbers are kept across versions)\n",
                    HPSGEN_VERSION, hps::runtime_identity().c_str());
        return 0;
    }
    for (const auto& c : commands) {
        if (name == c.name) return c.run(hps::cli::args(argv + 2, argv + argc));
    }
    std::fprintf(stderr, "hpsgen: unknown command '%s'\n\n", name.c_str());
    usage(stderr);
    return 2;
}
