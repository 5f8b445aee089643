// The PyTorch parity harness of tests/runtime/layers (test_torch_2d.cpp, test_torch_3d.cpp,
// test_torch_seq.cpp, each with its script). Each builds small networks
// here, runs one pass and writes a folder a case that its script rebuilds in torch (with
// tests/support/parity_common.py), runs the same pass in and compares:
//   modules.txt       the torch.nn modules as Python source, one a line
//   helpers.py        the classes those modules need (hps::torch_helpers), when asked for
//   meta.txt          loss, mode (train|infer), valid, pos_weight, the C++ loss value and
//                     the state_dict names
//   p_<name>.npy      the exported state_dict before the pass
//   after_<name>.npy  the same after it (batchnorm's running statistics move in training)
//   grad_<name>.npy   the gradients in torch's layout
//   x.npy, y.npy      the input and the output, channels-last
//   target.npy, dx.npy  the target and dL/dx (channels-last)
// The test's target comes from hps_torch_parity_test() (torch_parity.cmake), which defines
// HPS_TEST_PYTHON, HPS_PARITY_SCRIPT (the script) and HPS_PARITY_DIR (where the cases go).
#pragma once

#include "../runtime/layers/test_support.hpp"
#include "npy_writer.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace hps_test {

// A test-only first layer y = x + p with one parameter per input value and sample, p = 0:
// its gradient is dL/dx, which the network does not hand out for its input.
struct input_probe {
    template <class In, int B>
    class impl {
    public:
        using in_shape = In;
        using out_shape = In;
        static constexpr std::size_t num_params = std::size_t(In::size) * B;
        static constexpr std::size_t num_weights = 0;
        static constexpr std::size_t num_state = 0;
        static constexpr std::size_t scratch_size = 0;
        static constexpr bool is_view = false;
        static constexpr int torch_param_module = -1;
        void bind(float* p, float* g, float*, float*) { p_ = p, g_ = g; }
        void init(hps::rng&) { std::fill(p_, p_ + num_params, 0.0f); }
        void forward(const float* x, float* y, hps::context&) {
            for (std::size_t i = 0; i < num_params; ++i) y[i] = x[i] + p_[i];
        }
        void backward(const float*, const float*, const float* dy, float* dx, hps::context&) {
            for (std::size_t i = 0; i < num_params; ++i) g_[i] += dy[i];
            if (dx) std::copy(dy, dy + num_params, dx);
        }
        template <class Sink>
        void export_params(Sink&, const std::string&) const {}
        static void torch_modules(std::vector<std::string>&) {}

    private:
        float* p_ = nullptr;
        float* g_ = nullptr;
    };
};

// (B, dims of S...): a batch of S, channels-last.
template <class S>
std::vector<int> batch_shape(int b) {
    std::vector<int> s{b};
    for (int d : S::dims) s.push_back(d);
    return s;
}

inline const std::filesystem::path parity_dir = HPS_PARITY_DIR;

// <prefix><name>.npy for each tensor; the names go to `names` too, space-separated.
inline void write_tensors(const std::filesystem::path& dir, const std::string& prefix, const hps::tensor_list& t,
                          std::ostream* names = nullptr) {
    for (const auto& e : t.tensors) {
        if (names) *names << " " << e.name;
        write_npy(dir / (prefix + e.name + ".npy"), e.shape, e.data.data());
    }
}

struct parity_case {
    hps::loss_kind loss = hps::loss_kind::mse;
    std::uint64_t seed = 1;
    int valid = 0;            // the samples the loss counts (a partial batch); 0: all of them
    double pos_weight = 1.0;  // bce's weight of the positive labels
    // the pass compared: infer (dropout is the identity, as torch's eval(); batchnorm uses
    // its running statistics) or train (batchnorm's batch statistics)
    hps::phase mode = hps::phase::infer;
    int warmup = 0;  // training passes on other random batches before it: running statistics not the init's
    // the python classes the modules need (hps::torch_helpers), written as helpers.py
    std::string (*helpers)(const std::vector<std::string>&) = nullptr;
};

// Builds network<In, input_probe, Layers...> for batch B, runs case c and writes its folder
// parity_dir/name.
template <class In, int B, class... Layers>
void write_parity_case(const std::string& name, const parity_case& c) {
    using namespace hps;
    using inst_t = typename network<In, input_probe, Layers...>::template instance<B>;
    constexpr int out = inst_t::out_size;
    const std::filesystem::path dir = parity_dir / name;
    std::filesystem::create_directories(dir);
    const int valid = c.valid > 0 ? c.valid : B;

    auto net = std::make_unique<inst_t>();
    rng gen(c.seed);
    net->init(gen);
    // biases are 0 after init: give them values (and batchnorm's gamma and beta, of a layer
    // with no weights, values around 1) so that their export and gradients are checked too
    for (int l = 1; l < inst_t::num_layers; ++l) {
        const auto span = net->layer_span(l);
        for (std::size_t i = span.offset + span.weights; i < span.offset + span.params; ++i)
            net->params()[i] = float((span.weights == 0 ? 1.0 : 0.0) + 0.2 * gen.normal());
    }
    context ctx;
    ctx.gen = &gen;
    ctx.mode = phase::train;
    for (int w = 0; w < c.warmup; ++w) {
        const auto xw = normal_vector(std::size_t(In::size) * B, gen, 1.5);
        net->forward(xw.data(), ctx);
    }
    tensor_list before;
    net->export_params(before);

    const auto x = normal_vector(std::size_t(In::size) * B, gen);
    const int rows = loss_target_rows<out>(c.loss);
    std::vector<float> t(std::size_t(rows) * B);
    for (auto& v : t)
        v = c.loss == loss_kind::softmax_ce ? float(gen.below(out))
            : c.loss == loss_kind::bce     ? float(gen.below(2))
                                           : float(gen.normal());
    ctx.mode = c.mode;
    const float* y = net->forward(x.data(), ctx);
    std::vector<float> dy(std::size_t(out) * B);
    const double l = compute_loss<out, B>(c.loss, y, t.data(), dy.data(), valid, c.pos_weight);
    net->zero_grads();
    net->backward(dy.data(), ctx);
    tensor_list after;
    net->export_params(after);
    // the gradients in torch's layout: export an instance whose parameters are the gradients
    auto grads_as_params = std::make_unique<inst_t>();
    std::copy(net->grads(), net->grads() + inst_t::num_params, grads_as_params->params());
    tensor_list grads;
    grads_as_params->export_params(grads);

    const auto modules = net->torch_modules();
    if (c.helpers) std::ofstream(dir / "helpers.py") << c.helpers(modules);
    std::ofstream mods(dir / "modules.txt");
    for (const auto& m : modules) mods << m << "\n";
    std::ofstream meta(dir / "meta.txt");
    meta.precision(17);
    meta << "loss " << name_of(c.loss) << "\nmode " << (c.mode == phase::train ? "train" : "infer") << "\nvalid "
         << valid << "\npos_weight " << c.pos_weight << "\nloss_value " << l << "\nnames";
    write_tensors(dir, "p_", before, &meta);
    meta << "\n";
    write_tensors(dir, "after_", after);
    write_tensors(dir, "grad_", grads);
    write_npy(dir / "x.npy", batch_shape<In>(B), x.data());
    write_npy(dir / "y.npy", batch_shape<typename inst_t::out_shape>(B), y);
    write_npy(dir / "target.npy", {B, rows}, t.data());
    write_npy(dir / "dx.npy", batch_shape<In>(B), net->grads());  // the probe's gradient: dL/dx
}

// Empties parity_dir: the script checks every case folder in it.
inline void clear_parity_dir() { std::filesystem::remove_all(parity_dir); }

// Runs the suite's script on parity_dir; the test fails unless it exits 0.
inline void check_parity_cases() {
    const std::string cmd = std::string(HPS_TEST_PYTHON) + " " + HPS_PARITY_SCRIPT + " " + parity_dir.string();
    INFO("ran: " << cmd);
    CHECK(std::system(cmd.c_str()) == 0);
}

// main() of a parity test: exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
inline int parity_main(int argc, char** argv) {
    const std::string probe = std::string(HPS_TEST_PYTHON) + " -c \"import torch, numpy\" > /dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) {
        std::printf("skipped: %s has no torch/numpy\n", HPS_TEST_PYTHON);
        return 77;
    }
    doctest::Context context(argc, argv);
    return context.run();
}

}  // namespace hps_test
