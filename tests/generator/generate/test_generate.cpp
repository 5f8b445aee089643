// Generation: every emitted file of the golden studies equals the stored one
// (HPS_REFRESH_GOLDEN=1 rewrites them; tests/support/golden.hpp compares), emission is
// deterministic, and the template and escaping rules hold.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "dsl/check.hpp"
#include "dsl/printer.hpp"
#include "grammar/parse.hpp"
#include "generator/emit.hpp"

#include "../../support/golden.hpp"

#include <hps/optimizers.hpp>

#include <algorithm>
#include <cmath>
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
    int studies = 0;
    for (const auto& entry : fs::directory_iterator(HPS_GOLDEN_DIR)) {
        if (entry.path().extension() != ".hps") continue;
        ++studies;
        INFO("study ", entry.path().filename().string());
        hps_test::golden::check_folder(fs::path(HPS_GOLDEN_DIR) / entry.path().stem(), emit(entry.path()).files,
                                       "generator.generate");
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

// One set of optimizer defaults: a generated trainer writes only the settings its spec
// gives, and the optimizer it builds has the same settings in force as the one a
// hand-written trainer gets from the same optimizer_config.
TEST_CASE("a generated and a hand-written trainer get the same optimizer settings") {
    const std::string head = "study t\ndata {\n  train \"t.npz\"\n  validation \"v.npz\"\n  input 3\n  target regression 1\n}\n"
                             "network {\n  dense units 1\n}\ntrain {\n  loss mse\n  steps 10\n";
    for (const auto& o : hps::optimizer_table) {
        CAPTURE(o.name);
        for (const std::string given : {"", " rho 0.8", " lr 0.05"}) {
            if (given == " rho 0.8" && std::isnan(o.defaults[std::size_t(hps::optimizer_setting::rho)])) continue;
            CAPTURE(given);
            hps::source src("t.hps", head + "  optimizer " + std::string(o.name) + given + "\n}\n");
            hps::diagnostics diags;
            hps::ast::study_file file;
            REQUIRE_MESSAGE(hps::parse(src, file, diags), hps::format(diags));
            auto s = hps::check(src, file, diags);
            REQUIRE_MESSAGE(s.has_value(), hps::format(diags));
            const hps::optimizer_config& generated = s->points.at(0).config.optimizer;
            // by hand: the kind, and the one setting written
            hps::optimizer_config by_hand{o.kind};
            if (given == " rho 0.8") by_hand.set(hps::optimizer_setting::rho, 0.8);
            if (given == " lr 0.05") by_hand.set(hps::optimizer_setting::lr, 0.05);
            CHECK(hps::optimizer(generated, 1).settings() == hps::optimizer(by_hand, 1).settings());
            // and the trainer's source sets exactly the settings given
            hps::emit_options opt;
            opt.spec_display = "t.hps";
            const std::string text = hps::emit_trainer(*s, s->points.at(0), opt);
            std::size_t set_calls = 0;
            for (std::size_t at = text.find("config.optimizer.set("); at != std::string::npos;
                 at = text.find("config.optimizer.set(", at + 1))
                ++set_calls;
            CHECK(set_calls == (given.empty() ? 0u : 1u));
            CHECK(text.find("config.optimizer.kind = hps::optimizer_kind::" + std::string(o.name) + ";") !=
                  std::string::npos);
        }
    }
}
