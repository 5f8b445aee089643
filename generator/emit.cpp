#include "generator/emit.hpp"

#include "generator/embedded.hpp"
#include "generator/expand.hpp"

#include "dsl/data_check.hpp"
#include "dsl/layer_kind.hpp"

#include <hps/io.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace hps {

namespace {

const std::string& template_text(const char* path) {
    static std::map<std::string, std::string> cache;
    auto it = cache.find(path);
    if (it != cache.end()) return it->second;
    const auto* f = embedded::find(path);
    if (!f) throw std::logic_error(std::string("hpsgen: template '") + path + "' is not compiled in");
    return cache.emplace(path, std::string(f->contents)).first->second;
}

// An enum value as C++: hps::loss_kind::softmax_ce (each kind's enumerator is its table name)
template <class Kind>
std::string enum_text(const char* type, Kind k) {
    return std::string("hps::") + type + "::" + std::string(name_of(k));
}

// A double as a C++ literal of type double: the shortest text that reads back the same.
std::string number_text(double v) { return layer_text::number(v); }

void write_value(json_writer& w, const param_value& v) {
    if (v.type == param_value::kind::number) w.value(v.number);
    else w.value(v.text);
}

std::string data_path(const std::string& path, const emit_options& opt) { return prefixed_data_path(path, opt.data_prefix); }

std::string axes_comment(const study& s, const grid_point& p) {
    std::string out;
    for (std::size_t i = 0; i < s.axes.size(); ++i)
        out += (i ? ", " : "") + s.axes[i].name + " = " + p.axis_values[i].text;
    return out.empty() ? "(no axes)" : out;
}

std::string config_lines(const study& s, const grid_point& p, const emit_options& opt) {
    std::ostringstream o;
    auto str = [&](const char* field, const std::string& v) {
        if (!v.empty()) o << "    config." << field << " = " << cpp_string(v) << ";\n";
    };
    str("study", s.name);
    str("point", p.name);
    o << "    config.point_id = " << p.id << ";\n";
    o << "    config.num_points = " << s.points.size() << ";\n";
    const hps::train_config& c = p.config;
    str("train", data_path(c.train, opt));
    str("validation", data_path(c.validation, opt));
    str("test", data_path(c.test, opt));
    if (c.split > 0) o << "    config.split = " << number_text(c.split) << ";\n";
    if (c.x_name != "x") str("x_name", c.x_name);
    if (c.y_name != "y") str("y_name", c.y_name);
    o << "    config.target = " << enum_text("target_kind", c.target) << ";\n";
    o << "    config.outputs = " << c.outputs << ";\n";
    if (c.scale != 1) o << "    config.scale = " << number_text(c.scale) << ";\n";
    o << "    config.loss = " << enum_text("loss_kind", c.loss) << ";\n";
    o << "    config.optimizer.kind = " << enum_text("optimizer_kind", c.optimizer.kind) << ";\n";
    for (const auto& si : optimizer_setting_table)  // the settings the spec gives; the rest are the runtime's defaults
        if (c.optimizer.has(si.key))
            o << "    config.optimizer.set(" << enum_text("optimizer_setting", si.key) << ", "
              << number_text(c.optimizer[si.key]) << ");\n";
    if (c.steps > 0) o << "    config.steps = " << c.steps << ";\n";
    if (c.epochs > 0) o << "    config.epochs = " << c.epochs << ";\n";
    o << "    config.checkpoints = " << c.checkpoints << ";\n";
    o << "    config.seed = " << c.seed << ";\n";
    if (c.patience > 0) o << "    config.patience = " << c.patience << ";\n";
    if (c.pos_weight != 1) o << "    config.pos_weight = " << number_text(c.pos_weight) << ";\n";
    for (const auto& m : c.metrics)
        o << "    config.metrics.push_back({" << enum_text("metric_kind", m.kind) << ", " << cpp_string(m.name) << ", "
          << number_text(m.param) << "});\n";
    o << "    config.select_max = " << (c.select_max ? "true" : "false") << ";\n";
    str("select_metric", c.select_metric);
    for (std::size_t i = 0; i < p.layers.size(); ++i) {
        const auto& l = p.layers[i];
        if (l.l1 != 0 || l.l2 != 0)
            o << "    config.penalties.push_back({" << i << ", " << number_text(l.l1) << ", " << number_text(l.l2)
              << "});  // " << l.name << "\n";
    }
    for (std::size_t i = 0; i < s.axes.size(); ++i)
        o << "    config.axes.push_back({" << cpp_string(s.axes[i].name) << ", " << cpp_string(p.axis_values[i].text)
          << "});\n";
    // augmentation of the training batches; nothing when the spec has none
    const hps::augment_config& aug = c.augment;
    if (aug.brightness > 0) o << "    config.augment.brightness = " << number_text(aug.brightness) << ";\n";
    if (aug.contrast > 0) o << "    config.augment.contrast = " << number_text(aug.contrast) << ";\n";
    if (aug.flip_horizontal) o << "    config.augment.flip_horizontal = true;\n";
    if (aug.flip_vertical) o << "    config.augment.flip_vertical = true;\n";
    if (aug.translate > 0) o << "    config.augment.translate = " << aug.translate << ";\n";
    o << "    config.params = " << p.params << ";\n";
    std::string text = o.str();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

std::string study_json(const study& s, const emit_options& opt) {
    json_writer w;
    w.begin_object();
    w.member("study", s.name).member("description", s.description).member("spec", opt.spec_display);
    w.member("grid_size", s.points.size()).member("full_size", s.full_size);
    if (!s.points.empty()) {
        const hps::train_config& c = s.points.front().config;
        w.key("select").begin_object().member("metric", c.select_metric).member("goal", c.select_max ? "max" : "min").end_object();
    }
    w.key("axes").begin_array();
    for (const auto& a : s.axes) {
        w.begin_object().member("name", a.name).member("named", a.named).key("values").begin_array();
        for (const auto& v : a.values) write_value(w, v);
        w.end_array().end_object();
    }
    w.end_array();
    w.key("points").begin_array();
    for (const auto& p : s.points) {
        w.begin_object().member("id", p.id).member("name", p.name).member("params", p.params);
        w.key("axes").begin_object();
        for (std::size_t k = 0; k < s.axes.size(); ++k) {
            w.key(s.axes[k].name);
            write_value(w, p.axis_values[k]);
        }
        w.end_object().key("layers").begin_array();
        for (const auto& l : p.layers) {
            w.begin_object().member("name", l.name).key("in").begin_array();
            for (int d : l.in_shape) w.value(d);
            w.end_array().key("out").begin_array();
            for (int d : l.out_shape) w.value(d);
            w.end_array().member("params", l.params).end_object();
        }
        w.end_array().end_object();
    }
    w.end_array().end_object();
    return w.str();
}

}  // namespace

std::string cpp_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '?': out += "\\?"; break;  // no trigraphs, whatever the compiler's mode
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\%03o", c);  // octal: never swallows a next digit
                    out += buf;
                } else {
                    out += char(c);
                }
        }
    }
    return out + "\"";
}

std::string render(std::string_view tmpl, const std::map<std::string, std::string>& values) {
    std::string out;
    std::set<std::string> used;
    std::size_t pos = 0;
    while (true) {
        auto open = tmpl.find("{{", pos);
        if (open == std::string_view::npos) {
            out.append(tmpl.substr(pos));
            break;
        }
        auto close = tmpl.find("}}", open + 2);
        if (close == std::string_view::npos) throw std::logic_error("template: unclosed '{{'");
        std::string key(tmpl.substr(open + 2, close - open - 2));
        auto it = values.find(key);
        if (it == values.end()) throw std::logic_error("template: no value for placeholder {{" + key + "}}");
        used.insert(key);
        out.append(tmpl.substr(pos, open - pos));
        out += it->second;
        pos = close + 2;
    }
    for (const auto& [k, v] : values)
        if (!used.count(k)) throw std::logic_error("template: value '" + k + "' has no placeholder");
    return out;
}

std::string fingerprint(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string layer_type(const layer& l) {
    const layer_kind* kind = find_layer_kind(l.kind);
    if (!kind) throw std::logic_error("hpsgen: the generator has no runtime layer for '" + l.kind + "'");
    return kind->cpp_type(l);  // the kind's descriptor, dsl/layers/
}

std::string emit_trainer(const study& s, const grid_point& p, const emit_options& opt) {
    std::string layers;
    for (std::size_t i = 0; i < p.layers.size(); ++i)
        layers += "    " + layer_type(p.layers[i]) + (i + 1 < p.layers.size() ? ",\n" : "");
    std::map<std::string, std::string> v = {
        {"spec", opt.spec_display},
        {"id", std::to_string(p.id)},
        {"count", std::to_string(s.points.size())},
        {"name", p.name},
        {"axes", axes_comment(s, p)},
        {"input", "hps::shape<" + layer_text::join(p.input) + ">"},
        {"layers", layers},
        {"batch", std::to_string(p.batch)},
        {"params", std::to_string(p.params)},
        {"config", config_lines(s, p, opt)},
    };
    std::string text = render(template_text("templates/trainer.cpp.in"), v);
    // the fingerprint covers everything above it, so a run folder knows its trainer
    auto last = text.rfind("    return hps::train_main");
    text.insert(last, "    config.fingerprint = \"" + fingerprint(text) + "\";\n");
    return text;
}

void emit_study(const study& s, const emit_options& opt, output_sink& sink) {
    std::string trainers;
    for (const auto& p : s.points) {
        sink.write("trainers/" + p.name + "/main.cpp", emit_trainer(s, p, opt));
        trainers += "    " + p.name + "\n";
    }
    if (!trainers.empty()) trainers.pop_back();
    sink.write("CMakeLists.txt", render(template_text("templates/CMakeLists.txt.in"),
                                        {{"spec", opt.spec_display},
                                         {"count", std::to_string(s.points.size())},
                                         {"study", s.name},
                                         {"trainers", trainers}}));
    sink.write("grid.tsv", grid_tsv(s));
    emit_slurm(s, opt, sink);
    sink.write("study.json", study_json(s, opt));
    if (!opt.canonical_spec.empty()) sink.write("study.hps", opt.canonical_spec);
    if (opt.include_runtime) {
        for (const auto& f : embedded::files) {
            std::string path = f.path;
            if (path.rfind("runtime/", 0) == 0) sink.write(path, std::string(f.contents));
        }
    }
    sink.write(".hpsgen", "generated by hpsgen from " + opt.spec_display +
                              "\nThis folder is hpsgen's: `hpsgen generate` rewrites it; runs/ is never touched.\n");
}

}  // namespace hps
