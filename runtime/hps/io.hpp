// File output for trainers: atomic writes, a tiny JSON writer, CSV rows; and the
// runtime's file error types.
//
// Atomic write: the bytes go to `<path>.tmp.<pid>` in the same directory, which is
// fsync'ed and renamed over `path` (then the directory is fsync'ed, best effort). A
// reader, or a job killed half-way, sees the old file or the new one, never a mix. On
// any failure the temporary is removed and an io_error names the path and strerror.
//
// Numbers are written in the shortest form that reads back to the same double
// (std::to_chars); JSON has no NaN or Inf, so they are written as null; CSV writes
// nan, inf, -inf (what Python's float() and pandas read).
#pragma once

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hps {

// A data file that cannot be read or does not match what the spec says. The message
// names the file, what was found, what was expected and a fix.
struct data_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A file that cannot be written (missing folder, no permission, full disk).
struct io_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

namespace io_detail {

inline std::string errno_text(int err) { return std::strerror(err); }

inline std::string dir_of(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace io_detail

// A file written in pieces and published whole by commit(). Destroying an uncommitted
// atomic_file removes its temporary, so an exception half-way leaves the old file.
class atomic_file {
public:
    explicit atomic_file(std::string path)
        : path_(std::move(path)), tmp_(path_ + ".tmp." + std::to_string(::getpid())) {
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            const int err = errno;
            fail("cannot create " + tmp_, err);
        }
    }
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(tmp_.c_str());
    }

    const std::string& path() const { return path_; }

    void write(const void* data, std::size_t size) {
        const char* p = static_cast<const char*>(data);
        while (size > 0) {
            const ::ssize_t n = ::write(fd_, p, size);
            if (n < 0) {
                const int err = errno;
                if (err == EINTR) continue;
                fail("cannot write", err);
            }
            p += n;
            size -= std::size_t(n);
        }
    }
    void write(std::string_view text) { write(text.data(), text.size()); }

    // fsync, close, rename over the target, fsync the folder. Throws io_error on failure.
    void commit() {
        flush();
        publish();
    }

    // The two halves of commit, for a writer of many files that wants every one of them
    // on disk before any replaces its target (hpsgen generate): flush fails on a full
    // disk, publish (a rename) does not need space.
    void flush() {
        if (::fsync(fd_) != 0) {
            const int err = errno;
            fail("cannot flush", err);
        }
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) {
            const int err = errno;
            fail("cannot close", err);
        }
    }
    void publish() {
        if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
            const int err = errno;
            fail("cannot rename " + tmp_ + " onto it", err);
        }
        committed_ = true;
        const int dir = ::open(io_detail::dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            ::fsync(dir);  // best effort: the rename is already visible
            ::close(dir);
        }
    }

private:
    [[noreturn]] void fail(const std::string& what, int err) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        ::unlink(tmp_.c_str());
        committed_ = true;  // nothing left to clean up
        std::string hint;
        if (err == ENOENT) hint = "; create the folder first";
        else if (err == EACCES || err == EPERM || err == EROFS) hint = "; check the folder's permissions";
        else if (err == ENOSPC || err == EDQUOT) hint = "; free some space or write elsewhere";
        else if (err == EFBIG) hint = "; the file size limit (ulimit -f) is too low for it";
        throw io_error(path_ + ": " + what + " (" + io_detail::errno_text(err) + ")" + hint);
    }

    std::string path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

// Replaces `path` with `contents`, atomically.
inline void write_file_atomic(const std::string& path, std::string_view contents) {
    atomic_file file(path);
    file.write(contents);
    file.commit();
}

// Appends `text` to `path` (created if missing) and fsyncs (unless `flush` is false: for
// files rebuilt at every start, hps/train/run_logs.hpp): for logs that grow by whole lines.
// Not atomic: a crash can leave a partial last line.
inline void append_file(const std::string& path, std::string_view text, bool flush = true) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error(path + ": cannot open for appending (" + io_detail::errno_text(errno) + ")");
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ::ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            throw io_error(path + ": cannot append (" + io_detail::errno_text(err) + ")");
        }
        p += n;
        left -= std::size_t(n);
    }
    const int synced = flush ? ::fsync(fd) : 0;
    const int err = errno;
    ::close(fd);
    if (synced != 0) throw io_error(path + ": cannot flush (" + io_detail::errno_text(err) + ")");
}

// 64-bit FNV-1a as 16 hex digits: the generator's network signatures and point identities
// (generator/emit.hpp's fingerprint), a trainer's MLflow ids (hps/train/run_logs.hpp).
inline std::string fnv1a_hex(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char ch : text) {
        h ^= ch;
        h *= 0x100000001b3ull;
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

// The shortest text that reads back to the same double ("0.1", "1e-05", "3");
// nan, inf, -inf for the non-finite.
inline std::string format_number(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[32];
    const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, r.ptr);
}

// A JSON string literal, quotes included. Control characters are escaped; invalid UTF-8
// bytes become U+FFFD so that the output is always valid JSON.
inline std::string json_quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    static const char hex[] = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += char(c);
                }
            }
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence (no overlongs, no surrogates, <= U+10FFFF) is
        // copied as is.
        int len = 0;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        }
        bool ok = len > 0 && i + std::size_t(len) <= n;
        if (ok && (s[i + 1] < lo || s[i + 1] > hi)) ok = false;
        for (int k = 2; ok && k < len; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) ok = false;
        if (ok) {
            out.append(reinterpret_cast<const char*>(s + i), std::size_t(len));
            i += std::size_t(len);
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    out += '"';
    return out;
}

// Builds one JSON document. Calls nest: begin_object/key/value.../end_object. With
// indent > 0 the output is pretty-printed (one member per line), else compact.
// Misuse (a value where a key is due, unbalanced ends) throws std::logic_error.
class json_writer {
public:
    explicit json_writer(int indent = 2) : indent_(indent) {}

    json_writer& begin_object() { return open('{', true); }
    json_writer& end_object() { return close('}', true); }
    json_writer& begin_array() { return open('[', false); }
    json_writer& end_array() { return close(']', false); }

    json_writer& key(std::string_view name) {
        if (stack_.empty() || !stack_.back().object || stack_.back().key_pending)
            throw std::logic_error("json_writer: key outside an object or twice in a row");
        separate();
        out_ += json_quote(name);
        out_ += indent_ > 0 ? ": " : ":";
        stack_.back().key_pending = true;
        return *this;
    }

    json_writer& value(double v) {
        before_value();
        out_ += std::isfinite(v) ? format_number(v) : std::string("null");
        return *this;
    }
    json_writer& value(float v) { return value(double(v)); }
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
    json_writer& value(I v) {
        before_value();
        out_ += std::to_string(v);
        return *this;
    }
    json_writer& value(bool v) {
        before_value();
        out_ += v ? "true" : "false";
        return *this;
    }
    json_writer& value(std::string_view v) {
        before_value();
        out_ += json_quote(v);
        return *this;
    }
    json_writer& value(const char* v) { return value(std::string_view(v)); }
    json_writer& value(const std::string& v) { return value(std::string_view(v)); }
    json_writer& null() {
        before_value();
        out_ += "null";
        return *this;
    }

    // Shorthand for key(name).value(v).
    template <class T> json_writer& member(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }

    // The document, ending in a newline; throws if it is not complete.
    std::string str() const {
        if (!stack_.empty() || !done_) throw std::logic_error("json_writer: document is not complete");
        return out_ + "\n";
    }

private:
    struct level {
        bool object;
        bool empty = true;
        bool key_pending = false;
    };

    void newline() {
        if (indent_ <= 0) return;
        out_ += '\n';
        out_.append(stack_.size() * std::size_t(indent_), ' ');
    }
    void separate() {
        level& top = stack_.back();
        if (!top.empty) out_ += ',';
        top.empty = false;
        newline();
    }
    void before_value() {
        if (stack_.empty()) {
            if (done_) throw std::logic_error("json_writer: a second top-level value");
            done_ = true;
            return;
        }
        level& top = stack_.back();
        if (top.object) {
            if (!top.key_pending) throw std::logic_error("json_writer: a value in an object needs a key first");
            top.key_pending = false;
        } else {
            separate();
        }
    }
    json_writer& open(char c, bool object) {
        before_value();
        out_ += c;
        stack_.push_back(level{object});
        return *this;
    }
    json_writer& close(char c, bool object) {
        if (stack_.empty() || stack_.back().object != object || stack_.back().key_pending)
            throw std::logic_error("json_writer: unbalanced end_object/end_array");
        const bool empty = stack_.back().empty;
        stack_.pop_back();
        if (!empty) newline();
        out_ += c;
        return *this;
    }

    int indent_;
    std::string out_;
    std::vector<level> stack_;
    bool done_ = false;
};

// One CSV field: quoted (with doubled quotes) when it holds a comma, quote or newline.
inline std::string csv_quote(std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
    std::string out = "\"";
    for (const char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

// One CSV line built field by field: csv_row().field("step").field(1.5).str() == "step,1.5\n".
class csv_row {
public:
    csv_row& field(std::string_view text) {
        sep();
        line_ += csv_quote(text);
        return *this;
    }
    csv_row& field(const char* text) { return field(std::string_view(text)); }
    csv_row& field(const std::string& text) { return field(std::string_view(text)); }
    csv_row& field(double v) {
        sep();
        line_ += format_number(v);
        return *this;
    }
    csv_row& field(float v) { return field(double(v)); }
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
    csv_row& field(I v) {
        sep();
        line_ += std::to_string(v);
        return *this;
    }
    csv_row& empty_field() {
        sep();
        return *this;
    }
    std::string str() const { return line_ + "\n"; }

private:
    void sep() {
        if (!first_) line_ += ',';
        first_ = false;
    }
    std::string line_;
    bool first_ = true;
};

}  // namespace hps
