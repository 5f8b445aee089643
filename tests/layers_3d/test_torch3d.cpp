// Against PyTorch: small networks with conv3d (SAME, VALID, strides, asymmetric padding),
// maxpool3d, avgpool3d, dense after a rank-4 input (with and without flatten) and
// batchnorm of every rank, in training mode (batch statistics, running statistics
// updated) and in inference mode. Each case writes its torch modules, its exported
// state_dict before the pass, an input, the output, the loss, every gradient (input
// included) and the state after the pass as .npy; torch3d.py rebuilds it as
// nn.Sequential(*modules), loads the state_dict strictly, runs the same pass and compares.
// Exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
#define DOCTEST_CONFIG_IMPLEMENT
#include "../layers/test_support.hpp"
#include <hps/layers/batchnorm.hpp>
#include <hps/layers/conv3d.hpp>
#include <hps/layers/pool3d.hpp>

#include <memory>
#include <hps/activations.hpp>

#include <filesystem>
#include <fstream>

using namespace hps;
namespace fs = std::filesystem;

namespace {

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
        void init(rng&) { std::fill(p_, p_ + num_params, 0.0f); }
        void forward(const float* x, float* y, context&) {
            for (std::size_t i = 0; i < num_params; ++i) y[i] = x[i] + p_[i];
        }
        void backward(const float*, const float*, const float* dy, float* dx, context&) {
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

template <class S>
std::vector<int> batch_shape(int b) {
    std::vector<int> s{b};
    for (int d : S::dims) s.push_back(d);
    return s;
}

const fs::path root = HPS_TORCH3D_DIR;

void write_tensors(const fs::path& dir, const std::string& prefix, const tensor_list& t, std::ofstream* names) {
    for (const auto& e : t.tensors) {
        if (names) *names << " " << e.name;
        hps_test::write_npy((dir / (prefix + e.name + ".npy")).string(), e.shape, e.data.data());
    }
}

// mode: the pass compared (train: batch statistics); warmup: training passes on other
// random batches before it, so that inference sees running statistics that are not the init's.
template <class In, int B, class... Layers>
void write_case(const std::string& name, loss_kind loss, phase mode, int warmup, std::uint64_t seed) {
    using net_t = network<In, input_probe, Layers...>;
    using inst_t = typename net_t::template instance<B>;
    constexpr int out = inst_t::out_size;
    const fs::path dir = root / name;
    fs::create_directories(dir);

    auto net = std::make_unique<inst_t>();
    rng gen(seed);
    net->init(gen);
    // biases (and batchnorm's gamma, beta) get values so that their export is checked too
    for (int l = 1; l < inst_t::num_layers; ++l) {
        const auto span = net->layer_span(l);
        for (std::size_t i = span.offset + span.weights; i < span.offset + span.params; ++i)
            net->params()[i] = float((span.weights == 0 ? 1.0 : 0.0) + 0.2 * gen.normal());
    }
    context ctx;
    ctx.gen = &gen;
    ctx.mode = phase::train;
    for (int w = 0; w < warmup; ++w) {
        const auto xw = hps_test::normal_vector(std::size_t(In::size) * B, gen, 1.5);
        net->forward(xw.data(), ctx);
    }
    tensor_list before;
    net->export_params(before);

    const auto x = hps_test::normal_vector(std::size_t(In::size) * B, gen);
    const int rows = loss_target_rows<out>(loss);
    std::vector<float> t(std::size_t(rows) * B);
    for (auto& v : t)
        v = loss == loss_kind::softmax_ce ? float(gen.below(out)) : loss == loss_kind::bce ? float(gen.below(2))
                                                                                          : float(gen.normal());
    ctx.mode = mode;
    const float* y = net->forward(x.data(), ctx);
    std::vector<float> dy(std::size_t(out) * B);
    const double l = compute_loss<out, B>(loss, y, t.data(), dy.data(), B);
    net->zero_grads();
    net->backward(dy.data(), ctx);
    tensor_list after;
    net->export_params(after);

    std::ofstream mods(dir / "modules.txt");
    for (const auto& m : inst_t::torch_modules()) mods << m << "\n";
    // the gradients in torch's layout: export an instance whose parameters are the gradients
    auto grads_as_params = std::make_unique<inst_t>();
    std::copy(net->grads(), net->grads() + inst_t::num_params, grads_as_params->params());
    tensor_list grads;
    grads_as_params->export_params(grads);
    std::ofstream meta(dir / "meta.txt");
    meta.precision(17);
    meta << "loss " << loss_name(loss) << "\nmode " << (mode == phase::train ? "train" : "infer") << "\nloss_value " << l
         << "\nnames";
    write_tensors(dir, "p_", before, &meta);
    meta << "\n";
    write_tensors(dir, "after_", after, nullptr);
    write_tensors(dir, "grad_", grads, nullptr);
    hps_test::write_npy((dir / "x.npy").string(), batch_shape<In>(B), x.data());
    hps_test::write_npy((dir / "y.npy").string(), batch_shape<typename inst_t::out_shape>(B), y);
    hps_test::write_npy((dir / "target.npy").string(), {B, rows}, t.data());
    hps_test::write_npy((dir / "dx.npy").string(), batch_shape<In>(B), net->grads());  // the probe's: dL/dx
}

}  // namespace

TEST_CASE("torch: conv3d, pool3d, dense after a volume and batchnorm match PyTorch 1.13") {
    fs::remove_all(root);
    // conv3d SAME 3 (symmetric) + relu, maxpool3d 2, dense on the volume (implicit flatten)
    write_case<shape<4, 6, 5, 2>, 3, conv3d<3, 3, same, relu>, maxpool3d<2>, dense<4, elu>, dense<2>>(
        "conv3d_same_maxpool_dense", loss_kind::mse, phase::infer, 0, 201);
    // VALID stride 2 + sigmoid, overlapping avgpool3d (2, stride 1), explicit flatten, dense tanh
    write_case<shape<7, 6, 7, 1>, 2, conv3d<3, 3, valid, sigmoid, 2>, avgpool3d<2, 1>, flatten, dense<3, hps::tanh>>(
        "conv3d_valid_stride_avgpool", loss_kind::mse_half, phase::infer, 0, 202);
    // even kernel with stride 2 under SAME: asymmetric padding (ConstantPad3d); 1x1x1 conv + selu;
    // overlapping maxpool3d (2, stride 1)
    write_case<shape<5, 6, 7, 2>, 2, conv3d<4, 2, same, softplus, 2>, conv3d<3, 1, valid, selu>,
               maxpool3d<2, 1>, dense<3>>("conv3d_asym_pad", loss_kind::softmax_ce, phase::infer, 0, 203);
    // batchnorm in training: BatchNorm3d after a conv (whose bias gradient is 0 in exact
    // arithmetic: batchnorm cancels it), BatchNorm1d after a dense layer
    write_case<shape<4, 4, 4, 1>, 4, conv3d<3, 3, same>, batchnorm, activation<relu>, maxpool3d<2>, dense<5, relu>,
               batchnorm, dense<1>>("batchnorm_train_3d", loss_kind::bce, phase::train, 2, 204);
    // the same network in inference, after warm-up batches moved the running statistics
    write_case<shape<4, 4, 4, 1>, 4, conv3d<3, 3, same>, batchnorm, activation<relu>, maxpool3d<2>, dense<5, relu>,
               batchnorm, dense<1>>("batchnorm_infer_3d", loss_kind::bce, phase::infer, 3, 205);
    // BatchNorm1d after flatten: its 24 features in torch's channels-first order
    write_case<shape<5, 5, 5, 2>, 3, conv3d<3, 2, valid, hps::tanh>, maxpool3d<2>, flatten, batchnorm, dense<2>>(
        "batchnorm_after_flatten", loss_kind::mse, phase::train, 1, 209);
    write_case<shape<5, 5, 5, 2>, 3, conv3d<3, 2, valid, hps::tanh>, maxpool3d<2>, flatten, batchnorm, dense<2>>(
        "batchnorm_after_flatten_infer", loss_kind::mse, phase::infer, 2, 210);
    // BatchNorm2d on an image and BatchNorm1d on an (L, C) sequence, training and inference
    write_case<shape<5, 4, 3>, 3, batchnorm, conv2d<2, 3, 3, same, hps::tanh>, batchnorm, dense<3>>(
        "batchnorm_train_2d", loss_kind::softmax_ce, phase::train, 1, 206);
    write_case<shape<5, 4, 3>, 3, batchnorm, conv2d<2, 3, 3, same, hps::tanh>, batchnorm, dense<3>>(
        "batchnorm_infer_2d", loss_kind::softmax_ce, phase::infer, 2, 207);
    write_case<shape<6, 2>, 3, batchnorm, dense<3>>("batchnorm_train_1d_seq", loss_kind::mse, phase::train, 1, 208);

    const std::string cmd = std::string(HPS_TEST_PYTHON) + " " + HPS_TORCH3D_SCRIPT + " " + root.string();
    INFO("ran: " << cmd);
    CHECK(std::system(cmd.c_str()) == 0);
}

int main(int argc, char** argv) {
    const std::string probe = std::string(HPS_TEST_PYTHON) + " -c \"import torch, numpy\" > /dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) {
        std::printf("skipped: %s has no torch/numpy\n", HPS_TEST_PYTHON);
        return 77;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
