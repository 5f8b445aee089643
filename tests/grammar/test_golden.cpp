// Golden files:
//   tests/grammar/golden/fmt/NAME.hps     accepted specs; NAME.expected is their canonical print
//   tests/grammar/golden/syntax/NAME.hps  malformed specs; NAME.expected is the exact diagnostic
// HPS_REFRESH_GOLDEN=1 rewrites the .expected files from the current output (review the
// diff before committing it); the comparison is tests/support/golden.hpp's.
#include "parser_test_util.hpp"

#include <doctest/doctest.h>

#include "../support/golden.hpp"

namespace fs = std::filesystem;
using namespace hps::test;

TEST_SUITE("golden") {

TEST_CASE("fmt: canonical print of accepted specs, and parse(print(x)) is the same AST") {
    auto specs = golden_specs("fmt");
    CHECK(specs.size() >= 8);
    for (const auto& path : specs) {
        CAPTURE(path.string());
        auto p = parse_text(read_file(path), path.filename().string());
        REQUIRE_MESSAGE(p.ok, p.errors());
        CHECK(p.diags.empty());
        std::string printed = hps::print(p.file, *p.src);  // what hpsgen fmt prints
        hps_test::golden::check_file(fs::path(path).replace_extension(".expected"), printed, "grammar.golden");

        auto again = parse_text(printed, "printed.hps");
        REQUIRE_MESSAGE(again.ok, again.errors() << "the canonical print does not parse:\n" << printed);
        CHECK(dump(again.file) == dump(p.file));
        CHECK(hps::print(again.file, *again.src) == printed);  // fmt of fmt changes nothing
        CHECK(comments_of(printed) == comments_of(p.src->text()));  // every comment kept, in order
        CHECK(comments_of(hps::print(p.file)).empty());  // without the source: none
    }
}

TEST_CASE("fmt keeps comments where they were: own lines before their statement, trailing at its end") {
    auto p = parse_text("# header\n\nstudy s \"d\"  # after the header\n\n# about the data\n"
                        "data {   # open\n  # first\n  input 4   # the input\n\n  target binary\n"
                        "  # before the close\n}  # closed\n"
                        "tuples (a,\n b) { # rows\n  (1, 2) # one\n  (3, 4)\n}\n"
                        "where a > 1 # cond\n# at the end\n");
    REQUIRE_MESSAGE(p.ok, p.errors());
    CHECK(hps::print(p.file, *p.src) ==
          "# header\n\nstudy s \"d\"  # after the header\n\n# about the data\n"
          "data {  # open\n  # first\n  input 4  # the input\n  target binary\n  # before the close\n"
          "}  # closed\n\ntuples (a, b) {  # rows\n  (1, 2)  # one\n  (3, 4)\n}\n\nwhere a > 1  # cond\n"
          "# at the end\n");
    // a comment inside a multi-line set joins the end of its statement's line
    auto q = parse_text("study s\nnetwork {\n  dense units {8,  # small\n 16}\n}\n");
    REQUIRE_MESSAGE(q.ok, q.errors());
    CHECK(hps::print(q.file, *q.src) == "study s\n\nnetwork {\n  dense units {8, 16}  # small\n}\n");
}

TEST_CASE("fmt aligns the trailing comments of consecutive lines of one block") {
    // consecutive lines align; a line without a comment and the block's opening line
    // (another indentation) each end a run; widths count characters, not UTF-8 bytes
    // (fmt keeps no blank line inside a block, so none ends a run there)
    auto p = parse_text("study s \"d\"  # the description\ndata { # open\n  train \"données.npz\" # a\n"
                        "  target classes 10     # b\n  split 0.1\n  scale 1/255 # c\n  seed 1 # d\n}\n");
    REQUIRE_MESSAGE(p.ok, p.errors());
    std::string const printed = hps::print(p.file, *p.src);
    CHECK(printed ==
          "study s \"d\"  # the description\n\n"
          "data {  # open\n"
          "  train \"données.npz\"  # a\n"
          "  target classes 10    # b\n"
          "  split 0.1\n"
          "  scale 1/255  # c\n"
          "  seed 1       # d\n"
          "}\n");
    auto again = parse_text(printed, "printed.hps");
    REQUIRE_MESSAGE(again.ok, again.errors());
    CHECK(hps::print(again.file, *again.src) == printed);  // aligned input stays as it is
}

TEST_CASE("syntax: each malformed spec gets its exact diagnostic") {
    auto specs = golden_specs("syntax");
    CHECK(specs.size() >= 15);
    for (const auto& path : specs) {
        CAPTURE(path.string());
        auto p = parse_text(read_file(path), path.filename().string());
        CHECK_FALSE(p.ok);
        CHECK(p.diags.error_count() == 1);
        hps_test::golden::check_file(fs::path(path).replace_extension(".expected"), hps::format(p.diags),
                                     "grammar.golden");
    }
}

TEST_CASE("the example in grammar/hps.ebnf parses (the EBNF stays in step with the grammar)") {
    std::string ebnf = read_file(fs::path(HPS_SOURCE_DIR) / "grammar" / "hps.ebnf");
    std::size_t const heading = ebnf.find("---- an example");
    REQUIRE(heading != std::string::npos);
    std::size_t const begin = ebnf.find('\n', heading) + 1;
    std::size_t const end = ebnf.find("\n-----", begin);
    REQUIRE(end != std::string::npos);
    auto p = parse_text(ebnf.substr(begin, end - begin), "hps.ebnf");
    CHECK_MESSAGE(p.ok, p.errors());
    CHECK(p.file.items.size() == 6);  // let, data, network, train, tuples, where
}

TEST_CASE("the specs in examples/ parse and round-trip") {
    fs::path const examples = fs::path(HPS_SOURCE_DIR) / "examples";
    if (!fs::exists(examples)) return;
    for (const auto& entry : fs::recursive_directory_iterator(examples)) {
        if (entry.path().extension() != ".hps") continue;
        CAPTURE(entry.path().string());
        auto p = parse_text(read_file(entry.path()), entry.path().filename().string());
        REQUIRE_MESSAGE(p.ok, p.errors());
        std::string printed = hps::print(p.file, *p.src);
        auto again = parse_text(printed, "printed.hps");
        REQUIRE_MESSAGE(again.ok, again.errors());
        CHECK(dump(again.file) == dump(p.file));
        CHECK(comments_of(printed) == comments_of(p.src->text()));
        CHECK(hps::print(again.file, *again.src) == printed);
    }
}

}  // TEST_SUITE
