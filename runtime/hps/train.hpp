// hps::train_main: the whole life of one trainer, from its command line to result.json.
//
// A generated trainer is a network type and a call to train_main<Net, B>; a hand-written
// one (examples/handwritten/) is a network type, a train_config and the same call. The
// template only makes the network (hps/train/model.hpp); the rest, the training core, is
// not a template and is compiled once per study (hps/train/entry.hpp). train_main:
//   - loads the data once (npz/npy/IDX) and checks it against the network's shapes;
//   - trains for the configured steps (or epochs), evaluating the validation set at
//     `checkpoints` evenly spaced steps, keeping the best parameters by the selection
//     metric, stopping early after `patience` evaluations without improvement;
//   - writes under its run folder, every file atomically:
//       metrics.csv   step, split, loss, every metric, elapsed seconds
//       result.json   status, best step and metrics, test metrics, axes, wall time
//       best.npz      the best parameters as PyTorch's state_dict (model.py loads them)
//       model.py      the equivalent torch.nn model
//       resume.bin    a resumable checkpoint while the run is unfinished
//   - on SIGTERM, SIGINT or SIGUSR1 finishes its step, saves resume.bin and exits 75;
//     started again it resumes from it and ends as an uninterrupted run would;
//   - on a NaN or Inf loss stops with status "diverged" (exit 3).
// Exit status: 0 done, 2 bad command line, 3 diverged, 4 bad data, 5 cannot write,
// 6 another trainer holds the run folder, 75 interrupted (resumable).
//
// The pieces, each in its own header under hps/train/:
//   cli.hpp           options, --help, parsing, stop signals, threads, OpenMP waiting
//   startup.hpp       threads, the allocator, the network and its run-time layer values
//   calibrate.hpp     --calibrate: the time of a step and of an evaluation batch
//   run_dir.hpp       the run folder: lock, --fresh, a finished run not trained again
//   torch_export.hpp  model.py
//   results.hpp       metrics.csv rows and result.json
//   trainer.hpp       trainer: data, evaluation, checkpoints, the training loop
//   model.hpp         model_interface, the network as the core sees it, and its adapter
//   entry.hpp         the entry points, and where the core is compiled
#pragma once

#include "hps/train/entry.hpp"

// the core: in the trainer, or only in hps_train (hps/train/entry.hpp)
#if !defined(HPS_SHARED_TRAIN) || defined(HPS_INSTANTIATE_TRAIN)

#include "hps/config.hpp"
#include "hps/io.hpp"
#include "hps/layers/bf16_kernels.hpp"
#include "hps/settings.hpp"
#include "hps/train/calibrate.hpp"
#include "hps/train/cli.hpp"
#include "hps/train/results.hpp"
#include "hps/train/run_dir.hpp"
#include "hps/train/torch_export.hpp"
#include "hps/train/trainer.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

namespace hps {

// train_config, the typed settings of a trainer: hps/config.hpp.

// ====================================================================== entry point
namespace train_detail {

HPS_TRAIN_INLINE int train_with(const train_config& spec_config, const options& opt, char** argv,
                                model_factory make_network) {
    train_config config = spec_config;
    if (!opt.precision.empty()) config.prec = opt.precision == "bf16" ? precision::bf16 : precision::fp32;
    if (config.prec == precision::bf16) {
        if (const std::string why = bf16_unavailable(); !why.empty()) {
            std::fprintf(stderr, "[%s] error: precision bf16: %s\n", config.point.c_str(), why.c_str());
            return 2;
        }
    }
    bound_omp_spinning(choose_threads(opt.threads), argv);
    // `ranks N`: this process is one of N (hps/train/ranks.hpp); --calibrate times one alone
    rank_group& group = rank_group::world();
    if (config.ranks > 1 && !opt.calibrate) {
        if (const std::string why = group.start(config.ranks); !why.empty()) {
            std::fprintf(stderr, "[%s] error: %s\n", config.point.c_str(), why.c_str());
            return 2;
        }
    } else if (const int n = rank_group::launched_as(); n > 1 && !opt.calibrate) {
        std::fprintf(stderr, "[%s] error: started as one of %d processes (mpirun, srun), but this point trains as one; "
                             "run it alone, or give the spec's slurm block `ranks %d`\n", config.point.c_str(), n, n);
        return 2;
    }
    try {
        if (opt.calibrate) return calibrate(config, opt, make_network);
        trainer t(config, opt, make_network);
        const int rc = t.run();
        group.finish();
        return rc;
    } catch (const data_error& e) {
        std::fprintf(stderr, "[%s] error: %s\n", config.point.c_str(), e.what());
        return 4;
    } catch (const io_error& e) {
        std::fprintf(stderr, "[%s] error: %s\n", config.point.c_str(), e.what());
        return 5;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[%s] error: %s\n", config.point.c_str(), e.what());
        return 1;
    }
}

}  // namespace train_detail

HPS_TRAIN_INLINE int train_main(const train_config& config, model_factory make_network, int argc, char** argv) {
    train_detail::options opt;
    std::string error = train_detail::parse_options(argc, argv, opt);
    if (error.empty() && !opt.settings.empty()) error = "--settings is for the trainers hpsgen generates; this one's settings are compiled in";
    if (!error.empty()) {
        std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
        return 2;
    }
    if (opt.help) {
        train_detail::print_help(&config, argv[0]);
        return 0;
    }
    return train_detail::train_with(config, opt, argv, make_network);
}

HPS_TRAIN_INLINE int train_main(std::string_view network, std::size_t num_params, model_factory make_network,
                                int argc, char** argv) {
    train_detail::options opt;
    std::string error = train_detail::parse_options(argc, argv, opt);
    if (error.empty() && !opt.help && opt.settings.empty())
        error = "no --settings FILE: give the settings of a point, e.g. --settings settings/model-0.json "
                "(run from the study folder; hpsgen run and the Slurm array do this)";
    if (!error.empty()) {
        std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
        return 2;
    }
    if (opt.help) {
        train_detail::print_help(nullptr, argv[0]);
        return 0;
    }
    train_config config;
    try {
        const std::string text = train_detail::read_text(opt.settings);
        if (text.empty() && !std::filesystem::exists(opt.settings))
            throw settings_error(opt.settings + " does not exist (run the trainer from the study folder)");
        config = read_settings(text, network, num_params, opt.settings);
    } catch (const settings_error& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 2;
    }
    return train_detail::train_with(config, opt, argv, make_network);
}

}  // namespace hps

#endif  // the core
