#!/usr/bin/env python3
"""Synthetic data for examples/clustercount.hps (workload 2: the drift-chamber cluster
counter).

The cluster counter's input is not the waveform but what a peak finder made of it: the
arrival times of the pulses found, encoded as a list of 1024 time bins (one bin per
sample of the drift window), each holding the number of peaks found in it. The target is
the number of *primary* ionisation clusters, which is what carries the particle
identification (dN/dx); the found peaks also contain the secondary electrons of each
cluster (arriving a few samples after their primary) and the peak finder's mistakes.
Counting clusters means learning which peaks are secondaries.

Per event, with drift_chamber.py's ionisation model (its docstring):
  * the track length varies, so the mean number of clusters is uniform in [10, 40]
    (a count of 0 to about 55 clusters);
  * each electron's peak is found with probability 0.95, and of two peaks in the same
    sample only one is found (pile-up);
  * the peak finder adds Poisson(1) fake peaks at random times.

Writes an .npz with x (N, 1024, 1) float32 (peak counts per bin) and y (N,) float32 (the
number of primary clusters).

usage: make_clustercount.py [--events N] [--seed S] [--out PATH] [--small]
  default: 20000 events into examples/data/clustercount.npz; --small: 1500 (the tests)
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drift_chamber as dc  # noqa: E402

BINS = 1024


def encode_event(rng):
    _, times, k = dc.event(rng, BINS, mean_clusters=rng.uniform(10, 40), margin=8)
    found = times[rng.uniform(size=len(times)) < 0.95]
    bins = np.unique(np.clip(dc.peak_samples(found), 0, BINS - 1))  # pile-up: one peak per sample
    fakes = rng.integers(0, BINS, size=rng.poisson(1.0))
    x = np.zeros(BINS, np.float32)
    np.add.at(x, bins, 1.0)
    np.add.at(x, fakes, 1.0)
    return x, float(k)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20000, help="events (default 20000)")
    ap.add_argument("--small", action="store_true", help="1500 events, for tests")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "clustercount.npz"))
    a = ap.parse_args()
    n = 1500 if a.small else a.events
    rng = np.random.default_rng(a.seed)
    x = np.zeros((n, BINS, 1), np.float32)
    y = np.zeros(n, np.float32)
    for i in range(n):
        x[i, :, 0], y[i] = encode_event(rng)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    np.savez_compressed(a.out, x=x, y=y)
    peaks = x.sum(axis=(1, 2))
    print(f"{a.out}: x {x.shape} float32, y {y.shape}: {y.mean():.1f} clusters and {peaks.mean():.1f} "
          f"peaks found per event on average")


if __name__ == "__main__":
    main()
