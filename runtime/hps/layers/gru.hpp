// gru<Units, ReturnSequences>: a gated recurrent unit layer in PyTorch's formulation and
// gate order (r, z, n), the reset gate applied after the recurrent product (torch's, and
// Keras's reset_after=True), zero initial state.
//
//   x (T*F, B), one sample (T, F): time steps, step t's F features contiguous
//   for t = 0..T-1, h_{-1} = 0, U = Units, rows [r; z; n] of every (3U) vector:
//     a_t = W_ih x_t + b_ih,   q_t = W_hh h_{t-1} + b_hh                   (3U each)
//     r = sigmoid(a_r + q_r),  z = sigmoid(a_z + q_z)
//     n = tanh(a_n + r q_n)                       (q_n = W_hn h_{t-1} + b_hn)
//     h_t = (1 - z) n + z h_{t-1}
//   y = h_{T-1}: (U, B); or, ReturnSequences, every h_t: (T*U, B), one sample (T, U)
//   backward, through time (t = T-1..0; the t = T terms are 0):
//     dh_t = dy_t + W_hh^T dq_{t+1} + dh_{t+1} z_{t+1}
//     dn' = dh (1 - z)(1 - n^2)   (the gradient of n's pre-activation a_n + r q_n)
//     da_r = dq_r = dn' q_n r (1 - r);  da_z = dq_z = dh (h_{t-1} - n) z (1 - z)
//     da_n = dn';  dq_n = dn' r
//     dW_ih += sum_t da_t x_t^T,  dx_t = W_ih^T da_t,  db_ih += sum_t rowsum(da_t)
//     dW_hh += sum_{t>=1} dq_t h_{t-1}^T,  db_hh += sum_t rowsum(dq_t)
//   (da and dq differ only in their n rows: dq_n = r da_n.)
//
// Layout: the scratch buffers are time-major, column n = t*B + b (the input and the output
// keep the network's sample order, column b, step t at offset t*F or t*U), so that step
// t's block of every buffer, (rows, B), is contiguous and is a plain column-major operand,
// as in lstm.hpp, whose product kernel and helpers this layer shares (small_gemm.hpp's
// register-tiled GEMM, W_hh packed once per pass). Every product goes through that kernel,
// the input side's too (lstm's are Eigen products): nothing is allocated.
//   forward, per step t: W_hh h_{t-1} into a (3U, B) step buffer (kernel; none at t = 0),
//     then one pass per sample column that forms a_t (for F <= 8: fuse_input, in the pass;
//     for more features the gates block starts as the product W_ih x_t), applies the
//     gates in place (r, z, n over a_t's rows), keeps q_n (needed by backward) and writes
//     h_t (and, ReturnSequences, y's copy). y = h_{T-1} is the last step's block, copied once.
//   backward, per step t = T-1..0: dh = W_hh^T dq_{t+1} (kernel; W_hh^T packed once per
//     backward pass; none at T-1), then one pass per sample column that adds dy_t and the
//     carried dh_{t+1} z_{t+1}, writes dq_t OVER step t's gates (backward consumes the
//     forward pass's gates: run forward before each backward, as the network does) and
//     da_t into the (3U, B) step buffer, and carries dh_t z_t; then the step's rowsums of
//     da_t and dq_t are added to db_ih's and db_hh's sums, and da_t x_t^T to dW_ih's, and
//     dx_t = W_ih^T da_t is taken, while da_t is in cache.
//   after the loop: dW_hh += dQ[:, B:] H[:, :(T-1)B]^T, ONE product of depth (T-1)*B, and
//     the summed dW_ih, db_ih and db_hh are added to the gradients once (a gradient that
//     already holds g then gets exactly g + the pass's sum, not a sum rounded around g).
// Threads: as lstm's, with OpenMP and more than one thread each product's columns and each
// fused pass's sample columns are split between the threads (sizes permitting); at one
// thread no parallel region is entered.
//
// Parameters: [W_ih as the column-major (3U, F) matrix, W_hh as the column-major (3U, U)
// matrix; then b_ih (3U), b_hh (3U)]; L1/L2 penalties apply to both weight matrices.
// Init: weights uniform in +-1/sqrt(U) (PyTorch's), biases 0 (torch draws its biases
// from the same uniform; Keras's are 0, and no gate needs lstm's forget-bias of 1).
// Scratch: gates (3U, T*B) (r z n, then dq), q_n and hidden states h_t (U, T*B each), a
// (3U, B) step buffer (W_hh h_{t-1}, then da_t), dh and the carried dh z (U, B), the
// summed db_ih, db_hh (3U each) and dW_ih (3U, F), the packed W_hh or W_hh^T, and the
// kernel's workspace (per thread slice).
//
// PyTorch: torch.nn.GRU(F, U, batch_first=True) has these parameters under the same names
// (weight_ih_l0 (3U, F), weight_hh_l0 (3U, U), bias_ih_l0 (3U), bias_hh_l0 (3U)). The
// model uses the subclasses GRULastStep / GRUAllSteps (torch_helpers() in torch_rnn.hpp,
// written into model.py), which take the channels-first (N, F, T) tensor that the rest of
// the model passes around and return h_{T-1} (N, U) or every step channels-first
// (N, U, T), so that a dense or conv1d after them sees torch's usual layout.
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/lstm.hpp"  // detail::lstm_gemm, lstm_parallel, seg, const_seg
#include "hps/layers/small_gemm.hpp"
#include "hps/layers/torch_rnn.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

// GCC 12 warns that Eigen's AVX-512 exp/tanh packets use an uninitialised register
// (_mm512_undefined_ps, by design) once inlined into the gate passes: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps {

namespace rules {
// gru: a sequence (T, F) to its last hidden state (units) or, return_sequences, every
// step's (T, units); parameters torch's count: W_ih (3U, F), W_hh (3U, U), b_ih and b_hh
// (3U each), 3U(F + U) + 6U.
constexpr outcome gru(dims in, int units, bool return_sequences) {
    if (in.rank != 2) return refuse(fault::wrong_rank);
    const std::size_t u = std::size_t(units), f = std::size_t(in[1]);
    return accept(return_sequences ? make(in[0], units) : make(units), 3 * u * (f + u) + 6 * u);
}
}  // namespace rules

template <class In, int Units, bool ReturnSequences, int B>
class gru_layer {
public:
    // the shape rule (rules::gru, above)
    static constexpr rules::outcome rule = rules::gru(dims_of<In>(), Units, ReturnSequences);
    static_assert(rule.why != rules::fault::wrong_rank,
                  "gru: the input must be a (time steps, features) sequence, e.g. hps::shape<15, 1>; "
                  "give a sequence of single values a feature dimension of 1");

    static constexpr int steps = In::dims[0];
    static constexpr int features = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int units = Units;
    static constexpr int gate_rows = 3 * Units;          // 3U
    static constexpr int columns = steps * B;            // T*B, column n = t*B + b
    static constexpr bool return_sequences = ReturnSequences;
    // W_ih x_t is computed in the fused gate pass for a few features, else one product
    // per step
    static constexpr bool fuse_input = features <= 8;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (T, U) or (U)
    static constexpr std::size_t ih_size = std::size_t(gate_rows) * features;
    static constexpr std::size_t hh_size = std::size_t(gate_rows) * Units;
    static constexpr std::size_t num_params = rule.params;
    static constexpr std::size_t num_weights = num_params - 2 * std::size_t(gate_rows);  // W_ih, W_hh; then b_ih, b_hh
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t gates_size = std::size_t(gate_rows) * columns;
    static constexpr std::size_t states_size = std::size_t(Units) * columns;
    static constexpr std::size_t step_size = std::size_t(gate_rows) * B;
    // the packed W_hh (forward) or W_hh^T (backward), and the kernel's workspace for the
    // largest of its products (the three recurrent ones, and the input side's: W_ih x_t,
    // da_t x_t^T, W_ih^T da_t), once per slice when threads split a product
    static constexpr std::size_t packed_size = std::max(detail::sgemm::packed_a_size(gate_rows, Units),
                                                        detail::sgemm::packed_a_size(Units, gate_rows));
    static constexpr std::size_t work_size =
        detail::lstm_gemm_slices * std::max({detail::sgemm::workspace_size(gate_rows, B, Units, true),
                                             detail::sgemm::workspace_size(Units, B, gate_rows, true),
                                             detail::sgemm::workspace_size(gate_rows, Units, (steps - 1) * B, false),
                                             detail::sgemm::workspace_size(gate_rows, B, features, false),
                                             detail::sgemm::workspace_size(gate_rows, features, B, false),
                                             detail::sgemm::workspace_size(features, B, gate_rows, false)});
    static constexpr std::size_t scratch_size = gates_size + 2 * states_size + step_size +
                                                2 * std::size_t(Units) * B + 2 * std::size_t(gate_rows) + ih_size +
                                                packed_size + work_size;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = 0;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ih_ = params;                       // (3U, F)
        w_hh_ = params + ih_size;             // (3U, U)
        b_ih_ = params + num_weights;         // (3U)
        b_hh_ = b_ih_ + gate_rows;            // (3U)
        dw_ih_ = grads;
        dw_hh_ = grads + ih_size;
        db_ih_ = grads + num_weights;
        db_hh_ = db_ih_ + gate_rows;
        gates_ = scratch;                     // (3U, T*B)
        qn_ = gates_ + gates_size;            // (U, T*B)
        hidden_ = qn_ + states_size;          // (U, T*B)
        step_ = hidden_ + states_size;        // (3U, B)
        dh_ = step_ + step_size;              // (U, B)
        carry_ = dh_ + std::size_t(Units) * B;  // (U, B)
        dbias_ = carry_ + std::size_t(Units) * B;  // (3U) db_ih, then (3U) db_hh
        dwih_sum_ = dbias_ + 2 * std::size_t(gate_rows);  // (3U, F)
        packed_ = dwih_sum_ + ih_size;
        work_ = packed_ + packed_size;
    }

    void init(rng& gen) {
        const double limit = 1.0 / std::sqrt(double(Units));
        for (std::size_t i = 0; i < num_weights; ++i) w_ih_[i] = float(limit * (2 * gen.uniform() - 1));
        std::fill(b_ih_, b_ih_ + 2 * gate_rows, 0.0f);
    }

    void forward(const float* x, float* y, context&) {
        namespace sg = detail::sgemm;
        sg::pack_a(sg::col(w_hh_, gate_rows), gate_rows, Units, packed_);
        for (int t = 0; t < steps; ++t) {
            if constexpr (!fuse_input) {
                // W_ih x_t, x_t (F, B): sample b's step t at x + (b*T + t)*F
                detail::lstm_gemm(gate_rows, B, features, sg::col(w_ih_, gate_rows), nullptr,
                                  sg::operand{x + std::size_t(t) * features, 1, std::ptrdiff_t(features) * steps},
                                  gates_ + std::size_t(t) * B * gate_rows, gate_rows, work_, false);
            }
            // W_hh h_{t-1} (0 at t = 0: not computed)
            if (t > 0)
                detail::lstm_gemm(gate_rows, B, Units, sg::col(w_hh_, gate_rows), packed_,
                                  sg::col(hidden_ + std::size_t(t - 1) * B * Units, Units), step_, gate_rows, work_,
                                  false);
            if (t > 0)
                cell_forward<true>(t, x, y);
            else
                cell_forward<false>(t, x, y);
        }
        if constexpr (!ReturnSequences)  // h_{T-1}: the last step's block is (U, B) already
            std::memcpy(y, hidden_ + std::size_t(steps - 1) * B * Units, sizeof(float) * std::size_t(Units) * B);
    }

    void backward(const float* x, const float* y, const float* dy, float* dx, context&) {
        (void)y;
        namespace sg = detail::sgemm;
        std::fill(dbias_, dbias_ + 2 * gate_rows, 0.0f);  // db_ih, db_hh: summed over the steps, added once
        sg::pack_a(sg::trans(w_hh_, gate_rows), Units, gate_rows, packed_);
        for (int t = steps - 1; t >= 0; --t) {
            // W_hh^T dq_{t+1}; cell_backward adds dy_t and the carried dh_{t+1} z_{t+1}
            if (t < steps - 1)
                detail::lstm_gemm(Units, B, gate_rows, sg::trans(w_hh_, gate_rows), packed_,
                                  sg::col(gates_ + std::size_t(t + 1) * B * gate_rows, gate_rows), dh_, Units, work_,
                                  false);
            cell_backward(t, dy);
            // da_t is in cache: the input-side products of this step, dW_ih's sum += da_t x_t^T
            // and dx_t = W_ih^T da_t (x_t^T: sample b's step t at x + (b*T + t)*F, a (B, F) operand)
            const std::ptrdiff_t xstride = std::ptrdiff_t(features) * steps;
            detail::lstm_gemm(gate_rows, features, B, sg::col(step_, gate_rows), nullptr,
                              sg::operand{x + std::size_t(t) * features, xstride, 1}, dwih_sum_, gate_rows, work_,
                              t < steps - 1);
            if (dx)
                detail::lstm_gemm(features, B, gate_rows, sg::trans(w_ih_, gate_rows), nullptr, sg::col(step_, gate_rows),
                                  dx + std::size_t(t) * features, xstride, work_, false);
        }
        // dW_hh += sum over t >= 1 of dq_t h_{t-1}^T: one product of depth (T-1)*B
        if (steps > 1)
            detail::lstm_gemm(gate_rows, Units, (steps - 1) * B, sg::col(gates_ + std::size_t(B) * gate_rows, gate_rows),
                              nullptr, sg::trans(hidden_, Units), dw_hh_, gate_rows, work_, true);
        detail::vec_view(dw_ih_, std::ptrdiff_t(ih_size)) += detail::const_vec_view(dwih_sum_, std::ptrdiff_t(ih_size));
        detail::vec_view(db_ih_, gate_rows) += detail::const_vec_view(dbias_, gate_rows);
        detail::vec_view(db_hh_, gate_rows) += detail::const_vec_view(dbias_ + gate_rows, gate_rows);
    }

    // torch.nn.GRU: weight_ih_l0 (3U, F), weight_hh_l0 (3U, U), bias_ih_l0, bias_hh_l0.
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        sink.put(prefix + "weight_ih_l0", {gate_rows, features}, row_major(w_ih_, features));
        sink.put(prefix + "weight_hh_l0", {gate_rows, Units}, row_major(w_hh_, Units));
        sink.put(prefix + "bias_ih_l0", {gate_rows}, std::vector<float>(b_ih_, b_ih_ + gate_rows));
        sink.put(prefix + "bias_hh_l0", {gate_rows}, std::vector<float>(b_hh_, b_hh_ + gate_rows));
    }

    static void torch_modules(std::vector<std::string>& out) {
        out.push_back(std::string(ReturnSequences ? "GRUAllSteps(" : "GRULastStep(") + std::to_string(features) +
                      ", " + std::to_string(Units) + ")");
    }

    const float* weights_ih() const { return w_ih_; }
    const float* weights_hh() const { return w_hh_; }

private:
    // Step t's gates r, z, n (over a_t's rows), q_n and h_t (and, ReturnSequences, y's
    // copy of h_t), one sample column at a time. Later: t > 0, the step buffer holds
    // W_hh h_{t-1} and h_{t-1} counts.
    template <bool Later>
    void cell_forward(int t, const float* x, float* y) {
        auto column = [&](int b) {
            const std::size_t n = std::size_t(t) * B + b;
            float* g = gates_ + n * gate_rows;
            if constexpr (fuse_input) {  // a = W_ih x_t + b_ih
                const float* xb = x + (std::size_t(b) * steps + t) * features;
#pragma GCC ivdep
                for (int r = 0; r < gate_rows; ++r) {
                    float v = b_ih_[r];
                    for (int f = 0; f < features; ++f) v += w_ih_[f * gate_rows + r] * xb[f];
                    g[r] = v;
                }
            } else {  // a = (W_ih x_t) + b_ih
                detail::seg<3 * Units>(g) += detail::const_seg<3 * Units>(b_ih_);
            }
            const float* q = step_ + std::size_t(b) * gate_rows;  // W_hh h_{t-1}
            detail::seg<2 * Units> rz(g);
            detail::seg<Units> qn(qn_ + n * Units);
            if constexpr (Later) {
                rz = 1.0f / (1.0f + (-(rz + detail::const_seg<2 * Units>(q) + detail::const_seg<2 * Units>(b_hh_))).exp());
                qn = detail::const_seg<Units>(q + 2 * Units) + detail::const_seg<Units>(b_hh_ + 2 * Units);
            } else {
                rz = 1.0f / (1.0f + (-(rz + detail::const_seg<2 * Units>(b_hh_))).exp());
                qn = detail::const_seg<Units>(b_hh_ + 2 * Units);
            }
            const detail::const_seg<Units> r(g), z(g + Units);
            detail::seg<Units> nn(g + 2 * Units), hn(hidden_ + n * Units);
            nn = (nn + r * qn).tanh();
            if constexpr (Later)
                hn = (1.0f - z) * nn + z * detail::const_seg<Units>(hidden_ + (n - B) * Units);
            else
                hn = (1.0f - z) * nn;
            if constexpr (ReturnSequences)
                detail::seg<Units>(y + (std::size_t(b) * steps + t) * Units) = hn;
        };
        if (detail::lstm_parallel(std::size_t(gate_rows) * B)) {
            HPS_OMP(omp parallel for schedule(static))
            for (int b = 0; b < B; ++b) column(b);
        } else {
            for (int b = 0; b < B; ++b) column(b);
        }
    }

    // dq_t (written over step t's gates) and da_t (into the step buffer) from dL/dh_t =
    // W_hh^T dq_{t+1} (in dh) + dh_{t+1} z_{t+1} (in carry; neither at t = T-1) + dy_t;
    // leaves dh_t z_t in carry, and adds the step's da and dq to the summed db_ih and db_hh.
    void cell_backward(int t, const float* dy) {
        const bool last = t == steps - 1;
        if (last && t > 0)
            cell_backward_steps<false, true>(t, dy);
        else if (last)
            cell_backward_steps<false, false>(t, dy);
        else if (t > 0)
            cell_backward_steps<true, true>(t, dy);
        else
            cell_backward_steps<true, false>(t, dy);
    }

    template <bool HasDh, bool Later>  // HasDh: t < T-1; Later: t > 0 (h_{t-1} counts)
    void cell_backward_steps(int t, const float* dy) {
        // dy_t: every step's (ReturnSequences), else only the last step's
        const bool with_dy = ReturnSequences || !HasDh;
        auto column = [&](int b) {
            const std::size_t n = std::size_t(t) * B + b;
            float* g = gates_ + n * gate_rows;
            float* da = step_ + std::size_t(b) * gate_rows;
            const float* dh = dh_ + std::size_t(b) * Units;
            float* carry = carry_ + std::size_t(b) * Units;
            const float* dyb = ReturnSequences ? dy + (std::size_t(b) * steps + t) * Units
                                               : dy + std::size_t(b) * Units;
            const float* qn = qn_ + n * Units;
            const float* hp = hidden_ + (Later ? n - B : n) * Units;  // h_{t-1}
#pragma GCC ivdep
            for (int u = 0; u < Units; ++u) {
                const float r = g[u], z = g[Units + u], nv = g[2 * Units + u];
                float d = HasDh ? dh[u] + carry[u] : 0.0f;
                if (with_dy) d += dyb[u];
                const float dn = d * (1.0f - z) * (1.0f - nv * nv);
                const float dr = dn * qn[u] * r * (1.0f - r);
                const float dz = d * ((Later ? hp[u] : 0.0f) - nv) * z * (1.0f - z);
                g[u] = dr;
                g[Units + u] = dz;
                g[2 * Units + u] = dn * r;
                da[u] = dr;
                da[Units + u] = dz;
                da[2 * Units + u] = dn;
                carry[u] = d * z;
            }
        };
        if (detail::lstm_parallel(std::size_t(gate_rows) * B)) {
            HPS_OMP(omp parallel for schedule(static))
            for (int b = 0; b < B; ++b) column(b);
        } else {
            for (int b = 0; b < B; ++b) column(b);
        }
        // the step's bias gradients, summed over the batch (hot in cache)
        detail::vec_view(dbias_, gate_rows) += detail::const_mat_view(step_, gate_rows, B).rowwise().sum();
        detail::vec_view(dbias_ + gate_rows, gate_rows) +=
            detail::const_mat_view(gates_ + std::size_t(t) * B * gate_rows, gate_rows, B).rowwise().sum();
    }

    // A column-major (3U, cols) matrix in C order, as torch stores it.
    static std::vector<float> row_major(const float* w, int cols) {
        std::vector<float> out(std::size_t(gate_rows) * cols);
        for (int r = 0; r < gate_rows; ++r)
            for (int c = 0; c < cols; ++c) out[std::size_t(r) * cols + c] = w[std::size_t(c) * gate_rows + r];
        return out;
    }

    float* w_ih_ = nullptr;
    float* w_hh_ = nullptr;
    float* b_ih_ = nullptr;
    float* b_hh_ = nullptr;
    float* dw_ih_ = nullptr;
    float* dw_hh_ = nullptr;
    float* db_ih_ = nullptr;
    float* db_hh_ = nullptr;
    float* gates_ = nullptr;
    float* qn_ = nullptr;
    float* hidden_ = nullptr;
    float* step_ = nullptr;
    float* dh_ = nullptr;
    float* carry_ = nullptr;
    float* dbias_ = nullptr;
    float* dwih_sum_ = nullptr;
    float* packed_ = nullptr;
    float* work_ = nullptr;
};

// gru<128> gives the last hidden state (Keras's return_sequences=False); gru<128, true>
// every step's, for a further recurrent or convolutional layer.
template <int Units, bool ReturnSequences = false>
struct gru {
    static_assert(Units > 0, "gru: the number of units must be > 0");
    template <class In, int B>
    using impl = gru_layer<In, Units, ReturnSequences, B>;
};

}  // namespace hps

#pragma GCC diagnostic pop
