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
//     dW_hh += dz_t h_{t-1}^T (t >= 1);  then over all steps at once:
//     dW_ih += dZ X^T, db_ih += rowsum(dZ), db_hh += rowsum(dZ), dx = W_ih^T dZ
//
// Every per-step buffer keeps the input's column order, column n = b*T + t: X viewed as
// (F, T*B) is the input itself, so the input projection of all steps is one GEMM before
// the recurrence, and dW_ih and dx one GEMM each after it; step t is a strided view
// (outer stride T columns). Per step there is one GEMM forward (W_hh h_{t-1} over the
// batch) and two backward (dW_hh, W_hh^T dz_t); the gate nonlinearities and the cell
// update are fused into one pass per sample column.
//
// Parameters: [W_ih as the column-major (4U, F) matrix, W_hh as the column-major (4U, U)
// matrix; then b_ih (4U), b_hh (4U)]; L1/L2 penalties apply to both weight matrices.
// Init: weights uniform in +-1/sqrt(U) (PyTorch's), biases 0 except the forget gate's
// b_ih = 1 (Keras's unit_forget_bias: the cell remembers from the start).
// Scratch: gates (4U, T*B) (z, then the activated i f g o), cells (U, T*B), hidden states
// (U, T*B) unless ReturnSequences (then y holds them), dZ (4U, T*B), dh and dc (U, B), and
// 4U floats for the summed bias.
//
// PyTorch: torch.nn.LSTM(F, U, batch_first=True) has these parameters under the same
// names (weight_ih_l0 (4U, F), weight_hh_l0 (4U, U), bias_ih_l0, bias_hh_l0). The model
// uses the subclasses LSTMLastStep / LSTMAllSteps (torch_helpers() below, written into
// model.py), which take the channels-first (N, F, T) tensor that the rest of the model
// passes around and return h_{T-1} (N, U) or every step channels-first (N, U, T), so that
// a dense or conv1d after them sees torch's usual layout.
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hps {

namespace detail {

// (rows, cols) column-major views whose columns lie `stride` floats apart
using strided_view = Eigen::Map<dyn_matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using const_strided_view = Eigen::Map<const dyn_matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// Fixed-length element-wise views of one sample column's gate or state block.
template <int N>
using seg = Eigen::Map<Eigen::Array<float, N, 1>, Eigen::Unaligned>;
template <int N>
using const_seg = Eigen::Map<const Eigen::Array<float, N, 1>, Eigen::Unaligned>;

}  // namespace detail

template <class In, int Units, bool ReturnSequences, int B>
class lstm_layer {
    static_assert(In::rank == 2,
                  "lstm: the input must be a (time steps, features) sequence, e.g. hps::shape<15, 1>; "
                  "give a sequence of single values a feature dimension of 1");

public:
    static constexpr int steps = In::dims[0];
    static constexpr int features = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int units = Units;
    static constexpr int gate_rows = 4 * Units;          // 4U
    static constexpr int columns = steps * B;            // T*B, column n = b*T + t
    static constexpr bool return_sequences = ReturnSequences;

    using in_shape = In;
    using out_shape = std::conditional_t<ReturnSequences, shape<steps, Units>, shape<Units>>;
    static constexpr std::size_t ih_size = std::size_t(gate_rows) * features;
    static constexpr std::size_t hh_size = std::size_t(gate_rows) * Units;
    static constexpr std::size_t num_weights = ih_size + hh_size;
    static constexpr std::size_t num_params = num_weights + 2 * std::size_t(gate_rows);
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t gates_size = std::size_t(gate_rows) * columns;
    static constexpr std::size_t states_size = std::size_t(Units) * columns;
    static constexpr std::size_t scratch_size = 2 * gates_size + (ReturnSequences ? 1 : 2) * states_size +
                                                2 * std::size_t(Units) * B + gate_rows;
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
        dz_ = gates_ + gates_size;            // (4U, T*B)
        cells_ = dz_ + gates_size;            // (U, T*B)
        float* next = cells_ + states_size;
        if constexpr (!ReturnSequences) {
            hidden_ = next;                   // (U, T*B)
            next += states_size;
        }
        dh_ = next;                           // (U, B)
        dc_ = dh_ + std::size_t(Units) * B;   // (U, B)
        bias_ = dc_ + std::size_t(Units) * B; // (4U)
    }

    void init(rng& gen) {
        const double limit = 1.0 / std::sqrt(double(Units));
        for (std::size_t i = 0; i < num_weights; ++i) w_ih_[i] = float(limit * (2 * gen.uniform() - 1));
        std::fill(b_ih_, b_ih_ + 2 * gate_rows, 0.0f);
        std::fill(b_ih_ + Units, b_ih_ + 2 * Units, 1.0f);  // forget gate
    }

    void forward(const float* x, float* y, context&) {
        float* h = ReturnSequences ? y : hidden_;
        const detail::const_mat_view X(x, features, columns), Wih(w_ih_, gate_rows, features),
            Whh(w_hh_, gate_rows, Units);
        detail::mat_view G(gates_, gate_rows, columns);
        G.noalias() = Wih * X;  // the input projection of every step at once
        detail::vec_view bias(bias_, gate_rows);
        bias = detail::const_vec_view(b_ih_, gate_rows) + detail::const_vec_view(b_hh_, gate_rows);
        G.colwise() += bias;
        for (int t = 0; t < steps; ++t) {
            if (t > 0) {
                detail::strided_view Gt(gates_ + std::size_t(t) * gate_rows, gate_rows, B,
                                        Eigen::OuterStride<>(std::ptrdiff_t(gate_rows) * steps));
                const detail::const_strided_view Hp(h + std::size_t(t - 1) * Units, Units, B,
                                                    Eigen::OuterStride<>(std::ptrdiff_t(Units) * steps));
                Gt.noalias() += Whh * Hp;
            }
            cell_forward(t, h);
        }
        if constexpr (!ReturnSequences) {
            for (int b = 0; b < B; ++b)
                std::memcpy(y + std::size_t(b) * Units, h + (std::size_t(b) * steps + steps - 1) * Units,
                            sizeof(float) * Units);
        }
    }

    void backward(const float* x, const float* y, const float* dy, float* dx, context&) {
        const float* h = ReturnSequences ? y : hidden_;
        const detail::const_mat_view Whh(w_hh_, gate_rows, Units);
        detail::mat_view DH(dh_, Units, B);
        std::fill(dc_, dc_ + std::size_t(Units) * B, 0.0f);
        if constexpr (ReturnSequences)
            std::fill(dh_, dh_ + std::size_t(Units) * B, 0.0f);
        else
            std::memcpy(dh_, dy, sizeof(float) * std::size_t(Units) * B);
        for (int t = steps - 1; t >= 0; --t) {
            if constexpr (ReturnSequences)
                DH += detail::const_strided_view(dy + std::size_t(t) * Units, Units, B,
                                                 Eigen::OuterStride<>(std::ptrdiff_t(Units) * steps));
            cell_backward(t);
            if (t > 0) {
                const detail::const_strided_view DZt(dz_ + std::size_t(t) * gate_rows, gate_rows, B,
                                                     Eigen::OuterStride<>(std::ptrdiff_t(gate_rows) * steps));
                const detail::const_strided_view Hp(h + std::size_t(t - 1) * Units, Units, B,
                                                    Eigen::OuterStride<>(std::ptrdiff_t(Units) * steps));
                detail::mat_view(dw_hh_, gate_rows, Units).noalias() += DZt * Hp.transpose();
                DH.noalias() = Whh.transpose() * DZt;
            }
        }
        const detail::const_mat_view DZ(dz_, gate_rows, columns), X(x, features, columns),
            Wih(w_ih_, gate_rows, features);
        detail::mat_view(dw_ih_, gate_rows, features).noalias() += DZ * X.transpose();
        detail::vec_view db(bias_, gate_rows);  // the summed bias is not needed any more
        db = DZ.rowwise().sum();
        detail::vec_view(db_ih_, gate_rows) += db;
        detail::vec_view(db_hh_, gate_rows) += db;
        if (dx) detail::mat_view(dx, features, columns).noalias() = Wih.transpose() * DZ;
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
    // The activated gates, c_t and h_t of step t, one sample column at a time.
    void cell_forward(int t, float* h) {
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(gate_rows) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            const std::size_t n = std::size_t(b) * steps + t;
            float* z = gates_ + n * gate_rows;
            detail::seg<2 * Units> if_gates(z);
            if_gates = 1.0f / (1.0f + (-if_gates).exp());
            detail::seg<Units> g(z + 2 * Units), o(z + 3 * Units);
            g = g.tanh();
            o = 1.0f / (1.0f + (-o).exp());
            const detail::const_seg<Units> i(z), f(z + Units);
            detail::seg<Units> c(cells_ + n * Units), hn(h + n * Units);
            if (t > 0)
                c = f * detail::const_seg<Units>(cells_ + (n - 1) * Units) + i * g;
            else
                c = i * g;
            hn = o * c.tanh();
        }
    }

    // dz_t from dh (dL/dh_t) and dc (dL/dc_{t+1} f_{t+1}); leaves dc = dL/dc_t f_t.
    void cell_backward(int t) {
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(gate_rows) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            const std::size_t n = std::size_t(b) * steps + t;
            const float* z = gates_ + n * gate_rows;
            const detail::const_seg<Units> i(z), f(z + Units), g(z + 2 * Units), o(z + 3 * Units);
            const detail::const_seg<Units> dh(dh_ + std::size_t(b) * Units);
            detail::seg<Units> dc(dc_ + std::size_t(b) * Units);
            float* dz = dz_ + n * gate_rows;
            detail::seg<Units> dzi(dz), dzf(dz + Units), dzg(dz + 2 * Units), dzo(dz + 3 * Units);
            detail::seg<Units> tc(dz + Units);  // tanh(c_t), kept where dz_f goes last
            tc = detail::const_seg<Units>(cells_ + n * Units).tanh();
            dzo = dh * tc * o * (1.0f - o);
            dc += dh * o * (1.0f - tc.square());
            dzi = dc * g * i * (1.0f - i);
            dzg = dc * i * (1.0f - g.square());
            if (t > 0)
                dzf = dc * detail::const_seg<Units>(cells_ + (n - 1) * Units) * f * (1.0f - f);
            else
                dzf.setZero();
            dc *= f;
        }
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
    float* dz_ = nullptr;
    float* cells_ = nullptr;
    float* hidden_ = nullptr;
    float* dh_ = nullptr;
    float* dc_ = nullptr;
    float* bias_ = nullptr;
};

// lstm<128> gives the last hidden state (Keras's return_sequences=False); lstm<128, true>
// every step's, for a further recurrent or convolutional layer.
template <int Units, bool ReturnSequences = false>
struct lstm {
    static_assert(Units > 0, "lstm: the number of units must be > 0");
    template <class In, int B>
    using impl = lstm_layer<In, Units, ReturnSequences, B>;
};

// The Python classes that model.py needs for the modules of `modules` ("" when none):
// LSTMLastStep / LSTMAllSteps, nn.LSTM subclasses (so that their state_dict names are
// nn.LSTM's) over the channels-first tensors the rest of the model passes around.
inline std::string torch_helpers(const std::vector<std::string>& modules) {
    const bool needed = std::any_of(modules.begin(), modules.end(), [](const std::string& m) {
        return m.rfind("LSTMLastStep(", 0) == 0 || m.rfind("LSTMAllSteps(", 0) == 0;
    });
    if (!needed) return "";
    return "class LSTMLastStep(nn.LSTM):\n"
           "    \"\"\"nn.LSTM(input_size, hidden_size, batch_first=True) on a channels-first batch\n"
           "    (N, features, steps); returns the last step's hidden state, (N, hidden).\"\"\"\n\n"
           "    def __init__(self, input_size, hidden_size):\n"
           "        super().__init__(input_size, hidden_size, batch_first=True)\n\n"
           "    def forward(self, x):\n"
           "        return super().forward(x.transpose(1, 2))[0][:, -1]\n\n\n"
           "class LSTMAllSteps(nn.LSTM):\n"
           "    \"\"\"As LSTMLastStep, but returns every step's hidden state channels-first,\n"
           "    (N, hidden, steps).\"\"\"\n\n"
           "    def __init__(self, input_size, hidden_size):\n"
           "        super().__init__(input_size, hidden_size, batch_first=True)\n\n"
           "    def forward(self, x):\n"
           "        return super().forward(x.transpose(1, 2))[0].transpose(1, 2)\n\n\n";
}

}  // namespace hps
