#include "generator/emit.hpp"

#include "generator/embedded.hpp"
#include "generator/expand.hpp"

#include "dsl/data_check.hpp"
#include "dsl/layer_kind.hpp"

#include <hps/hdf5.hpp>
#include <hps/settings.hpp>
#include <hps/train/continuation.hpp>
#include <hps/train/tfevents.hpp>

#include <hps/io.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace hps {

namespace {

void write_value(json_writer& w, const param_value& v) {
    if (v.type == param_value::kind::number) w.value(v.number);
    else w.value(v.text);
}

std::string data_path(const std::string& path, const emit_options& opt) { return prefixed_data_path(path, opt.data_prefix); }

// The whole train_config of a point as its trainer runs it: the checker's, with the
// study's names, the point's place in the grid, its layers' penalties and its data paths
// as seen from the study folder.
hps::train_config point_config(const study& s, const grid_point& p, const emit_options& opt) {
    hps::train_config c = p.config;
    c.study = s.name;
    c.point = p.name;
    c.point_id = p.id;
    c.num_points = s.points.size();
    c.train = data_path(c.train, opt);
    c.validation = data_path(c.validation, opt);
    c.test = data_path(c.test, opt);
    c.penalties.clear();
    for (std::size_t i = 0; i < p.layers.size(); ++i)
        if (p.layers[i].l1 != 0 || p.layers[i].l2 != 0) c.penalties.push_back({int(i), p.layers[i].l1, p.layers[i].l2});
    c.layer_settings.clear();
    for (std::size_t i = 0; i < p.layers.size(); ++i)
        for (layer_setting v : layer_run_time(p.layers[i])) {
            v.layer = int(i);
            c.layer_settings.push_back(std::move(v));
        }
    c.axes.clear();
    for (std::size_t i = 0; i < s.axes.size(); ++i) c.axes.push_back({s.axes[i].name, p.axis_values[i].text});
    c.params = p.params;
    return c;
}

// The network of a point as C++: hps::network<input, layers...>, one layer a line.
std::string network_type(const grid_point& p) {
    std::string layers;
    for (std::size_t i = 0; i < p.layers.size(); ++i)
        layers += "    " + layer_type(p.layers[i]) + (i + 1 < p.layers.size() ? ",\n" : "");
    return "hps::network<hps::shape<" + layer_text::join(p.input) + ">,\n" + layers + ">";
}

std::string study_json(const study& s, const emit_options& opt, const std::map<std::size_t, point_files>& files) {
    json_writer w;
    w.begin_object();
    w.member("study", s.name).member("description", s.description).member("spec", opt.spec_display);
    w.member("grid_size", s.points.size()).member("full_size", s.full_size);
    if (s.slurm.ranks > 1) w.member("ranks", s.slurm.ranks);  // MPI processes per point (hpsgen run: mpirun -n)
    if (!s.points.empty()) {
        const hps::train_config& c = s.points.front().config;
        // no select statement: the validation loss, min (as result.json says)
        const bool by_loss = c.select_metric.empty();
        w.key("select").begin_object().member("metric", by_loss ? std::string("loss") : c.select_metric);
        w.member("goal", !by_loss && c.select_max ? "max" : "min").end_object();
        // the metrics by name, with their kinds: hpsgen report ranks by any of them
        w.key("metrics").begin_array();
        for (const auto& m : c.metrics) {
            const std::string name = m.name.empty() ? std::string(name_of(m.kind)) : m.name;
            w.begin_object().member("name", name).member("kind", name_of(m.kind));
            w.member("goal", info(m.kind).higher_is_better ? "max" : "min").member("scalar", info(m.kind).scalar).end_object();
        }
        w.end_array();
    }
    // which points train and for how long: the sample drawn, the halving's rungs
    w.key("search").begin_object();
    w.member("kind", s.search.sample > 0 ? "random" : "grid");
    if (s.search.sample > 0) w.member("sample", s.search.sample).member("seed", s.search.seed).member("space", s.search.space);
    if (s.search.halving()) {
        w.key("halving").begin_object().member("eta", s.search.eta).key("rungs").begin_array();
        for (long b : s.search.rungs()) w.value(b);
        w.end_array();
        if (!s.search.bracket_of.empty()) {  // Hyperband: each point's bracket (0 the first)
            w.member("brackets", s.search.brackets).key("bracket_of").begin_array();
            for (std::size_t b : s.search.bracket_of) w.value(b);
            w.end_array();
        }
        w.end_object();
    }
    w.end_object();
    w.key("axes").begin_array();
    for (const auto& a : s.axes) {
        w.begin_object().member("name", a.name).member("named", a.named).key("values").begin_array();
        for (const auto& v : a.values) write_value(w, v);
        w.end_array().end_object();
    }
    w.end_array();
    w.key("points").begin_array();
    for (const auto& p : s.points) {
        const point_files& f = files.at(p.id);
        w.begin_object().member("id", p.id).member("name", p.name).member("params", p.params);
        w.member("trainer", f.trainer).member("identity", f.identity);
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

std::string fingerprint(std::string_view text) { return hps::fnv1a_hex(text); }

std::string layer_type(const layer& l) {
    const layer_kind* kind = find_layer_kind(l.kind);
    if (!kind) throw std::logic_error("hpsgen: the generator has no runtime layer for '" + l.kind + "'");
    return kind->cpp_type(l);  // the kind's descriptor, dsl/layers/
}

std::vector<layer_setting> layer_run_time(const layer& l) {
    const layer_kind* kind = find_layer_kind(l.kind);
    if (!kind) throw std::logic_error("hpsgen: the generator has no runtime layer for '" + l.kind + "'");
    return kind->run_time ? kind->run_time(l) : std::vector<layer_setting>{};
}

// The network's compiled batch: the spec's, or each rank's share of it (`ranks`).
static int compiled_batch(const grid_point& p) { return p.batch / std::max(1, p.config.ranks); }

network_signature signature_of(const grid_point& p) {
    network_signature n;
    n.type = network_type(p);
    n.batch = compiled_batch(p);
    n.signature = fingerprint(n.type + "\nbatch " + std::to_string(n.batch));
    n.trainer = "net-" + n.signature;
    return n;
}

std::string emit_trainer(const grid_point& p) {
    const network_signature n = signature_of(p);
    return render(embedded::contents("templates/trainer.cpp.in"), {{"network", n.type},
                                                               {"batch", std::to_string(n.batch)},
                                                               {"params", std::to_string(p.params)},
                                                               {"signature", n.signature}});
}

point_files emit_point(const study& s, const grid_point& p, const emit_options& opt) {
    const network_signature n = signature_of(p);
    hps::train_config c = point_config(s, p, opt);
    auto stamp = [&](const std::string& path) { return opt.data_stamp ? opt.data_stamp(path) : path; };
    point_files f;
    f.trainer = n.trainer;
    f.identity = fingerprint(identity_json(c, n.signature, opt.runtime_version, stamp));
    c.identity = f.identity;
    c.lineage = fingerprint(identity_json(c, n.signature, opt.runtime_version, stamp, false));
    f.settings = settings_json(c, n.signature);
    return f;
}

// The study's HParams experiment for TensorBoard (docs/logging.md): every axis with its
// values as the hyperparameters, each logged "<split>/<column>" as a metric. In the logdir's
// root, the run the plugin reads the experiment from; the trainers log the sessions.
// Deterministic (time 0), so regenerating an unchanged study leaves it alone.
static std::string tensorboard_experiment(const study& s) {
    std::vector<hps::tfevents::hparam_info> hparams;
    for (const auto& a : s.axes) {
        hparams.push_back({a.name, {}});
        for (const auto& v : a.values) hparams.back().values.push_back(hps::tfevents::hparam_of(v.text));
    }
    const hps::train_config& c = s.points.front().config;
    std::vector<hps::tfevents::metric_info> metrics = {{"train/loss", 1}};
    for (const auto& column : hps::train_detail::csv_columns(c)) {
        metrics.push_back({"validation/" + column, 2});
        metrics.push_back({"best/" + column, 2});  // the best checkpoint's, at its step
        if (!c.test.empty()) metrics.push_back({"test/" + column, 0});
    }
    return hps::tfevents::file_version_record(0) + hps::tfevents::experiment_record(0, s.name, hparams, metrics);
}

void emit_study(const study& s, const emit_options& opt, output_sink& sink) {
    std::map<std::size_t, point_files> files;
    std::map<std::string, const grid_point*> networks;  // by trainer name: one binary each
    for (const auto& p : s.points) {
        point_files f = emit_point(s, p, opt);
        networks.emplace(f.trainer, &p);
        sink.write("settings/" + p.name + ".json", f.settings);
        files.emplace(p.id, std::move(f));
    }
    std::string trainers;
    for (const auto& [name, p] : networks) {
        sink.write("trainers/" + name + "/main.cpp", emit_trainer(*p));
        trainers += "    " + name + "\n";
    }
    if (!trainers.empty()) trainers.pop_back();
    std::string tiles;
    for (const auto& path : emit_tiles(networks, opt, sink)) tiles += (tiles.empty() ? "    " : "\n    ") + path;
    // the HDF5 library only for a study whose data is HDF5: the data block holds no axis, so
    // the first point's paths are every point's
    std::string hdf5;
    if (!s.points.empty()) {
        const hps::train_config& c = s.points.front().config;
        if (hps::hdf5_named(c.train) || hps::hdf5_named(c.validation) || hps::hdf5_named(c.test))
            hdf5 = "# the data is HDF5 (runtime/hps/hdf5.hpp): Debian's libhdf5-dev\n"
                   "enable_language(C)  # FindHDF5 compiles a C test program\n"
                   "find_package(HDF5 REQUIRED COMPONENTS C)\n"
                   "target_include_directories(hps_flags SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})\n"
                   "target_link_libraries(hps_flags INTERFACE ${HDF5_LIBRARIES})\n"
                   "target_compile_definitions(hps_flags INTERFACE HPS_HDF5 ${HDF5_DEFINITIONS})\n";
    }
    // MPI only for a study whose points train as several ranks (docs/design.md, section 22)
    std::string mpi;
    if (s.slurm.ranks > 1)
        mpi = "# the points train as " + std::to_string(s.slurm.ranks) +
              " MPI ranks (the slurm block's `ranks`): Debian's OpenMPI\n"
              "enable_language(C)  # FindMPI compiles a C test program\n"
              "find_package(MPI COMPONENTS C)\n"
              "if(NOT MPI_C_FOUND)\n"
              "    message(FATAL_ERROR \"this study's points train as several MPI ranks (`ranks` in its slurm block), \"\n"
              "                        \"but CMake finds no MPI: install OpenMPI (apt-get install libopenmpi-dev openmpi-bin), \"\n"
              "                        \"load your cluster's MPI module, or drop `ranks`\")\n"
              "endif()\n"
              "target_link_libraries(hps_flags INTERFACE MPI::MPI_C)\n"
              "target_compile_definitions(hps_flags INTERFACE HPS_MPI)\n";
    // the bf16 kernels only for a study that trains in bf16: they are a third of a conv
    // trainer's compile time (docs/design.md, section 25)
    const std::size_t bf16_points = std::size_t(std::count_if(
        s.points.begin(), s.points.end(), [](const grid_point& p) { return p.config.prec == hps::precision::bf16; }));
    const std::string bf16_why = bf16_points == 0 ? "no point of the study trains in bf16"
                                                  : std::to_string(bf16_points) + " of the study's " +
                                                        std::to_string(s.points.size()) + " points train in bf16";
    sink.write("CMakeLists.txt", render(embedded::contents("templates/CMakeLists.txt.in"),
                                        {{"spec", opt.spec_display},
                                         {"count", std::to_string(networks.size())},
                                         {"points", std::to_string(s.points.size())},
                                         {"study", s.name},
                                         {"hdf5", hdf5},
                                         {"mpi", mpi},
                                         {"bf16", bf16_points == 0 ? "OFF" : "ON"},
                                         {"bf16_why", bf16_why},
                                         {"tiles", tiles},
                                         {"trainers", trainers}}));
    // grid.tsv: the grid's columns, then each point's trainer and identity
    std::istringstream grid(grid_tsv(s));
    std::string line, tsv;
    for (std::size_t row = 0; std::getline(grid, line); ++row) {
        if (row == 0) tsv += line + "\ttrainer\tidentity\n";
        else {
            const point_files& f = files.at(s.points.at(row - 1).id);
            tsv += line + "\t" + f.trainer + "\t" + f.identity + "\n";
        }
    }
    sink.write("grid.tsv", tsv);
    emit_slurm(s, opt, sink);
    sink.write("study.json", study_json(s, opt, files));
    if (!s.points.empty() && s.points.front().config.log_tensorboard)
        sink.write("tensorboard/events.out.tfevents.0.hpsgen", tensorboard_experiment(s));
    if (!opt.canonical_spec.empty()) sink.write("study.hps", opt.canonical_spec);
    if (opt.include_runtime) {
        for (const auto& f : embedded::files) {
            std::string path = f.path;
            if (path.rfind("runtime/", 0) == 0) sink.write(path, std::string(f.contents));
        }
    }
    sink.write(".hpsgen", "generated by hpsgen from " + opt.spec_display +
                              "\nThis folder is hpsgen's: `hpsgen generate` rewrites it; results/ and runs/ are never touched.\n");
}

}  // namespace hps
