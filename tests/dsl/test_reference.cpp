// The language page (docs/language.md, schema::reference_markdown): every statement's
// examples are valid .hps that the checker accepts, between them they use every option,
// and the page lists every block, statement and option of the table. (That the file in
// docs/ is the page hpsgen prints today: tests/docs, docs.language.)
#include "check_test_util.hpp"

#include "dsl/schema.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace hps;
namespace sc = hps::schema;

namespace {

// the statements of a block in the studies below, which an example may replace
struct context {
    std::string target, loss, output, metric;
};
const std::vector<context> contexts = {
    {"regression 1", "mse", "dense units 1", "mse"},          {"regression 2", "mse", "dense units 2", "mse"},
    {"binary", "bce", "dense units 1", "accuracy"},           {"classes 3", "softmax_ce", "dense units 3", "accuracy"},
    {"classes 10", "softmax_ce", "dense units 10", "accuracy"},
};
const std::vector<std::string> inputs = {"30", "16 x 2", "8 x 8 x 1", "8 x 8 x 8 x 1"};

std::string head_of(const std::string& line) { return line.substr(0, line.find(' ')); }

// Whether `example`'s head replaces the template's statement `line` in `block`: the same
// head, or one of a group of which exactly one must appear (steps | epochs).
bool replaces(const sc::block_spec& block, const std::string& example, const std::string& line) {
    const std::string a = head_of(example), b = head_of(line);
    if (a == b) return block.name != "network";  // a layer: one more
    for (const auto& g : block.one_of)
        if (std::find(g.begin(), g.end(), a) != g.end() && std::find(g.begin(), g.end(), b) != g.end()) return true;
    return false;
}

std::string block_text(const std::string& name, const std::vector<std::string>& lines, const std::string& example,
                       bool example_first) {
    const sc::block_spec* block = sc::find_block(name);
    std::string out = name + " {\n";
    if (example_first && !example.empty()) out += "  " + example + "\n";
    for (const auto& l : lines)
        if (example.empty() || !block || !replaces(*block, example, l)) out += "  " + l + "\n";
    if (!example_first && !example.empty()) out += "  " + example + "\n";
    return out + "}\n";
}

// A small study with `example` in `block`, in one context and input.
std::string study_with(const std::string& block, const std::string& example, const context& c,
                       const std::string& input) {
    auto in = [&](const char* name) { return block == name ? example : std::string(); };
    std::string out = "study t\n";
    std::vector<std::string> data = {"train \"t.npz\"", "validation \"v.npz\"", "input " + input, "target " + c.target};
    if (block == "train" && head_of(example) == "folds") data.erase(data.begin() + 1);  // the folds validate
    out += block_text("data", data, in("data"), false);
    out += block_text("network", {c.output}, in("network"), true);
    // a search block draws from a grid: 40 points (configurations of a run-time value: not
    // seeds, which halving ranks together as the runs of one configuration)
    out += block_text("train", block == "search" ? std::vector<std::string>{"loss " + c.loss, "steps 10000", "clip_norm 1..40 step 1"}
                                                 : std::vector<std::string>{"loss " + c.loss, "steps 10000"},
                      in("train"), false);
    if (block == "metrics")
        out += block_text(block, {c.metric}, example, false);
    else if (block != "data" && block != "network" && block != "train")
        out += block_text(block, {}, example, false);
    return out;
}

// The first context in which the example checks without errors; the messages of the
// regression-on-an-image one when none does.
bool accepted(const std::string& block, const std::string& example, std::string& messages) {
    for (const auto& c : contexts)
        for (const auto& input : inputs) {
            auto r = test::check_text(study_with(block, example, c, input));
            if (r.parsed && r.result && !r.diags.has_errors()) return true;
            if (c.target == "regression 1" && input == "8 x 8 x 1")
                messages = study_with(block, example, c, input) + "\n" + r.messages();
        }
    return false;
}

// Options no valid example can show yet (none now; lr_schedule's `every` was one until the
// grammar took the keyword `step` as a value). An entry here must fail the check below once
// an example shows it.
const std::vector<std::pair<std::string, std::string>> known_gaps = {};

bool uses_word(const std::string& line, const std::string& word) {
    return (" " + line + " ").find(" " + word + " ") != std::string::npos;
}

}  // namespace

TEST_SUITE("reference") {

TEST_CASE("every statement's examples check in a small study") {
    std::size_t checked = 0;
    for (const auto& b : sc::blocks())
        for (const auto& h : b.heads) {
            if (h.unsupported) continue;
            const auto examples = sc::examples(h);
            CAPTURE(b.name);
            CAPTURE(h.name);
            REQUIRE_FALSE(examples.empty());
            for (const auto& e : examples) {
                CAPTURE(e);
                CHECK(head_of(e) == h.name);
                std::string messages;
                CHECK_MESSAGE(accepted(b.name, e, messages),
                              "the example is refused in every context (give the row a valid `example`, "
                              "dsl/schema.cpp's examples or the layer's descriptor):\n"
                                  << messages);
                ++checked;
            }
        }
    CHECK(checked > 80);
}

TEST_CASE("between them a statement's examples use every option, and its value when it takes one") {
    for (const auto& b : sc::blocks())
        for (const auto& h : b.heads) {
            if (h.unsupported) continue;
            CAPTURE(b.name);
            CAPTURE(h.name);
            const auto examples = sc::examples(h);
            for (const auto& o : h.options) {
                CAPTURE(o.key);
                bool used = false;
                for (const auto& e : examples) used |= uses_word(e, o.key);
                const bool gap = std::find(known_gaps.begin(), known_gaps.end(),
                                           std::pair<std::string, std::string>(h.name, o.key)) != known_gaps.end();
                CHECK_MESSAGE(used != gap, (gap ? "a known gap has an example now: remove it from known_gaps"
                                                : "no example uses this option: add one to the row's `example`"));
            }
            if (h.positional && h.positional_required && h.one_of.empty())
                for (const auto& e : examples) {
                    CAPTURE(e);
                    CHECK_MESSAGE(e.find(' ') != std::string::npos, "the example gives the statement's value");
                }
        }
}

TEST_CASE("the keyword `step` is a value where no range takes it: the schedule `step`") {
    std::string messages;
    CHECK(accepted("train", "lr_schedule step gamma 0.5 every 1000", messages));
    CHECK(accepted("train", "lr_schedule {step, exponential} gamma 0.5 every 1000", messages));
    CHECK(accepted("network", "dense units 8..32 step 8", messages));  // and a range's step is the range's
}

TEST_CASE("a wrong example is refused, so the check above can fail") {
    std::string messages;
    CHECK_FALSE(accepted("network", "conv2d filters 8", messages));  // kernel is required
    CHECK(messages.find("kernel") != std::string::npos);
    CHECK_FALSE(accepted("train", "optimizer adam momentum 0.9", messages));  // not adam's
    CHECK(accepted("network", "conv2d filters 8 kernel 3", messages));
}

TEST_CASE("let, tuples and where: their examples check together on the page's network") {
    const auto& forms = sc::top_level_forms();
    REQUIRE(forms.size() == 3);
    std::string network(sc::top_level_network), indented;
    for (std::size_t at = 0; at < network.size();) {
        std::size_t end = network.find('\n', at);
        indented += "  " + network.substr(at, end - at) + "\n";
        at = end + 1;
    }
    const std::string head = "study t\n" + forms[0].example +
                             "\ndata {\n  train \"t.npz\"\n  validation \"v.npz\"\n  input 8 x 8 x 1\n"
                             "  target regression 1\n}\nnetwork {\n" +
                             indented + "}\ntrain {\n  loss mse\n  steps 10\n}\n";
    auto plain = test::check_text(head);
    REQUIRE_MESSAGE(plain.result, plain.messages());
    auto pruned = test::check_text(head + forms[1].example + "\n" + forms[2].example + "\n");
    REQUIRE_MESSAGE(pruned.result, pruned.messages());
    CHECK_FALSE(pruned.diags.has_errors());
    // 2 filters x 2 kernels x 2 activations x 2 units = 16; the tuples keep (8, 3) and
    // (16, 5): 8; where units >= 2 * filters drops (16, 5) with 16 units: 6
    CHECK(plain.result->points.size() == 16);
    CHECK(pruned.result->points.size() == 6);
}

TEST_CASE("the page lists every block, statement and option, with the same words as the reference") {
    const std::string page = sc::reference_markdown(), text = sc::reference();
    for (const auto& b : sc::blocks()) {
        CAPTURE(b.name);
        CHECK(page.find("\n## " + b.name + "\n") != std::string::npos);
        CHECK(page.find(b.help) != std::string::npos);
        for (const auto& h : b.heads) {
            if (h.unsupported) continue;
            CAPTURE(h.name);
            CHECK(page.find("### `" + h.name) != std::string::npos);
            CHECK(page.find(h.help) != std::string::npos);
            for (const auto& e : sc::examples(h)) CHECK(page.find("\n" + e + "\n") != std::string::npos);
            for (const auto& o : h.options) {
                CAPTURE(o.key);
                CHECK(page.find("| `" + o.key + "` | " + sc::describe(o.value)) != std::string::npos);
                CHECK(text.find("      " + o.key + ": " + sc::describe(o.value)) != std::string::npos);
            }
        }
    }
    CHECK(page.find("grammar/hps.ebnf") != std::string::npos);
    CHECK(page.find("hpsgen check --reference --markdown > docs/language.md") != std::string::npos);
}

}  // TEST_SUITE
