#!/usr/bin/env python3
"""Synthetic aggregate photographs for examples/gradation.hps (workload 4: gradation classes).

The published study classifies 32 x 32 grayscale crops of aggregate (gravel, sand) into
5 gradation classes; its photographs are not public. This generator draws crops of the
same shape whose class is, as there, the particle-size distribution:

  class k (0..4)  particles are ellipses whose mean radius grows with k (1.2, 1.8, 2.6,
                  3.6 and 4.8 pixels, each drawn log-normally with a spread of 25 %):
                  0 is fine sand, 4 coarse gravel
  every class     particles are laid until about 55 % of the crop is covered (so coverage
                  does not tell the classes apart), each with its own grey level, random
                  orientation and aspect ratio, over a noisy darker background; then the
                  whole crop gets its own brightness and contrast (lighting differs
                  between photographs), and pixel noise

Values are uint8 in [0, 255] (the spec's `scale 1/255` maps them to [0, 1]). Classes are
balanced and shuffled. Writes OUT/train.npz, OUT/validation.npz and OUT/test.npz with
arrays x (N, 32, 32, 1) uint8 and y (N,) uint8. The same --seed gives the same files.

  python3 make_gradation.py examples/data/gradation                 # 5000 / 1000 / 1000
  python3 make_gradation.py out --train 400 --validation 100 --test 100   # the tests' short mode

Why not Fashion-MNIST (the other real data set on every machine here): it has 10 classes
of 28 x 28 clothing, already the subject of examples/fashion.hps; these crops keep the
workload's shape (32 x 32 x 1, 5 classes) and its task (telling particle sizes apart
under changing lighting, where brightness and contrast jitter is meant to help).
"""
import argparse
import os

import numpy as np

MEAN_RADIUS = (1.2, 1.8, 2.6, 3.6, 4.8)


def crop(rng, k, size=32, cover=0.55):
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    img = rng.normal(0.25, 0.05, size=(size, size))  # the fines between the particles
    covered = np.zeros((size, size), dtype=bool)
    tries = 0
    while covered.mean() < cover and tries < 2000:
        tries += 1
        r = MEAN_RADIUS[k] * np.exp(rng.normal(0, 0.25))
        aspect = rng.uniform(0.6, 1.0)
        angle = rng.uniform(0, np.pi)
        cy, cx = rng.uniform(-r, size + r, size=2)
        c, s = np.cos(angle), np.sin(angle)
        u = (xx - cx) * c + (yy - cy) * s
        v = -(xx - cx) * s + (yy - cy) * c
        inside = (u / r) ** 2 + (v / (r * aspect)) ** 2 <= 1
        grey = rng.uniform(0.45, 0.95)
        # a little shading across the particle, as light falls on a stone
        img = np.where(inside, grey * (1 - 0.15 * (u / r + 1) / 2), img)
        covered |= inside
    img = img * rng.uniform(0.7, 1.3) + rng.uniform(-0.1, 0.1)  # this photograph's lighting
    img = img + rng.normal(0, 0.03, size=img.shape)
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def make(rng, n):
    y = np.arange(n) % 5
    rng.shuffle(y)
    x = np.stack([crop(rng, int(k)) for k in y])[..., None]
    return x, y.astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="folder for train.npz, validation.npz and test.npz")
    ap.add_argument("--train", type=int, default=5000)
    ap.add_argument("--validation", type=int, default=1000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    for name, n in (("train", a.train), ("validation", a.validation), ("test", a.test)):
        x, y = make(rng, n)
        np.savez_compressed(os.path.join(a.out, name + ".npz"), x=x, y=y)
        print(f"{a.out}/{name}.npz: x {x.shape} {x.dtype}, y {y.shape}, {np.bincount(y, minlength=5).tolist()} per class")


if __name__ == "__main__":
    main()
