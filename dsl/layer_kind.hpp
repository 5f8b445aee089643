// What the generator knows about one kind of layer, in one place: its statement in the
// language (schema rows), how it reads that statement's values at a grid point, its output
// shape and parameter count (the runtime's own rule, hps/rules.hpp, which the layer
// template uses too), and the runtime type it becomes. Every stage loops over the
// registry instead of naming kinds:
//
//   schema      the network block's statements       kind.statement()
//   layout      implicit flattens, pools by rank      kind.flattens_input, kind.out_rank, kind.on_rank
//   materialise a point's layer and its shape         kind.accepts, kind.infer
//   emit        the trainer's layer type              kind.cpp_type
//               the values it takes at run time       kind.run_time (the settings file)
//   cost        its buffers and work at a batch size  kind.memory, kind.is_view, kind.flops
//
// Adding a layer: its runtime header (with its rule), one descriptor in dsl/layers/ (its
// memory as the runtime type counts its scratch and state), one line in dsl/layer_kinds.cpp,
// its tests (its memory in tests/dsl/test_cost.cpp), its docs line; its statement's `example` (docs/language.md
// shows it, dsl.reference checks it), then `hpsgen check --reference --markdown > docs/language.md`.
#pragma once

#include "dsl/schema.hpp"
#include "dsl/study.hpp"

#include <hps/rules.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hps {

// A layer statement's values at one grid point. An absent option has its schema default;
// key "" (or the positional's name) is the positional value.
class layer_values {
public:
    virtual ~layer_values() = default;
    virtual double number(std::string_view key) const = 0;
    virtual std::string word(std::string_view key) const = 0;
    bool flag(std::string_view key) const { return word(key) == "true"; }
};

// The ranks of input a layer takes, as a mask of rank_bit(rank): a vector (1), a sequence
// L x C (2), an image H x W x C (3), a volume D x H x W x C (4).
constexpr unsigned rank_bit(int rank) { return 1u << (rank - 1); }
inline constexpr unsigned any_rank = 0xfu;

// The floats a layer holds besides its parameters and gradients, counted as its runtime
// type counts them (num_state, scratch_size): the memory estimate (generator/cost.hpp).
struct layer_memory {
    std::size_t state = 0;    // num_state: kept across steps (batchnorm's running statistics)
    std::size_t scratch = 0;  // scratch_size at the batch: masks, argmaxes, padded inputs, dz
};

struct layer_kind {
    std::string_view name = {};  // the statement's head: conv2d
    schema::head_spec (*statement)() = nullptr;  // its rows in the language
    unsigned accepts = any_rank;  // rank_bit()s of the inputs it takes
    // the option a "too large" fault blames: "kernel", or "" for the positional (a pool's window)
    std::string_view size_key = {};
    // a hint for an image given to a sequence layer: "use conv2d on an image, or "
    std::string_view image_hint = {};
    // how to place a layer that needs a sequence after this one made a vector of it
    // ("{name}" is this layer's name); empty: "put it before the first dense layer"
    std::string_view flat_fix = {};
    bool flattens_input = false;  // dense: an implicit flatten before a spatial input
    // its output's rank for an input of this rank (static: which later layers see a sequence)
    int (*out_rank)(int in_rank, const layer_values& v) = nullptr;  // nullptr: the same rank
    // the kind a statement becomes on an input of this rank (maxpool on a volume: maxpool3d)
    const layer_kind* (*on_rank)(int in_rank) = nullptr;  // nullptr: itself
    // reads the values into l (filters, kernel, ...) and applies the runtime's rule to `in`
    rules::outcome (*infer)(layer& l, const layer_values& v, const rules::dims& in) = nullptr;
    // the runtime's type: hps::conv2d<8, 3, 3, hps::same, hps::relu, 1, 1>
    std::string (*cpp_type)(const layer& l) = nullptr;
    // the values the trainer gives the layer at run time instead of compiling them in
    // (dropout<>: {"rate", 0.25}; .layer is filled by the caller): points that differ only
    // there share one trainer (hps::network::set_layer). nullptr: none
    std::vector<layer_setting> (*run_time)(const layer& l) = nullptr;
    // the least batch it trains with on an input of this rank, and why (nullptr: 1)
    int (*min_batch)(int in_rank) = nullptr;
    std::string_view min_batch_reason = {};
    // its state and scratch at batch size `batch` (nullptr: none), and whether its output
    // is a view of its input (no activation buffer: flatten)
    layer_memory (*memory)(const layer& l, int batch) = nullptr;
    bool is_view = false;
    // floating-point operations of one sample's forward pass (nullptr: 2 per parameter,
    // plus one per output value); a training step costs about 3 times that per sample
    double (*flops)(const layer& l) = nullptr;
};

// Every layer kind, in the order the reference lists them.
const std::vector<const layer_kind*>& layer_kinds();
const layer_kind* find_layer_kind(std::string_view name);

// Helpers for descriptors (dsl/layers/common.cpp)
namespace layer_text {
std::string join(const std::vector<int>& v);  // "3, 3"
std::string activation_type(const std::string& activation);  // "hps::relu"
std::string number(double v);  // a double as a C++ literal: 0.25, 1.0
std::size_t size(const std::vector<int>& shape);  // its elements: (4, 4, 8) -> 128
}  // namespace layer_text

// The vector unit a trainer is built for (-march=native, the default: the building
// machine's), which rounds some scratch buffers: Eigen's float packets (full, half) and
// the rows of hps/layers/small_gemm.hpp's register tile (MR).
struct vector_unit {
    int full_lanes = 4, half_lanes = 4, gemm_rows = 8;
    bool bf16 = false;  // AVX512_BF16: the conv and dense layers hold bf16 scratch (bf16_kernels.hpp)
};
vector_unit native_vector_unit();

// small_gemm.hpp's packed_a_size and workspace_size for a tile of `mr` rows
namespace gemm_sizes {
std::size_t packed_a(std::size_t mr, std::size_t m, std::size_t k);
std::size_t workspace(std::size_t mr, std::size_t m, std::size_t n, std::size_t k, bool a_packed);
}  // namespace gemm_sizes

}  // namespace hps
