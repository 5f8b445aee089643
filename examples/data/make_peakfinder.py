#!/usr/bin/env python3
"""Synthetic data for examples/peakfinder.hps (workload 2: the drift-chamber peak finder).

Simulates drift-chamber waveforms with drift_chamber.py (primary and secondary ionisation
electrons, double-exponential pulses, Polya gain, white noise and baseline wander: its
docstring gives the model) and cuts them into windows of 15 samples:

  * a window is *signal* (y = 1) when an electron's pulse peaks at its centre sample (the
    8th of 15, after rounding the peak time to the sample grid), *noise* (y = 0) otherwise;
  * per waveform (2048 samples, about 25 clusters and 40 electrons) every window centred
    on a pulse peak is taken, and `--negatives` (default 3) times as many noise windows:
    half of them centred 1 to 3 samples from a peak (where a peak finder must be precise),
    half on any other sample. Signal is thus about 1 window in 4, which the spec's
    `loss bce pos_weight 3` balances;
  * each window is shifted so that its median is 0 (the baseline wander removed), values
    in units of the mean single-electron pulse height.

Writes an .npz with x (N, 15, 1) float32 and y (N,) uint8, in random order.

usage: make_peakfinder.py [--windows N] [--seed S] [--out PATH] [--small]
  default: 60000 windows into examples/data/peakfinder.npz (a few seconds);
  --small: 3000 windows (what the test suite trains on).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drift_chamber as dc  # noqa: E402

WINDOW = 15
LENGTH = 2048


def windows_of_event(rng, negatives):
    _, times, _ = dc.event(rng, LENGTH)
    w, _ = dc.waveform(rng, times, LENGTH)
    half = WINDOW // 2
    peaks = np.unique(dc.peak_samples(times))
    peaks = peaks[(peaks >= half) & (peaks < LENGTH - half)]
    is_peak = np.zeros(LENGTH, dtype=bool)
    is_peak[peaks] = True
    near = np.unique(np.concatenate([peaks + d for d in (-3, -2, -1, 1, 2, 3)]))
    near = near[(near >= half) & (near < LENGTH - half) & ~is_peak[np.clip(near, 0, LENGTH - 1)]]
    anywhere = np.arange(half, LENGTH - half)
    anywhere = anywhere[~is_peak[anywhere]]
    n_neg = negatives * len(peaks)
    neg = np.concatenate([rng.choice(near, size=min(len(near), n_neg // 2), replace=False),
                          rng.choice(anywhere, size=n_neg - n_neg // 2, replace=False)])
    centres = np.concatenate([peaks, neg])
    labels = np.concatenate([np.ones(len(peaks), np.uint8), np.zeros(len(neg), np.uint8)])
    x = np.stack([w[c - half:c + half + 1] for c in centres])
    x -= np.median(x, axis=1, keepdims=True)
    return x, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=60000, help="about this many windows (default 60000)")
    ap.add_argument("--small", action="store_true", help="3000 windows, for tests")
    ap.add_argument("--negatives", type=int, default=3, help="noise windows per signal window (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "peakfinder.npz"))
    a = ap.parse_args()
    want = 3000 if a.small else a.windows
    rng = np.random.default_rng(a.seed)
    xs, ys, n = [], [], 0
    while n < want:
        x, y = windows_of_event(rng, a.negatives)
        xs.append(x)
        ys.append(y)
        n += len(y)
    x = np.concatenate(xs)[:want]
    y = np.concatenate(ys)[:want]
    order = rng.permutation(len(y))
    x = x[order, :, None].astype(np.float32)
    y = y[order]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    np.savez_compressed(a.out, x=x, y=y)
    print(f"{a.out}: x {x.shape} float32, y {y.shape}: {int(y.sum())} signal, {int(len(y) - y.sum())} noise windows")


if __name__ == "__main__":
    main()
