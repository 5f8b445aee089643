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

rung_record rank_rung(const study_dir& s, const std::vector<point_row>& points, std::size_t bracket, std::size_t rung) {
    rung_record r;
    r.bracket = bracket;
    r.rung = rung;
    r.steps = rung < s.rungs.size() ? s.rungs[rung] : 0;
    struct group {
        std::vector<rung_point> runs;
        double sum = 0;
        std::size_t reached = 0, first = 0;
    };
    std::map<std::size_t, group> groups;  // by configuration
    for (const auto& p : points) {
        rung_point rp;
        rp.name = p.name;
        rp.identity = p.identity;
        rp.id = p.id;
        rp.configuration = p.configuration;
        if (auto v = validation_value_at((fs::path(s.path) / p.run_dir()).string(), s.select_metric, r.steps)) {
            rp.value = *v;
            rp.reached = true;
        }
        group& g = groups[p.configuration];
        if (g.runs.empty() || p.id < g.first) g.first = p.id;
        if (rp.reached) {
            g.sum += rp.value;
            ++g.reached;
        }
        g.runs.push_back(std::move(rp));
    }
    std::vector<group*> order;
    for (auto& [c, g] : groups) {
        std::sort(g.runs.begin(), g.runs.end(), [](const rung_point& a, const rung_point& b) { return a.id < b.id; });
        order.push_back(&g);
    }
    auto mean = [](const group* g) { return g->sum / double(g->reached); };
    std::sort(order.begin(), order.end(), [&](const group* a, const group* b) {
        if ((a->reached > 0) != (b->reached > 0)) return a->reached > 0;
        if (a->reached && mean(a) != mean(b)) return s.select_max ? mean(a) > mean(b) : mean(a) < mean(b);
        return a->first < b->first;
    });
    r.configurations = order.size();
    const std::size_t promote = rung_promotes(s, rung, order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        group* g = order[k];
        for (auto& rp : g->runs) {
            if (g->reached) {
                rp.mean = mean(g);
                rp.rank = k + 1;
            }
            rp.promoted = rp.reached && k < promote;
            r.points.push_back(std::move(rp));
        }
    }
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

std::vector<rung_record> rank_rungs(const study_dir& s, std::size_t bracket, std::size_t last) {
    std::vector<rung_record> out;
    std::vector<point_row> survivors = s.bracket_points(bracket);
    for (std::size_t r = bracket; r <= last && r < s.rungs.size() && !survivors.empty(); ++r) {
        out.push_back(rank_rung(s, survivors, bracket, r));
        survivors = promoted_points(s, out.back());
    }
    return out;
}

std::vector<rung_record> rank_brackets(const study_dir& s, const std::vector<std::size_t>& counts) {
    std::vector<rung_record> out;
    for (std::size_t b = 0; b < counts.size() && b < s.brackets; ++b) {
        if (counts[b] == 0) continue;
        auto ranked = rank_rungs(s, b, b + counts[b] - 1);
        out.insert(out.end(), ranked.begin(), ranked.end());
    }
    return out;
}

std::vector<std::size_t> ranked_counts(const study_dir& s, const std::vector<rung_record>& rungs) {
    std::vector<std::size_t> out(s.brackets, 0);
    for (const auto& r : rungs)
        if (r.bracket < out.size()) ++out[r.bracket];
    return out;
}

std::optional<halving_winner> winner_of(const study_dir& s, const std::vector<rung_record>& rungs) {
    if (s.rungs.empty()) return std::nullopt;
    std::vector<bool> ended(s.brackets, false);
    std::optional<halving_winner> best;
    for (const auto& r : rungs) {
        if (r.rung + 1 != s.rungs.size() || r.bracket >= s.brackets) continue;
        ended[r.bracket] = true;
        if (r.points.empty() || r.points.front().rank != 1) continue;  // no run reached max_steps
        halving_winner w;
        w.bracket = r.bracket;
        w.value = r.points.front().mean;
        for (const auto& p : r.points)
            if (p.rank == 1 && p.reached) w.names.push_back(p.name);
        // ties: the lower bracket, the first seen
        if (!best || (s.select_max ? w.value > best->value : w.value < best->value)) best = w;
    }
    if (std::find(ended.begin(), ended.end(), false) != ended.end()) return std::nullopt;
    return best;
}

std::string rung_label(const study_dir& s, std::size_t bracket, std::size_t rung) {
    const std::size_t n = s.bracket_rungs(bracket);
    std::string out = "rung " + std::to_string(rung - bracket + 1) + " of " + std::to_string(n);
    if (s.brackets > 1) out = "bracket " + std::to_string(bracket + 1) + " of " + std::to_string(s.brackets) + ", " + out;
    return out;
}

void write_halving_state(const study_dir& s, const std::vector<rung_record>& rungs) {
    json_writer w;
    w.begin_object().member("eta", s.eta).member("metric", s.select_metric).member("goal", s.select_max ? "max" : "min");
    if (s.brackets > 1) w.member("brackets", s.brackets);
    if (s.grouped) w.member("ranked_by", "configuration mean");
    w.key("rungs").begin_array();
    for (const auto& r : rungs) {
        w.begin_object();
        if (s.brackets > 1) w.member("bracket", r.bracket + 1);
        w.member("rung", r.rung - r.bracket + 1).member("steps", r.steps);
        if (s.grouped) w.member("configurations", r.configurations);
        w.key("points").begin_array();
        for (const auto& p : r.points) {
            w.begin_object().member("name", p.name).member("id", p.id).member("identity", p.identity);
            w.key("value");
            if (p.reached) w.value(p.value);
            else w.null();
            if (s.grouped) {
                w.member("configuration", p.configuration).key("mean");
                if (p.rank) w.value(p.mean);
                else w.null();
                w.member("rank", p.rank);
            }
            w.member("promoted", p.promoted).end_object();
        }
        w.end_array().end_object();
    }
    w.end_array();
    if (const auto win = winner_of(s, rungs)) {
        w.key("winner").begin_object();
        if (s.brackets > 1) w.member("bracket", win->bracket + 1);
        w.key("points").begin_array();
        for (const auto& n : win->names) w.value(n);
        w.end_array().member("value", win->value).end_object();
    }
    w.end_object();
    write_file_atomic((fs::path(s.path) / "halving.json").string(), w.str() + "\n");

    // each point's history, by identity, into its result.json
    std::map<std::string, nlohmann::json> history;
    for (const auto& rr : rungs) {
        const auto& points = rr.points;
        for (std::size_t k = 0; k < points.size(); ++k) {
            const rung_point& p = points[k];
            nlohmann::json& h = history[p.identity];
            h["eta"] = s.eta;
            h["metric"] = s.select_metric;
            if (s.brackets > 1) h["bracket"] = rr.bracket + 1;
            // the rank of the point, or with a run axis of its configuration (by the mean)
            const std::size_t rank = s.grouped ? p.rank : k + 1;
            nlohmann::json entry = {{"rung", rr.rung - rr.bracket + 1}, {"steps", rr.steps},
                                    {"rank", rank ? nlohmann::json(rank) : nlohmann::json(nullptr)},
                                    {"of", s.grouped ? rr.configurations : points.size()}, {"promoted", p.promoted}};
            entry["value"] = p.reached ? nlohmann::json(p.value) : nlohmann::json(nullptr);
            if (s.grouped) entry["mean"] = p.rank ? nlohmann::json(p.mean) : nlohmann::json(nullptr);
            h["rungs"].push_back(entry);
            // the last rung promotes no one: its points ended, not stopped
            h["stopped_at_rung"] = !p.promoted && rr.rung + 1 < s.rungs.size()
                                       ? nlohmann::json(rr.rung - rr.bracket + 1)
                                       : nlohmann::json(nullptr);
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
    std::size_t position = 0, bracket_before = 0;  // a file of an older hpsgen: no bracket or rung
    for (const auto& jr : j["rungs"]) {
        rung_record r;
        r.bracket = jr.value("bracket", std::size_t(1)) - 1;
        if (r.bracket != bracket_before) position = 0;
        bracket_before = r.bracket;
        r.rung = r.bracket + jr.value("rung", position + 1) - 1;
        ++position;
        r.steps = jr.value("steps", 0L);
        if (jr.contains("points") && jr["points"].is_array())
            for (const auto& jp : jr["points"]) {
                rung_point p;
                p.name = jp.value("name", "");
                p.id = jp.value("id", std::size_t(0));
                p.identity = jp.value("identity", "");
                p.reached = jp.contains("value") && jp["value"].is_number();
                if (p.reached) p.value = jp["value"].get<double>();
                p.configuration = jp.value("configuration", p.id);  // without a run axis: its own
                p.mean = jp.contains("mean") && jp["mean"].is_number() ? jp["mean"].get<double>() : p.value;
                p.promoted = jp.value("promoted", false);
                r.points.push_back(std::move(p));
            }
        // without a run axis each point is its configuration, ranked in the file's order
        const bool grouped = j.contains("ranked_by");
        r.configurations = grouped ? jr.value("configurations", std::size_t(0)) : r.points.size();
        const auto& jp = jr["points"];
        for (std::size_t k = 0; k < r.points.size(); ++k) {
            rung_point& p = r.points[k];
            p.rank = grouped ? jp[k].value("rank", std::size_t(0)) : p.reached ? k + 1 : 0;
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::map<std::string, std::string> halved_points(const study_dir& s) {
    std::map<std::string, std::string> out;
    const auto rungs = read_halving_state(s.path);
    // a rung ranked is final: its points not promoted stop there (the last rung promotes none)
    for (const auto& rr : rungs) {
        if (rr.rung + 1 >= s.rungs.size()) continue;
        const auto& points = rr.points;
        const std::size_t of = s.grouped ? rr.configurations : points.size();
        for (std::size_t k = 0; k < points.size(); ++k) {
            if (points[k].promoted) continue;
            const std::size_t rank = s.grouped ? points[k].rank : k + 1;
            out[points[k].identity] =
                "stopped at " + rung_label(s, rr.bracket, rr.rung) + " (" + std::to_string(rr.steps) +
                " steps): " + (points[k].reached && rank ? "ranked " + std::to_string(rank) : "not ranked") + " of " +
                std::to_string(of) + (s.grouped ? " configurations" : "") + " by " + (s.select_max ? "max " : "min ") +
                s.select_metric + (s.grouped ? " (its runs' mean)" : "");
        }
    }
    return out;
}

}  // namespace hps
