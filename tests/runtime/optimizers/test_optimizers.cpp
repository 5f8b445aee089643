// hps::optimizer: hand-computed first steps, errors for unknown names and settings, exact
// resume from the saved state, and several steps of every optimizer against torch.optim
// (small and large parameter counts; CMakeLists.txt builds it a second time with
// -march=native, the flags of generated trainers, whose packets are wider).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <hps/core.hpp>
#include <hps/optimizers.hpp>
#include <hps/schedule.hpp>
#include <hps/train/continuation.hpp>

#include "npy_writer.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

using hps::optimizer;
using hps_test::write_npy;
namespace fs = std::filesystem;

namespace {

// An optimizer_config from the language's names for the optimizer and its settings, looked
// up in hps/config.hpp's tables as hpsgen's checker does
hps::optimizer_config config(const std::string& name, const std::map<std::string, double>& settings) {
    const auto* o = hps::find_by_name(hps::optimizer_table, name);
    REQUIRE_MESSAGE(o != nullptr, "no optimizer " << name);
    hps::optimizer_config c{o->kind};
    for (const auto& [key, value] : settings) {
        const auto* s = hps::find_by_name(hps::optimizer_setting_table, key);
        REQUIRE_MESSAGE(s != nullptr, "no optimizer setting " << key);
        c.set(s->key, value);
    }
    return c;
}

// p = 1, g = 0.5, one step from each optimizer
float one_step(const std::string& name, const std::map<std::string, double>& settings, int steps = 1) {
    optimizer opt(config(name, settings), 1);
    float p = 1.0f;
    const float g = 0.5f;
    for (int i = 0; i < steps; ++i) opt.step(&p, &g);
    return p;
}

}  // namespace

TEST_CASE("optimizers: hand-computed steps") {
    // sgd: 1 - 0.1 * 0.5
    CHECK(one_step("sgd", {{"lr", 0.1}}) == doctest::Approx(0.95));
    // weight decay adds wd * p to g: 1 - 0.1 * (0.5 + 0.2)
    CHECK(one_step("sgd", {{"lr", 0.1}, {"weight_decay", 0.2}}) == doctest::Approx(0.93));
    // momentum 0.9: buf = 0.5, p = 0.95; buf = 0.9 * 0.5 + 0.5 = 0.95, p = 0.95 - 0.095 = 0.855
    CHECK(one_step("momentum", {{"lr", 0.1}}, 2) == doctest::Approx(0.855));
    // nesterov: d = g + 0.9 buf: step 1 d = 0.5 + 0.45 = 0.95, p = 0.905
    CHECK(one_step("momentum", {{"lr", 0.1}, {"nesterov", 1}}) == doctest::Approx(0.905));
    // adam, first step: m = 0.05, v = 0.00025; m/(1-0.9) = g, sqrt(v/(1-0.999)) = |g|: p = 1 - lr
    CHECK(one_step("adam", {{"lr", 0.01}}) == doctest::Approx(0.99));
    // adamw decays before the step, decoupled from the moments: 1 * (1 - 0.01 * 0.5) - 0.01
    CHECK(one_step("adamw", {{"lr", 0.01}, {"weight_decay", 0.5}}) == doctest::Approx(0.995 - 0.01));
    // adam's coupled L2 goes through the moments: g = 0.5 + 0.5 and m/sqrt(v) = 1 again: 1 - 0.01
    CHECK(one_step("adam", {{"lr", 0.01}, {"weight_decay", 0.5}}) == doctest::Approx(0.99));
    // rmsprop: s = 0.01 * 0.25, sqrt(s) = 0.05: p = 1 - 0.01 * 0.5 / 0.05 = 0.9
    CHECK(one_step("rmsprop", {{"lr", 0.01}, {"rho", 0.99}}) == doctest::Approx(0.9));
    // adadelta: s = 0.1 * 0.25 = 0.025; d = sqrt(1e-6) / sqrt(0.025 + 1e-6) * 0.5 = 0.0031622151
    CHECK(one_step("adadelta", {{"rho", 0.9}, {"eps", 1e-6}}) == doctest::Approx(1 - 0.0031622151));
    // with its defaults (rho 0.95, eps 1e-7): s = 0.0125; d = sqrt(1e-7) / sqrt(0.0125 + 1e-7) * 0.5
    CHECK(one_step("adadelta", {}) == doctest::Approx(1 - std::sqrt(1e-7) / std::sqrt(0.0125 + 1e-7) * 0.5));
}

TEST_CASE("optimizers: clear errors for settings an optimizer does not take and bad values") {
    CHECK(hps::find_by_name(hps::optimizer_table, "adamax") == nullptr);
    CHECK_THROWS_WITH_AS(optimizer(config("adam", {{"rho", 0.9}}), 3),
                         "optimizer adam takes no setting 'rho'; its settings are lr, beta1, beta2, eps, weight_decay",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(optimizer(config("sgd", {{"lr", -1}}), 3), "optimizer sgd: lr must be > 0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(optimizer(config("sgd", {{"lr", 0}}), 3), "optimizer sgd: lr must be > 0", std::invalid_argument);
    CHECK_THROWS_AS(optimizer(config("adam", {{"beta1", 1.0}}), 3), std::invalid_argument);
    CHECK_THROWS_AS(optimizer(config("sgd", {{"nesterov", 1}}), 3), std::invalid_argument);  // needs momentum
    CHECK_THROWS_AS(optimizer(config("momentum", {{"nesterov", 0.5}}), 3), std::invalid_argument);
    CHECK_THROWS_AS(optimizer(config("rmsprop", {{"eps", NAN}}), 3), std::invalid_argument);
}

TEST_CASE("optimizers: one set of defaults, hps/config.hpp's, in force when a setting is not given") {
    // the language's documented defaults (Keras's where torch's differ)
    const auto rms = optimizer(config("rmsprop", {}), 1).settings();
    CHECK(rms == std::map<std::string, double>{{"lr", 0.001}, {"momentum", 0}, {"eps", 1e-7}, {"rho", 0.9},
                                               {"centered", 0}, {"weight_decay", 0}});
    const auto ada = optimizer(config("adadelta", {}), 1).settings();
    CHECK(ada == std::map<std::string, double>{{"lr", 1}, {"eps", 1e-7}, {"rho", 0.95}, {"weight_decay", 0}});
    CHECK(optimizer(config("adam", {}), 1).settings() ==
          std::map<std::string, double>{{"lr", 0.001}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0}});
    CHECK(optimizer(config("adamw", {}), 1).settings().at("weight_decay") == 0.01);  // torch AdamW's
    CHECK(optimizer(config("momentum", {}), 1).settings().at("momentum") == 0.9);
    CHECK(optimizer(config("sgd", {}), 1).settings().at("lr") == 0.01);
    // a given setting wins over its default
    CHECK(optimizer(config("rmsprop", {{"rho", 0.5}}), 1).settings().at("rho") == 0.5);
}

TEST_CASE("optimizers: state layout and exact resume") {
    CHECK(optimizer(config("sgd", {}), 4).state().empty());
    CHECK(optimizer(config("momentum", {}), 4).state_slots() == std::vector<std::string>{"momentum_buffer"});
    CHECK(optimizer(config("adam", {}), 4).state().size() == 8);
    CHECK(optimizer(config("rmsprop", {{"centered", 1}, {"momentum", 0.5}}), 4).state_slots() ==
          std::vector<std::string>{"square_avg", "grad_avg", "momentum_buffer"});
    CHECK(optimizer(config("adadelta", {}), 4).state_slots() == std::vector<std::string>{"square_avg", "acc_delta"});

    const std::vector<std::pair<std::string, std::map<std::string, double>>> configs{
        {"momentum", {{"nesterov", 1}}}, {"adam", {{"lr", 0.01}}}, {"rmsprop", {{"centered", 1}, {"momentum", 0.3}}},
        {"adadelta", {}}, {"adamw", {{"lr", 0.01}}}};
    for (const auto& [name, settings] : configs) {
        constexpr std::size_t n = 50;
        hps::rng gen(7);
        std::vector<std::vector<float>> grads(6, std::vector<float>(n));
        for (auto& g : grads)
            for (auto& v : g) v = float(gen.normal());
        std::vector<float> straight(n, 0.5f), resumed(n, 0.5f);
        optimizer a(config(name, settings), n);
        for (const auto& g : grads) a.step(straight.data(), g.data());

        optimizer b(config(name, settings), n);
        for (int s = 0; s < 3; ++s) b.step(resumed.data(), grads[std::size_t(s)].data());
        const std::vector<float> saved = b.state();
        const long steps = b.steps_taken();
        optimizer c(config(name, settings), n);  // a fresh process
        c.state() = saved;
        c.set_steps_taken(steps);
        for (int s = 3; s < 6; ++s) c.step(resumed.data(), grads[std::size_t(s)].data());
        INFO(name);
        CHECK(std::memcmp(straight.data(), resumed.data(), n * sizeof(float)) == 0);
        CHECK(c.steps_taken() == 6);
    }
    // a state of the wrong size (another network's checkpoint) is refused
    optimizer wrong(config("adam", {}), 4);
    wrong.state().resize(3);
    float p[4] = {}, g[4] = {};
    CHECK_THROWS_AS(wrong.step(p, g), std::invalid_argument);
}

TEST_CASE("optimizers: set_lr changes the next steps") {
    optimizer opt(config("sgd", {{"lr", 0.1}}), 1);
    float p = 1.0f;
    const float g = 1.0f;
    opt.step(&p, &g);
    opt.set_lr(0.01);
    opt.step(&p, &g);
    CHECK(p == doctest::Approx(0.89));
    CHECK(opt.lr() == 0.01);
}

TEST_CASE("optimizers: several steps match torch.optim") {
    const fs::path root = HPS_OPTIM_PARITY_DIR;
    fs::remove_all(root);
    const std::vector<std::pair<std::string, std::map<std::string, double>>> configs{
        {"sgd", {{"lr", 0.1}}},
        {"sgd", {{"lr", 0.05}, {"weight_decay", 0.01}}},
        {"momentum", {{"lr", 0.01}, {"momentum", 0.9}}},
        {"momentum", {{"lr", 0.01}, {"momentum", 0.8}, {"nesterov", 1}, {"weight_decay", 0.1}}},
        {"adam", {}},
        {"adam", {{"lr", 1e-2}, {"beta1", 0.8}, {"beta2", 0.99}, {"eps", 1e-6}, {"weight_decay", 0.1}}},
        {"adam", {{"lr", 1e-5}}},
        {"adamw", {}},  // weight_decay 0.01, torch's default
        {"adamw", {{"lr", 1e-2}, {"beta1", 0.8}, {"weight_decay", 0.5}}},
        {"rmsprop", {}},
        {"rmsprop", {{"lr", 1e-3}, {"rho", 0.9}, {"momentum", 0.5}, {"centered", 1}, {"weight_decay", 0.01}}},
        {"rmsprop", {{"lr", 1e-3}, {"momentum", 0.9}}},
        {"adadelta", {}},
        {"adadelta", {{"lr", 0.5}, {"rho", 0.95}, {"eps", 1e-5}, {"weight_decay", 0.01}}},
    };
    // 37 parameters: packets and a scalar tail; 70,001: several 4096-float chunks shared out
    // between OpenMP threads (2 here), each with its own tail, as a network's parameters are
    constexpr int steps = 8;
#if defined(_OPENMP)
    omp_set_num_threads(2);
#endif
    for (std::size_t k = 0; k < 2 * configs.size(); ++k) {
        const auto& [name, settings] = configs[k % configs.size()];
        const int n = k < configs.size() ? 37 : 70001;
        const fs::path dir = root / (std::to_string(k) + "_" + name + "_" + std::to_string(n));
        fs::create_directories(dir);
        hps::rng gen(100 + k);
        std::vector<float> p(n), grads(std::size_t(n) * steps);
        for (auto& v : p) v = float(gen.normal());
        for (auto& v : grads) v = float(gen.normal());
        // small gradients too: Adam's eps and RMSprop's sqrt matter there
        for (int i = 0; i < n; i += 5) grads[std::size_t(i)] *= 1e-4f;
        write_npy(dir / "init.npy", {n}, p.data());
        write_npy(dir / "grads.npy", {steps, n}, grads.data());
        optimizer opt(config(name, settings), n);
        for (int s = 0; s < steps; ++s) opt.step(p.data(), grads.data() + std::size_t(s) * n);
        write_npy(dir / "final.npy", {n}, p.data());
        for (std::size_t s = 0; s < opt.state_slots().size(); ++s)
            write_npy(dir / ("state_" + opt.state_slots()[s] + ".npy"), {n}, opt.state().data() + s * n);
        std::ofstream meta(dir / "settings.txt");
        meta.precision(17);
        meta << "name " << name << "\n";
        for (const auto& [key, value] : opt.settings()) meta << key << " " << value << "\n";
    }
    const std::string cmd = std::string(HPS_TEST_PYTHON) + " " + HPS_OPTIM_PARITY_SCRIPT + " " + root.string();
    INFO("ran: " << cmd);
    CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("schedules: the lr by hand, and what cannot run") {
    using hps::schedule_config;
    using hps::schedule_kind;
    schedule_config step{schedule_kind::step, 0.5, 3, 0, 0};
    CHECK(hps::scheduled_lr(step, 0.1, 0, 10) == 0.1);
    CHECK(hps::scheduled_lr(step, 0.1, 2, 10) == 0.1);
    CHECK(hps::scheduled_lr(step, 0.1, 3, 10) == doctest::Approx(0.05));
    CHECK(hps::scheduled_lr(step, 0.1, 7, 10) == doctest::Approx(0.025));
    schedule_config ex{schedule_kind::exponential, 0.9, 0, 0, 0};
    CHECK(hps::scheduled_lr(ex, 1.0, 2, 10) == doctest::Approx(0.81));
    schedule_config cos{schedule_kind::cosine, 0.1, 0, 4, 0.01};
    CHECK(hps::scheduled_lr(cos, 1.0, 0, 14) == doctest::Approx(0.25));  // 1/W
    CHECK(hps::scheduled_lr(cos, 1.0, 2, 14) == doctest::Approx(0.25 + 0.75 * 0.5));
    CHECK(hps::scheduled_lr(cos, 1.0, 4, 14) == doctest::Approx(1.0));  // the peak after warm-up
    CHECK(hps::scheduled_lr(cos, 1.0, 9, 14) == doctest::Approx(0.505));  // half way: (1 + 0.01) / 2
    CHECK(hps::scheduled_lr(cos, 1.0, 13, 14) > 0.01);
    CHECK(hps::scheduled_lr(schedule_config{}, 0.3, 99, 100) == 0.3);
    CHECK(hps::schedule_problem(step, 10).empty());
    CHECK(hps::schedule_problem({schedule_kind::step, 0.5, 0, 0, 0}, 10).find("needs `every N`") != std::string::npos);
    CHECK(hps::schedule_problem({schedule_kind::exponential, 1.5, 0, 0, 0}, 10).find("gamma must be in (0, 1]") !=
          std::string::npos);
    CHECK(hps::schedule_problem(cos, 4) == "lr_schedule cosine: warmup 4 is not below the 4 steps of the run");
    CHECK(hps::schedule_problem(cos, 0).empty());  // epochs: the length is known only with the data
    // plateau, min mode, patience 1: the third checkpoint without a relative gain of 1e-4 halves the lr
    schedule_config pl{schedule_kind::plateau, 0.1, 0, 0, 0, 0.5, 1};
    hps::plateau_state st = hps::plateau_start(0.1, false);
    CHECK_FALSE(hps::plateau_step(st, pl, false, 1.0));
    CHECK_FALSE(hps::plateau_step(st, pl, false, 0.99995));  // not 1e-4 better
    CHECK(st.bad == 1);
    CHECK(hps::plateau_step(st, pl, false, NAN));
    CHECK(st.lr == doctest::Approx(0.05));
    CHECK(st.bad == 0);
    CHECK_FALSE(hps::plateau_step(st, pl, false, 0.5));
    CHECK(st.best == 0.5);
    CHECK(hps::schedule_problem({schedule_kind::plateau, 0.1, 0, 0, 0, 1.0, 1}, 10) ==
          "lr_schedule plateau: factor must be in (0, 1)");
}

TEST_CASE("schedules: a longer run continues a shorter one's final state only where the lr follows the step") {
    // results/short: a finished run of 50 steps of the lineage; results/long: 100 steps
    const fs::path root = fs::path(HPS_OPTIM_PARITY_DIR).string() + "_continuation";
    fs::remove_all(root);
    fs::create_directories(root / "short");
    std::ofstream(root / "short" / "result.json")
        << R"({"lineage": "lin-1", "overrides": "", "status": "done", "total_steps": 50})";
    hps::train_config c;
    c.lineage = "lin-1";
    c.steps = 100;
    const std::string run_dir = (root / "long").string();
    c.lr_schedule.kind = hps::schedule_kind::plateau;
    CHECK(hps::train_detail::plan_continuation(run_dir, c, 100, 10).reason ==
          "not from short (50 steps): a plateau schedule's learning rate depends on the evaluations");
    c.lr_schedule.kind = hps::schedule_kind::exponential;  // gets past the schedule, to the missing final.bin
    CHECK(hps::train_detail::plan_continuation(run_dir, c, 100, 10).reason ==
          "not from short (50 steps): it kept no final state (final.bin)");
}

TEST_CASE("clip_grad_norm: scales to the norm when above it, leaves it alone below") {
    std::vector<float> g{3, 4};  // norm 5
    CHECK(hps::clip_grad_norm(g.data(), 2, 10) == doctest::Approx(5));
    CHECK(g == std::vector<float>{3, 4});
    CHECK(hps::clip_grad_norm(g.data(), 2, 1) == doctest::Approx(5));
    CHECK(g[0] == doctest::Approx(0.6).epsilon(1e-6));
    CHECK(g[1] == doctest::Approx(0.8).epsilon(1e-6));
}

TEST_CASE("schedules and clipping: several steps match torch.optim.lr_scheduler and clip_grad_norm_") {
    const fs::path root = fs::path(HPS_OPTIM_PARITY_DIR).string() + "_schedules";
    fs::remove_all(root);
    struct schedule_case {
        std::string optimizer;
        std::map<std::string, double> settings;
        hps::schedule_config schedule;
        double clip;
    };
    using hps::schedule_kind;
    const std::vector<schedule_case> cases{
        {"sgd", {{"lr", 0.1}}, {schedule_kind::step, 0.5, 3, 0, 0}, 0},
        {"adam", {{"lr", 0.01}}, {schedule_kind::exponential, 0.8, 0, 0, 0}, 0},
        {"adam", {{"lr", 0.01}}, {schedule_kind::cosine, 0.1, 0, 4, 1e-4}, 0},
        {"momentum", {{"lr", 0.05}, {"momentum", 0.9}}, {schedule_kind::cosine, 0.1, 0, 0, 0}, 0},
        {"sgd", {{"lr", 0.1}}, {}, 2.0},  // clipped at every step (the gradients' norm is about 13)
        {"rmsprop", {{"lr", 0.01}}, {schedule_kind::step, 0.1, 5, 0, 0}, 13.0},  // clipped at some steps
        // plateau: stepped with PLATEAU_MIN / PLATEAU_MAX below after every step
        {"sgd", {{"lr", 0.1}}, {schedule_kind::plateau, 0.1, 0, 0, 0, 0.5, 1}, 0},
        {"adam", {{"lr", 0.01}}, {schedule_kind::plateau, 0.1, 0, 0, 0.002, 0.3, 0}, 0},
    };
    // the metric after each step: min mode (loss), with a gain below the relative 1e-4
    // threshold (0.85 -> 0.8499999); max mode (accuracy), with a NaN and min_lr reached
    const std::vector<double> plateau_min{1, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.8499999, 0.7, 0.7, 0.7, 0.7};
    const std::vector<double> plateau_max{0.5, 0.6, 0.6, 0.6, NAN, 0.7, 0.7, 0.71, 0.71, 0.71, 0.71, 0.8};
    constexpr int steps = 12, n = 37;
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const schedule_case& c = cases[k];
        const fs::path dir = root / (std::to_string(k) + "_" + c.optimizer + "_" + std::string(hps::name_of(c.schedule.kind)));
        fs::create_directories(dir);
        hps::rng gen(300 + k);
        std::vector<float> p(n), grads(std::size_t(n) * steps);
        for (auto& v : p) v = float(gen.normal());
        for (std::size_t i = 0; i < grads.size(); ++i) grads[i] = float(gen.normal() * (1.0 + double(i % 3)));
        write_npy(dir / "init.npy", {n}, p.data());
        write_npy(dir / "grads.npy", {steps, n}, grads.data());
        optimizer opt(config(c.optimizer, c.settings), n);
        const double lr0 = opt.lr();
        std::vector<float> lrs;
        std::vector<float> g(n);
        int clipped = 0, reduced = 0;
        const bool plateau = c.schedule.kind == schedule_kind::plateau, maximize = c.optimizer == "adam";
        const std::vector<double>& metric = maximize ? plateau_max : plateau_min;
        hps::plateau_state state = hps::plateau_start(lr0, maximize);
        for (int s = 0; s < steps; ++s) {
            std::copy_n(grads.data() + std::size_t(s) * n, n, g.data());
            if (c.clip > 0) clipped += hps::clip_grad_norm(g.data(), n, c.clip) > c.clip;
            if (!plateau) opt.set_lr(hps::scheduled_lr(c.schedule, lr0, s, steps));
            lrs.push_back(float(opt.lr()));
            opt.step(p.data(), g.data());
            if (plateau && hps::plateau_step(state, c.schedule, maximize, metric[std::size_t(s)])) {
                opt.set_lr(state.lr);
                ++reduced;
            }
        }
        if (plateau) {
            CHECK(reduced == (maximize ? 2 : 3));  // by hand: min_lr stops the third
            write_npy(dir / "metric.npy", {steps}, std::vector<float>(metric.begin(), metric.end()).data());
        }
        if (c.clip == 2.0) CHECK(clipped == steps);
        if (c.clip == 13.0) CHECK((clipped > 0 && clipped < steps));
        write_npy(dir / "final.npy", {n}, p.data());
        write_npy(dir / "lrs.npy", {steps}, lrs.data());
        opt.set_lr(lr0);
        std::ofstream meta(dir / "settings.txt");
        meta.precision(17);
        meta << "name " << c.optimizer << "\n";
        for (const auto& [key, value] : opt.settings()) meta << key << " " << value << "\n";
        std::ofstream sched(dir / "schedule.txt");
        sched.precision(17);
        sched << "kind " << hps::name_of(c.schedule.kind) << "\ngamma " << c.schedule.gamma << "\nevery "
              << c.schedule.every << "\nwarmup " << c.schedule.warmup << "\nmin_lr " << c.schedule.min_lr
              << "\nclip " << c.clip << "\nfactor " << c.schedule.factor << "\npatience " << c.schedule.patience
              << "\nmode " << (maximize ? "max" : "min") << "\n";
    }
    const std::string cmd = std::string(HPS_TEST_PYTHON) + " " + HPS_OPTIM_PARITY_SCRIPT + " " + root.string();
    INFO("ran: " << cmd);
    CHECK(std::system(cmd.c_str()) == 0);
}

int main(int argc, char** argv) {
    // --torch-or-skip: exit 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch
    std::vector<char*> args;
    bool torch_or_skip = false;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--torch-or-skip") == 0)
            torch_or_skip = true;
        else
            args.push_back(argv[i]);
    }
    if (torch_or_skip) {
        const std::string probe = std::string(HPS_TEST_PYTHON) + " -c \"import torch, numpy\" > /dev/null 2>&1";
        if (std::system(probe.c_str()) != 0) {
            std::printf("skipped: %s has no torch/numpy\n", HPS_TEST_PYTHON);
            return 77;
        }
    }
    doctest::Context context(int(args.size()), args.data());
    return context.run();
}
