// hpsgen generate SPEC [-o DIR]: a checked study -> a study folder of trainers.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/cost.hpp"
#include "generator/data_check.hpp"
#include "generator/emit.hpp"
#include "generator/study_dir.hpp"

#include "dsl/check.hpp"
#include "dsl/printer.hpp"
#include "grammar/parse.hpp"

#include <hps/hdf5.hpp>
#include <hps/io.hpp>
#include <hps/version.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <sstream>

namespace hps::cli {

namespace fs = std::filesystem;

namespace {

// Writes the emitted files into a folder: unchanged files are left alone (their
// timestamps too, so make rebuilds only changed trainers), changed ones replaced, trainers
// of points no longer in the grid removed. In two phases, so that a full disk or a file
// size limit changes nothing: every changed file is first written beside its target and
// flushed; only when all are on disk are they renamed over their targets (renames need
// no space). On a failure the temporaries and the folders made for them are removed.
class folder_sink : public output_sink {
public:
    explicit folder_sink(fs::path root) : root_(std::move(root)) {}
    void write(const std::string& rel, const std::string& contents) override { files_[rel] = contents; }

    struct counts {
        int written = 0, unchanged = 0, removed = 0;
    };

    counts commit() {
        counts c;
        std::vector<std::unique_ptr<atomic_file>> staged;
        std::vector<fs::path> made;  // folders created here, parents first
        try {
            for (const auto& [rel, contents] : files_) {
                const fs::path p = root_ / rel;
                std::ifstream old(p, std::ios::binary);
                if (old) {
                    std::ostringstream s;
                    s << old.rdbuf();
                    if (s.str() == contents) {
                        ++c.unchanged;
                        continue;
                    }
                }
                make_folders(p.parent_path(), made);
                staged.push_back(std::make_unique<atomic_file>(p.string()));
                staged.back()->write(contents);
                staged.back()->flush();
            }
        } catch (...) {
            staged.clear();  // unlinks the temporaries
            std::error_code ec;
            for (auto it = made.rbegin(); it != made.rend(); ++it) fs::remove(*it, ec);  // only if empty
            throw;
        }
        for (auto& f : staged) f->publish();
        c.written = int(staged.size());
        // trainers of networks, settings of points and tiles files no longer in the grid
        // (generated files: results/ holds what was trained with them)
        std::error_code ec;
        std::vector<fs::path> stale;
        for (const auto& e : fs::directory_iterator(root_ / "trainers", ec))
            if (!files_.count("trainers/" + e.path().filename().string() + "/main.cpp")) stale.push_back(e.path());
        for (const auto& e : fs::directory_iterator(root_ / "settings", ec))
            if (!files_.count("settings/" + e.path().filename().string())) stale.push_back(e.path());
        for (const auto& e : fs::directory_iterator(root_ / "tiles", ec))
            if (!files_.count("tiles/" + e.path().filename().string())) stale.push_back(e.path());
        for (const auto& p : stale) {
            fs::remove_all(p, ec);
            ++c.removed;
        }
        return c;
    }

private:
    // create_directories, remembering each folder it made
    static void make_folders(const fs::path& dir, std::vector<fs::path>& made) {
        if (dir.empty() || fs::is_directory(dir)) return;
        make_folders(dir.parent_path(), made);
        std::error_code ec;
        if (!fs::create_directory(dir, ec) && !fs::is_directory(dir))
            throw io_error(dir.string() + ": cannot create the folder (" + ec.message() + ")");
        made.push_back(dir);
    }

    fs::path root_;
    std::map<std::string, std::string> files_;
};

// What identifies a data file in a point's identity: its resolved path, size and
// modification time, or (hash) its content's FNV-1a. `path` is as a trainer opens it,
// relative to the study folder `root`.
std::string data_stamp(const fs::path& root, const std::string& path, bool hash) {
    if (const std::optional<h5_path> h5 = h5_path_of(path); h5 && !fs::exists(root / path))  // "file.h5:/x,/y"
        return data_stamp(root, h5->file, hash) + " " + path.substr(h5->file.size());
    // "inputs,targets": two files (an .npy pair, an IDX pair), each stamped (runtime/hps/dataset.hpp)
    if (const std::size_t comma = path.find(','); comma != std::string::npos && !fs::exists(root / path))
        return data_stamp(root, path.substr(0, comma), hash) + ", " + data_stamp(root, path.substr(comma + 1), hash);
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(root / path), ec);
    const std::string name = ec ? (root / path).lexically_normal().string() : p.string();
    const auto size = fs::file_size(p, ec);
    if (ec) return name + " (not found)";
    if (hash) {  // FNV-1a 64 of the content, read in blocks (data files can be large)
        std::ifstream in(p, std::ios::binary);
        if (!in) return name + " (unreadable)";
        std::uint64_t h = 0xcbf29ce484222325ull;
        std::vector<char> block(1 << 20);
        while (in.read(block.data(), std::streamsize(block.size())) || in.gcount() > 0) {
            for (std::streamsize i = 0; i < in.gcount(); ++i) {
                h ^= static_cast<unsigned char>(block[std::size_t(i)]);
                h *= 0x100000001b3ull;
            }
        }
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
        return name + " " + std::to_string(size) + " fnv1a:" + hex;
    }
    const auto time = fs::last_write_time(p, ec);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
    return name + " " + std::to_string(size) + " " + std::to_string(ns);
}

// What generate did to the points' results: kept (a finished result of the same
// identity), new, and results/ folders no point of this grid owns; of those, the finished
// ones another runtime computed (its numerics version or resume format, hps/version.hpp,
// or an hpsgen from before results recorded it), which no grid of this hpsgen will own.
struct result_counts {
    std::size_t kept = 0, fresh = 0, outside = 0, other_runtime = 0;
};

// The run folders of the points: results/<identity>/ for each (made here, so that
// runs/<point> never dangles), and runs/<point>, a link to it, the user's handle on the
// current grid. Links of names no longer in the grid go; a result never does. A real
// folder in runs/ (not hpsgen's link) is left alone.
result_counts link_results(const fs::path& root, const study& s, const emit_options& opt) {
    result_counts c;
    std::error_code ec;
    fs::create_directories(root / "results", ec);
    fs::create_directories(root / "runs", ec);
    if (ec) throw io_error((root / "runs").string() + ": cannot create (" + ec.message() + ")");
    std::set<std::string> names, owned;
    for (const auto& p : s.points) {
        const point_files f = emit_point(s, p, opt);
        names.insert(p.name);
        owned.insert(f.identity);
        const fs::path run = root / "results" / f.identity;
        point_row row;
        row.identity = f.identity;
        const point_state st = read_point_state(root.string(), row);
        if (st.finished() && st.overrides.empty()) ++c.kept;  // not a quick look (--steps): hpsgen run trains that again
        else ++c.fresh;
        fs::create_directories(run, ec);
        const fs::path link = root / "runs" / p.name, target = fs::path("..") / "results" / f.identity;
        if (fs::is_symlink(link)) {
            if (fs::read_symlink(link, ec) == target) continue;
            fs::remove(link, ec);
        } else if (fs::exists(link)) {
            continue;  // a folder of the user's (or of hpsgen before identities): not ours to replace
        }
        fs::create_directory_symlink(target, link, ec);
        if (ec) throw io_error(link.string() + ": cannot link to " + target.string() + " (" + ec.message() + ")");
    }
    for (const auto& e : fs::directory_iterator(root / "runs", ec))
        if (e.is_symlink() && !names.count(e.path().filename().string())) fs::remove(e.path(), ec);
    for (const auto& e : fs::directory_iterator(root / "results", ec)) {
        if (owned.count(e.path().filename().string())) continue;
        if (fs::is_empty(e.path(), ec)) {
            fs::remove(e.path(), ec);  // made for a point never trained: nothing lost
            continue;
        }
        ++c.outside;
        point_row row;
        row.identity = e.path().filename().string();
        const point_state st = read_point_state(root.string(), row);
        if (st.from_other_runtime(opt.runtime_version)) ++c.other_runtime;
    }
    return c;
}

}  // namespace

int generate(const args& a) {
    std::string spec, out;
    bool no_data_check = false, hash_data = false;
    arg_parser p("generate",
                 "Checks SPEC and writes its study folder: one specialised trainer per distinct\n"
                 "network (trainers/net-SIG/main.cpp), each point's settings (settings/model-N.json),\n"
                 "a CMakeLists.txt that builds the trainers, grid.tsv (each point's trainer and\n"
                 "identity), study.json, submit.sbatch (the Slurm job array) and a copy of the hps\n"
                 "runtime. A point trains into results/<identity>/, runs/<point> links to it.\n"
                 "Nothing is written when the spec has an error, or its data files (opened, their\n"
                 "headers checked against `input` and `target`) would stop the trainers.");
    p.positional("SPEC", "the .hps file", spec);
    p.option("output", "DIR", "the study folder (default: out/<study name>)", out, {}, 'o');
    data_check_flag(p, no_data_check);
    p.flag("hash-data", 0,
           "identify data files by their content's hash, not their size and\n"
           "modification time (reads every file once; give it every time:\n"
           "identities with and without it differ)",
           hash_data);
    p.epilog("A point's identity is what determines its result: its network, every training\n"
             "setting, its data files and the runtime's version; not its name or place in the\n"
             "grid. Generating again into the same folder (after an edit of the spec) keeps the\n"
             "result of every point whose identity has one, so `hpsgen run` trains only the\n"
             "new points; results of points no longer in the grid stay in results/ (listed by\n"
             "status and report). Only changed trainers rebuild. A folder that hpsgen did not\n"
             "write is refused.\n\n"
             "examples:\n  hpsgen generate examples/cyplam.hps\n  hpsgen generate examples/cyplam.hps -o out/c\n\n"
             "next: hpsgen run DIR (locally), or hpsgen submit DIR / sbatch DIR/submit.sbatch");
    if (auto status = p.parse(a)) return *status;
    std::string error;
    auto text = read_file(spec, error);
    if (!text) {
        std::fprintf(stderr, "hpsgen generate: %s\n", error.c_str());
        return 1;
    }
    source src(spec, std::move(*text));
    diagnostics diags;
    ast::study_file file;
    std::optional<study> checked;
    if (parse(src, file, diags)) checked = check(src, file, diags);
    std::fputs(format(diags).c_str(), stderr);
    const std::size_t data_errors = checked && !no_data_check ? check_spec_data(src, file, *checked, std::cerr) : 0;
    if (!checked || data_errors) {
        const std::size_t n = diags.error_count() + data_errors;
        std::fprintf(stderr, "hpsgen generate: %zu error%s in %s; nothing was written\n", n, n == 1 ? "" : "s", spec.c_str());
        return 1;
    }
    study& s = *checked;
    s.spec_path = spec;
    if (out.empty()) out = "out/" + s.name;

    const fs::path root = fs::path(out);
    std::error_code ec;
    if (fs::exists(root) && !fs::is_directory(root)) {
        std::fprintf(stderr, "hpsgen generate: '%s' exists and is not a folder; choose another -o\n", out.c_str());
        return 1;
    }
    if (fs::is_directory(root) && !fs::is_empty(root) && !fs::exists(root / ".hpsgen")) {
        std::fprintf(stderr,
                     "hpsgen generate: refusing to write into '%s': it is not empty and hpsgen did not write it "
                     "(no .hpsgen file); choose another -o folder or empty it\n",
                     out.c_str());
        return 1;
    }
    emit_options opt;
    opt.spec_display = fs::path(spec).lexically_normal().string();
    // data paths in the spec are relative to the spec's folder; trainers run in the study folder
    const fs::path spec_dir = fs::absolute(spec).parent_path();
    const bool new_root = !fs::exists(root);
    fs::create_directories(root, ec);
    if (ec) {
        std::fprintf(stderr, "hpsgen generate: cannot create '%s': %s\n", out.c_str(), ec.message().c_str());
        return 1;
    }
    std::string prefix = fs::relative(spec_dir, fs::absolute(root)).generic_string();
    opt.data_prefix = prefix.empty() || prefix == "." ? "" : prefix + "/";
    opt.canonical_spec = print(file);
    opt.runtime_version = hps::runtime_identity();
    opt.data_stamp = [&](const std::string& path) { return data_stamp(root, path, hash_data); };
    if (s.slurm.mem.empty()) opt.mem_estimate = cost::array_mem(s, cost::data_files(s, cost::spec_folder(spec)));

    folder_sink sink(root);
    try {
        emit_study(s, opt, sink);
        auto c = sink.commit();
        const result_counts r = link_results(root, s, opt);
        std::set<std::string> trainers;
        for (const auto& pt : s.points) trainers.insert(signature_of(pt).trainer);
        std::printf("generated study %s in %s: %zu point%s on %zu trainer%s (%d file%s written, %d unchanged%s)\n",
                    s.name.c_str(), out.c_str(), s.points.size(), s.points.size() == 1 ? "" : "s", trainers.size(),
                    trainers.size() == 1 ? "" : "s", c.written, c.written == 1 ? "" : "s", c.unchanged,
                    c.removed ? (", " + std::to_string(c.removed) + " no longer used removed").c_str() : "");
        if (r.kept || r.outside)
            std::printf("results: %zu point%s keep%s a finished result, %zu to train; %zu result%s outside this grid, "
                        "kept in %s/results\n",
                        r.kept, r.kept == 1 ? "" : "s", r.kept == 1 ? "s" : "", r.fresh, r.outside,
                        r.outside == 1 ? "" : "s", out.c_str());
        if (r.other_runtime)
            std::printf("         %zu of them computed by another runtime than this hpsgen's (%s): their configurations\n"
                        "         have new identities now and train again; `hpsgen status %s` lists the results kept\n",
                        r.other_runtime, opt.runtime_version.c_str(), out.c_str());
        std::printf("next: hpsgen run %s        (build and train here)\n"
                    "      hpsgen submit %s     (Slurm)\n",
                    out.c_str(), out.c_str());
    } catch (const std::exception& e) {
        if (new_root) fs::remove_all(root, ec);
        std::fprintf(stderr, "hpsgen generate: %s\n", e.what());
        std::fprintf(stderr, new_root ? "hpsgen generate: nothing was written (%s removed again)\n"
                                      : "hpsgen generate: nothing in %s was changed\n",
                     out.c_str());
        return 1;
    }
    return 0;
}

}  // namespace hps::cli
