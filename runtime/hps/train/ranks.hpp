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
// The same exchange can overlap the backward pass (exchange_begin, exchange_ready,
// exchange_end): the array is cut into buckets of consecutive layers, from the last, each
// of at least `bucket` floats; a bucket's MPI_Ialltoallv starts as soon as the backward
// pass has finished its layers, its rank-order sum and MPI_Iallgatherv as soon as its
// slices have arrived (MPI_Test between layers), and exchange_end waits for the rest. Every
// element is still the sum of the ranks' values in rank order, scaled by 1/N: bit for bit
// average()'s result, whatever the buckets.
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
#include <deque>
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
        // the overlapped exchange's two kinds of collectives, each started in bucket order
        // on a communicator of its own, since their starts interleave differently on each rank
        MPI_Comm_dup(MPI_COMM_WORLD, &slices_comm_);
        MPI_Comm_dup(MPI_COMM_WORLD, &sums_comm_);
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
        if (slices_comm_ != MPI_COMM_NULL) MPI_Comm_free(&slices_comm_);
        if (sums_comm_ != MPI_COMM_NULL) MPI_Comm_free(&sums_comm_);
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
        whole_.plan(n, size_, rank_);
        MPI_Alltoallv(data, whole_.counts.data(), whole_.offsets.data(), MPI_FLOAT, whole_.slices.data(),
                      whole_.from.data(), whole_.at.data(), MPI_FLOAT, MPI_COMM_WORLD);
        whole_.sum(data, size_, rank_);
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, data, whole_.counts.data(), whole_.offsets.data(), MPI_FLOAT,
                       MPI_COMM_WORLD);
        seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
#endif
    }

    // average(data, n), overlapped with the backward pass that computes `data`: begin before
    // it, ready(from) whenever data[from, n) is final (after each layer's backward; `from`
    // only decreases), end after it; `data` is then the mean, bit for bit average()'s. A
    // bucket starts once at least `bucket` floats are final beyond the last one started (0:
    // at every call). Every rank makes the same calls with the same values.
    void exchange_begin(float* data, std::size_t n, std::size_t bucket) {
        if (size_ == 1) return;
        data_ = data;
        unsent_ = n;
        bucket_ = bucket;
        started_buckets_ = gathering_ = 0;
    }

    void exchange_ready(std::size_t from) {
        if (size_ == 1) return;
#if defined(HPS_MPI)
        const auto t0 = std::chrono::steady_clock::now();
        if (from < unsent_ && unsent_ - from >= std::max<std::size_t>(bucket_, 1)) start_bucket(from);
        progress(false);
        overlapped_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
#else
        (void)from;
#endif
    }

    void exchange_end() {
        if (size_ == 1) return;
#if defined(HPS_MPI)
        const auto t0 = std::chrono::steady_clock::now();
        if (unsent_ > 0) start_bucket(0);
        progress(true);
        const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        after_seconds_ += after;
        seconds_ += after;
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

    // Seconds spent exchanging in average(), exchange_end() and sum(), and waiting in
    // average() for the slowest rank to reach the exchange; in the overlapped exchange's
    // calls during the backward pass (exchange_ready: starts, tests, sums), and in
    // exchange_end (the rest of the exchange, waiting for the slower rank included).
    double comm_seconds() const { return seconds_ + overlapped_seconds_; }
    double wait_seconds() const { return wait_seconds_; }
    double overlapped_seconds() const { return overlapped_seconds_; }
    double after_backward_seconds() const { return after_seconds_; }
    // how many buckets the last overlapped exchange had
    std::size_t buckets() const { return started_buckets_; }

private:
    // One exchange of data[lo, lo + n): rank r owns slice r, offsets[r] .. offsets[r] + counts[r].
    struct piece {
        std::size_t lo = 0;
        std::vector<int> counts, offsets, from, at;  // MPI's arguments, kept until it completes
        std::vector<float> slices;                   // (N, this rank's slice): every rank's copy of it
        void plan(std::size_t n, int N, int rank) {
            counts.resize(std::size_t(N));
            offsets.resize(std::size_t(N));
            from.resize(std::size_t(N));
            at.resize(std::size_t(N));
            for (int r = 0; r < N; ++r) {
                offsets[std::size_t(r)] = int(n * std::size_t(r) / std::size_t(N));
                counts[std::size_t(r)] = int(n * std::size_t(r + 1) / std::size_t(N)) - offsets[std::size_t(r)];
            }
            const int mine = counts[std::size_t(rank)];
            for (int r = 0; r < N; ++r) {  // slice `rank` of every rank, rank after rank
                from[std::size_t(r)] = mine;
                at[std::size_t(r)] = r * mine;
            }
            slices.resize(std::size_t(N) * std::size_t(mine));
        }
        // this rank's slice of data (the piece's own array) := the mean of slices, summed in rank order
        void sum(float* data, int N, int rank) const {
            const int mine = counts[std::size_t(rank)];
            const float scale = 1.0f / float(N);
            float* own = data + offsets[std::size_t(rank)];
            for (int i = 0; i < mine; ++i) {
                float s = slices[std::size_t(i)];
                for (int r = 1; r < N; ++r) s += slices[std::size_t(r) * std::size_t(mine) + std::size_t(i)];
                own[i] = s * scale;
            }
        }
#if defined(HPS_MPI)
        MPI_Request moving = MPI_REQUEST_NULL, gathering = MPI_REQUEST_NULL;
#endif
    };

#if defined(HPS_MPI)
    // data[from, unsent_) as the next bucket: its slices go to their owners
    void start_bucket(std::size_t from) {
        if (started_buckets_ == buckets_.size()) buckets_.emplace_back();  // a deque: earlier ones stay put
        piece& b = buckets_[started_buckets_++];
        b.lo = from;
        b.plan(unsent_ - from, size_, rank_);
        MPI_Ialltoallv(data_ + from, b.counts.data(), b.offsets.data(), MPI_FLOAT, b.slices.data(), b.from.data(),
                       b.at.data(), MPI_FLOAT, slices_comm_, &b.moving);
        unsent_ = from;
    }

    // Sums the buckets whose slices have arrived and sends the sums back, in bucket order;
    // `wait`: until every bucket is done.
    void progress(bool wait) {
        while (gathering_ < started_buckets_) {
            piece& b = buckets_[gathering_];
            int arrived = 0;
            if (wait) MPI_Wait(&b.moving, MPI_STATUS_IGNORE), arrived = 1;
            else MPI_Test(&b.moving, &arrived, MPI_STATUS_IGNORE);
            if (!arrived) break;
            float* data = data_ + b.lo;
            b.sum(data, size_, rank_);
            MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, data, b.counts.data(), b.offsets.data(), MPI_FLOAT, sums_comm_,
                            &b.gathering);
            ++gathering_;
        }
        for (std::size_t k = 0; k < gathering_; ++k) {
            piece& b = buckets_[k];
            if (b.gathering == MPI_REQUEST_NULL) continue;
            int done = 0;
            if (wait) MPI_Wait(&b.gathering, MPI_STATUS_IGNORE);
            else MPI_Test(&b.gathering, &done, MPI_STATUS_IGNORE);
        }
    }
#endif

    int rank_ = 0, size_ = 1;
    int node_rank_ = 0, node_size_ = 1;
    bool started_ = false;
    std::size_t shared_bytes_ = 0;
#if defined(HPS_MPI)
    MPI_Comm node_ = MPI_COMM_NULL;  // this node's ranks
    MPI_Comm slices_comm_ = MPI_COMM_NULL, sums_comm_ = MPI_COMM_NULL;  // the overlapped exchange's
    std::vector<MPI_Win> windows_;   // share_on_node's, freed by finish()
#endif
    double seconds_ = 0, wait_seconds_ = 0, overlapped_seconds_ = 0, after_seconds_ = 0;
    piece whole_;  // average()'s
    // the overlapped exchange: data_[unsent_, n_) is in buckets already started, the first
    // started_buckets_ of buckets_ (kept from step to step, with their arrays); the first
    // gathering_ of them have had their slices summed and sent back
    float* data_ = nullptr;
    std::size_t bucket_ = 0, unsent_ = 0, started_buckets_ = 0, gathering_ = 0;
    std::deque<piece> buckets_;
    std::vector<double> all_;
};

}  // namespace hps::train_detail
