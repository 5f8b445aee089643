// The gradient exchange of data-parallel training alone (hps/train/ranks.hpp): every rank
// averages arrays of the sizes given on the command line, 60 times each, computing nothing
// else, with the blocking exchange (average()) and with the overlapped one in buckets of
// 256 KiB (exchange_begin, exchange_ready at each bucket's start, exchange_end: here with
// no backward pass to hide behind, so its buckets' own cost); rank 0 prints the median and
// the minimum per exchange, and the rate that generator/cost.hpp's kExchangeRate stands for
// (2 x (N-1)/N x 4 bytes x the floats, over the minimum). benchmarks/ranks_scaling.py builds
// it with mpicxx and runs it with the networks' parameter counts:
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
    const std::size_t bucket = 256 * 1024 / sizeof(float);
    for (int i = 1; i < argc; ++i) {
        const std::size_t n = std::strtoull(argv[i], nullptr, 10);
        std::vector<float> grads(n, 1.0f + float(group.rank()));
        for (const bool overlapped : {false, true}) {
            std::vector<double> seconds;
            for (int k = 0; k < 60; ++k) {
                const auto t0 = std::chrono::steady_clock::now();
                if (overlapped) {
                    group.exchange_begin(grads.data(), n, bucket);
                    for (std::size_t from = n; from > 0;) {
                        from = from > bucket ? from - bucket : 0;
                        group.exchange_ready(from);
                    }
                    group.exchange_end();
                } else {
                    group.average(grads.data(), n);
                }
                seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            }
            std::sort(seconds.begin(), seconds.end());
            const double bytes = 2.0 * (group.size() - 1) / group.size() * 4.0 * double(n);
            if (group.leader())
                std::printf("exchange of %zu floats (%.1f MB), %d ranks, %s: median %.3f ms, minimum %.3f ms (%.2f GB/s)\n",
                            n, double(n) * 4e-6, group.size(),
                            overlapped ? ("in " + std::to_string(group.buckets()) + " buckets").c_str() : "blocking",
                            1e3 * seconds[seconds.size() / 2], 1e3 * seconds.front(), bytes / seconds.front() / 1e9);
        }
    }
    group.finish();
    return 0;
}
