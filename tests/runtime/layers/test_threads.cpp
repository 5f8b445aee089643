// The layers' OpenMP paths: conv2d, conv1d and conv3d (samples and dW tiles shared out
// between threads) and dense (detail::gemm cuts C into blocks of rows or columns) give the
// same results with 1 and 2 threads, at workload 1's, the gradation, cluster counter and
// printability examples' shapes, where those paths are taken. CMakeLists.txt runs this suite twice: as it is, and under OMP_THREAD_LIMIT=1
// (runtime.layers.threads_limited), where OpenMP gives every region fewer threads than
// omp_get_max_threads() says (as OMP_DYNAMIC may on a busy machine): the layers must still
// do every share of the work, so "2 threads" must still equal 1 thread.
#include "test_support.hpp"

#include <hps/layers/conv1d.hpp>
#include <hps/layers/conv3d.hpp>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace hps;
using hps_test::bound_layer;

namespace {

struct pass_result {
    std::vector<float> y, dx, grads;
};

double max_relative(const std::vector<float>& a, const std::vector<float>& b) {
    double scale = 0, diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, double(std::fabs(a[i])));
        diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    }
    return diff / (scale + 1e-30);
}

// forward then backward (dy fixed) with `threads` OpenMP threads
template <class L, int B>
pass_result run_pass(int threads) {
#if defined(_OPENMP)
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    bound_layer<L> bl;
    rng gen(5);
    bl.layer.init(gen);
    for (std::size_t i = L::num_weights; i < L::num_params; ++i) bl.params[i] = float(0.1 * gen.normal());
    auto x = hps_test::normal_vector(std::size_t(L::in_shape::size) * B, gen);
    auto dy = hps_test::normal_vector(std::size_t(L::out_shape::size) * B, gen);
    pass_result r;
    r.y.resize(std::size_t(L::out_shape::size) * B);
    r.dx.resize(x.size());
    context ctx;
    bl.layer.forward(x.data(), r.y.data(), ctx);
    bl.layer.backward(x.data(), r.y.data(), dy.data(), r.dx.data(), ctx);
    r.grads.assign(bl.grads.begin(), bl.grads.end());
    return r;
}

template <class L, int B>
void check_exact() {
    const auto one = run_pass<L, B>(1), two = run_pass<L, B>(2);
    INFO(L::in_shape::size << " inputs -> " << L::out_shape::size << " outputs, batch " << B);
    CHECK(one.y == two.y);
    CHECK(one.dx == two.dx);
    CHECK(one.grads == two.grads);
#if defined(_OPENMP)
    omp_set_num_threads(omp_get_num_procs());
#endif
}

template <class L, int B>
void check_close() {
    const auto one = run_pass<L, B>(1), two = run_pass<L, B>(2);
    INFO(L::in_shape::size << " inputs -> " << L::out_shape::size << " outputs, batch " << B);
    CHECK(max_relative(one.y, two.y) < 1e-5);
    CHECK(max_relative(one.dx, two.dx) < 1e-5);
    CHECK(max_relative(one.grads, two.grads) < 1e-5);
#if defined(_OPENMP)
    omp_set_num_threads(omp_get_num_procs());
#endif
}


}  // namespace

TEST_CASE("conv2d: 1 and 2 threads give identical results") {
    using L = conv2d<32, 5, 5, same, relu>::impl<shape<14, 14, 16>, 16>;
    const auto one = run_pass<L, 16>(1), two = run_pass<L, 16>(2);
    CHECK(one.y == two.y);
    CHECK(one.dx == two.dx);
    CHECK(one.grads == two.grads);  // each dW tile is summed in the same order by one thread
#if defined(_OPENMP)
    omp_set_num_threads(omp_get_num_procs());
#endif
}

TEST_CASE("dense: 1 and 2 threads agree") {
    using L = dense<640, relu>::impl<shape<7, 7, 32>, 128>;
    const auto one = run_pass<L, 128>(1), two = run_pass<L, 128>(2);
    // the threads' blocks of C may be packed in other panel sizes: rounding, not results, differs
    CHECK(max_relative(one.y, two.y) < 1e-5);
    CHECK(max_relative(one.dx, two.dx) < 1e-5);
    CHECK(max_relative(one.grads, two.grads) < 1e-5);
#if defined(_OPENMP)
    omp_set_num_threads(omp_get_num_procs());
#endif
}

TEST_CASE("threads: the gradation example's layers, 1 and 2 threads") {
    check_exact<conv2d<6, 5, 5, same, relu>::impl<shape<32, 32, 1>, 16>, 16>();
    check_exact<conv2d<16, 5, 5, same, relu>::impl<shape<16, 16, 6>, 16>, 16>();
    check_exact<conv2d<32, 3, 3, same, relu>::impl<shape<8, 8, 16>, 16>, 16>();
    check_exact<conv2d<6, 5, 5, same, relu>::impl<shape<32, 32, 1>, 128>, 128>();
    check_exact<conv2d<6, 3, 3, valid, linear, 2, 2>::impl<shape<13, 13, 3>, 3>, 3>();
    check_exact<maxpool2d<2>::impl<shape<32, 32, 6>, 128>, 128>();  // past maxpool's threading threshold
    check_exact<dense<128, relu>::impl<shape<4, 4, 32>, 16>, 16>();
    check_close<dense<5, linear>::impl<shape<32>, 16>, 16>();
    check_close<dense<6, relu>::impl<shape<3000>, 128>, 128>();  // gemm forward and dW, split in columns
}

TEST_CASE("threads: the cluster counter's conv1d and the printability conv3d layers, 1 and 2 threads") {
    // dW tiles are summed over the batch by one thread each, in a fixed order: identical
    check_exact<conv1d<16, 5, same, relu>::impl<shape<1024, 1>, 250>, 250>();
    check_exact<conv1d<32, 7, same, relu>::impl<shape<512, 16>, 250>, 250>();
    check_exact<conv1d<32, 3, same, relu>::impl<shape<256, 32>, 250>, 250>();
    check_exact<conv1d<5, 4, same, hps::tanh, 2>::impl<shape<13, 3>, 3>, 3>();
    check_exact<conv3d<8, 3, same, relu>::impl<shape<32, 32, 32, 1>, 16>, 16>();
    check_exact<conv3d<16, 3, same, relu>::impl<shape<16, 16, 16, 8>, 16>, 16>();
    check_exact<conv3d<32, 3, same, relu>::impl<shape<8, 8, 8, 16>, 16>, 16>();
    check_exact<conv3d<6, 2, same, linear, 2>::impl<shape<5, 6, 7, 3>, 3>, 3>();
}

TEST_CASE("dropout: the mask is drawn by threads side by side, the same with 1 and 2 threads") {
    using L = dropout<0.25>::impl<shape<640>, 128>;  // Model-108's: 81,920 values, a parallel pass
    auto mask_with = [](int threads) {
#if defined(_OPENMP)
        omp_set_num_threads(threads);
#else
        (void)threads;
#endif
        bound_layer<L> d;
        std::vector<float> x(L::n, 1.0f), y(L::n);
        rng gen(11);
        context ctx;
        ctx.mode = phase::train;
        ctx.gen = &gen;
        d.layer.forward(x.data(), y.data(), ctx);
        CHECK(gen.next() == [] { rng g(11); g.next(); return g.next(); }());  // one draw a pass
        return y;
    };
    const auto one = mask_with(1), two = mask_with(2);
    CHECK(one == two);
    std::size_t kept = 0, both = 0;
    for (std::size_t i = 0; i < one.size(); ++i) {
        kept += one[i] != 0.0f;
        both += i > 0 && one[i] != 0.0f && one[i - 1] != 0.0f;
    }
    // 81,920 Bernoulli(0.75): sd of the share 0.0015; neighbours independent: 0.5625 both kept
    CHECK(double(kept) / double(one.size()) == doctest::Approx(0.75).epsilon(0.01));
    CHECK(double(both) / double(one.size() - 1) == doctest::Approx(0.5625).epsilon(0.015));
#if defined(_OPENMP)
    omp_set_num_threads(omp_get_num_procs());
#endif
}
