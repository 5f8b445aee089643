#include "generator/halving.hpp"

#include "dsl/study.hpp"

#include <hps/io.hpp>
#include <hps/train/metrics_csv.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace hps {

namespace fs = std::filesystem;

std::optional<double> validation_value_at(const std::string& run_folder, const std::string& metric, long step) {
    std::istringstream in(read_study_file((fs::path(run_folder) / "metrics.csv").string()));
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    const auto header = train_detail::split_csv(line);
    const auto col = std::find(header.begin(), header.end(), metric);
    if (col == header.end()) return std::nullopt;
    const std::size_t k = std::size_t(col - header.begin());
    const std::string at = std::to_string(step);
    while (std::getline(in, line)) {
        const auto cells = train_detail::split_csv(line);
        if (cells.size() <= k || cells[0] != at || cells[1] != "validation") continue;
        char* end = nullptr;
        const double v = std::strtod(cells[k].c_str(), &end);
        if (end == cells[k].c_str() || !std::isfinite(v)) return std::nullopt;
        return v;
    }
    return std::nullopt;
}

rung_record rank_rung(const study_dir& s, const std::vector<point_row>& points, long steps, std::size_t promote) {
    rung_record r;
    r.steps = steps;
    for (const auto& p : points) {
        rung_point rp;
        rp.name = p.name;
        rp.identity = p.identity;
        rp.id = p.id;
        if (auto v = validation_value_at((fs::path(s.path) / p.run_dir()).string(), s.select_metric, steps)) {
            rp.value = *v;
            rp.reached = true;
        }
        r.points.push_back(std::move(rp));
    }
    std::stable_sort(r.points.begin(), r.points.end(), [&](const rung_point& a, const rung_point& b) {
        if (a.reached != b.reached) return a.reached;
        if (a.reached && a.value != b.value) return s.select_max ? a.value > b.value : a.value < b.value;
        return a.id < b.id;
    });
    for (std::size_t i = 0; i < r.points.size() && i < promote; ++i) r.points[i].promoted = r.points[i].reached;
    return r;
}

std::size_t rung_promotes(const study_dir& s, std::size_t rung, std::size_t n) {
    if (rung + 1 >= s.rungs.size()) return 0;
    return halving_promoted(n, s.eta);
}

std::vector<point_row> promoted_points(const study_dir& s, const rung_record& r) {
    std::vector<point_row> out;
    for (const auto& p : r.points)
        if (p.promoted)
            for (const auto& row : s.points)
                if (row.identity == p.identity) out.push_back(row);
    return out;
}

std::vector<rung_record> rank_rungs(const study_dir& s, std::size_t last) {
    std::vector<rung_record> out;
    std::vector<point_row> survivors = s.points;
    for (std::size_t r = 0; r <= last && r < s.rungs.size() && !survivors.empty(); ++r) {
        out.push_back(rank_rung(s, survivors, s.rungs[r], rung_promotes(s, r, survivors.size())));
        survivors = promoted_points(s, out.back());
    }
    return out;
}

void write_halving_state(const study_dir& s, const std::vector<rung_record>& rungs) {
    json_writer w;
    w.begin_object().member("eta", s.eta).member("metric", s.select_metric).member("goal", s.select_max ? "max" : "min");
    w.key("rungs").begin_array();
    for (const auto& r : rungs) {
        w.begin_object().member("steps", r.steps).key("points").begin_array();
        for (const auto& p : r.points) {
            w.begin_object().member("name", p.name).member("id", p.id).member("identity", p.identity);
            w.key("value");
            if (p.reached) w.value(p.value);
            else w.null();
            w.member("promoted", p.promoted).end_object();
        }
        w.end_array().end_object();
    }
    w.end_array().end_object();
    write_file_atomic((fs::path(s.path) / "halving.json").string(), w.str() + "\n");

    // each point's history, by identity, into its result.json
    std::map<std::string, nlohmann::json> history;
    for (std::size_t r = 0; r < rungs.size(); ++r) {
        const auto& points = rungs[r].points;
        for (std::size_t k = 0; k < points.size(); ++k) {
            const rung_point& p = points[k];
            nlohmann::json& h = history[p.identity];
            h["eta"] = s.eta;
            h["metric"] = s.select_metric;
            nlohmann::json entry = {{"rung", r + 1}, {"steps", rungs[r].steps}, {"rank", k + 1},
                                    {"of", points.size()}, {"promoted", p.promoted}};
            entry["value"] = p.reached ? nlohmann::json(p.value) : nlohmann::json(nullptr);
            h["rungs"].push_back(entry);
            // the last rung promotes no one: its points ended, not stopped
            h["stopped_at_rung"] = !p.promoted && r + 1 < s.rungs.size() ? nlohmann::json(r + 1) : nlohmann::json(nullptr);
        }
    }
    for (auto& [identity, h] : history) {
        const fs::path file = fs::path(s.path) / "results" / identity / "result.json";
        auto j = nlohmann::json::parse(read_study_file(file.string()), nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;  // a failed point without a result
        if (j.contains("halving") && j["halving"] == h) continue;
        j["halving"] = h;
        write_file_atomic(file.string(), j.dump(2) + "\n");
    }
}

std::vector<rung_record> read_halving_state(const std::string& dir) {
    std::vector<rung_record> out;
    auto j = nlohmann::json::parse(read_study_file((fs::path(dir) / "halving.json").string()), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("rungs") || !j["rungs"].is_array()) return out;
    for (const auto& jr : j["rungs"]) {
        rung_record r;
        r.steps = jr.value("steps", 0L);
        if (jr.contains("points") && jr["points"].is_array())
            for (const auto& jp : jr["points"]) {
                rung_point p;
                p.name = jp.value("name", "");
                p.id = jp.value("id", std::size_t(0));
                p.identity = jp.value("identity", "");
                p.reached = jp.contains("value") && jp["value"].is_number();
                if (p.reached) p.value = jp["value"].get<double>();
                p.promoted = jp.value("promoted", false);
                r.points.push_back(std::move(p));
            }
        out.push_back(std::move(r));
    }
    return out;
}

std::map<std::string, std::string> halved_points(const study_dir& s) {
    std::map<std::string, std::string> out;
    const auto rungs = read_halving_state(s.path);
    // a rung ranked is final: its points not promoted stop there (the last rung promotes none)
    for (std::size_t r = 0; r < rungs.size() && r + 1 < s.rungs.size(); ++r) {
        const auto& points = rungs[r].points;
        for (std::size_t k = 0; k < points.size(); ++k)
            if (!points[k].promoted)
                out[points[k].identity] = "stopped at rung " + std::to_string(r + 1) + " of " +
                                          std::to_string(s.rungs.size()) + " (" + std::to_string(rungs[r].steps) +
                                          " steps): " + (points[k].reached ? "ranked " + std::to_string(k + 1) : "not ranked") +
                                          " of " + std::to_string(points.size()) + " by " + (s.select_max ? "max " : "min ") +
                                          s.select_metric;
    }
    return out;
}

}  // namespace hps
