// hps::train_detail::rank_group: the processes that train one point together (the spec's
// `ranks N`, docs/design.md section 22). Each rank computes the gradients of its share of
// the batch; average() makes every rank's gradients their mean, summed in rank order
// whatever MPI's own algorithms do, so a run is bit-identical for a given N:
//   - reduce-scatter by hand: rank r owns slice r of the flat array; MPI_Alltoallv only
//     moves each slice to its owner, which sums the N copies in rank order (0, 1, ..., N-1);
//   - MPI_Allgatherv moves the summed slices back to every rank.
// Both only move data, so the sums do not depend on how MPI routes it. A few doubles per
// step (the loss, a stop flag) go through an MPI_Allgather and are summed in rank order.
//
// The ranks of one node share one copy of the training set (share_on_node): the node's
// leader, its lowest rank, loads the data into an MPI shared-memory window on the node's
// communicator (MPI_Comm_split_type, MPI_COMM_TYPE_SHARED; MPI_Win_allocate_shared); the
// others read it in place (MPI_Win_shared_query).
//
// Without HPS_MPI (a study with no `ranks` above 1, a hand-written trainer) there is one
// rank and nothing here touches MPI: such trainers build and run without it installed.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#if defined(HPS_MPI)
// the C interface alone: OpenMPI's and MPICH's C++ bindings need a library of their own
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace hps::train_detail {

class rank_group {
public:
    // The group this process belongs to: one rank until start() joins an MPI job.
    static rank_group& world() {
        static rank_group g;
        return g;
    }

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool leader() const { return rank_ == 0; }
    bool active() const { return size_ > 1; }

    // Whether this rank leads its node (the ranks that can share memory): its lowest rank,
    // so rank 0 leads its own.
    bool node_leader() const { return node_rank_ == 0; }

    // How many processes a launcher started this one among (mpirun, srun), from its
    // environment; 1 when none did. A point of one rank refuses to run as several.
    static int launched_as() {
        for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"})
            if (const char* s = std::getenv(v)) return std::max(1, std::atoi(s));
        return 1;
    }

    // Joins the MPI job of `ranks` processes. "" when it did, else why not (the message
    // says how to start the trainer); only a trainer built with MPI can.
    std::string start(int ranks) {
#if defined(HPS_MPI)
        int provided = 0;
        // OpenMP threads compute; only the main thread calls MPI
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return "MPI_Init failed";
        started_ = true;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
        // the ranks of this node, in world-rank order
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_);
        MPI_Comm_rank(node_, &node_rank_);
        MPI_Comm_size(node_, &node_size_);
        if (size_ != ranks)
            return "this point trains as " + std::to_string(ranks) + " ranks (the spec's `ranks`) but was started as " +
                   std::to_string(size_) + " process" + (size_ == 1 ? "" : "es") + "; start it with mpirun -n " +
                   std::to_string(ranks) + " (hpsgen run does) or srun --ntasks=" + std::to_string(ranks) +
                   " (submit.sbatch does)";
        return "";
#else
        return "this point trains as " + std::to_string(ranks) +
               " ranks (the spec's `ranks`) but its trainer was built without MPI; regenerate the study and build it "
               "again with OpenMPI installed (apt-get install libopenmpi-dev openmpi-bin)";
#endif
    }

    // Leaves the MPI job, once every rank has come here; share_on_node's arrays go with it.
    void finish() {
#if defined(HPS_MPI)
        if (!started_) return;
        for (MPI_Win& w : windows_) {
            MPI_Win_unlock_all(w);
            MPI_Win_free(&w);
        }
        windows_.clear();
        if (node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
        MPI_Finalize();
        started_ = false;
#endif
    }

    // One array for all the ranks of a node: the node's leader's `values`, which it moves
    // into memory the node's ranks share (its vector is left empty); the other ranks' are
    // not read. Returns the shared array and its length, the same on every rank of the node,
    // to be read only; it lives until finish(). Every rank calls it at the same point. One
    // rank, or one on its node: `values` itself, untouched.
    std::pair<const float*, std::size_t> share_on_node(std::vector<float>& values) {
        if (size_ == 1 || node_size_ == 1) return {values.data(), values.size()};
#if defined(HPS_MPI)
        unsigned long long n = node_leader() ? values.size() : 0;
        MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, node_);
        // the leader's segment holds it all; the others allocate nothing and find it
        const MPI_Aint bytes = node_leader() ? MPI_Aint(n * sizeof(float)) : 0;
        float* base = nullptr;
        MPI_Win win;
        MPI_Win_allocate_shared(bytes, int(sizeof(float)), MPI_INFO_NULL, node_, &base, &win);
        windows_.push_back(win);
        // a passive epoch for the whole run: the ranks load and store the memory directly.
        // The leader's stores become visible to the others through MPI_Win_sync on both
        // sides of a barrier, as the MPI standard's shared-memory examples synchronise.
        MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
        if (node_leader()) {
            std::copy(values.begin(), values.end(), base);
            std::vector<float>().swap(values);
            shared_bytes_ += std::size_t(bytes);
        }
        MPI_Win_sync(win);
        MPI_Barrier(node_);
        MPI_Win_sync(win);
        if (!node_leader()) {
            MPI_Aint size = 0;
            int unit = 0;
            MPI_Win_shared_query(win, 0, &size, &unit, &base);
        }
        return {base, std::size_t(n)};
#else
        return {values.data(), values.size()};
#endif
    }

    // Bytes of share_on_node's arrays this rank allocated: the node's leader's, 0 elsewhere.
    std::size_t shared_bytes() const { return shared_bytes_; }

    // Every rank's `data` (n floats) becomes the mean of every rank's, summed in rank order.
    void average(float* data, std::size_t n) {
        if (size_ == 1) return;
#if defined(HPS_MPI)
        // a barrier first, timed apart: what a rank waits for the slower one is not the
        // exchange's own cost (docs/performance.md, "Data-parallel training")
        const auto t0 = std::chrono::steady_clock::now();
        MPI_Barrier(MPI_COMM_WORLD);
        const auto t1 = std::chrono::steady_clock::now();
        wait_seconds_ += std::chrono::duration<double>(t1 - t0).count();
        const int N = size_;
        counts_.resize(std::size_t(N));
        offsets_.resize(std::size_t(N));
        from_.resize(std::size_t(N));
        at_.resize(std::size_t(N));
        for (int r = 0; r < N; ++r) {
            offsets_[std::size_t(r)] = int(n * std::size_t(r) / std::size_t(N));
            counts_[std::size_t(r)] = int(n * std::size_t(r + 1) / std::size_t(N)) - offsets_[std::size_t(r)];
        }
        const int mine = counts_[std::size_t(rank_)];
        for (int r = 0; r < N; ++r) {  // slice `rank_` of every rank, rank after rank
            from_[std::size_t(r)] = mine;
            at_[std::size_t(r)] = r * mine;
        }
        slices_.resize(std::size_t(N) * std::size_t(mine));
        MPI_Alltoallv(data, counts_.data(), offsets_.data(), MPI_FLOAT, slices_.data(), from_.data(), at_.data(),
                      MPI_FLOAT, MPI_COMM_WORLD);
        const float scale = 1.0f / float(N);
        float* own = data + offsets_[std::size_t(rank_)];
        for (int i = 0; i < mine; ++i) {
            float sum = slices_[std::size_t(i)];
            for (int r = 1; r < N; ++r) sum += slices_[std::size_t(r) * std::size_t(mine) + std::size_t(i)];
            own[i] = sum * scale;
        }
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, data, counts_.data(), offsets_.data(), MPI_FLOAT, MPI_COMM_WORLD);
        seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
#endif
    }

    // Each of the k values, summed over the ranks in rank order (every rank gets the sums).
    void sum(double* values, int k) {
        if (size_ == 1) return;
#if defined(HPS_MPI)
        const auto t0 = std::chrono::steady_clock::now();
        all_.resize(std::size_t(size_) * std::size_t(k));
        MPI_Allgather(values, k, MPI_DOUBLE, all_.data(), k, MPI_DOUBLE, MPI_COMM_WORLD);
        for (int j = 0; j < k; ++j) {
            double s = all_[std::size_t(j)];
            for (int r = 1; r < size_; ++r) s += all_[std::size_t(r) * std::size_t(k) + std::size_t(j)];
            values[j] = s;
        }
        seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
#endif
    }

    // Rank 0's k values, on every rank (its verdicts: stop or go on, the lr).
    void share(double* values, int k) {
        if (size_ == 1) return;
#if defined(HPS_MPI)
        MPI_Bcast(values, k, MPI_DOUBLE, 0, MPI_COMM_WORLD);
#endif
    }

    // Seconds spent exchanging in average() and sum(), and waiting in average() for the
    // slowest rank to reach the exchange.
    double comm_seconds() const { return seconds_; }
    double wait_seconds() const { return wait_seconds_; }

private:
    int rank_ = 0, size_ = 1;
    int node_rank_ = 0, node_size_ = 1;
    bool started_ = false;
    std::size_t shared_bytes_ = 0;
#if defined(HPS_MPI)
    MPI_Comm node_ = MPI_COMM_NULL;  // this node's ranks
    std::vector<MPI_Win> windows_;   // share_on_node's, freed by finish()
#endif
    double seconds_ = 0, wait_seconds_ = 0;
    std::vector<int> counts_, offsets_, from_, at_;
    std::vector<float> slices_;
    std::vector<double> all_;
};

}  // namespace hps::train_detail
