// Grid expansion: axes, numbering, pruning and naming.
#include "check_test_util.hpp"

#include "dsl/expand.hpp"

#include <set>

using namespace hps;
using hps::test::check_text;
using hps::test::spec_with;
using hps::test::value_of;

namespace {

// WORKLOADS.md, workload 1: w1*w1*n1+n1 + w2*w2*n1*n2+n2 + 49*n2*n_fc+n_fc + 2*n_fc+2
std::size_t cyplam_params(std::size_t w1, std::size_t n1, std::size_t w2, std::size_t n2, std::size_t nfc) {
    return w1 * w1 * n1 + n1 + w2 * w2 * n1 * n2 + n2 + 49 * n2 * nfc + nfc + 2 * nfc + 2;
}

std::vector<std::string> texts(const axis& a) {
    std::vector<std::string> out;
    for (const auto& v : a.values) out.push_back(v.text);
    return out;
}

std::vector<std::string> names(const study& s) {
    std::vector<std::string> out;
    for (const auto& a : s.axes) out.push_back(a.name);
    return out;
}

}  // namespace

TEST_SUITE("grid") {

TEST_CASE("the CyPLAM grid: 192 points, the published numbering and parameter counts") {
    auto c = check_text(test::read_text(HPS_SOURCE_DIR "/examples/cyplam.hps"), "cyplam.hps");
    REQUIRE_MESSAGE(c.result, c.messages());
    const study& s = *c.result;
    CHECK(c.diags.empty());
    CHECK(s.name == "cyplam");
    CHECK(s.points.size() == 192);
    CHECK(s.full_size == 192);
    CHECK(names(s) == std::vector<std::string>{"conv2d1.filters", "conv2d1.kernel", "conv2d2.filters",
                                               "conv2d2.kernel", "dense1.units"});
    CHECK(texts(s.axes[4]) == std::vector<std::string>{"128", "256", "384", "512", "640", "768", "896", "1024"});
    CHECK(s.points.front().name == "model-000");
    CHECK(s.points.back().name == "model-191");

    std::size_t lo = SIZE_MAX, hi = 0;
    for (const auto& p : s.points) {
        lo = std::min(lo, p.params);
        hi = std::max(hi, p.params);
        // every point against the formula
        auto n = [&](const char* axis) { return std::size_t(value_of(s, p, axis).number); };
        CHECK(p.params == cyplam_params(n("conv2d1.kernel"), n("conv2d1.filters"), n("conv2d2.kernel"),
                                        n("conv2d2.filters"), n("dense1.units")));
    }
    CHECK(lo == 203506);
    CHECK(hi == 3266434);

    struct expected {
        std::size_t id, n1, w1, n2, w2, nfc;
    };
    for (auto e : {expected{40, 8, 5, 32, 5, 128}, expected{108, 16, 5, 32, 5, 640}, expected{189, 32, 5, 64, 5, 768}}) {
        CAPTURE(e.id);
        const grid_point& p = s.points[e.id];
        CHECK(p.id == e.id);
        CHECK(value_of(s, p, "conv2d1.filters").number == e.n1);
        CHECK(value_of(s, p, "conv2d1.kernel").number == e.w1);
        CHECK(value_of(s, p, "conv2d2.filters").number == e.n2);
        CHECK(value_of(s, p, "conv2d2.kernel").number == e.w2);
        CHECK(value_of(s, p, "dense1.units").number == e.nfc);
        CHECK(p.params == cyplam_params(e.w1, e.n1, e.w2, e.n2, e.nfc));
    }
    // by hand: 5*5*1*16+16 + 5*5*16*32+32 + 49*32*640+640 + 2*640+2
    CHECK(s.points[108].params == 416 + 12832 + 1004160 + 1282);
    CHECK(s.points[108].params == 1018690);
    CHECK(s.points[108].name == "model-108");

    // the settings every trainer gets
    const grid_point& p = s.points[108];
    CHECK(p.input == std::vector<int>{28, 28, 1});
    CHECK(p.config.target == hps::target_kind::regression);
    CHECK(p.config.outputs == 2);
    CHECK(p.config.optimizer.kind == hps::optimizer_kind::adam);
    CHECK(p.config.optimizer[hps::optimizer_setting::lr] == doctest::Approx(1e-5));
    CHECK(p.config.loss == hps::loss_kind::mse_half);
    CHECK(p.batch == 128);
    CHECK(p.config.steps == 400000);
    CHECK(p.config.checkpoints == 200);
    REQUIRE(p.config.metrics.size() == 2);
    CHECK(p.config.metrics[0].kind == hps::metric_kind::within);
    CHECK(p.config.metrics[0].name == "acc20");
    CHECK(p.config.metrics[0].param == doctest::Approx(0.2));
    CHECK(p.config.select_max);
    CHECK(p.config.select_metric == "acc20");
    CHECK(s.slurm.partition == "thinnodes");
    CHECK(s.slurm.cpus == 12);
    CHECK(s.slurm.mem == "4G");
    CHECK(s.slurm.time == "10:00:00");
    CHECK(s.slurm.throttle == 64);
}

TEST_CASE("the follow-up examples: 12 chosen models x 4") {
    for (const char* name : {"cyplam_activation", "cyplam_penalty"}) {
        CAPTURE(name);
        auto c = check_text(test::read_text(std::string(HPS_SOURCE_DIR "/examples/") + name + ".hps"));
        REQUIRE_MESSAGE(c.result, c.messages());
        CHECK(c.diags.empty());
        CHECK(c.result->points.size() == 48);
        CHECK(c.result->points.front().name == "model-00");
        CHECK(c.result->points.back().name == "model-47");
        std::set<std::string> models;
        for (const auto& p : c.result->points) {
            std::string key;
            for (const char* a : {"w1", "n1", "w2", "n2", "nfc"}) key += value_of(*c.result, p, a).text + ",";
            models.insert(key);
            CHECK(p.params == cyplam_params(std::size_t(value_of(*c.result, p, "w1").number),
                                            std::size_t(value_of(*c.result, p, "n1").number),
                                            std::size_t(value_of(*c.result, p, "w2").number),
                                            std::size_t(value_of(*c.result, p, "n2").number),
                                            std::size_t(value_of(*c.result, p, "nfc").number)));
        }
        CHECK(models.size() == 12);
    }
}

TEST_CASE("the activation follow-up switches every hidden layer together") {
    auto c = check_text(test::read_text(HPS_SOURCE_DIR "/examples/cyplam_activation.hps"));
    REQUIRE_MESSAGE(c.result, c.messages());
    const study& s = *c.result;
    CHECK(s.axes.back().name == "act");
    const char* order[] = {"relu", "elu", "softplus", "sigmoid"};
    for (const auto& p : s.points) {
        const std::string& act = value_of(s, p, "act").text;
        CHECK(act == order[p.id % 4]);  // declared last: varies fastest
        for (const auto& l : p.layers) {
            if (l.name == "conv2d1" || l.name == "conv2d2" || l.name == "dense1") CHECK(l.activation == act);
            if (l.name == "dense2") CHECK(l.activation == "linear");
        }
    }
}

TEST_CASE("the penalty follow-up: L1 or L2 on dense1, alone or with conv2d2") {
    auto c = check_text(test::read_text(HPS_SOURCE_DIR "/examples/cyplam_penalty.hps"));
    REQUIRE_MESSAGE(c.result, c.messages());
    std::set<std::string> settings;
    for (const auto& p : c.result->points) {
        const layer *conv2 = nullptr, *dense1 = nullptr;
        for (const auto& l : p.layers) {
            if (l.name == "conv2d2") conv2 = &l;
            if (l.name == "dense1") dense1 = &l;
        }
        REQUIRE(conv2);
        REQUIRE(dense1);
        CHECK(((dense1->l1 > 0) != (dense1->l2 > 0)));
        CHECK(((conv2->l1 == 0 && conv2->l2 == 0) || (conv2->l1 == dense1->l1 && conv2->l2 == dense1->l2)));
        settings.insert(format_significant(dense1->l1) + "/" + format_significant(dense1->l2) + "/" + format_significant(conv2->l1) +
                        "/" + format_significant(conv2->l2));
    }
    CHECK(settings.size() == 4);
}

TEST_CASE("axes come in order of first appearance; a let declares its axis where it is written") {
    // lets written after the network: the inline set comes first
    auto text = spec_with("  dense units {4, 8} activation act\n  dense units 1\n", "3",
                          "let b = {16, 32, 64}\nlet act = {relu, tanh}\n");
    text.replace(text.find("steps 100"), 9, "steps 100\n  batch b");
    auto c = check_text(text);
    REQUIRE_MESSAGE(c.result, c.messages());
    const study& s = *c.result;
    CHECK(names(s) == std::vector<std::string>{"dense1.units", "b", "act"});
    CHECK(s.points.size() == 12);
    // row-major, the last axis fastest
    CHECK(value_of(s, s.points[0], "act").text == "relu");
    CHECK(value_of(s, s.points[1], "act").text == "tanh");
    CHECK(value_of(s, s.points[1], "b").text == "16");
    CHECK(value_of(s, s.points[2], "b").text == "32");
    CHECK(value_of(s, s.points[6], "dense1.units").text == "8");
    CHECK(s.points[7].batch == 16);
    CHECK(s.points[7].layers[0].units == 8);
    CHECK(s.points[7].layers[0].activation == "tanh");

    // a let written first comes first, though used last
    std::string first = "study t\nlet seeds = {1, 2}\n" +
                        spec_with("  dense units {1, 2}\n  dense units 1\n", "3").substr(std::string("study t\n").size());
    first.replace(first.find("steps 100"), 9, "steps 100\n  seed seeds");
    auto d = check_text(first);
    REQUIRE_MESSAGE(d.result, d.messages());
    CHECK(names(*d.result) == std::vector<std::string>{"seeds", "dense1.units"});
    CHECK(d.result->points[1].config.seed == 1);
    CHECK(d.result->points[2].config.seed == 2);

    // an unused let is no axis, and a warning
    auto e = check_text(spec_with("  dense units {1, 2}\n  dense units 1\n", "3", "let spare = {1, 2}\n"));
    REQUIRE_MESSAGE(e.result, e.messages());
    CHECK(names(*e.result) == std::vector<std::string>{"dense1.units"});
    CHECK(e.messages().find("warning: axis 'spare' is never used") != std::string::npos);
}

TEST_CASE("a named axis used by several layers is one axis") {
    auto c = check_text(spec_with("  dense units width activation act\n  dense units width activation act\n"
                                  "  dense units 1\n",
                                  "5", "let width = {2, 3}\nlet act = {relu, elu, selu}\n"));
    REQUIRE_MESSAGE(c.result, c.messages());
    const study& s = *c.result;
    CHECK(names(s) == std::vector<std::string>{"width", "act"});
    CHECK(s.points.size() == 6);
    for (const auto& p : s.points) {
        CHECK(p.layers[0].units == p.layers[1].units);
        CHECK(p.layers[0].activation == p.layers[1].activation);
    }
    // width 3, selu: 5*3+3 + 3*3+3 + 3*1+1
    CHECK(s.points[5].layers[1].activation == "selu");
    CHECK(s.points[5].params == 18 + 12 + 4);
}

TEST_CASE("where and tuples prune; survivors are renumbered from 0 in grid order") {
    auto text = spec_with("  dense units a\n  dense units 1\n", "3",
                          "let a = {1, 2, 3}\nlet b = {10, 20}\nwhere a != 2\n");
    text.replace(text.find("steps 100"), 9, "steps 100\n  batch b");
    auto c = check_text(text);
    REQUIRE_MESSAGE(c.result, c.messages());
    const study& s = *c.result;
    CHECK(s.full_size == 6);
    REQUIRE(s.points.size() == 4);
    std::vector<std::size_t> full;
    for (const auto& p : s.points) full.push_back(p.full_id);
    CHECK(full == std::vector<std::size_t>{0, 1, 4, 5});
    CHECK(s.points[2].id == 2);
    CHECK(s.points[2].name == "model-2");
    CHECK(value_of(s, s.points[2], "a").text == "3");
    CHECK(value_of(s, s.points[2], "b").text == "10");

    // tuples: only the listed combinations, in grid order whatever the row order
    auto t = spec_with("  dense units a\n  dense units 1\n", "3",
                       "let a = {1, 2, 3}\nlet b = {10, 20}\ntuples (b, a) {\n  (20, 3)\n  (10, 2)\n  (20, 1)\n}\n");
    t.replace(t.find("steps 100"), 9, "steps 100\n  batch b");
    auto d = check_text(t);
    REQUIRE_MESSAGE(d.result, d.messages());
    REQUIRE(d.result->points.size() == 3);
    CHECK(d.result->full_size == 6);
    std::vector<std::size_t> ids;
    for (const auto& p : d.result->points) ids.push_back(p.full_id);
    CHECK(ids == std::vector<std::size_t>{1, 2, 5});  // (1,20) (2,10) (3,20)

    // where and tuples together, with arithmetic and names
    auto w = spec_with("  dense units a activation act\n  dense units 1\n", "3",
                       "let a = {1, 2, 3, 4}\nlet act = {relu, tanh}\n"
                       "where a % 2 == 0 and not (act == tanh and a > 2)\n");
    auto e = check_text(w);
    REQUIRE_MESSAGE(e.result, e.messages());
    std::vector<std::string> kept;
    for (const auto& p : e.result->points)
        kept.push_back(value_of(*e.result, p, "a").text + value_of(*e.result, p, "act").text);
    CHECK(kept == std::vector<std::string>{"2relu", "2tanh", "4relu"});
}

TEST_CASE("where and tuples may name anonymous axes by their dotted names") {
    auto c = check_text(spec_with("  conv2d filters {4, 8, 16} kernel {3, 5} padding same\n  dense units 1\n",
                                  "8 x 8 x 1",
                                  "where conv2d1.filters * conv2d1.kernel <= 40\n"
                                  "tuples (conv2d1.kernel) {\n  (5)\n}\n"));
    REQUIRE_MESSAGE(c.result, c.messages());
    REQUIRE(c.result->points.size() == 2);
    CHECK(value_of(*c.result, c.result->points[1], "conv2d1.filters").text == "8");
}

TEST_CASE("point names are padded to the width of the largest id") {
    CHECK(point_name(0, 1) == "model-0");
    CHECK(point_name(9, 10) == "model-9");
    CHECK(point_name(0, 11) == "model-00");
    CHECK(point_name(108, 192) == "model-108");
    CHECK(point_name(7, 1000) == "model-007");
    CHECK(point_name(7, 1001) == "model-0007");
    auto c = check_text(spec_with("  dense units 1..10 step 1\n  dense units 1\n", "3"));
    REQUIRE_MESSAGE(c.result, c.messages());
    CHECK(c.result->points.size() == 10);
    CHECK(c.result->points.back().name == "model-9");
}

TEST_CASE("linear and log ranges") {
    auto lin = linear_values(128, 1024, 128);
    REQUIRE(lin);
    CHECK(lin->size() == 8);
    CHECK_FALSE(linear_values(128, 1000, 128));
    CHECK_FALSE(linear_values(10, 1, 1));
    auto tenths = linear_values(0.1, 0.5, 0.1);
    REQUIRE(tenths);
    CHECK(*tenths == std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5});

    std::string text = spec_with("  dense units 1\n", "3");
    text.replace(text.find("steps 100"), 9, "steps 100\n  optimizer adam lr 1e-5..1e-2 log 4");
    auto d = check_text(text);
    REQUIRE_MESSAGE(d.result, d.messages());
    REQUIRE(d.result->axes.size() == 1);
    CHECK(d.result->axes[0].name == "train.lr");
    CHECK(texts(d.result->axes[0]) == std::vector<std::string>{"1e-5", "0.0001", "0.001", "1e-2"});
    CHECK(d.result->points[1].config.optimizer[hps::optimizer_setting::lr] == doctest::Approx(1e-4));

    text = spec_with("  dense units 1\n", "3");
    text.replace(text.find("steps 100"), 9, "steps 100\n  optimizer adam lr 1e-5..1e-3 log 4");
    auto e = check_text(text);
    REQUIRE_MESSAGE(e.result, e.messages());
    CHECK(texts(e.result->axes[0]) == std::vector<std::string>{"1e-5", "4.64159e-05", "0.000215443", "1e-3"});
    // what a trainer uses is what list prints
    CHECK(e.result->points[1].config.optimizer[hps::optimizer_setting::lr] == 4.64159e-05);

    auto lv = log_values(1, 1000, 4);
    CHECK(lv == std::vector<double>{1, 10, 100, 1000});
}

TEST_CASE("inline ranges in train and data name their axes by block") {
    std::string text = spec_with("  dropout {0, 0.5}\n  dense units 1\n", "3");
    text.replace(text.find("steps 100"), 9, "steps {100, 200}\n  batch 16..64 step 16\n  optimizer {sgd, adam}");
    text.replace(text.find("input 3"), 7, "input 3\n  scale {1, 1/255}");
    auto c = check_text(text);
    REQUIRE_MESSAGE(c.result, c.messages());
    CHECK(names(*c.result) ==
          std::vector<std::string>{"data.scale", "dropout1.rate", "train.steps", "train.batch", "train.optimizer"});
    CHECK(c.result->points.size() == 2 * 2 * 2 * 4 * 2);
    const grid_point& last = c.result->points.back();
    CHECK(last.config.scale == doctest::Approx(1.0 / 255));
    CHECK(last.config.optimizer.kind == hps::optimizer_kind::adam);
    CHECK(last.config.optimizer[hps::optimizer_setting::lr] == doctest::Approx(0.001));
    CHECK(c.result->points[0].config.optimizer.kind == hps::optimizer_kind::sgd);
    CHECK(c.result->points[0].config.optimizer[hps::optimizer_setting::lr] == doctest::Approx(0.01));
    CHECK_FALSE(c.result->points[0].config.optimizer.takes(hps::optimizer_setting::beta1));
}

TEST_CASE("defaults: metrics, selection, optimizer, checkpoints") {
    auto c = check_text(spec_with("  dense units 3\n", "4", "", "classes 3"));
    REQUIRE_MESSAGE(c.result, c.messages());
    const grid_point& p = c.result->points.at(0);
    CHECK(p.name == "model-0");
    REQUIRE(p.config.metrics.size() == 1);
    CHECK(p.config.metrics[0].kind == hps::metric_kind::accuracy);
    CHECK(p.config.select_metric == "accuracy");
    CHECK(p.config.select_max);
    CHECK(p.config.optimizer.kind == hps::optimizer_kind::adam);
    CHECK(p.config.optimizer[hps::optimizer_setting::beta2] == doctest::Approx(0.999));
    CHECK(p.config.checkpoints == 10);
    CHECK(p.batch == 32);
    CHECK(p.config.x_name == "x");
    CHECK(p.config.outputs == 3);
    CHECK(p.params == 4 * 3 + 3);
}

TEST_CASE("split: its own seed (1 by default, whatever the training's seed), or the last samples") {
    auto with = [](const std::string& split_line, const std::string& train_extra) {
        std::string text = spec_with("  dense units 1\n", "3");
        text.replace(text.find("  validation \"v.npz\"\n"), 21, split_line);
        text.replace(text.find("steps 100"), 9, "steps 100" + train_extra);
        return check_text(text);
    };
    auto a = with("  split 0.3\n", "\n  seed {1, 2}");
    REQUIRE_MESSAGE(a.result, a.messages());
    REQUIRE(a.result->points.size() == 2);
    for (const grid_point& p : a.result->points) {
        CHECK(p.config.split == doctest::Approx(0.3));
        CHECK(p.config.split_seed == 1);  // repeats share one validation set
        CHECK_FALSE(p.config.split_last);
    }
    CHECK(a.result->points[1].config.seed == 2);
    auto b = with("  split 0.25 seed 9\n", "");
    REQUIRE_MESSAGE(b.result, b.messages());
    CHECK(b.result->points[0].config.split_seed == 9);
    auto c = with("  split 0.3 take last\n", "");
    REQUIRE_MESSAGE(c.result, c.messages());
    CHECK(c.result->points[0].config.split_last);
    auto bad = with("  split 0.3 take first\n", "");
    CHECK_FALSE(bad.result);
    CHECK(bad.messages().find("take") != std::string::npos);
}

// spec_with(network, "3") checked, with `lines` added to its train block
auto with_train_lines(const std::string& network, const std::string& lines) {
    std::string text = spec_with(network, "3");
    text.replace(text.find("steps 100"), 9, "steps 100\n" + lines);
    return check_text(text);
}

// whether with_train_lines(network, lines) is refused with a message that contains `message`
bool refused_with(const std::string& network, const std::string& lines, const std::string& message) {
    const auto r = with_train_lines(network, lines);
    INFO(r.messages());
    return !r.result && r.messages().find(message) != std::string::npos;
}

TEST_CASE("lr_schedule and clip_norm: into each point's config, options checked against the kind") {
    auto with = [](const std::string& lines) { return with_train_lines("  dense units 1\n", lines); };
    auto a = with("  lr_schedule {step, cosine} gamma 0.5 every 10 warmup 20 min_lr 1e-5\n  clip_norm 1.5");
    REQUIRE_MESSAGE(a.result, a.messages());
    REQUIRE(a.result->points.size() == 2);
    const hps::train_config& step = a.result->points[0].config;
    CHECK(step.lr_schedule.kind == hps::schedule_kind::step);
    CHECK(step.lr_schedule.gamma == 0.5);
    CHECK(step.lr_schedule.every == 10);
    CHECK(step.clip_norm == 1.5);
    const hps::train_config& cosine = a.result->points[1].config;
    CHECK(cosine.lr_schedule.kind == hps::schedule_kind::cosine);
    CHECK(cosine.lr_schedule.warmup == 20);
    CHECK(cosine.lr_schedule.min_lr == doctest::Approx(1e-5));
    auto plain = with("");
    REQUIRE_MESSAGE(plain.result, plain.messages());
    CHECK(plain.result->points[0].config.lr_schedule.kind == hps::schedule_kind::constant);
    CHECK(plain.result->points[0].config.clip_norm == 0);

    auto wrong = with("  lr_schedule cosine every 10");
    CHECK_FALSE(wrong.result);
    CHECK(wrong.messages().find("lr_schedule option 'every' applies to step only; the schedule here is cosine") !=
          std::string::npos);
    auto no_every = with("  lr_schedule step");
    CHECK_FALSE(no_every.result);
    CHECK(no_every.messages().find("lr_schedule step needs `every N`") != std::string::npos);
    auto long_warmup = with("  lr_schedule cosine warmup 100");
    CHECK_FALSE(long_warmup.result);
    CHECK(long_warmup.messages().find("warmup 100 is not below the 100 steps of the run") != std::string::npos);
    CHECK_FALSE(with("  clip_norm 0").result);

    auto plateau = with("  lr_schedule plateau factor 0.5 patience 3 min_lr 1e-6");
    REQUIRE_MESSAGE(plateau.result, plateau.messages());
    const hps::schedule_config& p = plateau.result->points[0].config.lr_schedule;
    CHECK(p.kind == hps::schedule_kind::plateau);
    CHECK(p.factor == 0.5);
    CHECK(p.patience == 3);
    CHECK(p.min_lr == doctest::Approx(1e-6));
    auto defaults = with("  lr_schedule plateau");
    REQUIRE_MESSAGE(defaults.result, defaults.messages());
    CHECK(defaults.result->points[0].config.lr_schedule.factor == 0.1);  // torch's
    CHECK(defaults.result->points[0].config.lr_schedule.patience == 10);
    const std::string one = "  dense units 1\n";
    CHECK(refused_with(one, "  lr_schedule step every 10 factor 0.5", "lr_schedule option 'factor' applies to plateau only"));
    CHECK(refused_with(one, "  lr_schedule plateau factor 1", "factor must be"));
}

TEST_CASE("repeat N: the axis train.seed, seed..seed+N-1, the same points as a seed axis") {
    auto with = [](const std::string& lines) { return with_train_lines("  dense units {1, 2}\n  dense units 1\n", lines); };
    auto a = with("  repeat 3");
    REQUIRE_MESSAGE(a.result, a.messages());
    REQUIRE(a.result->points.size() == 6);
    REQUIRE(a.result->axes.size() == 2);
    CHECK(a.result->axes[1].name == "train.seed");
    std::vector<unsigned long> seeds;
    for (const auto& p : a.result->points) seeds.push_back(p.config.seed);
    CHECK(seeds == std::vector<unsigned long>{1, 2, 3, 1, 2, 3});
    auto axis = with("  seed {1, 2, 3}");
    REQUIRE_MESSAGE(axis.result, axis.messages());
    for (std::size_t i = 0; i < 6; ++i)
        CHECK(axis.result->points[i].config.seed == a.result->points[i].config.seed);

    auto from = with("  seed 41\n  repeat 2");
    REQUIRE_MESSAGE(from.result, from.messages());
    CHECK(from.result->points[0].config.seed == 41);
    CHECK(from.result->points[1].config.seed == 42);
    auto once = with("  seed 5\n  repeat 1");
    REQUIRE_MESSAGE(once.result, once.messages());
    CHECK(once.result->points.size() == 2);
    CHECK(once.result->points[0].config.seed == 5);

    const std::string two = "  dense units {1, 2}\n  dense units 1\n";
    CHECK(refused_with(two, "  seed {1, 2}\n  repeat 3", "repeat 3 and a seed axis both vary the seed; keep one"));
    CHECK(refused_with(two, "  repeat {2, 3}", "repeat takes a single value, not a set"));
    CHECK(refused_with(two, "  repeat 0", "repeat must be >= 1"));
    CHECK(refused_with(two, "  seed 4294967295\n  repeat 2", "passes the largest seed"));
}

TEST_CASE("folds K: the axis train.fold, 0..K-1, drawn with its own seed; refused where it cannot be grouped") {
    // spec_with's study with `data_line` for its validation file, `lines` in its train block
    // and `extra` (a search block) after it
    auto with = [](const std::string& data_line, const std::string& lines, const std::string& extra = "") {
        std::string text = spec_with("  dense units {1, 2}\n  dense units 1\n", "3", extra);
        text.replace(text.find("  validation \"v.npz\"\n"), 21, data_line);
        text.replace(text.find("steps 100"), 9, "steps 100\n" + lines);
        return check_text(text);
    };
    auto a = with("", "  folds 3\n  repeat 2");
    REQUIRE_MESSAGE(a.result, a.messages());
    REQUIRE(a.result->points.size() == 12);  // 2 configurations x 2 seeds x 3 folds
    REQUIRE(a.result->axes.size() == 3);
    CHECK(a.result->axes[1].name == "train.seed");
    CHECK(a.result->axes[2].name == "train.fold");
    CHECK(texts(a.result->axes[2]) == std::vector<std::string>{"0", "1", "2"});
    std::vector<int> folds;
    for (const grid_point& p : a.result->points) {
        folds.push_back(p.config.fold);
        CHECK(p.config.folds == 3);
        CHECK(p.config.split_seed == 1);  // every run and repeat shares the folds
        CHECK(p.config.split == 0);
        CHECK(p.config.validation.empty());
    }
    CHECK(folds == std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
    CHECK(a.result->points[4].config.seed == 2);
    auto seeded = with("", "  folds 2 seed 9");
    REQUIRE_MESSAGE(seeded.result, seeded.messages());
    CHECK(seeded.result->points.size() == 4);
    CHECK(seeded.result->points[3].config.split_seed == 9);
    CHECK(seeded.result->points[3].config.fold == 1);

    auto refused = [&](const std::string& data_line, const std::string& lines, const std::string& extra,
                       const std::string& message) {
        const auto r = with(data_line, lines, extra);
        INFO(r.messages());
        return !r.result && r.messages().find(message) != std::string::npos;
    };
    CHECK(refused("", "  folds 1", "", "folds must be >= 2"));
    CHECK(refused("", "  folds {3, 5}", "", "folds takes a single value, not a set"));
    CHECK(refused("", "", "", "data needs one of: validation, split (e.g. validation \"data/validation.npz\"), or folds K"));
    CHECK(refused("  validation \"v.npz\"\n", "  folds 3", "", "folds 3 validates each run on a fold of train, so this "
                                                               "validation file would not be used"));
    CHECK(refused("  split 0.2\n", "  folds 3", "", "folds 3 replaces split"));
    CHECK(refused("  split 0.2 take last\n", "  folds 3", "", "folds 3 and split take last exclude each other: for "
                                                               "time-ordered data"));
    CHECK(refused("", "  folds 3", "search {\n  halving min_steps 10 max_steps 90\n}\n",
                  "folds 3 and search halving exclude each other"));
    CHECK(refused("", "  folds 3", "search {\n  random 2\n}\n", "folds 3 and search random exclude each other"));
}

}  // TEST_SUITE
