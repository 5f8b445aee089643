// Generation: every emitted file of the golden studies equals the stored one
// (HPS_REFRESH_GOLDEN=1 rewrites them; tests/support/golden.hpp compares), emission is
// deterministic, and the template and escaping rules hold.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "dsl/check.hpp"
#include "dsl/printer.hpp"
#include "grammar/parse.hpp"
#include "generator/emit.hpp"

#include "../../support/golden.hpp"

#include <hps/optimizers.hpp>
#include <hps/settings.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

hps::memory_sink emit(const fs::path& spec) {
    hps::source src(spec.filename().string(), slurp(spec));
    hps::diagnostics diags;
    hps::ast::study_file file;
    REQUIRE_MESSAGE(hps::parse(src, file, diags), hps::format(diags));
    auto s = hps::check(src, file, diags);
    REQUIRE_MESSAGE(s.has_value(), hps::format(diags));
    hps::emit_options opt;
    opt.spec_display = spec.filename().string();
    opt.canonical_spec = hps::print(file);
    opt.include_runtime = false;
    hps::memory_sink sink;
    hps::emit_study(*s, opt, sink);
    return sink;
}

}  // namespace

TEST_CASE("generated files match the golden files") {
    int studies = 0;
    for (const auto& entry : fs::directory_iterator(HPS_GOLDEN_DIR)) {
        if (entry.path().extension() != ".hps") continue;
        ++studies;
        INFO("study ", entry.path().filename().string());
        hps_test::golden::check_folder(fs::path(HPS_GOLDEN_DIR) / entry.path().stem(), emit(entry.path()).files,
                                       "generator.generate");
    }
    CHECK(studies >= 1);
}

TEST_CASE("emission is deterministic") {
    const fs::path spec = fs::path(HPS_GOLDEN_DIR) / "small.hps";
    auto a = emit(spec), b = emit(spec);
    CHECK(a.files == b.files);
    for (const auto& [rel, contents] : a.files) {
        INFO(rel);
        CHECK(contents.find(HPS_GOLDEN_DIR) == std::string::npos);  // no absolute paths
    }
}

TEST_CASE("templates: a missing or unused placeholder is an error") {
    CHECK(hps::render("a {{x}} b", {{"x", "1"}}) == "a 1 b");
    CHECK_THROWS_AS(hps::render("a {{x}} {{y}}", {{"x", "1"}}), std::logic_error);
    CHECK_THROWS_AS(hps::render("a {{x}}", {{"x", "1"}, {"z", "2"}}), std::logic_error);
    CHECK_THROWS_AS(hps::render("a {{x", {{"x", "1"}}), std::logic_error);
}

TEST_CASE("user text is escaped into C++ string literals") {
    CHECK(hps::cpp_string("plain") == "\"plain\"");
    CHECK(hps::cpp_string("a \"quoted\" \\ path") == "\"a \\\"quoted\\\" \\\\ path\"");
    CHECK(hps::cpp_string("line\nbreak\ttab") == "\"line\\nbreak\\ttab\"");
    CHECK(hps::cpp_string("?" "?=") == "\"\\?\\?=\"");  // never a trigraph
    CHECK(hps::cpp_string(std::string("\x01" "1", 2)) == "\"\\0011\"");  // octal escapes never swallow a digit
}

TEST_CASE("fingerprints differ when the text differs") {
    CHECK(hps::fingerprint("a") != hps::fingerprint("b"));
    CHECK(hps::fingerprint("abc") == hps::fingerprint("abc"));
    CHECK(hps::fingerprint("").size() == 16);
}

// One set of optimizer defaults: a generated trainer writes only the settings its spec
// gives, and the optimizer it builds has the same settings in force as the one a
// hand-written trainer gets from the same optimizer_config.
TEST_CASE("a generated and a hand-written trainer get the same optimizer settings") {
    const std::string head = "study t\ndata {\n  train \"t.npz\"\n  validation \"v.npz\"\n  input 3\n  target regression 1\n}\n"
                             "network {\n  dense units 1\n}\ntrain {\n  loss mse\n  steps 10\n";
    for (const auto& o : hps::optimizer_table) {
        CAPTURE(o.name);
        for (const std::string given : {"", " rho 0.8", " lr 0.05"}) {
            if (given == " rho 0.8" && std::isnan(o.defaults[std::size_t(hps::optimizer_setting::rho)])) continue;
            CAPTURE(given);
            hps::source src("t.hps", head + "  optimizer " + std::string(o.name) + given + "\n}\n");
            hps::diagnostics diags;
            hps::ast::study_file file;
            REQUIRE_MESSAGE(hps::parse(src, file, diags), hps::format(diags));
            auto s = hps::check(src, file, diags);
            REQUIRE_MESSAGE(s.has_value(), hps::format(diags));
            const hps::optimizer_config& generated = s->points.at(0).config.optimizer;
            // by hand: the kind, and the one setting written
            hps::optimizer_config by_hand{o.kind};
            if (given == " rho 0.8") by_hand.set(hps::optimizer_setting::rho, 0.8);
            if (given == " lr 0.05") by_hand.set(hps::optimizer_setting::lr, 0.05);
            CHECK(hps::optimizer(generated, 1).settings() == hps::optimizer(by_hand, 1).settings());
            // and the settings file the trainer reads gives exactly the settings given, and
            // the trainer's reading of it (hps::read_settings) has the same in force
            hps::emit_options opt;
            opt.spec_display = "t.hps";
            const hps::grid_point& p = s->points.at(0);
            const hps::point_files f = hps::emit_point(*s, p, opt);
            const auto json = hps::json::parse(f.settings);
            const hps::json::value* written = json.find("optimizer");
            REQUIRE(written);
            CHECK(written->members.size() == (given.empty() ? 1u : 2u));  // kind, and the one setting given
            const hps::train_config read = hps::read_settings(f.settings, hps::signature_of(p).signature, p.params, "t");
            CHECK(read.optimizer.kind == o.kind);
            CHECK(hps::optimizer(read.optimizer, 1).settings() == hps::optimizer(by_hand, 1).settings());
        }
    }
}

namespace {

std::optional<hps::study> checked(const std::string& text) {
    hps::source src("t.hps", text);
    hps::diagnostics diags;
    hps::ast::study_file file;
    REQUIRE_MESSAGE(hps::parse(src, file, diags), hps::format(diags));
    auto s = hps::check(src, file, diags);
    REQUIRE_MESSAGE(s.has_value(), hps::format(diags));
    return s;
}

// A small study: `axes` lines go in the train block, `network` is its network block.
const std::string one_net = "  dense units 4 activation relu\n  dense units 1\n";
const std::string two_nets = "  dense units {4, 8} activation relu\n  dense units 1\n";

std::string spec(const std::string& train, const std::string& network = one_net,
                 const std::string& extra = "") {
    return "study t\ndata {\n  train \"t.npz\"\n  validation \"v.npz\"\n  input 3\n  target regression 1\n}\n"
           "network {\n" + network + "}\ntrain {\n  loss mse\n  steps 10\n" + train + "}\n" + extra;
}

// the study's CMakeLists.txt for a spec
std::string cmake(const std::string& text) {
    hps::emit_options opt;
    opt.include_runtime = false;
    hps::memory_sink sink;
    hps::emit_study(*checked(text), opt, sink);
    return sink.files.at("CMakeLists.txt");
}

// identity of each point, by a key of the caller's (its axis values)
std::map<std::string, std::string> identities(const hps::study& s, const hps::emit_options& opt) {
    std::map<std::string, std::string> out;
    for (const auto& p : s.points) {
        std::string key;
        for (const auto& v : p.axis_values) key += v.text + ";";
        out[key] = hps::emit_point(s, p, opt).identity;
    }
    return out;
}

}  // namespace

TEST_CASE("one trainer per network: points that differ in run-time settings share it") {
    // optimizer x learning rate, one network: one trainer, six settings files
    hps::memory_sink sink;
    auto s = checked(spec("  optimizer {adam, sgd} lr {0.1, 0.01, 0.001}\n"));
    hps::emit_options opt;
    opt.include_runtime = false;
    hps::emit_study(*s, opt, sink);
    std::size_t trainers = 0, settings = 0;
    for (const auto& [path, text] : sink.files) {
        trainers += path.rfind("trainers/", 0) == 0;
        settings += path.rfind("settings/", 0) == 0;
    }
    CHECK(s->points.size() == 6);
    CHECK(trainers == 1);
    CHECK(settings == 6);
    // two networks (units 4 and 8) x two seeds: two trainers
    hps::memory_sink two;
    hps::emit_study(*checked(spec("  seed {1, 2}\n", two_nets)), opt, two);
    trainers = 0;
    for (const auto& [path, text] : two.files) trainers += path.rfind("trainers/", 0) == 0;
    CHECK(trainers == 2);
    // the trainer's source names no point: it changes only with its network
    for (const auto& [path, text] : two.files)
        if (path.rfind("trainers/", 0) == 0) CHECK(text.find("model-") == std::string::npos);
}

TEST_CASE("the HParams experiment for TensorBoard: written where TensorBoard is logged to, unchanged by time") {
    hps::emit_options opt;
    opt.include_runtime = false;
    const std::string file = "tensorboard/events.out.tfevents.0.hpsgen";
    for (const char* to : {"all", "tensorboard", "mlflow", "none"}) {
        CAPTURE(to);
        hps::memory_sink sink;
        hps::emit_study(*checked(spec(std::string("  optimizer adam lr {0.1, 0.01}\n  logging ") + to + "\n")), opt,
                        sink);
        const bool tensorboard = to == std::string("all") || to == std::string("tensorboard");
        REQUIRE(sink.files.count(file) == (tensorboard ? 1u : 0u));
        if (!tensorboard) continue;
        const std::string& events = sink.files.at(file);
        CHECK(events.find("_hparams_/experiment") != std::string::npos);
        CHECK(events.find("train.lr") != std::string::npos);  // the axis, a hyperparameter
        hps::memory_sink again;
        hps::emit_study(*checked(spec(std::string("  optimizer adam lr {0.1, 0.01}\n  logging ") + to + "\n")), opt,
                        again);
        CHECK(again.files.at(file) == events);  // deterministic: regenerating leaves it alone
    }
}

TEST_CASE("the study's CMakeLists.txt links HDF5 only when a data path reads HDF5") {
    const std::string plain = cmake(spec(""));
    CHECK(plain.find("HDF5") == std::string::npos);
    std::string h5 = spec("");
    h5.replace(h5.find("\"v.npz\""), 7, "\"all.h5:/v/x,/v/y\"");
    const std::string with = cmake(h5);
    CHECK(with.find("find_package(HDF5 REQUIRED COMPONENTS C)") != std::string::npos);
    CHECK(with.find("target_compile_definitions(hps_flags INTERFACE HPS_HDF5") != std::string::npos);
    // after hps_flags exists, before anything compiles against it
    CHECK(with.find("add_library(hps_flags") < with.find("HPS_HDF5"));
    CHECK(with.find("HPS_HDF5") < with.find("add_library(hps_kernels"));
}

TEST_CASE("the study's CMakeLists.txt compiles the bf16 path only when a point trains in bf16") {
    // HPS_BF16=AUTO resolves to what the generator found; ON and OFF override it
    const std::string fp32 = cmake(spec("  precision fp32\n"));
    CHECK(fp32.find("set(hps_bf16 OFF)  # no point of the study trains in bf16") != std::string::npos);
    const std::string axis = cmake(spec("  precision {fp32, bf16}\n"));
    CHECK(axis.find("set(hps_bf16 ON)  # 1 of the study's 2 points train in bf16") != std::string::npos);
    for (const std::string& text : {fp32, axis}) {
        CHECK(text.find("set(HPS_BF16 AUTO CACHE STRING") != std::string::npos);
        CHECK(text.find("target_compile_definitions(hps_flags INTERFACE HPS_NO_BF16)") != std::string::npos);
        // decided before hps_flags gets it, and before anything compiles against hps_flags
        CHECK(text.find("set(hps_bf16 ") < text.find("if(NOT hps_bf16)"));
        CHECK(text.find("HPS_NO_BF16") < text.find("add_library(hps_kernels"));
    }
}

TEST_CASE("normalize: in the settings and the identity only when the spec asks for it") {
    hps::emit_options opt;
    opt.include_runtime = false;
    const auto settings_of = [&](const std::string& text) {
        const auto s = checked(text);
        return std::pair{hps::emit_point(*s, s->points.at(0), opt), s->points.at(0)};
    };
    const auto [plain, p] = settings_of(spec(""));
    CHECK(plain.settings.find("normalize") == std::string::npos);  // studies without it keep their identities
    std::string text = spec("");
    text.insert(text.find("}\nnetwork"), "  normalize inputs\n  normalize targets\n");
    const auto [on, q] = settings_of(text);
    CHECK(on.identity != plain.identity);
    const std::string net = hps::signature_of(q).signature;
    const hps::train_config c = hps::read_settings(on.settings, net, q.params, "settings/model-0.json");
    CHECK(c.normalize_inputs);
    CHECK(c.normalize_targets);
    CHECK(hps::settings_json(c, net) == on.settings);
    const hps::train_config off = hps::read_settings(plain.settings, net, p.params, "settings/model-0.json");
    CHECK(!off.normalize_inputs);
    CHECK(!off.normalize_targets);
}

TEST_CASE("folds: each fold its own settings and identity, one trainer; the trainer refuses a fold beside a split") {
    hps::emit_options opt;
    opt.include_runtime = false;
    std::string text = spec("  folds 3 seed 7\n");
    text.erase(text.find("  validation \"v.npz\"\n"), 21);
    const auto s = checked(text);
    REQUIRE(s->points.size() == 3);
    std::set<std::string> ids, trainers;
    for (const auto& p : s->points) {
        const auto f = hps::emit_point(*s, p, opt);
        ids.insert(f.identity);
        trainers.insert(hps::signature_of(p).signature);
        const std::string net = hps::signature_of(p).signature;
        const hps::train_config c = hps::read_settings(f.settings, net, p.params, "settings/model-0.json");
        CHECK(c.folds == 3);
        CHECK(c.fold == int(p.id));
        CHECK(c.split_seed == 7);
        CHECK(hps::settings_json(c, net) == f.settings);
        if (p.id == 2) {
            std::string split = f.settings;
            split.replace(split.find("\"split\": 0"), 10, "\"split\": 0.2");
            CHECK_THROWS_WITH_AS(hps::read_settings(split, net, p.params, "s.json"),
                                 doctest::Contains("\"folds\" draws the validation part from train"), hps::settings_error);
            std::string fold = f.settings;
            fold.replace(fold.find("\"fold\": 2"), 9, "\"fold\": 3");
            CHECK_THROWS_WITH_AS(hps::read_settings(fold, net, p.params, "s.json"), doctest::Contains("is not one of 0..2"),
                                 hps::settings_error);
        }
    }
    CHECK(ids.size() == 3);  // each fold is a result of its own
    CHECK(trainers.size() == 1);
    const auto plain = checked(spec(""));
    CHECK(hps::emit_point(*plain, plain->points.at(0), opt).settings.find("fold") == std::string::npos);
}

TEST_CASE("dropout rates are run-time settings: one trainer for a rate axis, the rate in each point's settings") {
    auto s = checked(spec("  optimizer adam\n", "  dense units 4 activation relu\n  dropout {0.1, 0.3}\n  dense units 1\n"));
    REQUIRE(s->points.size() == 2);
    hps::emit_options opt;
    opt.include_runtime = false;
    hps::memory_sink sink;
    hps::emit_study(*s, opt, sink);
    std::vector<std::string> trainers;
    for (const auto& [path, text] : sink.files)
        if (path.rfind("trainers/", 0) == 0) {
            trainers.push_back(path);
            CHECK(text.find("hps::dropout<>") != std::string::npos);
        }
    CHECK(trainers.size() == 1);
    const auto a = hps::emit_point(*s, s->points[0], opt), b = hps::emit_point(*s, s->points[1], opt);
    CHECK(a.trainer == b.trainer);
    CHECK(a.identity != b.identity);  // the rate determines the result
    const std::string net = hps::signature_of(s->points[0]).signature;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto c = hps::read_settings(hps::emit_point(*s, s->points[i], opt).settings, net, s->points[i].params, "t");
        REQUIRE(c.layer_settings.size() == 1);
        CHECK(c.layer_settings[0].layer == 1);  // dense, dropout, dense
        CHECK(c.layer_settings[0].name == "rate");
        CHECK(c.layer_settings[0].value == (i == 0 ? 0.1 : 0.3));
    }
}

TEST_CASE("a point's identity is what determines its result") {
    hps::emit_options opt;
    const auto base = identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n")), opt);
    REQUIRE(base.size() == 2);
    CHECK(base.begin()->second != std::next(base.begin())->second);
    SUBCASE("not the grid: another value on an axis leaves the others' identities") {
        const auto more = identities(*checked(spec("  optimizer adam lr {0.1, 0.01, 0.5}\n")), opt);
        for (const auto& [key, id] : base) CHECK(more.at(key) == id);
        // and the points renumber: the same identity under another name
        auto s = checked(spec("  optimizer adam lr {0.5, 0.1, 0.01}\n"));
        CHECK(hps::emit_point(*s, s->points.at(1), opt).identity == base.at("0.1;"));
    }
    SUBCASE("not the spec's path, nor the study's name or description") {
        opt.spec_display = "/somewhere/else/t.hps";
        auto s = checked(spec("  optimizer adam lr {0.1, 0.01}\n"));
        s->name = "renamed";
        CHECK(identities(*s, opt) == base);
    }
    SUBCASE("not the metrics or, without patience, the selection rule") {
        CHECK(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n", one_net,
                                        "metrics {\n  mae\n  rmse\n  select min mae\n}\n")),
                         opt) == base);
    }
    SUBCASE("not how often the trainer saves resume.bin (checkpoint_every): a resumed run ends as an "
            "uninterrupted one") {
        auto s = checked(spec("  optimizer adam lr {0.1, 0.01}\n  checkpoint_every \"30s\"\n"));
        CHECK(identities(*s, opt) == base);
        // though the settings file, which the trainer reads it from, differs
        auto plain = checked(spec("  optimizer adam lr {0.1, 0.01}\n"));
        CHECK(hps::emit_point(*s, s->points.at(0), opt).settings !=
              hps::emit_point(*plain, plain->points.at(0), opt).settings);
    }
    SUBCASE("not where the trainer logs its metrics (logging): they change no number") {
        for (const char* to : {"none", "tensorboard", "mlflow", "all"}) {
            auto s = checked(spec(std::string("  optimizer adam lr {0.1, 0.01}\n  logging ") + to + "\n"));
            CHECK(identities(*s, opt) == base);
            const hps::train_config& c = s->points.at(0).config;
            CHECK(c.log_tensorboard == (to == std::string("all") || to == std::string("tensorboard")));
            CHECK(c.log_mlflow == (to == std::string("all") || to == std::string("mlflow")));
        }
    }
    SUBCASE("an optimizer's default, given or not, is one identity") {
        const auto given = identities(*checked(spec("  optimizer adam lr {0.1, 0.01} beta1 0.9\n")), opt);
        CHECK(given == base);
    }
    SUBCASE("every training setting, the data, the runtime") {
        auto differs = [&](const std::map<std::string, std::string>& other) {
            for (const auto& [key, id] : base)
                if (other.count(key) && other.at(key) == id) return false;
            return true;
        };
        CHECK(differs(identities(*checked(spec("  optimizer adam lr {0.1, 0.01} beta1 0.8\n")), opt)));
        CHECK(differs(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n  seed 7\n")), opt)));
        CHECK(differs(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n  checkpoints 3\n")), opt)));
        CHECK(differs(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n", "  dense units 4 activation tanh\n  dense units 1\n")), opt)));
        hps::emit_options touched = opt;
        touched.data_stamp = [](const std::string& path) { return path + " 1234 5678"; };
        CHECK(differs(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n")), touched)));
        hps::emit_options runtime = opt;
        runtime.runtime_version = "another";
        CHECK(differs(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n")), runtime)));
        // with patience, the selection rule stops training: it is part of the identity
        CHECK(identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n  patience 2\n")), opt) !=
              identities(*checked(spec("  optimizer adam lr {0.1, 0.01}\n  patience 2\n", one_net,
                                       "metrics {\n  mae\n  select min mae\n}\n")),
                         opt));
    }
}

TEST_CASE("settings files: what the trainer reads back is what was written, and nothing else is taken") {
    auto s = checked(spec("  optimizer rmsprop lr {0.1, 0.01} rho 0.8 centered true\n  seed 3\n  patience 2\n"
                          "  lr_schedule cosine warmup 3 min_lr 0.001\n  clip_norm 2.5\n"
                          "  checkpoint_every \"1.5min\"\n  logging mlflow\n",
                          "  dense units 4 activation relu l2 0.001\n  dense units 1\n",
                          "metrics {\n  mae\n  within 0.1 one_sided true as w10\n  select max w10\n}\n"));
    hps::emit_options opt;
    const hps::grid_point& p = s->points.at(1);
    const hps::point_files f = hps::emit_point(*s, p, opt);
    const std::string net = hps::signature_of(p).signature;
    const hps::train_config c = hps::read_settings(f.settings, net, p.params, "settings/model-1.json");
    CHECK(hps::settings_json(c, net) == f.settings);  // every field round-trips
    CHECK(c.identity == f.identity);
    CHECK(c.point == p.name);
    CHECK(c.optimizer.kind == hps::optimizer_kind::rmsprop);
    CHECK(c.optimizer[hps::optimizer_setting::rho] == 0.8);
    CHECK(c.optimizer[hps::optimizer_setting::centered] == 1);
    CHECK(c.seed == 3);
    CHECK(c.patience == 2);
    CHECK(c.lr_schedule.kind == hps::schedule_kind::cosine);
    CHECK(c.lr_schedule.warmup == 3);
    CHECK(c.lr_schedule.min_lr == 0.001);
    CHECK(c.clip_norm == 2.5);
    CHECK(c.checkpoint_every == 90);
    CHECK(!c.log_tensorboard);
    CHECK(c.log_mlflow);
    REQUIRE(c.penalties.size() == 1);
    CHECK(c.penalties[0].l2 == 0.001);
    REQUIRE(c.metrics.size() == 2);
    CHECK(c.metrics[1].kind == hps::metric_kind::within);
    CHECK(c.metrics[1].param == 0.1);
    CHECK(c.metrics[1].one_sided);
    CHECK(!c.metrics[0].one_sided);
    CHECK(c.select_metric == "w10");
    CHECK(c.select_max);
    {  // plateau's own fields (only its settings have them) and adamw
        auto t = checked(spec("  optimizer adamw lr {0.1, 0.01} weight_decay 0.05\n  lr_schedule plateau factor 0.5 patience 3\n"));
        const hps::point_files g = hps::emit_point(*t, t->points.at(0), opt);
        const hps::train_config d = hps::read_settings(g.settings, net, p.params, "settings/model-0.json");
        CHECK(hps::settings_json(d, net) == g.settings);
        CHECK(d.optimizer.kind == hps::optimizer_kind::adamw);
        CHECK(d.optimizer[hps::optimizer_setting::weight_decay] == 0.05);
        CHECK(d.lr_schedule.kind == hps::schedule_kind::plateau);
        CHECK(d.lr_schedule.factor == 0.5);
        CHECK(d.lr_schedule.patience == 3);
        CHECK(f.settings.find("\"factor\"") == std::string::npos);  // a cosine point's settings: as before
    }

    auto refused = [&](const std::string& text, const std::string& expected, const std::string& network = "") {
        CAPTURE(expected);
        try {
            hps::read_settings(text, network.empty() ? net : network, p.params, "settings/model-1.json");
            FAIL("not refused");
        } catch (const hps::settings_error& e) {
            CAPTURE(e.what());
            CHECK(std::string(e.what()).find("settings/model-1.json") == 0);
            CHECK(std::string(e.what()).find(expected) != std::string::npos);
        }
    };
    auto edited = [&](const std::string& from, const std::string& to) {
        std::string t = f.settings;
        const auto at = t.find(from);
        REQUIRE(at != std::string::npos);
        return t.replace(at, from.size(), to);
    };
    refused(f.settings, "written for network " + net + ", but this trainer is network 0123", "0123");
    refused(edited("\"rmsprop\"", "\"rmsprob\""), "'rmsprob' is none of sgd, momentum, adam, rmsprop, adadelta");
    refused(edited("\"params\": " + std::to_string(p.params), "\"params\": 5"), "written for 5 parameters");
    refused(edited("\"steps\": 10", "\"steps\": 10.5"), "\"steps\" must be a whole number");
    refused(edited("\"epochs\": 0", "\"epochs\": 2"), "exactly one of \"steps\" and \"epochs\"");
    refused(edited("\"kind\": \"mae\"", "\"kind\": \"accuracy\""), "the metric accuracy does not apply to a regression target");
    refused(edited("\"rho\"", "\"row\""), "the optimizer has no setting \"row\"");
    refused(edited("\"hpsgen_settings\": 1", "\"hpsgen_settings\": 2"), "settings format 2, this trainer reads format 1");
    refused(edited("\"seed\": 3,", "\"seed\": 3"), "line ");  // a syntax error, located
    refused(edited("\"checkpoint_every\": 90", "\"checkpoint_every\": -1"), "\"checkpoint_every\" must be at least 0");
    refused(edited("\"checkpoint_every\": 90,", ""), "no \"checkpoint_every\"; regenerate the study");
    refused(edited("\"mlflow\": true", "\"mlflow\": 1"), "\"mlflow\" is not true or false");
    refused(edited("\"log\"", "\"logs\""), "no \"log\"; regenerate the study");
    refused("[]", "no JSON object");
    refused(edited("\"kind\": \"cosine\"", "\"kind\": \"linear\""), "'linear' is none of constant, step, exponential, cosine, plateau");
}

TEST_CASE("settings files: a classes target's metric averaging and class round-trip; binary ones have none") {
    std::string text = spec("", "  dense units 3\n",
                            "metrics {\n  f1\n  recall average weighted as rw\n  precision class 2 as p2\n"
                            "  roc_auc average weighted\n  select max p2\n}\n");
    text.replace(text.find("target regression 1"), 19, "target classes 3");
    text.replace(text.find("loss mse"), 8, "loss softmax_ce");
    auto s = checked(text);
    REQUIRE(s);
    const hps::grid_point& p = s->points.at(0);
    const hps::point_files f = hps::emit_point(*s, p, hps::emit_options{});
    const std::string net = hps::signature_of(p).signature;
    const hps::train_config c = hps::read_settings(f.settings, net, p.params, "settings/model-0.json");
    CHECK(hps::settings_json(c, net) == f.settings);
    REQUIRE(c.metrics.size() == 4);
    CHECK(c.metrics[0].average == hps::metric_average::macro);  // the default on a classes target
    CHECK(c.metrics[1].average == hps::metric_average::weighted);
    CHECK(c.metrics[2].class_index == 2);
    CHECK(c.metrics[3].kind == hps::metric_kind::roc_auc);
    CHECK(c.metrics[3].average == hps::metric_average::weighted);
    CHECK(c.select_metric == "p2");
    CHECK(f.settings.find("\"average\": \"weighted\"") != std::string::npos);
    // a file that gives a binary target an averaging is refused
    std::string binary = f.settings;
    binary.replace(binary.find("\"classes\""), 9, "\"binary\"");
    binary.replace(binary.find("\"outputs\": 3"), 12, "\"outputs\": 1");
    CHECK_THROWS_AS(hps::read_settings(binary, net, p.params, "settings/model-0.json"), hps::settings_error);

    std::string bin_text = spec("", "  dense units 1\n", "metrics {\n  f1 threshold 0.3\n}\n");
    bin_text.replace(bin_text.find("regression 1"), 12, "binary");
    bin_text.replace(bin_text.find("loss mse"), 8, "loss bce");
    auto bin = checked(bin_text);
    REQUIRE(bin);
    const std::string settings = hps::emit_point(*bin, bin->points.at(0), hps::emit_options{}).settings;
    CHECK(settings.find("\"average\"") == std::string::npos);
    CHECK(settings.find("\"class\"") == std::string::npos);
}

TEST_CASE("the register tiles are shared where the trainers share their layer types") {
    hps::emit_options opt;
    opt.include_runtime = false;
    auto tiles_files = [&](const std::string& network) {
        hps::memory_sink sink;
        hps::emit_study(*checked(spec("", network)), opt, sink);
        std::vector<std::string> paths;
        for (const auto& [path, text] : sink.files)
            if (path.rfind("tiles/", 0) == 0) paths.push_back(path);
        return std::make_pair(paths, sink.files.at("CMakeLists.txt"));
    };
    // four trainers with the same four dense layers first: 24 dense layers of 10 types (a
    // type: the layer, its input's shape and the batch), 2.4 layers a type
    const std::string shared = "  dense units 16 activation relu\n  dense units 16 activation relu\n"
                               "  dense units 16 activation relu\n  dense units 16 activation relu\n"
                               "  dense units {32, 48, 64, 80} activation relu\n  dense units 1\n";
    const auto [paths, cmakelists] = tiles_files(shared);
    REQUIRE(!paths.empty());
    for (const auto& p : paths) CHECK(cmakelists.find(p) != std::string::npos);
    // two networks that share no layer type: 4 layers of 4 types, no library
    const auto [none, plain] = tiles_files(two_nets);
    CHECK(none.empty());
    CHECK(plain.find("set(hps_tile_sources\n)") != std::string::npos);
}
