#include "generator/onnx_export.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace hps::onnx {

namespace {

// protobuf's wire format: a key (field << 3 | wire type), then a varint (type 0), a
// length-prefixed byte string or message (type 2) or 4 little-endian bytes (type 5).
struct message {
    std::string bytes;

    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            bytes += char((v & 0x7f) | 0x80);
            v >>= 7;
        }
        bytes += char(v);
    }
    void key(int field, int wire) { varint(std::uint64_t(field) << 3 | std::uint64_t(wire)); }
    message& integer(int field, std::int64_t v) {
        key(field, 0);
        varint(std::uint64_t(v));
        return *this;
    }
    message& text(int field, std::string_view s) {
        key(field, 2);
        varint(s.size());
        bytes += s;
        return *this;
    }
    message& sub(int field, const message& m) { return text(field, m.bytes); }
    message& f32(int field, float v) {
        key(field, 5);
        char b[4];
        std::memcpy(b, &v, 4);  // little-endian hosts only (as the runtime's .npy writer)
        bytes.append(b, 4);
        return *this;
    }
};

// The field numbers of onnx.proto used here.
enum : int {
    model_ir_version = 1, model_producer = 2, model_graph = 7, model_opset = 8,  // ModelProto
    opset_version = 2,                                                           // OperatorSetIdProto
    graph_node = 1, graph_name = 2, graph_initializer = 5, graph_input = 11, graph_output = 12,
    node_input = 1, node_output = 2, node_name = 3, node_op = 4, node_attribute = 5,
    attr_name = 1, attr_f = 2, attr_i = 3, attr_ints = 8, attr_type = 20,
    attr_float = 1, attr_int = 2, attr_int_list = 7,                            // AttributeProto.type
    tensor_dims = 1, tensor_type = 2, tensor_name = 8, tensor_raw = 9,
    type_float = 1, type_int64 = 7,                                              // TensorProto.DataType
    value_name = 1, value_type = 2, typeproto_tensor = 1, ttype_elem = 1, ttype_shape = 2,
    shape_dim = 1, dim_value = 1, dim_param = 2,
};

struct attribute {
    std::string name;
    std::vector<std::int64_t> ints;
    bool list = true;
    float f = 0;
    bool is_float = false;
};

struct graph_builder {
    message graph;
    int count = 0;
    std::int64_t batch = 0;  // the inputs' and outputs' first dimension; 0: free ("N")

    void initializer(const std::string& name, const std::vector<std::int64_t>& shape, const void* data,
                     std::size_t bytes, int type) {
        message t;
        for (auto d : shape) t.integer(tensor_dims, d);
        t.integer(tensor_type, type).text(tensor_name, name);
        t.text(tensor_raw, std::string_view(static_cast<const char*>(data), bytes));
        graph.sub(graph_initializer, t);
    }
    void floats(const std::string& name, const tensor& t) {
        initializer(name, t.shape, t.values.data(), t.values.size() * 4, type_float);
    }
    void int64s(const std::string& name, const std::vector<std::int64_t>& v) {
        initializer(name, {std::int64_t(v.size())}, v.data(), v.size() * 8, type_int64);
    }
    // a node of `op` on `inputs`; returns its output's name
    std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<attribute>& attrs = {},
                     std::string output = "") {
        if (output.empty()) output = "t" + std::to_string(count);
        message n;
        for (const auto& i : inputs) n.text(node_input, i);
        n.text(node_output, output).text(node_name, op + "_" + std::to_string(count++)).text(node_op, op);
        for (const auto& a : attrs) {
            message m;
            m.text(attr_name, a.name);
            if (a.is_float) {
                m.f32(attr_f, a.f).integer(attr_type, attr_float);
            } else if (a.list) {
                for (auto v : a.ints) m.integer(attr_ints, v);
                m.integer(attr_type, attr_int_list);
            } else {
                m.integer(attr_i, a.ints.at(0)).integer(attr_type, attr_int);
            }
            n.sub(node_attribute, m);
        }
        graph.sub(graph_node, n);
        return output;
    }
    // a graph input or output: (N, dims...); a dimension < 0 is left unnamed-sized ("d1", ...)
    void value(int field, const std::string& name, const std::vector<std::int64_t>& dims) {
        message tt;
        tt.integer(ttype_elem, type_float);
        message shape;
        message first;
        if (batch > 0)
            first.integer(dim_value, batch);
        else
            first.text(dim_param, "N");
        shape.sub(shape_dim, first);
        for (std::size_t i = 0; i < dims.size(); ++i) {
            message dim;
            if (dims[i] < 0)
                dim.text(dim_param, "d" + std::to_string(i + 1));
            else
                dim.integer(dim_value, dims[i]);
            shape.sub(shape_dim, dim);
        }
        tt.sub(ttype_shape, shape);
        message type, v;
        type.sub(typeproto_tensor, tt);
        v.text(value_name, name).sub(value_type, type);
        graph.sub(field, v);
    }
};

// "nn.Conv2d(1, 16, (5, 5), stride=(1, 1), padding=(2, 2))" -> kind "nn.Conv2d", the
// arguments split at their top-level commas
struct call {
    std::string kind;
    std::vector<std::string> args;

    explicit call(const std::string& src) {
        const auto open = src.find('(');
        if (open == std::string::npos || src.back() != ')') throw std::runtime_error("cannot read the torch module '" + src + "'");
        kind = src.substr(0, open);
        std::string cur;
        int depth = 0;
        for (std::size_t i = open + 1; i + 1 < src.size(); ++i) {
            const char c = src[i];
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (c == ',' && depth == 0) {
                args.push_back(cur);
                cur.clear();
            } else if (c != ' ') {
                cur += c;
            }
        }
        if (!cur.empty()) args.push_back(cur);
    }
    // the integers of positional argument i, or of keyword `key` ("stride=(1, 1)"); a
    // single integer is repeated `n` times
    std::vector<std::int64_t> ints(std::size_t i, const std::string& key, std::size_t n, std::int64_t fallback) const {
        std::string text;
        if (!key.empty()) {
            for (const auto& a : args)
                if (a.starts_with(key + "=")) text = a.substr(key.size() + 1);
        } else if (i < args.size()) {
            text = args[i];
        }
        std::vector<std::int64_t> out;
        std::string digits;
        for (char c : text + ",") {
            if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
                digits += c;
            } else if (!digits.empty()) {
                out.push_back(std::stoll(digits));
                digits.clear();
            }
        }
        if (out.empty()) out.push_back(fallback);
        if (out.size() == 1) out.resize(n, out[0]);
        return out;
    }
};

// torch's nn.LSTM / nn.GRU (one layer, batch_first, weight_ih_l0 ...) on a channels-first
// (N, features, steps) tensor as ONNX's LSTM / GRU, whose gates come in another order
// (torch LSTM i f g o -> ONNX i o f c; torch GRU r z n -> ONNX z r h, with
// linear_before_reset as torch computes n). Returns the last step's hidden state (N, H),
// or every step's, channels first (N, H, T).
std::string recurrent(graph_builder& g, std::string cur, int m, bool lstm, bool all_steps,
                      const std::map<std::string, tensor>& params) {
    auto get = [&](const char* what) -> const tensor& {
        auto it = params.find(std::to_string(m) + "." + what);
        if (it == params.end()) throw std::runtime_error("best.npz has no " + std::to_string(m) + "." + what + "; train the point again");
        return it->second;
    };
    const tensor &w_ih = get("weight_ih_l0"), &w_hh = get("weight_hh_l0"), &b_ih = get("bias_ih_l0"), &b_hh = get("bias_hh_l0");
    const std::vector<int> order = lstm ? std::vector<int>{0, 3, 1, 2} : std::vector<int>{1, 0, 2};
    const std::int64_t gates = std::int64_t(order.size()), hidden = w_hh.shape.at(1), features = w_ih.shape.at(1);
    // the gate blocks of a (gates * H, cols) tensor, in ONNX's order, with a leading 1
    auto reorder = [&](const std::vector<float>& v, std::int64_t cols) {
        std::vector<float> out;
        const std::size_t block = std::size_t(hidden * cols);
        for (int b : order) out.insert(out.end(), v.begin() + std::ptrdiff_t(b * block), v.begin() + std::ptrdiff_t((b + 1) * block));
        return out;
    };
    const std::string p = std::to_string(m) + ".";
    g.floats(p + "W", {{1, gates * hidden, features}, reorder(w_ih.values, features)});
    g.floats(p + "R", {{1, gates * hidden, hidden}, reorder(w_hh.values, hidden)});
    std::vector<float> bias = reorder(b_ih.values, 1), rb = reorder(b_hh.values, 1);
    bias.insert(bias.end(), rb.begin(), rb.end());
    g.floats(p + "B", {{1, 2 * gates * hidden}, bias});
    cur = g.node("Transpose", {cur}, {{"perm", {2, 0, 1}}});  // (T, N, features)
    std::vector<attribute> attrs{{"hidden_size", {hidden}, false}};
    if (!lstm) attrs.push_back({"linear_before_reset", {1}, false});
    std::vector<std::string> inputs{cur, p + "W", p + "R", p + "B"};
    if (!lstm && g.batch > 0) {
        // initial_h given (zeros, ONNX's default): OpenCV 4.6 reads a GRU only with all six inputs
        g.floats(p + "h0", {{1, g.batch, hidden}, std::vector<float>(std::size_t(g.batch * hidden), 0.0f)});
        inputs.insert(inputs.end(), {"", p + "h0"});
    }
    const std::string y = g.node(lstm ? "LSTM" : "GRU", inputs, attrs);  // (T, 1, N, H)
    if (all_steps) {
        g.int64s(p + "steps_shape", {0, -1, hidden});  // (T, N, H)
        cur = g.node("Reshape", {y, p + "steps_shape"});
        return g.node("Transpose", {cur}, {{"perm", {1, 2, 0}}});
    }
    g.int64s(p + "last", {-1});
    g.int64s(p + "end", {std::numeric_limits<std::int64_t>::max()});
    g.int64s(p + "axis", {0});
    cur = g.node("Slice", {y, p + "last", p + "end", p + "axis"});  // (1, 1, N, H)
    g.int64s(p + "last_shape", {-1, hidden});
    return g.node("Reshape", {cur, p + "last_shape"});
}

}  // namespace

std::vector<std::string> torch_modules_of(const std::string& model_py) {
    const std::string start = "return nn.Sequential(\n";
    auto at = model_py.find(start);
    if (at == std::string::npos) throw std::runtime_error("model.py has no nn.Sequential; train the point again");
    std::vector<std::string> out;
    for (at += start.size(); at < model_py.size();) {
        const auto end = model_py.find('\n', at);
        std::string line = model_py.substr(at, end - at);
        at = end == std::string::npos ? model_py.size() : end + 1;
        line.erase(0, line.find_first_not_of(' '));
        if (line == ")") return out;
        if (!line.empty() && line.back() == ',') line.pop_back();
        out.push_back(line);
    }
    throw std::runtime_error("model.py's nn.Sequential does not end; train the point again");
}

std::string model(const std::vector<std::string>& modules, const std::map<std::string, tensor>& params,
                  const std::vector<int>& in_dims, double scale, const std::string& name, std::int64_t batch,
                  const std::map<std::string, tensor>& normalization) {
    graph_builder g;
    g.batch = batch;
    // the input flat, (N, size): every consumer reads a 2-D array the same way (OpenCV's
    // Python takes a 3-D one for an image with channels), and a sample's values are in
    // the same order either way
    std::int64_t size = 1;
    for (int d : in_dims) size *= d;
    g.value(graph_input, "x", {size});
    std::string cur = "x";
    std::size_t rank = in_dims.size() + 1;  // with the batch
    if (scale != 1) {
        g.floats("scale", {{}, {float(scale)}});
        cur = g.node("Mul", {cur, "scale"});
    }
    // `normalize`: a (flat) per-feature affine map before the network and one after it
    const auto normalized = [&](const char* first, const char* second, const char* first_op, const char* second_op,
                                std::int64_t flat) {
        const auto a = normalization.find(first), b = normalization.find(second);
        if (a == normalization.end() || b == normalization.end()) return;
        g.floats(first, {{flat ? flat : std::int64_t(a->second.values.size())}, a->second.values});
        g.floats(second, {{flat ? flat : std::int64_t(b->second.values.size())}, b->second.values});
        cur = g.node(first_op, {cur, first});
        cur = g.node(second_op, {cur, second});
    };
    normalized("input_mean", "input_std", "Sub", "Div", size);
    if (rank > 2) {  // (N, size) -> (N, d..., C) -> (N, C, d...)
        std::vector<std::int64_t> shape{-1};
        shape.insert(shape.end(), in_dims.begin(), in_dims.end());
        g.int64s("shape", shape);
        cur = g.node("Reshape", {cur, "shape"});
        std::vector<std::int64_t> perm{0, std::int64_t(rank - 1)};
        for (std::size_t i = 1; i + 1 < rank; ++i) perm.push_back(std::int64_t(i));
        cur = g.node("Transpose", {cur}, {{"perm", perm}});
    }
    auto param = [&](int m, const char* what) -> const tensor* {
        auto it = params.find(std::to_string(m) + "." + what);
        return it == params.end() ? nullptr : &it->second;
    };
    auto floats = [&](int m, const char* what) {
        const tensor* t = param(m, what);
        if (!t) throw std::runtime_error("best.npz has no " + std::to_string(m) + "." + what + "; train the point again");
        const std::string n = std::to_string(m) + "." + what;
        g.floats(n, *t);
        return n;
    };
    const std::map<std::string, std::string> activations = {{"nn.ReLU", "Relu"},       {"nn.Tanh", "Tanh"},
                                                            {"nn.Sigmoid", "Sigmoid"}, {"nn.ELU", "Elu"},
                                                            {"nn.SELU", "Selu"},       {"nn.Softplus", "Softplus"}};
    for (std::size_t i = 0; i < modules.size(); ++i) {
        const int m = int(i);
        const call c(modules[i]);
        const std::size_t spatial = rank - 2;
        const std::string& k = c.kind;
        if (k == "nn.Dropout" || k == "nn.Identity") continue;
        if (auto a = activations.find(k); a != activations.end()) {
            cur = g.node(a->second, {cur});
        } else if (k == "nn.Conv1d" || k == "nn.Conv2d" || k == "nn.Conv3d") {
            auto pads = c.ints(0, "padding", spatial, 0);
            pads.insert(pads.end(), pads.begin(), pads.end());
            cur = g.node("Conv", {cur, floats(m, "weight"), floats(m, "bias")},
                         {{"kernel_shape", c.ints(2, "", spatial, 1)}, {"strides", c.ints(0, "stride", spatial, 1)}, {"pads", pads}});
        } else if (k == "nn.ConstantPad1d" || k == "nn.ZeroPad2d" || k == "nn.ConstantPad3d") {
            // torch: (left, right) of the last dimension, then of the one before...
            const auto pairs = c.ints(0, "", 2 * spatial, 0);
            std::vector<std::int64_t> pads(2 * rank, 0);
            for (std::size_t p = 0; p < spatial; ++p) {
                pads[rank - 1 - p] = pairs[2 * p];
                pads[2 * rank - 1 - p] = pairs[2 * p + 1];
            }
            const std::string n = "pads" + std::to_string(m);
            g.int64s(n, pads);
            cur = g.node("Pad", {cur, n});
        } else if (k.starts_with("nn.BatchNorm")) {
            if (!param(m, "weight")) continue;  // folded
            const attribute eps{"epsilon", {}, false, 1e-5f, true};
            cur = g.node("BatchNormalization",
                         {cur, floats(m, "weight"), floats(m, "bias"), floats(m, "running_mean"), floats(m, "running_var")},
                         {eps});
        } else if (k == "nn.Flatten") {
            attribute axis{"axis", {1}, false};
            cur = g.node("Flatten", {cur}, {axis});
            rank = 2;
        } else if (k == "nn.Linear") {
            attribute trans{"transB", {1}, false};
            cur = g.node("Gemm", {cur, floats(m, "weight"), floats(m, "bias")}, {trans});
        } else if (k.starts_with("nn.MaxPool") || k.starts_with("nn.AvgPool")) {
            cur = g.node(k.starts_with("nn.MaxPool") ? "MaxPool" : "AveragePool", {cur},
                         {{"kernel_shape", c.ints(0, "", spatial, 1)}, {"strides", c.ints(0, "stride", spatial, 1)}});
        } else if (k.starts_with("nn.AdaptiveAvgPool")) {
            cur = g.node("GlobalAveragePool", {cur});
        } else if (k == "LSTMLastStep" || k == "LSTMAllSteps" || k == "GRULastStep" || k == "GRUAllSteps") {
            cur = recurrent(g, cur, m, k.starts_with("LSTM"), k.ends_with("AllSteps"), params);
            rank = k.ends_with("AllSteps") ? 3 : 2;
        } else {
            throw std::runtime_error("ONNX export does not support the module " + modules[i] +
                                     " yet; export it as C++ (--format cpp)");
        }
    }
    if (rank > 2) {  // back to channels last, as the hps network's output
        std::vector<std::int64_t> perm{0};
        for (std::size_t i = 2; i < rank; ++i) perm.push_back(std::int64_t(i));
        perm.push_back(1);
        cur = g.node("Transpose", {cur}, {{"perm", perm}});
    }
    normalized("target_std", "target_mean", "Mul", "Add", 0);
    g.node("Identity", {cur}, {}, "y");
    g.value(graph_output, "y", std::vector<std::int64_t>(rank - 1, -1));
    g.graph.text(graph_name, name);

    message opset;
    opset.integer(opset_version, 13);
    message model;
    model.integer(model_ir_version, 7).text(model_producer, "hpsgen").sub(model_graph, g.graph).sub(model_opset, opset);
    return model.bytes;
}

}  // namespace hps::onnx
