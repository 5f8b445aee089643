#include "generator/study_dir.hpp"

#include "dsl/study.hpp"

#include <nlohmann/json.hpp>

#include <hps/settings.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hps {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto tab = line.find('\t', start);
        out.push_back(line.substr(start, tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    return out;
}

std::vector<std::pair<std::string, double>> metric_list(const nlohmann::json& obj) {
    std::vector<std::pair<std::string, double>> out;
    if (!obj.is_object()) return out;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (it.key() == "step" || it.key() == "confusion") continue;
        if (it.value().is_number()) out.push_back({it.key(), it.value().get<double>()});
        else if (it.value().is_null()) out.push_back({it.key(), std::numeric_limits<double>::quiet_NaN()});
    }
    return out;
}

}  // namespace

std::string read_study_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

study_dir load_study_dir(const std::string& dir) {
    study_dir s;
    s.path = dir;
    if (!fs::is_directory(dir)) throw std::runtime_error("'" + dir + "' is not a folder; give the folder that `hpsgen generate` wrote");
    if (!fs::exists(fs::path(dir) / ".hpsgen"))
        throw std::runtime_error("'" + dir + "' is not a study folder (no .hpsgen file); generate one with `hpsgen generate SPEC -o " + dir + "`");
    std::ifstream grid(fs::path(dir) / "grid.tsv");
    if (!grid) throw std::runtime_error(dir + "/grid.tsv is missing; regenerate the study with `hpsgen generate`");
    std::string line;
    if (!std::getline(grid, line)) throw std::runtime_error(dir + "/grid.tsv is empty; regenerate the study");
    auto header = split_tabs(line);
    // id name <axes...> params trainer identity
    if (header.size() < 5 || header[0] != "id" || header[1] != "name" || header[header.size() - 3] != "params" ||
        header[header.size() - 2] != "trainer" || header.back() != "identity")
        throw std::runtime_error(dir + "/grid.tsv has an unexpected header (written by an older hpsgen?); regenerate "
                                 "the study with hpsgen generate");
    s.axis_names.assign(header.begin() + 2, header.end() - 3);
    while (std::getline(grid, line)) {
        if (line.empty()) continue;
        auto cells = split_tabs(line);
        if (cells.size() != header.size()) throw std::runtime_error(dir + "/grid.tsv: a row has the wrong number of cells; regenerate the study");
        point_row p;
        p.id = std::stoul(cells[0]);
        p.name = cells[1];
        p.axis_values.assign(cells.begin() + 2, cells.end() - 3);
        p.params = std::stoul(cells[cells.size() - 3]);
        p.trainer = cells[cells.size() - 2];
        p.identity = cells.back();
        s.points.push_back(std::move(p));
    }
    auto text = read_study_file(fs::path(dir) / "study.json");
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(dir + "/study.json is missing or not valid JSON; regenerate the study");
    s.study = j.value("study", "");
    s.description = j.value("description", "");
    s.spec = j.value("spec", "");
    if (j.contains("select") && j["select"].is_object()) {
        s.select_metric = j["select"].value("metric", "loss");
        s.select_max = j["select"].value("goal", "min") == "max";
    }
    s.ranks = std::max(1, j.value("ranks", 1));
    if (j.contains("search") && j["search"].is_object() && j["search"].contains("halving")) {
        const auto& h = j["search"]["halving"];
        s.eta = h.value("eta", 0);
        if (h.contains("rungs") && h["rungs"].is_array())
            for (const auto& r : h["rungs"]) s.rungs.push_back(r.get<long>());
        s.brackets = h.value("brackets", std::size_t(1));
        if (h.contains("bracket_of") && h["bracket_of"].is_array() && h["bracket_of"].size() == s.points.size())
            for (auto& p : s.points)
                if (p.id < s.points.size()) p.bracket = h["bracket_of"][p.id].get<std::size_t>();
    }
    std::vector<std::vector<std::string>> values;
    for (const auto& p : s.points) values.push_back(p.axis_values);
    const auto configuration = configuration_index(s.axis_names, values);
    for (std::size_t i = 0; i < s.points.size(); ++i) s.points[i].configuration = configuration[i];
    s.grouped = std::any_of(s.axis_names.begin(), s.axis_names.end(), is_run_axis);
    return s;
}

std::optional<train_config> read_point_settings(const std::string& dir, const point_row& p) {
    const std::string file = (fs::path(dir) / p.settings_file()).string();
    const std::string text = read_study_file(file);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (text.empty() || !j.is_object()) return std::nullopt;
    try {  // checked against the network and size the file itself names
        return read_settings(text, j.value("network", ""), j.value("params", std::size_t(0)), file);
    } catch (const settings_error&) {
        return std::nullopt;
    }
}

std::optional<double> point_state::best_value(const std::string& metric) const {
    for (const auto& [k, v] : best)
        if (k == metric) return v;
    return std::nullopt;
}

point_state read_point_state(const std::string& dir, const point_row& p) {
    point_state st;
    const fs::path run = fs::path(dir) / p.run_dir();
    auto text = read_study_file(run / "result.json");
    if (text.empty()) {
        if (fs::exists(run / "resume.bin")) st.status = "interrupted";
        return st;
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) {
        st.status = "failed";
        st.message = (run / "result.json").string() + " is not valid JSON";
        return st;
    }
    st.status = j.value("status", "failed");
    st.message = j.value("message", "");
    st.overrides = j.value("overrides", "");
    st.runtime = j.value("runtime", "");
    if (j.contains("select") && j["select"].is_object()) {
        st.select_metric = j["select"].value("metric", "loss");
        st.select_max = j["select"].value("goal", "min") == "max";
    }
    if (j.contains("best") && j["best"].is_object()) {
        st.best_step = j["best"].value("step", -1L);
        st.best = metric_list(j["best"]);
        if (const auto& c = j["best"].value("confusion", nlohmann::json()); c.is_array())
            for (const auto& row : c) {
                st.confusion.emplace_back();
                if (row.is_array())
                    for (const auto& v : row) st.confusion.back().push_back(v.is_number() ? v.get<long>() : 0);
            }
    }
    if (j.contains("test")) st.test = metric_list(j["test"]);
    st.wall_seconds = j.value("wall_seconds", 0.0);
    st.threads = j.value("threads", 1);
    st.samples_per_second = j.value("samples_per_second", 0.0);
    st.steps = j.value("steps", 0L);
    st.total_steps = j.value("total_steps", 0L);
    return st;
}

std::vector<outside_result> results_outside_grid(const study_dir& s) {
    std::vector<outside_result> out;
    std::set<std::string> owned;
    for (const auto& p : s.points) owned.insert(p.identity);
    std::error_code ec;
    std::vector<fs::path> folders;
    for (const auto& e : fs::directory_iterator(fs::path(s.path) / "results", ec))
        if (e.is_directory() && !owned.count(e.path().filename().string())) folders.push_back(e.path());
    std::sort(folders.begin(), folders.end());
    for (const auto& f : folders) {
        outside_result r;
        r.row.identity = f.filename().string();
        auto settings = nlohmann::json::parse(read_study_file(f / "settings.json"), nullptr, false);
        if (settings.is_object()) {
            r.row.name = settings.value("point", "");
            r.row.id = settings.value("point_id", std::size_t(0));
            r.row.params = settings.value("params", std::size_t(0));
            if (settings.contains("axes") && settings["axes"].is_array())
                for (const auto& a : settings["axes"]) r.row.axis_values.push_back(a.value("name", "") + "=" + a.value("value", ""));
        }
        r.state = read_point_state(s.path, r.row);
        if (r.state.status == "pending") continue;  // nothing there (a folder made for a point never trained)
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<point_row> select_points(const study_dir& s, const std::string& list) {
    const std::size_t n = s.points.size();
    const std::string ids = n ? "0-" + std::to_string(n - 1) : "none";
    auto as_id = [](const std::string& t, std::size_t& out) {
        if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 9) return false;
        out = std::stoul(t);
        return true;
    };
    std::vector<bool> chosen(n, false);
    std::size_t from = 0;
    while (from <= list.size()) {
        std::size_t comma = list.find(',', from);
        if (comma == std::string::npos) comma = list.size();
        std::string item = list.substr(from, comma - from);
        from = comma + 1;
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item.empty()) continue;
        // a name, an id, or a range of ids [a, b] (empty when the item is none of these)
        std::size_t a = 1, b = 0, lo = 0, hi = 0;
        const auto dash = item.find('-');
        if (as_id(item, lo)) a = b = lo;
        else if (dash != std::string::npos && as_id(item.substr(0, dash), lo) && as_id(item.substr(dash + 1), hi))
            a = lo, b = hi;
        if (a <= b && b >= n)  // refused whole, not clipped to the grid
            throw std::runtime_error("'" + item + "' goes past the points of study " + s.study + ": its ids are " + ids);
        bool any = false;
        for (std::size_t i = 0; i < n; ++i) {
            const point_row& p = s.points[i];
            if (p.name == item || (a <= p.id && p.id <= b)) chosen[i] = any = true;
        }
        if (!any) {
            throw std::runtime_error("'" + item + "' is not a point of study " + s.study + ": give names (" +
                                     (n ? s.points.front().name : std::string("none")) + "), ids or id ranges within " +
                                     ids + ", separated by commas");
        }
    }
    std::vector<point_row> out;
    for (std::size_t i = 0; i < n; ++i)
        if (chosen[i]) out.push_back(s.points[i]);
    if (out.empty()) throw std::runtime_error("no point chosen: give names, ids or id ranges within " + ids);
    return out;
}

}  // namespace hps
