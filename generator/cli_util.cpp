#include "generator/cli_util.hpp"

#include "dsl/check.hpp"
#include "grammar/parse.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace hps::cli {

std::optional<std::string> read_file(const std::string& path, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        error = "cannot read '" + path + "': " + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    bool failed = std::ferror(f) != 0;
    int code = errno;  // a directory opens, then fails to read with EISDIR
    std::fclose(f);
    if (failed) {
        error = "cannot read '" + path + "': " + std::strerror(code);
        return std::nullopt;
    }
    return text;
}

std::optional<parsed_spec> parse_spec(const std::string& path, std::ostream& err) {
    std::string error;
    auto text = read_file(path, error);
    if (!text) {
        err << "hpsgen: " << error << "\n";
        return std::nullopt;
    }
    parsed_spec spec;
    spec.src = std::make_unique<source>(path, std::move(*text));
    diagnostics diags;
    if (!parse(*spec.src, spec.file, diags) || diags.has_errors()) {
        err << format(diags);
        if (!diags.has_errors()) err << path << ": error: the spec could not be parsed\n";
        return std::nullopt;
    }
    err << format(diags);  // warnings, if the parser has any
    return spec;
}

std::optional<study> read_spec(const std::string& path, std::ostream& err, std::optional<parsed_spec>& parsed) {
    parsed = parse_spec(path, err);
    if (!parsed) return std::nullopt;
    diagnostics diags;
    auto s = check(*parsed->src, parsed->file, diags);
    err << format(diags);
    if (!s || diags.has_errors()) {
        std::size_t n = diags.error_count();
        err << path << ": " << n << (n == 1 ? " error" : " errors") << "\n";
        return std::nullopt;
    }
    return s;
}

std::optional<study> read_spec(const std::string& path, std::ostream& err) {
    std::optional<parsed_spec> parsed;
    return read_spec(path, err, parsed);
}

// ---------------------------------------------------------------------------------
// arg_parser
// ---------------------------------------------------------------------------------

arg_parser::arg_parser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {
    options_.push_back({"help", "", "print this help and exit", 'h', {}, {}});
}

void arg_parser::positional(std::string name, std::string help, std::string& target, bool required) {
    positionals_.push_back({std::move(name), std::move(help), &target, required});
}

void arg_parser::flag(std::string name, char short_name, std::string help, bool& target) {
    options_.push_back({std::move(name), "", std::move(help), short_name, &target, {}});
}

void arg_parser::option(std::string name, std::string metavar, std::string help, std::string& target,
                        std::vector<std::string> choices, char short_name) {
    options_.push_back({std::move(name), std::move(metavar), std::move(help), short_name, &target, std::move(choices)});
}

void arg_parser::option(std::string name, std::string metavar, std::string help, std::optional<std::string>& target,
                        char short_name) {
    options_.push_back({std::move(name), std::move(metavar), std::move(help), short_name, &target, {}});
}

void arg_parser::count(std::string name, std::string metavar, std::string help, std::size_t& target, char short_name) {
    options_.push_back({std::move(name), std::move(metavar), std::move(help), short_name, &target, {}});
}

const arg_parser::option_arg* arg_parser::find_long(const std::string& name) const {
    for (const auto& o : options_)
        if (o.name == name) return &o;
    return nullptr;
}

const arg_parser::option_arg* arg_parser::find_short(char c) const {
    for (const auto& o : options_)
        if (c && o.short_name == c) return &o;
    return nullptr;
}

std::string arg_parser::usage() const {
    std::string out = "usage: hpsgen " + command_;
    if (options_.size() > 1) out += " [options]";
    for (const auto& p : positionals_) out += p.required ? " " + p.name : " [" + p.name + "]";
    return out;
}

std::string arg_parser::help() const {
    std::string out = usage() + "\n\n" + summary_ + "\n";
    auto row = [](std::string left, std::string right) {
        for (std::size_t at = 0; (at = right.find('\n', at)) != std::string::npos; at += 25)
            right.insert(at + 1, std::string(24, ' '));
        left = "  " + left;
        if (left.size() < 24) return left + std::string(24 - left.size(), ' ') + right + "\n";
        return left + "\n" + std::string(24, ' ') + right + "\n";
    };
    if (!positionals_.empty()) {
        out += "\narguments:\n";
        for (const auto& p : positionals_) out += row(p.name, p.help);
    }
    out += "\noptions:\n";
    for (const auto& o : options_) {
        std::string left = o.short_name ? std::string("-") + o.short_name + ", --" + o.name : "    --" + o.name;
        if (o.takes_value()) left += " " + o.metavar;
        std::string right = o.help;
        if (!o.choices.empty()) {
            std::string all;
            for (const auto& c : o.choices) all += (all.empty() ? "" : "|") + c;
            right += " (" + all + ")";
        }
        out += row(left, right);
    }
    if (!epilog_.empty()) out += "\n" + epilog_ + (epilog_.back() == '\n' ? "" : "\n");
    if (std::string pages = pages_for_command(command_); !pages.empty()) out += "\n" + pages;
    return out;
}

int arg_parser::usage_error(std::ostream& err, const std::string& message) const {
    err << "hpsgen " << command_ << ": " << message << "\n"
        << usage() << "\n"
        << "run 'hpsgen " << command_ << " --help' for details\n";
    return 2;
}

std::optional<int> arg_parser::parse(const args& a) { return parse(a, std::cout, std::cerr); }

std::optional<int> arg_parser::parse(const args& a, std::ostream& out, std::ostream& err) {
    std::size_t next_positional = 0;
    bool options_done = false;
    auto take_value = [&](const option_arg& o, const std::string& value) -> std::optional<int> {
        if (!o.choices.empty()) {
            bool known = false;
            for (const auto& c : o.choices) known |= c == value;
            if (!known) {
                std::string all;
                for (std::size_t i = 0; i < o.choices.size(); ++i)
                    all += (i ? (i + 1 == o.choices.size() ? " or " : ", ") : "") + o.choices[i];
                return usage_error(err, "--" + o.name + " must be " + all + "; found '" + value + "'");
            }
        }
        if (auto* n = std::get_if<std::size_t*>(&o.target)) {
            if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos ||
                std::stoul(value) == 0)
                return usage_error(err, "--" + o.name + " needs a positive whole number, not '" + value + "'");
            **n = std::stoul(value);
        } else if (auto* v = std::get_if<std::string*>(&o.target)) {
            **v = value;
        } else {
            **std::get_if<std::optional<std::string>*>(&o.target) = value;
        }
        return std::nullopt;
    };
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string& arg = a[i];
        if (!options_done && arg == "--") {
            options_done = true;
            continue;
        }
        if (!options_done && arg.size() > 1 && arg[0] == '-') {
            const option_arg* o = nullptr;
            std::optional<std::string> inline_value;
            std::string shown = arg;
            if (arg.rfind("--", 0) == 0) {
                std::string name = arg.substr(2);
                if (auto eq = name.find('='); eq != std::string::npos) {
                    inline_value = name.substr(eq + 1);
                    name = name.substr(0, eq);
                    shown = "--" + name;
                }
                o = find_long(name);
            } else if (arg.size() == 2) {
                o = find_short(arg[1]);
            }
            if (!o) return usage_error(err, "unknown option '" + shown + "'");
            if (o->target.index() == 0) {
                out << help();
                return 0;
            }
            if (auto* flag = std::get_if<bool*>(&o->target)) {
                if (inline_value) return usage_error(err, "option --" + o->name + " takes no value");
                **flag = true;
                continue;
            }
            if (!inline_value) {
                if (i + 1 >= a.size())
                    return usage_error(err, "option --" + o->name + " needs a value (" + o->metavar + ")");
                inline_value = a[++i];
            }
            if (auto status = take_value(*o, *inline_value)) return status;
            continue;
        }
        if (next_positional >= positionals_.size()) return usage_error(err, "unexpected argument '" + arg + "'");
        *positionals_[next_positional++].target = arg;
    }
    for (std::size_t k = next_positional; k < positionals_.size(); ++k)
        if (positionals_[k].required) return usage_error(err, "missing " + positionals_[k].name);
    return std::nullopt;
}

}  // namespace hps::cli
