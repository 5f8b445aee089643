// lstm<Units, ReturnSequences>: a long short-term memory layer with a forget gate, in
// PyTorch's formulation and gate order (i, f, g, o), zero initial state.
//
//   x (T*F, B), one sample (T, F): time steps, step t's F features contiguous
//   for t = 0..T-1, h_{-1} = c_{-1} = 0, U = Units:
//     z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh             (4U), rows [i; f; g; o]
//     i = sigmoid(z_i), f = sigmoid(z_f), g = tanh(z_g), o = sigmoid(z_o)
//     c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)
//   y = h_{T-1}: (U, B); or, ReturnSequences, every h_t: (T*U, B), one sample (T, U)
//   backward, through time (t = T-1..0; dh_T-terms and dc_T are 0):
//     dh_t = dy_t + W_hh^T dz_{t+1}
//     dz_o = dh tanh(c_t) o (1 - o);  dc_t = dc_{t+1} f_{t+1} + dh o (1 - tanh^2 c_t)
//     dz_i = dc_t g i (1 - i);  dz_g = dc_t i (1 - g^2);  dz_f = dc_t c_{t-1} f (1 - f)
//     dW_hh += sum_{t>=1} dz_t h_{t-1}^T,  dW_ih += sum_t dz_t x_t^T,  dx_t = W_ih^T dz_t,
//     db_ih += sum_t rowsum(dz_t),  db_hh += the same
//
// Layout: the scratch buffers are time-major, column n = t*B + b (the input and the output
// keep the network's sample order, column b, step t at offset t*F or t*U), so that step
// t's block of every buffer, (rows, B), is contiguous and is a plain column-major operand.
// The products by W_hh go through small_gemm.hpp's kernel (an AVX-512/AVX2 register-tiled
// GEMM that packs nothing per call but W_hh, and allocates nothing); the rest is fused
// passes per sample column.
//   forward, per step t: z_t = W_hh h_{t-1} (kernel; W_hh packed once per forward pass),
//     then one pass per sample column that adds W_ih x_t + b (for F <= 8: fuse_input; for
//     more features z_t starts as an Eigen product W_ih x_t + b and the kernel adds into
//     it), applies the gate nonlinearities in place, and writes c_t, tanh(c_t) (kept so
//     that backward does not recompute it) and h_t (and, ReturnSequences, y's copy).
//     y = h_{T-1} is the last step's (U, B) block, copied once.
//   backward, per step t = T-1..0: dh = W_hh^T dz_{t+1} (kernel; W_hh^T packed once per
//     backward pass; none at T-1), then one pass per sample column that adds dy_t, updates
//     dc and writes dz_t OVER step t's gates (backward consumes the forward pass's gates:
//     run forward before each backward, as the network does), then db += rowsum(dz_t),
//     dW_ih += dz_t x_t^T and dx_t = W_ih^T dz_t (Eigen; F columns) while dz_t is in cache.
//   after the loop: dW_hh += dZ[:, B:] H[:, :(T-1)B]^T, ONE product of depth (T-1)*B over
//     all steps (kernel, dZ read in place) instead of T-1 thin ones.
// Per training step at U = 128, B = 150, T = 15 that is 42 products of 20 MFLOP; inside
// the layer the kernel runs them at 190 to 220 GFLOP/s on a Zen 5 core (80 to 90% of its
// FMA peak), where Eigen's products (W_hh repacked per step, strided step views, blocking
// buffers allocated per call) ran at 100 to 115.
// Threads: with OpenMP and more than one thread, each product's columns and each fused
// pass's sample columns are split between the threads (sizes permitting); at one thread
// no parallel region is entered.
//
// Parameters: [W_ih as the column-major (4U, F) matrix, W_hh as the column-major (4U, U)
// matrix; then b_ih (4U), b_hh (4U)]; L1/L2 penalties apply to both weight matrices.
// Init: weights uniform in +-1/sqrt(U) (PyTorch's), biases 0 except the forget gate's
// b_ih = 1 (Keras's unit_forget_bias: the cell remembers from the start).
// Scratch: gates (4U, T*B) (z, then the activated i f g o, then dz), cells c_t, tanh(c_t)
// and hidden states h_t (U, T*B each), dh and dc (U, B), 4U floats for the summed bias
// (then db), the packed W_hh or W_hh^T, and the kernel's workspace (a packed block of
// dZ when 4U is not a multiple of the kernel's tile, a last partial column panel; per
// thread slice).
//
// PyTorch: torch.nn.LSTM(F, U, batch_first=True) has these parameters under the same
// names (weight_ih_l0 (4U, F), weight_hh_l0 (4U, U), bias_ih_l0, bias_hh_l0). The model
// uses the subclasses LSTMLastStep / LSTMAllSteps (torch_helpers() in torch_rnn.hpp, written
// into model.py), which take the channels-first (N, F, T) tensor that the rest of the model
// passes around and return h_{T-1} (N, U) or every step channels-first (N, U, T), so that
// a dense or conv1d after them sees torch's usual layout.
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/small_gemm.hpp"
#include "hps/layers/torch_rnn.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

// GCC 12 warns that Eigen's AVX-512 exp/tanh packets use an uninitialised register
// (_mm512_undefined_ps, by design) once inlined into the gate passes: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps {

namespace rules {
// lstm: a sequence (T, F) to its last hidden state (units) or, return_sequences, every
// step's (T, units); parameters torch's count: W_ih (4U, F), W_hh (4U, U), b_ih and b_hh
// (4U each), 4U(F + U) + 8U (gru.hpp's rules::gru is the same with 3 gates).
constexpr outcome lstm(dims in, int units, bool return_sequences) {
    if (in.rank != 2) return refuse(fault::wrong_rank);
    const std::size_t u = std::size_t(units), f = std::size_t(in[1]);
    return accept(return_sequences ? make(in[0], units) : make(units), 4 * u * (f + u) + 8 * u);
}
}  // namespace rules

namespace detail {

// (rows, cols) column-major views whose columns lie `stride` floats apart
using strided_view = Eigen::Map<dyn_matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using const_strided_view = Eigen::Map<const dyn_matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// Fixed-length element-wise views of one sample column's gate or state block.
template <int N>
using seg = Eigen::Map<Eigen::Array<float, N, 1>, Eigen::Unaligned>;
template <int N>
using const_seg = Eigen::Map<const Eigen::Array<float, N, 1>, Eigen::Unaligned>;

// Whether a loop of `work` flops is worth a parallel region: more than one OpenMP thread,
// not inside one already, and enough work. At one thread no region is entered at all.
inline bool lstm_parallel(std::size_t work) {
#if defined(_OPENMP)
    return work >= (std::size_t(1) << 16) && omp_get_max_threads() > 1 && !omp_in_parallel();
#else
    (void)work;
    return false;
#endif
}

// small_gemm's C += A B; when threads are worth it, its columns are split into at most
// lstm_gemm_slices slices, one product each (each slice packs its own B, and A too unless
// A comes packed), each with its own part of the workspace.
inline constexpr int lstm_gemm_slices = 8;
inline void lstm_gemm(int m, int n, int k, const sgemm::operand& a, const float* a_packed, const sgemm::operand& b,
                      float* c, std::ptrdiff_t ldc, float* work, bool accumulate) {
    if (!lstm_parallel(std::size_t(m) * n * k / 64) || n < 2 * sgemm::NR) {
        sgemm::gemm(m, n, k, a, a_packed, b, c, ldc, work, accumulate);
        return;
    }
#if defined(_OPENMP)
    const int threads = std::min({omp_get_max_threads(), n / sgemm::NR, lstm_gemm_slices});
    const int per = int(sgemm::round_up(std::size_t((n + threads - 1) / threads), sgemm::NR));
    HPS_OMP(omp parallel for schedule(static, 1) num_threads(threads))
    for (int s = 0; s < threads; ++s) {
        const int q0 = s * per, cols = std::min(per, n - q0);
        if (cols <= 0) continue;
        const sgemm::operand bs{b.p + std::ptrdiff_t(q0) * b.cs, b.rs, b.cs};
        sgemm::gemm(m, cols, k, a, a_packed, bs, c + std::ptrdiff_t(q0) * ldc, ldc,
                    work + std::size_t(s) * sgemm::workspace_size(m, per, k, a_packed != nullptr), accumulate);
    }
#endif
}

}  // namespace detail

template <class In, int Units, bool ReturnSequences, int B>
class lstm_layer {
public:
    // the shape rule (rules::lstm, above)
    static constexpr rules::outcome rule = rules::lstm(dims_of<In>(), Units, ReturnSequences);
    static_assert(rule.why != rules::fault::wrong_rank,
                  "lstm: the input must be a (time steps, features) sequence, e.g. hps::shape<15, 1>; "
                  "give a sequence of single values a feature dimension of 1");

    static constexpr int steps = In::dims[0];
    static constexpr int features = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int units = Units;
    static constexpr int gate_rows = 4 * Units;          // 4U
    static constexpr int columns = steps * B;            // T*B, column n = t*B + b
    static constexpr bool return_sequences = ReturnSequences;
    // W_ih x_t + b is added in the fused gate pass for a few features, else one Eigen
    // product per step
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
    // the packed W_hh (forward) or W_hh^T (backward), and the kernel's workspace for the
    // largest of the three products, once per slice when threads split a product
    static constexpr std::size_t packed_size = std::max(detail::sgemm::packed_a_size(gate_rows, Units),
                                                        detail::sgemm::packed_a_size(Units, gate_rows));
    static constexpr std::size_t work_size =
        detail::lstm_gemm_slices * std::max({detail::sgemm::workspace_size(gate_rows, B, Units, true),
                                             detail::sgemm::workspace_size(Units, B, gate_rows, true),
                                             detail::sgemm::workspace_size(gate_rows, Units, (steps - 1) * B, false)});
    static constexpr std::size_t scratch_size = gates_size + 3 * states_size + 2 * std::size_t(Units) * B +
                                                gate_rows + packed_size + work_size;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = 0;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ih_ = params;                       // (4U, F)
        w_hh_ = params + ih_size;             // (4U, U)
        b_ih_ = params + num_weights;         // (4U)
        b_hh_ = b_ih_ + gate_rows;            // (4U)
        dw_ih_ = grads;
        dw_hh_ = grads + ih_size;
        db_ih_ = grads + num_weights;
        db_hh_ = db_ih_ + gate_rows;
        gates_ = scratch;                     // (4U, T*B)
        cells_ = gates_ + gates_size;         // (U, T*B)
        tanhc_ = cells_ + states_size;        // (U, T*B)
        hidden_ = tanhc_ + states_size;       // (U, T*B)
        dh_ = hidden_ + states_size;          // (U, B)
        dc_ = dh_ + std::size_t(Units) * B;   // (U, B)
        bias_ = dc_ + std::size_t(Units) * B; // (4U)
        packed_ = bias_ + gate_rows;
        work_ = packed_ + packed_size;
    }

    void init(rng& gen) {
        const double limit = 1.0 / std::sqrt(double(Units));
        for (std::size_t i = 0; i < num_weights; ++i) w_ih_[i] = float(limit * (2 * gen.uniform() - 1));
        std::fill(b_ih_, b_ih_ + 2 * gate_rows, 0.0f);
        std::fill(b_ih_ + Units, b_ih_ + 2 * Units, 1.0f);  // forget gate
    }

    void forward(const float* x, float* y, context&) {
        namespace sg = detail::sgemm;
        const detail::const_mat_view Wih(w_ih_, gate_rows, features);
        detail::vec_view bias(bias_, gate_rows);
        bias = detail::const_vec_view(b_ih_, gate_rows) + detail::const_vec_view(b_hh_, gate_rows);
        sg::pack_a(sg::col(w_hh_, gate_rows), gate_rows, Units, packed_);
        for (int t = 0; t < steps; ++t) {
            float* gt = gates_ + std::size_t(t) * B * gate_rows;
            if constexpr (!fuse_input) {
                // z_t = W_ih x_t + b, x_t (F, B): sample b's step t at x + (b*T + t)*F
                detail::mat_view Gt(gt, gate_rows, B);
                Gt.noalias() = Wih * detail::const_strided_view(x + std::size_t(t) * features, features, B,
                                                                Eigen::OuterStride<>(std::ptrdiff_t(features) * steps));
                Gt.colwise() += bias;
            }
            // z_t (+)= W_hh h_{t-1}; with fuse_input, cell_forward adds W_ih x_t + b
            if (t > 0)
                detail::lstm_gemm(gate_rows, B, Units, sg::col(w_hh_, gate_rows), packed_,
                                  sg::col(hidden_ + std::size_t(t - 1) * B * Units, Units), gt, gate_rows, work_,
                                  !fuse_input);
            cell_forward(t, x, y);
        }
        if constexpr (!ReturnSequences)  // h_{T-1}: the last step's block is (U, B) already
            std::memcpy(y, hidden_ + std::size_t(steps - 1) * B * Units, sizeof(float) * std::size_t(Units) * B);
    }

    void backward(const float* x, const float* y, const float* dy, float* dx, context&) {
        (void)y;
        namespace sg = detail::sgemm;
        const detail::const_mat_view Wih(w_ih_, gate_rows, features);
        detail::mat_view dWih(dw_ih_, gate_rows, features);
        std::fill(dc_, dc_ + std::size_t(Units) * B, 0.0f);
        std::fill(bias_, bias_ + gate_rows, 0.0f);  // db, summed over the steps by cell_backward
        sg::pack_a(sg::trans(w_hh_, gate_rows), Units, gate_rows, packed_);
        for (int t = steps - 1; t >= 0; --t) {
            // W_hh^T dz_{t+1}; cell_backward adds dy_t
            if (t < steps - 1)
                detail::lstm_gemm(Units, B, gate_rows, sg::trans(w_hh_, gate_rows), packed_,
                                  sg::col(gates_ + std::size_t(t + 1) * B * gate_rows, gate_rows), dh_, Units, work_,
                                  false);
            cell_backward(t, dy);
            // dz_t is in cache: the input-side products of this step
            const detail::const_mat_view DZt(gates_ + std::size_t(t) * B * gate_rows, gate_rows, B);
            const Eigen::OuterStride<> xstride(std::ptrdiff_t(features) * steps);
            dWih.noalias() += DZt * detail::const_strided_view(x + std::size_t(t) * features, features, B, xstride)
                                        .transpose();
            if (dx)
                detail::strided_view(dx + std::size_t(t) * features, features, B, xstride).noalias() =
                    Wih.transpose() * DZt;
        }
        // dW_hh += sum over t >= 1 of dz_t h_{t-1}^T: one product of depth (T-1)*B
        if (steps > 1)
            detail::lstm_gemm(gate_rows, Units, (steps - 1) * B, sg::col(gates_ + std::size_t(B) * gate_rows, gate_rows),
                              nullptr, sg::trans(hidden_, Units), dw_hh_, gate_rows, work_, true);
        detail::vec_view(db_ih_, gate_rows) += detail::const_vec_view(bias_, gate_rows);
        detail::vec_view(db_hh_, gate_rows) += detail::const_vec_view(bias_, gate_rows);
    }

    // torch.nn.LSTM: weight_ih_l0 (4U, F), weight_hh_l0 (4U, U), bias_ih_l0, bias_hh_l0.
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        sink.put(prefix + "weight_ih_l0", {gate_rows, features}, row_major(w_ih_, features));
        sink.put(prefix + "weight_hh_l0", {gate_rows, Units}, row_major(w_hh_, Units));
        sink.put(prefix + "bias_ih_l0", {gate_rows}, std::vector<float>(b_ih_, b_ih_ + gate_rows));
        sink.put(prefix + "bias_hh_l0", {gate_rows}, std::vector<float>(b_hh_, b_hh_ + gate_rows));
    }

    static void torch_modules(std::vector<std::string>& out) {
        out.push_back(std::string(ReturnSequences ? "LSTMAllSteps(" : "LSTMLastStep(") + std::to_string(features) +
                      ", " + std::to_string(Units) + ")");
    }

    const float* weights_ih() const { return w_ih_; }
    const float* weights_hh() const { return w_hh_; }

private:
    // Step t's activated gates, c_t, tanh(c_t) and h_t (and, ReturnSequences, y's copy of
    // h_t), one sample column at a time.
    void cell_forward(int t, const float* x, float* y) {
        if (t > 0)
            cell_forward_steps<true>(t, x, y);
        else
            cell_forward_steps<false>(t, x, y);
    }

    template <bool Later>  // t > 0: z holds W_hh h_{t-1} (+ the input part) and c_{t-1} counts
    void cell_forward_steps(int t, const float* x, float* y) {
        auto column = [&](int b) {
            const std::size_t n = std::size_t(t) * B + b;
            float* z = gates_ + n * gate_rows;
            if constexpr (fuse_input) {  // z += W_ih x_t + b (z = that at t = 0)
                const float* xb = x + (std::size_t(b) * steps + t) * features;
#pragma GCC ivdep
                for (int r = 0; r < gate_rows; ++r) {
                    float v = Later ? z[r] + bias_[r] : bias_[r];
                    for (int f = 0; f < features; ++f) v += w_ih_[f * gate_rows + r] * xb[f];
                    z[r] = v;
                }
            }
            detail::seg<2 * Units> if_gates(z);
            if_gates = 1.0f / (1.0f + (-if_gates).exp());
            detail::seg<Units> g(z + 2 * Units), o(z + 3 * Units);
            g = g.tanh();
            o = 1.0f / (1.0f + (-o).exp());
            const detail::const_seg<Units> i(z), f(z + Units);
            detail::seg<Units> c(cells_ + n * Units), tc(tanhc_ + n * Units), hn(hidden_ + n * Units);
            if constexpr (Later)
                c = f * detail::const_seg<Units>(cells_ + (n - B) * Units) + i * g;
            else
                c = i * g;
            tc = c.tanh();
            hn = o * tc;
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

    // dz_t (written over step t's gates) from dL/dh_t = W_hh^T dz_{t+1} (in dh; none at
    // t = T-1) + dy_t, and dc (dL/dc_{t+1} f_{t+1}); leaves dc = dL/dc_t f_t, and adds dz_t's
    // columns to db (bias_).
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

    template <bool HasDh, bool Later>  // HasDh: t < T-1; Later: t > 0 (c_{t-1} counts)
    void cell_backward_steps(int t, const float* dy) {
        // dy_t: every step's (ReturnSequences), else only the last step's
        const bool with_dy = ReturnSequences || !HasDh;
        auto column = [&](int b) {
            const std::size_t n = std::size_t(t) * B + b;
            float* z = gates_ + n * gate_rows;
            const float* dh = dh_ + std::size_t(b) * Units;
            const float* dyb = ReturnSequences ? dy + (std::size_t(b) * steps + t) * Units
                                               : dy + std::size_t(b) * Units;
            const float* tc = tanhc_ + n * Units;
            const float* cp = cells_ + (Later ? n - B : n) * Units;  // c_{t-1}
            float* dc = dc_ + std::size_t(b) * Units;
#pragma GCC ivdep
            for (int u = 0; u < Units; ++u) {
                const float i = z[u], f = z[Units + u], g = z[2 * Units + u], o = z[3 * Units + u];
                float dhu = HasDh ? dh[u] : 0.0f;
                if (with_dy) dhu += dyb[u];
                const float tcu = tc[u];
                const float dcu = dc[u] + dhu * o * (1.0f - tcu * tcu);
                z[u] = dcu * g * i * (1.0f - i);
                z[Units + u] = Later ? dcu * cp[u] * f * (1.0f - f) : 0.0f;
                z[2 * Units + u] = dcu * i * (1.0f - g * g);
                z[3 * Units + u] = dhu * tcu * o * (1.0f - o);
                dc[u] = dcu * f;
            }
        };
        if (detail::lstm_parallel(std::size_t(gate_rows) * B)) {
            HPS_OMP(omp parallel for schedule(static))
            for (int b = 0; b < B; ++b) column(b);
        } else {
            for (int b = 0; b < B; ++b) column(b);
        }
        // db += the step's dz, summed over the batch (hot in cache)
        detail::vec_view(bias_, gate_rows) +=
            detail::const_mat_view(gates_ + std::size_t(t) * B * gate_rows, gate_rows, B).rowwise().sum();
    }

    // A column-major (4U, cols) matrix in C order, as torch stores it.
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
    float* cells_ = nullptr;
    float* tanhc_ = nullptr;
    float* hidden_ = nullptr;
    float* dh_ = nullptr;
    float* dc_ = nullptr;
    float* bias_ = nullptr;
    float* packed_ = nullptr;
    float* work_ = nullptr;
};

// lstm<128> gives the last hidden state (Keras's return_sequences=False); lstm<128, true>
// every step's, for a further recurrent or convolutional layer.
template <int Units, bool ReturnSequences = false>
struct lstm {
    static_assert(Units > 0, "lstm: the number of units must be > 0");
    template <class In, int B>
    using impl = lstm_layer<In, Units, ReturnSequences, B>;
};

}  // namespace hps

#pragma GCC diagnostic pop
