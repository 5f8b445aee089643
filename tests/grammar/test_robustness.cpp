// Robustness: the parser never throws, never crashes or hangs, and always explains a
// refusal; what it accepts round-trips through the printer; its time grows linearly.
//
// Deterministic by default; HPS_FUZZ_SEED=<n> picks other inputs and
// HPS_FUZZ_SCALE=<k> multiplies their number (for a longer run by hand).
#include "parser_test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace fs = std::filesystem;
using namespace hps::test;

namespace {

unsigned env_number(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v && *v ? unsigned(std::strtoul(v, nullptr, 10)) : fallback;
}

std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s.substr(0, 400)) {
        if (c == '\n') out += "\\n";
        else if (c == '\\') out += "\\\\";
        else if (c >= 32 && c < 127) out += char(c);
        else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    return s.size() > 400 ? out + "..." : out;
}

// Tallies inputs and keeps the first few that break a rule.
struct fuzz_run {
    int accepted = 0, rejected = 0, problems = 0;
    std::string report;

    void problem(const std::string& what, const std::string& input) {
        if (++problems <= 5) report += what + " for input \"" + printable(input) + "\"\n";
    }

    void check(const std::string& input) {
        parsed p;
        try {
            p = parse_text(input, "fuzz.hps");
        } catch (const std::exception& e) {
            return problem(std::string("parse threw ") + e.what(), input);
        } catch (...) {
            return problem("parse threw", input);
        }
        if (p.ok) {
            ++accepted;
            if (!p.diags.empty()) problem("accepted with diagnostics", input);
            std::string printed = hps::print(p.file);
            auto again = parse_text(printed, "printed.hps");
            if (!again.ok)
                problem("its print does not parse (" + again.errors() + ")", input);
            else if (dump(again.file) != dump(p.file) || hps::print(again.file) != printed)
                problem("its print parses to another AST", input);
            // with its comments (hpsgen fmt): the same AST again, no comment lost, and
            // formatting the result changes nothing
            std::string with_comments = hps::print(p.file, *p.src);
            auto commented = parse_text(with_comments, "printed.hps");
            if (!commented.ok)
                problem("its print with comments does not parse (" + commented.errors() + ")", input);
            else if (dump(commented.file) != dump(p.file))
                problem("its print with comments parses to another AST", input);
            else if (comments_of(with_comments) != comments_of(input))
                problem("its print loses or reorders comments", input);
            else if (hps::print(commented.file, *commented.src) != with_comments)
                problem("its print with comments is not a fixed point of fmt", input);
            return;
        }
        ++rejected;
        if (p.diags.error_count() != 1) return problem("rejected with " + std::to_string(p.diags.error_count()) + " errors", input);
        const auto& d = p.diags.items()[0];
        if (d.file != "fuzz.hps" || d.line < 1 || d.column < 1 || d.length < 1)
            return problem("a diagnostic without a location: " + hps::format(d), input);
        if (d.message.rfind("expected ", 0) != 0 || d.message.find(", found ") == std::string::npos)
            return problem("a diagnostic not of the form 'expected ..., found ...': " + d.message, input);
        std::string unquoted;  // the message without the user's own words, which are quoted
        bool quoted = false;
        for (char c : d.message) {
            if (c == '\'') quoted = !quoted;
            else if (!quoted) unquoted += c;
        }
        for (const char* internal : {"boost", "N5", "_class", "::", "spirit", "x3", "_def"})
            if (unquoted.find(internal) != std::string::npos)
                return problem("a diagnostic that shows the parser's internals: " + d.message, input);
    }
};

const std::vector<std::string> vocabulary = {
    "study", "let", "tuples", "where", "step", "log", "x", "and", "or", "not", "{", "}", "(", ")", ",", "..",
    "=", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "1", "-3", "0.5", "1e-5", "1/255", "1/0",
    "28x28", "128", "\"s\"", "\"a\\\"b\"", "\"", "name", "conv2d1.filters", "network", "dense", "units", "#c",
    "\n", "\n", "\n", "\r\n", "\t", " ", " ", "1e999", ".", "x1", "stepsize", "\\", std::string(1, '\0'), "\xC3\xA9"};

std::vector<std::string> golden_corpus() {
    std::vector<std::string> corpus;
    for (const char* folder : {"fmt", "syntax"})
        for (const auto& path : golden_specs(folder)) corpus.push_back(read_file(path));
    return corpus;
}

std::string mutate(std::string s, std::mt19937& rng) {
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n ? n - 1 : 0)(rng); };
    int const edits = 1 + int(pick(4));
    for (int e = 0; e < edits; ++e) {
        std::size_t const at = pick(s.size() + 1);
        switch (pick(9)) {
            case 0:  // delete a character
                if (at < s.size()) s.erase(at, 1);
                break;
            case 1: {  // insert a character
                static const char chars[] = " \t\n\r#{}(),.=<>!-+*/%\"\\x0123456789abcestpglno\0\xff";
                s.insert(at, 1, chars[pick(sizeof chars - 1)]);
                break;
            }
            case 2:  // replace a character by any byte
                if (at < s.size()) s[at] = char(pick(256));
                break;
            case 3: {  // delete a token
                std::size_t b = s.find_last_of(" \t\n", at == 0 ? 0 : at - 1);
                b = b == std::string::npos ? 0 : b;
                std::size_t end = s.find_first_of(" \t\n", at);
                s.erase(b, (end == std::string::npos ? s.size() : end) - b);
                break;
            }
            case 4: {  // duplicate a token
                std::size_t end = s.find_first_of(" \t\n", at);
                std::string token = s.substr(at, (end == std::string::npos ? s.size() : end) - at);
                s.insert(at, token + " ");
                break;
            }
            case 5:  // insert a vocabulary token
                s.insert(at, " " + vocabulary[pick(vocabulary.size())] + " ");
                break;
            case 6: {  // delete a line
                std::size_t b = s.rfind('\n', at);
                b = b == std::string::npos ? 0 : b;
                std::size_t end = s.find('\n', at);
                s.erase(b, (end == std::string::npos ? s.size() : end) - b);
                break;
            }
            case 7: {  // duplicate a line
                std::size_t b = s.rfind('\n', at);
                b = b == std::string::npos ? 0 : b;
                std::size_t end = s.find('\n', at);
                s.insert(b, s.substr(b, (end == std::string::npos ? s.size() : end) - b));
                break;
            }
            default:  // truncate
                s.resize(at);
        }
    }
    return s;
}

template <typename F>
double seconds(F&& f) {
    auto const t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_SUITE("robustness") {

TEST_CASE("random bytes, token soup and mutated golden specs: no throw, a located message, a round trip") {
    unsigned const seed = env_number("HPS_FUZZ_SEED", 20240611);
    unsigned const scale = std::max(1u, env_number("HPS_FUZZ_SCALE", 1));
    CAPTURE(seed);
    std::mt19937 rng(seed);
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    fuzz_run run;

    for (unsigned i = 0; i < 1000 * scale; ++i) {  // random bytes, half after a valid header
        std::string s = i % 2 ? "study s\n" : "";
        for (std::size_t n = pick(300); n > 0; --n) s += char(pick(256));
        run.check(s);
    }
    for (unsigned i = 0; i < 1500 * scale; ++i) {  // token soup
        std::string s = i % 4 ? "study s\n" : "";
        if (i % 3 == 0) s += "b {\n";
        for (std::size_t n = 1 + pick(60); n > 0; --n) s += vocabulary[pick(vocabulary.size())] + (pick(3) ? " " : "");
        run.check(s);
    }
    auto const corpus = golden_corpus();
    REQUIRE(corpus.size() > 20);
    for (unsigned i = 0; i < 3500 * scale; ++i) run.check(mutate(corpus[pick(corpus.size())], rng));

    INFO(run.report);
    CHECK(run.problems == 0);
    // both outcomes must be well represented, or the inputs test little
    CHECK(run.accepted > 300);
    CHECK(run.rejected > 3000);
    MESSAGE("fuzz: " << run.accepted << " accepted, " << run.rejected << " rejected");
}

TEST_CASE("huge and pathological inputs end with an answer") {
    fuzz_run run;
    run.check(std::string(200000, '('));
    run.check("study s\nwhere " + std::string(200000, '('));
    run.check("study s\nwhere " + std::string(200000, '-') + "a");
    std::string nots = "study s\nwhere ";
    for (int i = 0; i < 50000; ++i) nots += "not ";
    run.check(nots + "a\n");
    run.check("study s\nlet v = " + std::string(100000, '{'));
    run.check("study s\n" + std::string(200000, '\n'));
    run.check("study s\n" + std::string(200000, '#'));
    run.check("study s\nb {\n  h " + std::string(200000, 'a') + "\n}\n");
    run.check("study s\nb {\n  h \"" + std::string(200000, 'a') + "\n}\n");
    run.check(std::string(100000, '\0'));
    run.check("study s\nlet v = " + std::string(100000, '9') + "\n");  // an integer of 100000 digits
    run.check("study s\nlet v = 0." + std::string(100000, '1') + "\n");

    std::string long_line = "study s\nb {\n  head";
    for (int i = 0; i < 50000; ++i) long_line += " k" + std::to_string(i) + " {1, 2}";
    run.check(long_line + "\n}\n");
    std::string long_where = "study s\nwhere a";
    for (int i = 0; i < 50000; ++i) long_where += i % 2 ? " + a" : " * (b - 1)";
    run.check(long_where + " > 0\n");
    std::string many_rows = "study s\ntuples (a, b) {\n";
    for (int i = 0; i < 50000; ++i) many_rows += "  (" + std::to_string(i) + ", x" + std::to_string(i) + ")\n";
    run.check(many_rows + "}\n");

    INFO(run.report);
    CHECK(run.problems == 0);
    CHECK(run.accepted == 7);
}

TEST_CASE("parse time grows linearly with the size of the spec") {
    std::string const one = read_file(golden_dir() / "fmt" / "design_example.hps");
    std::size_t const body = one.find("\ndata {");
    REQUIRE(body != std::string::npos);
    std::string hundred = one;
    for (int i = 1; i < 100; ++i) hundred += one.substr(body);
    REQUIRE(parse_text(hundred).ok);

    // Best of several rounds, small and large alternating, so that a busy machine (ctest
    // runs suites in parallel) does not decide; the parses alone are timed.
    bool all_ok = true;
    auto per_parse = [&](const std::string& text, int reps) {
        return seconds([&] {
                   for (int i = 0; i < reps; ++i) all_ok = parse_text(text).ok && all_ok;
               }) /
               reps;
    };
    double small = 1e9, large = 1e9;
    for (int round = 0; round < 7; ++round) {
        small = std::min(small, per_parse(one, 20));
        large = std::min(large, per_parse(hundred, 1));
    }
    CHECK(all_ok);
    MESSAGE("parse: " << one.size() << " bytes in " << small * 1e6 << " us, " << hundred.size() << " bytes in "
                      << large * 1e6 << " us (x" << large / small << ")");
    CHECK(large < 300 * small);
}

}  // TEST_SUITE
