// hps::model_interface: what the training core (hps/train/trainer.hpp) knows of a network,
// and network_model<Net, B>, the adapter that implements it over Net::instance<B>.
//
// The core is compiled once per study (runtime/hps/train.cpp, under HPS_SHARED_TRAIN) and
// drives every trainer's network through this interface: one virtual call per forward,
// backward or optimizer step of a whole batch, while the per-element work stays in the
// network's own fixed-shape code, compiled in the trainer (docs/design.md, section 17).
// Shapes the core needs (batch, input and output sizes, parameter counts) are read once.
#pragma once

#include "hps/core.hpp"
#include "hps/network.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hps {

// Where layer i's weights lie in params() (penalties apply to them).
struct model_span {
    std::size_t offset, weights, params;
};

// What backward calls after each layer's: fn(arg, from) when grads() from `from` to
// num_params() are final (data-parallel training's overlapped exchange, hps/train/ranks.hpp).
struct layer_done {
    void (*fn)(void* arg, std::size_t from);
    void* arg;
};

class model_interface {
public:
    virtual ~model_interface() = default;

    virtual int batch() const = 0;
    virtual int in_size() const = 0;                // floats per sample: the input shape's size
    virtual int out_size() const = 0;               // the network's outputs per sample
    virtual std::vector<int> in_shape() const = 0;  // channels last: (d1, ..., C)
    virtual std::size_t num_params() const = 0;
    virtual std::size_t num_state() const = 0;

    virtual void init(rng& gen) = 0;
    // x: (in_size, batch); the output (out_size, batch), valid until the next forward
    virtual const float* forward(const float* x, context& ctx) = 0;
    // dy: dL/d output (out_size, batch); accumulates into grads()
    virtual void backward(const float* dy, context& ctx) = 0;
    // the same, calling done after each layer's backward
    virtual void backward(const float* dy, context& ctx, layer_done done) = 0;
    virtual void zero_grads() = 0;
    virtual float* params() = 0;  // num_params() floats
    virtual float* grads() = 0;   // num_params() floats
    virtual float* state() = 0;   // num_state() floats (batchnorm's running statistics)

    virtual model_span layer_span(int i) const = 0;
    virtual std::string set_layer(int i, std::string_view name, double value) = 0;
    virtual std::string missing_settings() const = 0;
    virtual void export_params(tensor_list& out) const = 0;    // PyTorch's state_dict
    virtual std::vector<std::string> torch_modules() const = 0;  // the nn.Sequential's modules
};

// Net::instance<B> behind model_interface; every call forwards to the instance.
template <class Net, int B>
class network_model final : public model_interface {
public:
    using instance_type = typename Net::template instance<B>;

    int batch() const override { return B; }
    int in_size() const override { return instance_type::in_size; }
    int out_size() const override { return instance_type::out_size; }
    std::vector<int> in_shape() const override {
        return std::vector<int>(std::begin(Net::in_shape::dims), std::end(Net::in_shape::dims));
    }
    std::size_t num_params() const override { return instance_type::num_params; }
    std::size_t num_state() const override { return instance_type::num_state; }

    void init(rng& gen) override { net_.init(gen); }
    const float* forward(const float* x, context& ctx) override { return net_.forward(x, ctx); }
    // one instantiation of the network's backward pass serves both (a second would compile
    // every layer's backward twice into the trainer); a null fn is the plain pass
    void backward(const float* dy, context& ctx) override { backward(dy, ctx, layer_done{nullptr, nullptr}); }
    void backward(const float* dy, context& ctx, layer_done done) override {
        net_.backward(dy, ctx, [done](std::size_t from) {
            if (done.fn) done.fn(done.arg, from);
        });
    }
    void zero_grads() override { net_.zero_grads(); }
    float* params() override { return net_.params(); }
    float* grads() override { return net_.grads(); }
    float* state() override { return net_.state(); }

    model_span layer_span(int i) const override {
        const auto s = net_.layer_span(i);
        return {s.offset, s.weights, s.params};
    }
    std::string set_layer(int i, std::string_view name, double value) override { return net_.set_layer(i, name, value); }
    std::string missing_settings() const override { return net_.missing_settings(); }
    void export_params(tensor_list& out) const override { net_.export_params(out); }
    std::vector<std::string> torch_modules() const override { return net_.torch_modules(); }

private:
    instance_type net_;
};

// A function that makes a trainer's network: the core calls it once it has set up the
// process (threads, allocator), as it made the network itself before.
using model_factory = std::unique_ptr<model_interface> (*)();

template <class Net, int B>
std::unique_ptr<model_interface> make_model() {
    return std::make_unique<network_model<Net, B>>();
}

}  // namespace hps
