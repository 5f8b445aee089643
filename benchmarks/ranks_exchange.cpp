// The gradient exchange of data-parallel training alone (hps/train/ranks.hpp): every rank
// averages arrays of the sizes given on the command line, 60 times each, computing nothing
// else; rank 0 prints the median and the minimum per exchange. benchmarks/ranks_scaling.py
// builds it with mpicxx and runs it with the networks' parameter counts:
//   mpicxx -O2 -std=c++20 -DHPS_MPI -Iruntime benchmarks/ranks_exchange.cpp -o ranks_exchange
//   mpirun -n 2 ./ranks_exchange 148801 1018690
#include <hps/train/ranks.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
    auto& group = hps::train_detail::rank_group::world();
    int ranks = 0;
    if (const char* n = std::getenv("OMPI_COMM_WORLD_SIZE")) ranks = std::atoi(n);
    if (const std::string why = group.start(ranks > 1 ? ranks : 2); !why.empty()) {
        std::fprintf(stderr, "ranks_exchange: %s\n", why.c_str());
        return 2;
    }
    for (int i = 1; i < argc; ++i) {
        const std::size_t n = std::strtoull(argv[i], nullptr, 10);
        std::vector<float> grads(n, 1.0f + float(group.rank()));
        std::vector<double> seconds;
        for (int k = 0; k < 60; ++k) {
            const auto t0 = std::chrono::steady_clock::now();
            group.average(grads.data(), n);
            seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(seconds.begin(), seconds.end());
        if (group.leader())
            std::printf("exchange of %zu floats (%.1f MB), %d ranks: median %.3f ms, minimum %.3f ms\n", n, double(n) * 4e-6,
                        group.size(), 1e3 * seconds[seconds.size() / 2], 1e3 * seconds.front());
    }
    group.finish();
    return 0;
}
