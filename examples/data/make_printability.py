#!/usr/bin/env python3
"""Synthetic voxel parts for examples/printability.hps (workload 3: 3-D printability).

Each sample is a solid rectangular block with one straight cylindrical hole drilled
through it, the whole part rotated at random and voxelised on a size^3 grid (1 = material):

  printable (y = 1)      the hole's radius is --printable (default 3/32 of the grid: 3 voxels
                         at 32^3, the published 6 at 64^3)
  not printable (y = 0)  the hole's radius is --thin (default half that: too thin to print)

The block's three sides are drawn from [0.35, 0.65] of the grid (shrunk when needed so that
the part fits the grid in any orientation), the hole runs along one of the block's axes at
a random offset from its centre (its wall stays at least a voxel thick), the part sits at a
random place, and the rotation is uniform over SO(3) (a random unit quaternion). So the amount
of material, the orientation and the position vary in both classes; only the hole's
width tells them apart, as in the published study. Classes are balanced and shuffled.

Writes OUT/train.npz and OUT/validation.npz, arrays x (N, size, size, size, 1) uint8 in
{0, 1} and y (N,) uint8 in {0, 1}. The same --seed gives the same files.

  python3 make_printability.py examples/data/printability              # 2000 + 500 at 32^3
  python3 make_printability.py out --size 16 --train 160 --validation 64   # the tests' short mode
"""
import argparse
import os

import numpy as np


def random_rotation(rng):
    """A rotation matrix uniform over SO(3), from a uniform unit quaternion (Shoemake)."""
    u1, u2, u3 = rng.random(3)
    a, b = np.sqrt(1 - u1), np.sqrt(u1)
    w, x, y, z = a * np.sin(2 * np.pi * u2), a * np.cos(2 * np.pi * u2), b * np.sin(2 * np.pi * u3), b * np.cos(2 * np.pi * u3)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def part(rng, size, radius):
    """One voxelised block with a through-hole of the given radius, randomly placed and rotated."""
    half = rng.uniform(0.35, 0.65, size=3) * size / 2          # the block's half sides
    reach = np.linalg.norm(half)                                 # its bounding sphere's radius
    if reach > 0.46 * size:                                      # every orientation fits the grid
        half *= 0.46 * size / reach
        reach = 0.46 * size
    axis = rng.integers(3)                                       # the hole runs along this local axis
    across = [i for i in range(3) if i != axis]
    room = np.maximum(half[across] - radius - 1.0, 0.0)          # keep a wall of at least a voxel
    offset = rng.uniform(-1, 1, size=2) * room * 0.5
    centre = size / 2 + rng.uniform(-1, 1, size=3) * max(0.46 * size - reach, 0.0)
    grid = (np.indices((size,) * 3).reshape(3, -1).T + 0.5) - centre  # voxel centres, relative
    local = grid @ random_rotation(rng)                          # R^T p for each row p
    inside = np.all(np.abs(local) <= half, axis=1)
    d2 = (local[:, across[0]] - offset[0]) ** 2 + (local[:, across[1]] - offset[1]) ** 2
    solid = inside & (d2 > radius * radius)
    return solid.reshape((size,) * 3)


def make(rng, n, size, printable, thin):
    y = np.zeros(n, dtype=np.uint8)
    y[: n // 2] = 1
    rng.shuffle(y)
    x = np.zeros((n, size, size, size, 1), dtype=np.uint8)
    for i in range(n):
        x[i, ..., 0] = part(rng, size, printable if y[i] else thin)
    return x, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="folder for train.npz and validation.npz")
    ap.add_argument("--size", type=int, default=32, help="voxels per side (default 32)")
    ap.add_argument("--train", type=int, default=2000, help="training samples (default 2000)")
    ap.add_argument("--validation", type=int, default=500, help="validation samples (default 500)")
    ap.add_argument("--printable", type=float, default=None, help="printable hole radius in voxels (default size*3/32)")
    ap.add_argument("--thin", type=float, default=None, help="non-printable hole radius (default half the printable)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    printable = a.printable if a.printable is not None else a.size * 3 / 32
    thin = a.thin if a.thin is not None else printable / 2
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    for name, n in (("train", a.train), ("validation", a.validation)):
        x, y = make(rng, n, a.size, printable, thin)
        np.savez_compressed(os.path.join(a.out, name + ".npz"), x=x, y=y)
        print(f"{a.out}/{name}.npz: x {x.shape} {x.dtype}, y {y.shape}, {int(y.sum())} printable; "
              f"material {x.mean():.3f} of the voxels")


if __name__ == "__main__":
    main()
