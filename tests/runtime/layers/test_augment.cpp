// hps::augmenter (runtime/hps/augment.hpp): each transform by hand on tiny images and a
// volume, the draws' ranges and order, determinism from (seed, step, sample) alone, and the
// shapes a transform refuses. That validation and test data are never augmented is checked
// end to end (tests/examples/examples_3d_test.py: the validation loss of an untrained
// model is the same with and without augmentation).
#include <doctest/doctest.h>
#include <hps/augment.hpp>

#include <cmath>
#include <set>
#include <vector>

using namespace hps;
using draws = augmenter::draws;

namespace {
augmenter make(augment_config c, std::vector<int> dims, float range = 1.0f) {
    augmenter a;
    a.setup(c, dims, range);
    return a;
}
std::vector<float> iota(int n, float first = 1) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[std::size_t(i)] = first + float(i);
    return v;
}
}  // namespace

TEST_CASE("augment: flips by hand on a 2 x 3 x 2 image") {
    // pixel (h, w) has channels (10h + w, -(10h + w))
    std::vector<float> x;
    for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 3; ++w) x.push_back(float(10 * h + w)), x.push_back(-float(10 * h + w));
    augment_config c;
    c.flip_horizontal = c.flip_vertical = true;
    augmenter a = make(c, {2, 3, 2});
    std::vector<float> y = x;
    draws d;
    d.flip[1] = true;  // horizontal: the width
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{2, -2, 1, -1, 0, -0, 12, -12, 11, -11, 10, -10});
    y = x;
    d = {};
    d.flip[0] = true;  // vertical: the height
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{10, -10, 11, -11, 12, -12, 0, -0, 1, -1, 2, -2});
    y = x;
    d.flip[1] = true;  // both: a half turn
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{12, -12, 11, -11, 10, -10, 2, -2, 1, -1, 0, -0});
}

TEST_CASE("augment: translation by hand, zero fill") {
    // 3 x 4 x 1 of 1..12
    augment_config c;
    c.translate = 2;
    augmenter a = make(c, {3, 4, 1});
    std::vector<float> y = iota(12);
    draws d;
    d.shift[0] = 1;   // down one row
    d.shift[1] = -2;  // left two columns
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{0, 0, 0, 0,  //
                                  3, 4, 0, 0,  //
                                  7, 8, 0, 0});
    // a shift and a flip: out(p) = in(flip(p - shift))
    y = iota(12);
    d = {};
    d.shift[1] = 1;
    d.flip[1] = true;
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{0, 4, 3, 2, 0, 8, 7, 6, 0, 12, 11, 10});
    // a volume shifts in depth too: 2 x 2 x 2 x 1, one step deeper
    c.translate = 1;
    augmenter v = make(c, {2, 2, 2, 1});
    y = iota(8);
    d = {};
    d.shift[0] = 1;
    v.transform(y.data(), d);
    CHECK(y == std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4});
    // a sequence (L, C) shifts along L
    augmenter s = make(c, {4, 2});
    y = iota(8);
    d = {};
    d.shift[0] = -1;
    s.transform(y.data(), d);
    CHECK(y == std::vector<float>{3, 4, 5, 6, 7, 8, 0, 0});
}

TEST_CASE("augment: brightness and contrast by hand") {
    augment_config c;
    c.brightness = 0.25;
    c.contrast = 0.5;
    augmenter a = make(c, {2, 2, 1}, 2.0f);
    std::vector<float> y = {1, 2, 3, 6};  // mean 3
    draws d;
    d.factor = 1.5;  // deviations (-2, -1, 0, 3) -> (-3, -1.5, 0, 4.5)
    d.delta = 0.5;
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{0.5f, 2.0f, 3.5f, 8.0f});
    // brightness alone adds the same amount everywhere; contrast alone keeps the mean
    y = {1, 2, 3, 6};
    d = {};
    d.delta = -0.25;
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{0.75f, 1.75f, 2.75f, 5.75f});
    y = {1, 2, 3, 6};
    d = {};
    d.factor = 0.5;
    a.transform(y.data(), d);
    CHECK(y == std::vector<float>{2.0f, 2.5f, 3.0f, 4.5f});
    CHECK(augmenter::data_range(y.data(), 4) == 2.5f);
}

TEST_CASE("augment: the draws cover their ranges, each on its own switch") {
    augment_config c;
    c.brightness = 0.25;
    c.contrast = 0.25;
    c.flip_horizontal = true;
    c.translate = 2;
    augmenter a = make(c, {4, 5, 1}, 2.0f);  // brightness up to 0.25 * range 2 = 0.5
    std::set<int> shifts0, shifts1;
    int flips = 0;
    double lo_f = 9, hi_f = -9, lo_d = 9, hi_d = -9;
    for (int i = 0; i < 2000; ++i) {
        rng gen(augmenter::sample_seed(7, i, 0));
        const draws d = a.draw(gen);
        CHECK(!d.flip[0]);  // vertical is off
        flips += d.flip[1];
        shifts0.insert(d.shift[0]);
        shifts1.insert(d.shift[1]);
        lo_f = std::min(lo_f, d.factor), hi_f = std::max(hi_f, d.factor);
        lo_d = std::min(lo_d, d.delta), hi_d = std::max(hi_d, d.delta);
    }
    CHECK(flips > 900);
    CHECK(flips < 1100);
    CHECK(shifts0 == std::set<int>{-2, -1, 0, 1, 2});
    CHECK(shifts1 == std::set<int>{-2, -1, 0, 1, 2});
    CHECK(lo_f >= 0.75);
    CHECK(lo_f < 0.76);
    CHECK(hi_f <= 1.25);
    CHECK(hi_f > 1.24);
    CHECK(lo_d >= -0.5);
    CHECK(lo_d < -0.49);
    CHECK(hi_d <= 0.5);
    CHECK(hi_d > 0.49);
    // a transform that is off draws nothing and changes nothing
    augment_config only;
    only.brightness = 0.1;
    augmenter b = make(only, {4, 5, 1});
    rng g1(3), g2(3);
    const draws d = b.draw(g1);
    CHECK(d.factor == 1.0);
    CHECK(d.shift[0] == 0);
    CHECK(d.delta == doctest::Approx(0.1 * (2 * g2.uniform() - 1)));  // the first draw is brightness's
    CHECK(g1.next() == g2.next());
}

TEST_CASE("augment: a batch depends on (seed, step) alone, each sample on its own draws") {
    augment_config c;
    c.brightness = 0.25;
    c.contrast = 0.25;
    c.flip_horizontal = c.flip_vertical = true;
    c.translate = 1;
    augmenter a = make(c, {6, 6, 2});
    constexpr int B = 5, n = 72;
    std::vector<float> batch(std::size_t(n) * B);
    rng data(11);
    for (auto& v : batch) v = float(data.uniform());

    std::vector<float> first = batch, again = batch, later = batch;
    a.apply(first.data(), B, 1, 40);
    augmenter fresh = make(c, {6, 6, 2});  // a resumed run: a new augmenter, no history
    for (long s = 0; s < 3; ++s) {
        std::vector<float> other = batch;
        fresh.apply(other.data(), B, 1, s);
    }
    fresh.apply(again.data(), B, 1, 40);
    CHECK(first == again);
    CHECK(first != batch);
    a.apply(later.data(), B, 1, 41);
    CHECK(later != first);
    std::vector<float> seeded = batch;
    a.apply(seeded.data(), B, 2, 40);
    CHECK(seeded != first);
    // sample 3 of the batch is sample 3's draws applied alone
    std::vector<float> one(batch.begin() + 3 * n, batch.begin() + 4 * n);
    rng gen(augmenter::sample_seed(1, 40, 3));
    a.apply_one(one.data(), gen);
    CHECK(one == std::vector<float>(first.begin() + 3 * n, first.begin() + 4 * n));
    // nothing on: nothing changes
    augmenter off = make({}, {6, 6, 2});
    std::vector<float> same = batch;
    off.apply(same.data(), B, 1, 40);
    CHECK(!off.active());
    CHECK(same == batch);
}

TEST_CASE("augment: shapes a transform cannot take") {
    augment_config flip_v;
    flip_v.flip_vertical = true;
    augmenter a;
    CHECK_THROWS_AS(a.setup(flip_v, {16, 1}, 1), std::invalid_argument);  // (L, C): no height
    CHECK_NOTHROW(a.setup(flip_v, {4, 4, 1}, 1));
    augment_config shift;
    shift.translate = 4;
    CHECK_THROWS_AS(a.setup(shift, {4, 8, 1}, 1), std::invalid_argument);
    CHECK_THROWS_AS(a.setup(shift, {30}, 1), std::invalid_argument);  // a flat vector has no spatial axis
    augment_config bright;
    bright.brightness = 0.5;
    CHECK_NOTHROW(a.setup(bright, {30}, 1));
    bright.contrast = 1.5;
    CHECK_THROWS_AS(a.setup(bright, {30}, 1), std::invalid_argument);
}
