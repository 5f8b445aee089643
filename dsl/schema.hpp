// The schema of the .hps language: which blocks exist, which statements each block
// takes, and which values each statement and option accepts.
//
// The grammar (grammar/) knows only the *form* of a statement, `head [positional]
// {key value}`; this table gives it meaning. The checker (dsl/check/, its statements in
// dsl/check/statements.cpp) validates an AST against it, the "did you mean" suggestions
// search it, and `hpsgen check --reference` prints it. Losses, optimizers and their
// settings, metrics, activations and target kinds come from the runtime's tables
// (hps/config.hpp), not from here.
//
//   block_spec   data, network, train, metrics, slurm
//     head_spec  a statement head: a layer (conv2d), a setting (batch), a metric (within)
//       positional   the value right after the head (dropout 0.25, optimizer adam)
//       option_spec  key value pairs (filters {8, 16}, lr 1e-5, as acc20)
//         value_spec the accepted kind (integer, real, choice, string, dims, name),
//                    its bounds, and whether a set, range or `let` axis may stand there
#pragma once

#include <hps/config.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hps::schema {

enum class value_kind {
    integer,  // a whole number within [min, max]: filters 8, steps 4e5
    real,  // a number within its bounds: lr 1e-5, scale 1/255
    choice,  // an identifier from `choices`: relu, same, adam
    string,  // "text", optionally in a checked format (slurm mem and time)
    dims,  // 28 x 28 x 1 (a single number is one dimension)
    name,  // any identifier: `as acc20`, `select max acc20`
};

enum class string_format {
    any,
    nonempty,  // paths, array names, slurm partition
    slurm_mem,  // 4G, 5000M, 500 (MB): digits and an optional K, M, G or T
    slurm_time,  // minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
    duration,  // a number and a unit: 10min, 90s, 1.5h; a bare number is seconds (duration_seconds)
};

struct value_spec {
    value_kind kind = value_kind::real;
    // numeric bounds; an open bound excludes its value: dropout's rate is in [0, 1)
    std::optional<double> min, max;
    bool min_open = false, max_open = false;
    std::vector<std::string> choices;  // value_kind::choice
    string_format format = string_format::any;  // value_kind::string
    // May a set ({8, 16}), a range (128..1024 step 128) or a `let` axis stand here?
    // Each such value adds an axis to the grid.
    bool rangeable = false;
};

struct option_spec {
    std::string key;
    value_spec value;
    bool required = false;
    std::string default_text;  // shown in the reference and used when the option is absent ("" = none)
    // Only with these values of the statement's positional choice (optimizer momentum:
    // only `momentum` takes it); empty: always.
    std::vector<std::string> only_with;
    // A default that depends on the positional choice (lr: adam 0.001, sgd 0.01, ...),
    // as {choice, default} pairs; it overrides default_text for that choice.
    std::vector<std::pair<std::string, std::string>> default_with;
    std::string help;
};


struct head_spec {
    std::string name;
    std::optional<value_spec> positional;  // the value right after the head, if it takes one
    std::string positional_name;  // names it in messages, in the reference and in anonymous
                                  // axes: dropout1.rate, maxpool1.window, train.batch
    bool positional_required = false;
    std::string positional_default;  // when absent and not required ("" = none)
    std::vector<option_spec> options;
    // Exactly one of these must be given; "" stands for the positional
    // (target: binary | regression N | classes K).
    std::vector<std::string> one_of;
    bool required = false;  // the block must contain this statement
    bool repeatable = false;  // may appear several times (layers, metrics, slurm extra)
    bool unsupported = false;  // the grammar accepts it; the checker says "not supported yet"
    const hps::metric_info* metric = nullptr;  // a metric head: the runtime's row for it
    std::string usage;  // "target regression N | target classes K | target binary"
    std::string help;
    // Statements as a user writes them, one a line, that between them use every option
    // (docs/language.md shows them; tests/dsl/test_reference.cpp checks each in a study).
    // Empty: examples() makes one from the defaults.
    std::string example;
};

struct block_spec {
    std::string name;
    bool required = false;
    std::vector<head_spec> heads;
    // Groups of statements of which exactly one must appear (train: steps | epochs).
    std::vector<std::vector<std::string>> one_of;
    std::string help;
};

// The whole language, in the order the reference prints it.
const std::vector<block_spec>& blocks();

const block_spec* find_block(std::string_view name);
const head_spec* find_head(const block_spec& block, std::string_view name);
const option_spec* find_option(const head_spec& head, std::string_view key);

// Names of things, for suggestions and messages.
std::vector<std::string> block_names();
std::vector<std::string> head_names(const block_spec& block, bool include_unsupported = false);
std::vector<std::string> option_keys(const head_spec& head);

// The names of a table's rows (hps/config.hpp): the activations, losses, ... in order.
template <class Table>
std::vector<std::string> names_of(const Table& table) {
    std::vector<std::string> out;
    for (const auto& row : table) out.emplace_back(row.name);
    return out;
}

// The target kinds a metric applies to, as words: {"classes", "binary"}.
std::vector<std::string> metric_targets(const hps::metric_info& m);

// Optimal string alignment distance (Levenshtein with adjacent transpositions):
// "filtres" is 1 away from "filters".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate within a distance that scales with the word's length, or "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean 'filters'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// What a value_spec accepts, in words: "a whole number >= 1", "one of same, valid",
// "a number in [0, 1)", "a string like \"10:00:00\"".
std::string describe(const value_spec& v);

// Whether a string satisfies a value_spec's format; on failure `why` says what is expected.
bool string_ok(string_format format, const std::string& text, std::string& why);

// The seconds a duration string stands for: "90s" or "90" 90, "10min" 600, "1.5h" 5400
// (a number >= 0, then s, min or h); nullopt when it is none.
std::optional<double> duration_seconds(std::string_view text);

// The language reference generated from the table (`hpsgen check --reference`).
std::string reference();

// How the reference shows a head's positional value: RATE (dropout), N (batch), "TEXT".
std::string metavar(const head_spec& h);

// The forms around the blocks: let, tuples, where (their examples fit the network of
// `top_level_network`, which the page shows beside them).
struct form_spec {
    std::string usage, help, example;
};
const std::vector<form_spec>& top_level_forms();
inline constexpr std::string_view top_level_network =
    "conv2d filters {8, 16} kernel {3, 5} activation act\n"
    "dense units {16, 32} activation act\n"
    "dense units 1\n";

// A head's examples: its `example` lines, or one statement made from its defaults.
std::vector<std::string> examples(const head_spec& h);

// A number as the reference writes it: 0.001, 1e-07, 4.29497e+09 (printf's %g).
std::string number_text(double v);

// docs/language.md: the table as a Markdown page with every statement's examples
// (`hpsgen check --reference --markdown`; dsl/reference_markdown.cpp).
std::string reference_markdown();

// Joins words as "a, b, c".
std::string join(const std::vector<std::string>& words, std::string_view separator = ", ");

}  // namespace hps::schema
