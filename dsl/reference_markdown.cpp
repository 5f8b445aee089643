// docs/language.md: the language's table (dsl/schema.cpp, dsl/layers/) as a Markdown page,
// every statement with its examples. `hpsgen check --reference --markdown` prints it and
// tests/generator/cli (docs_language) fails when docs/language.md differs, so the page and
// `hpsgen check --reference` (the same table as text) cannot disagree.
#include "dsl/schema.hpp"

#include <algorithm>

namespace hps::schema {

namespace {

// A value of this kind that the checker accepts, for a head without its own example.
std::string some_value(const value_spec& v, const std::string& default_text) {
    switch (v.kind) {
    case value_kind::choice:
        for (const auto& c : v.choices)
            if (c == default_text) return c;
        return v.choices.empty() ? "none" : v.choices.front();
    case value_kind::integer: return number_text(std::max(v.min.value_or(1), 1.0));
    case value_kind::real: {
        if (v.min && v.max) return number_text((*v.min + *v.max) / 2);
        if (v.min) return number_text(*v.min + 1);
        if (v.max) return number_text(*v.max - 1);
        return "1";
    }
    case value_kind::string:
        switch (v.format) {
        case string_format::slurm_mem: return "\"4G\"";
        case string_format::slurm_time: return "\"10:00:00\"";
        case string_format::duration: return "\"10min\"";
        default: return "\"text\"";
        }
    case value_kind::dims: return "28 x 28 x 1";
    case value_kind::name: return "accuracy";
    }
    return "1";
}

// `|` ends a table cell; the table's texts are plain otherwise
std::string cell(const std::string& text) {
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

std::string code(const std::string& text) { return "`" + text + "`"; }

std::string signature(const head_spec& h) {
    std::string line = h.name;
    if (h.positional) {
        std::string p = metavar(h);
        line += h.positional_required && h.positional_default.empty() ? " " + p : " [" + p + "]";
    }
    return line;
}

std::string value_text(const value_spec& v) {
    return describe(v) + (v.rangeable ? "; may be an axis" : "");
}

void write_head(std::string& out, const head_spec& h) {
    out += "### " + code(signature(h)) + "\n\n";
    std::vector<std::string> marks;
    if (h.required) marks.push_back("required");
    if (h.repeatable) marks.push_back("repeatable");
    out += h.help + (marks.empty() ? "" : " (" + join(marks) + ")") + ".\n\n";
    if (!h.usage.empty()) out += "Usage: " + code(h.usage) + "\n\n";
    if (h.metric) out += "For " + join(metric_targets(*h.metric), " and ") + " targets.\n\n";
    if (h.positional || !h.options.empty()) {
        out += "| value | accepts | default | meaning |\n| --- | --- | --- | --- |\n";
        if (h.positional)
            out += "| " + code(metavar(h)) + " | " + cell(value_text(*h.positional)) + " | " +
                   cell(h.positional_default) + " | the value after `" + h.name + "` |\n";
        for (const auto& o : h.options) {
            std::string def = o.required ? "required" : o.default_text;
            for (const auto& [c, d] : o.default_with) def += "; " + c + ": " + d;
            std::string meaning = o.help;
            if (!o.only_with.empty()) meaning += " (" + join(o.only_with) + " only)";
            out += "| " + code(o.key) + " | " + cell(value_text(o.value)) + " | " + cell(def) + " | " + cell(meaning) +
                   " |\n";
        }
        out += "\n";
    }
    out += "```\n";
    for (const auto& e : examples(h)) out += e + "\n";
    out += "```\n\n";
}

}  // namespace

std::vector<std::string> examples(const head_spec& h) {
    std::vector<std::string> out;
    if (!h.example.empty()) {
        std::size_t at = 0;
        while (at <= h.example.size()) {
            std::size_t end = h.example.find('\n', at);
            if (end == std::string::npos) end = h.example.size();
            if (end > at) out.push_back(h.example.substr(at, end - at));
            at = end + 1;
        }
        return out;
    }
    std::string line = h.name;
    if (h.positional && (h.positional_required || !h.positional_default.empty()))
        line += " " + some_value(*h.positional, h.positional_default);
    for (const auto& o : h.options)
        if (o.required) line += " " + o.key + " " + some_value(o.value, o.default_text);
    out.push_back(line);
    return out;
}

std::string reference_markdown() {
    std::string out =
        "<!-- Generated from the language's table (dsl/schema.cpp, dsl/layers/) by\n"
        "     `hpsgen check --reference --markdown`; do not edit. Refresh it with\n"
        "     build/release/generator/hpsgen check --reference --markdown > docs/language.md -->\n"
        "# The .hps language: every block, statement and option\n\n"
        "A study is one `.hps` file: a line `study NAME [\"title\"]`, then blocks (`data { ... }`), one\n"
        "statement a line, and around them `let`, `tuples` and `where`. This page lists every block,\n"
        "statement and option with examples. It is generated from the table that `hpsgen check`\n"
        "checks a spec against and that `hpsgen check --reference` prints as text, so the three agree;\n"
        "every example on it is checked by the tests. The grammar is\n"
        "[grammar/hps.ebnf](../grammar/hps.ebnf); [the tutorial](tutorial.md) writes a study step by\n"
        "step.\n\n"
        "## Statements and axes\n\n"
        "A statement is `head [value] {key value}`: in `optimizer adam lr 1e-5` the head is `optimizer`,\n"
        "its value `adam`, and `lr 1e-5` an option. Where a value \"may be an axis\", it may be one of\n"
        "these, and each adds an axis to the grid (the points are every combination of the axes'\n"
        "values, numbered from 0 with the axis declared last varying fastest):\n\n"
        "| form | written | example |\n"
        "| --- | --- | --- |\n"
        "| a set | `{a, b, ...}` | `filters {8, 16, 32}`, `activation {relu, elu}` |\n"
        "| a linear range | `lo..hi step s` | `units 128..1024 step 128` (8 values) |\n"
        "| a log range | `lo..hi log n` | `lr 1e-5..1e-2 log 4` (1e-5, 1e-4, 1e-3, 1e-2) |\n"
        "| a named axis | `let NAME = VALUE`, then NAME | `activation act` ([below](#around-the-blocks)) |\n\n"
        "An axis is named after its statement and option (`conv2d1.filters`: the first conv2d's filters;\n"
        "`train.batch`), which `tuples`, `where`, `hpsgen list` and the reports use. Comments run from\n"
        "`#` to the end of the line.\n\n"
        "Blocks: ";
    for (const auto& b : blocks()) out += "[" + code(b.name) + "](#" + b.name + "), ";
    out += "and [around the blocks](#around-the-blocks).\n";
    for (const auto& b : blocks()) {
        out += "\n## " + b.name + "\n\n" + code(b.name + " { ... }") + (b.required ? " (required): " : ": ") + b.help +
               ".\n\n";
        std::vector<std::string> listed, unsupported;
        for (const auto& h : b.heads) (h.unsupported ? unsupported : listed).push_back(code(h.name));
        out += "Statements: " + join(listed) + ".\n";
        for (const auto& g : b.one_of) {
            std::vector<std::string> names;
            for (const auto& n : g) names.push_back(code(n));
            out += "Exactly one of " + join(names) + ".\n";
        }
        if (!unsupported.empty()) out += "Not supported yet: " + join(unsupported) + ".\n";
        out += "\n";
        for (const auto& h : b.heads)
            if (!h.unsupported) write_head(out, h);
    }
    out += "## Around the blocks\n\n| form | meaning | example |\n| --- | --- | --- |\n";
    for (const auto& f : top_level_forms())
        out += "| " + code(f.usage) + " | " + cell(f.help) + " | " + code(f.example) + " |\n";
    out += "\nThe three together, with the network they name:\n\n```\n";
    out += top_level_forms()[0].example + "\n\nnetwork {\n";
    std::string_view net = top_level_network;
    while (!net.empty()) {
        auto end = net.find('\n');
        out += "  " + std::string(net.substr(0, end)) + "\n";
        net = end == std::string_view::npos ? std::string_view() : net.substr(end + 1);
    }
    out += "}\n\n";
    for (std::size_t i = 1; i < top_level_forms().size(); ++i) out += top_level_forms()[i].example + "\n";
    out += "```\n";
    return out;
}

}  // namespace hps::schema
