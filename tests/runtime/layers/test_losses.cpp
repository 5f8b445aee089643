// Losses (hand-computed values, gradients by central differences, padding columns,
// numerical stability, the by-name dispatcher) and weight penalties.
#include "test_support.hpp"

using namespace hps;

TEST_CASE("losses: hand-computed regression losses") {
    // Out = 3, B = 2: y = (1, 2, 0), (3, 5, 1); t = (0, 2, 0), (3, 3, 2)
    //   d = (1, 0, 0), (0, 2, -1); sum d^2 = 6, sum |d| = 4
    //   mse = 6 / (2*3) = 1;  mse_half = 6 / (2*2) = 1.5;  mae = 4 / 6
    const float y[] = {1, 2, 0, 3, 5, 1};
    const float t[] = {0, 2, 0, 3, 3, 2};
    float dy[6];
    CHECK(mse::compute<3, 2>(y, t, dy, 2) == doctest::Approx(1.0));
    CHECK(std::vector<float>(dy, dy + 6) == std::vector<float>{float(2.0 / 6), 0, 0, 0, float(4.0 / 6), float(-2.0 / 6)});
    CHECK(mse_half::compute<3, 2>(y, t, dy, 2) == doctest::Approx(1.5));
    CHECK(std::vector<float>(dy, dy + 6) == std::vector<float>{0.5f, 0, 0, 0, 1.0f, -0.5f});
    CHECK(mae::compute<3, 2>(y, t, dy, 2) == doctest::Approx(4.0 / 6));
    CHECK(std::vector<float>(dy, dy + 6) == std::vector<float>{float(1.0 / 6), 0, 0, 0, float(1.0 / 6), float(-1.0 / 6)});
    // only the first sample is real: mse = 1 / 3, the padding column gets dy = 0
    std::fill(dy, dy + 6, 9.0f);
    CHECK(mse::compute<3, 2>(y, t, dy, 1) == doctest::Approx(1.0 / 3));
    CHECK(std::vector<float>(dy + 3, dy + 6) == std::vector<float>{0, 0, 0});
    CHECK(mse::compute<3, 2>(y, t, nullptr, 2) == doctest::Approx(1.0));  // loss only
    CHECK_THROWS_AS((mse::compute<3, 2>(y, t, dy, 3)), std::invalid_argument);
}

TEST_CASE("losses: hand-computed classification losses") {
    // bce, one logit, B = 2: z = (0, 2), t = (1, 0)
    //   l0 = log(1 + e^0) = 0.6931472, l1 = log(1 + e^2) = 2.1269280; mean 1.4100376
    //   dy = (sigmoid(z) - t) / 2 = (-0.25, 0.4403985)
    const float z[] = {0, 2}, lab[] = {1, 0};
    float dy[3];
    CHECK(bce_logits::compute<1, 2>(z, lab, dy, 2) == doctest::Approx(1.4100376));
    CHECK(dy[0] == doctest::Approx(-0.25));
    CHECK(dy[1] == doctest::Approx(0.4403985));
    // pos_weight 3 triples the positive sample's loss: (3 * 0.6931472 + 2.1269280) / 2
    CHECK(bce_logits::compute<1, 2>(z, lab, dy, 2, 3.0) == doctest::Approx(2.1031848));
    CHECK(dy[0] == doctest::Approx(-0.75));
    // softmax_ce, 3 classes, one sample: y = (1, 2, 3), class 2
    //   logsumexp = 3 + log(1 + e^-1 + e^-2) = 3.4076059644; loss = 0.4076059644
    //   dy = softmax - onehot = (0.0900306, 0.2447285, 0.6652410 - 1)
    const float y[] = {1, 2, 3}, cls[] = {2};
    CHECK(softmax_ce::compute<3, 1>(y, cls, dy, 1) == doctest::Approx(0.4076059644));
    CHECK(dy[0] == doctest::Approx(0.0900306));
    CHECK(dy[1] == doctest::Approx(0.2447285));
    CHECK(dy[2] == doctest::Approx(-0.3347590));
    const float bad1[] = {3}, bad2[] = {1.5f}, bad3[] = {-1};
    CHECK_THROWS_AS((softmax_ce::compute<3, 1>(y, bad1, dy, 1)), std::invalid_argument);
    CHECK_THROWS_AS((softmax_ce::compute<3, 1>(y, bad2, dy, 1)), std::invalid_argument);
    CHECK_THROWS_AS((softmax_ce::compute<3, 1>(y, bad3, dy, 1)), std::invalid_argument);
}

TEST_CASE("losses: stable for large logits") {
    const float y[] = {1000, 0, -1000, 0};
    const float cls[] = {1, 0};
    float dy[4];
    const double l = softmax_ce::compute<2, 2>(y, cls, dy, 2);
    CHECK(l == doctest::Approx(1000.0));  // sample 0 is wrong by 1000, sample 1 right by 1000: (1000 + 0) / 2
    for (float d : dy) CHECK(std::isfinite(d));
    const float z[] = {100, -100}, lab[] = {0, 1};
    CHECK(bce_logits::compute<1, 2>(z, lab, dy, 2) == doctest::Approx(100.0));
    CHECK(dy[0] == doctest::Approx(0.5));
    CHECK(dy[1] == doctest::Approx(-0.5));
}

namespace {
// dL/dy against central differences of L, with `valid` < B columns real.
template <class Loss, int Out, int B, int T>
void check_loss_gradient(std::vector<float> y, std::vector<float> t, int valid, double pos_weight = 1.0) {
    auto eval = [&](float* dy) {
        if constexpr (std::is_same_v<Loss, bce_logits>)
            return Loss::template compute<Out, B>(y.data(), t.data(), dy, valid, pos_weight);
        else
            return Loss::template compute<Out, B>(y.data(), t.data(), dy, valid);
    };
    std::vector<float> dy(static_cast<std::size_t>(Out) * B);
    eval(dy.data());
    std::vector<double> ana, num;
    const float e = 1e-2f;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const float keep = y[i];
        y[i] = keep + e;
        const double fp = eval(nullptr);
        y[i] = keep - e;
        const double fm = eval(nullptr);
        y[i] = keep;
        num.push_back((fp - fm) / double((keep + e) - (keep - e)));
        ana.push_back(dy[i]);
    }
    hps_test::compare_derivatives(Loss::name, ana, num, {});
}
}  // namespace

TEST_CASE("losses: central-difference gradients, padding columns included") {
    rng gen(71);
    auto y = hps_test::normal_vector(4 * 5, gen);
    auto t = hps_test::normal_vector(4 * 5, gen);
    check_loss_gradient<mse, 4, 5, 4>(y, t, 5);
    check_loss_gradient<mse, 4, 5, 4>(y, t, 3);
    check_loss_gradient<mse_half, 4, 5, 4>(y, t, 5);
    check_loss_gradient<mse_half, 4, 5, 4>(y, t, 2);
    // mae: |y - t| kept above the step (its kink)
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = y[i] + (i % 2 ? 0.1f : -0.1f) + 0.5f * float(gen.normal());
    for (std::size_t i = 0; i < t.size(); ++i)
        if (std::fabs(t[i] - y[i]) < 0.05f) t[i] = y[i] + 0.1f;
    check_loss_gradient<mae, 4, 5, 4>(y, t, 5);
    check_loss_gradient<mae, 4, 5, 4>(y, t, 4);
    std::vector<float> labels(4 * 5);
    for (auto& l : labels) l = float(gen.below(2));
    check_loss_gradient<bce_logits, 4, 5, 4>(y, labels, 5);
    check_loss_gradient<bce_logits, 4, 5, 4>(y, labels, 3, 2.5);
    std::vector<float> classes(5);
    for (auto& c : classes) c = float(gen.below(4));
    check_loss_gradient<softmax_ce, 4, 5, 1>(y, classes, 5);
    check_loss_gradient<softmax_ce, 4, 5, 1>(y, classes, 2);
    auto y1 = hps_test::normal_vector(2, gen);
    const std::vector<float> one_class{1};
    check_loss_gradient<softmax_ce, 2, 1, 1>(y1, one_class, 1);
}

TEST_CASE("losses: the kinds' table") {
    // every kind once in hps/config.hpp's table, under its own name and target kind
    CHECK(name_of(loss_kind::mse) == "mse");
    CHECK(name_of(loss_kind::mse_half) == "mse_half");
    CHECK(name_of(loss_kind::mae) == "mae");
    CHECK(name_of(loss_kind::bce) == "bce");
    CHECK(name_of(loss_kind::softmax_ce) == "softmax_ce");
    CHECK(find_by_name(loss_table, "softmax_ce")->kind == loss_kind::softmax_ce);
    CHECK(find_by_name(loss_table, "hinge") == nullptr);
    CHECK(info(loss_kind::bce).target == target_kind::binary);
    CHECK(info(loss_kind::softmax_ce).target == target_kind::classes);
    CHECK(info(loss_kind::mae).target == target_kind::regression);
    CHECK(loss_target_rows<10>(loss_kind::softmax_ce) == 1);
    CHECK(loss_target_rows<10>(loss_kind::mse) == 10);
    CHECK(mse::target_rows<7> == 7);
    CHECK(softmax_ce::target_rows<7> == 1);
    CHECK(bce_logits::target_rows<1> == 1);
    const float y[] = {1, 2, 0, 3, 5, 1};
    const float t[] = {0, 2, 0, 3, 3, 2};
    float dy[6];
    CHECK(compute_loss<3, 2>(loss_kind::mae, y, t, dy, 2) == doctest::Approx(4.0 / 6));
    CHECK(compute_loss<3, 2>(loss_kind::mse_half, y, t, dy, 2) == doctest::Approx(1.5));
    const float c[] = {2, 0};
    CHECK(compute_loss<3, 2>(loss_kind::softmax_ce, y, c, dy, 2) > 0);
    // one output cannot be a softmax over classes
    CHECK_THROWS_AS((compute_loss<1, 2>(loss_kind::softmax_ce, y, c, dy, 2)), std::invalid_argument);
}

TEST_CASE("penalties: Keras convention, hand-computed, and its gradient") {
    // w = (1, -2, 0), l1 = 0.1, l2 = 0.01: 0.1 * 3 + 0.01 * 5 = 0.35
    //   g += 0.1 sign(w) + 0.02 w = (0.12, -0.14, 0)
    const float w[] = {1, -2, 0};
    float g[] = {1, 1, 1};
    CHECK(apply_penalty(w, g, 3, 0.1, 0.01) == doctest::Approx(0.35));
    CHECK(g[0] == doctest::Approx(1.12));
    CHECK(g[1] == doctest::Approx(0.86));
    CHECK(g[2] == 1.0f);
    CHECK(apply_penalty(w, nullptr, 3, 0.1, 0.0) == doctest::Approx(0.3));
    CHECK(apply_penalty(w, g, 3, 0.0, 0.0) == 0.0);

    rng gen(81);
    auto v = hps_test::normal_vector(50, gen);
    for (auto& x : v)
        if (std::fabs(x) < 0.05f) x = 0.3f;  // away from |w|'s kink
    std::vector<float> grad(50, 0.0f);
    apply_penalty(v.data(), grad.data(), 50, 0.003, 0.02);
    std::vector<double> ana(grad.begin(), grad.end()), num;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const float keep = v[i];
        v[i] = keep + 1e-2f;
        const double fp = apply_penalty(v.data(), nullptr, 50, 0.003, 0.02);
        v[i] = keep - 1e-2f;
        const double fm = apply_penalty(v.data(), nullptr, 50, 0.003, 0.02);
        v[i] = keep;
        num.push_back((fp - fm) / double((keep + 1e-2f) - (keep - 1e-2f)));
    }
    hps_test::compare_derivatives("penalty", ana, num, {});
}
