// Golden diagnostics: every tests/dsl/golden/check/NAME.hps is a spec that parses but is
// semantically wrong; NAME.expected holds check()'s formatted diagnostics, the file
// named NAME.hps. check() must return no study for any of them.
//
//   HPS_REFRESH_GOLDEN=1 ctest -R '^dsl\.golden$'     rewrite the .expected files
// (the comparison is tests/support/golden.hpp's)
#include "check_test_util.hpp"

#include "../support/golden.hpp"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;
using namespace hps;

TEST_SUITE("golden") {

TEST_CASE("semantic diagnostics match tests/dsl/golden/check") {
    const fs::path dir = fs::path(HPS_GOLDEN_DIR) / "check";
    const std::vector<fs::path> specs = hps_test::golden::cases(dir, ".hps");
    CHECK_MESSAGE(specs.size() >= 20, "expected at least 20 golden specs in " << dir);

    for (const auto& spec : specs) {
        const std::string name = spec.filename().string();
        CAPTURE(name);
        auto c = test::check_text(test::read_text(spec.string()), name);
        REQUIRE_MESSAGE(c.parsed, name << " must parse (it tests the checker):\n" << c.messages());
        CHECK_MESSAGE(!c.result, name << " must not check");
        CHECK_MESSAGE(c.diags.has_errors(), name << " gives no error");
        fs::path expected_path = spec;
        expected_path.replace_extension(".expected");
        hps_test::golden::check_file(expected_path, c.messages(), "dsl.golden");
    }
}

}  // TEST_SUITE
