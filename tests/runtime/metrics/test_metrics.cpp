// hps/metrics.hpp against scikit-learn (and numpy for CyPLAM's Accuracy20%): random data
// from make_metrics.py, streamed through the evaluator in uneven batches; plus one
// hand-computed case per task.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <hps/json_read.hpp>
#include <hps/metrics.hpp>
#include <hps/npy.hpp>
#include <hps/train/results.hpp>

#include <cmath>
#include <cstring>
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

namespace {

std::vector<double> load_reals(const std::string& file) { return hps::read_npy_as<double>(fixtures() / file).values; }

hps::metric_spec averaged(metric_kind k, hps::metric_average a, std::string name) {
    hps::metric_spec s{k, std::move(name), 0};
    s.average = a;
    return s;
}

}  // namespace

TEST_CASE("multi-class precision, recall, f1 (macro, micro, weighted, per class) and one-vs-rest roc_auc match scikit-learn") {
    using hps::metric_average;
    struct named_case {
        const char* name;
        int K;
    };
    for (const named_case nc : {named_case{"mc", 5}, named_case{"mc_full", 4}}) {
        CAPTURE(nc.name);
        const case_data c = load_case(nc.name);
        const int K = nc.K;
        for (const std::vector<int>& batches : batchings) {
            std::vector<hps::metric_spec> specs;
            for (const metric_kind k : {metric_kind::precision, metric_kind::recall, metric_kind::f1})
                for (const metric_average a : {metric_average::macro, metric_average::micro, metric_average::weighted})
                    specs.push_back(averaged(k, a, std::string(hps::name_of(k)) + "_" + std::string(hps::name_of(a))));
            specs.push_back(averaged(metric_kind::roc_auc, metric_average::macro, "roc_auc_macro"));
            specs.push_back(averaged(metric_kind::roc_auc, metric_average::weighted, "roc_auc_weighted"));
            // binary, the default, means macro on a classes target
            specs.push_back(averaged(metric_kind::f1, metric_average::binary, "f1_default"));
            for (int k = 0; k < K; ++k) {
                hps::metric_spec one{metric_kind::roc_auc, "roc_auc_class" + std::to_string(k), 0};
                one.class_index = k;
                specs.push_back(one);
                for (const metric_kind kind : {metric_kind::precision, metric_kind::recall, metric_kind::f1}) {
                    hps::metric_spec pc{kind, std::string(hps::name_of(kind)) + "_class" + std::to_string(k), 0};
                    pc.class_index = k;
                    specs.push_back(pc);
                }
            }
            hps::evaluator ev(target_kind::classes, K, specs, std::size_t(c.m));
            stream(ev, c, K, 1, batches);
            for (const char* avg : {"macro", "micro", "weighted"})
                for (const char* kind : {"precision", "recall", "f1"}) {
                    const std::string name = std::string(kind) + "_" + avg;
                    CAPTURE(name);
                    CHECK(ev.value(name) == close(c.expected.at(name)));
                }
            CHECK(ev.value("f1_macro") == close(c.expected.at("f1_score_macro")));
            CHECK(ev.value("f1_default") == ev.value("f1_macro"));
            CHECK(ev.value("roc_auc_macro") == close(c.expected.at("roc_auc_macro")));
            CHECK(ev.value("roc_auc_weighted") == close(c.expected.at("roc_auc_weighted")));
            if (c.expected.count("roc_auc_ovr_macro")) {  // sklearn's multi_class='ovr' itself
                CHECK(ev.value("roc_auc_macro") == close(c.expected.at("roc_auc_ovr_macro")));
                CHECK(ev.value("roc_auc_weighted") == close(c.expected.at("roc_auc_ovr_weighted")));
            }
            const hps::class_scores pc = ev.classes();
            const std::vector<double> precision = load_reals(std::string(nc.name) + "_precision.npy"),
                                      recall = load_reals(std::string(nc.name) + "_recall.npy"),
                                      f1 = load_reals(std::string(nc.name) + "_f1.npy"),
                                      support = load_reals(std::string(nc.name) + "_support.npy");
            REQUIRE(pc.precision.size() == std::size_t(K));
            for (int k = 0; k < K; ++k) {
                CAPTURE(k);
                const std::size_t i = std::size_t(k);
                CHECK(pc.precision[i] == close(precision[i]));
                CHECK(pc.recall[i] == close(recall[i]));
                CHECK(pc.f1[i] == close(f1[i]));
                CHECK(double(pc.support[i]) == support[i]);
                const std::string suffix = "_class" + std::to_string(k);
                CHECK(ev.value("precision" + suffix) == pc.precision[i]);
                CHECK(ev.value("recall" + suffix) == pc.recall[i]);
                CHECK(ev.value("f1" + suffix) == pc.f1[i]);
                const double auc = c.expected.at("roc_auc" + suffix);
                if (std::isnan(auc)) CHECK(std::isnan(ev.value("roc_auc" + suffix)));
                else CHECK(ev.value("roc_auc" + suffix) == close(auc));
            }
        }
    }
    // the edge cases are there: class 4 never predicted, class 3 never a target
    const hps::class_scores pc = [] {
        const case_data c = load_case("mc");
        hps::evaluator ev(target_kind::classes, 5, {{metric_kind::f1, "", 0}});
        stream(ev, c, 5, 1, {64});
        return ev.classes();
    }();
    CHECK(pc.precision[4] == 0.0);
    CHECK(pc.recall[4] == 0.0);
    CHECK(pc.support[3] == 0);
    CHECK(pc.recall[3] == 0.0);
    CHECK(pc.f1[3] == 0.0);
}

TEST_CASE("multi-class by hand: zero_division = 0, micro is accuracy, roc_auc needs two classes present") {
    using hps::metric_average;
    // 3 classes; targets 0 0 1 1, predictions (argmax) 0 1 1 1: class 2 neither true nor predicted
    const float logits[] = {2, 0, 0, /**/ 0, 1, 0, /**/ 0, 3, 0, /**/ 0, 2, 1};
    const float targets[] = {0, 0, 1, 1};
    hps::evaluator ev(target_kind::classes, 3,
                      {averaged(metric_kind::precision, metric_average::macro, "p"),
                       averaged(metric_kind::recall, metric_average::macro, "r"),
                       averaged(metric_kind::f1, metric_average::weighted, "fw"),
                       averaged(metric_kind::f1, metric_average::micro, "fm"),
                       averaged(metric_kind::roc_auc, metric_average::macro, "auc")});
    ev.add(logits, targets, 4);
    // precision: class 0 1/1, class 1 2/3, class 2 0 (never predicted); recall: 1/2, 1, 0
    CHECK(ev.value("p") == close((1 + 2.0 / 3) / 3));
    CHECK(ev.value("r") == close(1.5 / 3));
    // f1: class 0 2/3, class 1 4/5; weighted by supports 2, 2, 0
    CHECK(ev.value("fw") == close((2 * (2.0 / 3) + 2 * 0.8) / 4));
    CHECK(ev.value("fm") == close(3.0 / 4));
    CHECK(ev.value("auc") == close(1.0));  // classes 0 and 1 each ranked perfectly; class 2 left out
    const float one_class[] = {1, 1, 1, 1};
    ev.reset();
    ev.add(logits, one_class, 4);
    CHECK(std::isnan(ev.value("auc")));
    CHECK(ev.value("r") == close(0.75 / 3));  // class 1: recall 3/4; the others 0 (no support)
}

TEST_CASE("binary ROC and precision-recall curves match scikit-learn, thinned to at most 200 points") {
    for (const char* name : {"bin", "prob", "many"}) {
        CAPTURE(name);
        const case_data c = load_case(name);
        const hps::binary_scores kind =
            std::string(name) == "prob" ? hps::binary_scores::probabilities : hps::binary_scores::logits;
        hps::evaluator ev(target_kind::binary, 1, {{metric_kind::roc_auc, "", 0}}, std::size_t(c.m), kind);
        stream(ev, c, 1, 1, {7, 64, 3});
        const std::vector<double> roc = load_reals(std::string(name) + "_roc.npy"),
                                  pr = load_reals(std::string(name) + "_pr.npy");
        const std::size_t n_roc = roc.size() / 3, n_pr = pr.size() / 3;
        const hps::binary_curves full = ev.curves(1000000);
        REQUIRE(full.fpr.size() == n_roc);
        REQUIRE(full.recall.size() == n_pr);
        auto same = [](double a, double b) { return std::isnan(a) ? std::isnan(b) : a == close(b); };
        for (std::size_t i = 0; i < n_roc; ++i) {
            CAPTURE(i);
            CHECK(full.fpr[i] == close(roc[i]));
            CHECK(full.tpr[i] == close(roc[n_roc + i]));
            CHECK(same(roc[2 * n_roc + i], full.roc_threshold[i]));
        }
        for (std::size_t i = 0; i < n_pr; ++i) {
            CAPTURE(i);
            CHECK(full.recall[i] == close(pr[i]));
            CHECK(full.precision[i] == close(pr[n_pr + i]));
            CHECK(same(pr[2 * n_pr + i], full.pr_threshold[i]));
        }
        CHECK(full.roc_auc == close(c.expected.at("roc_auc")));
        CHECK(full.average_precision == close(c.expected.at("average_precision")));

        // thinned: a subsequence of the full curve with both ends, at most 200 points
        const hps::binary_curves thin = ev.curves();
        CHECK(thin.roc_auc == full.roc_auc);
        CHECK(thin.fpr.size() <= 200);
        CHECK(thin.recall.size() <= 200);
        if (n_roc <= 200) CHECK(thin.fpr == full.fpr);
        else CHECK(thin.fpr.size() >= 150);
        std::size_t j = 0;
        for (std::size_t i = 0; i < thin.fpr.size(); ++i) {
            while (j < n_roc && !(full.fpr[j] == thin.fpr[i] && full.tpr[j] == thin.tpr[i])) ++j;
            CHECK(j < n_roc);
        }
        CHECK(thin.fpr.back() == 1.0);
        CHECK(thin.tpr.back() == 1.0);
        CHECK(thin.recall.front() == 0.0);
        CHECK(thin.recall.back() == 1.0);
        double area = 0;  // the thinned curve's trapezoids: close to the whole area
        for (std::size_t i = 1; i < thin.fpr.size(); ++i)
            area += (thin.fpr[i] - thin.fpr[i - 1]) * (thin.tpr[i] + thin.tpr[i - 1]) / 2;
        CHECK(area == doctest::Approx(full.roc_auc).epsilon(0.005));
    }
    hps::evaluator one(target_kind::binary, 1, {});
    const float s[] = {0.5f, 1}, y[] = {1, 1};
    one.add(s, y, 2);
    CHECK(one.curves().empty());  // no negatives: no ROC curve
}

TEST_CASE("result.json: a classes target's per-class scores, a binary target's curves") {
    using T = hps::json::value::type;
    hps::train_config c;
    c.target = target_kind::classes;
    c.outputs = 3;
    hps::train_detail::run_report r;
    r.status = "done";
    r.best_step = 10;
    r.best_values = {{"loss", 0.5}, {"f1", 0.7}};
    r.best_confusion = {{10, 1, 0}, {2, 8, 1}, {0, 0, 0}};  // class 2: no samples, never predicted
    const hps::json::value j = hps::json::parse(hps::train_detail::result_json(c, r));
    const hps::json::value& best = *j.find("best");
    CHECK(best.find("confusion") == nullptr);  // the matrix only with a confusion metric
    const hps::json::value* per = best.find("per_class");
    REQUIRE(per);
    auto numbers = [](const hps::json::value& a) {
        std::vector<double> out;
        for (const auto& v : a.items) out.push_back(v.num);
        return out;
    };
    CHECK(numbers(*per->find("precision")) == std::vector<double>{10.0 / 12, 8.0 / 9, 0});
    CHECK(numbers(*per->find("recall")) == std::vector<double>{10.0 / 11, 8.0 / 11, 0});
    CHECK(numbers(*per->find("support")) == std::vector<double>{11, 11, 0});
    r.show_confusion = true;
    CHECK(hps::json::parse(hps::train_detail::result_json(c, r)).find("best")->find("confusion")->items.size() == 3);

    c.target = target_kind::binary;
    c.outputs = 1;
    r.best_confusion.clear();
    hps::evaluator ev(target_kind::binary, 1, {});
    const float scores[] = {2, -1, 0.5f, 0}, targets[] = {1, 1, 0, 0};
    ev.add(scores, targets, 4);
    r.best_curves = ev.curves();
    const hps::json::value b = hps::json::parse(hps::train_detail::result_json(c, r));
    CHECK(b.find("best")->find("per_class") == nullptr);
    const hps::json::value* roc = b.find("best")->find("curves")->find("roc");
    REQUIRE(roc);
    CHECK(roc->find("auc")->num == 0.5);  // 2 beats both negatives, -1 neither
    CHECK(numbers(*roc->find("fpr")) == std::vector<double>{0, 0, 0.5, 1, 1});
    CHECK(numbers(*roc->find("tpr")) == std::vector<double>{0, 0.5, 0.5, 0.5, 1});
    const hps::json::value& thresholds = *roc->find("threshold");
    CHECK(thresholds.items[0].kind == T::null);  // the start: no threshold
    CHECK(thresholds.items[1].num == close(1 / (1 + std::exp(-2.0))));  // a probability
    const hps::json::value* pr = b.find("best")->find("curves")->find("pr");
    REQUIRE(pr);
    CHECK(numbers(*pr->find("precision")) == std::vector<double>{1, 1, 0.5, 1.0 / 3, 0.5});
    CHECK(pr->find("average_precision")->num == close(0.5 * 1 + 0.5 * 0.5));
}

TEST_CASE("evaluator set-up errors and selection direction") {
    using hps::metric_spec;
    CHECK_THROWS_AS(hps::evaluator(target_kind::regression, 2, {{metric_kind::f1, "", 0}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::classes, 10, {{metric_kind::mse, "", 0}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::binary, 2, {{metric_kind::f1, "", 0}}), std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::binary, 1, {{metric_kind::f1, "", 1.5}}), std::invalid_argument);
    // averaging: a classes target's precision, recall, f1, roc_auc only; roc_auc not micro
    CHECK_THROWS_AS(hps::evaluator(target_kind::binary, 1, {averaged(metric_kind::f1, hps::metric_average::macro, "")}),
                    std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::classes, 3, {averaged(metric_kind::accuracy, hps::metric_average::macro, "")}),
                    std::invalid_argument);
    CHECK_THROWS_AS(hps::evaluator(target_kind::classes, 3, {averaged(metric_kind::roc_auc, hps::metric_average::micro, "")}),
                    std::invalid_argument);
    hps::metric_spec beyond{metric_kind::recall, "", 0};
    beyond.class_index = 3;
    CHECK_THROWS_AS(hps::evaluator(target_kind::classes, 3, {beyond}), std::invalid_argument);
    CHECK_NOTHROW(hps::evaluator(target_kind::classes, 3, {{metric_kind::f1, "", 0}}));
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
