// torch_helpers(modules): the Python classes that a model.py needs for the recurrent
// layers among its modules. lstm and gru export the parameters of torch's own nn.LSTM /
// nn.GRU (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0), but the rest of the model
// passes channels-first tensors (N, features, steps) around and wants (N, hidden) or
// (N, hidden, steps) back; so the model uses subclasses of them (their state_dict names
// stay nn.LSTM's / nn.GRU's, and the exported best.npz loads with strict=True):
//   <K>LastStep(F, U)   returns the last step's hidden state, (N, U)
//   <K>AllSteps(F, U)   returns every step's, channels-first, (N, U, T)
// for K = LSTM (layers/lstm.hpp) and GRU (layers/gru.hpp). One function for every kind:
// the trainer writes torch_helpers(model.torch_modules()) into model.py.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace hps {

namespace detail {

// The two classes over nn.<kind>, in the order model.py defines them.
inline std::string torch_rnn_classes(std::string_view kind) {
    const std::string k(kind);
    return "class " + k + "LastStep(nn." + k + "):\n"
           "    \"\"\"nn." + k + "(input_size, hidden_size, batch_first=True) on a channels-first batch\n"
           "    (N, features, steps); returns the last step's hidden state, (N, hidden).\"\"\"\n\n"
           "    def __init__(self, input_size, hidden_size):\n"
           "        super().__init__(input_size, hidden_size, batch_first=True)\n\n"
           "    def forward(self, x):\n"
           "        return super().forward(x.transpose(1, 2))[0][:, -1]\n\n\n"
           "class " + k + "AllSteps(nn." + k + "):\n"
           "    \"\"\"As " + k + "LastStep, but returns every step's hidden state channels-first,\n"
           "    (N, hidden, steps).\"\"\"\n\n"
           "    def __init__(self, input_size, hidden_size):\n"
           "        super().__init__(input_size, hidden_size, batch_first=True)\n\n"
           "    def forward(self, x):\n"
           "        return super().forward(x.transpose(1, 2))[0].transpose(1, 2)\n\n\n";
}

}  // namespace detail

// The Python classes that model.py needs for the modules of `modules` ("" when none):
// LSTMLastStep / LSTMAllSteps when an lstm is among them, then GRULastStep / GRUAllSteps
// when a gru is (both pairs of a kind whenever one of them is used).
inline std::string torch_helpers(const std::vector<std::string>& modules) {
    std::string out;
    for (const std::string_view kind : {std::string_view("LSTM"), std::string_view("GRU")}) {
        const std::string last = std::string(kind) + "LastStep(", all = std::string(kind) + "AllSteps(";
        const bool needed = std::any_of(modules.begin(), modules.end(), [&](const std::string& m) {
            return m.rfind(last, 0) == 0 || m.rfind(all, 0) == 0;
        });
        if (needed) out += detail::torch_rnn_classes(kind);
    }
    return out;
}

}  // namespace hps
