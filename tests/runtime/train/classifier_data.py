"""The data of the small classification trainers of tests/runtime/train (classifier_config.hpp):
train.npz (400 samples) and test.npz (60) of 8 x 8 x 1 images in 3 classes."""
import os

import numpy as np


def write_classifier_data(folder):
    rng = np.random.default_rng(5)
    for name, n in (("train", 400), ("test", 60)):
        y = rng.integers(0, 3, n)
        x = rng.random((n, 8, 8, 1), dtype=np.float32)
        for c in range(3):  # class c: brighter rows 3c-1 .. 3c+1 (an image flipped left-right keeps its class)
            x[y == c, max(0, 3 * c - 1):3 * c + 2] += 0.12
        np.savez(os.path.join(folder, f"{name}.npz"), x=x, y=y.astype(np.float32))
