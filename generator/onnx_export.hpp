// An ONNX model of a trained network, written by hand in protobuf's wire format (ONNX is a
// protobuf message; the few fields used are numbered in onnx_export.cpp), from what the
// trainer wrote into the run folder: the torch.nn modules of model.py and best.npz's
// tensors. `hpsgen export --format onnx` writes it; no Python is needed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hps::onnx {

struct tensor {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

// The ONNX ModelProto (IR 7, opset 13) of the nn.Sequential whose modules are `modules`
// (model.py's source of each, in order: "nn.Conv2d(1, 16, (5, 5), stride=(1, 1), padding=(2, 2))")
// and whose state_dict is `params` ("0.weight" -> tensor). A batchnorm module with no
// tensors in `params` is left out (folded into a neighbour beforehand).
// Input "x": (N, size of in_dims), each sample raw and channels last as in the study's
// data, flattened; it is scaled by `scale`, normalized with `normalization` when that has
// input_mean and input_std ((x - mean) / std, the run's normalization.npz flattened),
// reshaped and made channels first inside; the output is y * target_std + target_mean
// when `normalization` has those.
// N is `batch` when > 0, else left free ("N"). Output "y": (N, out...) as the hps network's
// output, channels last. Throws std::runtime_error naming a module it cannot translate.
std::string model(const std::vector<std::string>& modules, const std::map<std::string, tensor>& params,
                  const std::vector<int>& in_dims, double scale, const std::string& name, std::int64_t batch = 0,
                  const std::map<std::string, tensor>& normalization = {});

// The modules of model.py's build(), one string each, in order.
std::vector<std::string> torch_modules_of(const std::string& model_py);

}  // namespace hps::onnx
