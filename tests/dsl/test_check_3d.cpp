// The checker and the emitter on volumes, batchnorm and the augment block: shapes and
// parameter counts (the same rules as the runtime's layers: layers_3d tests those), the
// maxpool/avgpool -> 3-D dispatch on a volume, the C++ types emitted, the augmentation
// settings per grid point and the config lines a trainer gets. Shape *errors* are golden
// files: tests/dsl/golden/check/{volume_*,batchnorm_*,augment_*,input_five_dims}.hps.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "check_test_util.hpp"
#include "generator/emit.hpp"

#include <hps/settings.hpp>

using namespace hps;

namespace {
const study& ok(const test::checked& c) {
    INFO(c.messages());
    REQUIRE(c.parsed);
    REQUIRE(c.result);
    return *c.result;
}
std::vector<std::string> types(const grid_point& p) {
    std::vector<std::string> out;
    for (const auto& l : p.layers) out.push_back(layer_type(l));
    return out;
}
}  // namespace

TEST_CASE("volumes: shapes, parameter counts and emitted types") {
    auto c = test::check_text(test::spec_with("  conv3d filters 8 kernel 3 padding same activation relu\n"
                                              "  batchnorm\n"
                                              "  maxpool 2\n"
                                              "  conv3d filters 4 kernel 3 stride 2 activation elu\n"
                                              "  avgpool 2 stride 1\n"
                                              "  maxpool3d 2 stride 1\n"
                                              "  batchnorm\n"
                                              "  dense units 5\n"
                                              "  batchnorm\n"
                                              "  dense units 1\n",
                                              "16 x 20 x 18 x 2"));
    const study& s = ok(c);
    REQUIRE(s.points.size() == 1);
    const grid_point& p = s.points[0];
    REQUIRE(p.layers.size() == 11);  // an implicit flatten before the first dense
    CHECK(p.layers[0].out_shape == std::vector<int>{16, 20, 18, 8});
    CHECK(p.layers[0].params == 27 * 2 * 8 + 8);
    CHECK(p.layers[1].params == 16);  // gamma, beta per channel
    CHECK(p.layers[2].kind == "maxpool3d");  // maxpool on a volume pools in 3-D
    CHECK(p.layers[2].name == "maxpool1");
    CHECK(p.layers[2].out_shape == std::vector<int>{8, 10, 9, 8});
    CHECK(p.layers[3].out_shape == std::vector<int>{3, 4, 4, 4});  // VALID 3, stride 2: (8-3)/2+1, (10-3)/2+1, (9-3)/2+1
    CHECK(p.layers[3].params == 27 * 8 * 4 + 4);
    CHECK(p.layers[4].kind == "avgpool3d");
    CHECK(p.layers[4].out_shape == std::vector<int>{2, 3, 3, 4});
    CHECK(p.layers[5].out_shape == std::vector<int>{1, 2, 2, 4});
    CHECK(p.layers[6].params == 8);
    CHECK(p.layers[7].kind == "flatten");
    CHECK(p.layers[9].kind == "batchnorm");
    CHECK(p.layers[9].params == 10);  // per feature of the flat input
    CHECK(p.params == (27 * 2 * 8 + 8) + 16 + (27 * 8 * 4 + 4) + 8 + (16 * 5 + 5) + 10 + (5 + 1));
    CHECK(types(p) == std::vector<std::string>{
                          "hps::conv3d<8, 3, hps::same, hps::relu, 1>", "hps::batchnorm", "hps::maxpool3d<2, 2>",
                          "hps::conv3d<4, 3, hps::valid, hps::elu, 2>", "hps::avgpool3d<2, 1>", "hps::maxpool3d<2, 1>",
                          "hps::batchnorm", "hps::flatten", "hps::dense<5, hps::linear>", "hps::batchnorm",
                          "hps::dense<1, hps::linear>"});
}

TEST_CASE("batchnorm on images and sequences; pools stay 2-D on images") {
    auto c = test::check_text(test::spec_with("  batchnorm\n  conv2d filters 3 kernel 3\n  batchnorm\n  maxpool 2\n"
                                              "  avgpool 2\n  dense units 1\n",
                                              "10 x 10 x 2"));
    const grid_point& p = ok(c).points[0];
    CHECK(p.layers[0].params == 4);
    CHECK(p.layers[2].params == 6);
    CHECK(p.layers[3].kind == "maxpool");
    CHECK(layer_type(p.layers[3]) == "hps::maxpool2d<2, 2, 2, 2>");
    auto q = test::check_text(test::spec_with("  batchnorm\n  dense units 1\n", "12 x 3"));
    CHECK(ok(q).points[0].layers[0].params == 6);
}

TEST_CASE("augment: settings per grid point, emitted into the trainer's config") {
    const std::string augment = "let j = {0, 0.25}\n"
                                "augment {\n  brightness j\n  contrast j\n  flip {horizontal, both}\n  translate 2\n}\n";
    auto c = test::check_text(test::spec_with("  conv2d filters 2 kernel 3\n  dense units 1\n", "8 x 8 x 1", augment));
    const study& s = ok(c);
    REQUIRE(s.points.size() == 4);  // j x flip, flip fastest
    const auto& a0 = s.points[0].config.augment;
    CHECK(a0.brightness == 0);
    CHECK(a0.contrast == 0);
    CHECK(a0.flip_horizontal);
    CHECK(!a0.flip_vertical);
    CHECK(a0.translate == 2);
    const auto& a3 = s.points[3].config.augment;
    CHECK(a3.brightness == 0.25);
    CHECK(a3.contrast == 0.25);
    CHECK(a3.flip_horizontal);
    CHECK(a3.flip_vertical);

    // what the trainer reads: the point's settings file, through the runtime's reader
    emit_options opt;
    opt.spec_display = "t.hps";
    auto augment_of = [&](const study& st, const grid_point& p) {
        const point_files f = emit_point(st, p, opt);
        return read_settings(f.settings, signature_of(p).signature, p.params, "t").augment;
    };
    const augment_config r0 = augment_of(s, s.points[0]), r3 = augment_of(s, s.points[3]);
    CHECK(r0.brightness == 0);
    CHECK(r0.flip_horizontal);
    CHECK(!r0.flip_vertical);
    CHECK(r0.translate == 2);
    CHECK(r3.brightness == 0.25);
    CHECK(r3.contrast == 0.25);
    CHECK(r3.flip_vertical);

    // no augment block: no augmentation
    auto plain = test::check_text(test::spec_with("  dense units 1\n", "8 x 8 x 1"));
    const study& ps = ok(plain);
    CHECK(!augment_of(ps, ps.points[0]).active());
    // brightness and contrast apply to any input, a flat vector included
    auto flat = test::check_text(test::spec_with("  dense units 1\n", "30", "augment {\n  brightness 0.1\n}\n"));
    CHECK(ok(flat).points[0].config.augment.brightness == 0.1);
}
