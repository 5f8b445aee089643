// Nothing allocates in a training step (docs/runtime.md): Model-108 of workload 1 at batch
// 128 (convolutions, pools, dense layers with detail::gemm, dropout, Adam), the cluster
// counter's 1-D CNN at batch 250 (conv1d, maxpool1d, globalavgpool, RMSprop, MAE) and the
// printability 3-D CNN at batch 16 (conv3d, batchnorm, maxpool3d, dropout, Adam, BCE),
// counted by interposing malloc and its aligned forms (what Eigen and operator new call),
// with 1 and 2 OpenMP threads. Not under AddressSanitizer, which interposes malloc itself.
#include "test_support.hpp"

#include <hps/layers/batchnorm.hpp>
#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>
#include <hps/layers/globalavgpool.hpp>
#include <hps/layers/pool1d.hpp>
#include <hps/layers/pool3d.hpp>

#include <cstddef>
#include <memory>
#include <string>

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

#if HPS_COUNT_ALLOCATIONS
// The allocations of 3 training steps of Net at batch B (loss Loss, optimizer `opt_kind`)
// after a first step, with 1 and 2 threads: each must be 0.
template <class Net, int B, class Loss>
void check_training_steps(hps::optimizer_kind opt_kind) {
    using model = typename Net::template instance<B>;
    constexpr int out = model::out_size;
    for (int threads : {1, 2}) {
#if defined(_OPENMP)
        omp_set_num_threads(threads);
#endif
        auto m = std::make_unique<model>();
        rng init(1), drop(2);
        m->init(init);
        optimizer opt(optimizer_config{opt_kind}.set(optimizer_setting::lr, 1e-5), model::num_params);
        context ctx;
        ctx.gen = &drop;
        buffer x(std::size_t(model::in_size) * B, 0.5f), y(std::size_t(out) * B, 1.0f), dy(std::size_t(out) * B);
        auto step = [&] {
            m->zero_grads();
            const float* o = m->forward(x.data(), ctx);
            Loss::template compute<out, B>(o, y.data(), dy.data(), B);
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
}
#endif

TEST_CASE("a training step of Model-108 allocates nothing") {
#if HPS_COUNT_ALLOCATIONS
    using net = network<shape<28, 28, 1>, conv2d<16, 5, 5, same, relu>, maxpool2d<2>, conv2d<32, 5, 5, same, relu>,
                        maxpool2d<2>, dense<640, relu>, dropout<0.25>, dense<2>>;
    check_training_steps<net, 128, mse_half>(hps::optimizer_kind::adam);
#else
    MESSAGE("skipped under AddressSanitizer");
#endif
}

TEST_CASE("a training step of the cluster counter (conv1d) and the printability CNN (conv3d) allocates nothing") {
#if HPS_COUNT_ALLOCATIONS
    // examples/clustercount.hps (first grid point) and examples/printability.hps
    using clustercount = network<shape<1024, 1>, conv1d<16, 5, same, relu>, maxpool1d<2>, conv1d<32, 3, same, relu>,
                                 maxpool1d<2>, conv1d<32, 3, same, relu>, globalavgpool, dense<64, relu>, dense<1>>;
    check_training_steps<clustercount, 250, mae>(hps::optimizer_kind::rmsprop);
    using printability = network<shape<32, 32, 32, 1>, conv3d<8, 3, same, relu>, batchnorm, maxpool3d<2>,
                                 conv3d<16, 3, same, relu>, batchnorm, maxpool3d<2>, conv3d<32, 3, same, relu>, maxpool3d<2>,
                                 dense<64, relu>, dropout<0.25>, dense<1>>;
    check_training_steps<printability, 16, bce_logits>(hps::optimizer_kind::adam);
#else
    MESSAGE("skipped under AddressSanitizer");
#endif
}
