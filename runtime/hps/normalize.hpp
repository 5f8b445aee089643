// `normalize inputs` / `normalize targets`: per-feature (v - mean) / std, with the
// statistics of the training part of the data (after a `split` took the validation part
// out, so that nothing of the validation set leaks into them).
//
//   mean_j = sum_i v_ij / n,  std_j = sqrt(sum_i (v_ij - mean_j)^2 / n)   (numpy's std, ddof 0)
//
// accumulated in double, two passes, then stored as float32; a constant feature (std 0)
// gets std 1 (as scikit-learn's StandardScaler), so it becomes 0 and stays finite. The
// normalized value is computed in float, (v - mean) / std, the very operations model.py
// (torch, float32) and hpsgen export (C++ and ONNX) apply to raw inputs, so their results
// agree with the trainer's to the bit.
//
// The statistics are kept beside best.npz as normalization.npz: input_mean and input_std
// of the input's per-sample shape (channels last), target_mean and target_std of
// (outputs,); an array is absent when its part is not normalized.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <hps/io.hpp>
#include <hps/npz.hpp>

namespace hps {

struct normalization {
    std::vector<float> input_mean, input_std;  // (x_size): empty when inputs are not normalized
    std::vector<float> target_mean, target_std;  // (y_size): empty when targets are not normalized

    bool inputs() const { return !input_mean.empty(); }
    bool targets() const { return !target_mean.empty(); }
};

// Per-feature mean and std of n samples of `size` values each, sample after sample.
inline void feature_statistics(const std::vector<float>& values, int size, int n, std::vector<float>& mean,
                               std::vector<float>& std) {
    std::vector<double> m(std::size_t(size), 0.0), v(std::size_t(size), 0.0);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < size; ++j) m[std::size_t(j)] += values[std::size_t(i) * std::size_t(size) + std::size_t(j)];
    for (double& x : m) x /= double(n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < size; ++j) {
            const double d = values[std::size_t(i) * std::size_t(size) + std::size_t(j)] - m[std::size_t(j)];
            v[std::size_t(j)] += d * d;
        }
    mean.assign(m.begin(), m.end());
    std.resize(std::size_t(size));
    for (std::size_t j = 0; j < std.size(); ++j) {
        const float s = float(std::sqrt(v[j] / double(n)));
        std[j] = s > 0 ? s : 1.0f;
    }
}

// The statistics of the training part `train` (an hps::dataset), of the parts asked for. A
// template so that this header needs no Eigen: hpsgen export reads normalization.npz with it.
template <class Dataset> normalization normalization_of(const Dataset& train, bool inputs, bool targets) {
    normalization out;
    if (inputs) feature_statistics(train.x, train.x_size, train.n, out.input_mean, out.input_std);
    if (targets) feature_statistics(train.y, train.y_size, train.n, out.target_mean, out.target_std);
    return out;
}

// values = (values - mean) / std, feature by feature.
inline void normalize_values(float* values, std::size_t count, const std::vector<float>& mean, const std::vector<float>& std) {
    const std::size_t size = mean.size();
    for (std::size_t i = 0; i < count; ++i) values[i] = (values[i] - mean[i % size]) / std[i % size];
}

// values = values * std + mean: normalized targets (or outputs) back in the data's units.
inline void denormalize_values(float* values, std::size_t count, const std::vector<float>& mean, const std::vector<float>& std) {
    const std::size_t size = mean.size();
    for (std::size_t i = 0; i < count; ++i) values[i] = values[i] * std[i % size] + mean[i % size];
}

// normalization.npz (see the top of this file); `input_shape` is the per-sample shape.
inline void write_normalization(const std::string& path, const normalization& norm, const std::vector<int>& input_shape) {
    std::vector<npz_entry> entries;
    const std::vector<std::int64_t> in(input_shape.begin(), input_shape.end());
    const std::vector<std::int64_t> out{std::int64_t(norm.target_mean.size())};
    if (norm.inputs()) {
        entries.emplace_back("input_mean", in, norm.input_mean.data());
        entries.emplace_back("input_std", in, norm.input_std.data());
    }
    if (norm.targets()) {
        entries.emplace_back("target_mean", out, norm.target_mean.data());
        entries.emplace_back("target_std", out, norm.target_std.data());
    }
    write_npz(path, entries);
}

// normalization.npz read back (hpsgen export); a missing file is a data_error.
inline normalization read_normalization(const std::string& path) {
    const npz_reader z(path);
    normalization out;
    const auto get = [&](const char* name, std::vector<float>& to) {
        if (z.contains(name)) to = z.read_as<float>(name).values;
    };
    get("input_mean", out.input_mean);
    get("input_std", out.input_std);
    get("target_mean", out.target_mean);
    get("target_std", out.target_std);
    if (out.input_mean.size() != out.input_std.size() || out.target_mean.size() != out.target_std.size())
        throw data_error(path + ": its means and standard deviations differ in size; train the point again");
    return out;
}

}  // namespace hps
