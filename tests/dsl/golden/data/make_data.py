"""Writes the small data files of the data-check golden specs (tests/dsl/golden/data/*.hps)
into tests/dsl/golden/data/data/; they are committed, this script says how they were made.

usage: /usr/bin/python3 tests/dsl/golden/data/make_data.py     (numpy and h5py needed)

Six samples of 4 x 4 x 1 each; labels of 3 classes unless a file's name says otherwise.
"""
import io
import os
import zipfile

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
x = rng.random((6, 4, 4, 1), dtype=np.float32)
y = np.array([0, 1, 2, 0, 1, 2], dtype=np.int64)


def savez(name, **arrays):
    np.savez(os.path.join(OUT, name), **arrays)


savez("good.npz", x=x, y=y)                                    # what the specs ask for
savez("no_channel.npz", x=x[..., 0], y=y.reshape(6, 1))        # (N, 4, 4) and (N, 1): taken too
savez("one_hot.npz", x=x, y=np.eye(3, dtype=np.float32)[y])    # one-hot rows: taken too
savez("binary.npz", x=x[..., 0], y=(y == 1).astype(np.float32).reshape(6, 1))  # 0 and 1
savez("flat.npz", x=x.reshape(6, 16), y=y)                     # 16 values per sample, but flat
savez("wrong_size.npz", x=rng.random((6, 5, 5, 1), dtype=np.float32), y=y)
savez("float16.npz", x=x.astype(np.float16), y=y)              # a dtype the runtime cannot read
savez("one_hot_4.npz", x=x, y=np.eye(4, dtype=np.float32)[y])  # one-hot rows of 4 classes
savez("short_y.npz", x=x, y=y[:5])                             # 6 inputs, 5 labels
savez("images.npz", images=x, labels=y)                        # other array names
xn = x.copy()
xn[2, 1, 3, 0] = np.nan
xn[4, 0, 0, 0] = np.nan
xn[5, 2, 2, 0] = -np.inf
savez("nan_x.npz", x=xn, y=y)                                  # 2 NaN and 1 -inf inputs
savez("inf_y.npz", x=x, y=np.where(y == 2, np.inf, y))         # infinite labels
np.save(os.path.join(OUT, "x.npy"), x)                         # a pair of .npy files
np.save(os.path.join(OUT, "y_text.npy"), np.array(["a", "b", "c", "a", "b", "c"]))
with open(os.path.join(OUT, "not_data.npz"), "w") as f:        # not a ZIP, not .npy, not IDX
    f.write("these are not the arrays you are looking for\n")
with open(os.path.join(OUT, "good.npz"), "rb") as f:           # cut short: no ZIP directory
    whole = f.read()
with open(os.path.join(OUT, "truncated.npz"), "wb") as f:
    f.write(whole[: len(whole) // 2])
with h5py.File(os.path.join(OUT, "data.h5"), "w") as f:       # HDF5: x and y, a group, a float16
    f["x"] = x
    f["y"] = y
    f["g/x"] = x[..., 0]
    f["g/y"] = y.astype(np.uint8)
    f["half"] = x.astype(np.float16)
rows = np.column_stack([x.reshape(6, 16), y])                   # CSV: 16 input columns and a label
header = ",".join([f"p{i}" for i in range(16)] + ["label"])
np.savetxt(os.path.join(OUT, "table.csv"), rows, fmt="%.9g", delimiter=",", header=header, comments="")
text = open(os.path.join(OUT, "table.csv")).read().splitlines()
text[3] = text[3][: text[3].index(",") + 1] + "n/a" + text[3][text[3].index(",", text[3].index(",") + 1):]  # line 4, column 2
open(os.path.join(OUT, "table_bad.csv"), "w").write("\n".join(text) + "\n")
