// TensorBoard event files, written without TensorFlow or protobuf: a CRC32C, a protobuf
// encoder for the few messages TensorBoard reads, and the TFRecord framing. Light (no
// Eigen), so hpsgen includes it too (the study's HParams experiment, cmd_generate.cpp).
//
// A record:  uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
//            (little endian; masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8)
// data is one serialized tensorflow.Event:
//   Event        wall_time 1 (double), step 2 (int64), file_version 3 (string), summary 5
//   Summary      value 1 (repeated Value)
//   Value        tag 1, simple_value 2 (float), tensor 8 (TensorProto), metadata 9
//   Metadata     plugin_data 1 (PluginData: plugin_name 1, content 2 (bytes))
//   TensorProto  dtype 1 (DT_FLOAT = 1), tensor_shape 2 (TensorShapeProto: dim 2, Dim: size 1)
// The HParams plugin's content is a tensorboard.hparams.HParamsPluginData (plugin_data.proto,
// api.proto): version 1, experiment 2, session_start_info 3, session_end_info 4.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hps::tfevents {

// ------------------------------------------------------------------ CRC32C
// Castagnoli's polynomial, reflected (0x82F63B78), byte-wise from a table.
inline std::uint32_t crc32c(std::string_view data) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

inline std::uint32_t masked_crc32c(std::string_view data) {
    const std::uint32_t c = crc32c(data);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

// ------------------------------------------------------------------ protobuf encoding
// A message built field by field, in field order; nested messages are encoded first and
// added as bytes (their length is then known).
class message {
public:
    message& varint(int field, std::uint64_t v) {
        key(field, 0);
        put_varint(v);
        return *this;
    }
    message& f64(int field, double v) {
        key(field, 1);
        put_fixed(&v, 8);
        return *this;
    }
    message& f32(int field, float v) {
        key(field, 5);
        put_fixed(&v, 4);
        return *this;
    }
    message& bytes(int field, std::string_view v) {
        key(field, 2);
        put_varint(v.size());
        out_.append(v);
        return *this;
    }
    message& sub(int field, const message& m) { return bytes(field, m.str()); }
    const std::string& str() const { return out_; }

private:
    void key(int field, int wire_type) { put_varint(std::uint64_t(field) << 3 | std::uint64_t(wire_type)); }
    void put_varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_ += char((v & 0x7F) | 0x80);
            v >>= 7;
        }
        out_ += char(v);
    }
    void put_fixed(const void* p, std::size_t n) {  // little endian, as x86 and ARM store it
        char b[8];
        std::memcpy(b, p, n);
        out_.append(b, n);
    }
    std::string out_;
};

// One TFRecord around a serialized event.
inline std::string record(std::string_view data) {
    std::string out;
    const std::uint64_t n = data.size();
    char len[8];
    std::memcpy(len, &n, 8);
    const std::uint32_t len_crc = masked_crc32c(std::string_view(len, 8)), data_crc = masked_crc32c(data);
    out.append(len, 8);
    out.append(reinterpret_cast<const char*>(&len_crc), 4);
    out.append(data);
    out.append(reinterpret_cast<const char*>(&data_crc), 4);
    return out;
}

// ------------------------------------------------------------------ events
inline message event_header(double wall_time, long step) {
    message e;
    e.f64(1, wall_time);
    if (step != 0) e.varint(2, std::uint64_t(step));
    return e;
}

// The first record of every event file.
inline std::string file_version_record(double wall_time) {
    return record(event_header(wall_time, 0).bytes(3, "brain.Event:2").str());
}

inline message plugin_metadata(std::string_view plugin, std::string_view content = {}) {
    message data;
    data.bytes(1, plugin);
    if (!content.empty()) data.bytes(2, content);
    return message().sub(1, data);
}

// A scalar for the Scalars dashboard: tag "validation/accuracy", value as float32.
inline std::string scalar_record(double wall_time, long step, std::string_view tag, double value) {
    message v;
    v.bytes(1, tag).f32(2, float(value)).sub(9, plugin_metadata("scalars"));
    return record(event_header(wall_time, step).sub(5, message().sub(1, v)).str());
}

// ------------------------------------------------------------------ HParams plugin
// tensorboard/plugins/hparams/metadata.py's tags; its summaries carry an empty float
// tensor (NULL_TENSOR) beside the plugin data.
inline constexpr std::string_view experiment_tag = "_hparams_/experiment";
inline constexpr std::string_view session_start_tag = "_hparams_/session_start_info";
inline constexpr std::string_view session_end_tag = "_hparams_/session_end_info";

enum class session_status { unknown = 0, success = 1, failure = 2, running = 3 };
enum class data_type { unset = 0, string = 1, boolean = 2, float64 = 3 };

// A hyperparameter's value as google.protobuf.Value: number_value 2 or string_value 3.
struct hparam_value {
    bool is_number = false;
    double number = 0;
    std::string text;
    message encode() const {
        message m;
        if (is_number) m.f64(2, number);
        else m.bytes(3, text);
        return m;
    }
};

// The value of an axis as the settings file writes it ("0.01", "relu"): a number where it
// reads back whole as one, else text.
inline hparam_value hparam_of(const std::string& text) {
    hparam_value v;
    v.text = text;
    if (!text.empty()) {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (end == text.c_str() + text.size()) v.is_number = true, v.number = x;
    }
    return v;
}

inline std::string hparams_record(double wall_time, std::string_view tag, int plugin_field, const message& payload) {
    message plugin_data;
    plugin_data.varint(1, 0).sub(plugin_field, payload);  // version 0, then the oneof
    message null_tensor;  // dtype DT_FLOAT, shape (0,)
    null_tensor.varint(1, 1).sub(2, message().sub(2, message()));
    message v;
    v.bytes(1, tag).sub(8, null_tensor).sub(9, plugin_metadata("hparams", plugin_data.str()));
    return record(event_header(wall_time, 0).sub(5, message().sub(1, v)).str());
}

// SessionStartInfo: hparams 1 (map<string, Value>: entries key 1, value 2), group_name 4,
// start_time_secs 5.
inline std::string session_start_record(double wall_time, const std::vector<std::pair<std::string, hparam_value>>& hparams,
                                        std::string_view group, double start_time) {
    message info;
    for (const auto& [name, value] : hparams) info.sub(1, message().bytes(1, name).sub(2, value.encode()));
    info.bytes(4, group).f64(5, start_time);
    return hparams_record(wall_time, session_start_tag, 3, info);
}

// SessionEndInfo: status 1, end_time_secs 2.
inline std::string session_end_record(double wall_time, session_status status) {
    message info;
    info.varint(1, std::uint64_t(status)).f64(2, wall_time);
    return hparams_record(wall_time, session_end_tag, 4, info);
}

// Experiment: name 6, time_created_secs 3, hparam_infos 4 (HParamInfo: name 1, type 4,
// domain_discrete 5 (ListValue: values 1)), metric_infos 5 (MetricInfo: name 1 (MetricName:
// group 1, tag 2), dataset_type 5).
struct hparam_info {
    std::string name;
    std::vector<hparam_value> values;  // the axis's values: its discrete domain
};
struct metric_info {
    std::string tag;  // "validation/accuracy"
    int dataset_type = 0;  // 1 training, 2 validation, 0 else
};

inline std::string experiment_record(double wall_time, std::string_view name, const std::vector<hparam_info>& hparams,
                                     const std::vector<metric_info>& metrics) {
    message exp;
    exp.f64(3, wall_time);
    for (const auto& h : hparams) {
        bool numbers = !h.values.empty();
        for (const auto& v : h.values) numbers = numbers && v.is_number;
        message list;
        for (const auto& v : h.values) list.sub(1, v.encode());
        message info;
        info.bytes(1, h.name).varint(4, std::uint64_t(numbers ? data_type::float64 : data_type::string)).sub(5, list);
        exp.sub(4, info);
    }
    for (const auto& m : metrics) {
        message info;
        info.sub(1, message().bytes(2, m.tag));  // MetricName: group 1 left empty, tag 2
        if (m.dataset_type != 0) info.varint(5, std::uint64_t(m.dataset_type));
        exp.sub(5, info);
    }
    exp.bytes(6, name);
    return hparams_record(wall_time, experiment_tag, 2, exp);
}

}  // namespace hps::tfevents
