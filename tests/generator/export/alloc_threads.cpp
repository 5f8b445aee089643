// Built by export_test.py beside the exported example, in a fresh CMake project that finds
// the package: checks that predict and predict_batch allocate nothing after a thread's
// first call (global operator new counted; Eigen's own allocations, which go to malloc,
// refused through EIGEN_RUNTIME_NO_MALLOC: an assertion aborts), and that threads calling
// them at once get the outputs one thread gets. Prints what failed and exits 1.
// The test compiles in the model's header and namespace (EXPORTED_MODEL_HPP, EXPORTED_NS),
// with EIGEN_RUNTIME_NO_MALLOC and without NDEBUG.
#include EXPORTED_MODEL_HPP

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

namespace model = EXPORTED_NS;

static std::atomic<long> allocations{0};
void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main() {
    constexpr std::size_t n = 100;  // more than one batch of predict_batch, and a partial one
    std::vector<float> x(n * model::input_size), y(n * model::output_size), one(model::output_size);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 1000) / 250.0f - 2.0f;

    model::predict(x.data(), one.data());  // a thread's first calls build its predictors
    model::predict_batch(x.data(), n, y.data());
    const long before = allocations.load();
    Eigen::internal::set_is_malloc_allowed(false);
    for (int r = 0; r < 20; ++r) {
        model::predict(x.data() + r * model::input_size, one.data());
        model::predict_batch(x.data(), n, y.data());
    }
    Eigen::internal::set_is_malloc_allowed(true);
    const long during = allocations.load() - before;
    if (during != 0) {
        std::printf("FAILED: %ld allocations in 40 calls after the first\n", during);
        return 1;
    }

    bool same = true;
    std::vector<std::thread> threads;
    std::vector<std::vector<float>> outs(4, std::vector<float>(y.size()));
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < 10; ++r) model::predict_batch(x.data(), n, outs[std::size_t(t)].data());
        });
    for (auto& t : threads) t.join();
    for (const auto& o : outs) same = same && o == y;
    if (!same) {
        std::printf("FAILED: threads calling predict_batch at once got other outputs than one thread\n");
        return 1;
    }
    std::printf("no allocation in 40 calls; 4 threads agree\n");
    return 0;
}
