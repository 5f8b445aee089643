// A float32 .npy file (C order) for the suites that hand arrays to a python reference.
// The header is the runtime's own (hps::npy_header_bytes); unlike hps::write_npy, the file
// is written in place, without the fsyncs of an atomic write (the suites write hundreds).
#pragma once

#include <doctest/doctest.h>
#include <hps/npy.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

namespace hps_test {

inline void write_npy(const std::filesystem::path& path, const std::vector<int>& shape, const float* data) {
    const std::vector<std::int64_t> dims(shape.begin(), shape.end());
    std::size_t n = 1;
    for (const int d : shape) n *= std::size_t(d);
    std::ofstream out(path, std::ios::binary);
    REQUIRE_MESSAGE(out, "cannot write " << path.string());
    out << hps::npy_header_bytes(hps::element_type::float32, dims);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(n * sizeof(float)));
}

}  // namespace hps_test
