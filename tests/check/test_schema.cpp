// The schema table: lookups, suggestions, descriptions, the generated reference.
#include "check_test_util.hpp"

#include "dsl/schema.hpp"

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
    CHECK(sc::closest("rleu", sc::activations()) == "relu");
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

TEST_CASE("losses and targets") {
    CHECK(sc::loss_target("mse_half") == "regression");
    CHECK(sc::loss_target("bce") == "binary");
    CHECK(sc::loss_target("softmax_ce") == "classes");
}

}  // TEST_SUITE
