// hps/npy.hpp, npz.hpp, idx.hpp, dataset.hpp against numpy: make_data.py writes every
// fixture (and the expected values as raw float64) once per run; check_written.py reads
// what the C++ side writes with numpy.load.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <hps/dataset.hpp>
#include <hps/hdf5.hpp>
#include <hps/idx.hpp>
#include <hps/npy.hpp>
#include <hps/npz.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "test_support.hpp"

using hps_test::message_of;
using hps_test::temp_dir;

namespace {

// The fixtures, written once by make_data.py.
const temp_dir& fixtures() {
    static const temp_dir dir;
    static const bool made = [] {
        const int rc = hps_test::python("make_data.py", {dir.path});
        if (rc != 0) throw std::runtime_error("make_data.py failed with status " + std::to_string(rc));
        return true;
    }();
    (void)made;
    return dir;
}

std::string fx(const std::string& name) { return fixtures() / name; }

struct manifest_entry {
    std::string name, dtype;
    std::vector<std::int64_t> shape;
};

std::vector<manifest_entry> manifest(const std::string& file) {
    std::vector<manifest_entry> out;
    std::istringstream in(hps_test::read_text(fx(file)));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        manifest_entry e;
        int ndim = 0;
        l >> e.name >> e.dtype >> ndim;
        e.shape.resize(std::size_t(ndim));
        for (std::int64_t& d : e.shape) l >> d;
        out.push_back(e);
    }
    REQUIRE(!out.empty());
    return out;
}

std::vector<std::uint8_t> raw_file(const std::string& path) {
    const std::string text = hps_test::read_text(path);
    return {text.begin(), text.end()};
}

std::vector<double> f64_file(const std::string& path) {
    const std::string text = hps_test::read_text(path);
    std::vector<double> out(text.size() / 8);
    if (!out.empty()) std::memcpy(out.data(), text.data(), out.size() * 8);
    return out;
}

// Bit for bit, so that -0.0 and the extremes count.
template <class A, class B> bool same_values(const std::vector<A>& got, const std::vector<B>& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const A w = static_cast<A>(want[i]);
        if (std::memcmp(&got[i], &w, sizeof(A)) != 0) return false;
    }
    return true;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------- .npy

TEST_CASE("npy: every dtype and shape reads exactly as numpy wrote it") {
    for (const manifest_entry& e : manifest("npy.txt")) {
        CAPTURE(e.name);
        const std::string path = fx(e.name + ".npy");
        const hps::npy_header h = hps::read_npy_header(path);
        CHECK(h.shape == e.shape);
        CHECK(std::string(hps::element_name(h.type)) == e.dtype);

        const hps::npy_array raw = hps::read_npy(path);
        CHECK(raw.shape == e.shape);
        CHECK(raw.bytes == raw_file(fx(e.name + ".raw")));

        const std::vector<double> want = f64_file(fx(e.name + ".f64"));
        const hps::loaded_array<double> d = hps::read_npy_as<double>(path);
        CHECK(d.shape == e.shape);
        CHECK(same_values(d.values, want));
        const hps::loaded_array<float> f = hps::read_npy_as<float>(path);
        CHECK(same_values(f.values, want));
        if (e.dtype == "uint8" && !want.empty()) {
            const hps::loaded_array<float> scaled = hps::read_npy_as<float>(path, 1.0 / 255);
            CHECK(scaled.values[0] == static_cast<float>(want[0] * (1.0 / 255)));
        }
    }
}

TEST_CASE("npy: errors name the file, what is wrong and the fix") {
    std::string m = message_of<hps::data_error>([] { hps::read_npy(fx("err_fortran.npy")); });
    CHECK(contains(m, "err_fortran.npy"));
    CHECK(contains(m, "Fortran order"));
    CHECK(contains(m, "np.ascontiguousarray"));

    m = message_of<hps::data_error>([] { hps::read_npy_as<float>(fx("err_bigendian.npy")); });
    CHECK(contains(m, "big-endian ('>f4')"));
    CHECK(contains(m, "astype('<f4')"));

    m = message_of<hps::data_error>([] { hps::read_npy(fx("err_complex.npy")); });
    CHECK(contains(m, "dtype '<c8'"));
    CHECK(contains(m, "float32, float64, uint8"));
    m = message_of<hps::data_error>([] { hps::read_npy(fx("err_uint16.npy")); });
    CHECK(contains(m, "dtype '<u2'"));
    m = message_of<hps::data_error>([] { hps::read_npy(fx("err_structured.npy")); });
    CHECK(contains(m, "structured dtype"));

    m = message_of<hps::data_error>([] { hps::read_npy_as<float>(fx("err_truncated.npy")); });
    CHECK(contains(m, "err_truncated.npy: is truncated: shape (7, 28, 28, 1) of float32 needs 21952 bytes"));
    CHECK(contains(m, "only 21852 are there"));
    m = message_of<hps::data_error>([] { hps::read_npy(fx("err_truncated_header.npy")); });
    CHECK(contains(m, "truncated inside its header"));
    m = message_of<hps::data_error>([] { hps::read_npy(fx("err_not_npy.npy")); });
    CHECK(contains(m, "is not an .npy file"));
    m = message_of<hps::data_error>([] { hps::read_npy(fx("no-such-file.npy")); });
    CHECK(contains(m, "no-such-file.npy: cannot open (No such file or directory)"));
    m = message_of<hps::data_error>([] { hps::read_npy(fixtures().path); });
    CHECK(contains(m, "is a folder"));
}

// ---------------------------------------------------------------- .npz

TEST_CASE("npz: np.savez and np.savez_compressed members read exactly") {
    const std::vector<manifest_entry> entries = manifest("npz.txt");
    for (const char* archive : {"plain.npz", "compressed.npz"}) {
        CAPTURE(archive);
        const hps::npz_reader z(fx(archive));
        std::vector<std::string> names;
        for (const manifest_entry& e : entries) names.push_back(e.name.substr(4));  // "npz_" prefix
        CHECK(z.names() == names);
        for (const hps::npz_member& m : z.members()) CHECK(m.method == (std::string(archive) == "plain.npz" ? 0 : 8));
        for (const manifest_entry& e : entries) {
            const std::string name = e.name.substr(4);
            CAPTURE(name);
            CHECK(z.contains(name));
            CHECK(z.contains(name + ".npy"));
            CHECK(z.header(name).shape == e.shape);
            const hps::npy_array raw = z.read(name);
            CHECK(raw.shape == e.shape);
            CHECK(raw.bytes == raw_file(fx(e.name + ".raw")));
            const std::vector<double> want = f64_file(fx(e.name + ".f64"));
            CHECK(same_values(z.read_as<double>(name).values, want));
            CHECK(same_values(z.read_as<float>(name).values, want));
        }
    }
}

TEST_CASE("npz: a zipfile archive with a folder entry and a comment") {
    const hps::npz_reader z(fx("other.npz"));
    CHECK(z.names() == std::vector<std::string>{"a"});
    CHECK(z.read_as<float>("a").shape == std::vector<std::int64_t>{3, 4});
    CHECK(same_values(z.read_as<double>("a").values, f64_file(fx("npz_float32_4.f64"))));
}

TEST_CASE("npz: a missing array lists the arrays present") {
    const hps::npz_reader z(fx("ds_named.npz"));
    const std::string m = message_of<hps::data_error>([&] { z.read_as<float>("x"); });
    CHECK(contains(m, "ds_named.npz: has no array 'x'; it holds 'frames', 'labels'"));
    CHECK(contains(m, "np.savez(path, x=...)"));
}

TEST_CASE("npz: corrupt, truncated and foreign archives") {
    temp_dir dir;
    for (const char* archive : {"plain.npz", "compressed.npz"}) {
        CAPTURE(archive);
        // Flip one byte inside member "big" (1.2 MB of float32 stored, or deflated).
        std::vector<std::uint8_t> bytes = raw_file(fx(archive));
        const hps::npz_reader z(fx(archive));
        const hps::npz_member& big = z.member("big");
        bytes[std::size_t(big.local_header_offset + 500 + big.compressed_size / 2)] ^= 0x10;
        const std::string path = dir / archive;
        hps_test::write_text(path, std::string(bytes.begin(), bytes.end()));
        const hps::npz_reader bad(path);
        const std::string m = message_of<hps::data_error>([&] { bad.read_as<float>("big"); });
        CHECK(contains(m, path + ": array 'big': "));
        CHECK((contains(m, "corrupt") || contains(m, "truncated")));  // deflate may fail before the CRC check
        CHECK(bad.read_as<float>("float32_4").values.size() == 12);  // the other members are fine
    }
    {
        const hps::npz_reader z(dir / "plain.npz");  // the stored one: only the CRC can tell
        const std::string m = message_of<hps::data_error>([&] { z.read("big"); });
        CHECK(contains(m, "CRC-32 mismatch (directory 0x"));
        CHECK(contains(m, "the archive is corrupt"));
    }
    std::string m = message_of<hps::data_error>([] { hps::npz_reader z(fx("err_truncated.npz")); });
    CHECK(contains(m, "err_truncated.npz: has no ZIP end-of-central-directory record"));
    m = message_of<hps::data_error>([] { hps::npz_reader z(fx("npy_float32_4.npy")); });
    CHECK(contains(m, "end-of-central-directory"));
    m = message_of<hps::data_error>([] { hps::npz_reader z(fx("err_not_npy.npy")); });
    CHECK(contains(m, "too short to be a ZIP archive"));
}

// ---------------------------------------------------------------- writing

namespace {

// The values check_written.py expects.
template <class T> std::vector<T> written_values(const std::vector<std::int64_t>& shape, int k) {
    std::int64_t n = 1;
    for (const std::int64_t d : shape) n *= d;
    std::vector<T> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<T, float>) v[std::size_t(i)] = static_cast<float>(double(i % 1000) * 0.25 - 17 + k);
        else if constexpr (std::is_same_v<T, double>) v[std::size_t(i)] = double(i) / 7 + k;
        else if constexpr (std::is_same_v<T, std::int64_t>) v[std::size_t(i)] = i * 3 - 1000000000000 + k;
        else v[std::size_t(i)] = static_cast<std::uint8_t>((i * 7 + k) % 256);
    }
    return v;
}

}  // namespace

TEST_CASE("write_npz and write_npy: numpy.load reads names, shapes and values") {
    temp_dir dir;
    const std::vector<std::vector<std::int64_t>> shapes = {{}, {0}, {1}, {7}, {3, 4}, {2, 3, 4}, {5, 28, 28, 1}, {1000, 130}};
    std::vector<std::vector<float>> floats;
    floats.reserve(shapes.size());  // entries keep pointers into these
    std::vector<hps::npz_entry> entries;
    std::string listing;
    int k = 0;
    for (const auto& shape : shapes) {
        floats.push_back(written_values<float>(shape, k));
        std::string name = "f";
        name += std::to_string(k);
        entries.emplace_back(name, shape, floats.back().data());
        hps::write_npy(dir / (name + ".npy"), shape, floats.back().data());
        listing += name + " float32";
        for (const std::int64_t d : shape) {
            listing += ' ';
            listing += std::to_string(d);
        }
        listing += '\n';
        ++k;
    }
    const std::vector<std::int64_t> shape_i = {6, 5};
    const std::vector<std::int64_t> labels = written_values<std::int64_t>(shape_i, k);
    entries.emplace_back("labels", shape_i, labels.data());
    hps::write_npy(dir / "labels.npy", shape_i, labels.data());
    listing += "labels int64 6 5\n";
    ++k;
    const std::vector<double> doubles = written_values<double>({9}, k);
    entries.emplace_back("doubles", std::vector<std::int64_t>{9}, doubles.data());
    hps::write_npy(dir / "doubles.npy", {9}, doubles.data());
    listing += "doubles float64 9\n";
    ++k;
    const std::vector<std::uint8_t> bytes = written_values<std::uint8_t>({2, 300}, k);
    entries.emplace_back("bytes", std::vector<std::int64_t>{2, 300}, bytes.data());
    hps::write_npy(dir / "bytes.npy", {2, 300}, bytes.data());
    listing += "bytes uint8 2 300\n";

    for (int round = 0; round < 2; ++round) hps::write_npz(dir / "written.npz", entries);  // the second replaces the first
    hps_test::write_text(dir / "written.txt", listing);
    CHECK(hps_test::python("check_written.py", {dir.path}) == 0);

    // ... and the C++ reader agrees
    const hps::npz_reader z(dir / "written.npz");
    CHECK(z.names().size() == entries.size());
    CHECK(z.read_as<float>("f7").shape == std::vector<std::int64_t>{1000, 130});
    CHECK(same_values(z.read_as<float>("f6").values, floats[6]));
    CHECK(same_values(hps::read_npy_as<double>(dir / "labels.npy").values, labels));
    CHECK(same_values(z.read_as<double>("doubles").values, doubles));

    CHECK_THROWS_AS(hps::write_npz(dir / "dup.npz", {entries[0], entries[0]}), std::invalid_argument);
    const std::string m = message_of<hps::io_error>([&] { hps::write_npz(dir / "missing/out.npz", entries); });
    CHECK(contains(m, "missing/out.npz"));
}

// ---------------------------------------------------------------- IDX

TEST_CASE("idx: every type, plain and gzip, reads exactly") {
    for (const manifest_entry& e : manifest("idx.txt")) {
        for (const char* ext : {".idx", ".idx.gz"}) {
            const std::string path = fx(e.name + ext);
            CAPTURE(path);
            const hps::idx_header h = hps::read_idx_header(path);
            CHECK(h.shape == e.shape);
            CHECK(h.gzip == (std::string(ext) == ".idx.gz"));
            CHECK(std::string(hps::element_name(h.type)) == e.dtype);
            const std::vector<double> want = f64_file(fx(e.name + ".f64"));
            CHECK(same_values(hps::read_idx_as<double>(path).values, want));
            CHECK(same_values(hps::read_idx_as<float>(path).values, want));
        }
    }
    const hps::loaded_array<double> multi = hps::read_idx_as<double>(fx("idx_multi.idx.gz"));
    CHECK(multi.shape == std::vector<std::int64_t>{100, 32, 32});
    CHECK(same_values(multi.values, f64_file(fx("idx_big.f64"))));
}

TEST_CASE("idx: errors") {
    std::string m = message_of<hps::data_error>([] { hps::read_idx_as<float>(fx("err_short.idx")); });
    CHECK(contains(m, "err_short.idx: is truncated: shape (5, 28, 28) of uint8 needs 3920 bytes"));
    CHECK(contains(m, "only 3910 are there"));
    m = message_of<hps::data_error>([] { hps::read_idx_as<float>(fx("err_short.idx.gz")); });
    CHECK(contains(m, "only 3910 are there (uncompressed)"));
    m = message_of<hps::data_error>([] { hps::read_idx_as<float>(fx("err_cut.idx.gz")); });
    CHECK(contains(m, "err_cut.idx.gz: "));
    CHECK((contains(m, "truncated") || contains(m, "ends early")));
    m = message_of<hps::data_error>([] { hps::read_idx_header(fx("err_magic.idx")); });
    CHECK(contains(m, "unknown IDX type byte in its magic 00 00 07 01"));
    m = message_of<hps::data_error>([] { hps::read_idx_header(fx("err_magic2.idx")); });
    CHECK(contains(m, "is not an IDX file (it starts with 01 02 08 01)"));
    m = message_of<hps::data_error>([] { hps::read_idx_header(fx("err_header.idx")); });
    CHECK(contains(m, "truncated inside its header (3 dimensions announced)"));
    m = message_of<hps::data_error>([] { hps::read_idx_header(fx("err_not_npy.npy")); });
    CHECK(contains(m, "is not an IDX file"));
}

TEST_CASE("idx: Fashion-MNIST t10k, as numpy reads it") {
    const std::string base = "/usr/share/datasets/fashion-mnist/";
    const auto expected = hps_test::read_values(fx("fashion.txt"));
    const hps::loaded_array<float> images = hps::read_idx_as<float>(base + "t10k-images-idx3-ubyte.gz");
    const hps::loaded_array<float> labels = hps::read_idx_as<float>(base + "t10k-labels-idx1-ubyte.gz");
    REQUIRE(images.shape == std::vector<std::int64_t>{10000, 28, 28});
    REQUIRE(labels.shape == std::vector<std::int64_t>{10000});
    CHECK(double(images.shape[0]) == expected.at("count"));
    double total = 0;
    for (const float v : images.values) total += v;
    CHECK(total == expected.at("total"));
    for (const int i : {0, 1, 4321, 9999}) {
        CAPTURE(i);
        double sum = 0;
        for (int p = 0; p < 784; ++p) sum += images.values[std::size_t(i) * 784 + std::size_t(p)];
        CHECK(sum == expected.at("sum" + std::to_string(i)));
        CHECK(double(labels.values[std::size_t(i)]) == expected.at("label" + std::to_string(i)));
    }
    for (int c = 0; c < 10; ++c)
        CHECK(double(std::count(labels.values.begin(), labels.values.end(), float(c))) == expected.at("class" + std::to_string(c)));
}

// ---------------------------------------------------------------- datasets

namespace {

hps::data_spec spec(std::vector<int> input, hps::target_kind target, int outputs, double scale = 1) {
    hps::data_spec s;
    s.input = std::move(input);
    s.target = target;
    s.outputs = outputs;
    s.scale = scale;
    return s;
}

std::string load_error(const std::string& file, const hps::data_spec& s) {
    return message_of<hps::data_error>([&] { hps::load_dataset(fx(file), s); });
}

// (path under the fixtures, spec, a part of the data_error's message)
using load_error_case = std::tuple<std::string, hps::data_spec, std::string>;
void check_load_errors(const std::vector<load_error_case>& cases) {
    for (const auto& [path, s, expected] : cases) {
        CAPTURE(path);
        CHECK(contains(load_error(path, s), expected));
    }
}

const hps::target_kind regression = hps::target_kind::regression, classes = hps::target_kind::classes,
                       binary = hps::target_kind::binary;

}  // namespace

TEST_CASE("dataset: regression npz, (N, 28, 28, 1) float32 and (N, 2) targets") {
    const hps::dataset d = hps::load_dataset(fx("ds_regression.npz"), spec({28, 28, 1}, regression, 2));
    CHECK(d.n == 40);
    CHECK(d.x_size == 784);
    CHECK(d.y_size == 2);
    CHECK(same_values(d.x, f64_file(fx("ds_regression_x.f64"))));
    CHECK(same_values(d.y, f64_file(fx("ds_regression_y.f64"))));
    CHECK(d.sample(3) == d.x.data() + 3 * 784);
    CHECK(d.target(3)[1] == d.y[7]);

    // one output: (N,) targets
    const hps::dataset d1 = hps::load_dataset(fx("ds_regression_1.npz"), spec({28, 28, 1}, regression, 1));
    CHECK(d1.y_size == 1);
    for (int i = 0; i < d1.n; ++i) CHECK(d1.y[std::size_t(i)] == d.y[std::size_t(i) * 2]);

    // array names from the spec
    hps::data_spec named = spec({28, 28, 1}, regression, 2);
    named.x_name = "frames";
    named.y_name = "labels";
    CHECK(hps::load_dataset(fx("ds_named.npz"), named).x == d.x);
    CHECK(contains(load_error("ds_named.npz", spec({28, 28, 1}, regression, 2)), "has no array 'x'; it holds 'frames', 'labels'"));
}

TEST_CASE("dataset: input shape checks and their messages") {
    // (N, 28, 28) is 28 x 28 x 1; uint8 scaled by 1/255
    const hps::dataset d = hps::load_dataset(fx("ds_bytes.npz"), spec({28, 28, 1}, classes, 10, 1.0 / 255));
    CHECK(d.n == 40);
    CHECK(same_values(d.x, f64_file(fx("ds_bytes_x.f64"))));
    CHECK(same_values(d.y, f64_file(fx("ds_bytes_y.f64"))));
    // and 28 x 28 reads (N, 28, 28) as it is
    CHECK(hps::load_dataset(fx("ds_bytes.npz"), spec({28, 28}, classes, 10, 1.0 / 255)).x == d.x);

    std::string m = load_error("ds_flat.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "ds_flat.npz: array 'x' has shape (40, 784) but the spec's input is 28 x 28 x 1"));
    CHECK(contains(m, "reshape it to (N, 28, 28, 1)"));
    CHECK(contains(m, "change `input`"));
    hps::data_spec flat = spec({28, 28, 1}, classes, 10, 1.0 / 255);
    flat.allow_flat = true;
    CHECK(hps::load_dataset(fx("ds_flat.npz"), flat).x == d.x);

    m = load_error("ds_wrong_shape.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "ds_wrong_shape.npz: array 'x' has shape (40, 32, 32, 1) but the spec's input is 28 x 28 x 1 (784 values "
                      "per sample, the file has 1024); reshape it to (N, 28, 28, 1) or change `input`"));
    flat.allow_flat = true;
    CHECK_THROWS_AS(hps::load_dataset(fx("ds_wrong_shape.npz"), flat), hps::data_error);

    m = load_error("ds_nan.npz", spec({28, 28, 1}, regression, 2));
    CHECK(contains(m, "ds_nan.npz: array 'x' has 1 NaN input value; the first is in sample 11 (value 88 of 784): clean the data"));
    m = load_error("ds_count.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "ds_count.npz: array 'y' has 39 samples but"));
    CHECK(contains(m, "array 'x' has 40; they must match"));
}

TEST_CASE("dataset: class labels as indices, integral floats or one-hot rows") {
    const hps::dataset idx = hps::load_dataset(fx("ds_bytes.npz"), spec({28, 28, 1}, classes, 10));
    const hps::dataset hot = hps::load_dataset(fx("ds_onehot.npz"), spec({28, 28, 1}, classes, 10));
    const hps::dataset flt = hps::load_dataset(fx("ds_labels_float.npz"), spec({28, 28, 1}, classes, 10));
    CHECK(idx.y_size == 1);
    CHECK(hot.y == idx.y);
    CHECK(flt.y == idx.y);

    std::string m = load_error("ds_out_of_range.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "ds_out_of_range.npz: array 'y': sample 17 has label 10, outside 0..9 (the spec's target has 10 classes)"));
    m = load_error("ds_fractional.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "sample 3 has label 2.5, which is not a class index"));
    m = load_error("ds_not_onehot.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "row 5 is not one-hot"));
    m = load_error("ds_wrong_classes.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "array 'y' has shape (40, 7) but the spec's target is 10 classes"));
    m = load_error("ds_regression_wrong.npz", spec({28, 28, 1}, regression, 2));
    CHECK(contains(m, "array 'y' has shape (40, 3) but the spec's target is 2 regression outputs; expected (N, 2)"));
    m = load_error("ds_target_inf.npz", spec({28, 28, 1}, regression, 2));
    CHECK(contains(m, "ds_target_inf.npz: array 'y' has 1 infinite target value; the first is in sample 7 (value 1 of 2)"));
    // every kind of target: counted before the labels are read
    m = load_error("ds_labels_nan.npz", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "ds_labels_nan.npz: array 'y' has 2 NaN and 1 infinite target values; the first is in sample 3 (value 0 of 1)"));
}

TEST_CASE("dataset: binary targets, and a pair of .npy files") {
    const std::vector<double> want_x = f64_file(fx("ds_binary_x.f64")), want_y = f64_file(fx("ds_binary_y.f64"));
    for (const char* file : {"ds_binary.npz", "ds_binary_col.npz"}) {
        CAPTURE(file);
        const hps::dataset d = hps::load_dataset(fx(file), spec({15, 1}, binary, 1));
        CHECK(d.x_size == 15);
        CHECK(same_values(d.x, want_x));
        CHECK(same_values(d.y, want_y));
    }
    const hps::dataset pair = hps::load_dataset(fx("ds_pair_x.npy") + "," + fx("ds_pair_y.npy"), spec({15}, binary, 1));
    CHECK(same_values(pair.x, want_x));
    CHECK(same_values(pair.y, want_y));

    std::string m = load_error("ds_binary_bad.npz", spec({15}, binary, 1));
    CHECK(contains(m, "ds_binary_bad.npz: array 'y': sample 9 has target 2; binary targets are 0 or 1"));
    m = load_error("ds_pair_x.npy", spec({15}, binary, 1));
    CHECK(contains(m, "an .npy file holds one array"));
    m = message_of<hps::data_error>([] { hps::load_dataset(fx("ds_pair_x.npy") + "," + fx("ds_binary.npz"), spec({15}, binary, 1)); });
    CHECK(contains(m, "is an .npz archive"));
    m = load_error("err_not_npy.npy", spec({15}, binary, 1));
    CHECK(contains(m, "is neither .npz, .npy, HDF5 nor IDX"));
}

TEST_CASE("dataset: IDX images with their labels found by name, or given as a pair") {
    const std::vector<double> images = f64_file(fx("idx_images.f64")), labels = f64_file(fx("idx_labels.f64"));
    // gzip images, plain labels: "images-idx3" -> "labels-idx1", ".gz" or not
    const hps::dataset d = hps::load_dataset(fx("mnist/train-images-idx3-ubyte.gz"), spec({28, 28, 1}, classes, 10));
    CHECK(d.n == 5);
    CHECK(same_values(d.x, images));
    CHECK(same_values(d.y, labels));
    const hps::dataset p = hps::load_dataset(fx("idx_images.idx.gz") + "," + fx("idx_labels.idx"), spec({28, 28, 1}, classes, 10));
    CHECK(p.x == d.x);
    CHECK(p.y == d.y);

    std::string m = load_error("mnist/t10k-images-idx3-ubyte", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "its labels should be " + fx("mnist/t10k-labels-idx1-ubyte")));
    m = load_error("idx_images.idx", spec({28, 28, 1}, classes, 10));
    CHECK(contains(m, "has no \"images-idx3\""));
    m = message_of<hps::data_error>(
        [] { hps::load_dataset(fx("idx_images.idx") + "," + fx("idx_labels.idx"), spec({32, 32, 1}, classes, 10)); });
    CHECK(contains(m, "idx_images.idx: image array has shape (5, 28, 28) but the spec's input is 32 x 32 x 1"));
}

TEST_CASE("dataset: Fashion-MNIST t10k as a 10-class dataset") {
    const auto expected = hps_test::read_values(fx("fashion.txt"));
    const hps::dataset d = hps::load_dataset("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                                             spec({28, 28, 1}, classes, 10, 1.0 / 255));
    CHECK(d.n == 10000);
    CHECK(d.x_size == 784);
    CHECK(*std::max_element(d.x.begin(), d.x.end()) <= 1.0f);
    for (int c = 0; c < 10; ++c) CHECK(double(std::count(d.y.begin(), d.y.end(), float(c))) == expected.at("class" + std::to_string(c)));
    const std::string m = message_of<hps::data_error>([] {
        hps::load_dataset("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", spec({28, 28, 1}, classes, 5));
    });
    CHECK(contains(m, "t10k-labels-idx1-ubyte.gz: label array: sample 0 has label 9, outside 0..4"));
}

// ---------------------------------------------------------------- split

namespace {

hps::dataset numbered(int n, int x_size) {
    hps::dataset d;
    d.n = n;
    d.x_size = x_size;
    d.y_size = 1;
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < x_size; ++j) d.x.push_back(float(i * x_size + j));
        d.y.push_back(float(i));
    }
    return d;
}

}  // namespace

// ---------------------------------------------------------------- HDF5

TEST_CASE("hdf5: every dtype h5py writes reads exactly as numpy holds it") {
    const hps::h5_reader f(fx("h5_types.h5"));
    std::vector<std::string> names;
    for (const manifest_entry& e : manifest("h5.txt")) {
        const std::string name = e.name.substr(3);  // "h5_" prefix
        CAPTURE(name);
        names.push_back("/" + name);
        const hps::h5_header h = f.header(name);
        CHECK(h.shape == e.shape);
        CHECK(hps::element_name(h.type) == e.dtype);
        const std::vector<double> want = f64_file(fx(e.name + ".f64"));
        CHECK(same_values(f.read_as<double>(name).values, want));
        CHECK(same_values(f.read_as<float>("/" + name).values, want));
        CHECK(f.read_as<double>(name).source_type == h.type);
    }
    std::sort(names.begin(), names.end());
    CHECK(f.names() == names);
}

TEST_CASE("hdf5: datasets by the spec's array names or by path, converted as an .npz's") {
    const hps::dataset npz = hps::load_dataset(fx("ds_regression.npz"), spec({28, 28, 1}, regression, 2));
    const hps::dataset h5 = hps::load_dataset(fx("ds.h5"), spec({28, 28, 1}, regression, 2));
    CHECK(h5.n == 40);
    CHECK(h5.x == npz.x);
    CHECK(h5.y == npz.y);
    // a group's datasets, gzip-chunked bytes and uint8 labels, scaled as the .npz's
    const hps::data_spec bytes = spec({28, 28, 1}, classes, 10, 1.0 / 255);
    const hps::dataset z = hps::load_dataset(fx("ds_bytes.npz"), bytes);
    const hps::dataset g = hps::load_dataset(fx("ds.h5") + ":/train/images,/train/labels", bytes);
    CHECK(same_values(g.x, f64_file(fx("ds_bytes_x.f64"))));
    CHECK(g.x == z.x);
    CHECK(g.y == z.y);
    hps::data_spec named = bytes;
    named.x_name = "train/images";
    named.y_name = "/train/labels";
    CHECK(hps::load_dataset(fx("ds.h5"), named).x == z.x);
}

TEST_CASE("hdf5: errors name the file, the dataset and the fix") {
    const hps::data_spec s = spec({28, 28, 1}, regression, 2), labels = spec({28, 28, 1}, classes, 10);
    const std::vector<load_error_case> cases{
        {"ds.h5:/x,/missing", s,
         "ds.h5: has no dataset '/missing'; it holds '/half', '/text', '/train/images', '/train/labels', '/wide', '/wrong', "
         "'/x', '/x_inf', '/y'"},
        {"ds.h5:/train,/y", s, "has no dataset '/train' (it is a group)"},
        {"ds.h5:/nothing/x,/y", s, "has no dataset '/nothing/x'"},
        {"ds.h5:/wrong,/y", s, "ds.h5: dataset '/wrong' has shape (40, 32, 32) but the spec's input is 28 x 28 x 1"},
        {"ds.h5:/half,/y", s, "ds.h5: dataset '/half': has dtype float16, which hpsgen cannot read; it reads float32, float64"},
        {"ds.h5:/x,/wide", labels, "dataset '/wide': has dtype uint16, which hpsgen cannot read"},
        {"ds.h5:/x,/text", labels, "dataset '/text': has dtype strings"},
        {"ds.h5:/x_inf,/y", s, "ds.h5: dataset '/x_inf' has 2 infinite input values; the first is in sample 5 (value 0 of 784)"},
        {"ds.h5:/x", s, "an HDF5 file's datasets are written \"file.h5:/inputs,/targets\""},
        {"ds_regression.npz:/x,/y", s, "ds_regression.npz: is not an HDF5 file (judging by its first bytes)"},
        {"ds_h5_renamed.bin", s, "ds_h5_renamed.bin: is an HDF5 file, but its name does not end in .h5, .hdf5 or .he5"},
        {"ds.h5,ds_pair_y.npy", s, "is an HDF5 file, but a pair \"inputs,targets\" names one array per file"}};
    check_load_errors(cases);
    // a data path says HDF5 by its name or by naming datasets
    CHECK(hps::hdf5_named("a.H5"));
    CHECK(hps::hdf5_named("a.bin:/x,/y"));
    CHECK(!hps::hdf5_named("a.npz"));
}

// ---------------------------------------------------------------- CSV

TEST_CASE("csv: target columns by name, the other columns inputs, as np.loadtxt reads them") {
    const std::vector<double> table = f64_file(fx("table.f64"));  // (40, 5): a, b, label, lat, lon
    const auto column = [&](std::size_t r, std::size_t c) { return table[r * 5 + c]; };
    hps::data_spec s = spec({3}, regression, 2);
    s.y_name = "lon, lat";  // in the order named
    for (const char* file : {"table.csv", "table_crlf.csv"}) {
        CAPTURE(file);
        const hps::dataset d = hps::load_dataset(fx(file), s);
        REQUIRE(d.n == 40);
        CHECK(d.x_size == 3);
        CHECK(d.y_size == 2);
        bool same = true;
        for (std::size_t r = 0; r < 40; ++r) {
            same = same && d.x[r * 3] == float(column(r, 0)) && d.x[r * 3 + 1] == float(column(r, 1)) &&
                   d.x[r * 3 + 2] == float(column(r, 2));
            same = same && d.y[r * 2] == float(column(r, 4)) && d.y[r * 2 + 1] == float(column(r, 3));
        }
        CHECK(same);
    }
    // numbers as column names, the target among them: a header all the same
    hps::data_spec years = spec({4}, regression, 1);
    years.y_name = "lon";
    const hps::dataset by_year = hps::load_dataset(fx("csv_years.csv"), years);
    CHECK(by_year.n == 40);
    CHECK(by_year.y[0] == float(column(0, 4)));
    // one class-label column; the inputs scaled as an .npz's float64 would be
    hps::data_spec labels = spec({4}, classes, 4, 0.5);
    labels.y_name = "label";
    const hps::dataset d = hps::load_dataset(fx("table.csv"), labels);
    CHECK(d.y_size == 1);
    for (std::size_t r = 0; r < 40; ++r) {
        CHECK(d.y[r] == float(column(r, 2)));
        CHECK(d.x[r * 4 + 3] == float(column(r, 4) * 0.5));
    }
}

TEST_CASE("csv: errors name the file, line and column") {
    hps::data_spec s = spec({4}, regression, 1), price = s, five = spec({5}, regression, 1);
    s.y_name = five.y_name = "lon";
    price.y_name = "price";
    const std::vector<load_error_case> cases{
        {"csv_word.csv", s, "csv_word.csv:5: column 2 ('b') holds 'abc', not a number"},
        {"csv_empty_cell.csv", s, "csv_empty_cell.csv:7: column 3 ('label') holds nothing, not a number"},
        {"csv_short_row.csv", s, "csv_short_row.csv:4: has 3 cells but the header names 5 columns"},
        {"csv_nan.csv", s, "csv_nan.csv: array of input columns has 1 NaN input value; the first is in sample 8 (value 0 of 4)"},
        {"csv_no_header.csv", s, "csv_no_header.csv:1: the first row is numbers; a CSV file for hpsgen starts with a row naming"},
        {"table.csv", price, "table.csv: has no column 'price'; its header names 'a', 'b', 'label', 'lat', 'lon'"},
        {"table.csv", five, "table.csv: array of input columns has shape (40, 4) but the spec's input is 5"}};
    check_load_errors(cases);
}

TEST_CASE("split: seeded, complete, disjoint, fractions as asked") {
    for (const int n : {2, 3, 10, 103, 1000}) {
        for (const double fraction : {0.01, 0.2, 0.5, 0.99}) {
            CAPTURE(n);
            CAPTURE(fraction);
            const hps::dataset d = numbered(n, 3);
            const auto [train, validation] = hps::split(d, fraction, 7);
            const int expect_val = int(std::clamp<long long>(std::llround(fraction * n), 1, n - 1));
            CHECK(validation.n == expect_val);
            CHECK(train.n == n - expect_val);
            CHECK(train.x_size == 3);
            std::set<float> seen;
            for (const hps::dataset* part : {&train, &validation}) {
                for (int i = 0; i < part->n; ++i) {
                    const float id = part->target(i)[0];
                    CHECK(seen.insert(id).second);  // no sample twice
                    for (int j = 0; j < 3; ++j) CHECK(part->sample(i)[j] == id * 3 + float(j));  // x stays with its y
                }
            }
            CHECK(int(seen.size()) == n);  // none lost
        }
    }
    const hps::split_indices a = hps::split_indices_of(1000, 0.2, 1), b = hps::split_indices_of(1000, 0.2, 1),
                             c = hps::split_indices_of(1000, 0.2, 2);
    CHECK(a.validation == b.validation);
    CHECK(a.train == b.train);
    CHECK(a.validation != c.validation);
    CHECK(std::is_sorted(a.validation.begin(), a.validation.end()));
    CHECK(std::is_sorted(a.train.begin(), a.train.end()));

    // The same on every platform: integer-only PRNG (splitmix64 -> xoshiro256**), no std
    // distributions. These indices are this implementation's, pinned.
    const hps::split_indices pinned = hps::split_indices_of(20, 0.25, 1);
    CHECK(pinned.validation == std::vector<int>{1, 5, 13, 15, 19});

    CHECK_THROWS_AS(hps::split_indices_of(10, 0.0, 1), std::invalid_argument);
    CHECK_THROWS_AS(hps::split_indices_of(10, 1.0, 1), std::invalid_argument);
    CHECK_THROWS_AS(hps::split_indices_of(1, 0.5, 1), std::invalid_argument);
}

TEST_CASE("fold_indices_of: K disjoint validation parts that cover the samples, the split's shuffle cut in K") {
    for (const int n : {2, 3, 10, 103}) {
        for (const int k : {2, 3, 7}) {
            if (k > n) continue;
            CAPTURE(n);
            CAPTURE(k);
            std::vector<int> times_validated(std::size_t(n), 0);
            for (int fold = 0; fold < k; ++fold) {
                const hps::split_indices f = hps::fold_indices_of(n, k, fold, 5);
                CHECK(int(f.validation.size()) == (fold + 1) * n / k - fold * n / k);  // near-equal: n/K, rounded
                CHECK(f.train.size() + f.validation.size() == std::size_t(n));
                CHECK(std::is_sorted(f.train.begin(), f.train.end()));
                CHECK(std::is_sorted(f.validation.begin(), f.validation.end()));
                std::vector<int> all = f.train;
                all.insert(all.end(), f.validation.begin(), f.validation.end());
                std::sort(all.begin(), all.end());
                std::vector<int> every(static_cast<std::size_t>(n));
                std::iota(every.begin(), every.end(), 0);
                CHECK(all == every);  // train and validation: disjoint, complete
                for (int i : f.validation) ++times_validated[std::size_t(i)];
            }
            CHECK(std::all_of(times_validated.begin(), times_validated.end(), [](int t) { return t == 1; }));
        }
    }
    // fold k is the shuffle's k-th part: the split's draw (its first n_val samples) for the first
    const std::vector<int> order = hps::shuffled_order(20, 1);
    const hps::split_indices first = hps::fold_indices_of(20, 4, 0, 1);
    CHECK(first.validation == hps::split_indices_of(20, 0.25, 1).validation);
    std::vector<int> third(order.begin() + 10, order.begin() + 15);
    std::sort(third.begin(), third.end());
    CHECK(hps::fold_indices_of(20, 4, 2, 1).validation == third);
    const auto [train, validation] = hps::split_fold(numbered(20, 2), 4, 2, 1);
    REQUIRE(validation.n == 5);
    for (int i = 0; i < 5; ++i) {
        CHECK(validation.target(i)[0] == float(third[std::size_t(i)]));
        CHECK(validation.sample(i)[1] == float(third[std::size_t(i)] * 2 + 1));  // x stays with its y
    }
    CHECK(train.n == 15);
    CHECK_THROWS_AS(hps::fold_indices_of(10, 1, 0, 1), std::invalid_argument);
    CHECK_THROWS_AS(hps::fold_indices_of(10, 3, 3, 1), std::invalid_argument);
    CHECK_THROWS_AS(hps::fold_indices_of(2, 3, 0, 1), std::invalid_argument);
}

TEST_CASE("split_last: the validation part is the last samples, in order, as many as a drawn split's") {
    for (const int n : {2, 3, 10, 103}) {
        for (const double fraction : {0.01, 0.3, 0.99}) {
            CAPTURE(n);
            CAPTURE(fraction);
            const hps::dataset d = numbered(n, 2);
            const auto [train, validation] = hps::split_last(d, fraction);
            const auto drawn = hps::split(d, fraction, 3);
            CHECK(validation.n == drawn.second.n);
            CHECK(train.n + validation.n == n);
            for (int i = 0; i < train.n; ++i) CHECK(train.target(i)[0] == float(i));
            for (int i = 0; i < validation.n; ++i) {
                CHECK(validation.target(i)[0] == float(train.n + i));
                CHECK(validation.sample(i)[1] == float((train.n + i) * 2 + 1));  // x stays with its y
            }
        }
    }
    CHECK_THROWS_AS(hps::split_last(numbered(1, 1), 0.5), std::invalid_argument);
}
