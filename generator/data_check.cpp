#include "generator/data_check.hpp"

#include "dsl/check.hpp"
#include "dsl/data_check.hpp"

#include <hps/json_read.hpp>

#include <filesystem>
#include <optional>
#include <ostream>

namespace hps::cli {

namespace fs = std::filesystem;

namespace {

const char* const skip_hint = "or pass --no-data-check if the data is only where the trainers run";

// A data path of a point's settings file (settings/POINT.json, hps/settings.hpp:
// "data": {"train": ...}), or "" when the file has none.
std::string settings_data_path(const hps::json::value& settings, const std::string& field) {
    const hps::json::value* data = settings.find("data");
    const hps::json::value* v = data ? data->find(field) : nullptr;
    return v && v->is(hps::json::value::type::string) ? v->str : std::string();
}

std::string errors_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " error" : " errors"); }

}  // namespace

void data_check_flag(arg_parser& p, bool& skip) {
    p.flag("no-data-check", 0,
           "do not open the data files the spec names (by default they are read and\n"
           "checked against `input` and `target` first): for a spec prepared where\n"
           "the data is not",
           skip);
}

std::size_t check_spec_data(const source& src, const ast::study_file& file, const study& s, std::ostream& err) {
    data_location where;
    where.folder = fs::path(src.path()).parent_path().string();
    where.missing_hint = std::string("check the path (a relative one is taken from the spec's folder), ") + skip_hint;
    diagnostics diags;
    check_data(src, file, s, where, diags);
    err << format(diags);
    return diags.error_count();
}

bool check_study_data(const std::string& dir, const std::string& point, const std::string& command, std::ostream& err) {
    const std::string spec = (fs::path(dir) / "study.hps").string();
    const std::string regenerate = command + ": the data check reads " + spec + " and the trainers of " + dir +
                                   "; generate the folder again (hpsgen generate), or pass --no-data-check\n";
    std::optional<parsed_spec> parsed = parse_spec(spec, err);
    if (!parsed) {
        err << regenerate;
        return false;
    }
    diagnostics diags;
    const std::optional<study> s = check(*parsed->src, parsed->file, diags);
    std::string error;
    hps::json::value settings;
    const std::string settings_file = (fs::path(dir) / "settings" / (point + ".json")).string();
    if (auto text = read_file(settings_file, error)) {
        try {
            settings = hps::json::parse(*text);
        } catch (const hps::json::error& e) {
            error = settings_file + ": " + e.what();
        }
    }
    if (!s || !error.empty()) {
        err << (s ? "hpsgen: " + error + "\n" : format(diags)) << regenerate;
        return false;
    }
    data_location where;
    where.folder = dir;
    where.trainer_path = [&](const std::string& which, const std::string&) { return settings_data_path(settings, which); };
    where.missing_hint = "the trainers of " + dir + " open their data from there; move the data back, or fix the path " +
                         "in the spec and generate the folder again, " + skip_hint;
    diagnostics data;
    check_data(*parsed->src, parsed->file, *s, where, data);
    if (!data.has_errors()) return true;
    err << format(data) << command << ": " << errors_text(data.error_count()) << " in the data of " << dir
        << " (its trainers would stop at start); nothing was built or started\n";
    return false;
}

}  // namespace hps::cli
