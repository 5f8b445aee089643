// hpsgen check, list and fmt: the commands that read a spec and write nothing to disk.
#include "dsl/printer.hpp"
#include "dsl/schema.hpp"
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/calibrate.hpp"
#include "generator/cost.hpp"
#include "generator/data_check.hpp"
#include "generator/expand.hpp"
#include "generator/slurm.hpp"

#include <iostream>

namespace hps::cli {

int check(const args& a) {
    std::string spec, calibrated_in;
    bool reference = false, markdown = false, no_data_check = false, show_cost = false;
    arg_parser p("check", "Checks a .hps study and summarises its grid: the axes and their values, the number\n"
                          "of grid points and the range of free parameters. The data files it names are\n"
                          "opened and their headers checked against `input` and `target`. Errors go to\n"
                          "stderr, located in the spec; the exit status is 1 when there are any.");
    p.positional("SPEC", "the .hps file", spec, false);
    p.flag("reference", 0, "print the language reference (every block, statement and option) and exit",
           reference);
    p.flag("markdown", 0, "with --reference: as a Markdown page with examples, docs/language.md", markdown);
    data_check_flag(p, no_data_check);
    p.flag("cost", 0,
           "print each point's memory, its --mem request and its estimated training time, the array tasks and "
           "the study's core-hours; for a halving study each point's time in each rung and the core-hours of the "
           "points that reach each rung, at most (docs/slurm.md)",
           show_cost);
    p.option("calibration", "DIR",
             "with --cost: the time of each point whose trainer the study folder DIR has calibrated "
             "(hpsgen submit does, after its build: DIR/build/calibration.tsv)",
             calibrated_in);
    p.epilog("examples:\n  hpsgen check examples/cyplam.hps\n  hpsgen check --cost examples/cyplam.hps\n"
             "  hpsgen check --cost examples/cyplam.hps --calibration out/cyplam\n  hpsgen check --reference\n"
             "  hpsgen check --reference --markdown > docs/language.md   (refresh the language page)\n\n"
             "The language, with an example of every statement: docs/language.md (hpsgen help language).");
    if (auto status = p.parse(a)) return *status;
    if (markdown && !reference) return p.usage_error(std::cerr, "--markdown goes with --reference");
    if (reference) {
        std::cout << (markdown ? schema::reference_markdown() : schema::reference());
        return 0;
    }
    if (spec.empty()) {
        std::cerr << "hpsgen check: missing SPEC\n" << p.usage() << "\nrun 'hpsgen check --help' for details\n";
        return 2;
    }
    std::optional<parsed_spec> parsed;
    auto s = read_spec(spec, std::cerr, parsed);
    if (!s) return 1;
    if (!no_data_check) {
        if (std::size_t n = check_spec_data(*parsed->src, parsed->file, *s, std::cerr)) {
            std::cerr << spec << ": " << n << (n == 1 ? " error" : " errors") << "\n";
            return 1;
        }
    }
    std::cout << study_summary(*s);
    const auto files = cost::data_files(*s, cost::spec_folder(spec));
    if (!calibrated_in.empty() && !show_cost) return p.usage_error(std::cerr, "--calibration goes with --cost");
    const calibrations calibrated = calibrated_in.empty() ? calibrations{} : read_calibrations(calibrated_in);
    if (!calibrated_in.empty() && calibrated.empty())
        std::cerr << "hpsgen check: " << calibrated_in
                  << " has no calibration of a built trainer (hpsgen submit makes them after its build); the times "
                     "are estimates\n";
    std::cout << (show_cost ? "\n" + cost::cost_table(*s, files, calibrated, slurm::partition_max_time(s->slurm.partition))
                            : cost::memory_summary(*s, files));
    return 0;
}

int list(const args& a) {
    std::string spec, format = "table";
    arg_parser p("list", "Lists the grid points of a .hps study, one row each: id, name, the value of every\n"
                         "axis, and the number of free parameters.");
    p.positional("SPEC", "the .hps file", spec);
    p.option("format", "FORMAT", "table for people, tsv (with a header line) or json (an array of objects)",
             format, {"table", "tsv", "json"}, 'f');
    p.epilog("examples:\n  hpsgen list examples/cyplam.hps\n  hpsgen list --format tsv examples/cyplam.hps");
    if (auto status = p.parse(a)) return *status;
    auto s = read_spec(spec, std::cerr);
    if (!s) return 1;
    grid_format f = format == "tsv" ? grid_format::tsv : format == "json" ? grid_format::json : grid_format::table;
    std::cout << format_grid(*s, f);
    return 0;
}

int fmt(const args& a) {
    std::string spec;
    bool check_only = false;
    arg_parser p("fmt", "Prints a .hps study in canonical form to stdout (the file itself is not changed).\n"
                        "Only the syntax is checked: a spec with semantic errors is still formatted.");
    p.positional("SPEC", "the .hps file", spec);
    p.flag("check", 0, "print nothing; exit 1 if SPEC is not in canonical form", check_only);
    p.epilog("examples:\n  hpsgen fmt examples/cyplam.hps\n  hpsgen fmt --check examples/cyplam.hps");
    if (auto status = p.parse(a)) return *status;
    auto parsed = parse_spec(spec, std::cerr);
    if (!parsed) return 1;
    std::string canonical = print(parsed->file, *parsed->src);
    if (check_only) {
        if (canonical == parsed->src->text()) return 0;
        std::cerr << spec << ": not in canonical form; 'hpsgen fmt " << spec << "' prints it\n";
        return 1;
    }
    std::cout << canonical;
    return 0;
}

}  // namespace hps::cli
