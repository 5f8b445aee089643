"""Writes the data suite's fixtures with numpy, into the folder given.

usage: make_data.py OUTDIR

For every array a reader must get right it writes the file under test and, next to it,
the expected values as raw little-endian float64 (NAME.f64) and the array's own bytes
(NAME.raw), plus one manifest line "NAME DTYPE NDIM D0 D1 ...":
  npy.txt    .npy files (format versions 1.0, 2.0, 3.0), NAME.npy
  npz.txt    members of plain.npz (np.savez) and compressed.npz (np.savez_compressed)
  idx.txt    IDX files, plain (NAME.idx) and gzip (NAME.idx.gz)
Then the files for the error cases and the datasets (see the bottom of this file), and
fashion.txt: pixel sums and label counts of Fashion-MNIST's t10k files.
"""
import gzip
import io
import os
import struct
import sys
import zipfile

import h5py
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(20240601)

SHAPES = [(), (0,), (1,), (5,), (3, 4), (2, 3, 4), (7, 28, 28, 1), (300, 1000)]
DTYPES = ["float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]


def values(dtype, shape):
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.startswith("float"):
        a = rng.standard_normal(size=shape) * 1000
        if a.size > 2:  # values that must survive exactly
            a.flat[0], a.flat[1], a.flat[2] = 1e-38 if dtype == "float32" else 1e-300, -0.0, 123.456
        return a.astype(dtype)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    if a.size > 1:
        a.flat[0], a.flat[1] = info.min, info.max
    return a


def expected(name, a):
    a = np.asarray(a)
    a.astype("<f8").tofile(os.path.join(out, name + ".f64"))
    np.ascontiguousarray(a).tofile(os.path.join(out, name + ".raw"))
    return f"{name} {a.dtype.name} {a.ndim} {' '.join(str(d) for d in a.shape)}".rstrip() + "\n"


# .npy, every dtype x shape (the big shape only for a few dtypes), versions 2.0 and 3.0
manifest = ""
for dtype in DTYPES:
    for k, shape in enumerate(SHAPES):
        if shape == (300, 1000) and dtype not in ("float32", "uint8"):
            continue
        a = values(dtype, shape)
        name = f"npy_{dtype}_{k}"
        np.save(os.path.join(out, name + ".npy"), a)
        manifest += expected(name, a)
for version in [(2, 0), (3, 0)]:
    a = values("float32", (4, 5))
    name = f"npy_v{version[0]}"
    with open(os.path.join(out, name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=version)
    manifest += expected(name, a)
# a 1-d array flagged Fortran order is the same bytes: readable
a = values("float64", (6,))
name = "npy_fortran_1d"
with open(os.path.join(out, name + ".npy"), "wb") as f:
    header = {"descr": "<f8", "fortran_order": True, "shape": (6,)}
    np.lib.format.write_array_header_1_0(f, header)
    f.write(a.tobytes())
manifest += expected(name, a)
open(os.path.join(out, "npy.txt"), "w").write(manifest)

# .npz, plain and compressed, the same members
members = {}
for dtype in DTYPES:
    for k in [2, 4, 5, 6]:
        members[f"{dtype}_{k}"] = values(dtype, SHAPES[k])
members["big"] = values("float32", (300, 1000))
members["scalar"] = np.float64(2.5)
np.savez(os.path.join(out, "plain.npz"), **members)
np.savez_compressed(os.path.join(out, "compressed.npz"), **members)
manifest = "".join(expected("npz_" + name, a) for name, a in members.items())
open(os.path.join(out, "npz.txt"), "w").write(manifest)
# an archive that is not numpy's: a folder entry and a member with a comment
with zipfile.ZipFile(os.path.join(out, "other.npz"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("sub/", b"")
    buf = io.BytesIO()
    np.save(buf, members["float32_4"])
    z.writestr("a.npy", buf.getvalue())
    z.comment = b"written by zipfile"

# IDX, plain and gzip
IDX_CODE = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}


def idx_bytes(a):
    head = bytes([0, 0, IDX_CODE[a.dtype.name], a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return head + a.astype(a.dtype.newbyteorder(">")).tobytes()


manifest = ""
idx_arrays = {
    "idx_images": values("uint8", (5, 28, 28)),
    "idx_labels": rng.integers(0, 10, size=(5,)).astype(np.uint8),
    "idx_int8": values("int8", (3, 4)),
    "idx_int16": values("int16", (2, 3)),
    "idx_int32": values("int32", (4,)),
    "idx_float32": values("float32", (2, 2, 2)),
    "idx_float64": values("float64", (3,)),
    "idx_big": values("uint8", (100, 32, 32)),
}
for name, a in idx_arrays.items():
    data = idx_bytes(a)
    open(os.path.join(out, name + ".idx"), "wb").write(data)
    open(os.path.join(out, name + ".idx.gz"), "wb").write(gzip.compress(data))
    manifest += expected(name, a)
open(os.path.join(out, "idx.txt"), "w").write(manifest)
# two gzip members back to back are one stream (as `cat a.gz b.gz`)
data = idx_bytes(idx_arrays["idx_big"])
open(os.path.join(out, "idx_multi.idx.gz"), "wb").write(gzip.compress(data[:5000]) + gzip.compress(data[5000:]))

# error cases
a = values("float32", (3, 4))
np.save(os.path.join(out, "err_fortran.npy"), np.asfortranarray(a))
np.save(os.path.join(out, "err_bigendian.npy"), a.astype(">f4"))
np.save(os.path.join(out, "err_complex.npy"), a.astype(np.complex64))
np.save(os.path.join(out, "err_uint16.npy"), a.astype(np.uint16))
np.save(os.path.join(out, "err_structured.npy"), np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]))
full = open(os.path.join(out, "npy_float32_6.npy"), "rb").read()
open(os.path.join(out, "err_truncated.npy"), "wb").write(full[: len(full) - 100])
open(os.path.join(out, "err_truncated_header.npy"), "wb").write(full[:40])
open(os.path.join(out, "err_not_npy.npy"), "wb").write(b"hello, world\n")
full = open(os.path.join(out, "plain.npz"), "rb").read()
open(os.path.join(out, "err_truncated.npz"), "wb").write(full[: len(full) // 2])
data = idx_bytes(idx_arrays["idx_images"])
open(os.path.join(out, "err_short.idx"), "wb").write(data[:-10])
open(os.path.join(out, "err_short.idx.gz"), "wb").write(gzip.compress(data[:-10]))
open(os.path.join(out, "err_cut.idx.gz"), "wb").write(gzip.compress(data)[:-30])
open(os.path.join(out, "err_magic.idx"), "wb").write(bytes([0, 0, 0x07, 1]) + struct.pack(">I", 3) + b"abc")
open(os.path.join(out, "err_magic2.idx"), "wb").write(b"\x01\x02\x08\x01" + struct.pack(">I", 3) + b"abc")
open(os.path.join(out, "err_header.idx"), "wb").write(bytes([0, 0, 0x08, 3]) + struct.pack(">I", 3))

# datasets
N = 40
x = rng.random((N, 28, 28, 1)).astype(np.float32)
y2 = rng.random((N, 2)).astype(np.float32) + 0.5
np.savez(os.path.join(out, "ds_regression.npz"), x=x, y=y2)
x.astype("<f8").tofile(os.path.join(out, "ds_regression_x.f64"))
y2.astype("<f8").tofile(os.path.join(out, "ds_regression_y.f64"))
np.savez(os.path.join(out, "ds_regression_1.npz"), x=x, y=y2[:, 0])
np.savez(os.path.join(out, "ds_named.npz"), frames=x, labels=y2)

xb = rng.integers(0, 256, size=(N, 28, 28), dtype=np.uint8)
labels = rng.integers(0, 10, size=(N,))
np.savez_compressed(os.path.join(out, "ds_bytes.npz"), x=xb, y=labels)
(xb.astype(np.float64) * (1.0 / 255)).astype(np.float32).astype("<f8").tofile(os.path.join(out, "ds_bytes_x.f64"))
labels.astype("<f8").tofile(os.path.join(out, "ds_bytes_y.f64"))
np.savez(os.path.join(out, "ds_onehot.npz"), x=xb, y=np.eye(10, dtype=np.float32)[labels])
np.savez(os.path.join(out, "ds_labels_float.npz"), x=xb, y=labels.astype(np.float32).reshape(N, 1))
np.savez(os.path.join(out, "ds_flat.npz"), x=xb.reshape(N, 784), y=labels)
np.savez(os.path.join(out, "ds_wrong_shape.npz"), x=np.zeros((N, 32, 32, 1), np.float32), y=labels)
np.savez(os.path.join(out, "ds_count.npz"), x=xb, y=labels[:-1])
bad = labels.copy()
bad[17] = 10
np.savez(os.path.join(out, "ds_out_of_range.npz"), x=xb, y=bad)
bad = labels.astype(np.float64)
bad[3] = 2.5
np.savez(os.path.join(out, "ds_fractional.npz"), x=xb, y=bad)
onehot = np.eye(10, dtype=np.float32)[labels]
onehot[5, :] = 0.1
np.savez(os.path.join(out, "ds_not_onehot.npz"), x=xb, y=onehot)
np.savez(os.path.join(out, "ds_wrong_classes.npz"), x=xb, y=np.eye(7, dtype=np.float32)[labels % 7])
xn = x.copy()
xn[11, 3, 4, 0] = np.nan
np.savez(os.path.join(out, "ds_nan.npz"), x=xn, y=y2)
yn = y2.copy()
yn[7, 1] = np.inf
np.savez(os.path.join(out, "ds_target_inf.npz"), x=x, y=yn)
bad = labels.astype(np.float64)
bad[[3, 30]] = np.nan
bad[21] = -np.inf
np.savez(os.path.join(out, "ds_labels_nan.npz"), x=xb, y=bad)
np.savez(os.path.join(out, "ds_regression_wrong.npz"), x=x, y=rng.random((N, 3)).astype(np.float32))

xs = rng.standard_normal((N, 15)).astype(np.float32)
yb = rng.integers(0, 2, size=(N,)).astype(bool)
np.savez(os.path.join(out, "ds_binary.npz"), x=xs, y=yb)
np.savez(os.path.join(out, "ds_binary_col.npz"), x=xs, y=yb.astype(np.float32).reshape(N, 1))
bad = yb.astype(np.int64)
bad[9] = 2
np.savez(os.path.join(out, "ds_binary_bad.npz"), x=xs, y=bad)
xs.astype("<f8").tofile(os.path.join(out, "ds_binary_x.f64"))
yb.astype("<f8").tofile(os.path.join(out, "ds_binary_y.f64"))
np.save(os.path.join(out, "ds_pair_x.npy"), xs)
np.save(os.path.join(out, "ds_pair_y.npy"), yb)

# an MNIST-named IDX pair, and a gzip images file alone whose labels are missing
os.makedirs(os.path.join(out, "mnist"))
open(os.path.join(out, "mnist", "train-images-idx3-ubyte.gz"), "wb").write(gzip.compress(idx_bytes(idx_arrays["idx_images"])))
open(os.path.join(out, "mnist", "train-labels-idx1-ubyte"), "wb").write(idx_bytes(idx_arrays["idx_labels"]))
open(os.path.join(out, "mnist", "t10k-images-idx3-ubyte"), "wb").write(idx_bytes(idx_arrays["idx_images"]))

# HDF5 (h5py): every dtype the runtime reads, as datasets of one file, with their expected
# values; a dataset in a group, a chunked gzip one; the error cases
with h5py.File(os.path.join(out, "h5_types.h5"), "w") as f:
    manifest = ""
    for dtype in DTYPES:
        a = values(dtype, (3, 4))
        f.create_dataset(dtype, data=a)
        manifest += expected("h5_" + dtype, a)
    open(os.path.join(out, "h5.txt"), "w").write(manifest)
with h5py.File(os.path.join(out, "ds.h5"), "w") as f:
    f["x"] = x
    f["y"] = y2
    g = f.create_group("train")
    g.create_dataset("images", data=xb, chunks=(8, 28, 28), compression="gzip")
    g["labels"] = labels.astype(np.uint8)
    f["half"] = x.astype(np.float16)
    f["wide"] = labels.astype(np.uint16)
    f["text"] = np.array([b"a", b"b"])
    f["wrong"] = np.zeros((N, 32, 32), np.float32)
    xn = x.copy()
    xn[[5, 6], 0, 0, 0] = np.inf
    f["x_inf"] = xn
os.link(os.path.join(out, "ds.h5"), os.path.join(out, "ds_h5_renamed.bin"))

# CSV: a header row, numbers below (savetxt's %.17g round-trips float64), read back by
# np.loadtxt for the expected values; CRLF line ends and quoted names in one of them
table = rng.standard_normal((N, 5)) * 100
table[:, 2] = rng.integers(0, 4, size=N)  # a label column in the middle
names = ["a", "b", "label", "lat", "lon"]
np.savetxt(os.path.join(out, "table.csv"), table, fmt="%.17g", delimiter=",", header=",".join(names), comments="")
with open(os.path.join(out, "table_crlf.csv"), "w", newline="") as f:
    f.write(", ".join('"%s"' % n for n in names) + "\r\n")
    for row in table:
        f.write(" , ".join("%.17g" % v for v in row) + "\r\n")
    f.write("\r\n")
back = np.loadtxt(os.path.join(out, "table.csv"), delimiter=",", skiprows=1)
assert np.array_equal(back, table)
back.astype("<f8").tofile(os.path.join(out, "table.f64"))
assert np.genfromtxt(os.path.join(out, "table_crlf.csv"), delimiter=",", names=True).shape == (N,)
lines = open(os.path.join(out, "table.csv")).read().splitlines()
def bad_csv(name, row, text):
    rows = list(lines)
    rows[row] = text
    open(os.path.join(out, name), "w").write("\n".join(rows) + "\n")
bad_csv("csv_word.csv", 4, "1,abc,2,3,4")
bad_csv("csv_empty_cell.csv", 6, "1,2,,3,4")
bad_csv("csv_short_row.csv", 3, "1,2,3")
bad_csv("csv_nan.csv", 9, "nan,2,1,3,inf")
bad_csv("csv_no_header.csv", 0, "1,2,3,4,5")
bad_csv("csv_years.csv", 0, "2019,2020,2021,2022,lon")  # numbers as names: taken while the target is found

# Fashion-MNIST: pixel sums numpy gets from the same gzip files
base = "/usr/share/datasets/fashion-mnist/"
with gzip.open(base + "t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open(base + "t10k-labels-idx1-ubyte.gz") as f:
    flabels = np.frombuffer(f.read(), np.uint8, offset=8)
lines = [f"count {images.shape[0]}", f"total {int(images.astype(np.int64).sum())}"]
for i in [0, 1, 4321, 9999]:
    lines.append(f"sum{i} {int(images[i].astype(np.int64).sum())}")
    lines.append(f"label{i} {int(flabels[i])}")
for c in range(10):
    lines.append(f"class{c} {int((flabels == c).sum())}")
open(os.path.join(out, "fashion.txt"), "w").write("\n".join(lines) + "\n")
