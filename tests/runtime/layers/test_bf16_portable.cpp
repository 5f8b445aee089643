// The suite's own flags (no -march=native): no bf16 kernels, so a bf16 run is refused, and
// the reason says what to do (a study built with HPS_NATIVE=OFF is such a program). The
// scalar rounding, which every build has, rounds to nearest even. Built a second time
// (runtime.layers.bf16_disabled) with -march=native and HPS_NO_BF16, as a study with no bf16
// point builds its trainers: no kernels even on an AVX512_BF16 target, and the refusal says
// how to get them.
#include "hps/layers/bf16_kernels.hpp"

#include <doctest/doctest.h>

#include <string>

#ifdef HPS_NO_BF16
TEST_CASE("bf16 left out of a study's build: no kernels, refused, with the reason and the fix") {
    CHECK_FALSE(hps::detail::bf16::compiled);
    CHECK(HPS_BF16_KERNELS == 0);
    const std::string why = hps::bf16_unavailable();
    INFO(why);
    CHECK(why.find("built without the bf16 path") != std::string::npos);
    CHECK(why.find("precision bf16") != std::string::npos);
    CHECK(why.find("-DHPS_BF16=ON") != std::string::npos);
    CHECK(why.find("--precision fp32") != std::string::npos);
}
#else
TEST_CASE("bf16 without the kernels: refused, with the reason and the fix") {
    if (hps::detail::bf16::compiled) return;  // a build for an AVX512_BF16 target: runtime.layers.bf16's case
    const std::string why = hps::bf16_unavailable();
    INFO(why);
    CHECK(why.find("compiled without AVX512_BF16") != std::string::npos);
    CHECK(why.find("HPS_NATIVE") != std::string::npos);
    CHECK(why.find("--precision fp32") != std::string::npos);
}
#endif

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
