// hpsgen help [TOPIC]: the pages of docs/, compiled into hpsgen (cmake/embed.cmake), so
// that a login node without the source tree has them too. A topic is a page's name
// (docs/slurm.md: slurm); a page added to docs/ is a topic at the next build.
#include "dsl/schema.hpp"
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/embedded.hpp"

#include <iostream>

namespace hps::cli {

namespace {

// The pages a command's --help points to, in the order to read them.
struct command_pages {
    std::string_view command;
    std::vector<std::string_view> topics;
};
const std::vector<command_pages> pages_of_commands = {
    {"check", {"language", "tutorial"}},  {"list", {"language"}},         {"fmt", {"language"}},
    {"generate", {"tutorial", "language"}}, {"run", {"tutorial", "performance"}}, {"report", {"tutorial"}},
    {"submit", {"slurm"}},                {"status", {"slurm"}},          {"promote", {"slurm", "search"}},
    {"export", {"tutorial"}},
};

constexpr std::string_view docs_prefix = "docs/", page_suffix = ".md";

std::string topic_of(std::string_view path) {
    path.remove_prefix(docs_prefix.size());
    path.remove_suffix(page_suffix.size());
    return std::string(path);
}

}  // namespace

std::vector<doc_page> doc_pages() {
    std::vector<doc_page> out;
    for (const auto& f : embedded::files) {
        std::string_view path = f.path;
        if (path.substr(0, docs_prefix.size()) != docs_prefix || path.size() <= docs_prefix.size() + page_suffix.size() ||
            path.substr(path.size() - page_suffix.size()) != page_suffix ||
            path.find('/', docs_prefix.size()) != std::string_view::npos)
            continue;
        out.push_back({topic_of(path), std::string(path), page_summary(f.contents), f.contents});
    }
    return out;
}

std::string page_summary(std::string_view page) {
    // its title, the first `# ` line (a generated page starts with a comment)
    for (std::size_t at = 0; at < page.size();) {
        std::size_t end = page.find('\n', at);
        if (end == std::string_view::npos) end = page.size();
        std::string_view line = page.substr(at, end - at);
        if (line.substr(0, 2) == "# ") return std::string(line.substr(2));
        at = end + 1;
    }
    return "";
}

std::string topics_text() {
    std::string out = "topics ('hpsgen help TOPIC' prints the page docs/TOPIC.md):\n";
    for (const auto& p : doc_pages()) {
        out += "  " + p.name + std::string(p.name.size() < 12 ? 12 - p.name.size() : 1, ' ') + p.summary + "\n";
    }
    return out;
}

std::string pages_for_command(std::string_view command) {
    for (const auto& c : pages_of_commands) {
        if (c.command != command) continue;
        std::string paths, commands;
        for (auto t : c.topics) {
            paths += std::string(paths.empty() ? "" : ", ") + "docs/" + std::string(t) + ".md";
            commands += std::string(commands.empty() ? "" : ", ") + "hpsgen help " + std::string(t);
        }
        return "pages: " + paths + " (" + commands + ")\n";
    }
    return "";
}

int help(const args& a) {
    std::string topic;
    bool summary = false;
    arg_parser p("help", "Prints one of hpsgen's pages (docs/TOPIC.md, compiled into hpsgen), or the\n"
                         "--help of a command. Without TOPIC: the commands and the topics.");
    p.positional("TOPIC", "a topic (tutorial, language, slurm, performance, design, runtime, ...) or a command",
                 topic, false);
    p.flag("summary", 0, "print where the page is and its title, not the page", summary);
    p.epilog("examples:\n  hpsgen help tutorial | less\n  hpsgen help slurm --summary\n  hpsgen help run");
    if (auto status = p.parse(a)) return *status;
    if (topic.empty()) {
        std::cout << topics_text();
        return 0;
    }
    std::vector<std::string> names;
    for (const auto& page : doc_pages()) {
        names.push_back(page.name);
        if (page.name != topic) continue;
        if (summary)
            std::cout << page.path << ": " << page.summary << "\n";
        else
            std::cout << page.text << (page.text.empty() || page.text.back() == '\n' ? "" : "\n");
        return 0;
    }
    return p.usage_error(std::cerr, "no topic '" + topic + "'" + schema::did_you_mean(topic, names) +
                                        "; the topics: " + schema::join(names));
}

}  // namespace hps::cli
