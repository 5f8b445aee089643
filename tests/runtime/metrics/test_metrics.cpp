// hps/metrics.hpp against scikit-learn (and numpy for CyPLAM's Accuracy20%): random data
// from make_metrics.py, streamed through the evaluator in uneven batches; plus one
// hand-computed case per task.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <hps/metrics.hpp>
#include <hps/npy.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "test_support.hpp"

using hps::metric_kind;
using hps::target_kind;

namespace {

const hps_test::temp_dir& fixtures() {
    static const hps_test::temp_dir dir;
    static const bool made = [] {
        const int rc = hps_test::python("make_metrics.py", {dir.path});
        if (rc != 0) throw std::runtime_error("make_metrics.py failed with status " + std::to_string(rc));
        return true;
    }();
    (void)made;
    return dir;
}

struct case_data {
    std::vector<float> h, y;
    int m = 0;
    std::map<std::string, double> expected;
};

case_data load_case(const std::string& name) {
    const std::string base = fixtures() / name;
    case_data c;
    const hps::loaded_array<float> h = hps::read_npy_as<float>(base + "_h.npy");
    const hps::loaded_array<float> y = hps::read_npy_as<float>(base + "_y.npy");
    c.h = h.values;
    c.y = y.values;
    c.m = int(h.shape[0]);
    c.expected = hps_test::read_values(base + ".txt");
    return c;
}

std::vector<std::int64_t> load_counts(const std::string& file) {
    const hps::npy_array a = hps::read_npy(fixtures() / file);
    std::vector<std::int64_t> out(a.count());
    std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
    return out;
}

// Feeds all m samples in batches of the given sizes, cycling.
void stream(hps::evaluator& ev, const case_data& c, int outputs, int y_size, const std::vector<int>& batches) {
    int done = 0;
    for (std::size_t b = 0; done < c.m; ++b) {
        const int n = std::min(batches[b % batches.size()], c.m - done);
        ev.add(c.h.data() + std::size_t(done) * std::size_t(outputs), c.y.data() + std::size_t(done) * std::size_t(y_size), n);
        done += n;
    }
    CHECK(ev.count() == c.m);
}

const std::vector<std::vector<int>> batchings = {{1}, {7, 64, 3, 128, 1}, {100000}, {250}};

doctest::Approx close(double v) { return doctest::Approx(v).epsilon(1e-12); }

}  // namespace

TEST_CASE("regression metrics match scikit-learn and numpy's Accuracy20%, two-sided and one-sided") {
    for (const int K : {1, 2, 3}) {
        CAPTURE(K);
        const case_data c = load_case("reg" + std::to_string(K));
        std::vector<double> first;
        for (const std::vector<int>& batches : batchings) {
            hps::evaluator ev(target_kind::regression, K,
                              {{metric_kind::mse, "", 0},
                               {metric_kind::mae, "", 0},
                               {metric_kind::rmse, "", 0},
                               {metric_kind::mse_half, "", 0},
                               {metric_kind::within, "acc20", 0.20},
                               {metric_kind::within, "acc05", 0.05},
                               {metric_kind::within, "acc20_1", 0.20, true},
                               {metric_kind::within, "acc05_1", 0.05, true}});
            stream(ev, c, K, K, batches);
            CHECK(ev.value("mse") == close(c.expected.at("mse")));
            CHECK(ev.value("mae") == close(c.expected.at("mae")));
            CHECK(ev.value("rmse") == close(c.expected.at("rmse")));
            if (K == 1) CHECK(ev.value("rmse") == close(c.expected.at("rmse_sklearn")));
            CHECK(ev.value("mse_half") == close(c.expected.at("mse_half")));
            CHECK(ev.value("acc20") == c.expected.at("within20"));  // a count over m: exact
            CHECK(ev.value("acc05") == c.expected.at("within05"));
            CHECK(ev.value("acc20_1") == c.expected.at("within20_one_sided"));
            CHECK(ev.value("acc05_1") == c.expected.at("within05_one_sided"));
            CHECK(ev.value("acc20_1") > ev.value("acc20"));  // over-predictions count one-sided
            std::vector<double> all;
            for (const auto& [name, v] : ev.values()) all.push_back(v);
            CHECK(all.size() == 8);
            if (first.empty()) first = all;
            else CHECK(all == first);  // the batching changes nothing, bit for bit
        }
    }
}

TEST_CASE("regression by hand: two-sided and one-sided errors, h == 0 and h < 0") {
    // y = (100, 50), (80, 40), (10, 10), (1, 1); h = (90, 50), (100, 30), (0, 10), (10, 10)
    const float y[] = {100, 50, 80, 40, 10, 10, 1, 1};
    const float h[] = {90, 50, 100, 30, 0, 10, 10, 10};
    hps::evaluator ev(target_kind::regression, 2,
                      {{metric_kind::within, "w20", 0.2}, {metric_kind::within, "w50", 0.5}, {metric_kind::mse, "mse", 0},
                       {metric_kind::mse_half, "half", 0}, {metric_kind::mae, "mae", 0}, {metric_kind::rmse, "rmse", 0},
                       {metric_kind::within, "o20", 0.2, true}, {metric_kind::within, "o50", 0.5, true}});
    ev.add(h, y, 4);
    // two-sided |y/h - 1|: max(0.111, 0) = 0.111; max(0.2, 0.333) = 0.333; h = 0: never;
    // max(0.9, 0.9) = 0.9 (ten times too high: not within)
    CHECK(ev.value("w20") == 0.25);
    CHECK(ev.value("w50") == 0.5);
    // one-sided y/h - 1: 0.111; max(-0.2, 0.333) = 0.333; h = 0: never; max(-0.9, -0.9) = -0.9
    // (ten times too high, yet "within": the paper's formula as printed)
    CHECK(ev.value("o20") == 0.5);
    CHECK(ev.value("o50") == 0.75);
    // squared errors 100 + 0 + 400 + 100 + 100 + 0 + 81 + 81 = 862 over 4 samples x 2 outputs
    CHECK(ev.value("mse") == close(862.0 / 8));
    CHECK(ev.value("half") == close(862.0 / 8));  // (1/2m) sum: m = 4, the same here
    CHECK(ev.value("mae") == close((10 + 0 + 20 + 10 + 10 + 0 + 9 + 9) / 8.0));
    CHECK(ev.value("rmse") == close(std::sqrt(862.0 / 8)));
    ev.reset();
    CHECK(ev.count() == 0);
    CHECK(std::isnan(ev.value("mse")));
    ev.add(h, y, 1);
    CHECK(ev.value("half") == close(100.0 / 2));
}

TEST_CASE("within: a negative prediction is never within two-sided, even when it equals the truth") {
    const float y[] = {-10, 10, 10};
    const float h[] = {-10, 10, 11};
    hps::evaluator ev(target_kind::regression, 1, {{metric_kind::within, "two", 0.2}, {metric_kind::within, "one", 0.2, true}});
    ev.add(h, y, 3);
    CHECK(ev.value("two") == doctest::Approx(2.0 / 3).epsilon(1e-15));  // 10/10, 10/11
    CHECK(ev.value("one") == 1.0);  // -10/-10 - 1 = 0 counts one-sided
}

TEST_CASE("classification: argmax accuracy and confusion matrix match scikit-learn") {
    const case_data c = load_case("cls");
    const std::vector<std::int64_t> confusion = load_counts("cls_confusion.npy");
    for (const std::vector<int>& batches : batchings) {
        hps::evaluator ev(target_kind::classes, 10, {{metric_kind::accuracy, "acc", 0}, {metric_kind::confusion, "cm", 0}});
        stream(ev, c, 10, 1, batches);
        CHECK(ev.value("acc") == close(c.expected.at("accuracy")));
        CHECK(ev.confusion_classes() == 10);
        CHECK(ev.confusion() == confusion);
        CHECK(ev.values().size() == 1);  // the matrix is not a scalar
    }
}

TEST_CASE("classification by hand: ties go to the first maximum") {
    const float logits[] = {1, 2, 3, /**/ 3, 3, 1, /**/ 0, 0, 0};
    const float targets[] = {2, 1, 0};
    hps::evaluator ev(target_kind::classes, 3, {{metric_kind::accuracy, "", 0}});
    ev.add(logits, targets, 3);
    CHECK(ev.value("accuracy") == close(2.0 / 3));
    CHECK(ev.confusion() == std::vector<std::int64_t>{1, 0, 0, /**/ 1, 0, 0, /**/ 0, 0, 1});
    const float bad[] = {3};
    CHECK_THROWS_AS(ev.add(logits, bad, 1), std::out_of_range);
}

TEST_CASE("binary metrics match scikit-learn at several thresholds, roc_auc with ties") {
    const case_data c = load_case("bin");
    for (const std::vector<int>& batches : batchings) {
        std::vector<hps::metric_spec> specs;
        for (const char* t : {"0.5", "0.3", "0.999"}) {
            const double T = std::stod(t);
            for (const metric_kind k : {metric_kind::precision, metric_kind::recall, metric_kind::f1, metric_kind::eff_pur,
                                        metric_kind::accuracy})
                specs.push_back({k, std::string(hps::name_of(k)) + "@" + t, T});
        }
        specs.push_back({metric_kind::roc_auc, "", 0});
        specs.push_back({metric_kind::confusion, "cm", 0.3});
        hps::evaluator ev(target_kind::binary, 1, specs, std::size_t(c.m));
        stream(ev, c, 1, 1, batches);
        for (const hps::metric_spec& s : ev.metrics()) {  // names filled in: "" -> "roc_auc"
            if (s.kind == metric_kind::confusion) continue;
            CAPTURE(s.name);
            CHECK(ev.value(s.name) == close(c.expected.at(s.name)));
        }
        CHECK(ev.confusion() == load_counts("bin_confusion@0.3.npy"));
    }
    // without a confusion metric, the matrix is at 0.5
    hps::evaluator ev(target_kind::binary, 1, {{metric_kind::f1, "", 0}});
    stream(ev, c, 1, 1, {33});
    CHECK(ev.confusion() == load_counts("bin_confusion@0.5.npy"));
    CHECK(ev.value("f1") == close(c.expected.at("f1@0.5")));
}

TEST_CASE("binary metrics on probabilities") {
    const case_data c = load_case("prob");
    hps::evaluator ev(target_kind::binary, 1,
                      {{metric_kind::precision, "", 0.5}, {metric_kind::recall, "", 0}, {metric_kind::roc_auc, "", 0}},
                      std::size_t(c.m), hps::binary_scores::probabilities);
    stream(ev, c, 1, 1, {17, 5});
    CHECK(ev.value("precision") == close(c.expected.at("precision")));
    CHECK(ev.value("recall") == close(c.expected.at("recall")));
    CHECK(ev.value("roc_auc") == close(c.expected.at("roc_auc")));
}

TEST_CASE("binary by hand") {
    const float logits[] = {2, -1, 0.5f, 0, 0, 1};
    const float targets[] = {1, 1, 0, 0, 1, 0};
    hps::evaluator ev(target_kind::binary, 1,
                      {{metric_kind::precision, "p", 0}, {metric_kind::recall, "r", 0}, {metric_kind::f1, "f1", 0},
                       {metric_kind::eff_pur, "ep", 0}, {metric_kind::accuracy, "acc", 0}, {metric_kind::roc_auc, "auc", 0}});
    ev.add(logits, targets, 6);
    // at 0.5 (logit > 0): predictions 1 0 1 0 0 1 -> tp 1, fn 2, fp 2, tn 1
    CHECK(ev.value("p") == close(1.0 / 3));
    CHECK(ev.value("r") == close(1.0 / 3));
    CHECK(ev.value("f1") == close(1.0 / 3));
    CHECK(ev.value("ep") == close(1.0 / 9));
    CHECK(ev.value("acc") == close(2.0 / 6));
    CHECK(ev.confusion() == std::vector<std::int64_t>{1, 2, 2, 1});
    // positives {2, -1, 0}, negatives {0.5, 0, 1}: 2 beats all three, -1 none, 0 ties 0 (a half)
    CHECK(ev.value("auc") == close(3.5 / 9));

    hps::evaluator none(target_kind::binary, 1, {{metric_kind::precision, "p", 0}, {metric_kind::roc_auc, "auc", 0}});
    const float low[] = {-5, -6};
    const float both[] = {0, 1};
    none.add(low, both, 2);
    CHECK(none.value("p") == 0.0);  // nothing predicted positive: zero_division = 0
    none.reset();
    const float ones[] = {1, 1};
    none.add(low, ones, 2);
    CHECK(std::isnan(none.value("auc")));  // one class only
}

TEST_CASE("evaluator set-up errors and selection direction") {
    using hps::metric_spec;
    CHECK_THROWS_AS(hps::evaluator(target_kind::regression, 2, {{metric_kind::f1, "", 0}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::classes, 10, {{metric_kind::mse, "", 0}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::binary, 2, {{metric_kind::f1, "", 0}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::binary, 1, {{metric_kind::f1, "", 1.5}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::regression, 1, {{metric_kind::mse, "a", 0}, {metric_kind::mae, "a", 0}}),
                    std::invalid_argument);
    hps::evaluator ev(target_kind::regression, 1, {{metric_kind::mse, "", 0}});
    CHECK_THROWS_AS(ev.value("mae"), std::invalid_argument);

    CHECK(hps::find_by_name(hps::metric_table, "within")->kind == metric_kind::within);
    CHECK(hps::find_by_name(hps::metric_table, "eff_pur")->kind == metric_kind::eff_pur);
    CHECK(hps::find_by_name(hps::metric_table, "auc") == nullptr);
    for (const metric_kind k : {metric_kind::mse, metric_kind::mae, metric_kind::rmse, metric_kind::mse_half})
        CHECK_FALSE(hps::info(k).higher_is_better);
    for (const metric_kind k : {metric_kind::within, metric_kind::accuracy, metric_kind::precision, metric_kind::recall,
                                metric_kind::f1, metric_kind::eff_pur, metric_kind::roc_auc})
        CHECK(hps::info(k).higher_is_better);
    CHECK_FALSE(hps::info(metric_kind::confusion).scalar);
    // every kind has one row, under its own name
    for (const auto& row : hps::metric_table) CHECK(hps::find_by_name(hps::metric_table, row.name) == &hps::info(row.kind));
}
