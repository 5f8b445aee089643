// HDF5 datasets, read through the HDF5 C library (Debian: libhdf5-dev), as .npz members
// are read: a dataset's shape and element type from its header, its values converted to
// float or double exactly as npy.hpp converts the same dtype (the bytes are read in the
// dataset's own type, made native, then converted here, not by HDF5's conversions).
//
// Element types: IEEE float32 and float64; signed integers of 8, 16, 32 and 64 bits;
// uint8; h5py's bool (an 8-bit enum FALSE = 0, TRUE = 1). Anything else (float16,
// wider unsigned integers, strings, compounds) is refused with a message, as npy.hpp
// refuses the same dtypes.
//
// The library is needed only when the study reads HDF5: a trainer is compiled with
// HPS_HDF5 (and linked with libhdf5) only when one of its data paths names an HDF5 file
// (hdf5_named in dataset.hpp). Without HPS_HDF5 this header declares the same reader,
// whose constructor refuses with a message; nothing of HDF5 is included.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hps/io.hpp>
#include <hps/npy.hpp>

#if defined(HPS_HDF5)
#include <hdf5.h>
#endif

namespace hps {

// Whether a data path (as written in a spec or a settings file) reads HDF5, so that its
// trainer must be built with HPS_HDF5: the ":/" spelling, or a file named .h5, .hdf5 or .he5.
inline bool hdf5_named(const std::string& path) {
    if (path.find(":/") != std::string::npos) return true;
    std::string lower;
    for (const char c : path) lower += char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    for (const char* ext : {".h5", ".hdf5", ".he5"}) {
        const std::size_t n = std::strlen(ext);
        if (lower.size() > n && lower.compare(lower.size() - n, n, ext) == 0) return true;
    }
    return false;
}

// An HDF5 data path "file.h5:/x,/y" taken apart; none when `path` has no ":/".
struct h5_path {
    std::string file, x, y;
};
inline std::optional<h5_path> h5_path_of(const std::string& path) {
    const std::size_t colon = path.find(":/");
    if (colon == std::string::npos) return std::nullopt;
    h5_path out{path.substr(0, colon), path.substr(colon + 1), ""};
    const std::size_t comma = out.x.find(',');
    if (comma != std::string::npos) {
        out.y = out.x.substr(comma + 1);
        out.x.resize(comma);
    }
    return out;
}

// What an HDF5 dataset's header says.
struct h5_header {
    std::vector<std::int64_t> shape;
    element_type type = element_type::float32;
};

#if defined(HPS_HDF5)

namespace io_detail {

// An hid_t closed by `close` when it goes out of scope.
template <herr_t (*close)(hid_t)> struct h5_handle {
    hid_t id = -1;
    explicit h5_handle(hid_t i) : id(i) {}
    h5_handle(const h5_handle&) = delete;
    h5_handle& operator=(const h5_handle&) = delete;
    ~h5_handle() {
        if (id >= 0) close(id);
    }
    bool ok() const { return id >= 0; }
};

// HDF5 prints its own error stack to stderr unless told not to; the reader's errors are
// data_errors in hpsgen's words instead.
inline void h5_quiet() {
    static const bool done = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)done;
}

// The element type of an HDF5 datatype, or a data_error in npy.hpp's words.
inline element_type h5_element_type(hid_t type, const std::string& where) {
    const std::string supported = "float32, float64, uint8, int8, int16, int32, int64 and bool";
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    std::string name;
    if (cls == H5T_FLOAT) {
        if (size == 4) return element_type::float32;
        if (size == 8) return element_type::float64;
        name = "float" + std::to_string(8 * size);
    } else if (cls == H5T_INTEGER) {
        const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
        if (is_signed && size == 1) return element_type::int8;
        if (is_signed && size == 2) return element_type::int16;
        if (is_signed && size == 4) return element_type::int32;
        if (is_signed && size == 8) return element_type::int64;
        if (!is_signed && size == 1) return element_type::uint8;
        name = std::string(is_signed ? "int" : "uint") + std::to_string(8 * size);
    } else if (cls == H5T_ENUM && size == 1 && H5Tget_nmembers(type) == 2) {
        // h5py's bool: FALSE = 0, TRUE = 1
        char* first = H5Tget_member_name(type, 0);
        const bool is_bool = first && std::string_view(first) == "FALSE";
        H5free_memory(first);
        if (is_bool) return element_type::boolean;
        name = "an enum";
    } else {
        name = cls == H5T_STRING     ? "strings"
               : cls == H5T_COMPOUND ? "a compound type (records)"
               : cls == H5T_ENUM     ? "an enum"
                                     : "a type of class " + std::to_string(int(cls));
    }
    throw data_error(where + ": has dtype " + name + ", which hpsgen cannot read; it reads " + supported +
                     "; convert it, e.g. f.create_dataset(name, data=x.astype(np.float32))");
}

}  // namespace io_detail

// One HDF5 file, open for reading, with datasets found by path ("/x", "/train/images";
// a name without a leading '/' is taken from the root).
class h5_reader {
public:
    explicit h5_reader(std::string path) : path_(std::move(path)), file_(open(path_)) {}

    const std::string& path() const { return path_; }

    // Every dataset of the file, by full path, in name order.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        H5Lvisit(file_.id, H5_INDEX_NAME, H5_ITER_INC, &collect, &out);
        return out;
    }

    // Throws, listing the datasets present, when `name` is not a dataset of the file.
    void require(std::string_view name) const { (void)dataset(name); }

    h5_header header(std::string_view name) const {
        const io_detail::h5_handle<H5Dclose> d = dataset(name);
        return header_of(d.id, where(name));
    }

    // One dataset converted to T (float or double), multiplied by `scale` unless it is 1,
    // as npy.hpp converts the same dtype.
    template <class T = float> loaded_array<T> read_as(std::string_view name, double scale = 1.0) const {
        const io_detail::h5_handle<H5Dclose> d = dataset(name);
        const std::string w = where(name);
        const h5_header h = header_of(d.id, w);
        std::uint64_t count = 1;
        for (const std::int64_t n : h.shape) count *= std::uint64_t(n);
        const io_detail::h5_handle<H5Tclose> file_type(H5Dget_type(d.id));
        const io_detail::h5_handle<H5Tclose> memory_type(H5Tget_native_type(file_type.id, H5T_DIR_ASCEND));
        std::vector<unsigned char> bytes(std::size_t(count) * element_size(h.type));
        if (!memory_type.ok() || (count > 0 && H5Dread(d.id, memory_type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0))
            throw data_error(w + ": cannot be read (a damaged file, or a compression filter this HDF5 library lacks); "
                                 "write it again with h5py, without a compression filter");
        loaded_array<T> out;
        out.shape = h.shape;
        out.source_type = h.type;
        out.values.resize(std::size_t(count));
        io_detail::convert_elements(bytes.data(), std::size_t(count), h.type, std::endian::native, scale, out.values.data());
        return out;
    }

    std::string where(std::string_view name) const { return path_ + ": dataset '" + absolute(name) + "'"; }

    // "x" -> "/x": a name without a leading '/' is taken from the root.
    static std::string absolute(std::string_view name) {
        return name.empty() || name.front() != '/' ? "/" + std::string(name) : std::string(name);
    }

private:
    static hid_t open(const std::string& path) {
        io_detail::h5_quiet();
        io_detail::open_for_reading(path);  // a missing or unreadable file in the words every reader uses
        const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) throw data_error(path + ": is not a readable HDF5 file (damaged or truncated?); write it again with h5py");
        return f;
    }

    static herr_t collect(hid_t group, const char* name, const H5L_info_t*, void* out) {
        const hid_t d = H5Oopen(group, name, H5P_DEFAULT);
        if (d < 0) return 0;
        if (H5Iget_type(d) == H5I_DATASET) static_cast<std::vector<std::string>*>(out)->push_back("/" + std::string(name));
        H5Oclose(d);
        return 0;
    }

    io_detail::h5_handle<H5Dclose> dataset(std::string_view name) const {
        const std::string full = absolute(name);
        // H5Lexists fails on a missing parent group, hence each prefix in turn
        bool exists = true;
        for (std::size_t at = full.find('/', 1);; at = full.find('/', at + 1)) {
            const std::string prefix = full.substr(0, at);
            if (H5Lexists(file_.id, prefix.c_str(), H5P_DEFAULT) <= 0) {
                exists = false;
                break;
            }
            if (at == std::string::npos) break;
        }
        if (exists) {
            const hid_t o = H5Oopen(file_.id, full.c_str(), H5P_DEFAULT);
            if (o >= 0 && H5Iget_type(o) == H5I_DATASET) return io_detail::h5_handle<H5Dclose>(o);
            if (o >= 0) H5Oclose(o);
        }
        std::string present;
        for (const std::string& n : names()) present += (present.empty() ? "'" : ", '") + n + "'";
        if (present.empty()) present = "no datasets at all";
        throw data_error(path_ + ": has no dataset '" + full + "'" + (exists ? " (it is a group)" : "") + "; it holds " +
                         present + ". Write the dataset under that name (f.create_dataset(\"" + full +
                         "\", data=...)) or name the datasets the spec should use (\"" + path_ + ":/x,/y\")");
    }

    static h5_header header_of(hid_t d, const std::string& where) {
        h5_header h;
        const io_detail::h5_handle<H5Tclose> type(H5Dget_type(d));
        h.type = io_detail::h5_element_type(type.id, where);
        const io_detail::h5_handle<H5Sclose> space(H5Dget_space(d));
        const int rank = H5Sget_simple_extent_ndims(space.id);
        if (rank < 0) throw data_error(where + ": has a dataspace hpsgen cannot read (not a simple array)");
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        if (rank > 0) H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
        for (const hsize_t n : dims) h.shape.push_back(std::int64_t(n));
        return h;
    }

    std::string path_;
    io_detail::h5_handle<H5Fclose> file_;
};

#else  // !HPS_HDF5

// Built without HDF5: the same interface, refusing at open.
class h5_reader {
public:
    explicit h5_reader(std::string path) : path_(std::move(path)) {
        throw data_error(path_ + ": is an HDF5 file, but this program was built without HDF5 (HPS_HDF5); a study links "
                                 "libhdf5 when a data path ends in .h5 or .hdf5 or names datasets (\"file.h5:/x,/y\"): "
                                 "name the file so and generate again");
    }
    const std::string& path() const { return path_; }
    std::vector<std::string> names() const { return {}; }
    void require(std::string_view) const {}
    h5_header header(std::string_view) const { return {}; }
    template <class T = float> loaded_array<T> read_as(std::string_view, double = 1.0) const { return {}; }
    std::string where(std::string_view name) const { return path_ + ": dataset '" + absolute(name) + "'"; }
    static std::string absolute(std::string_view name) {
        return name.empty() || name.front() != '/' ? "/" + std::string(name) : std::string(name);
    }

private:
    std::string path_;
};

#endif

}  // namespace hps
