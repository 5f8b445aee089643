// hps/train/tfevents.hpp: the CRC32C, the protobuf encoding and the TFRecord framing, on
// published check values and hand-encoded bytes (tests/examples/logs_test.py reads whole
// event files back with a reader of its own).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <hps/io.hpp>
#include <hps/train/tfevents.hpp>

#include <cstdint>
#include <cstring>
#include <string>

namespace tfe = hps::tfevents;
using namespace std::string_literals;

namespace {

std::uint32_t u32_at(const std::string& s, std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, s.data() + at, 4);
    return v;
}

}  // namespace

TEST_CASE("crc32c: the Castagnoli check value, and TensorFlow's mask") {
    CHECK(tfe::crc32c("123456789") == 0xE3069283u);  // RFC 3720's (iSCSI) check value
    CHECK(tfe::crc32c("") == 0u);
    CHECK(tfe::masked_crc32c("") == 0xa282ead8u);  // ((0 >> 15) | (0 << 17)) + 0xa282ead8
    const std::uint32_t c = tfe::crc32c("a");
    CHECK(tfe::masked_crc32c("a") == ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST_CASE("protobuf fields: varints, fixed widths, length-delimited, nested") {
    CHECK(tfe::message().varint(2, 300).str() == "\x10\xac\x02"s);  // the protobuf guide's 300
    CHECK(tfe::message().varint(1, 1).str() == "\x08\x01"s);
    CHECK(tfe::message().f64(1, 1.0).str() == "\x09\x00\x00\x00\x00\x00\x00\xf0\x3f"s);
    CHECK(tfe::message().f32(2, 1.0f).str() == "\x15\x00\x00\x80\x3f"s);
    CHECK(tfe::message().bytes(1, "ab").str() == "\x0a\x02" "ab"s);
    CHECK(tfe::message().sub(5, tfe::message().varint(1, 1)).str() == "\x2a\x02\x08\x01"s);
}

TEST_CASE("a record: length, its masked CRC, the event, its masked CRC") {
    const std::string r = tfe::file_version_record(0);
    const std::string event = "\x09"s + std::string(8, '\0') + "\x1a\x0d" "brain.Event:2";  // wall_time 0, file_version
    REQUIRE(r.size() == 8 + 4 + event.size() + 4);
    std::uint64_t n;
    std::memcpy(&n, r.data(), 8);
    CHECK(n == event.size());
    CHECK(u32_at(r, 8) == tfe::masked_crc32c(r.substr(0, 8)));
    CHECK(r.substr(12, event.size()) == event);
    CHECK(u32_at(r, 12 + event.size()) == tfe::masked_crc32c(event));
}

TEST_CASE("a scalar: step, tag, float value, the scalars plugin") {
    const std::string r = tfe::scalar_record(0, 50, "validation/loss", 0.5);
    const std::string value = "\x0a\x0f" "validation/loss" "\x15\x00\x00\x00\x3f"s +  // tag, simple_value 0.5f
                              "\x4a\x0b\x0a\x09\x0a\x07" "scalars";  // metadata { plugin_data { plugin_name } }
    const std::string summary = "\x0a"s + char(value.size()) + value;
    const std::string event = "\x09"s + std::string(8, '\0') + "\x10\x32" + "\x2a" + char(summary.size()) + summary;
    CHECK(r.substr(12, r.size() - 16) == event);
}

TEST_CASE("hparam values: numbers where the text is one") {
    CHECK(tfe::hparam_of("0.01").is_number);
    CHECK(tfe::hparam_of("0.01").number == 0.01);
    CHECK(tfe::hparam_of("1e-5").is_number);
    CHECK_FALSE(tfe::hparam_of("relu").is_number);
    CHECK_FALSE(tfe::hparam_of("3x").is_number);
    CHECK_FALSE(tfe::hparam_of("").is_number);
}

TEST_CASE("fnv1a_hex: FNV-1a 64's published values") {
    CHECK(hps::fnv1a_hex("") == "cbf29ce484222325");
    CHECK(hps::fnv1a_hex("a") == "af63dc4c8601ec8c");
}
