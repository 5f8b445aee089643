// A run's metrics for TensorBoard and MLflow, written into the study folder beside the
// results (docs/logging.md; the layout and its reasons: docs/design.md, section 14):
//   tensorboard/<point>/events.out.tfevents.<time>.<host>.<pid>   (<point>.<folder> with --run-dir)
//       scalars "<split>/<column>" per metrics.csv row (and "best/<column>", the best
//       checkpoint's validation row, at the end), the HParams plugin's session start (the
//       point's axes) and end (its status)
//   mlruns/<experiment>/meta.yaml, mlruns/<experiment>/<run id>/{meta.yaml, params/,
//       metrics/<split>/<column>, tags/, artifacts/ (best.npz, model.py, result.json)}
// One source of truth: metrics.csv's rows (the trainer's history, which resume.bin and a
// continuation restore). At every start the logs are written anew from them, each file
// atomically, so a resumed run repeats no step and a killed one leaves whole files; later
// rows are appended whole (one write per file). A failure to log is said once and turns
// logging off: it never stops a training.
#pragma once

#include "hps/config.hpp"
#include "hps/io.hpp"
#include "hps/train/cli.hpp"
#include "hps/train/metrics_csv.hpp"
#include "hps/train/tfevents.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace hps::train_detail {

// The MLflow experiment of a study: a number from its name, so that every trainer of the
// study finds the same one without talking to the others.
inline std::string mlflow_experiment_id(const std::string& study) {
    return std::to_string(std::strtoull(fnv1a_hex("hpsgen study " + study).c_str(), nullptr, 16) >> 1);
}

// A run's MLflow id: its identity and what else makes it another run than the point's own
// (a quick look with --steps, a --run-dir), 32 hex digits like MLflow's own.
inline std::string mlflow_run_id(const std::string& identity, const std::string& variant) {
    return (identity + "0000000000000000").substr(0, 16) + (variant.empty() ? std::string(16, '0') : fnv1a_hex(variant));
}

// A YAML single-quoted scalar ('it''s').
inline std::string yaml_quote(std::string_view text) {
    std::string out = "'";
    for (char ch : text) out += ch == '\'' ? std::string("''") : std::string(1, ch);
    return out + "'";
}

inline std::string file_uri(const std::string& path) {
    std::error_code ec;
    return "file://" + std::filesystem::absolute(path, ec).lexically_normal().string();
}

class run_logs {
public:
    // run_dir: the trainer's --run-dir ("": the point's own folder); overrides: what the
    // command line changes (a quick look with --steps); columns: metrics.csv's value columns
    // (loss and the metrics); elapsed_before: seconds trained before this process, so that
    // a row's wall time is this run's start plus its elapsed_s.
    void start(const train_config& c, const std::string& run_dir, const std::string& overrides,
               std::vector<std::string> columns, double elapsed_before, const std::string& history) {
        c_ = &c;
        // a run in a folder of its own is logged beside the point's, as <point>.<folder>,
        // and is another MLflow run: never over the point's own logs
        const std::filesystem::path folder = std::filesystem::path(run_dir).lexically_normal();
        name_ = run_dir.empty() ? c.point
                                : c.point + "." + (folder.has_filename() ? folder : folder.parent_path()).filename().string();
        const std::string variant = run_dir.empty() ? overrides : overrides + "|run_dir=" + run_dir;
        columns_ = std::move(columns);
        tensorboard_ = c.log_tensorboard;
        mlflow_ = c.log_mlflow;
        origin_ = now() - elapsed_before;
        logged_ = history.size();
        guarded([&] {
            if (tensorboard_) start_tensorboard(history);
            if (mlflow_) start_mlflow(variant, history);
        });
    }

    // The rows appended to the history since the last call.
    void sync(const std::string& history) {
        if (!c_ || history.size() <= logged_) return;
        const std::string rows = history.substr(logged_);
        logged_ = history.size();
        append_rows(rows);
    }

    // The run ended (done, early_stopped, diverged) or was stopped by a signal ("stopped").
    // A run that ended well also logs its best checkpoint's validation row as "best/<column>"
    // at that step: the column the HParams table and MLflow rank by (a metric's last value
    // is not its best).
    void finish(const std::string& status, const std::string& run_dir, const std::string& history, long best_step) {
        if (!c_) return;
        sync(history);
        const bool ok = status == "done" || status == "early_stopped";
        if (ok && best_step >= 0) append_rows(best_row(history, best_step));
        guarded([&] {
            if (tensorboard_ && status != "stopped")
                append_file(events_, tfevents::session_end_record(
                                         now(), ok ? tfevents::session_status::success : tfevents::session_status::failure));
            if (mlflow_) {
                for (const char* name : {"best.npz", "model.py", "result.json"}) {
                    const std::string from = run_dir + "/" + name, to = run_ + "/artifacts/" + name;
                    std::error_code ec;
                    if (!std::filesystem::exists(from, ec)) continue;
                    std::filesystem::remove(to, ec);
                    std::filesystem::create_hard_link(from, to, ec);  // best.npz is replaced, never changed
                    if (ec) std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
                }
                write_file_atomic(run_ + "/tags/hpsgen.status", status);
                // RunStatus: FINISHED 3, FAILED 4, KILLED 5 (resumed: RUNNING 1 again)
                write_run_meta(status == "stopped" ? 5 : ok ? 3 : 4, std::llround(now() * 1000));
            }
        });
    }

private:
    static double now() {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    }

    template <class F> void guarded(F&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "[%s] warning: %s; logging for TensorBoard and MLflow is off for this run\n",
                         c_->point.c_str(), e.what());
            tensorboard_ = mlflow_ = false;
        }
    }

    void append_rows(const std::string& rows) {
        guarded([&] {
            // not flushed: a kill loses nothing written, and a crash of the node loses only
            // what the next start writes anew
            if (tensorboard_) append_file(events_, events_of(rows), false);
            if (mlflow_)
                for (const auto& [name, lines] : metric_lines(rows)) append_file(metric_path(name), lines, false);
        });
    }

    // The validation row of step `step`, its split renamed "best"; "" when there is none.
    static std::string best_row(const std::string& history, long step) {
        const std::string head = std::to_string(step) + ",validation,";
        for (std::size_t at = 0; at < history.size();) {
            const std::size_t end = std::min(history.find('\n', at), history.size());
            if (history.compare(at, head.size(), head) == 0)
                return std::to_string(step) + ",best," + history.substr(at + head.size(), end - at - head.size()) + "\n";
            at = end + 1;
        }
        return "";
    }

    // A metrics.csv row's values: (step, split, [(column, value)], elapsed); empty cells
    // (a training row's metrics) are left out.
    struct row {
        long step = 0;
        std::string split;
        std::vector<std::pair<std::string, double>> values;
        double elapsed = 0;
    };
    std::vector<row> rows_of(const std::string& text) const {
        std::vector<row> out;
        std::size_t at = 0;
        while (at < text.size()) {
            std::size_t end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            const auto cells = split_csv(text.substr(at, end - at));
            at = end + 1;
            if (cells.size() != columns_.size() + 3) continue;
            row r;
            r.step = std::atol(cells[0].c_str());
            r.split = cells[1];
            for (std::size_t k = 0; k < columns_.size(); ++k)
                if (!cells[k + 2].empty()) r.values.emplace_back(columns_[k], std::strtod(cells[k + 2].c_str(), nullptr));
            r.elapsed = std::strtod(cells.back().c_str(), nullptr);
            out.push_back(std::move(r));
        }
        return out;
    }

    // ---------------------------------------------------------------- TensorBoard
    std::string events_of(const std::string& rows) const {
        std::string out;
        for (const row& r : rows_of(rows))
            for (const auto& [column, value] : r.values)
                out += tfevents::scalar_record(origin_ + r.elapsed, r.step, r.split + "/" + column, value);
        return out;
    }

    // A new event file holding the whole history; the point's earlier ones (an earlier
    // process of this run, or of the configuration the point named before) are removed,
    // so TensorBoard sees every step once.
    void start_tensorboard(const std::string& history) {
        const std::string dir = "tensorboard/" + name_;
        std::filesystem::create_directories(dir);
        for (const auto& entry : std::filesystem::directory_iterator(dir))
            if (entry.path().filename().string().find("tfevents") != std::string::npos)
                std::filesystem::remove(entry.path());
        char host[256] = "localhost";
        ::gethostname(host, sizeof host - 1);
        const double t = now();
        events_ = dir + "/events.out.tfevents." + std::to_string(long(t)) + "." + host + "." + std::to_string(::getpid());
        std::vector<std::pair<std::string, tfevents::hparam_value>> hparams;
        for (const auto& a : c_->axes) hparams.emplace_back(a.name, tfevents::hparam_of(a.value));
        write_file_atomic(events_, tfevents::file_version_record(t) +
                                       tfevents::session_start_record(t, hparams, name_, origin_) + events_of(history));
    }

    // ---------------------------------------------------------------- MLflow
    std::string metric_path(const std::string& name) const { return run_ + "/metrics/" + name; }

    // "timestamp_ms value step" lines per metric name ("validation/accuracy").
    std::map<std::string, std::string> metric_lines(const std::string& rows) const {
        std::map<std::string, std::string> out;
        for (const row& r : rows_of(rows))
            for (const auto& [column, value] : r.values)
                out[r.split + "/" + column] += std::to_string(std::llround((origin_ + r.elapsed) * 1000)) + " " +
                                               format_number(value) + " " + std::to_string(r.step) + "\n";
        return out;
    }

    void write_run_meta(int status, long long end_ms) const {
        std::string meta = "artifact_uri: " + yaml_quote(file_uri(run_ + "/artifacts")) + "\n";
        meta += "end_time: " + (end_ms > 0 ? std::to_string(end_ms) : std::string("null")) + "\n";
        meta += "entry_point_name: ''\nexperiment_id: " + yaml_quote(experiment_) + "\n";
        meta += "lifecycle_stage: active\nrun_id: " + yaml_quote(run_id_) + "\nrun_name: " + yaml_quote(name_) + "\n";
        meta += "run_uuid: " + yaml_quote(run_id_) + "\nsource_name: ''\nsource_type: 4\nsource_version: ''\n";
        meta += "start_time: " + std::to_string(std::llround(origin_ * 1000)) + "\nstatus: " + std::to_string(status) + "\n";
        const char* user = std::getenv("USER");
        meta += "tags: []\nuser_id: " + yaml_quote(user ? user : "") + "\n";
        write_file_atomic(run_ + "/meta.yaml", meta);
    }

    void start_mlflow(const std::string& variant, const std::string& history) {
        namespace fs = std::filesystem;
        experiment_ = mlflow_experiment_id(c_->study);
        run_id_ = mlflow_run_id(c_->identity, variant);
        const std::string exp_dir = "mlruns/" + experiment_;
        run_ = exp_dir + "/" + run_id_;
        fs::create_directories("mlruns/.trash");
        fs::create_directories(run_ + "/artifacts");
        if (!fs::exists(exp_dir + "/meta.yaml")) {  // the study's first trainer; the others write the same
            const std::string ms = std::to_string(std::llround(now() * 1000));
            write_file_atomic(exp_dir + "/meta.yaml",
                              "artifact_location: " + yaml_quote(file_uri(exp_dir)) + "\ncreation_time: " + ms +
                                  "\nexperiment_id: " + yaml_quote(experiment_) + "\nlast_update_time: " + ms +
                                  "\nlifecycle_stage: active\nname: " + yaml_quote(c_->study) + "\n");
        }
        // a run starts over from its history: what an earlier process logged goes
        for (const char* folder : {"/metrics", "/params", "/tags"}) fs::remove_all(run_ + folder);
        fs::create_directories(run_ + "/params");
        fs::create_directories(run_ + "/tags");
        write_run_meta(1, 0);  // RUNNING
        for (const auto& a : c_->axes) write_file_atomic(run_ + "/params/" + a.name, a.value);
        const std::vector<std::pair<std::string, std::string>> tags = {
            {"mlflow.runName", name_},      {"mlflow.source.name", c_->study}, {"mlflow.source.type", "LOCAL"},
            {"hpsgen.identity", c_->identity}, {"hpsgen.point_id", std::to_string(c_->point_id)},
            {"hpsgen.status", "running"}};
        for (const auto& [name, value] : tags) write_file_atomic(run_ + "/tags/" + name, value);
        for (const auto& [name, lines] : metric_lines(history)) {
            fs::create_directories(fs::path(metric_path(name)).parent_path());
            write_file_atomic(metric_path(name), lines);
        }
        // the folders of metrics that appear only later (the test split's at the end)
        for (const char* split : {"train", "validation", "test", "best"}) fs::create_directories(run_ + "/metrics/" + split);
    }

    const train_config* c_ = nullptr;
    std::string name_;
    std::vector<std::string> columns_;
    bool tensorboard_ = false, mlflow_ = false;
    double origin_ = 0;  // the run's start in seconds since the epoch: a row's time is origin_ + elapsed_s
    std::size_t logged_ = 0;  // the bytes of the history logged so far
    std::string events_;  // this process's event file
    std::string experiment_, run_id_, run_;  // mlruns/<experiment>/<run id>
};

}  // namespace hps::train_detail
