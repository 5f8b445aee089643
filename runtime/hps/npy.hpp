// .npy arrays: read (format versions 1.0, 2.0, 3.0) and write (version 1.0, or 2.0 for
// a header over 64 KiB).
//
// Readable element types: float32 '<f4', float64 '<f8', uint8 '|u1', int8 '|i1',
// int16 '<i2', int32 '<i4', int64 '<i8', bool '|b1'; C order (Fortran order is refused,
// except for 0-d and 1-d arrays, where both orders are the same bytes); little-endian
// (big-endian is refused with the astype() that fixes it).
//
// Arrays are streamed from the file into their destination in 64 KiB pieces: reading an
// (N, 28, 28) uint8 array as float allocates the N*784 floats and nothing else of size N.
// Sizes are checked against the file before anything is allocated, so a corrupt header
// gives an error rather than a huge allocation.
//
// Every error is a data_error whose message starts with the file (and the array, for a
// member of an .npz) and ends with a fix.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <sys/stat.h>

#include <hps/io.hpp>

namespace hps {

enum class element_type { float32, float64, uint8, int8, int16, int32, int64, boolean };

inline std::size_t element_size(element_type t) {
    switch (t) {
    case element_type::float32: return 4;
    case element_type::float64: return 8;
    case element_type::uint8: return 1;
    case element_type::int8: return 1;
    case element_type::int16: return 2;
    case element_type::int32: return 4;
    case element_type::int64: return 8;
    case element_type::boolean: return 1;
    }
    return 1;
}

// numpy's name of the type: "float32", "uint8", "bool".
inline const char* element_name(element_type t) {
    switch (t) {
    case element_type::float32: return "float32";
    case element_type::float64: return "float64";
    case element_type::uint8: return "uint8";
    case element_type::int8: return "int8";
    case element_type::int16: return "int16";
    case element_type::int32: return "int32";
    case element_type::int64: return "int64";
    case element_type::boolean: return "bool";
    }
    return "?";
}

inline bool is_integer_type(element_type t) {
    return t != element_type::float32 && t != element_type::float64;
}

// The element type of a C++ type, for writers: float, double, uint8_t, int8_t, int16_t,
// int32_t, int64_t, bool.
template <class T> constexpr element_type element_type_of() {
    if constexpr (std::is_same_v<T, float>) return element_type::float32;
    else if constexpr (std::is_same_v<T, double>) return element_type::float64;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return element_type::uint8;
    else if constexpr (std::is_same_v<T, std::int8_t>) return element_type::int8;
    else if constexpr (std::is_same_v<T, std::int16_t>) return element_type::int16;
    else if constexpr (std::is_same_v<T, std::int32_t>) return element_type::int32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return element_type::int64;
    else if constexpr (std::is_same_v<T, bool>) return element_type::boolean;
    else static_assert(sizeof(T) == 0, "element_type_of: no .npy element type for this C++ type");
}

// numpy's spelling of a shape: (60000, 28, 28), (10,), ().
inline std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

// An array as stored: its bytes in C order, little-endian.
struct npy_array {
    std::vector<std::int64_t> shape;
    element_type type = element_type::float32;
    std::vector<std::uint8_t> bytes;

    std::uint64_t count() const { return bytes.size() / element_size(type); }
};

// An array converted on reading to float or double, C order: values[((i*d1)+j)*d2+k].
template <class T> struct loaded_array {
    static_assert(std::is_floating_point_v<T>, "loaded_array: T must be float or double");
    std::vector<std::int64_t> shape;
    element_type source_type = element_type::float32;  // the type in the file
    std::vector<T> values;

    std::uint64_t count() const { return values.size(); }
};

// What an .npy header says.
struct npy_header {
    int version = 1;  // 1, 2 or 3
    std::vector<std::int64_t> shape;
    element_type type = element_type::float32;
    std::uint64_t header_bytes = 0;  // magic, version, length and dict: where the data starts
    std::uint64_t count = 0;  // elements
    std::uint64_t data_bytes() const { return count * element_size(type); }
};

namespace io_detail {

// A sequential reader. read() returns fewer than n bytes only at the end of the data and
// throws data_error when the data cannot be read.
class byte_source {
public:
    virtual ~byte_source() = default;
    virtual std::size_t read(void* dst, std::size_t n) = 0;
};

struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

inline file_ptr open_for_reading(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        const int err = errno;
        throw data_error(path + ": cannot open (" + errno_text(err) + ")" +
                         (err == ENOENT ? "; check the path (relative paths are relative to the working folder)" : ""));
    }
    struct stat st {};
    if (::fstat(::fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        std::fclose(f);
        throw data_error(path + ": is a folder, not a data file; name the file");
    }
    return file_ptr(f);
}

inline std::uint64_t file_size(std::FILE* f, const std::string& path) {
    struct stat st {};
    if (::fstat(::fileno(f), &st) != 0) {
        const int err = errno;
        throw data_error(path + ": cannot stat (" + errno_text(err) + ")");
    }
    return std::uint64_t(st.st_size);
}

inline void seek_to(std::FILE* f, std::uint64_t offset, const std::string& path) {
    if (::fseeko(f, ::off_t(offset), SEEK_SET) != 0) {
        const int err = errno;
        throw data_error(path + ": cannot seek to byte " + std::to_string(offset) + " (" + errno_text(err) + ")");
    }
}

// At most `limit` bytes from the file's current position.
class file_source : public byte_source {
public:
    file_source(std::FILE* f, std::uint64_t limit, std::string where) : f_(f), left_(limit), where_(std::move(where)) {}
    std::size_t read(void* dst, std::size_t n) override {
        const std::size_t want = std::size_t(std::min<std::uint64_t>(n, left_));
        const std::size_t got = want ? std::fread(dst, 1, want, f_) : 0;
        if (got < want && std::ferror(f_)) {
            const int err = errno;
            throw data_error(where_ + ": read error (" + errno_text(err) + ")");
        }
        left_ -= got;
        return got;
    }

private:
    std::FILE* f_;
    std::uint64_t left_;
    std::string where_;
};

// Reads exactly n bytes or reports how many there were.
inline std::size_t read_fully(byte_source& src, void* dst, std::size_t n) {
    std::size_t done = 0;
    auto* p = static_cast<unsigned char*>(dst);
    while (done < n) {
        const std::size_t got = src.read(p + done, n - done);
        if (got == 0) break;
        done += got;
    }
    return done;
}

inline std::uint64_t load_le(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

inline std::uint64_t load_be(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    return v;
}

inline void store_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += char((v >> (8 * i)) & 0xff);
}

// Converts `count` elements of type S stored with `file_order` byte order.
template <class S, class T>
void convert_as(const unsigned char* src, std::size_t count, std::endian file_order, double scale, T* dst) {
    const bool swap = sizeof(S) > 1 && file_order != std::endian::native;
    for (std::size_t i = 0; i < count; ++i) {
        unsigned char b[sizeof(S)];
        std::memcpy(b, src + i * sizeof(S), sizeof(S));
        if (swap) std::reverse(b, b + sizeof(S));
        S v;
        std::memcpy(&v, b, sizeof(S));
        if (scale == 1.0) dst[i] = static_cast<T>(v);
        else dst[i] = static_cast<T>(static_cast<double>(v) * scale);
    }
}

template <class T>
void convert_elements(const unsigned char* src, std::size_t count, element_type type, std::endian file_order, double scale,
                      T* dst) {
    switch (type) {
    case element_type::float32: convert_as<float>(src, count, file_order, scale, dst); break;
    case element_type::float64: convert_as<double>(src, count, file_order, scale, dst); break;
    case element_type::uint8: convert_as<std::uint8_t>(src, count, file_order, scale, dst); break;
    case element_type::int8: convert_as<std::int8_t>(src, count, file_order, scale, dst); break;
    case element_type::int16: convert_as<std::int16_t>(src, count, file_order, scale, dst); break;
    case element_type::int32: convert_as<std::int32_t>(src, count, file_order, scale, dst); break;
    case element_type::int64: convert_as<std::int64_t>(src, count, file_order, scale, dst); break;
    case element_type::boolean: {
        // Any nonzero byte is true, as numpy reads it.
        for (std::size_t i = 0; i < count; ++i) dst[i] = T(src[i] != 0 ? 1 : 0);
        break;
    }
    }
}

// Streams `count` elements from src into dst, converting. `truncated(read_bytes)` builds
// the error for data that ends early.
template <class T, class Truncated>
void read_elements(byte_source& src, element_type type, std::endian file_order, std::uint64_t count, double scale, T* dst,
                   Truncated&& truncated) {
    const std::size_t size = element_size(type);
    constexpr std::size_t chunk_bytes = 64 * 1024;
    const std::size_t chunk = chunk_bytes / size;
    unsigned char buffer[chunk_bytes];
    std::uint64_t done = 0;
    while (done < count) {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(chunk, count - done));
        const std::size_t got = read_fully(src, buffer, n * size);
        if (got < n * size) truncated(done * size + got);
        convert_elements(buffer, n, type, file_order, scale, dst + done);
        done += n;
    }
}

// count = product of shape, or false on overflow past 2^62 bytes.
inline bool element_count(const std::vector<std::int64_t>& shape, std::size_t elem_size, std::uint64_t& count) {
    std::uint64_t c = 1;
    for (const std::int64_t d : shape) {
        if (d < 0) return false;
        if (__builtin_mul_overflow(c, std::uint64_t(d), &c)) return false;
    }
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(c, std::uint64_t(elem_size), &bytes) || bytes > (std::uint64_t(1) << 62)) return false;
    count = c;
    return true;
}

// The Python dict literal of an .npy header: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class header_dict_parser {
public:
    header_dict_parser(std::string_view text, const std::string& where) : s_(text), where_(where) {}

    void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
        bool have_descr = false, have_fortran = false, have_shape = false;
        ws();
        expect('{');
        for (;;) {
            ws();
            if (peek() == '}') break;
            const std::string key = string_literal();
            ws();
            expect(':');
            ws();
            if (key == "descr") {
                if (peek() == '[') fail("has a structured dtype (a record array); save a plain numeric array instead");
                descr = string_literal();
                have_descr = true;
            } else if (key == "fortran_order") {
                fortran = boolean();
                have_fortran = true;
            } else if (key == "shape") {
                shape = tuple();
                have_shape = true;
            } else {
                fail("has an unknown header key '" + key + "'");
            }
            ws();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            ws();
            if (peek() != '}') fail("has a malformed header (expected ',' or '}')");
        }
        if (!have_descr || !have_fortran || !have_shape)
            fail("has a header without 'descr', 'fortran_order' or 'shape'");
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw data_error(where_ + ": " + what + "; is it an .npy file written by numpy?");
    }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("has a malformed header (expected '") + c + "')");
        ++i_;
    }
    std::string string_literal() {
        const char q = peek();
        if (q != '\'' && q != '"') fail("has a malformed header (expected a quoted string)");
        ++i_;
        const std::size_t end = s_.find(q, i_);
        if (end == std::string_view::npos) fail("has a malformed header (unterminated string)");
        std::string out(s_.substr(i_, end - i_));
        i_ = end + 1;
        return out;
    }
    bool boolean() {
        if (s_.substr(i_, 4) == "True") {
            i_ += 4;
            return true;
        }
        if (s_.substr(i_, 5) == "False") {
            i_ += 5;
            return false;
        }
        fail("has a malformed header (fortran_order is not True or False)");
    }
    std::vector<std::int64_t> tuple() {
        std::vector<std::int64_t> dims;
        expect('(');
        for (;;) {
            ws();
            if (peek() == ')') {
                ++i_;
                return dims;
            }
            if (peek() < '0' || peek() > '9') fail("has a malformed shape in its header");
            std::int64_t d = 0;
            while (peek() >= '0' && peek() <= '9') {
                if (d > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail("has a dimension too large in its header");
                d = d * 10 + (peek() - '0');
                ++i_;
            }
            if (peek() == 'L') ++i_;  // Python 2's long literal
            dims.push_back(d);
            ws();
            if (peek() == ',') ++i_;
            else if (peek() != ')') fail("has a malformed shape in its header");
        }
    }

    std::string_view s_;
    const std::string& where_;
    std::size_t i_ = 0;
};

inline element_type parse_descr(const std::string& descr, const std::string& where) {
    const std::string supported = "float32, float64, uint8, int8, int16, int32, int64 and bool";
    if (descr.size() < 2) throw data_error(where + ": has dtype '" + descr + "', which hpsgen cannot read; it reads " + supported);
    const char order = descr[0];
    std::string code = descr.substr(1);
    if (order != '<' && order != '>' && order != '|' && order != '=') code = descr;
    element_type t;
    if (code == "f4") t = element_type::float32;
    else if (code == "f8") t = element_type::float64;
    else if (code == "u1") t = element_type::uint8;
    else if (code == "i1") t = element_type::int8;
    else if (code == "i2") t = element_type::int16;
    else if (code == "i4") t = element_type::int32;
    else if (code == "i8") t = element_type::int64;
    else if (code == "b1") t = element_type::boolean;
    else
        throw data_error(where + ": has dtype '" + descr + "', which hpsgen cannot read; it reads " + supported +
                         "; convert it, e.g. np.save(path, x.astype(np.float32))");
    const bool big = order == '>' || (order == '=' && std::endian::native == std::endian::big);
    if (big && element_size(t) > 1)
        throw data_error(where + ": is big-endian ('" + descr + "'); hpsgen reads little-endian data: save it with x.astype('<" +
                         code + "')");
    return t;
}

// Reads and checks the header; src is left at the first data byte.
inline npy_header read_npy_header(byte_source& src, const std::string& where) {
    unsigned char pre[12];
    const std::size_t got = read_fully(src, pre, 10);
    if (got < 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
        throw data_error(where + ": is not an .npy file (no \\x93NUMPY magic at the start); write it with numpy.save");
    npy_header h;
    h.version = pre[6];
    std::uint64_t dict_len = 0;
    std::uint64_t prefix = 10;
    if (h.version == 1) {
        dict_len = load_le(pre + 8, 2);
    } else if (h.version == 2 || h.version == 3) {
        if (read_fully(src, pre + 10, 2) < 2) throw data_error(where + ": is truncated inside its header; save it again");
        dict_len = load_le(pre + 8, 4);
        prefix = 12;
    } else {
        throw data_error(where + ": has .npy format version " + std::to_string(pre[6]) + "." + std::to_string(pre[7]) +
                         ", which hpsgen does not know (it reads 1.0, 2.0 and 3.0); save it with numpy.save");
    }
    if (dict_len > (std::uint64_t(1) << 24))
        throw data_error(where + ": has an implausible header length " + std::to_string(dict_len) + "; the file is corrupt");
    std::string dict(std::size_t(dict_len), '\0');
    if (read_fully(src, dict.data(), dict.size()) < dict.size())
        throw data_error(where + ": is truncated inside its header; save it again");
    h.header_bytes = prefix + dict_len;

    std::string descr;
    bool fortran = false;
    header_dict_parser(dict, where).parse(descr, fortran, h.shape);
    h.type = parse_descr(descr, where);
    if (fortran && h.shape.size() > 1)
        throw data_error(where + ": is stored in Fortran order; hpsgen reads C order: save np.ascontiguousarray(x) instead");
    if (!element_count(h.shape, element_size(h.type), h.count))
        throw data_error(where + ": has an impossible shape " + shape_text(h.shape) + "; the file is corrupt");
    return h;
}

[[noreturn]] inline void throw_truncated(const std::string& where, const npy_header& h, std::uint64_t found) {
    throw data_error(where + ": is truncated: shape " + shape_text(h.shape) + " of " + element_name(h.type) + " needs " +
                     std::to_string(h.data_bytes()) + " bytes of data after the " + std::to_string(h.header_bytes) +
                     "-byte header, but only " + std::to_string(found) + " are there; save it again");
}

// The rest of an .npy stream after its header: raw bytes or converted values.
inline void read_npy_raw(byte_source& src, const npy_header& h, const std::string& where, npy_array& out) {
    out.shape = h.shape;
    out.type = h.type;
    out.bytes.resize(std::size_t(h.data_bytes()));
    const std::size_t got = read_fully(src, out.bytes.data(), out.bytes.size());
    if (got < out.bytes.size()) throw_truncated(where, h, got);
}

template <class T>
void read_npy_values(byte_source& src, const npy_header& h, const std::string& where, double scale, loaded_array<T>& out) {
    out.shape = h.shape;
    out.source_type = h.type;
    out.values.resize(std::size_t(h.count));
    read_elements(src, h.type, std::endian::little, h.count, scale, out.values.data(),
                  [&](std::uint64_t found) { throw_truncated(where, h, found); });
}

// Checks that `available` bytes (after the header) hold the data, before allocating.
inline void check_available(const npy_header& h, std::uint64_t available, const std::string& where) {
    if (h.data_bytes() > available) throw_truncated(where, h, available);
}

}  // namespace io_detail

namespace io_detail {

// An .npy file opened and its header read; the data's size checked by check_size().
struct npy_file_stream {
    explicit npy_file_stream(const std::string& path)
        : path(path), file(open_for_reading(path)), size(file_size(file.get(), path)), source(file.get(), size, path),
          header(read_npy_header(source, path)) {}
    void check_size() const { check_available(header, size - std::min(size, header.header_bytes), path); }

    std::string path;
    file_ptr file;
    std::uint64_t size;
    file_source source;
    npy_header header;
};

}  // namespace io_detail

// The header of an .npy file: shape and type, without reading the data.
inline npy_header read_npy_header(const std::string& path) { return io_detail::npy_file_stream(path).header; }

// The whole array, as stored.
inline npy_array read_npy(const std::string& path) {
    io_detail::npy_file_stream s(path);
    s.check_size();
    npy_array out;
    io_detail::read_npy_raw(s.source, s.header, path, out);
    return out;
}

// The whole array converted to T (float or double), each value multiplied by `scale`
// (in double, then rounded to T) unless scale is 1.
template <class T = float> loaded_array<T> read_npy_as(const std::string& path, double scale = 1.0) {
    io_detail::npy_file_stream s(path);
    s.check_size();
    loaded_array<T> out;
    io_detail::read_npy_values(s.source, s.header, path, scale, out);
    return out;
}

// The .npy header (magic, version, length, dict padded to a multiple of 64 bytes) for
// an array of this type and shape, C order, little-endian.
inline std::string npy_header_bytes(element_type type, const std::vector<std::int64_t>& shape) {
    static const char* descr[] = {"<f4", "<f8", "|u1", "|i1", "<i2", "<i4", "<i8", "|b1"};
    std::string dict = "{'descr': '";
    dict += descr[int(type)];
    dict += "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
    // The dict, newline included, pads the header to a multiple of 64 bytes; version 1.0
    // stores its length in 16 bits, 2.0 in 32.
    const auto padded = [&](std::size_t prefix) { return (prefix + dict.size() + 1 + 63) / 64 * 64; };
    const bool v1 = padded(10) - 10 <= 65535;
    const std::size_t prefix = v1 ? 10 : 12;
    const std::size_t total = padded(prefix);
    dict.append(total - prefix - dict.size() - 1, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += char(v1 ? 1 : 2);
    out += char(0);
    io_detail::store_le(out, dict.size(), v1 ? 2 : 4);
    return out + dict;
}

// Writes an .npy file atomically. T: float, double, uint8_t, int8_t, int16_t, int32_t,
// int64_t or bool; `data` holds the product of `shape` elements in C order.
template <class T> void write_npy(const std::string& path, const std::vector<std::int64_t>& shape, const T* data) {
    static_assert(std::endian::native == std::endian::little || sizeof(T) == 1,
                  "write_npy: writing on a big-endian machine is not supported");
    std::uint64_t count = 0;
    if (!io_detail::element_count(shape, sizeof(T), count))
        throw std::invalid_argument("write_npy: impossible shape " + shape_text(shape));
    atomic_file file(path);
    file.write(npy_header_bytes(element_type_of<T>(), shape));
    file.write(data, std::size_t(count) * sizeof(T));
    file.commit();
}

}  // namespace hps
