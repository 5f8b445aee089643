// Nothing allocates in a training step (docs/runtime.md): Model-108 of workload 1 at batch
// 128 (convolutions, pools, dense layers with detail::gemm, dropout, Adam), counted by
// interposing malloc and its aligned forms (what Eigen and operator new call), with 1 and
// 2 OpenMP threads. Not under AddressSanitizer, which interposes malloc itself.
#include "test_support.hpp"

#include <cstddef>
#include <memory>

#if defined(_OPENMP)
#include <omp.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define HPS_COUNT_ALLOCATIONS 0
#else
#define HPS_COUNT_ALLOCATIONS 1
#endif

#if HPS_COUNT_ALLOCATIONS
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_memalign(std::size_t, std::size_t);
namespace {
long allocations = 0;
bool counting = false;
}  // namespace
extern "C" void* malloc(std::size_t n) {
    if (counting) ++allocations;
    return __libc_malloc(n);
}
extern "C" int posix_memalign(void** p, std::size_t align, std::size_t n) {
    if (counting) ++allocations;
    *p = __libc_memalign(align, n);
    return *p ? 0 : 12;  // ENOMEM
}
extern "C" void* aligned_alloc(std::size_t align, std::size_t n) {
    if (counting) ++allocations;
    return __libc_memalign(align, n);
}
#endif

using namespace hps;

TEST_CASE("a training step of Model-108 allocates nothing") {
#if HPS_COUNT_ALLOCATIONS
    using net = network<shape<28, 28, 1>, conv2d<16, 5, 5, same, relu>, maxpool2d<2>, conv2d<32, 5, 5, same, relu>,
                        maxpool2d<2>, dense<640, relu>, dropout<0.25>, dense<2>>;
    using model = net::instance<128>;
    for (int threads : {1, 2}) {
#if defined(_OPENMP)
        omp_set_num_threads(threads);
#endif
        auto m = std::make_unique<model>();
        rng init(1), drop(2);
        m->init(init);
        optimizer opt("adam", {{"lr", 1e-5}}, model::num_params);
        context ctx;
        ctx.gen = &drop;
        buffer x(std::size_t(model::in_size) * 128, 0.5f), y(2 * 128, 1.0f), dy(2 * 128);
        auto step = [&] {
            m->zero_grads();
            const float* out = m->forward(x.data(), ctx);
            mse_half::compute<2, 128>(out, y.data(), dy.data(), 128);
            m->backward(dy.data(), ctx);
            opt.step(m->params(), m->grads());
        };
        step();  // OpenMP's thread pool and first touches
        allocations = 0;
        counting = true;
        for (int i = 0; i < 3; ++i) step();
        counting = false;
        INFO(threads << " thread(s)");
        CHECK(allocations == 0);
    }
#if defined(_OPENMP)
    omp_set_num_threads(omp_get_num_procs());
#endif
#else
    MESSAGE("skipped under AddressSanitizer");
#endif
}
