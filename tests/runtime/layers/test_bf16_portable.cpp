// The suite's own flags (no -march=native): no bf16 kernels, so a bf16 run is refused, and
// the reason says what to do (a study built with HPS_NATIVE=OFF is such a program). The
// scalar rounding, which every build has, rounds to nearest even.
#include "hps/layers/bf16_kernels.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("bf16 without the kernels: refused, with the reason and the fix") {
    if (hps::detail::bf16::compiled) return;  // a build for an AVX512_BF16 target: runtime.layers.bf16's case
    const std::string why = hps::bf16_unavailable();
    INFO(why);
    CHECK(why.find("compiled without AVX512_BF16") != std::string::npos);
    CHECK(why.find("HPS_NATIVE") != std::string::npos);
    CHECK(why.find("--precision fp32") != std::string::npos);
}

TEST_CASE("bf16 rounding without the kernels: to nearest even") {
    namespace h = hps::detail::bf16;
    CHECK(h::to_float(h::round(1.0f + 0x1p-8f)) == 1.0f);
    CHECK(h::to_float(h::round(1.0f + 3 * 0x1p-8f)) == 1.0f + 0x1p-6f);
    const float in[3] = {1.0f + 0x1p-8f, -3.0f, 0x1p-130f};
    h::bf16_t out[6];
    h::interleave(in, in + 1, out, 2);
    CHECK(out[0] == h::round(in[0]));
    CHECK(out[1] == h::round(in[1]));
    CHECK(h::to_float(out[3]) == 0.0f);  // a denormal: zero
}
