// IDX files (the MNIST family: train-images-idx3-ubyte, train-labels-idx1-ubyte), plain
// or gzip-compressed (recognised by the 1f 8b magic, whatever the file's name).
//
// Layout: a 4-byte magic 00 00 TT NN (TT the element type, NN the number of dimensions),
// NN big-endian uint32 dimensions, then the data in C order, big-endian. Types: 0x08
// uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. MNIST images
// are 0x00000803 (N, 28, 28 uint8), labels 0x00000801 (N uint8).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <hps/io.hpp>
#include <hps/npy.hpp>
#include <hps/npz.hpp>

namespace hps {

struct idx_header {
    element_type type = element_type::uint8;
    std::vector<std::int64_t> shape;
    bool gzip = false;
    std::uint64_t header_bytes = 0;  // 4 + 4 * dimensions (of the uncompressed stream)
    std::uint64_t count = 0;  // elements
    std::uint64_t data_bytes() const { return count * element_size(type); }
};

namespace io_detail {

// The element type of an IDX type byte; false for an unknown byte.
inline bool idx_element_type(unsigned char code, element_type& type) {
    switch (code) {
    case 0x08: type = element_type::uint8; return true;
    case 0x09: type = element_type::int8; return true;
    case 0x0b: type = element_type::int16; return true;
    case 0x0c: type = element_type::int32; return true;
    case 0x0d: type = element_type::float32; return true;
    case 0x0e: type = element_type::float64; return true;
    default: return false;
    }
}

inline bool starts_with_gzip_magic(std::FILE* f) {
    unsigned char m[2] = {0, 0};
    const std::size_t got = std::fread(m, 1, 2, f);
    std::rewind(f);
    return got == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

inline idx_header read_idx_header(byte_source& src, bool gzip, const std::string& path) {
    idx_header h;
    h.gzip = gzip;
    unsigned char magic[4];
    const std::size_t got = read_fully(src, magic, 4);
    const char* hint = "; an IDX file starts with 00 00, a type byte (08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, "
                       "0E float64) and the number of dimensions";
    if (got < 4) throw data_error(path + ": is too short for an IDX file (" + std::to_string(got) + " bytes)" + hint);
    char text[64];
    std::snprintf(text, sizeof text, "%02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]);
    if (magic[0] != 0 || magic[1] != 0)
        throw data_error(path + ": is not an IDX file (it starts with " + text + ")" + hint);
    if (!idx_element_type(magic[2], h.type))
        throw data_error(path + ": has an unknown IDX type byte in its magic " + text + hint);
    const int dims = magic[3];
    if (dims == 0) throw data_error(path + ": has an IDX magic with no dimensions (" + text + ")" + hint);
    std::vector<unsigned char> raw(std::size_t(dims) * 4);
    if (read_fully(src, raw.data(), raw.size()) < raw.size())
        throw data_error(path + ": is truncated inside its header (" + std::to_string(dims) + " dimensions announced)");
    for (int d = 0; d < dims; ++d) h.shape.push_back(std::int64_t(load_be(raw.data() + 4 * d, 4)));
    h.header_bytes = 4 + raw.size();
    if (!element_count(h.shape, element_size(h.type), h.count))
        throw data_error(path + ": has an impossible shape " + shape_text(h.shape) + " in its header; the file is corrupt");
    return h;
}

// Opens the file (through gzip when it starts with 1f 8b) and reads the header.
struct idx_stream {
    explicit idx_stream(const std::string& path) : path(path), file(open_for_reading(path)) {
        file_bytes = file_size(file.get(), path);
        const bool gzip = starts_with_gzip_magic(file.get());
        if (gzip) source = std::make_unique<inflate_source>(file.get(), file_bytes, 15 + 32, path);
        else source = std::make_unique<file_source>(file.get(), file_bytes, path);
        header = read_idx_header(*source, gzip, path);
    }

    [[noreturn]] void truncated(std::uint64_t found) const {
        throw data_error(path + ": is truncated: shape " + shape_text(header.shape) + " of " + element_name(header.type) +
                         " needs " + std::to_string(header.data_bytes()) + " bytes of data after the " +
                         std::to_string(header.header_bytes) + "-byte header, but only " + std::to_string(found) +
                         " are there" + (header.gzip ? " (uncompressed)" : "") + "; get the file again");
    }

    // Before allocating: could the file hold what the header announces? (Deflate packs
    // at most 1032 bytes into one.)
    void check_size() const {
        if (!header.gzip) {
            const std::uint64_t available = file_bytes - std::min(file_bytes, header.header_bytes);
            if (header.data_bytes() > available) truncated(available);
        } else if (header.data_bytes() > 1032 * file_bytes + 1024) {
            throw data_error(path + ": announces shape " + shape_text(header.shape) + " of " + element_name(header.type) +
                             ", more than a " + std::to_string(file_bytes) +
                             "-byte gzip file can hold; the file is corrupt: get it again");
        }
    }

    std::string path;
    file_ptr file;
    std::uint64_t file_bytes = 0;
    std::unique_ptr<byte_source> source;
    idx_header header;
};

}  // namespace io_detail

// The header of an IDX file: type and shape, without reading the data.
inline idx_header read_idx_header(const std::string& path) { return io_detail::idx_stream(path).header; }

// The whole array converted to T (float or double), C order, each value multiplied by
// `scale` (in double, then rounded to T) unless scale is 1.
template <class T = float> loaded_array<T> read_idx_as(const std::string& path, double scale = 1.0) {
    io_detail::idx_stream s(path);
    s.check_size();
    loaded_array<T> out;
    out.shape = s.header.shape;
    out.source_type = s.header.type;
    out.values.resize(std::size_t(s.header.count));
    io_detail::read_elements(*s.source, s.header.type, std::endian::big, s.header.count, scale, out.values.data(),
                             [&](std::uint64_t found) { s.truncated(found); });
    return out;
}

}  // namespace hps
