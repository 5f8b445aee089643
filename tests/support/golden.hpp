// Golden files, for every suite that compares its output with stored text (the parser's
// tests/grammar/golden/{fmt,syntax}, the checker's tests/dsl/golden/{check,data}, the
// generator's tests/generator/generate/golden):
//   check_file    one output against one expected file
//   check_folder  a set of files (relative path -> contents) against a folder
// A missing or different file fails the current doctest case (not fatally: the other
// files are still compared) with a line diff of expected and actual and the exact
// command that refreshes the expected files. With HPS_REFRESH_GOLDEN=1 they write the
// output as the new expected files instead (review the diff before committing it).
//
// The refresh command names the ctest test and, where the suite defines
// HPS_TEST_BUILD_DIR, the build folder it runs in.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace hps_test::golden {

inline bool refreshing() {
    const char* v = std::getenv("HPS_REFRESH_GOLDEN");
    return v && std::string(v) == "1";
}

// The command that rewrites the expected files of the ctest test named `test`.
inline std::string refresh_command(const std::string& test) {
    std::string pattern = "^";
    for (const char c : test) {
        if (c == '.') pattern += '\\';
        pattern += c;
    }
    std::string command = "HPS_REFRESH_GOLDEN=1 ctest";
#ifdef HPS_TEST_BUILD_DIR
    command += " --test-dir " + std::string(HPS_TEST_BUILD_DIR);
#endif
    return command + " -R '" + pattern + "$'";
}

// `folder`: where the expected files are (for the git diff that reviews the refresh).
inline std::string refresh_hint(const std::string& test, const std::filesystem::path& folder) {
    return "if the new output is right, refresh the expected files with\n  " + refresh_command(test) +
           "\nand review the change (git diff -- " + folder.string() + ") before committing it";
}

// ------------------------------------------------------------------ line diff
// The lines of a text, each with its '\n'; a last line without one stays without.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        end = end == std::string::npos ? text.size() : end + 1;
        out.push_back(text.substr(at, end - at));
        at = end;
    }
    return out;
}

// A unified diff of two texts, "-" for expected lines, "+" for actual ones, with
// `context` unchanged lines around each change and "@@ -line +line @@" before each hunk.
inline std::string line_diff(const std::string& expected, const std::string& actual, std::size_t context = 3) {
    const auto a = lines_of(expected), b = lines_of(actual);
    std::size_t head = 0;  // common first and last lines stay out of the table below
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
    const std::size_t n = a.size() - head - tail, m = b.size() - head - tail;

    struct op {
        char kind;  // ' ', '-', '+'
        const std::string* line;
        std::size_t a_line, b_line;  // 1-based positions before this line
    };
    std::vector<op> ops;
    for (std::size_t i = 0; i < head; ++i) ops.push_back({' ', &a[i], i + 1, i + 1});
    if (n * m <= 4'000'000) {  // longest common subsequence of the middle lines
        std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
        for (std::size_t i = n; i-- > 0;)
            for (std::size_t j = m; j-- > 0;)
                lcs[i][j] = a[head + i] == b[head + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
        std::size_t i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[head + i] == b[head + j]) {
                ops.push_back({' ', &a[head + i], head + i + 1, head + j + 1});
                ++i, ++j;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                ops.push_back({'-', &a[head + i], head + i + 1, head + j + 1});
                ++i;
            } else {
                ops.push_back({'+', &b[head + j], head + i + 1, head + j + 1});
                ++j;
            }
        }
    } else {  // too large to align: every middle line out, then every one in
        for (std::size_t i = 0; i < n; ++i) ops.push_back({'-', &a[head + i], head + i + 1, head + 1});
        for (std::size_t j = 0; j < m; ++j) ops.push_back({'+', &b[head + j], head + n + 1, head + j + 1});
    }
    for (std::size_t k = 0; k < tail; ++k)
        ops.push_back({' ', &a[head + n + k], head + n + k + 1, head + m + k + 1});

    std::vector<bool> shown(ops.size(), false);
    for (std::size_t k = 0; k < ops.size(); ++k)
        if (ops[k].kind != ' ')
            for (std::size_t s = k > context ? k - context : 0; s < std::min(ops.size(), k + context + 1); ++s) shown[s] = true;
    std::string out;
    for (std::size_t k = 0; k < ops.size(); ++k) {
        if (!shown[k]) continue;
        if (k == 0 || !shown[k - 1])
            out += "@@ -" + std::to_string(ops[k].a_line) + " +" + std::to_string(ops[k].b_line) + " @@\n";
        out += ops[k].kind;
        out += *ops[k].line;
        if (ops[k].line->empty() || ops[k].line->back() != '\n') out += "\n\\ no newline at the end\n";
    }
    if (out.empty()) out = "(the texts differ in no line: a character the line split does not see)\n";
    return out;
}

// ------------------------------------------------------------------ comparison
// The golden cases of a folder: its files ending in `extension` (".hps"), sorted by name.
inline std::vector<std::filesystem::path> cases(const std::filesystem::path& dir, const std::string& extension) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == extension) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write(const std::filesystem::path& p, const std::string& text) {
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// Compares actual with the file `expected`, or, when refreshing, writes it there.
// `test` is the ctest test that compares it (for the refresh command). Returns whether
// they agree (always, when refreshing).
inline bool check_file(const std::filesystem::path& expected, const std::string& actual, const std::string& test) {
    if (refreshing()) {
        write(expected, actual);
        return true;
    }
    if (!std::filesystem::exists(expected)) {
        FAIL_CHECK(expected.string() << " is missing; " << refresh_hint(test, expected.parent_path()));
        return false;
    }
    const std::string stored = read(expected);
    if (stored == actual) return true;
    FAIL_CHECK(expected.string() << " differs from the output (- expected, + actual):\n"
                                 << line_diff(stored, actual) << refresh_hint(test, expected.parent_path()));
    return false;
}

// Compares a set of files (path relative to `dir` -> contents) with the regular files
// under `dir`: the same paths, each with the same contents. Refreshing replaces the
// folder's contents with them. Returns whether they agree.
inline bool check_folder(const std::filesystem::path& dir, const std::map<std::string, std::string>& files,
                         const std::string& test) {
    namespace fs = std::filesystem;
    if (refreshing()) {
        fs::remove_all(dir);
        for (const auto& [rel, contents] : files) write(dir / rel, contents);
        return true;
    }
    std::set<std::string> stored;
    if (fs::is_directory(dir))
        for (const auto& f : fs::recursive_directory_iterator(dir))
            if (f.is_regular_file()) stored.insert(fs::relative(f.path(), dir).generic_string());
    std::string missing, extra;
    for (const auto& [rel, contents] : files)
        if (!stored.count(rel)) missing += "\n  " + rel;
    for (const auto& rel : stored)
        if (!files.count(rel)) extra += "\n  " + rel;
    bool same = missing.empty() && extra.empty();
    if (!same)
        FAIL_CHECK(dir.string() << " holds other files than the output:"
                                << (missing.empty() ? "" : "\nwritten, but not in the folder:" + missing)
                                << (extra.empty() ? "" : "\nin the folder, but no longer written:" + extra) << "\n"
                                << refresh_hint(test, dir));
    for (const auto& [rel, contents] : files)
        if (stored.count(rel)) same = check_file(dir / rel, contents, test) && same;
    return same;
}

}  // namespace hps_test::golden
