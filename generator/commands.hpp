// hpsgen's subcommands. Each takes its arguments after the subcommand name, prints
// its own --help, and returns the process exit status: 0 success, 1 the input was
// wrong (diagnostics printed), 2 the command line was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hps::cli {

using args = std::vector<std::string>;

int check(const args& a);
int list(const args& a);
int fmt(const args& a);
int generate(const args& a);
int run(const args& a);
int report(const args& a);
int submit(const args& a);
int status(const args& a);
int promote(const args& a);  // a halving study's promotion job (generator/slurm_halving.cpp)
int export_model(const args& a);  // "export"
int help(const args& a);  // "help TOPIC": a page of docs/ (generator/cmd_help.cpp)

// The pages of docs/ compiled into hpsgen: docs/slurm.md is the topic slurm.
struct doc_page {
    std::string name, path, summary;  // slurm, docs/slurm.md, its title
    std::string_view text;
};
std::vector<doc_page> doc_pages();
// A Markdown page's title: its first `# ` line.
std::string page_summary(std::string_view page);
// The topics and their summaries, for `hpsgen help` and `hpsgen --help`.
std::string topics_text();
// "pages: docs/slurm.md (hpsgen help slurm)\n" for a command's --help; "" for none.
std::string pages_for_command(std::string_view command);

}  // namespace hps::cli
