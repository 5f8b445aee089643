"""A toy drift-chamber cell: ionisation clusters along a track, their electrons' arrival
times at the sense wire, and the digitised waveform they induce. Shared by
make_peakfinder.py and make_clustercount.py (workload 2 of the hpsgen examples).

The model (illustrative values of the order of a helium-based drift chamber read out at
2 GSa/s; nothing is fitted to a real detector):

  * A track crosses the cell and leaves primary ionisation clusters: their number is
    Poisson with mean `mean_clusters` (12.5 clusters/cm over a ~2 cm path: 25), and their
    arrival times at the wire are a Poisson process over the drift window, so the gaps
    between them are exponential (mean window / mean_clusters samples).
  * Each cluster holds 1 + Poisson(`mean_secondaries`) electrons (the primary electron and
    its secondary ionisation, 1.6 electrons per cluster on average). Secondary electrons
    arrive after their primary with an exponential delay (diffusion), mean
    `secondary_delay` samples.
  * Each electron induces a pulse A (exp(-t/tau_decay) - exp(-t/tau_rise)) for t >= 0
    (a preamplifier's double-exponential response: rise 1 sample, decay 4 samples, i.e.
    0.5 ns and 2 ns at 2 GSa/s), normalised to peak at A. The gain fluctuates: A is
    Gamma(shape 2, mean 1) (a Polya distribution with theta = 1).
  * The waveform adds Gaussian white noise (sigma `noise`, in units of the mean single
    electron amplitude) and a slow baseline wander.

All randomness comes from one numpy Generator, so a seed gives the same file everywhere.
"""
import numpy as np

TAU_RISE = 1.0  # samples
TAU_DECAY = 4.0  # samples
# the pulse's peak: d/dt (exp(-t/td) - exp(-t/tr)) = 0
PEAK_TIME = TAU_RISE * TAU_DECAY / (TAU_DECAY - TAU_RISE) * np.log(TAU_DECAY / TAU_RISE)
PEAK_VALUE = np.exp(-PEAK_TIME / TAU_DECAY) - np.exp(-PEAK_TIME / TAU_RISE)


def event(rng, length, mean_clusters=25.0, mean_secondaries=0.6, secondary_delay=3.0, margin=40):
    """One track: (cluster_of_electron, electron_time) for every electron, times in samples
    within [margin, length - margin), sorted; cluster ids number the primaries 0..K-1 in
    time order. Also returns K, the number of primary clusters."""
    k = rng.poisson(mean_clusters)
    primaries = np.sort(rng.uniform(margin, length - margin, size=k))
    clusters, times = [], []
    for c, t0 in enumerate(primaries):
        clusters.append(c)
        times.append(t0)
        for _ in range(rng.poisson(mean_secondaries)):
            clusters.append(c)
            times.append(t0 + rng.exponential(secondary_delay))
    times = np.array(times)
    order = np.argsort(times, kind="stable")
    return np.array(clusters, dtype=np.int64)[order], times[order], k


def waveform(rng, times, length, noise=0.06):
    """The digitised waveform of electrons arriving at `times` (samples): (length,) float32,
    and the amplitude of each electron's pulse."""
    t = np.arange(length, dtype=np.float64)
    amplitudes = rng.gamma(2.0, 0.5, size=len(times))
    w = np.zeros(length)
    for a, t0 in zip(amplitudes, times):
        dt = t - t0
        on = dt >= 0
        w[on] += a / PEAK_VALUE * (np.exp(-dt[on] / TAU_DECAY) - np.exp(-dt[on] / TAU_RISE))
    w += noise * rng.standard_normal(length)
    phase = rng.uniform(0, 2 * np.pi)
    w += 0.5 * noise * np.sin(2 * np.pi * t / rng.uniform(200, 800) + phase)  # baseline wander
    return w.astype(np.float32), amplitudes


def peak_samples(times):
    """The sample at which each electron's pulse peaks (rounded)."""
    return np.rint(times + PEAK_TIME).astype(np.int64)
