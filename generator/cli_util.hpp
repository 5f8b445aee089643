// What every hpsgen command shares: reading a spec with clear errors, and a small
// command-line parser that writes its own --help.
//
// Commands print; the library below them (parse, check, expand, emit) only returns
// diagnostics. Exit statuses (generator/commands.hpp): 0 success, 1 the input was wrong
// (a missing file, diagnostics printed), 2 the command line was wrong.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/study.hpp"
#include "generator/commands.hpp"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hps::cli {

// The whole file at `path`, or nullopt with `error` set to
// "cannot read 'x.hps': No such file or directory".
std::optional<std::string> read_file(const std::string& path, std::string& error);

// A parsed spec: the AST and the source it points into (kept alive together).
struct parsed_spec {
    std::unique_ptr<source> src;
    ast::study_file file;
};

// Reads and parses `path`. On failure prints the reason or the diagnostics to `err`
// and returns nullopt.
std::optional<parsed_spec> parse_spec(const std::string& path, std::ostream& err);

// Reads, parses and checks `path`: the study, or nullopt after printing the
// diagnostics to `err`. Warnings are printed either way.
std::optional<study> read_spec(const std::string& path, std::ostream& err);

// The same, keeping the parsed spec (for commands that also need the AST: generate
// writes the canonical spec next to the trainers).
std::optional<study> read_spec(const std::string& path, std::ostream& err, std::optional<parsed_spec>& parsed);

// A command's arguments: positionals, flags and options with values, -h/--help.
//
//     std::string spec, format = "table";
//     arg_parser p("list", "list the grid points of a study");
//     p.positional("SPEC", "the .hps file", spec);
//     p.option("format", "FORMAT", "table, tsv or json", format, {"table", "tsv", "json"});
//     if (auto status = p.parse(a)) return *status;   // --help printed, or a usage error
//
// Options accept `--name value` and `--name=value`; `--` ends the options. Help texts
// may run over several lines ("\n"); --help indents them under the first.
class arg_parser {
public:
    arg_parser(std::string command, std::string summary);

    void positional(std::string name, std::string help, std::string& target, bool required = true);
    void flag(std::string name, char short_name, std::string help, bool& target);
    void option(std::string name, std::string metavar, std::string help, std::string& target,
                std::vector<std::string> choices = {}, char short_name = 0);
    // The same, where an empty value differs from none given: nullopt unless given.
    void option(std::string name, std::string metavar, std::string help, std::optional<std::string>& target,
                char short_name = 0);
    // An option whose value is a positive whole number ("--jobs 4"); `target` keeps its
    // value unless given; anything but digits, zero or a number past 999999999 is a usage error.
    void count(std::string name, std::string metavar, std::string help, std::size_t& target, char short_name = 0);
    // Free text after the options in --help (examples, notes).
    void epilog(std::string text) { epilog_ = std::move(text); }

    // nullopt: the arguments were read, go on. Otherwise the exit status: 0 after
    // printing --help to `out`, 2 after printing a usage error to `err`.
    std::optional<int> parse(const args& a, std::ostream& out, std::ostream& err);
    std::optional<int> parse(const args& a);  // std::cout, std::cerr

    std::string usage() const;  // "usage: hpsgen list [options] SPEC"
    std::string help() const;  // usage, summary, arguments, options, epilog

    // A usage error found after parse (options that go together, a value the command
    // checks itself): prints the message, the usage and a pointer to --help to `err`;
    // returns 2.
    int usage_error(std::ostream& err, const std::string& message) const;

private:
    struct positional_arg {
        std::string name, help;
        std::string* target;
        bool required;
    };
    struct option_arg {
        std::string name, metavar, help;
        char short_name;
        // a flag, an option with a value, one that may be absent, a count; none: --help
        std::variant<std::monostate, bool*, std::string*, std::optional<std::string>*, std::size_t*> target;
        std::vector<std::string> choices;
        bool takes_value() const { return target.index() > 1; }
    };
    const option_arg* find_long(const std::string& name) const;
    const option_arg* find_short(char c) const;

    std::string command_, summary_, epilog_;
    std::vector<positional_arg> positionals_;
    std::vector<option_arg> options_;
};

}  // namespace hps::cli
