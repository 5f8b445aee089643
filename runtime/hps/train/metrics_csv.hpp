// metrics.csv, a run folder's history: a header (step, split, loss, every metric,
// elapsed_s) and one row per training interval, validation and test evaluation. The
// trainer writes it (hps/train/trainer.hpp); a longer run continuing a shorter one reads
// it back (hps/train/continuation.hpp). Light: no Eigen, so hpsgen includes it too.
#pragma once

#include "hps/io.hpp"

#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace hps::train_detail {

// A named set of metric values, in the order the spec lists them.
using metric_values = std::vector<std::pair<std::string, double>>;
using confusion_matrix = std::vector<std::vector<long>>;

inline double find_metric(const metric_values& v, const std::string& name) {
    for (const auto& [k, x] : v)
        if (k == name) return x;
    return std::numeric_limits<double>::quiet_NaN();
}

// ------------------------------------------------------------------ metrics.csv
// The row of a training interval: its mean loss, no metrics. columns: the loss and the
// metrics' columns; history rows end in a newline.
inline std::string train_row(long step, double loss, std::size_t columns, double elapsed) {
    std::string row = csv_row().field(step).field("train").field(loss).str();
    row.pop_back();
    for (std::size_t k = 1; k < columns; ++k) row += ",";
    row += "," + format_number(elapsed) + "\n";
    return row;
}

// The row of an evaluation ("validation" or "test"): the loss and every metric's column.
inline std::string evaluation_row(long step, const char* split, const std::vector<std::string>& columns,
                                  const metric_values& values, double elapsed) {
    std::string row = csv_row().field(step).field(split).str();
    row.pop_back();
    for (const auto& col : columns) row += "," + format_number(find_metric(values, col));
    row += "," + format_number(elapsed) + "\n";
    return row;
}

inline void write_metrics_csv(const std::string& file, const std::vector<std::string>& columns,
                              const std::string& history) {
    std::string header = "step,split";
    for (const auto& col : columns) {  // appended piecewise: GCC 12 warns wrongly on "," + string
        header += ',';
        header += csv_quote(col);
    }
    header += ",elapsed_s\n";
    header += history;
    write_file_atomic(file, header);
}

// The cells of one metrics.csv line (a quoted cell may hold commas; quotes are dropped).
inline std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    bool quoted = false;
    for (char ch : line) {
        if (ch == '"') quoted = !quoted;
        else if (ch == ',' && !quoted) out.push_back(std::move(cell)), cell.clear();
        else cell += ch;
    }
    out.push_back(cell);
    return out;
}

}  // namespace hps::train_detail
