// The data check (dsl/data_check.hpp, as `hpsgen check` and `generate` run it:
// generator/data_check.hpp): every tests/dsl/golden/data/NAME.hps is a valid spec whose data
// files (tests/dsl/golden/data/data/, written by make_data.py) a trainer would refuse;
// NAME.expected holds the diagnostics, the spec named NAME.hps and its data paths as seen
// from its folder. Data that a trainer takes passes.
//
//   HPS_REFRESH_GOLDEN=1 ctest -R '^dsl\.data_check$'     rewrite the .expected files
#include "check_test_util.hpp"

#include "dsl/data_check.hpp"
#include "generator/data_check.hpp"

#include "../support/golden.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;
using namespace hps;

namespace {

const fs::path golden_dir = fs::path(HPS_GOLDEN_DIR) / "data";

// Runs the data check of a spec in `dir` as `hpsgen check NAME.hps` run there does: the
// working folder is `dir` for the duration.
struct data_checked {
    test::checked spec;
    std::size_t errors = 0;
    std::string messages;
};

data_checked check_in(const fs::path& dir, const std::string& name, const std::string& text) {
    const fs::path before = fs::current_path();
    fs::current_path(dir);
    data_checked out;
    out.spec = test::check_text(text, name);
    if (out.spec.result) {
        std::ostringstream err;
        out.errors = cli::check_spec_data(*out.spec.src, out.spec.file, *out.spec.result, err);
        out.messages = err.str();
    }
    fs::current_path(before);
    return out;
}

std::string spec_reading(const std::string& train, const std::string& validation, const std::string& target = "classes 3",
                         const std::string& input = "4 x 4 x 1") {
    const bool classes = target.rfind("classes", 0) == 0;
    return "study t\ndata {\n  train \"" + train + "\"\n  validation \"" + validation + "\"\n  input " + input +
           "\n  target " + target + "\n}\nnetwork {\n  dense units 8 activation relu\n  dense units " +
           (classes ? "3" : "1") + "\n}\ntrain {\n  loss " + (classes ? "softmax_ce" : "bce") + "\n  batch 2\n  steps 10\n}\n";
}

}  // namespace

TEST_SUITE("data") {

TEST_CASE("data diagnostics match tests/dsl/golden/data") {
    const std::vector<fs::path> specs = hps_test::golden::cases(golden_dir, ".hps");
    CHECK_MESSAGE(specs.size() >= 7, "expected at least 7 golden specs in " << golden_dir);
    for (const auto& spec : specs) {
        const std::string name = spec.filename().string();
        CAPTURE(name);
        const data_checked c = check_in(golden_dir, name, test::read_text(spec.string()));
        REQUIRE_MESSAGE(c.spec.result, name << " must check (it tests the data):\n" << c.spec.messages());
        CHECK_MESSAGE(c.errors > 0, name << " gives no data error");
        fs::path expected = spec;
        expected.replace_extension(".expected");
        hps_test::golden::check_file(expected, c.messages, "dsl.data_check");
    }
}

TEST_CASE("data a trainer takes passes") {
    // a trailing 1 left out of x's shape or added to y's, one-hot rows, binary labels
    for (const auto& [train, target] : std::vector<std::pair<std::string, std::string>>{
             {"data/good.npz", "classes 3"},
             {"data/no_channel.npz", "classes 3"},
             {"data/one_hot.npz", "classes 3"},
             {"data/binary.npz", "binary"},
             {"data/data.h5", "classes 3"},
             {"data/data.h5:/g/x,/g/y", "classes 3"}}) {
        CAPTURE(train);
        const data_checked c = check_in(golden_dir, "ok.hps", spec_reading(train, target == "binary" ? train : "data/good.npz", target));
        REQUIRE_MESSAGE(c.spec.result, c.spec.messages());
        CHECK_MESSAGE(c.errors == 0, c.messages);
    }
    // a CSV table with its target column named
    std::string csv = spec_reading("data/table.csv", "data/table.csv", "classes 3", "16");
    csv.insert(csv.find("}\nnetwork"), "  target_columns \"label\"\n");
    const data_checked table = check_in(golden_dir, "csv.hps", csv);
    REQUIRE_MESSAGE(table.spec.result, table.spec.messages());
    CHECK_MESSAGE(table.errors == 0, table.messages);
    // input 16 is not 4 x 4 x 1 to a trainer, whatever the count of values
    const data_checked flat = check_in(golden_dir, "flat.hps", spec_reading("data/flat.npz", "data/good.npz", "classes 3", "16"));
    REQUIRE(flat.spec.result);
    CHECK(flat.errors == 1);
    CHECK(flat.messages.find("data/good.npz: array 'x' has shape (6, 4, 4, 1) but the spec's input is 16") != std::string::npos);
}

TEST_CASE("data paths from another folder, as the spec's folder is seen from the trainers'") {
    CHECK(prefixed_data_path("data/x.npz", "../../examples/") == "../../examples/data/x.npz");
    CHECK(prefixed_data_path("/srv/x.npz", "../../examples/") == "/srv/x.npz");
    CHECK(prefixed_data_path("idx:train-images-idx3-ubyte", "../") == "idx:train-images-idx3-ubyte");
    CHECK(prefixed_data_path("x.npy,y.npy", "../") == "../x.npy,../y.npy");
    CHECK(prefixed_data_path("x.npy,/srv/y.npy", "../") == "../x.npy,/srv/y.npy");
    CHECK(prefixed_data_path("data/x.npz", "") == "data/x.npz");
    CHECK(prefixed_data_path("data/x.h5:/a,/b", "../") == "../data/x.h5:/a,/b");
    CHECK(prefixed_data_path("/srv/x.h5:/a,/b", "../") == "/srv/x.h5:/a,/b");
    // the check from a parent folder names the files from there
    const data_checked c = check_in(golden_dir.parent_path(), "data/missing_file.hps",
                                    test::read_text((golden_dir / "missing_file.hps").string()));
    REQUIRE(c.spec.result);
    CHECK(c.errors == 2);
    CHECK(c.messages.find("data/missing_file.hps:4:9: error: data/data/missing.npz: no such file;") != std::string::npos);
}

}  // TEST_SUITE
