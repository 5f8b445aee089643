// Shape propagation and parameter counts on small hand-worked networks.
#include "check_test_util.hpp"

using namespace hps;
using hps::test::check_text;
using hps::test::spec_with;

namespace {

const layer& find(const grid_point& p, const std::string& name) {
    for (const auto& l : p.layers)
        if (l.name == name) return l;
    FAIL("no layer " << name);
    return p.layers.at(0);
}

using shape = std::vector<int>;

}  // namespace

TEST_SUITE("shapes") {

TEST_CASE("valid and same padding, strides, pooling, implicit flatten") {
    auto c = check_text(spec_with("  conv2d filters 4 kernel 3\n"                               // valid
                                  "  conv2d filters 2 kernel 3 stride 2 padding same\n"         // ceil(6/2)
                                  "  maxpool 3\n"
                                  "  dense units 5 activation tanh\n"
                                  "  dense units 1\n",
                                  "8 x 8 x 3"));
    REQUIRE_MESSAGE(c.result, c.messages());
    const grid_point& p = c.result->points.at(0);
    REQUIRE(p.layers.size() == 6);
    const layer& c1 = find(p, "conv2d1");
    CHECK(c1.in_shape == shape{8, 8, 3});
    CHECK(c1.out_shape == shape{6, 6, 4});
    CHECK(c1.params == 3 * 3 * 3 * 4 + 4);
    CHECK(c1.padding == "valid");
    CHECK(c1.kernel == shape{3, 3});
    CHECK(c1.stride == shape{1, 1});
    const layer& c2 = find(p, "conv2d2");
    CHECK(c2.out_shape == shape{3, 3, 2});
    CHECK(c2.params == 3 * 3 * 4 * 2 + 2);
    CHECK(c2.stride == shape{2, 2});
    const layer& pool = find(p, "maxpool1");
    CHECK(pool.out_shape == shape{1, 1, 2});
    CHECK(pool.pool == shape{3, 3});
    CHECK(pool.stride == shape{3, 3});
    CHECK(pool.params == 0);
    const layer& flat = p.layers[3];
    CHECK(flat.kind == "flatten");
    CHECK(flat.name == "flatten1");
    CHECK(flat.implicit);
    CHECK(flat.out_shape == shape{2});
    const layer& d1 = find(p, "dense1");
    CHECK(d1.in_shape == shape{2});
    CHECK(d1.params == 2 * 5 + 5);
    CHECK(d1.activation == "tanh");
    CHECK(find(p, "dense2").params == 5 + 1);
    CHECK(p.params == 112 + 74 + 15 + 6);
}

TEST_CASE("valid padding with a stride; pooling with its own stride") {
    auto c = check_text(spec_with("  conv2d filters 1 kernel 3 stride 2\n"  // (9-3)/2+1 = 4
                                  "  dense units 1\n",
                                  "9 x 9 x 1"));
    REQUIRE_MESSAGE(c.result, c.messages());
    CHECK(c.result->points[0].layers[0].out_shape == shape{4, 4, 1});

    auto d = check_text(spec_with("  maxpool 3 stride 2\n  dense units 1\n", "7 x 7 x 2"));  // (7-3)/2+1 = 3
    REQUIRE_MESSAGE(d.result, d.messages());
    CHECK(d.result->points[0].layers[0].out_shape == shape{3, 3, 2});
    CHECK(d.result->points[0].layers[2].params == 3 * 3 * 2 + 1);

    auto e = check_text(spec_with("  conv2d filters 3 kernel 5 stride 3 padding same\n  dense units 1\n",
                                  "10 x 10 x 1"));  // ceil(10/3) = 4
    REQUIRE_MESSAGE(e.result, e.messages());
    CHECK(e.result->points[0].layers[0].out_shape == shape{4, 4, 3});
    CHECK(e.result->points[0].layers[0].params == 5 * 5 * 1 * 3 + 3);
}

TEST_CASE("explicit flatten, dropout keeps its shape, vectors in and out") {
    auto c = check_text(spec_with("  maxpool 2\n  dropout 0.5\n  flatten\n  dense units 1\n", "4 x 4 x 3"));
    REQUIRE_MESSAGE(c.result, c.messages());
    const grid_point& p = c.result->points[0];
    REQUIRE(p.layers.size() == 4);
    CHECK(p.layers[1].out_shape == shape{2, 2, 3});
    CHECK(p.layers[1].rate == doctest::Approx(0.5));
    CHECK(p.layers[2].name == "flatten1");
    CHECK_FALSE(p.layers[2].implicit);
    CHECK(p.layers[2].out_shape == shape{12});
    CHECK(p.params == 13);

    auto v = check_text(spec_with("  dense units 16 activation relu\n  dropout 0.1\n  dense units 1\n", "30", "",
                                  "binary"));
    REQUIRE_MESSAGE(v.result, v.messages());
    CHECK(v.result->points[0].params == 30 * 16 + 16 + 16 + 1);
    CHECK(v.result->points[0].layers.size() == 3);
}

TEST_CASE("shapes are checked at every grid point, and reported once per layer and message") {
    // kernel 5 valid: 28 -> 24 -> pool 12 (fine); kernel 3: 26 -> 13 -> pool 2 leaves a row
    auto c = check_text(spec_with("  conv2d filters {4, 8} kernel {3, 5}\n  maxpool 2\n  maxpool 2\n"
                                  "  dense units 1\n",
                                  "28 x 28 x 1"));
    CHECK_FALSE(c.result);
    std::string m = c.messages();
    CAPTURE(m);
    CHECK(m.find("maxpool2: its 13 x 13 input does not divide into windows of 2") != std::string::npos);
    CHECK(m.find("at 2 of 4 grid points, e.g. model-0 (conv2d1.filters=4, conv2d1.kernel=3)") != std::string::npos);
    CHECK(c.diags.error_count() == 1);

    // where can remove the points that would not work
    auto d = check_text(spec_with("  conv2d filters {4, 8} kernel k\n  maxpool 2\n  maxpool 2\n  dense units 1\n",
                                  "28 x 28 x 1", "let k = {3, 5}\nwhere k == 5\n"));
    REQUIRE_MESSAGE(d.result, d.messages());
    CHECK(d.result->points.size() == 2);
}

TEST_CASE("the last layer must give the target's outputs") {
    auto c = check_text(spec_with("  dense units {1, 2}\n", "3"));
    CHECK_FALSE(c.result);
    CHECK(c.messages().find("dense1 gives 2 outputs, but target regression 1 needs 1 at grid point model-1 "
                            "(dense1.units=2); write units 1") != std::string::npos);
}


TEST_CASE("gru: every step's hidden state or the last, torch's parameter count") {
    auto c = check_text(spec_with("  conv1d filters 4 kernel 3\n"
                                  "  gru units 8 return_sequences true\n"
                                  "  gru units 5\n"
                                  "  dense units 1\n",
                                  "15 x 2"));
    REQUIRE_MESSAGE(c.result, c.messages());
    const grid_point& p = c.result->points.at(0);
    REQUIRE(p.layers.size() == 4);  // no flatten: the second gru's output is a vector
    const layer& g1 = find(p, "gru1");
    CHECK(g1.kind == "gru");
    CHECK(g1.in_shape == shape{13, 4});
    CHECK(g1.out_shape == shape{13, 8});
    CHECK(g1.sequences);
    CHECK(g1.params == 3 * 8 * (4 + 8) + 6 * 8);  // W_ih (3U, F), W_hh (3U, U), b_ih, b_hh
    const layer& g2 = find(p, "gru2");
    CHECK(g2.out_shape == shape{5});
    CHECK_FALSE(g2.sequences);
    CHECK(g2.params == 3 * 5 * (8 + 5) + 6 * 5);
    CHECK(p.params == (3 * 2 * 4 + 4) + 336 + 225 + 6);
}

}  // TEST_SUITE
