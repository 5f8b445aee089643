// The schema table: lookups, suggestions, descriptions, the generated reference.
#include "check_test_util.hpp"

#include "dsl/layer_kind.hpp"
#include "dsl/schema.hpp"

#include <algorithm>
#include <cmath>

using namespace hps;
namespace sc = hps::schema;

TEST_SUITE("schema") {

TEST_CASE("edit distance counts a transposition as one edit") {
    CHECK(sc::edit_distance("filters", "filters") == 0);
    CHECK(sc::edit_distance("filtres", "filters") == 1);
    CHECK(sc::edit_distance("dens", "dense") == 1);
    CHECK(sc::edit_distance("", "abc") == 3);
    CHECK(sc::edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("suggestions come from the table") {
    const sc::block_spec* network = sc::find_block("network");
    REQUIRE(network);
    const sc::head_spec* conv = sc::find_head(*network, "conv2d");
    REQUIRE(conv);
    CHECK(sc::did_you_mean("filtres", sc::option_keys(*conv)) == "; did you mean 'filters'?");
    CHECK(sc::did_you_mean("banana", sc::option_keys(*conv)).empty());
    CHECK(sc::closest("trian", sc::block_names()) == "train");
    CHECK(sc::closest("rleu", sc::names_of(hps::activation_table)) == "relu");
}

TEST_CASE("every head and option is described") {
    for (const auto& b : sc::blocks()) {
        CHECK_FALSE(b.help.empty());
        for (const auto& h : b.heads) {
            CAPTURE(h.name);
            CHECK_FALSE(h.help.empty());
            if (h.positional) CHECK_FALSE(h.positional_name.empty());
            for (const auto& o : h.options) {
                CAPTURE(o.key);
                CHECK_FALSE(o.help.empty());
                CHECK_FALSE(sc::describe(o.value).empty());
            }
        }
    }
    std::string ref = sc::reference();
    CHECK(ref.find("conv2d") != std::string::npos);
    CHECK(ref.find("filters: a whole number") != std::string::npos);
    // the sequence layers are supported: described, not listed as "not supported yet"
    CHECK(ref.find("\n  lstm ") != std::string::npos);
    CHECK(ref.find("\n  conv1d ") != std::string::npos);
    CHECK(ref.find("not supported yet: conv1d") == std::string::npos);
    // the train block's logging row: its choices and default (docs/logging.md)
    CHECK(ref.find("usage: logging all | logging tensorboard | logging mlflow | logging none") != std::string::npos);
    CHECK(ref.find("DESTINATION: one of all, tensorboard, mlflow, none (default all)") != std::string::npos);
}

TEST_CASE("slurm strings are checked") {
    std::string why;
    CHECK(sc::string_ok(sc::string_format::slurm_time, "10:00:00", why));
    CHECK(sc::string_ok(sc::string_format::slurm_time, "2-12:00:00", why));
    CHECK(sc::string_ok(sc::string_format::slurm_time, "90", why));
    CHECK_FALSE(sc::string_ok(sc::string_format::slurm_time, "10h", why));
    CHECK_FALSE(sc::string_ok(sc::string_format::slurm_time, "1:2:3:4", why));
    CHECK(sc::string_ok(sc::string_format::slurm_mem, "4G", why));
    CHECK(sc::string_ok(sc::string_format::slurm_mem, "5000", why));
    CHECK_FALSE(sc::string_ok(sc::string_format::slurm_mem, "4 GB", why));
}

TEST_CASE("durations (checkpoint_every) are a number and a unit; a bare number is seconds") {
    CHECK(sc::duration_seconds("10min") == 600);
    CHECK(sc::duration_seconds("90s") == 90);
    CHECK(sc::duration_seconds("90") == 90);
    CHECK(sc::duration_seconds("1.5h") == 5400);
    CHECK(sc::duration_seconds("0.2") == 0.2);
    CHECK(sc::duration_seconds("0") == 0);
    for (const char* bad : {"", "10 min", "10m", "min", "-5s", ".5h", "1.h", "1.2.3s", "10:00", "1e3s"}) {
        CAPTURE(bad);
        CHECK_FALSE(sc::duration_seconds(bad));
    }
    std::string why;
    CHECK_FALSE(sc::string_ok(sc::string_format::duration, "10m", why));
    CHECK(why.find("\"10min\"") != std::string::npos);
}

TEST_CASE("losses, metrics and optimizers are the runtime's tables") {
    const sc::block_spec& train = *sc::find_block("train");
    CHECK(sc::find_head(train, "loss")->positional->choices == sc::names_of(hps::loss_table));
    const sc::head_spec& opt = *sc::find_head(train, "optimizer");
    CHECK(opt.positional->choices == sc::names_of(hps::optimizer_table));
    // every setting of every optimizer, with the runtime's default for each optimizer
    for (const auto& o : hps::optimizer_table) {
        for (const auto& si : hps::optimizer_setting_table) {
            CAPTURE(o.name);
            CAPTURE(si.name);
            const sc::option_spec* os = sc::find_option(opt, si.name);
            REQUIRE(os);
            const double d = o.defaults[std::size_t(si.key)];
            const bool takes = os->only_with.empty() || std::find(os->only_with.begin(), os->only_with.end(),
                                                                  std::string(o.name)) != os->only_with.end();
            CHECK(takes == !std::isnan(d));
            if (!takes) continue;
            std::string text = os->default_text;
            for (const auto& [c, dv] : os->default_with)
                if (c == o.name) text = dv;
            const double shown = text == "true" ? 1 : text == "false" ? 0 : std::stod(text);
            CHECK(shown == doctest::Approx(d));
        }
    }
    // RMSprop's defaults as the reference prints them: one set, the runtime's
    const std::string ref = sc::reference();
    CHECK(ref.find("rho: a number in [0, 1) * (default 0.9; adadelta: 0.95) [rmsprop, adadelta only]") !=
          std::string::npos);
    const sc::block_spec& metrics = *sc::find_block("metrics");
    for (const auto& m : hps::metric_table) {
        const sc::head_spec* h = sc::find_head(metrics, m.name);
        REQUIRE(h);
        CHECK(h->metric == &m);
    }
    CHECK(sc::metric_targets(hps::info(hps::metric_kind::accuracy)) == std::vector<std::string>{"classes", "binary"});
}


TEST_CASE("the network block's statements are the layer descriptors, in the registry's order") {
    const sc::block_spec& network = *sc::find_block("network");
    REQUIRE(network.heads.size() == hps::layer_kinds().size());
    for (std::size_t i = 0; i < network.heads.size(); ++i) {
        const hps::layer_kind& k = *hps::layer_kinds()[i];
        CAPTURE(k.name);
        CHECK(network.heads[i].name == k.name);  // the statement a descriptor writes is its own
        CHECK(hps::find_layer_kind(k.name) == &k);
        CHECK(bool(k.infer));
        CHECK(bool(k.cpp_type));
        CHECK(k.accepts != 0u);
        CHECK(network.heads[i].repeatable);
    }
    CHECK(hps::find_layer_kind("softmax") == nullptr);
    // a kind resolved by rank: maxpool on a volume is maxpool3d, on an image itself
    const hps::layer_kind& maxpool = *hps::find_layer_kind("maxpool");
    REQUIRE(bool(maxpool.on_rank));
    CHECK(maxpool.on_rank(4) == hps::find_layer_kind("maxpool3d"));
    CHECK(maxpool.on_rank(3) == &maxpool);
}

}  // TEST_SUITE
