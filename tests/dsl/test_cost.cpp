// The memory and time estimate (generator/cost.hpp, the descriptors' layer_kind::memory
// and flops): each layer kind's state and scratch against the runtime's own constexpr
// counts for the type the generator emits (built with the trainers' -march=native, so
// the vector unit native_vector_unit() finds is the one the runtime was compiled for);
// a whole point's floats against a hand count; the optimizers' slots; the --mem text.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "check_test_util.hpp"
#include "dsl/layer_kind.hpp"
#include "generator/cost.hpp"
#include "generator/emit.hpp"

#include <hps/layers.hpp>

using namespace hps;

namespace {

std::string spec(const std::string& input, const std::string& network, int batch, const std::string& optimizer = "adam") {
    return "study t\n"
           "data {\n  train \"t.npz\"\n  validation \"v.npz\"\n  input " + input + "\n  target regression 1\n}\n"
           "network {\n" + network + "}\n"
           "train {\n  optimizer " + optimizer + "\n  loss mse\n  batch " + std::to_string(batch) + "\n  steps 100\n}\n";
}

const grid_point& point_of(const test::checked& c) {
    INFO(c.messages());
    REQUIRE(c.parsed);
    REQUIRE(c.result);
    REQUIRE(!c.result->points.empty());
    return c.result->points.front();
}

// The layer `name` of the point: its emitted type must be `type`, and its state and
// scratch at the point's batch those the runtime declares (state, scratch).
void check_layer(const grid_point& p, const std::string& name, const std::string& type, std::size_t state,
                 std::size_t scratch) {
    for (const layer& l : p.layers)
        if (l.name == name) {
            CHECK(layer_type(l) == type);
            const layer_kind* kind = find_layer_kind(l.kind);
            REQUIRE(kind);
            const layer_memory m = kind->memory ? kind->memory(l, p.batch) : layer_memory{};
            CHECK_MESSAGE(m.state == state, name);
            CHECK_MESSAGE(m.scratch == scratch, name);
            return;
        }
    FAIL("no layer " << name);
}

template <class Spec, class In, int B>
using impl = typename Spec::template impl<In, B>;

}  // namespace

TEST_CASE("each kind's state and scratch are the runtime's") {
    {
        auto c = test::check_text(spec("28 x 28 x 1",
                                       "  conv2d filters 8 kernel 3 padding same activation relu\n"
                                       "  maxpool 2\n"
                                       "  conv2d filters 5 kernel 5 stride 2 activation linear\n"
                                       "  batchnorm\n"
                                       "  dropout 0.25\n"
                                       "  dense units 24 activation relu\n"
                                       "  dense units 1\n",
                                       32));
        const grid_point& p = point_of(c);
        using c1 = impl<hps::conv2d<8, 3, 3, hps::same, hps::relu, 1, 1>, hps::shape<28, 28, 1>, 32>;
        using m1 = impl<hps::maxpool2d<2, 2, 2, 2>, hps::shape<28, 28, 8>, 32>;
        using c2 = impl<hps::conv2d<5, 5, 5, hps::valid, hps::linear, 2, 2>, hps::shape<14, 14, 8>, 32>;
        using bn = impl<hps::batchnorm, hps::shape<5, 5, 5>, 32>;
        using dr = impl<hps::dropout<>, hps::shape<5, 5, 5>, 32>;
        using d1 = impl<hps::dense<24, hps::relu>, hps::shape<125>, 32>;
        using d2 = impl<hps::dense<1, hps::linear>, hps::shape<24>, 32>;
        check_layer(p, "conv2d1", "hps::conv2d<8, 3, 3, hps::same, hps::relu, 1, 1>", c1::num_state, c1::scratch_size);
        check_layer(p, "maxpool1", "hps::maxpool2d<2, 2, 2, 2>", m1::num_state, m1::scratch_size);
        check_layer(p, "conv2d2", "hps::conv2d<5, 5, 5, hps::valid, hps::linear, 2, 2>", c2::num_state, c2::scratch_size);
        check_layer(p, "batchnorm1", "hps::batchnorm", bn::num_state, bn::scratch_size);
        check_layer(p, "dropout1", "hps::dropout<>", dr::num_state, dr::scratch_size);
        check_layer(p, "dense1", "hps::dense<24, hps::relu>", d1::num_state, d1::scratch_size);
        check_layer(p, "dense2", "hps::dense<1, hps::linear>", d2::num_state, d2::scratch_size);
        // the pads of conv2d2's 5 filters and its kept dz, by hand on the runtime's own numbers
        CHECK(c2::scratch_size > 0);
    }
    {
        auto c = test::check_text(spec("40 x 3",
                                       "  conv1d filters 12 kernel 3 padding same activation tanh\n"
                                       "  maxpool 2\n"
                                       "  lstm units 16 return_sequences true\n"
                                       "  gru units 12\n"
                                       "  dense units 1\n",
                                       8));
        const grid_point& p = point_of(c);
        using c1 = impl<hps::conv1d<12, 3, hps::same, hps::tanh, 1>, hps::shape<40, 3>, 8>;
        using m1 = impl<hps::maxpool1d<2, 2>, hps::shape<40, 12>, 8>;
        using l1 = impl<hps::lstm<16, true>, hps::shape<20, 12>, 8>;
        using g1 = impl<hps::gru<12>, hps::shape<20, 16>, 8>;
        check_layer(p, "conv1d1", "hps::conv1d<12, 3, hps::same, hps::tanh, 1>", c1::num_state, c1::scratch_size);
        check_layer(p, "maxpool1", "hps::maxpool1d<2, 2>", m1::num_state, m1::scratch_size);
        check_layer(p, "lstm1", "hps::lstm<16, true>", l1::num_state, l1::scratch_size);
        check_layer(p, "gru1", "hps::gru<12>", g1::num_state, g1::scratch_size);
    }
    {
        auto c = test::check_text(spec("8 x 8 x 8 x 2",
                                       "  conv3d filters 6 kernel 3 padding same activation relu\n"
                                       "  maxpool 2\n"
                                       "  avgpool 2\n"
                                       "  globalavgpool\n"
                                       "  dense units 1\n",
                                       4));
        const grid_point& p = point_of(c);
        using c1 = impl<hps::conv3d<6, 3, hps::same, hps::relu, 1>, hps::shape<8, 8, 8, 2>, 4>;
        using m1 = impl<hps::maxpool3d<2, 2>, hps::shape<8, 8, 8, 6>, 4>;
        check_layer(p, "conv3d1", "hps::conv3d<6, 3, hps::same, hps::relu, 1>", c1::num_state, c1::scratch_size);
        check_layer(p, "maxpool1", "hps::maxpool3d<2, 2>", m1::num_state, m1::scratch_size);
        check_layer(p, "avgpool1", "hps::avgpool3d<2, 2>", 0, 0);
        check_layer(p, "globalavgpool1", "hps::globalavgpool", 0, 0);
    }
}

TEST_CASE("a point's floats, counted by hand") {
    // 16 -> dense 8 relu -> dense 1, batch 4, adam: params 16*8+8 + 8*1+1 = 145
    auto c = test::check_text(spec("16", "  dense units 8 activation relu\n  dense units 1\n", 4));
    const grid_point& p = point_of(c);
    const cost::memory m = cost::point_memory(p, {});
    CHECK(m.params == 145);
    CHECK(m.grads == 145);
    CHECK(m.optimizer == 2 * 145);  // exp_avg, exp_avg_sq
    CHECK(m.best == 2 * 145);       // the best parameters, and the copy that restores them
    CHECK(m.layer_state == 0);
    // the relu dense's dz (8, 4); the linear one keeps none. Where the trainers get the bf16
    // kernels (AVX512_BF16), the 8-unit layer (whole packets) also holds its bf16 buffers, in
    // 64-byte lines of bf16 pairs: x (16*4 + 2), x paired (2*16*4), dz paired (8*2*2), W
    // paired (8*8*2); dx pairs W into the fp32 dx's panels, which are not scratch
    auto line = [](std::size_t units) { return (units + 31) / 32 * 16; };
    const std::size_t half = hps::native_vector_unit().bf16 ? line(66) + line(128) + line(32) + line(128) : 0;
    CHECK(m.scratch == 8 * 4 + half);
    CHECK(m.activations == (8 + 1) * 4);   // each layer's output at the batch
    CHECK(m.deltas == 2 * 16 * 4);         // two buffers of the largest activation, the input's 16
    // training x, y, dy; evaluation x, y and the targets and outputs before normalisation
    CHECK(m.batches == 4 * (2 * 16 + 3 * 1 + 2 * 1));
    CHECK(!m.data_known);                  // t.npz is not there
    CHECK(m.bytes() == m.buffers() * 4 + cost::kFixedOverhead);

    // the data: samples x floats per sample, and for the training set its permutation
    // (an int a sample) and its targets read as doubles (2 floats each)
    std::map<std::string, data_header> files{{"t.npz", {1000, 17}}, {"v.npz", {200, 17}}};
    CHECK(cost::point_memory(p, files).data == (1000 + 200) * 17 + 1000 * (1 + 2));
    CHECK(cost::point_memory(p, files).data_known);

    // the optimizers' slots
    auto slots = [](const std::string& optimizer) {
        auto c = test::check_text(spec("16", "  dense units 1\n", 4, optimizer));
        const cost::memory m = cost::point_memory(point_of(c), {});
        return m.optimizer / m.params;
    };
    CHECK(slots("sgd lr 0.1") == 0);
    CHECK(slots("sgd lr 0.1 momentum 0.9") == 1);
    CHECK(slots("momentum lr 0.1") == 1);
    CHECK(slots("rmsprop lr 0.01") == 1);
    CHECK(slots("rmsprop lr 0.01 centered true momentum 0.5") == 3);
    CHECK(slots("adadelta") == 2);
}

TEST_CASE("time from the FLOP count, and the --mem text") {
    auto c = test::check_text(spec("16", "  dense units 8 activation relu\n  dense units 1\n", 4));
    const grid_point& p = point_of(c);
    // 2 per parameter, plus one per output value
    CHECK(cost::forward_flops(p) == doctest::Approx(2.0 * 145 + 8 + 1));
    // 100 steps of 4 samples, 3 passes' worth each, at the default rate on 2 cpus
    CHECK(*cost::point_seconds(p, {}, 2) == doctest::Approx(3.0 * (2.0 * 145 + 9) * 400 / (2 * cost::kDefaultRate)));
    // epochs: whole batches of the training set (the trainer drops a partial one), 2 epochs
    std::string text = spec("16", "  dense units 8 activation relu\n  dense units 1\n", 4);
    text.replace(text.find("steps 100"), 9, "epochs 2\n  checkpoints 5");
    auto e = test::check_text(text);
    const std::map<std::string, data_header> files{{"t.npz", {1003, 17}}, {"v.npz", {200, 17}}};
    // plus a forward pass over the 200 validation samples at each of the 5 checkpoints
    CHECK(*cost::point_seconds(point_of(e), files) ==
          doctest::Approx((2.0 * 145 + 9) * (3.0 * 2 * 250 * 4 + 5 * 200) / cost::kDefaultRate));
    CHECK(*cost::training_samples(point_of(e), files) == 1003);
    // folds 3: fold k validates on positions k*n/3..(k+1)*n/3 of the shuffle, 334 / 334 / 335
    // of 1003; each run evaluates its fold at the checkpoints
    text.erase(text.find("  validation \"v.npz\"\n"), 21);
    auto f = test::check_text(text.replace(text.find("checkpoints 5"), 13, "checkpoints 5\n  folds 3"));
    REQUIRE_MESSAGE(f.result, f.messages());
    REQUIRE(f.result->points.size() == 3);
    CHECK(*cost::training_samples(f.result->points[0], files) == 1003 - 334);
    CHECK(*cost::training_samples(f.result->points[2], files) == 1003 - 335);
    CHECK(*cost::point_seconds(f.result->points[2], files) ==
          doctest::Approx((2.0 * 145 + 9) * (3.0 * 2 * (668 / 4) * 4 + 5 * 335) / cost::kDefaultRate));
    CHECK(!cost::point_seconds(point_of(e), {}));  // epochs of data not there: unknown
    // +20 %, then the batch shell's 16 MiB (cost::kTaskOverhead), rounded up to whole MiB
    CHECK(cost::mem_request(std::size_t(100) << 20) == "136M");
    CHECK(cost::mem_request((std::size_t(100) << 20) + 1) == "137M");
    CHECK(cost::format_bytes(std::size_t(3) << 29) == "1.50 GiB");
    CHECK(cost::format_seconds(2.5 * 3600) == "2.5 h");
}
