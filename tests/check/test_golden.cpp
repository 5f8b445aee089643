// Golden diagnostics: every tests/golden/check/NAME.hps is a spec that parses but is
// semantically wrong; NAME.expected holds check()'s formatted diagnostics, the file
// named NAME.hps. check() must return no study for any of them.
//
//   HPS_REFRESH_GOLDEN=1 ctest -R check.golden     rewrite the .expected files
#include "check_test_util.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace hps;

TEST_SUITE("golden") {

TEST_CASE("semantic diagnostics match tests/golden/check") {
    const fs::path dir = fs::path(HPS_GOLDEN_DIR) / "check";
    const char* refresh_env = std::getenv("HPS_REFRESH_GOLDEN");
    const bool refresh = refresh_env && std::string(refresh_env) == "1";
    std::vector<fs::path> specs;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".hps") specs.push_back(e.path());
    std::sort(specs.begin(), specs.end());
    CHECK_MESSAGE(specs.size() >= 20, "expected at least 20 golden specs in " << dir);

    for (const auto& spec : specs) {
        const std::string name = spec.filename().string();
        CAPTURE(name);
        auto c = test::check_text(test::read_text(spec.string()), name);
        REQUIRE_MESSAGE(c.parsed, name << " must parse (it tests the checker):\n" << c.messages());
        CHECK_MESSAGE(!c.result, name << " must not check");
        CHECK_MESSAGE(c.diags.has_errors(), name << " gives no error");
        const std::string actual = c.messages();
        fs::path expected_path = spec;
        expected_path.replace_extension(".expected");
        if (refresh) {
            std::ofstream(expected_path, std::ios::binary) << actual;
            continue;
        }
        REQUIRE_MESSAGE(fs::exists(expected_path), expected_path << " is missing; create it with:\n"
                                                                 << "  HPS_REFRESH_GOLDEN=1 ctest -R check.golden");
        const std::string expected = test::read_text(expected_path.string());
        CHECK_MESSAGE(actual == expected, expected_path.filename().string()
                                              << " differs.\n--- expected\n"
                                              << expected << "--- actual\n"
                                              << actual
                                              << "--- if the new output is right, refresh the golden files with:\n"
                                              << "  HPS_REFRESH_GOLDEN=1 ctest -R check.golden");
    }
}

}  // TEST_SUITE
