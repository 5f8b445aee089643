// CSV tables of numbers: a header row of column names, then one row of numbers per sample.
//
// Cells are separated by commas; spaces around a cell and a pair of double quotes around a
// name are dropped; "\r\n" line ends are taken; blank lines are skipped. A cell is a
// number as strtod reads it in the C locale ("1e-3", "nan" and "inf" too: dataset.hpp
// refuses those with a count). Anything else, an empty cell, or a row with another count
// of cells than the header is a data_error naming the file, line and column.
//
// A table is read whole, once, as float64; columns are picked by name
// (`columns("a,b")`), in the order named. A first row of numbers is taken for names
// ("2019,2020") unless a target is then missing: that file has no header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <hps/io.hpp>
#include <hps/npy.hpp>

namespace hps {

class csv_table {
public:
    explicit csv_table(std::string path) : path_(std::move(path)) {
        const io_detail::file_ptr f = io_detail::open_for_reading(path_);
        std::string text;
        char block[1 << 16];
        for (std::size_t got; (got = std::fread(block, 1, sizeof block, f.get())) > 0;) text.append(block, got);
        if (std::ferror(f.get())) throw data_error(path_ + ": read error");
        parse(text);
    }

    const std::string& path() const { return path_; }
    const std::vector<std::string>& names() const { return names_; }
    std::int64_t rows() const { return std::int64_t(values_.size() / (names_.empty() ? 1 : names_.size())); }

    // The indices of the columns named in `list` ("a,b"), in that order; a data_error
    // lists the columns present for a name that is not one of them.
    std::vector<std::size_t> columns(std::string_view list) const {
        std::vector<std::size_t> out;
        for (const std::string& name : split(list)) {
            std::size_t k = 0;
            while (k < names_.size() && names_[k] != name) ++k;
            if (k == names_.size()) {
                if (looks_numeric_header())  // years as names are fine, as long as the targets are found
                    throw data_error(path_ + ":1: the first row is numbers; a CSV file for hpsgen starts with a row naming "
                                             "its columns (the target columns are found by name)");
                std::string present;
                for (const std::string& n : names_) present += (present.empty() ? "'" : ", '") + n + "'";
                throw data_error(path_ + ": has no column '" + name + "'; its header names " + present +
                                 ". Name the spec's target columns, e.g. target_columns \"" + names_.back() + "\"");
            }
            out.push_back(k);
        }
        return out;
    }

    // Every column that is not one of `excluded`, in file order.
    std::vector<std::size_t> columns_except(const std::vector<std::size_t>& excluded) const {
        std::vector<std::size_t> out;
        for (std::size_t k = 0; k < names_.size(); ++k)
            if (std::find(excluded.begin(), excluded.end(), k) == excluded.end()) out.push_back(k);
        return out;
    }

    // The columns `cols` of every row, row after row, as T, multiplied by `scale` unless it
    // is 1 (in double, as npy.hpp converts float64).
    template <class T> std::vector<T> values(const std::vector<std::size_t>& cols, double scale = 1.0) const {
        const std::size_t width = names_.size();
        std::vector<T> out;
        out.reserve(std::size_t(rows()) * cols.size());
        for (std::size_t r = 0; r < std::size_t(rows()); ++r)
            for (const std::size_t c : cols) {
                const double v = values_[r * width + c];
                out.push_back(scale == 1.0 ? static_cast<T>(v) : static_cast<T>(v * scale));
            }
        return out;
    }

    // "a,b" -> {"a", "b"}, each trimmed.
    static std::vector<std::string> split(std::string_view list) {
        std::vector<std::string> out;
        std::size_t from = 0;
        for (;;) {
            const std::size_t comma = list.find(',', from);
            out.push_back(trim(list.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from)));
            if (comma == std::string_view::npos) return out;
            from = comma + 1;
        }
    }

private:
    static std::string trim(std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
        return std::string(s);
    }

    void parse(const std::string& text) {
        std::size_t line_no = 0, at = 0;
        while (at < text.size()) {
            const std::size_t end = std::min(text.find('\n', at), text.size());
            const std::string_view line(text.data() + at, end - at);
            at = end + 1;
            ++line_no;
            if (trim(line).empty()) continue;
            const std::vector<std::string> cells = split(line);
            if (names_.empty()) {
                for (std::string name : cells) {
                    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
                    if (name.empty())
                        throw data_error(path_ + ":" + std::to_string(line_no) + ": the header row has an empty column name; "
                                         "a CSV file starts with a row naming its columns");
                    names_.push_back(name);
                }
                continue;
            }
            if (cells.size() != names_.size())
                throw data_error(path_ + ":" + std::to_string(line_no) + ": has " + std::to_string(cells.size()) +
                                 " cells but the header names " + std::to_string(names_.size()) + " columns");
            for (std::size_t k = 0; k < cells.size(); ++k) {
                const std::string& cell = cells[k];
                char* stop = nullptr;
                const double v = cell.empty() ? 0.0 : std::strtod(cell.c_str(), &stop);
                if (cell.empty() || stop != cell.c_str() + cell.size())
                    throw data_error(path_ + ":" + std::to_string(line_no) + ": column " + std::to_string(k + 1) + " ('" +
                                     names_[k] + "') holds " + (cell.empty() ? "nothing" : "'" + cell + "'") +
                                     ", not a number; a CSV file for hpsgen holds numbers only below its header "
                                     "(encode categories as numbers)");
                values_.push_back(v);
            }
        }
        if (names_.empty()) throw data_error(path_ + ": is empty; a CSV file starts with a row naming its columns");
        if (values_.empty()) throw data_error(path_ + ": has a header but no rows of numbers");
    }

    bool looks_numeric_header() const {
        for (const std::string& n : names_) {
            char* stop = nullptr;
            std::strtod(n.c_str(), &stop);
            if (stop != n.c_str() + n.size()) return false;
        }
        return true;
    }

    std::string path_;
    std::vector<std::string> names_;
    std::vector<double> values_;  // (rows, columns), row-major
};

}  // namespace hps
