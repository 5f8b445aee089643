// hps/normalize.hpp: the per-feature statistics against numpy (check_normalize.py),
// normalization.npz written and read back. The trainer that normalizes, its model.py and
// its metrics: trainer_test.py.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <hps/dataset.hpp>
#include <hps/normalize.hpp>
#include <hps/npy.hpp>

#include "../data/test_support.hpp"

#include <cmath>
#include <string>
#include <vector>

using hps_test::temp_dir;

namespace {

// n samples of `size` values, feature j about offset_j + spread_j * N(0, 1); feature
// `constant` the same in every sample
hps::dataset sample_data(int n, int x_size, int y_size, int constant) {
    hps::dataset d;
    d.n = n;
    d.x_size = x_size;
    d.y_size = y_size;
    hps::rng gen(7);
    const auto normal = [&] { return float(gen.normal()); };
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < x_size; ++j) d.x.push_back(j == constant ? 3.5f : 100.0f * float(j) - 50 + float(j + 1) * normal());
        for (int k = 0; k < y_size; ++k) d.y.push_back(1000.0f * float(k + 1) + 250.0f * normal());
    }
    return d;
}

}  // namespace

TEST_CASE("normalize: the statistics are numpy's mean and std (ddof 0), a constant feature's std 1") {
    const temp_dir dir;
    const hps::dataset d = sample_data(300, 6, 2, 4);
    hps::write_npy(dir / "x.npy", {300, 6}, d.x.data());
    hps::write_npy(dir / "y.npy", {300, 2}, d.y.data());
    REQUIRE(hps_test::python("check_normalize.py", {dir.path}) == 0);
    const auto want = hps_test::read_values(dir / "stats.txt");
    const hps::normalization norm = hps::normalization_of(d, true, true);
    REQUIRE(norm.input_mean.size() == 6);
    REQUIRE(norm.target_std.size() == 2);
    for (int j = 0; j < 6; ++j) {
        CAPTURE(j);
        CHECK(norm.input_mean[std::size_t(j)] == doctest::Approx(want.at("x_mean" + std::to_string(j))).epsilon(1e-6));
        if (j == 4) {
            CHECK(want.at("x_std4") == 0);
            CHECK(norm.input_std[4] == 1.0f);
        } else {
            CHECK(norm.input_std[std::size_t(j)] == doctest::Approx(want.at("x_std" + std::to_string(j))).epsilon(1e-6));
        }
    }
    for (int k = 0; k < 2; ++k) {
        CHECK(norm.target_mean[std::size_t(k)] == doctest::Approx(want.at("y_mean" + std::to_string(k))).epsilon(1e-6));
        CHECK(norm.target_std[std::size_t(k)] == doctest::Approx(want.at("y_std" + std::to_string(k))).epsilon(1e-6));
    }
    // normalized: mean 0 and std 1 per feature (the constant one 0); and back again
    std::vector<float> x = d.x;
    hps::normalize_values(x.data(), x.size(), norm.input_mean, norm.input_std);
    hps::dataset nd = d;
    nd.x = x;
    const hps::normalization again = hps::normalization_of(nd, true, false);
    for (int j = 0; j < 6; ++j) {
        CHECK(std::abs(again.input_mean[std::size_t(j)]) < 1e-5);
        CHECK(again.input_std[std::size_t(j)] == doctest::Approx(1.0).epsilon(1e-5));  // the constant one by the rule
    }
    CHECK(x[4] == 0.0f);
    hps::denormalize_values(x.data(), x.size(), norm.input_mean, norm.input_std);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i] == doctest::Approx(d.x[i]).epsilon(1e-5));

    // normalization.npz: shapes as the input's, read back as written; parts absent when off
    hps::write_normalization(dir / "normalization.npz", norm, {3, 2});
    const hps::npz_reader z(dir / "normalization.npz");
    CHECK(z.header("input_mean").shape == std::vector<std::int64_t>{3, 2});
    CHECK(z.header("target_std").shape == std::vector<std::int64_t>{2});
    const hps::normalization back = hps::read_normalization(dir / "normalization.npz");
    CHECK(back.input_mean == norm.input_mean);
    CHECK(back.input_std == norm.input_std);
    CHECK(back.target_mean == norm.target_mean);
    CHECK(back.target_std == norm.target_std);
    hps::write_normalization(dir / "inputs_only.npz", hps::normalization_of(d, true, false), {6});
    CHECK(hps::npz_reader(dir / "inputs_only.npz").names() == std::vector<std::string>{"input_mean", "input_std"});
}
