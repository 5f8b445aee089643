#include "dsl/data_check.hpp"

#include <hps/dataset.hpp>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace hps {

namespace fs = std::filesystem;

namespace {

using tag = x3::position_tagged;

bool kept_as_written(const std::string& path) {
    return path.empty() || path.front() == '/' || path.rfind("idx:", 0) == 0;
}

// The statement's string, or the statement where the string has no position.
const tag& string_node(const ast::statement& st) {
    const ast::value& v = *st.positional;
    if (v.id_first >= 0) return v;
    if (auto* s = boost::get<ast::scalar>(&v.get()))
        if (auto* str = boost::get<ast::string_lit>(&s->get()); str && str->id_first >= 0) return *str;
    return st;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    if (from.empty() || from == to) return;
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
}

// The files of a data path as a trainer working in `folder` ("" for here) takes it apart
// (load_dataset), and the path it opens: "file.h5:/x,/y" or "inputs,targets" unless the
// whole path is a file.
struct opened_path {
    std::vector<std::string> files;
    std::string path;
};
opened_path files_of(const std::string& folder, const std::string& path) {
    const auto in = [&](const std::string& p) { return folder.empty() || p.empty() || p.front() == '/' ? p : folder + "/" + p; };
    const std::size_t comma = path.find(',');
    if (io_detail::file_exists(in(path))) return {{in(path)}, in(path)};
    if (const std::optional<h5_path> h5 = h5_path_of(path)) return {{in(h5->file)}, in(h5->file) + path.substr(h5->file.size())};
    if (comma == std::string::npos) return {{in(path)}, in(path)};
    const std::string x = in(path.substr(0, comma)), y = in(path.substr(comma + 1));
    return {{x, y}, x + "," + y};
}

// What is wrong with the data a trainer in `folder` reads from `path`, for `spec`, in the
// runtime's words with the paths as the user reads them; "" when a trainer would take it.
std::string data_problem(const std::string& folder, const std::string& path, const data_spec& spec,
                         const std::string& missing_hint) {
    const auto shown = [](const std::string& p) { return fs::path(p).lexically_normal().generic_string(); };
    const opened_path opened = files_of(folder, path);
    const std::vector<std::string>& files = opened.files;
    for (const std::string& f : files) {
        std::error_code ec;
        if (!fs::exists(f, ec)) return shown(f) + ": no such file; " + missing_hint;
    }
    try {
        load_dataset(opened.path, spec);
        return "";
    } catch (const std::exception& e) {  // data_error; anything else is said all the same
        std::string message = e.what();
        for (const std::string& f : files) replace_all(message, f, shown(f));
        return message;
    }
}

}  // namespace

std::string prefixed_data_path(const std::string& path, const std::string& prefix) {
    if (const std::optional<h5_path> h5 = h5_path_of(path))  // "file.h5:/x,/y": the file alone
        return (kept_as_written(h5->file) ? h5->file : prefix + h5->file) + path.substr(h5->file.size());
    std::string out;
    std::size_t from = 0;
    for (;;) {  // each part of "x.npy,y.npy" on its own
        const std::size_t comma = path.find(',', from);
        const std::string part = path.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        out += kept_as_written(part) ? part : prefix + part;
        if (comma == std::string::npos) return out;
        out += ',';
        from = comma + 1;
    }
}

void check_data(const source& src, const ast::study_file& file, const study& s, const data_location& where,
                diagnostics& diags) {
    if (s.points.empty()) return;
    const grid_point& p = s.points.front();  // the data block holds no axis: every point reads the same data
    const data_spec spec = data_spec_of(p.config, p.input);
    for (const ast::item& item : file.items) {
        const auto* b = boost::get<ast::block>(&item.get());
        if (!b || b->name.name != "data") continue;
        for (const ast::statement& st : b->statements) {
            const std::string& which = st.head.name;
            if ((which != "train" && which != "validation" && which != "test") || !st.positional) continue;
            const std::string written =
                which == "train" ? p.config.train : which == "validation" ? p.config.validation : p.config.test;
            if (written.empty()) continue;
            const std::string opened = where.trainer_path ? where.trainer_path(which, written) : written;
            if (opened.empty()) continue;
            std::string problem = data_problem(where.folder, opened, spec, where.missing_hint);
            if (!problem.empty()) diags.error(src, string_node(st), std::move(problem));
        }
    }
}

std::optional<data_header> read_data_header(const std::string& path, const grid_point& p) {
    try {
        const data_spec spec = data_spec_of(p.config, p.input);
        const dataset_files f = open_dataset(path, spec);
        const std::size_t y = spec.target == target_kind::regression ? std::size_t(spec.outputs) : 1;
        return data_header{std::size_t(f.x_shape.at(0)), std::size_t(f.x_size) + y};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace hps
