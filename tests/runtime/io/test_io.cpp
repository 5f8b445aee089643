// hps/io.hpp: atomic writes (old or new file, never a mix, no temporary left behind),
// JSON and CSV checked by python's json and csv modules.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <hps/io.hpp>

#include <csignal>
#include <cstdint>
#include <limits>
#include <string>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_support.hpp"

using hps_test::message_of;
using hps_test::read_text;
using hps_test::temp_dir;

namespace {

bool has_temporaries(const std::string& dir) {
    for (const std::string& name : hps_test::list_dir(dir))
        if (name.find(".tmp.") != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("atomic write creates, then replaces, and leaves no temporary") {
    temp_dir dir;
    const std::string path = dir / "result.json";
    hps::write_file_atomic(path, "first\n");
    CHECK(read_text(path) == "first\n");
    hps::write_file_atomic(path, "second, longer\n");
    CHECK(read_text(path) == "second, longer\n");
    hps::write_file_atomic(path, "");
    CHECK(read_text(path).empty());
    CHECK(hps_test::list_dir(dir.path) == std::vector<std::string>{"result.json"});

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((st.st_mode & 0777) == (0644 & ~mask));
}

TEST_CASE("atomic_file written in pieces is invisible until commit") {
    temp_dir dir;
    const std::string path = dir / "ckpt.bin";
    hps::write_file_atomic(path, "old");
    {
        hps::atomic_file f(path);
        f.write("new ");
        CHECK(read_text(path) == "old");  // readers still see the old file
        f.write("contents");
        f.commit();
    }
    CHECK(read_text(path) == "new contents");
    {
        hps::atomic_file f(path);
        f.write("abandoned");
        // destroyed without commit: an exception half-way through a checkpoint
    }
    CHECK(read_text(path) == "new contents");
    CHECK_FALSE(has_temporaries(dir.path));
}

TEST_CASE("atomic write into a missing folder: clear error, nothing left") {
    temp_dir dir;
    const std::string path = dir / "no-such-folder/result.json";
    const std::string msg = message_of<hps::io_error>([&] { hps::write_file_atomic(path, "x"); });
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("No such file or directory") != std::string::npos);
    CHECK(msg.find("create the folder") != std::string::npos);
    CHECK(hps_test::list_dir(dir.path).empty());
}

TEST_CASE("atomic write below a file that is not a folder") {
    temp_dir dir;
    hps_test::write_text(dir / "plain", "x");
    const std::string msg = message_of<hps::io_error>([&] { hps::write_file_atomic(dir / "plain/result.json", "x"); });
    CHECK(msg.find("plain/result.json") != std::string::npos);
    CHECK(msg.find("Not a directory") != std::string::npos);
    CHECK(hps_test::list_dir(dir.path) == std::vector<std::string>{"plain"});
}

TEST_CASE("atomic write into a read-only folder") {
    if (::geteuid() == 0) {
        MESSAGE("running as root, which writes into read-only folders: skipped");
        return;
    }
    temp_dir dir;
    const std::string sub = dir / "ro";
    REQUIRE(::mkdir(sub.c_str(), 0555) == 0);
    const std::string msg = message_of<hps::io_error>([&] { hps::write_file_atomic(sub + "/result.json", "x"); });
    CHECK(msg.find("Permission denied") != std::string::npos);
    ::chmod(sub.c_str(), 0755);
    CHECK(hps_test::list_dir(sub).empty());
}

TEST_CASE("a write that fails half-way (file size limit) keeps the old file") {
    // RLIMIT_FSIZE makes write() fail with EFBIG past the limit, as a full disk fails
    // with ENOSPC: the same path through atomic_file.
    temp_dir dir;
    const std::string path = dir / "metrics.csv";
    hps::write_file_atomic(path, "old contents\n");
    rlimit old_limit {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    void (*old_handler)(int) = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    const std::string big(100000, 'x');
    std::string msg;
    try {
        hps::write_file_atomic(path, big);
    } catch (const hps::io_error& e) {
        msg = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("File too large") != std::string::npos);
    CHECK(read_text(path) == "old contents\n");
    CHECK_FALSE(has_temporaries(dir.path));
}

TEST_CASE("append_file grows a file by whole lines") {
    temp_dir dir;
    const std::string path = dir / "log.csv";
    hps::append_file(path, "a,b\n");
    hps::append_file(path, "1,2\n");
    CHECK(read_text(path) == "a,b\n1,2\n");
    CHECK_THROWS_AS(hps::append_file(dir / "missing/log.csv", "x"), hps::io_error);
}

TEST_CASE("format_number is the shortest round-trip text") {
    CHECK(hps::format_number(0.1) == "0.1");
    CHECK(hps::format_number(3.0) == "3");
    CHECK(hps::format_number(1e-5) == "1e-05");
    CHECK(hps::format_number(0.1 + 0.2) == "0.30000000000000004");
    CHECK(hps::format_number(-0.0) == "-0");
    CHECK(hps::format_number(std::numeric_limits<double>::quiet_NaN()) == "nan");
    CHECK(hps::format_number(-std::numeric_limits<double>::infinity()) == "-inf");
    for (const double v : {1.0 / 3, 2.0 / 3, 1e300, 5e-324, 0.8485, 123456789.125}) {
        CHECK(std::strtod(hps::format_number(v).c_str(), nullptr) == v);
    }
}

TEST_CASE("json_quote escapes what JSON requires") {
    CHECK(hps::json_quote("plain") == "\"plain\"");
    CHECK(hps::json_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(hps::json_quote("\n\t\r\b\f") == "\"\\n\\t\\r\\b\\f\"");
    CHECK(hps::json_quote(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\\u007f\"");
    CHECK(hps::json_quote(std::string("nul\0in", 6)) == "\"nul\\u0000in\"");
    CHECK(hps::json_quote("\xc2\xb5m") == "\"\xc2\xb5m\"");  // valid UTF-8 passes
    CHECK(hps::json_quote("\xff") == "\"\xef\xbf\xbd\"");  // invalid byte -> U+FFFD
    CHECK(hps::json_quote("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate
}

TEST_CASE("json_writer output parses with python's json module") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (const int indent : {0, 2}) {
        CAPTURE(indent);
        hps::json_writer w(indent);
        w.begin_object();
        w.member("plain", "hello");
        w.member("escapes", std::string("quote \" backslash \\ slash / newline \n tab \t cr \r bell \x07 nul ") +
                                std::string(1, '\0') + " del \x7f");
        w.member("unicode", "\xc2\xb5m \xe2\x86\x92 \xf0\x9f\x98\x80");
        w.member("invalid utf-8", "a\xff" "b\xe2\x82" "c");
        w.key("numbers").begin_array();
        for (const double v : {0.1, 1e-5, 1e300, -0.0, 3.0, 5e-324, 1.7976931348623157e308, 2.0 / 3.0}) w.value(v);
        w.end_array();
        w.key("non-finite").begin_array().value(nan).value(inf).value(-inf).end_array();
        w.key("integers").begin_array();
        w.value(0).value(-1).value(std::numeric_limits<std::int64_t>::max()).value(std::numeric_limits<std::int64_t>::min());
        w.value(std::numeric_limits<std::uint64_t>::max());
        w.end_array();
        w.key("booleans").begin_array().value(true).value(false).null().end_array();
        w.key("empty object").begin_object().end_object();
        w.key("empty array").begin_array().end_array();
        w.key("nested").begin_object();
        w.key("a").begin_array().value(1).begin_array().value(2).begin_object().member("b", "c").end_object().end_array().end_array();
        w.key("d").begin_object().end_object();
        w.end_object();
        w.member("", "empty key");
        w.end_object();
        temp_dir dir;
        const std::string path = dir / "out.json";
        hps::write_file_atomic(path, w.str());
        CHECK(hps_test::python("check_io.py", {"json", path}) == 0);
        if (indent == 0) CHECK(w.str().find('\n') == w.str().size() - 1);
    }
}

TEST_CASE("json_writer refuses malformed documents") {
    {
        hps::json_writer w;
        w.begin_object();
        CHECK_THROWS_AS(w.value(1), std::logic_error);  // a value without a key
    }
    {
        hps::json_writer w;
        w.begin_array();
        CHECK_THROWS_AS(w.key("k"), std::logic_error);  // a key in an array
        CHECK_THROWS_AS(w.end_object(), std::logic_error);
        CHECK_THROWS_AS(w.str(), std::logic_error);  // not complete
    }
    {
        hps::json_writer w;
        w.value(1);
        CHECK_THROWS_AS(w.value(2), std::logic_error);  // two documents
    }
    {
        hps::json_writer w(0);
        w.begin_object().member("a", 1).member("b", 2.5).end_object();
        CHECK(w.str() == "{\"a\":1,\"b\":2.5}\n");
    }
    {
        hps::json_writer w(2);
        w.begin_object().member("a", 1).key("b").begin_array().value(true).end_array().end_object();
        CHECK(w.str() == "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}\n");
    }
}

TEST_CASE("csv_row output parses with python's csv module") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    std::string text;
    text += hps::csv_row().field("step").field("split").field("with,comma").field("with \"quotes\"").field("line\nbreak").empty_field().str();
    text += hps::csv_row().field(100).field("validation").field(0.1).field(nan).field(inf).field(-inf).str();
    text += hps::csv_row().field(-5).field("").field(1e-5).field(0.1 + 0.2).field(std::numeric_limits<std::uint64_t>::max()).field("x").str();
    CHECK(hps::csv_row().field("a").field(1.5).field(std::int64_t(2)).str() == "a,1.5,2\n");
    CHECK(hps::csv_quote("a\"b") == "\"a\"\"b\"");
    temp_dir dir;
    const std::string path = dir / "metrics.csv";
    hps::write_file_atomic(path, text);
    CHECK(hps_test::python("check_io.py", {"csv", path}) == 0);
}
