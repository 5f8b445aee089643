// Generation: every emitted file of the golden studies equals the stored one
// (HPS_REFRESH_GOLDEN=1 rewrites them), emission is deterministic, and the template and
// escaping rules hold.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "dsl/check.hpp"
#include "dsl/printer.hpp"
#include "grammar/parse.hpp"
#include "generator/emit.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

hps::memory_sink emit(const fs::path& spec) {
    hps::source src(spec.filename().string(), slurp(spec));
    hps::diagnostics diags;
    hps::ast::study_file file;
    REQUIRE_MESSAGE(hps::parse(src, file, diags), hps::format(diags));
    auto s = hps::check(src, file, diags);
    REQUIRE_MESSAGE(s.has_value(), hps::format(diags));
    hps::emit_options opt;
    opt.spec_display = spec.filename().string();
    opt.canonical_spec = hps::print(file);
    opt.include_runtime = false;
    hps::memory_sink sink;
    hps::emit_study(*s, opt, sink);
    return sink;
}

}  // namespace

TEST_CASE("generated files match the golden files") {
    const bool refresh = std::getenv("HPS_REFRESH_GOLDEN") && std::string(std::getenv("HPS_REFRESH_GOLDEN")) == "1";
    int studies = 0;
    for (const auto& entry : fs::directory_iterator(HPS_GOLDEN_DIR)) {
        if (entry.path().extension() != ".hps") continue;
        ++studies;
        const fs::path expected_dir = fs::path(HPS_GOLDEN_DIR) / entry.path().stem();
        auto sink = emit(entry.path());
        if (refresh) {
            fs::remove_all(expected_dir);
            for (const auto& [rel, contents] : sink.files) {
                fs::create_directories((expected_dir / rel).parent_path());
                std::ofstream(expected_dir / rel, std::ios::binary) << contents;
            }
            continue;
        }
        INFO("study ", entry.path().filename().string(),
             "; if the change is intended, refresh with: HPS_REFRESH_GOLDEN=1 ctest -R '^generate$'");
        std::set<std::string> stored;
        for (const auto& f : fs::recursive_directory_iterator(expected_dir))
            if (f.is_regular_file()) stored.insert(fs::relative(f.path(), expected_dir).generic_string());
        std::set<std::string> emitted;
        for (const auto& [rel, contents] : sink.files) emitted.insert(rel);
        CHECK(emitted == stored);
        for (const auto& [rel, contents] : sink.files) {
            INFO("file ", rel);
            CHECK(contents == slurp(expected_dir / rel));
        }
    }
    CHECK(studies >= 1);
}

TEST_CASE("emission is deterministic") {
    const fs::path spec = fs::path(HPS_GOLDEN_DIR) / "small.hps";
    auto a = emit(spec), b = emit(spec);
    CHECK(a.files == b.files);
    for (const auto& [rel, contents] : a.files) {
        INFO(rel);
        CHECK(contents.find(HPS_GOLDEN_DIR) == std::string::npos);  // no absolute paths
    }
}

TEST_CASE("templates: a missing or unused placeholder is an error") {
    CHECK(hps::render("a {{x}} b", {{"x", "1"}}) == "a 1 b");
    CHECK_THROWS_AS(hps::render("a {{x}} {{y}}", {{"x", "1"}}), std::logic_error);
    CHECK_THROWS_AS(hps::render("a {{x}}", {{"x", "1"}, {"z", "2"}}), std::logic_error);
    CHECK_THROWS_AS(hps::render("a {{x", {{"x", "1"}}), std::logic_error);
}

TEST_CASE("user text is escaped into C++ string literals") {
    CHECK(hps::cpp_string("plain") == "\"plain\"");
    CHECK(hps::cpp_string("a \"quoted\" \\ path") == "\"a \\\"quoted\\\" \\\\ path\"");
    CHECK(hps::cpp_string("line\nbreak\ttab") == "\"line\\nbreak\\ttab\"");
    CHECK(hps::cpp_string("?" "?=") == "\"\\?\\?=\"");  // never a trigraph
    CHECK(hps::cpp_string(std::string("\x01" "1", 2)) == "\"\\0011\"");  // octal escapes never swallow a digit
}

TEST_CASE("fingerprints differ when the trainer differs") {
    CHECK(hps::fingerprint("a") != hps::fingerprint("b"));
    CHECK(hps::fingerprint("abc") == hps::fingerprint("abc"));
    CHECK(hps::fingerprint("").size() == 16);
}
