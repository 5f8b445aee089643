// hpsgen export: one trained point of a study as a header-only C++ inference library.
//
// The export is a snapshot, as a study folder is: DIR/include/hps/ holds the runtime
// headers the forward pass needs (the layers, run in phase::infer: the very code that
// evaluated the point in training), DIR/include/NAME/weights.hpp the point's best.npz
// (PyTorch layouts, in its order) as float arrays, DIR/include/NAME/model.hpp the network
// type without its dropout layers and the predict functions. model.hpp maps the torch
// tensors onto the runtime's flat parameter buffer once, when a predictor is built, by
// asking the network itself where each exported value comes from (export_params on a
// buffer of indices), so no layer needs an import of its own. docs/design.md, section 12.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/embedded.hpp"
#include "generator/onnx_export.hpp"
#include "generator/study_dir.hpp"

#include <hps/io.hpp>
#include <hps/normalize.hpp>
#include <hps/npz.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace hps::cli {

namespace {

namespace fs = std::filesystem;

struct failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw failure("cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out.flush()) throw failure("cannot write " + p.string());
}

// The point to export: the one named, or the study's best by its selection rule among
// the finished points (result.json's "best" values, as `hpsgen report` ranks them).
const point_row& choose_point(const study_dir& s, const std::string& dir, const std::string& name) {
    if (!name.empty()) {
        auto chosen = select_points(s, name);
        if (chosen.size() != 1) throw failure("--point names one point; '" + name + "' names " + std::to_string(chosen.size()));
        for (const auto& p : s.points)
            if (p.id == chosen[0].id) return p;
    }
    const point_row* best = nullptr;
    double best_value = 0;
    for (const auto& p : s.points) {
        const point_state st = read_point_state(dir, p);
        if (!st.finished() || st.status == "diverged") continue;
        auto v = st.best_value(s.select_metric);
        if (!v || !std::isfinite(*v)) continue;
        if (!best || (s.select_max ? *v > best_value : *v < best_value)) {
            best = &p;
            best_value = *v;
        }
    }
    if (!best)
        throw failure("study " + s.study + " has no finished point to export (none has a validation " + s.select_metric +
                      "); train it first (hpsgen run " + dir + ")");
    return *best;
}

// `using net = hps::network<...>;` of the point's trainer, split into its top-level
// template arguments: the input shape, then one per layer.
std::vector<std::string> network_arguments(const fs::path& main_cpp) {
    const std::string src = read_text(main_cpp);
    const std::string key = "using net = hps::network<";
    const auto at = src.find(key);
    if (at == std::string::npos) throw failure(main_cpp.string() + " has no 'using net = hps::network<...>'; generate the study again");
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (std::size_t i = at + key.size(); i < src.size(); ++i) {
        const char c = src[i];
        if (c == '<') ++depth;
        if (c == '>' && depth-- == 0) {
            out.push_back(cur);
            return out;
        }
        if (c == ',' && depth == 0) {
            out.push_back(cur);
            cur.clear();
            continue;
        }
        if (!(cur.empty() && std::isspace(static_cast<unsigned char>(c)))) cur += c;
    }
    throw failure(main_cpp.string() + ": the network type does not end; generate the study again");
}

// NAME as a C++ identifier and CMake package name: letters, digits and _.
std::string identifier(std::string s) {
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "m_" + s;
    return s;
}

std::string float_text(float v) {
    if (!std::isfinite(v)) throw failure("best.npz holds a value that is not finite; its point diverged");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", double(v));
    std::string t = buf;
    if (t.find_first_of(".en") == std::string::npos) t += ".0";
    return t + "f";
}

// best.npz's tensors, in its order (the order the trainer's export_params wrote them,
// layer after layer), grouped by module ("3.weight", "3.bias": module 3).
struct tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};
struct module_tensors {
    std::vector<tensor> tensors;
    const tensor& get(const std::string& suffix) const {
        for (const auto& t : tensors)
            if (t.name.ends_with("." + suffix)) return t;
        throw failure("best.npz has no " + suffix + " where the network has it; train the point again");
    }
    tensor& get(const std::string& suffix) { return const_cast<tensor&>(std::as_const(*this).get(suffix)); }
};

std::vector<module_tensors> read_modules(const std::string& npz_path) {
    npz_reader npz(npz_path);
    std::vector<module_tensors> out;
    std::string last;
    for (const auto& member : npz.names()) {
        loaded_array<float> a = npz.read_as<float>(member);
        std::string name = member.ends_with(".npy") ? member.substr(0, member.size() - 4) : member;
        const std::string module = name.substr(0, name.find('.'));
        if (out.empty() || module != last) out.emplace_back();
        last = module;
        out.back().tensors.push_back({name, a.shape, std::move(a.values)});
    }
    return out;
}

bool has_params(const std::string& layer) {
    for (const char* kind : {"hps::conv", "hps::dense<", "hps::batchnorm", "hps::lstm<", "hps::gru<"})
        if (layer.starts_with(kind)) return true;
    return false;
}

// Folds each batchnorm into a neighbour (docs/design.md, section 12), in torch's layouts:
//  - into the conv or dense layer before it when that layer's activation is linear: its
//    filter f (weight row f, bias f) scaled by a_f = gamma_f / sqrt(var_f + eps), the bias
//    shifted to (b_f - mean_f) a_f + beta_f;
//  - else into the dense layer after it (flatten and dropout between): input column j of
//    channel c scaled by a_c, the bias plus W (beta - mean a) over the columns;
//  - else (a pooling or a convolution after it, whose padding would see the shift) kept.
// Removes the folded batchnorms from `layers` (the network's arguments after the input
// shape) and `modules`.
void fold_batchnorms(std::vector<std::string>& layers, std::vector<module_tensors>& modules) {
    std::vector<int> module_of(layers.size(), -1);
    int m = 0;
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (has_params(layers[i])) module_of[i] = m++;
    if (m != int(modules.size()))
        throw failure("the network has " + std::to_string(m) + " layers with parameters, best.npz " +
                      std::to_string(modules.size()) + "; the trainer and its run folder disagree: train the point again");
    std::vector<bool> drop(layers.size(), false);
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (!layers[i].starts_with("hps::batchnorm")) continue;
        const module_tensors& bn = modules[std::size_t(module_of[i])];
        const tensor &gamma = bn.get("weight"), &beta = bn.get("bias"), &mean = bn.get("running_mean"),
                     &var = bn.get("running_var");
        const std::size_t channels = gamma.values.size();
        std::vector<double> a(channels), shift(channels);
        for (std::size_t c = 0; c < channels; ++c) {
            a[c] = double(gamma.values[c]) / std::sqrt(double(var.values[c]) + 1e-5);
            shift[c] = double(beta.values[c]) - double(mean.values[c]) * a[c];
        }
        const bool before = i > 0 && module_of[i - 1] >= 0 && !drop[i - 1] &&
                            (layers[i - 1].starts_with("hps::conv") || layers[i - 1].starts_with("hps::dense<")) &&
                            layers[i - 1].find("hps::linear") != std::string::npos;
        std::size_t after = i + 1;
        while (after < layers.size() && (layers[after] == "hps::flatten" || layers[after].starts_with("hps::dropout<")))
            ++after;
        if (before) {
            module_tensors& l = modules[std::size_t(module_of[i - 1])];
            tensor &w = l.get("weight"), &b = l.get("bias");
            if (b.values.size() != channels) throw failure("batchnorm after " + layers[i - 1] + ": the channels differ");
            const std::size_t per = w.values.size() / channels;  // weight (F, ...): row f
            for (std::size_t f = 0; f < channels; ++f) {
                for (std::size_t k = 0; k < per; ++k) w.values[f * per + k] = float(w.values[f * per + k] * a[f]);
                b.values[f] = float((double(b.values[f]) - double(mean.values[f])) * a[f] + double(beta.values[f]));
            }
        } else if (after < layers.size() && layers[after].starts_with("hps::dense<")) {
            module_tensors& l = modules[std::size_t(module_of[after])];
            tensor &w = l.get("weight"), &b = l.get("bias");
            const std::size_t outs = b.values.size(), ins = w.values.size() / outs, positions = ins / channels;
            if (positions * channels != ins) throw failure("batchnorm before " + layers[after] + ": the features differ");
            for (std::size_t o = 0; o < outs; ++o) {
                double sum = b.values[o];
                for (std::size_t j = 0; j < ins; ++j) {  // torch's channels-first order: channel j / positions
                    float& v = w.values[o * ins + j];
                    sum += double(v) * shift[j / positions];
                    v = float(v * a[j / positions]);
                }
                b.values[o] = float(sum);
            }
        } else {
            continue;
        }
        drop[i] = true;
    }
    std::vector<std::string> kept_layers;
    std::vector<module_tensors> kept_modules;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (drop[i]) continue;
        kept_layers.push_back(layers[i]);
        if (module_of[i] >= 0) kept_modules.push_back(std::move(modules[std::size_t(module_of[i])]));
    }
    layers = std::move(kept_layers);
    modules = std::move(kept_modules);
}

// model.hpp's normalization arrays (`normalize`: the run's normalization.npz), floats that
// read back exactly; "" without normalization.
std::string normalization_declarations(const normalization& norm) {
    if (!norm.inputs() && !norm.targets()) return "";
    const auto array = [](const char* name, const char* size, const std::vector<float>& v) {
        std::string out = "inline constexpr std::array<float, " + std::string(size) + "> " + name + "{";
        for (std::size_t i = 0; i < v.size(); ++i) {
            char number[32];
            std::snprintf(number, sizeof number, "%.9gf", double(v[i]));
            out += (i ? ", " : "") + std::string(number);
        }
        return out + "};\n";
    };
    std::string out = "// the study's `normalize` (the run's normalization.npz, the training part's statistics):\n"
                      "// predict takes raw inputs and gives outputs in the data's units\n";
    if (norm.inputs()) out += array("input_mean", "input_size", norm.input_mean) + array("input_std", "input_size", norm.input_std);
    if (norm.targets())
        out += array("target_mean", "output_size", norm.target_mean) + array("target_std", "output_size", norm.target_std);
    return out;
}

// weights.hpp: the tensors, in order, as float arrays.
std::string weights_header(const std::string& name, const std::vector<module_tensors>& modules, const std::string& origin) {
    std::string arrays, table;
    int k = 0;
    for (const auto& m : modules) {
        for (const auto& a : m.tensors) {
            std::string dims;
            for (auto d : a.shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
            arrays += "// " + a.name + " (" + dims + ")\ninline constexpr float t" + std::to_string(k) + "[] = {";
            for (std::size_t i = 0; i < a.values.size(); ++i) arrays += (i % 8 == 0 ? "\n    " : " ") + float_text(a.values[i]) + ",";
            if (a.values.empty()) arrays += "0.0f";
            arrays += "\n};\n";
            table += "    {\"" + a.name + "\", " + std::to_string(a.values.size()) + ", t" + std::to_string(k) + "},\n";
            ++k;
        }
    }
    return "// generated by hpsgen export from " + origin + "; do not edit.\n"
           "// The trained parameters in PyTorch's layouts, as best.npz holds them (in its order, its\n"
           "// batchnorms folded into their neighbours); model.hpp maps them onto the network when a\n"
           "// predictor is built. The names are best.npz's, of the network as trained.\n"
           "#pragma once\n\n#include <cstddef>\n\nnamespace " + name + "::weights {\n\n" + arrays +
           "\nstruct tensor {\n    const char* name;\n    std::size_t size;\n    const float* data;\n};\n"
           "inline constexpr tensor tensors[] = {\n" + table + "};\n\n}  // namespace " + name + "::weights\n";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
    return s;
}

// model.hpp: the inference network and its predict functions.
const char* const model_template = R"hps(// generated by hpsgen export from {{origin}}; do not edit.
// {{name}}: the forward pass of point {{point}} of study {{study}}, on the hps runtime's own
// layers (include/hps/, run in inference mode; dropout removed: in inference it is the
// identity; batchnorm folded into a neighbouring conv or dense layer where one takes it),
// with its trained weights ({{weights_where}}). Only Eigen is needed.
//
// A sample is {{in_dims}} floats, channels last, as the study's data holds it (raw: the
// study's input scale, {{scale}}, is applied here); a prediction is output_size floats (output_shape)
// (the network's last layer: logits where the loss applied a softmax or sigmoid).
//
//     float y[{{name}}::output_size];
//     {{name}}::predict(x, y);                 // one sample
//     {{name}}::predict_batch(xs, n, ys);      // n samples, one after another
//
// Threads: predict and predict_batch use a predictor of their own thread (thread_local),
// built (allocated, weights mapped) at the thread's first call; after that a call allocates
// nothing. A predictor<B> owned by the caller does the same without thread_local storage;
// one predictor must not be used by two threads at once.
#pragma once

#include "hps/core.hpp"
#include "hps/network.hpp"
{{includes}}
{{weights_include}}

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

namespace {{name}} {

// The network as trained, less its dropout layers and its folded batchnorms.
using network = hps::network<{{network}}>;

inline constexpr std::array<int, {{in_rank}}> input_shape{ {{in_dims_list}} };
inline constexpr auto output_shape = network::instance<1>::out_shape::dims;  // std::array<int, rank>
inline constexpr int input_size = network::in_shape::size;
inline constexpr int output_size = network::instance<1>::out_size;
inline constexpr double input_scale = {{scale}};  // raw inputs are multiplied by this
inline constexpr int batch = {{batch}};           // predict_batch's predictor runs this many at once
{{normalize_decl}}
namespace detail {
// a tensor of the weights, in torch's layout, by the order of the network's export_params
struct tensor_view {
    std::string name;
    std::size_t size;
    const float* data;
};
{{weights_reader}}
}  // namespace detail

// B samples per forward pass. Construction allocates the network's buffers and maps the
// weights (std::runtime_error if they do not fit the network); predict allocates nothing.
template <int B>
class predictor {
public:
    using instance = typename network::template instance<B>;

    predictor() : in_(std::size_t(input_size) * B, 0.0f) { load_weights(); }
    predictor(const predictor&) = delete;
    predictor& operator=(const predictor&) = delete;

    // x: n <= B samples of input_size floats; y: n * output_size floats.
    void predict(const float* x, float* y, int n = B) {
        if (n < 0 || n > B)
            throw std::invalid_argument("{{name}}: predictor<" + std::to_string(B) + ">::predict takes at most " +
                                        std::to_string(B) + " samples, not " + std::to_string(n) + "; use predict_batch");
        for (std::size_t i = 0; i < std::size_t(n) * input_size; ++i) in_[i] = float(x[i] * input_scale);
{{normalize_in}}        const float* out = net_.forward(in_.data(), ctx_);
        std::copy(out, out + std::size_t(n) * output_size, y);
{{normalize_out}}    }

    // any number of samples, B at a time
    void predict_batch(const float* x, std::size_t n, float* y) {
        for (std::size_t done = 0; done < n; done += B) {
            const int now = int(std::min<std::size_t>(B, n - done));
            predict(x + done * input_size, y + done * output_size, now);
        }
    }

private:
    // weights.hpp holds the tensors of torch's state_dict. Which value of the network's
    // parameters (or state: batchnorm statistics) each of their values is, the network
    // says itself: export_params of parameters set to 1, 2, 3... and state to -1, -2...
    void load_weights() {
        static_assert(instance::num_params < (1u << 24) && instance::num_state < (1u << 24),
                      "too many parameters to map through float indices");
        float* p = net_.params();
        float* s = net_.state();
        for (std::size_t i = 0; i < instance::num_params; ++i) p[i] = float(i + 1);
        for (std::size_t i = 0; i < instance::num_state; ++i) s[i] = -float(i + 1);
        hps::tensor_list where;
        net_.export_params(where);
        std::vector<float> storage;
        const std::vector<detail::tensor_view> weights = detail::read_weights(storage);
        const std::size_t count = weights.size();
        if (where.tensors.size() != count)
            throw std::runtime_error("{{name}}: the network exports " + std::to_string(where.tensors.size()) +
                                     " tensors, the weights hold " + std::to_string(count) + "; export again");
        std::vector<char> seen(instance::num_params + instance::num_state, 0);
        for (std::size_t t = 0; t < count; ++t) {
            const auto& w = weights[t];
            const auto& e = where.tensors[t];
            if (e.data.size() != w.size)
                throw std::runtime_error("{{name}}: tensor " + w.name + " has " + std::to_string(w.size) +
                                         " values, the network's " + e.name + " " + std::to_string(e.data.size()) +
                                         "; export again");
            for (std::size_t i = 0; i < w.size; ++i) {
                const float code = e.data[i];
                if (code > 0) {
                    p[std::size_t(code) - 1] = w.data[i];
                    seen[std::size_t(code) - 1] = 1;
                } else if (code < 0) {
                    s[std::size_t(-code) - 1] = w.data[i];
                    seen[instance::num_params + std::size_t(-code) - 1] = 1;
                }
            }
        }
        if (std::find(seen.begin(), seen.end(), 0) != seen.end())
            throw std::runtime_error("{{name}}: the weights leave some parameters of the network unset; export again");
    }

    instance net_;
    hps::buffer in_;
    hps::context ctx_{hps::phase::infer, nullptr};
};

// One sample: x input_size floats, y output_size floats.
inline void predict(const float* x, float* y) {
    thread_local predictor<1> one;
    one.predict(x, y);
}

// n samples, one after another (x: n * input_size floats, y: n * output_size).
inline void predict_batch(const float* x, std::size_t n, float* y) {
    thread_local predictor<batch> many;
    many.predict_batch(x, n, y);
}

}  // namespace {{name}}
)hps";

// detail::read_weights, from weights.hpp
const char* const embedded_reader = R"hps(inline std::vector<tensor_view> read_weights(std::vector<float>&) {
    std::vector<tensor_view> out;
    for (const auto& t : weights::tensors) out.push_back({t.name, t.size, t.data});
    return out;
})hps";

// detail::read_weights, from weights.npz (written by hpsgen export: members stored, float32)
const char* const npz_reader_source = R"hps(inline std::uint64_t le(const unsigned char* p, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}
inline std::vector<tensor_view> read_weights(std::vector<float>& storage) {
    const std::string path = {{name_upper}}_WEIGHTS_FILE;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("{{name}}: cannot read the weights file " + path + " (define {{name_upper}}_WEIGHTS_FILE for another place)");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto bad = [&](const std::string& why) {
        return std::runtime_error("{{name}}: " + path + " " + why + "; use the weights.npz that hpsgen export wrote");
    };
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    struct member {
        std::string name;
        std::size_t offset, count;
    };
    std::vector<member> members;
    std::size_t at = 0, total = 0;
    while (at + 30 <= bytes.size() && le(b + at, 4) == 0x04034b50) {  // a local file header
        if (le(b + at + 8, 2) != 0) throw bad("has a compressed member");
        const std::size_t size = le(b + at + 18, 4), name_len = le(b + at + 26, 2), extra = le(b + at + 28, 2);
        const std::size_t npy = at + 30 + name_len + extra;
        if (npy + size > bytes.size() || size < 10 || bytes.compare(npy, 6, "\x93NUMPY") != 0) throw bad("is damaged");
        const std::size_t header = b[npy + 6] == 1 ? 10 + le(b + npy + 8, 2) : 12 + le(b + npy + 8, 4);
        if (bytes.substr(npy, header).find("'<f4'") == std::string::npos) throw bad("has an array that is not float32");
        std::string name = bytes.substr(at + 30, name_len);
        if (name.size() > 4) name.resize(name.size() - 4);  // ".npy"
        members.push_back({name, npy + header, (size - header) / 4});
        total += (size - header) / 4;
        at = npy + size;
    }
    if (members.empty()) throw bad("holds no array");
    storage.resize(total);
    std::vector<tensor_view> out;
    std::size_t used = 0;
    for (const auto& m : members) {
        std::memcpy(storage.data() + used, bytes.data() + m.offset, m.count * 4);
        out.push_back({m.name, m.count, storage.data() + used});
        used += m.count;
    }
    return out;
})hps";

const char* const config_template = R"hps(# generated by hpsgen export: the CMake package of {{name}}, a header-only library.
#   find_package({{name}} REQUIRED)        with -D{{name}}_DIR=<this folder> or CMAKE_PREFIX_PATH
#   target_link_libraries(app PRIVATE {{name}}::{{name}})
include(CMakeFindDependencyMacro)
find_dependency(Eigen3 3.3 NO_MODULE)
if(NOT TARGET {{name}}::{{name}})
    add_library({{name}}::{{name}} INTERFACE IMPORTED)
    set_target_properties({{name}}::{{name}} PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/include"
        INTERFACE_LINK_LIBRARIES Eigen3::Eigen
        INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
)hps";

const char* const example_cmake_template = R"hps(# The example of {{name}}: a fresh project that finds the exported package.
#   cmake -S . -B build -D{{name}}_DIR=..  &&  cmake --build build
cmake_minimum_required(VERSION 3.16)
project({{name}}_example LANGUAGES CXX)
if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
if(NOT {{name}}_DIR AND NOT CMAKE_PREFIX_PATH)
    set({{name}}_DIR ${CMAKE_CURRENT_SOURCE_DIR}/..)
endif()
find_package({{name}} REQUIRED)
add_executable(predict predict.cpp)
target_link_libraries(predict PRIVATE {{name}}::{{name}})
)hps";

const char* const example_template = R"hps(// The example of {{name}}: predictions for the samples of an .npy file.
//   predict INPUT.npy OUTPUT.npy
// INPUT: (N, {{in_dims}}) or one sample ({{in_dims}}), raw (the model applies the input
// scale), any float or integer type; OUTPUT: (N, output_shape...) float32.
#include "{{name}}/model.hpp"
#include "hps/npy.hpp"

#include <cstdio>
#include <exception>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s INPUT.npy OUTPUT.npy\n", argv[0]);
        return 2;
    }
    try {
        const auto x = hps::read_npy_as<float>(argv[1]);
        const std::size_t n = x.values.size() / {{name}}::input_size;
        if (n == 0 || n * {{name}}::input_size != x.values.size()) {
            std::fprintf(stderr, "%s: %zu values are not whole samples of %d\n", argv[1], x.values.size(),
                         {{name}}::input_size);
            return 1;
        }
        std::vector<float> y(n * {{name}}::output_size);
        {{name}}::predict_batch(x.values.data(), n, y.data());
        std::vector<std::int64_t> shape{std::int64_t(n)};
        for (int d : {{name}}::output_shape) shape.push_back(d);
        hps::write_npy(argv[2], shape, y.data());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "predict: %s\n", e.what());
        return 1;
    }
    return 0;
}
)hps";

const char* const readme_template = R"hps(# {{name}}

Point {{point}} of study {{study}}, exported by `hpsgen export` as a header-only C++
inference library: the network's forward pass (the hps runtime's layers in inference mode,
dropout removed) with its trained weights built in. It needs a C++20 compiler and Eigen 3.3+.

    include/{{name}}/model.hpp     the API: predict, predict_batch, predictor<B>
    {{weights_line}}
    include/hps/                   the runtime headers the forward pass uses
    {{name}}Config.cmake           the CMake package: find_package({{name}})
    example/                       predict INPUT.npy OUTPUT.npy

A sample is ({{in_dims}}) floats, channels last, raw as the study's data files hold them
(the input scale {{scale}} is applied inside); a prediction is `output_size` floats (`output_shape`), the
network's last layer (logits where the study's loss applies a softmax or sigmoid).

```cmake
find_package({{name}} REQUIRED)     # -D{{name}}_DIR=<this folder>, or CMAKE_PREFIX_PATH
target_link_libraries(app PRIVATE {{name}}::{{name}})
```

```cpp
#include "{{name}}/model.hpp"
float y[{{name}}::output_size];
{{name}}::predict(x, y);               // one sample
{{name}}::predict_batch(xs, n, ys);    // n samples
```

`predict` and `predict_batch` are thread-safe: each thread gets its own predictor
(thread_local) at its first call, which allocates the buffers and maps the weights; later
calls allocate nothing. `{{name}}::predictor<B>` is the same object for your own use (B
samples per pass; one thread at a time per predictor). Build with -O2 or -O3 and
-march=native for speed.

The example:

    cmake -S example -B build && cmake --build build
    build/predict input.npy predictions.npy
)hps";

// The runtime headers the export needs: the network, every layer, .npy for the example,
// and what they include, from the copy compiled into hpsgen.
std::vector<const embedded::file*> runtime_headers() {
    std::vector<std::string> todo = {"runtime/hps/network.hpp", "runtime/hps/npy.hpp"};
    for (const auto& f : embedded::files)
        if (std::string_view(f.path).starts_with("runtime/hps/layers/")) todo.push_back(f.path);
    std::set<std::string> done;
    std::vector<const embedded::file*> out;
    while (!todo.empty()) {
        const std::string path = todo.back();
        todo.pop_back();
        if (!done.insert(path).second) continue;
        const embedded::file* f = embedded::find(path);
        if (!f) throw failure("hpsgen lacks the runtime header " + path + "; rebuild hpsgen");
        out.push_back(f);
        std::istringstream lines{std::string(f->contents)};
        for (std::string line; std::getline(lines, line);) {
            for (const char* open : {"#include \"hps/", "#include <hps/"}) {
                if (!line.starts_with(open)) continue;
                const std::size_t end = line.find_first_of("\">", 10);
                todo.push_back("runtime/" + line.substr(10, end - 10));
            }
        }
    }
    return out;
}

// The layer headers model.hpp includes: those that define a type the network names
// (`hps::conv2d<...>` -> hps/layers/conv2d.hpp, which includes what it needs), not every
// layer's: each unused one costs the exported library's users compile time (all of them:
// seconds at -O1).
std::set<std::string> layer_headers(const std::string& network, const std::vector<std::string>& layers) {
    std::set<std::string> names;
    for (std::size_t at = network.find("hps::"); at != std::string::npos; at = network.find("hps::", at)) {
        at += 5;
        std::size_t end = at;
        while (end < network.size() && (std::isalnum(static_cast<unsigned char>(network[end])) || network[end] == '_')) ++end;
        names.insert(network.substr(at, end - at));
    }
    std::set<std::string> headers, defined;
    for (const auto& name : names) {
        for (const auto& f : embedded::files) {
            const std::string_view path = f.path;
            if (path.starts_with("runtime/hps/layers/") && std::string_view(f.contents).find("\nstruct " + name + " {") != std::string_view::npos) {
                headers.insert(std::string(path.substr(8)));
                defined.insert(name);
            }
        }
    }
    // every layer (the types after the input shape, at the top level of the list) must have its header
    for (const auto& layer : layers) {
        const std::string head = layer.substr(5, layer.find('<') - 5);  // hps::conv2d<...> -> conv2d
        if (!defined.count(head))
            throw failure("hpsgen's runtime has no layer header that defines hps::" + head + " (the network's layer " + layer +
                          "); rebuild hpsgen from a source tree that has it");
    }
    return headers;
}

std::string join_dims(const std::vector<int>& d, const char* sep) {
    std::string s;
    for (int v : d) s += (s.empty() ? "" : sep) + std::to_string(v);
    return s;
}

}  // namespace

int export_model(const args& a) {
    std::string dir, point, out, name, format = "cpp", weights = "embed";
    std::size_t batch = 0;  // 0: not given (64 for C++, any for ONNX)
    arg_parser p("export",
                 "Writes point POINT of the trained study folder DIR (default: the study's best\n"
                 "point by its selection rule) as a header-only C++ inference library into OUT:\n"
                 "the network's forward pass on the hps runtime's layers (dropout removed,\n"
                 "batchnorm folded where a neighbouring conv or dense layer takes it, the\n"
                 "input scale applied), the weights of its best.npz built in, predict for one\n"
                 "sample and for a batch (thread-safe, allocation-free after a thread's first\n"
                 "call), a CMake package (find_package(NAME)), a README and an example program\n"
                 "(INPUT.npy -> predictions .npy). Needs only Eigen.");
    p.positional("DIR", "the study folder", dir);
    p.option("point", "POINT", "the point to export (a name or id; default: the best)", point);
    p.option("output", "OUT", "the folder to write (created; files of an earlier export\nare replaced)", out, {}, 'o');
    p.option("name", "NAME", "the library's name: C++ namespace, CMake package and\ninclude folder (default: STUDY_POINT)", name);
    p.count("batch", "N",
            "C++: samples per forward pass in predict_batch (default 64);\n"
            "ONNX: the batch size fixed in the model (default: any;\n"
            "OpenCV 4.6 runs lstm and gru only with one fixed)",
            batch);
    p.option("weights", "FROM",
             "embed: built into the library (include/NAME/weights.hpp);\n"
             "npz: read from OUT/weights.npz when a predictor is built\n"
             "(the path: NAME_WEIGHTS_FILE, a macro to define before\n"
             "including model.hpp to move the file)",
             weights, {"embed", "npz"});
    p.option("format", "FORMAT",
             "cpp: the C++ library; onnx: OUT/NAME.onnx, the same model\n"
             "(input x: (N, sample size), the raw channels-last samples\n"
             "flattened; output y)",
             format, {"cpp", "onnx"});
    p.epilog("examples:\n  hpsgen export out/cyplam -o cyplam_best\n  hpsgen export out/cyplam --point model-108 -o m108 --name model108");
    if (auto status = p.parse(a)) return *status;
    if (out.empty()) return p.usage_error(std::cerr, "give the output folder: -o OUT");
    try {
        const study_dir s = load_study_dir(dir);
        const point_row& pt = choose_point(s, dir, point);
        const fs::path run = fs::path(dir) / pt.run_dir();
        if (!fs::exists(run / "best.npz"))
            throw failure("point " + pt.name + " has no best.npz in " + run.string() + "; train it first (hpsgen run " + dir + ")");
        const auto settings = read_point_settings(dir, pt);
        if (!settings) throw failure("cannot read the settings of point " + pt.name + " (" + pt.settings_file() + "); generate the study again");
        // `normalize`: the run's statistics (hps/normalize.hpp), applied around the network
        normalization norm;
        if (settings->normalize_inputs || settings->normalize_targets) {
            if (!fs::exists(run / "normalization.npz"))
                throw failure("point " + pt.name + " normalizes its data but has no normalization.npz in " + run.string() +
                              "; train it again (hpsgen run " + dir + ")");
            norm = read_normalization((run / "normalization.npz").string());
        }
        if (name.empty()) name = s.study + "_" + pt.name;
        name = identifier(name);

        // the network less its dropout layers (the identity in inference)
        std::vector<std::string> args = network_arguments(fs::path(dir) / "trainers" / pt.trainer / "main.cpp");
        std::vector<std::string> layers(args.begin() + 1, args.end());
        std::vector<module_tensors> modules = read_modules((run / "best.npz").string());
        fold_batchnorms(layers, modules);
        std::string network = args.at(0);
        std::vector<std::string> kept;
        for (const auto& layer : layers)
            if (!layer.starts_with("hps::dropout<")) kept.push_back(layer);
        for (const auto& layer : kept) network += ",\n                             " + layer;
        std::vector<int> in_dims;
        {
            std::string shape = args.at(0);  // hps::shape<28, 28, 1>
            for (std::size_t i = shape.find('<') + 1; i < shape.size();) {
                std::size_t used = 0;
                in_dims.push_back(std::stoi(shape.substr(i), &used));
                i += used;
                while (i < shape.size() && (shape[i] == ',' || shape[i] == ' ' || shape[i] == '>')) ++i;
            }
        }

        const std::string origin = s.study + " " + pt.name + " (" + run.string() + ")";
        char scale[40];
        std::snprintf(scale, sizeof scale, "%.17g", settings->scale);
        std::string includes;
        for (const auto& l : layer_headers(network, kept)) includes += "#include \"" + l + "\"\n";
        includes.pop_back();

        std::string upper = name;
        for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
        const fs::path o(out);
        auto fill = [&](std::string t) {
            t = replace_all(t, "{{weights_include}}",
                            weights == "npz"
                                ? "#include <cstdint>\n#include <cstring>\n#include <fstream>\n#include <iterator>\n\n"
                                  "// where the weights are read from (hpsgen export --weights npz)\n#ifndef " + upper + "_WEIGHTS_FILE\n#define " +
                                  upper + "_WEIGHTS_FILE \"" + fs::absolute(o / "weights.npz").lexically_normal().string() + "\"\n#endif"
                                : "#include \"" + name + "/weights.hpp\"");
            t = replace_all(t, "{{weights_line}}",
                            weights == "npz" ? "weights.npz                    the weights, read when a predictor is built\n"
                                               "                                   (best.npz of the run, PyTorch's layouts)"
                                             : "include/" + name + "/weights.hpp   the weights (best.npz of the run, PyTorch's layouts)");
            t = replace_all(t, "{{weights_where}}", weights == "npz" ? "weights.npz, read by detail::read_weights" : "weights.hpp");
            t = replace_all(t, "{{weights_reader}}", weights == "npz" ? npz_reader_source : embedded_reader);
            t = replace_all(t, "{{name}}", name);
            t = replace_all(t, "{{origin}}", origin);
            t = replace_all(t, "{{point}}", pt.name);
            t = replace_all(t, "{{study}}", s.study);
            t = replace_all(t, "{{in_dims}}", join_dims(in_dims, ", "));
            t = replace_all(t, "{{in_dims_list}}", join_dims(in_dims, ", "));
            t = replace_all(t, "{{in_rank}}", std::to_string(in_dims.size()));
            t = replace_all(t, "{{scale}}", scale);
            t = replace_all(t, "{{batch}}", std::to_string(batch ? batch : 64));
            t = replace_all(t, "{{includes}}", includes);
            t = replace_all(t, "{{name_upper}}", upper);
            t = replace_all(t, "{{network}}", network);
            t = replace_all(t, "{{normalize_decl}}", normalization_declarations(norm));
            t = replace_all(t, "{{normalize_in}}",
                            !norm.inputs() ? ""
                                           : "        for (std::size_t i = 0; i < std::size_t(n) * input_size; ++i)  // normalize inputs\n"
                                             "            in_[i] = (in_[i] - input_mean[i % input_size]) / input_std[i % input_size];\n");
            t = replace_all(t, "{{normalize_out}}",
                            !norm.targets() ? ""
                                            : "        for (std::size_t i = 0; i < std::size_t(n) * output_size; ++i)  // normalize targets\n"
                                              "            y[i] = y[i] * target_std[i % output_size] + target_mean[i % output_size];\n");
            return t;
        };
        if (format == "onnx") {
            std::map<std::string, onnx::tensor> params;
            for (auto& m : modules)
                for (auto& t : m.tensors) params[t.name] = {t.shape, std::move(t.values)};
            const auto torch = onnx::torch_modules_of(read_text(run / "model.py"));
            std::map<std::string, onnx::tensor> stats;
            for (const auto& [key, values] : {std::pair{"input_mean", &norm.input_mean}, {"input_std", &norm.input_std},
                                              {"target_mean", &norm.target_mean}, {"target_std", &norm.target_std}})
                if (!values->empty()) stats[key] = {{std::int64_t(values->size())}, *values};
            write_text(o / (name + ".onnx"),
                       onnx::model(torch, params, in_dims, settings->scale, name, std::int64_t(batch), stats));
            std::printf("exported %s of study %s (%s) to %s\n", pt.name.c_str(), s.study.c_str(), run.string().c_str(),
                        (o / (name + ".onnx")).string().c_str());
            return 0;
        }
        for (const embedded::file* f : runtime_headers())
            write_text(o / "include" / std::string_view(f->path).substr(8), std::string(f->contents));
        if (weights == "npz") {
            std::vector<npz_entry> entries;
            for (const auto& m : modules)
                for (const auto& t : m.tensors) entries.emplace_back(t.name, t.shape, t.values.data());
            fs::create_directories(o);
            write_npz((o / "weights.npz").string(), entries);
            fs::remove(o / "include" / name / "weights.hpp");
        } else {
            write_text(o / "include" / name / "weights.hpp", weights_header(name, modules, origin));
        }
        write_text(o / "include" / name / "model.hpp", fill(model_template));
        write_text(o / (name + "Config.cmake"), fill(config_template));
        write_text(o / "example" / "CMakeLists.txt", fill(example_cmake_template));
        write_text(o / "example" / "predict.cpp", fill(example_template));
        write_text(o / "README.md", fill(readme_template));
        std::printf("exported %s of study %s (%s) to %s: find_package(%s), include \"%s/model.hpp\"\n", pt.name.c_str(),
                    s.study.c_str(), run.string().c_str(), out.c_str(), name.c_str(), name.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpsgen export: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace hps::cli
