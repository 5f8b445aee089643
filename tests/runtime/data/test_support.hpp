// Helpers shared by the runtime's data, metrics and io suites: a temporary folder, the
// reference python (numpy, scikit-learn) run on a helper script, small file utilities.
//
// HPS_TEST_PYTHON (the python with numpy and sklearn) and HPS_TEST_DIR (the suite's
// source folder, where its helper scripts are) come from the suite's CMakeLists.txt.
#pragma once

#include "../../support/files.hpp"  // read_text

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace hps_test {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it at the end.
struct temp_dir {
    std::string path;
    temp_dir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/hps-test-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
        path = pattern;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Runs HPS_TEST_DIR/<script> with the reference python; returns its exit status.
inline int python(const std::string& script, const std::vector<std::string>& args) {
    std::string cmd = shell_quote(HPS_TEST_PYTHON);
    cmd += ' ';
    cmd += shell_quote(std::string(HPS_TEST_DIR) + "/" + script);
    for (const std::string& a : args) {
        cmd += ' ';
        cmd += shell_quote(a);
    }
    const int rc = std::system(cmd.c_str());
    if (rc == -1) return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error(path + ": cannot write");
}

// "name value" lines (values as python's repr of a float) -> map.
inline std::map<std::string, double> read_values(const std::string& path) {
    std::map<std::string, double> out;
    std::istringstream in(read_text(path));
    std::string name, value;
    while (in >> name >> value) out[name] = std::strtod(value.c_str(), nullptr);
    return out;
}

inline std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path)) out.push_back(e.path().filename().string());
    return out;
}

// The message of the exception `f` throws, as type E; fails the test if none is thrown.
template <class E, class F> std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("expected an exception");
    return "";
}

}  // namespace hps_test
