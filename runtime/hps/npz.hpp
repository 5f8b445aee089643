// .npz archives: read (np.savez and np.savez_compressed) and write (stored, no
// compression; numpy.load reads it).
//
// An .npz is a ZIP archive of NAME.npy members. The reader takes the member list from
// the central directory (found through the end-of-central-directory record, with the
// ZIP64 records and extra fields numpy writes), reads a member stored (method 0) or
// deflated (method 8, raw deflate through zlib), streams it into its destination and
// checks its CRC-32 and size at the end. Encrypted members, other compression methods
// and multi-disk archives are refused with a message.
//
// The writer needs no ZIP64: it refuses an archive of 4 GiB or more (write .npy files).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

#include <hps/io.hpp>
#include <hps/npy.hpp>

namespace hps {

namespace io_detail {

// zlib's inflate over at most `limit` compressed bytes from the file's current position.
// window_bits: -15 for raw deflate (ZIP), 15 + 32 for gzip or zlib with automatic
// detection (then a gzip file of several members is read through to the end).
class inflate_source : public byte_source {
public:
    inflate_source(std::FILE* f, std::uint64_t limit, int window_bits, std::string where)
        : f_(f), left_(limit), window_bits_(window_bits), where_(std::move(where)) {
        zs_.zalloc = Z_NULL;
        zs_.zfree = Z_NULL;
        zs_.opaque = Z_NULL;
        zs_.next_in = in_;
        zs_.avail_in = 0;
        if (inflateInit2(&zs_, window_bits) != Z_OK) throw data_error(where_ + ": cannot start zlib's inflate");
    }
    inflate_source(const inflate_source&) = delete;
    inflate_source& operator=(const inflate_source&) = delete;
    ~inflate_source() override { inflateEnd(&zs_); }

    std::size_t read(void* dst, std::size_t n) override {
        std::size_t done = 0;
        auto* out = static_cast<unsigned char*>(dst);
        while (done < n && !finished_) {
            if (zs_.avail_in == 0) refill();
            const std::size_t want = std::min<std::size_t>(n - done, std::size_t(1) << 30);
            zs_.next_out = out + done;
            zs_.avail_out = uInt(want);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            done += want - zs_.avail_out;
            if (rc == Z_STREAM_END) {
                // gzip allows several members back to back; ZIP has one stream.
                if (window_bits_ > 15 && more_gzip()) {
                    inflateReset(&zs_);
                    continue;
                }
                finished_ = true;
            } else if (rc == Z_BUF_ERROR) {
                if (zs_.avail_in == 0 && left_ == 0)
                    throw data_error(where_ + ": the compressed data ends early; the file is truncated: write it again");
            } else if (rc != Z_OK) {
                throw data_error(where_ + ": corrupt compressed data (zlib: " + (zs_.msg ? zs_.msg : "error " + std::to_string(rc)) +
                                 "); write the file again");
            }
        }
        return done;
    }

private:
    void refill() {
        const std::size_t want = std::size_t(std::min<std::uint64_t>(sizeof in_, left_));
        const std::size_t got = want ? std::fread(in_, 1, want, f_) : 0;
        if (got < want) {
            if (std::ferror(f_)) {
                const int err = errno;
                throw data_error(where_ + ": read error (" + errno_text(err) + ")");
            }
        }
        left_ = got < want ? 0 : left_ - got;  // a short read: the file ends before the archive says
        zs_.next_in = in_;
        zs_.avail_in = uInt(got);
    }
    // After a gzip member: does another one follow? (Trailing bytes that are not a gzip
    // header are ignored, as gzip does.)
    bool more_gzip() {
        if (zs_.avail_in == 0) refill();
        return zs_.avail_in > 0 && zs_.next_in[0] == 0x1f;
    }

    std::FILE* f_;
    std::uint64_t left_;
    int window_bits_;
    std::string where_;
    z_stream zs_{};
    unsigned char in_[64 * 1024];
    bool finished_ = false;
};

// Passes bytes through, keeping their CRC-32 and count.
class crc_source : public byte_source {
public:
    explicit crc_source(byte_source& inner) : inner_(inner) {}
    std::size_t read(void* dst, std::size_t n) override {
        const std::size_t got = inner_.read(dst, n);
        if (got > 0) crc_ = crc32_z(crc_, static_cast<const Bytef*>(dst), got);
        count_ += got;
        return got;
    }
    // Reads what is left, so that crc() and count() cover the whole stream.
    void drain() {
        unsigned char buffer[16 * 1024];
        while (read(buffer, sizeof buffer) > 0) {
        }
    }
    std::uint32_t crc() const { return std::uint32_t(crc_); }
    std::uint64_t count() const { return count_; }

private:
    byte_source& inner_;
    uLong crc_ = crc32_z(0L, Z_NULL, 0);
    std::uint64_t count_ = 0;
};

inline std::string hex32(std::uint32_t v) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "0x%08x", v);
    return buffer;
}

}  // namespace io_detail

// One member of an .npz archive, as its central directory describes it.
struct npz_member {
    std::string name;  // the array's name: the file name without ".npy"
    std::string file_name;  // as in the archive: "x.npy"
    int method = 0;  // 0 stored, 8 deflated
    std::uint32_t crc = 0;
    std::uint64_t compressed_size = 0, size = 0;  // size: uncompressed bytes
    std::uint64_t local_header_offset = 0;
};

class npz_reader {
public:
    // Reads the archive's directory; members are read on demand.
    explicit npz_reader(std::string path) : path_(std::move(path)) {
        io_detail::file_ptr f = io_detail::open_for_reading(path_);
        file_size_ = io_detail::file_size(f.get(), path_);
        read_directory(f.get());
    }

    const std::string& path() const { return path_; }
    const std::vector<npz_member>& members() const { return members_; }

    // The arrays' names, in archive order.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const npz_member& m : members_) out.push_back(m.name);
        return out;
    }
    bool contains(std::string_view name) const { return lookup(name) != nullptr; }

    // A member by array name ("x") or file name ("x.npy"); the error lists the names present.
    const npz_member& member(std::string_view name) const {
        if (const npz_member* m = lookup(name)) return *m;
        std::string present;
        for (const npz_member& m : members_) present += (present.empty() ? "'" : ", '") + m.name + "'";
        if (present.empty()) present = "no arrays at all";
        throw data_error(path_ + ": has no array '" + std::string(name) + "'; it holds " + present +
                         ". Save the array under that name (np.savez(path, " + std::string(name) +
                         "=...)) or name the array the spec should use");
    }

    // Shape and type of one array, without reading its data.
    npy_header header(std::string_view name) const {
        const npz_member& m = member(name);
        io_detail::file_ptr f = io_detail::open_for_reading(path_);
        member_stream s(*this, f.get(), m);
        return s.header();
    }

    // One array as stored; its CRC-32 is checked.
    npy_array read(std::string_view name) const {
        const npz_member& m = member(name);
        io_detail::file_ptr f = io_detail::open_for_reading(path_);
        member_stream s(*this, f.get(), m);
        const npy_header h = s.header();
        npy_array out;
        io_detail::read_npy_raw(s.crc, h, s.where, out);
        s.finish();
        return out;
    }

    // One array converted to T (float or double), multiplied by `scale` unless it is 1;
    // its CRC-32 is checked.
    template <class T = float> loaded_array<T> read_as(std::string_view name, double scale = 1.0) const {
        const npz_member& m = member(name);
        io_detail::file_ptr f = io_detail::open_for_reading(path_);
        member_stream s(*this, f.get(), m);
        const npy_header h = s.header();
        loaded_array<T> out;
        io_detail::read_npy_values(s.crc, h, s.where, scale, out);
        s.finish();
        return out;
    }

private:
    // A member's uncompressed bytes, through a CRC check.
    struct member_stream {
        member_stream(const npz_reader& r, std::FILE* f, const npz_member& m)
            : m(m), where(r.path_ + ": array '" + m.name + "'"), inner(open(r, f, m, where)), crc(*inner) {}

        npy_header header() {
            const npy_header h = io_detail::read_npy_header(crc, where);
            io_detail::check_available(h, m.size - std::min(m.size, h.header_bytes), where);
            return h;
        }
        void finish() {
            crc.drain();
            if (crc.count() != m.size)
                throw data_error(where + ": holds " + std::to_string(crc.count()) + " bytes but the archive's directory says " +
                                 std::to_string(m.size) + "; the archive is corrupt: save it again");
            if (crc.crc() != m.crc)
                throw data_error(where + ": CRC-32 mismatch (directory " + io_detail::hex32(m.crc) + ", data " +
                                 io_detail::hex32(crc.crc()) + "); the archive is corrupt: save it again");
        }

        static std::unique_ptr<io_detail::byte_source> open(const npz_reader& r, std::FILE* f, const npz_member& m,
                                                            const std::string& where) {
            io_detail::seek_to(f, m.local_header_offset, r.path_);
            unsigned char lh[30];
            if (std::fread(lh, 1, 30, f) != 30 || io_detail::load_le(lh, 4) != 0x04034b50)
                throw data_error(where + ": no local file header at byte " + std::to_string(m.local_header_offset) +
                                 "; the archive is corrupt: save it again");
            const std::uint64_t data_start =
                m.local_header_offset + 30 + io_detail::load_le(lh + 26, 2) + io_detail::load_le(lh + 28, 2);
            if (data_start > r.file_size_ || m.compressed_size > r.file_size_ - data_start)
                throw data_error(where + ": the archive is truncated (the member needs bytes up to " +
                                 std::to_string(data_start + m.compressed_size) + ", the file has " +
                                 std::to_string(r.file_size_) + "); save it again");
            io_detail::seek_to(f, data_start, r.path_);
            if (m.method == 0) {
                if (m.compressed_size != m.size)
                    throw data_error(where + ": stored member whose sizes disagree; the archive is corrupt: save it again");
                return std::make_unique<io_detail::file_source>(f, m.size, where);
            }
            return std::make_unique<io_detail::inflate_source>(f, m.compressed_size, -15, where);
        }

        const npz_member& m;
        std::string where;
        std::unique_ptr<io_detail::byte_source> inner;
        io_detail::crc_source crc;
    };

    const npz_member* lookup(std::string_view name) const {
        for (const npz_member& m : members_)
            if (m.name == name || m.file_name == name) return &m;
        return nullptr;
    }

    [[noreturn]] void corrupt(const std::string& what) const {
        throw data_error(path_ + ": " + what + "; is it an .npz (ZIP) file? Save it again with numpy.savez");
    }

    void read_directory(std::FILE* f) {
        using io_detail::load_le;
        constexpr std::uint64_t eocd_size = 22;
        if (file_size_ < eocd_size) corrupt("is too short to be a ZIP archive (" + std::to_string(file_size_) + " bytes)");
        const std::uint64_t tail_size = std::min<std::uint64_t>(file_size_, eocd_size + 65535);
        std::vector<unsigned char> tail(tail_size);
        io_detail::seek_to(f, file_size_ - tail_size, path_);
        if (std::fread(tail.data(), 1, tail.size(), f) != tail.size()) corrupt("cannot be read to its end");
        // The end record is the last signature whose comment reaches the end of the file.
        std::int64_t at = -1;
        for (std::int64_t i = std::int64_t(tail_size - eocd_size); i >= 0; --i) {
            const unsigned char* p = tail.data() + i;
            if (load_le(p, 4) == 0x06054b50 && std::uint64_t(i) + eocd_size + load_le(p + 20, 2) <= tail_size) {
                at = i;
                break;
            }
        }
        if (at < 0) corrupt("has no ZIP end-of-central-directory record (truncated, or not a ZIP archive)");
        const unsigned char* e = tail.data() + at;
        const std::uint64_t eocd_pos = file_size_ - tail_size + std::uint64_t(at);
        std::uint64_t entries = load_le(e + 10, 2), cd_size = load_le(e + 12, 4), cd_offset = load_le(e + 16, 4);
        if (load_le(e + 4, 2) != 0 || load_le(e + 6, 2) != 0) corrupt("is a multi-disk ZIP archive, which hpsgen does not read");
        if (entries == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
            // ZIP64: the locator sits just before the end record.
            unsigned char loc[20], z[56];
            if (eocd_pos < 20) corrupt("says it is ZIP64 but has no ZIP64 locator");
            io_detail::seek_to(f, eocd_pos - 20, path_);
            if (std::fread(loc, 1, 20, f) != 20 || load_le(loc, 4) != 0x07064b50) corrupt("says it is ZIP64 but has no ZIP64 locator");
            const std::uint64_t z_pos = load_le(loc + 8, 8);
            if (file_size_ < 56 || z_pos > file_size_ - 56) corrupt("has a ZIP64 end record outside the file");
            io_detail::seek_to(f, z_pos, path_);
            if (std::fread(z, 1, 56, f) != 56 || load_le(z, 4) != 0x06064b50) corrupt("has a bad ZIP64 end record");
            entries = load_le(z + 32, 8);
            cd_size = load_le(z + 40, 8);
            cd_offset = load_le(z + 48, 8);
        }
        if (cd_offset > file_size_ || cd_size > file_size_ - cd_offset || cd_size > (std::uint64_t(1) << 30))
            corrupt("has a central directory outside the file (the file is truncated)");
        std::vector<unsigned char> cd(cd_size);
        io_detail::seek_to(f, cd_offset, path_);
        if (std::fread(cd.data(), 1, cd.size(), f) != cd.size()) corrupt("cannot be read (central directory)");

        std::uint64_t pos = 0;
        for (std::uint64_t k = 0; k < entries; ++k) {
            if (pos + 46 > cd.size() || load_le(cd.data() + pos, 4) != 0x02014b50)
                corrupt("has a damaged central directory (entry " + std::to_string(k) + ")");
            const unsigned char* c = cd.data() + pos;
            const std::uint64_t name_len = load_le(c + 28, 2), extra_len = load_le(c + 30, 2), comment_len = load_le(c + 32, 2);
            if (pos + 46 + name_len + extra_len + comment_len > cd.size())
                corrupt("has a damaged central directory (entry " + std::to_string(k) + ")");
            npz_member m;
            const std::uint64_t flags = load_le(c + 8, 2);
            m.method = int(load_le(c + 10, 2));
            m.crc = std::uint32_t(load_le(c + 16, 4));
            m.compressed_size = load_le(c + 20, 4);
            m.size = load_le(c + 24, 4);
            std::uint64_t disk = load_le(c + 34, 2);
            m.local_header_offset = load_le(c + 42, 4);
            m.file_name.assign(reinterpret_cast<const char*>(c + 46), name_len);
            // ZIP64 extra field: 64-bit values for the 32-bit fields that are all ones.
            const unsigned char* x = c + 46 + name_len;
            for (std::uint64_t xp = 0; xp + 4 <= extra_len;) {
                const std::uint64_t id = load_le(x + xp, 2), len = load_le(x + xp + 2, 2);
                if (xp + 4 + len > extra_len) break;
                if (id == 0x0001) {
                    const unsigned char* v = x + xp + 4;
                    std::uint64_t vp = 0;
                    const auto take = [&](std::uint64_t& field) {
                        if (vp + 8 > len) corrupt("has a damaged ZIP64 field for '" + m.file_name + "'");
                        field = load_le(v + vp, 8);
                        vp += 8;
                    };
                    if (m.size == 0xffffffff) take(m.size);
                    if (m.compressed_size == 0xffffffff) take(m.compressed_size);
                    if (m.local_header_offset == 0xffffffff) take(m.local_header_offset);
                    if (disk == 0xffff && vp + 4 <= len) disk = load_le(v + vp, 4);
                }
                xp += 4 + len;
            }
            pos += 46 + name_len + extra_len + comment_len;
            if (!m.file_name.empty() && m.file_name.back() == '/') continue;  // a folder entry
            if (flags & 1) corrupt("member '" + m.file_name + "' is encrypted, which hpsgen does not read");
            if (m.method != 0 && m.method != 8)
                corrupt("member '" + m.file_name + "' uses ZIP compression method " + std::to_string(m.method) +
                        "; hpsgen reads stored and deflated members (np.savez, np.savez_compressed)");
            if (disk != 0) corrupt("is a multi-disk ZIP archive, which hpsgen does not read");
            m.name = m.file_name;
            if (m.name.size() > 4 && m.name.compare(m.name.size() - 4, 4, ".npy") == 0) m.name.resize(m.name.size() - 4);
            members_.push_back(std::move(m));
        }
    }

    std::string path_;
    std::uint64_t file_size_ = 0;
    std::vector<npz_member> members_;
};

// One array for write_npz: a name (without ".npy"), a shape and C-order data that must
// outlive the call. T: float, double, int64_t, int32_t, uint8_t ... (see element_type_of).
struct npz_entry {
    std::string name;
    std::vector<std::int64_t> shape;
    element_type type;
    const void* data;

    template <class T>
    npz_entry(std::string name, std::vector<std::int64_t> shape, const T* data)
        : name(std::move(name)), shape(std::move(shape)), type(element_type_of<T>()), data(data) {}
};

// Writes an .npz (ZIP, members stored) atomically: what np.savez writes, minus ZIP64.
inline void write_npz(const std::string& path, const std::vector<npz_entry>& arrays) {
    static_assert(std::endian::native == std::endian::little, "write_npz: writing on a big-endian machine is not supported");
    using io_detail::store_le;
    constexpr std::uint64_t limit = 0xffffffffu;
    struct placed {
        std::string file_name;
        std::uint32_t crc;
        std::uint64_t size, offset;
    };
    std::vector<placed> done;
    atomic_file file(path);
    std::uint64_t offset = 0;
    // DOS time 00:00:00, date 1980-01-01: fixed, so that the same arrays give the same bytes.
    constexpr unsigned dos_time = 0, dos_date = (1 << 5) | 1;
    for (const npz_entry& a : arrays) {
        if (a.name.empty()) throw std::invalid_argument("write_npz: an array needs a name");
        for (const placed& p : done)
            if (p.file_name == a.name + ".npy") throw std::invalid_argument("write_npz: array '" + a.name + "' given twice");
        std::uint64_t count = 0;
        if (!io_detail::element_count(a.shape, element_size(a.type), count))
            throw std::invalid_argument("write_npz: array '" + a.name + "' has an impossible shape " + shape_text(a.shape));
        const std::string header = npy_header_bytes(a.type, a.shape);
        const std::uint64_t data_bytes = count * element_size(a.type);
        const std::uint64_t size = header.size() + data_bytes;
        const std::string file_name = a.name + ".npy";
        if (size >= limit || offset + 30 + file_name.size() + size >= limit)
            throw io_error(path + ": the arrays add up to 4 GiB or more, which needs ZIP64; write them as .npy files instead");
        uLong crc = crc32_z(0L, Z_NULL, 0);
        crc = crc32_z(crc, reinterpret_cast<const Bytef*>(header.data()), header.size());
        if (data_bytes > 0)  // crc32_z(crc, NULL, 0) would restart the CRC
            crc = crc32_z(crc, static_cast<const Bytef*>(a.data), std::size_t(data_bytes));

        std::string lh;
        store_le(lh, 0x04034b50, 4);
        store_le(lh, 20, 2);  // version needed: 2.0
        store_le(lh, 0, 2);  // flags
        store_le(lh, 0, 2);  // stored
        store_le(lh, dos_time, 2);
        store_le(lh, dos_date, 2);
        store_le(lh, crc, 4);
        store_le(lh, size, 4);
        store_le(lh, size, 4);
        store_le(lh, file_name.size(), 2);
        store_le(lh, 0, 2);  // extra length
        lh += file_name;
        file.write(lh);
        file.write(header);
        file.write(a.data, std::size_t(data_bytes));
        done.push_back({file_name, std::uint32_t(crc), size, offset});
        offset += lh.size() + size;
    }
    std::string cd;
    for (const placed& p : done) {
        store_le(cd, 0x02014b50, 4);
        store_le(cd, (3 << 8) | 20, 2);  // made by: Unix, 2.0
        store_le(cd, 20, 2);
        store_le(cd, 0, 2);
        store_le(cd, 0, 2);
        store_le(cd, dos_time, 2);
        store_le(cd, dos_date, 2);
        store_le(cd, p.crc, 4);
        store_le(cd, p.size, 4);
        store_le(cd, p.size, 4);
        store_le(cd, p.file_name.size(), 2);
        store_le(cd, 0, 2);  // extra
        store_le(cd, 0, 2);  // comment
        store_le(cd, 0, 2);  // disk
        store_le(cd, 0, 2);  // internal attributes
        store_le(cd, std::uint64_t(0100644) << 16, 4);  // external: a regular file, rw-r--r--
        store_le(cd, p.offset, 4);
        cd += p.file_name;
    }
    if (done.size() >= 0xffff || offset + cd.size() >= limit)
        throw io_error(path + ": too many arrays or too large for a ZIP without ZIP64; write them as .npy files instead");
    std::string end;
    store_le(end, 0x06054b50, 4);
    store_le(end, 0, 2);
    store_le(end, 0, 2);
    store_le(end, done.size(), 2);
    store_le(end, done.size(), 2);
    store_le(end, cd.size(), 4);
    store_le(end, offset, 4);
    store_le(end, 0, 2);  // comment
    file.write(cd);
    file.write(end);
    file.commit();
}

}  // namespace hps
