"""Checks with numpy.load the .npz and .npy files that test_data.cpp wrote.

usage: check_written.py DIR

The C++ side writes, for the k-th array of shape S (n values, i = 0..n-1):
  float32: ((i % 1000) * 0.25 - 17 + k) as float32       float64: i / 7 + k
  int64:   i * 3 - 10**12 + k                            uint8:   (i * 7 + k) % 256
in DIR/written.npz (arrays f0, f1, ... as listed in DIR/written.txt: "NAME DTYPE D0 D1 ...")
and as DIR/NAME.npy for each. Exits 0 when everything matches.
"""
import os
import sys
import zipfile

import numpy as np


def expected(dtype, shape, k):
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.int64)
    if dtype == "float32":
        v = ((i % 1000) * 0.25 - 17 + k).astype(np.float32)
    elif dtype == "float64":
        v = i / 7 + k
    elif dtype == "int64":
        v = i * 3 - 10**12 + k
    elif dtype == "uint8":
        v = ((i * 7 + k) % 256).astype(np.uint8)
    else:
        raise ValueError(dtype)
    return v.reshape(shape)


def main():
    d = sys.argv[1]
    wanted = []
    for line in open(os.path.join(d, "written.txt")):
        parts = line.split()
        wanted.append((parts[0], parts[1], tuple(int(p) for p in parts[2:])))
    errors = []
    with np.load(os.path.join(d, "written.npz")) as z:
        if list(z.files) != [w[0] for w in wanted]:
            errors.append(f"npz names {z.files} != {[w[0] for w in wanted]}")
        for k, (name, dtype, shape) in enumerate(wanted):
            a = z[name]
            e = expected(dtype, shape, k)
            if a.dtype != e.dtype or a.shape != e.shape or not np.array_equal(a, e):
                errors.append(f"npz {name}: got {a.dtype} {a.shape}, expected {e.dtype} {e.shape}")
            b = np.load(os.path.join(d, name + ".npy"))
            if b.dtype != e.dtype or b.shape != e.shape or not np.array_equal(b, e):
                errors.append(f"npy {name}: got {b.dtype} {b.shape}, expected {e.dtype} {e.shape}")
    with zipfile.ZipFile(os.path.join(d, "written.npz")) as z:
        bad = z.testzip()  # checks every member's CRC-32
        if bad is not None:
            errors.append(f"zip member {bad} fails its CRC check")
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                errors.append(f"{info.filename} is compressed")
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
