// resume.bin: a trainer's whole state between two processes, written atomically.
//
// Layout: "HPSRESUME" + format version (u32), then fields in the order the trainer
// writes them (u64/i64/f64 little-endian as the machine stores them; text as u64 length
// + bytes; float arrays as u64 count + floats), then "END!". A reader checks the magic,
// the version, every count against what the trainer expects, and the end mark, so a
// file from another build or a truncated one is refused with a message, never half-read.
#pragma once

#include "hps/io.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace hps {

inline constexpr char checkpoint_magic[] = "HPSRESUME";
inline constexpr std::uint32_t checkpoint_version = 1;

class checkpoint_writer {
public:
    explicit checkpoint_writer(const std::string& path) : file_(path) {
        file_.write(checkpoint_magic, sizeof checkpoint_magic);
        raw(checkpoint_version);
    }
    void u64(std::uint64_t v) { raw(v); }
    void i64(std::int64_t v) { raw(v); }
    void f64(double v) { raw(v); }
    void text(const std::string& s) {
        u64(s.size());
        file_.write(s.data(), s.size());
    }
    void floats(const float* p, std::size_t n) {
        u64(n);
        file_.write(p, n * sizeof(float));
    }
    void values(const std::vector<std::pair<std::string, double>>& v) {
        u64(v.size());
        for (const auto& [k, x] : v) {
            text(k);
            f64(x);
        }
    }
    void matrix(const std::vector<std::vector<long>>& m) {
        u64(m.size());
        for (const auto& row : m) {
            u64(row.size());
            for (long x : row) i64(x);
        }
    }
    void commit() {
        file_.write("END!", 4);
        file_.commit();
    }

private:
    template <class T>
    void raw(const T& v) {
        file_.write(&v, sizeof v);
    }
    atomic_file file_;
};

class checkpoint_reader {
public:
    explicit checkpoint_reader(const std::string& path) : path_(path) {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) throw io_error(path + ": cannot open (" + std::strerror(errno) + ")");
        char buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data_.append(buf, n);
        std::fclose(f);
        char magic[sizeof checkpoint_magic];
        take(magic, sizeof magic);
        if (std::memcmp(magic, checkpoint_magic, sizeof magic) != 0) bad("it is not an hps resume file");
        std::uint32_t version = 0;
        take(&version, sizeof version);
        if (version != checkpoint_version)
            bad("format version " + std::to_string(version) + ", this trainer reads " + std::to_string(checkpoint_version));
    }
    std::uint64_t u64() { return raw<std::uint64_t>(); }
    std::int64_t i64() { return raw<std::int64_t>(); }
    double f64() { return raw<double>(); }
    std::string text() {
        const std::uint64_t n = u64();
        if (n > data_.size() - pos_) bad("a text field runs past the end");
        std::string s = data_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    void floats(float* p, std::size_t expected) {
        const std::uint64_t n = u64();
        if (n != expected)
            bad("an array holds " + std::to_string(n) + " values where this trainer has " + std::to_string(expected));
        take(p, n * sizeof(float));
    }
    std::vector<std::pair<std::string, double>> values() {
        std::vector<std::pair<std::string, double>> v(count(1u << 20));
        for (auto& [k, x] : v) {
            k = text();
            x = f64();
        }
        return v;
    }
    std::vector<std::vector<long>> matrix() {
        std::vector<std::vector<long>> m(count(1u << 16));
        for (auto& row : m) {
            row.resize(count(1u << 16));
            for (auto& x : row) x = long(i64());
        }
        return m;
    }
    void finish() {
        char end[4];
        take(end, 4);
        if (std::memcmp(end, "END!", 4) != 0 || pos_ != data_.size()) bad("it does not end where expected");
    }

private:
    std::size_t count(std::uint64_t limit) {
        const std::uint64_t n = u64();
        if (n > limit) bad("a count is implausibly large");
        return std::size_t(n);
    }
    template <class T>
    T raw() {
        T v;
        take(&v, sizeof v);
        return v;
    }
    void take(void* out, std::size_t n) {
        if (n > data_.size() - pos_) bad("it is truncated");
        std::memcpy(out, data_.data() + pos_, n);
        pos_ += n;
    }
    [[noreturn]] void bad(const std::string& why) {
        throw io_error(path_ + ": cannot resume from it: " + why + "; delete it (or run with --fresh) to start over");
    }
    std::string path_, data_;
    std::size_t pos_ = 0;
};

}  // namespace hps
