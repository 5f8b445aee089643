// A whole file as text, for the suites that read fixtures and expected output
// (tests/runtime/data/test_support.hpp, tests/dsl/check_test_util.hpp). A file that
// cannot be opened throws: inside a test case, doctest reports the message and fails the
// test.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace hps_test {

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace hps_test
