// Emission: a checked study -> the files of a study folder, through an output sink.
//
// What is written (docs/usage.md, "The study folder"):
//   .hpsgen                     marks the folder as hpsgen's (generate refuses others)
//   CMakeLists.txt              builds every trainer; only changed ones rebuild
//   grid.tsv, study.json        the grid, for people and tools
//   study.hps                   the spec in canonical form
//   submit.sbatch               the Slurm job array
//   trainers/net-SIG/main.cpp   one specialised trainer per distinct network and batch
//   tiles/tiles-N.cpp           the register tiles of every distinct layer type, compiled once
//                               for all trainers (hps/tiles.hpp)
//   settings/model-NNN.json     each point's run-time settings (hps/settings.hpp)
//   runtime/hps/*.hpp           the runtime the trainers include (a snapshot: the folder
//                               builds on a node without hpsgen)
// Output is deterministic: no timestamps, no absolute paths, no hash-order loops.
#pragma once

#include "dsl/study.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>

namespace hps {

// Where emitted files go. Tests capture them in memory; `generate` writes a folder.
class output_sink {
public:
    virtual ~output_sink() = default;
    virtual void write(const std::string& relative_path, const std::string& contents) = 0;
};

class memory_sink : public output_sink {
public:
    void write(const std::string& path, const std::string& contents) override { files[path] = contents; }
    std::map<std::string, std::string> files;  // sorted: deterministic listing
};

struct emit_options {
    std::string spec_display;  // the spec's path as shown in comments (relative, as given)
    std::string data_prefix;   // prepended to relative data paths: the spec folder seen from
                               // the output folder ("../../examples/"), so trainers run
                               // from the study folder find the data
    std::string canonical_spec;  // hps::print of the AST, written as study.hps
    bool include_runtime = true;  // copy the runtime headers (off in golden tests)
    // What identifies a data file, for a point's identity: given the path a trainer opens
    // (relative to the study folder), its resolved path, size and modification time, or
    // its content's hash (generate --hash-data). Unset: the path itself (tests).
    std::function<std::string(const std::string&)> data_stamp;
    std::string runtime_version;  // hps::runtime_identity() in hpsgen (hps/version.hpp); fixed in golden tests
    // submit.sbatch's --mem when the spec gives no `mem`: the largest point's estimate with
    // its margin (generator/cost.hpp's array_mem); "" (golden tests): no --mem line
    std::string mem_estimate;
};

// The compiled network of a point: its C++ type and batch, and the signature (a hash of
// both) that names its trainer (net-<signature>) and that its points' settings carry.
struct network_signature {
    std::string type;  // hps::network<...>
    int batch = 0;
    std::string signature, trainer;
};

// What a point contributes to the study folder besides its trainer.
struct point_files {
    std::string trainer;   // net-<signature>
    std::string identity;  // the hash of hps::identity_json: results/<identity>/
    std::string settings;  // settings/<point>.json
};

// Emits every file of the study folder into `sink`.
void emit_study(const study& s, const emit_options& opt, output_sink& sink);

// tiles/tiles-N.cpp, the sources of the study's hps_tiles library: every distinct layer type
// of its trainers (`networks`, by trainer name) once (generator/emit_tiles.cpp). Returns
// their paths, for CMakeLists.txt.
std::vector<std::string> emit_tiles(const std::map<std::string, const grid_point*>& networks, const emit_options& opt,
                                    output_sink& sink);

// The Slurm side of the study folder: submit.sbatch (and whatever else Slurm needs),
// generator/emit_slurm.cpp.
void emit_slurm(const study& s, const emit_options& opt, output_sink& sink);

// The network of a point, its signature and its trainer's name.
network_signature signature_of(const grid_point& p);

// The C++ source of the trainer of p's network (shared by every point with that network).
std::string emit_trainer(const grid_point& p);

// A point's trainer, identity and settings file.
point_files emit_point(const study& s, const grid_point& p, const emit_options& opt);

// The C++ type of one layer, e.g. "hps::conv2d<16, 5, 5, hps::same, hps::relu>".
std::string layer_type(const layer& l);
// The values it takes at run time, for the settings file ({"rate", 0.25}; .layer is 0).
std::vector<layer_setting> layer_run_time(const layer& l);

// A C++ string literal for arbitrary text: user text never goes into code unescaped.
std::string cpp_string(const std::string& text);

// {{name}} substitution; an unknown or unused placeholder is a hard error (std::logic_error):
// templates are hpsgen's own, so a mismatch is a bug to catch in the tests, not at a user's.
std::string render(std::string_view tmpl, const std::map<std::string, std::string>& values);

// 64-bit FNV-1a, as 16 hex digits: network signatures and point identities.
std::string fingerprint(std::string_view text);

}  // namespace hps
