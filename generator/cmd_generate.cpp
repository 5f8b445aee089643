// hpsgen generate SPEC [-o DIR]: a checked study -> a study folder of trainers.
#include "generator/cli_util.hpp"
#include "generator/commands.hpp"
#include "generator/data_check.hpp"
#include "generator/emit.hpp"

#include "dsl/check.hpp"
#include "dsl/printer.hpp"
#include "grammar/parse.hpp"

#include <hps/io.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
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
        const fs::path trainers = root_ / "trainers";
        if (fs::is_directory(trainers)) {
            std::vector<fs::path> stale;
            for (const auto& e : fs::directory_iterator(trainers))
                if (!files_.count("trainers/" + e.path().filename().string() + "/main.cpp")) stale.push_back(e.path());
            for (const auto& p : stale) {
                fs::remove_all(p);
                ++c.removed;
            }
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

}  // namespace

int generate(const args& a) {
    std::string spec, out;
    bool no_data_check = false;
    arg_parser p("generate",
                 "Checks SPEC and writes its study folder: one specialised trainer per grid point\n"
                 "(trainers/model-NNN/main.cpp), a CMakeLists.txt that builds them all, grid.tsv,\n"
                 "study.json, submit.sbatch (the Slurm job array) and a copy of the hps runtime.\n"
                 "Nothing is written when the spec has an error, or its data files (opened, their\n"
                 "headers checked against `input` and `target`) would stop the trainers.");
    p.positional("SPEC", "the .hps file", spec);
    p.option("output", "DIR", "the study folder (default: out/<study name>)", out, {}, 'o');
    data_check_flag(p, no_data_check);
    p.epilog("Generating again into the same folder rewrites only what changed, so only the\n"
             "changed trainers rebuild; run folders (runs/) are never touched. A folder that\n"
             "hpsgen did not write is refused.\n\n"
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

    folder_sink sink(root);
    try {
        emit_study(s, opt, sink);
        auto c = sink.commit();
        std::printf("generated %zu trainer%s of study %s in %s (%d file%s written, %d unchanged%s)\n", s.points.size(),
                    s.points.size() == 1 ? "" : "s", s.name.c_str(), out.c_str(), c.written, c.written == 1 ? "" : "s",
                    c.unchanged, c.removed ? (", " + std::to_string(c.removed) + " stale trainers removed").c_str() : "");
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
