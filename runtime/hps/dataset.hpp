// In-memory datasets: loaded once, checked against the spec, split with a seeded shuffle.
//
// Layout: x is (x_size, n) column-major, so sample i is the x_size floats at
// x.data() + i * x_size, in the C order of the file's per-sample shape (channels last:
// (H, W, C) -> ((h * W) + w) * C + c); y is (y_size, n) the same way. A batch of B
// consecutive samples is thus an (x_size, B) column block.
//
// Targets, by kind:
//   regression, K outputs: y of shape (N, K), or (N,) when K is 1; y_size = K.
//   classes, K classes:    class indices (N,) or (N, 1), integers in [0, K) (stored as
//                          integers or as integral floats), or one-hot rows (N, K);
//                          stored as the class index (a float), y_size = 1.
//   binary:                (N,) or (N, 1) of 0 and 1 (bool, integers or floats); y_size = 1.
//
// Where the data is (the `path` of load_dataset), by the file's first bytes, not its name:
//   "data/train.npz"                    an .npz with arrays x and y (names from the spec)
//   "data/x.npy,data/y.npy"             two files, inputs then targets: .npy or IDX each
//   ".../train-images-idx3-ubyte.gz"    an IDX images file; its labels are the file of the
//                                       same name with "images-idx3" replaced by
//                                       "labels-idx1" (the MNIST naming), same folder,
//                                       with or without ".gz"
//   "data/train.h5"                     an HDF5 file with datasets /x and /y (names from the spec)
//   "data/all.h5:/train/x,/train/y"     an HDF5 file and its two datasets, inputs then targets
//   "data/train.csv"                    a CSV table (csv.hpp): the columns named by y_name
//                                       (comma-separated) are the targets, every other
//                                       column an input, in file order
// A path that exists as a file is never split at its comma or its ":/". A trainer reads
// HDF5 only when built with HPS_HDF5, which a study's CMakeLists.txt sets when one of its
// data paths is hdf5_named (a name ending in .h5, .hdf5 or .he5, or the ":/" spelling).
//
// Checks, each a data_error naming the file and the fix (`hpsgen check` runs them all,
// through load_dataset, before anything builds). From the headers alone (open_dataset; a
// CSV table is read whole there, having no header of sizes): the files' formats, element
// types and sizes, the input's per-sample shape (a trailing dimension of 1 may be left out
// on either side: (N, 28, 28) is 28 x 28 x 1; a flat (N, 784) only with allow_flat),
// sample counts of x and y, target shapes. From the values (load_dataset): NaN or
// infinite inputs and targets (all counted, the first located), class indices out of
// range, non-one-hot rows, non-binary values.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <hps/core.hpp>
#include <hps/idx.hpp>
#include <hps/config.hpp>
#include <hps/csv.hpp>
#include <hps/hdf5.hpp>
#include <hps/io.hpp>
#include <hps/npy.hpp>
#include <hps/npz.hpp>

namespace hps {

struct data_spec {
    std::vector<int> input;  // per-sample shape, channels last: {28, 28, 1}, {15, 1}, {30}
    target_kind target = target_kind::regression;
    int outputs = 1;  // regression: outputs per sample; classes: K; binary: 1
    double scale = 1;  // inputs are multiplied by this on loading (1.0 / 255 for bytes)
    std::string x_name = "x", y_name = "y";  // array names in an .npz
    bool allow_flat = false;  // accept any per-sample shape with as many values as `input`
};

struct dataset {
    int n = 0;  // samples
    int x_size = 0;  // values per sample: the product of the spec's input
    int y_size = 0;  // regression: outputs; classes and binary: 1
    std::vector<float> x;  // (x_size, n): sample i at x.data() + i * x_size
    std::vector<float> y;  // (y_size, n)
    std::string source;  // where it was loaded from, for messages

    const float* sample(int i) const { return x.data() + std::size_t(i) * std::size_t(x_size); }
    const float* target(int i) const { return y.data() + std::size_t(i) * std::size_t(y_size); }
};

enum class data_format { npz, npy, idx, hdf5, csv, unknown };

// The format of a file from its first bytes: ZIP (PK) -> npz, \x93NUMPY -> npy, gzip or
// 00 00 with an IDX type byte -> idx, \x89HDF\r\n\x1a\n -> hdf5 (a file with a user block
// before its signature is not recognised); a text file has no signature: a name ending in
// .csv -> csv.
inline data_format detect_format(const std::string& path) {
    io_detail::file_ptr f = io_detail::open_for_reading(path);
    unsigned char m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const std::size_t got = std::fread(m, 1, 8, f.get());
    if (got == 8 && std::memcmp(m, "\x89HDF\r\n\x1a\n", 8) == 0) return data_format::hdf5;
    if (got >= 4 && m[0] == 'P' && m[1] == 'K' && ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6))) return data_format::npz;
    if (got >= 6 && std::memcmp(m, "\x93NUMPY", 6) == 0) return data_format::npy;
    if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b) return data_format::idx;
    element_type idx_type;
    if (got >= 4 && m[0] == 0 && m[1] == 0 && io_detail::idx_element_type(m[2], idx_type) && m[3] > 0) return data_format::idx;
    if (path.size() > 4) {
        std::string ext = path.substr(path.size() - 4);
        for (char& c : ext) c = char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (ext == ".csv") return data_format::csv;
    }
    return data_format::unknown;
}

// "28 x 28 x 1"
inline std::string dims_text(const std::vector<int>& dims) {
    std::string s;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i > 0) s += " x ";
        s += std::to_string(dims[i]);
    }
    return s;
}

namespace io_detail {

[[noreturn]] inline void unknown_format(const std::string& path) {
    throw data_error(path + ": is neither .npz, .npy, HDF5 nor IDX (judging by its first bytes), nor named .csv; save "
                            "the data with numpy.savez(path, x=..., y=...)");
}

// One array of a data source: how to name it in messages, its shape, how to load it.
struct array_ref {
    std::string path;  // the file
    std::string what;  // "array 'x'" (npz), "array" (npy), "image array" / "label array" (IDX), "dataset '/x'" (HDF5)
    data_format format = data_format::unknown;
    std::string member;  // npz member name, HDF5 dataset path
    const npz_reader* npz = nullptr;
    const h5_reader* h5 = nullptr;
    const csv_table* csv = nullptr;
    std::vector<std::size_t> columns;  // CSV: the columns, in order; one target column reads as (N,)
    bool is_target = false;

    std::string where() const { return path + ": " + what; }

    // The three fields every format sets (the rest stay as they are, per format).
    static array_ref of(std::string path, std::string what, data_format format) {
        array_ref r;
        r.path = std::move(path);
        r.what = std::move(what);
        r.format = format;
        return r;
    }

    // The shape from the header, after checking that the file is long enough to hold it.
    std::vector<std::int64_t> shape() const {
        switch (format) {
        case data_format::npz: return npz->header(member).shape;
        case data_format::hdf5: return h5->header(member).shape;
        case data_format::csv:
            if (is_target && columns.size() == 1) return {csv->rows()};
            return {csv->rows(), std::int64_t(columns.size())};
        case data_format::npy: {
            const npy_file_stream s(path);
            s.check_size();
            return s.header.shape;
        }
        case data_format::idx: {
            const idx_stream s(path);
            s.check_size();
            return s.header.shape;
        }
        default: unknown_format(path);
        }
    }
    template <class T> loaded_array<T> load(double scale) const {
        switch (format) {
        case data_format::npz: return npz->read_as<T>(member, scale);
        case data_format::hdf5: return h5->read_as<T>(member, scale);
        case data_format::csv: return {shape(), element_type::float64, csv->values<T>(columns, scale)};
        case data_format::npy: return hps::read_npy_as<T>(path, scale);
        case data_format::idx: return hps::read_idx_as<T>(path, scale);
        default: unknown_format(path);
        }
    }
};

inline bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

inline std::vector<std::int64_t> without_trailing_ones(std::vector<std::int64_t> dims) {
    while (!dims.empty() && dims.back() == 1) dims.pop_back();
    return dims;
}


inline void check_input_shape(const array_ref& ref, const std::vector<std::int64_t>& shape, const data_spec& spec) {
    std::vector<std::int64_t> want(spec.input.begin(), spec.input.end());
    std::string n_and_want = "(N";
    for (const std::int64_t d : want) n_and_want += ", " + std::to_string(d);
    n_and_want += ")";
    const std::string spec_text = dims_text(spec.input);
    if (shape.empty())
        throw data_error(ref.where() + " is a single number, not an array of samples; save it with shape " + n_and_want);
    if (shape[0] == 0) throw data_error(ref.where() + " has no samples (shape " + shape_text(shape) + ")");
    if (shape[0] > std::numeric_limits<int>::max())
        throw data_error(ref.where() + " has " + std::to_string(shape[0]) + " samples, more than hpsgen handles (2^31 - 1); split the file");
    const std::vector<std::int64_t> have(shape.begin() + 1, shape.end());
    if (without_trailing_ones(have) == without_trailing_ones(want)) return;
    std::int64_t have_count = 1, want_count = 1;
    for (const std::int64_t d : have) have_count *= d;
    for (const std::int64_t d : want) want_count *= d;
    if (have_count == want_count) {
        if (spec.allow_flat) return;
        throw data_error(ref.where() + " has shape " + shape_text(shape) + " but the spec's input is " + spec_text +
                         "; it has the right number of values per sample (" + std::to_string(want_count) +
                         "): reshape it to " + n_and_want + ", change `input`, or allow a flat input");
    }
    throw data_error(ref.where() + " has shape " + shape_text(shape) + " but the spec's input is " + spec_text +
                     " (" + std::to_string(want_count) + " values per sample, the file has " + std::to_string(have_count) +
                     "); reshape it to " + n_and_want + " or change `input`");
}

// NaN and infinite values of one array, all counted, the first located: a file with any is
// refused (a trainer's loss would be NaN from the first batch that holds one). `per_sample`
// values make up a sample; `what` says what they are ("input", "target").
template <class T>
void check_finite(const array_ref& ref, const std::vector<T>& values, std::size_t per_sample, const char* what) {
    std::size_t nans = 0, infs = 0, first = values.size();
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (std::isfinite(values[i])) continue;
        if (first == values.size()) first = i;
        ++(std::isnan(values[i]) ? nans : infs);
    }
    if (nans + infs == 0) return;
    std::string counts;
    if (nans > 0) counts = std::to_string(nans) + " NaN";
    if (infs > 0) counts += (nans > 0 ? " and " : "") + std::to_string(infs) + " infinite";
    throw data_error(ref.where() + " has " + counts + " " + what + " value" + (nans + infs == 1 ? "" : "s") +
                     "; the first is in sample " + std::to_string(first / per_sample) + " (value " +
                     std::to_string(first % per_sample) + " of " + std::to_string(per_sample) +
                     "): clean the data (np.nan_to_num, or drop those samples)");
}

// The target array's shape against the spec's target (its sample count is checked apart).
inline void check_target_shape(const array_ref& ref, const std::vector<std::int64_t>& s, const data_spec& spec) {
    const std::string where = ref.where();
    const bool column = s.size() == 1 || (s.size() == 2 && s[1] == 1);  // (N,) or (N, 1)
    const int K = spec.outputs;
    switch (spec.target) {
    case target_kind::regression:
        if (!((s.size() == 2 && s[1] == K) || (K == 1 && column)))
            throw data_error(where + " has shape " + shape_text(s) + " but the spec's target is " + std::to_string(K) +
                             " regression output" + (K == 1 ? "" : "s") + "; expected (N, " + std::to_string(K) + ")" +
                             (K == 1 ? " or (N,)" : "") + ": reshape the targets or change `target`");
        return;
    case target_kind::classes:
        if (!column && !(s.size() == 2 && s[1] == K))
            throw data_error(where + " has shape " + shape_text(s) + " but the spec's target is " + std::to_string(K) +
                             " classes; expected class indices (N,) or one-hot rows (N, " + std::to_string(K) +
                             "): fix the labels or change `target`");
        return;
    case target_kind::binary:
        if (!column)
            throw data_error(where + " has shape " + shape_text(s) +
                             " but the spec's target is binary; expected (N,) or (N, 1) of 0 and 1");
        return;
    }
}

// The targets' values, of a shape check_target_shape accepted.
inline std::vector<float> targets(const array_ref& ref, const loaded_array<double>& y, std::int64_t n, const data_spec& spec) {
    const std::vector<std::int64_t>& s = y.shape;
    const std::string where = ref.where();  // open_dataset has checked that s[0] == n
    const std::size_t cols = s.size() == 1 ? 1 : std::size_t(s[1]);
    check_finite(ref, y.values, cols, "target");
    const bool column = s.size() == 1 || (s.size() == 2 && s[1] == 1);  // (N,) or (N, 1)
    const int K = spec.outputs;
    std::vector<float> out;
    switch (spec.target) {
    case target_kind::regression: {
        out.resize(y.values.size());
        for (std::size_t i = 0; i < y.values.size(); ++i) out[i] = float(y.values[i]);
        return out;
    }
    case target_kind::classes: {
        out.resize(std::size_t(n));
        if (column) {
            for (std::size_t i = 0; i < out.size(); ++i) {
                const double v = y.values[i];
                if (v != std::floor(v) || !std::isfinite(v))
                    throw data_error(where + ": sample " + std::to_string(i) + " has label " + format_number(v) +
                                     ", which is not a class index; labels are integers 0.." + std::to_string(K - 1) +
                                     " or one-hot rows");
                if (v < 0 || v >= K)
                    throw data_error(where + ": sample " + std::to_string(i) + " has label " + format_number(v) +
                                     ", outside 0.." + std::to_string(K - 1) + " (the spec's target has " + std::to_string(K) +
                                     " classes); fix the labels or the number of classes");
                out[i] = float(v);
            }
            return out;
        }
        for (std::size_t i = 0; i < out.size(); ++i) {  // one-hot rows (N, K)
            int hot = -1;
            for (int k = 0; k < K; ++k) {
                const double v = y.values[i * std::size_t(K) + std::size_t(k)];
                if (v == 1 && hot == -1) hot = k;
                else if (v != 0) {  // a second 1, or neither 0 nor 1
                    hot = -2;
                    break;
                }
            }
            if (hot < 0)
                throw data_error(where + ": row " + std::to_string(i) +
                                 " is not one-hot (exactly one 1, the rest 0); store class indices (N,) instead of "
                                 "probabilities, or fix the row");
            out[i] = float(hot);
        }
        return out;
    }
    case target_kind::binary: {
        out.resize(std::size_t(n));
        for (std::size_t i = 0; i < out.size(); ++i) {
            const double v = y.values[i];
            if (v != 0 && v != 1)
                throw data_error(where + ": sample " + std::to_string(i) + " has target " + format_number(v) +
                                 "; binary targets are 0 or 1: fix the labels or make the target classes");
            out[i] = float(v);
        }
        return out;
    }
    }
    return out;
}

}  // namespace io_detail

// What a trainer checks its data against: the network's input shape (channels last) and
// the config's target, input scale and array names.
inline data_spec data_spec_of(const train_config& c, std::vector<int> input) {
    data_spec spec;
    spec.input = std::move(input);
    spec.target = c.target;
    spec.outputs = c.target == target_kind::binary ? 1 : c.outputs;
    spec.scale = c.scale;
    spec.x_name = c.x_name;
    spec.y_name = c.y_name;
    return spec;
}

// A data source opened, its arrays found and their headers checked against the spec
// (the first group of checks at the top of this file); no value is read.
struct dataset_files {
    io_detail::array_ref x, y;
    std::vector<std::int64_t> x_shape, y_shape;  // x_shape[0] == y_shape[0]: the samples
    std::int64_t x_size = 0;  // values per sample: the product of the spec's input
    std::unique_ptr<npz_reader> npz;  // the archive x and y point into, for an .npz
    std::unique_ptr<h5_reader> h5;  // the HDF5 file x and y point into
    std::unique_ptr<csv_table> csv;  // the CSV table x and y are columns of
};

// Opens `path` (see the top of this file for the path conventions) and checks its headers.
inline dataset_files open_dataset(const std::string& path, const data_spec& spec) {
    using io_detail::array_ref;
    if (spec.input.empty()) throw std::invalid_argument("load_dataset: the spec has no input shape");
    std::int64_t x_size = 1;
    for (const int d : spec.input) {
        if (d <= 0) throw std::invalid_argument("load_dataset: input dimensions must be > 0, got " + dims_text(spec.input));
        x_size *= d;
        if (x_size > std::numeric_limits<int>::max()) throw std::invalid_argument("load_dataset: input too large");
    }
    if (spec.outputs <= 0 || (spec.target == target_kind::binary && spec.outputs != 1))
        throw std::invalid_argument("load_dataset: bad number of outputs " + std::to_string(spec.outputs));

    dataset_files files;
    files.x_size = x_size;
    array_ref &xr = files.x, &yr = files.y;
    std::unique_ptr<npz_reader>& npz = files.npz;
    const std::size_t comma = path.find(',');
    const std::optional<h5_path> h5_parts = io_detail::file_exists(path) ? std::nullopt : h5_path_of(path);
    const auto open_h5 = [&](const std::string& file, const std::string& x, const std::string& y) {
        if (!hdf5_named(path))
            throw data_error(file + ": is an HDF5 file, but its name does not end in .h5, .hdf5 or .he5; rename it (a "
                                    "study links the HDF5 library only when a data path says HDF5), or write \"" +
                             file + ":" + h5_reader::absolute(x) + "," + h5_reader::absolute(y) + "\"");
        files.h5 = std::make_unique<h5_reader>(file);
        xr = array_ref::of(file, "dataset '" + h5_reader::absolute(x) + "'", data_format::hdf5);
        yr = array_ref::of(file, "dataset '" + h5_reader::absolute(y) + "'", data_format::hdf5);
        xr.member = x;
        yr.member = y;
        xr.h5 = yr.h5 = files.h5.get();
        files.h5->require(x);  // a missing dataset is reported before anything is read
        files.h5->require(y);
    };
    if (h5_parts) {
        const h5_path& p = *h5_parts;
        if (p.y.empty() || p.y.front() != '/' || p.y.find(',') != std::string::npos)
            throw data_error(path + ": an HDF5 file's datasets are written \"file.h5:/inputs,/targets\", two dataset paths "
                                    "each starting with '/', one comma between them");
        if (detect_format(p.file) != data_format::hdf5)
            throw data_error(p.file + ": is not an HDF5 file (judging by its first bytes), but \"" + path +
                             "\" names datasets in it; write it with h5py, or give an .npz or \"x.npy,y.npy\" without \":/\"");
        open_h5(p.file, p.x, p.y);
    } else if (comma != std::string::npos && !io_detail::file_exists(path)) {
        const std::string xp = path.substr(0, comma), yp = path.substr(comma + 1);
        if (yp.find(',') != std::string::npos)
            throw data_error(path + ": a pair of files is written \"inputs,targets\" with one comma; found more");
        for (auto [ref, p, what] : {std::tuple{&xr, &xp, "inputs"}, std::tuple{&yr, &yp, "targets"}}) {
            ref->path = *p;
            ref->format = detect_format(*p);
            if (ref->format == data_format::npz || ref->format == data_format::hdf5 || ref->format == data_format::csv)
                throw data_error(*p + ": is " +
                                 (ref->format == data_format::npz    ? "an .npz archive"
                                  : ref->format == data_format::hdf5 ? "an HDF5 file"
                                                                     : "a CSV table") +
                                 ", but a pair \"inputs,targets\" names one array per file; give the " +
                                 (ref->format == data_format::hdf5 ? "file alone, or \"file.h5:/x,/y\"" : "file alone"));
            if (ref->format == data_format::unknown)
                throw data_error(*p + ": is neither .npy nor IDX (judging by its first bytes); save the " + what +
                                 " with numpy.save");
            ref->what = ref->format == data_format::idx ? (ref == &xr ? "image array" : "label array") : "array";
        }
    } else {
        const data_format format = detect_format(path);
        if (format == data_format::npz) {
            npz = std::make_unique<npz_reader>(path);
            xr = array_ref::of(path, "array '" + spec.x_name + "'", format);
            yr = array_ref::of(path, "array '" + spec.y_name + "'", format);
            xr.member = spec.x_name;
            yr.member = spec.y_name;
            xr.npz = yr.npz = npz.get();
            npz->member(spec.x_name);  // a missing array is reported before anything is read
            npz->member(spec.y_name);
        } else if (format == data_format::hdf5) {
            open_h5(path, spec.x_name, spec.y_name);
        } else if (format == data_format::csv) {
            files.csv = std::make_unique<csv_table>(path);
            const bool one = csv_table::split(spec.y_name).size() == 1;
            yr = array_ref::of(path, (one ? "target column '" : "array of target columns '") + spec.y_name + "'", format);
            yr.csv = files.csv.get();
            yr.columns = files.csv->columns(spec.y_name);
            yr.is_target = true;
            std::vector<std::size_t> inputs = files.csv->columns_except(yr.columns);
            if (inputs.empty())
                throw data_error(path + ": has no column besides the target columns '" + spec.y_name +
                                 "'; the other columns are the inputs");
            xr = array_ref::of(path, "array of input columns", format);
            xr.csv = files.csv.get();
            xr.columns = std::move(inputs);
        } else if (format == data_format::idx) {
            const std::size_t slash = path.find_last_of('/');
            const std::size_t at = path.find("images-idx3", slash == std::string::npos ? 0 : slash + 1);
            if (at == std::string::npos)
                throw data_error(path + ": is an IDX file, but its name has no \"images-idx3\" to find its labels by; give "
                                 "\"images,labels\" (two paths, one comma)");
            std::string labels = path;
            labels.replace(at, 11, "labels-idx1");
            if (!io_detail::file_exists(labels)) {  // the labels may be gzipped and the images not, or the reverse
                const bool gz = labels.size() > 3 && labels.compare(labels.size() - 3, 3, ".gz") == 0;
                const std::string other = gz ? labels.substr(0, labels.size() - 3) : labels + ".gz";
                if (io_detail::file_exists(other)) labels = other;
            }
            if (!io_detail::file_exists(labels))
                throw data_error(path + ": its labels should be " + labels + " (\"images-idx3\" -> \"labels-idx1\"), which "
                                 "does not exist; give \"images,labels\" (two paths, one comma)");
            xr = array_ref::of(path, "image array", format);
            yr = array_ref::of(labels, "label array", format);
        } else if (format == data_format::npy) {
            throw data_error(path + ": an .npy file holds one array, inputs or targets; give \"x.npy,y.npy\" (two paths, "
                             "one comma) or an .npz with both");
        } else {
            io_detail::unknown_format(path);
        }
    }

    // Shapes from the headers: a wrong file fails before anything is loaded.
    const std::vector<std::int64_t>& x_shape = files.x_shape = xr.shape();
    io_detail::check_input_shape(xr, x_shape, spec);
    const std::vector<std::int64_t>& y_shape = files.y_shape = yr.shape();
    if (y_shape.empty() || y_shape[0] != x_shape[0])
        throw data_error(yr.where() + " has " + (y_shape.empty() ? std::string("no samples") : std::to_string(y_shape[0]) + " samples") +
                         " but " + xr.where() + " has " + std::to_string(x_shape[0]) + "; they must match sample for sample");
    io_detail::check_target_shape(yr, y_shape, spec);
    return files;
}

// Loads a whole dataset into memory and checks it against the spec: open_dataset's
// checks, then the values'.
inline dataset load_dataset(const std::string& path, const data_spec& spec) {
    const dataset_files files = open_dataset(path, spec);
    dataset d;
    d.n = int(files.x_shape[0]);
    d.x_size = int(files.x_size);
    d.y_size = spec.target == target_kind::regression ? spec.outputs : 1;
    d.source = path;
    loaded_array<float> x = files.x.load<float>(spec.scale);
    io_detail::check_finite(files.x, x.values, std::size_t(files.x_size), "input");
    d.x = std::move(x.values);
    d.y = io_detail::targets(files.y, files.y.load<double>(1.0), files.x_shape[0], spec);
    return d;
}

// A deterministic split of n samples: `validation_fraction` of them (rounded, and at least
// one in each part) go to validation, chosen by a Fisher-Yates shuffle seeded with `seed`.
// Both index lists are ascending.
struct split_indices {
    std::vector<int> train, validation;
};

// How many of n samples a split holds out: the fraction, rounded, and at least one in each
// part. Throws std::invalid_argument for a fraction outside (0, 1) or n < 2.
inline int validation_count(int n, double validation_fraction) {
    if (!(validation_fraction > 0 && validation_fraction < 1))
        throw std::invalid_argument("split: the validation fraction must be between 0 and 1, got " +
                                    format_number(validation_fraction));
    if (n < 2) throw std::invalid_argument("split: cannot split " + std::to_string(n) + " sample(s) in two");
    const long long rounded = std::llround(validation_fraction * double(n));
    return int(std::clamp<long long>(rounded, 1, n - 1));
}

// 0..n-1 shuffled by Fisher-Yates from the end, each swap with gen.below(i + 1): the draw
// behind split_indices_of and fold_indices_of.
inline std::vector<int> shuffled_order(int n, std::uint64_t seed) {
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    rng gen(seed);
    for (std::size_t i = order.size(); i-- > 1;) std::swap(order[i], order[std::size_t(gen.below(i + 1))]);
    return order;
}

inline split_indices split_indices_of(int n, double validation_fraction, std::uint64_t seed) {
    const int n_val = validation_count(n, validation_fraction);
    const std::vector<int> order = shuffled_order(n, seed);
    split_indices out;
    out.validation.assign(order.begin(), order.begin() + n_val);
    out.train.assign(order.begin() + n_val, order.end());
    std::sort(out.validation.begin(), out.validation.end());
    std::sort(out.train.begin(), out.train.end());
    return out;
}

// Fold `fold` of a k-fold cross-validation over n samples: shuffled_order(n, seed) cut
// into `folds` contiguous parts, part k being order[k*n/folds, (k+1)*n/folds) (sizes differ
// by one at most); it is the validation part, every other sample the training part. Each
// sample is in exactly one fold, so the folds' validation parts are disjoint and cover the
// n samples. Both lists ascending. Throws std::invalid_argument for folds < 2, n < folds or
// a fold outside 0..folds-1.
inline split_indices fold_indices_of(int n, int folds, int fold, std::uint64_t seed) {
    if (folds < 2) throw std::invalid_argument("folds: cross-validation needs at least 2 folds, got " + std::to_string(folds));
    if (fold < 0 || fold >= folds)
        throw std::invalid_argument("folds: fold " + std::to_string(fold) + " is not one of 0.." + std::to_string(folds - 1));
    if (n < folds)
        throw std::invalid_argument("folds: cannot cut " + std::to_string(n) + " sample(s) into " + std::to_string(folds) +
                                    " folds; use fewer folds or more data");
    const std::vector<int> order = shuffled_order(n, seed);
    const auto cut = [&](int k) { return std::ptrdiff_t(std::int64_t(k) * n / folds); };
    split_indices out;
    out.validation.assign(order.begin() + cut(fold), order.begin() + cut(fold + 1));
    out.train.assign(order.begin(), order.begin() + cut(fold));
    out.train.insert(out.train.end(), order.begin() + cut(fold + 1), order.end());
    std::sort(out.validation.begin(), out.validation.end());
    std::sort(out.train.begin(), out.train.end());
    return out;
}

// The samples `indices` of `data`, in that order.
inline dataset subset(const dataset& data, const std::vector<int>& indices) {
    dataset out;
    out.n = int(indices.size());
    out.x_size = data.x_size;
    out.y_size = data.y_size;
    out.source = data.source;
    out.x.resize(indices.size() * std::size_t(data.x_size));
    out.y.resize(indices.size() * std::size_t(data.y_size));
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const int i = indices[k];
        if (i < 0 || i >= data.n) throw std::out_of_range("subset: sample index " + std::to_string(i) + " out of range");
        std::copy_n(data.sample(i), data.x_size, out.x.data() + k * std::size_t(data.x_size));
        std::copy_n(data.target(i), data.y_size, out.y.data() + k * std::size_t(data.y_size));
    }
    return out;
}

// (train, validation): see split_indices_of.
inline std::pair<dataset, dataset> split(const dataset& data, double validation_fraction, std::uint64_t seed) {
    const split_indices parts = split_indices_of(data.n, validation_fraction, seed);
    return {subset(data, parts.train), subset(data, parts.validation)};
}

// (train, validation) of fold `fold` of `folds`: see fold_indices_of.
inline std::pair<dataset, dataset> split_fold(const dataset& data, int folds, int fold, std::uint64_t seed) {
    const split_indices parts = fold_indices_of(data.n, folds, fold, seed);
    return {subset(data, parts.train), subset(data, parts.validation)};
}

// (train, validation) with the validation part the last samples, in order: the same count
// as split_indices_of's (validation_count), for time-ordered data.
inline std::pair<dataset, dataset> split_last(const dataset& data, double validation_fraction) {
    const int n_val = validation_count(data.n, validation_fraction);
    const int n_train = data.n - n_val;
    std::vector<int> train(static_cast<std::size_t>(n_train)), validation(static_cast<std::size_t>(n_val));
    std::iota(train.begin(), train.end(), 0);
    std::iota(validation.begin(), validation.end(), n_train);
    return {subset(data, train), subset(data, validation)};
}

}  // namespace hps
