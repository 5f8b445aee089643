"""The runtime's validation draws, written again in Python as the tests' independent check
(hps/dataset.hpp): a Fisher-Yates shuffle of 0..n-1 from the end, driven by hps::rng
(runtime/hps/core.hpp: xoshiro256** seeded through splitmix64, bounded draws by Lemire's
multiply-and-reject). `split F [seed S]` validates on the shuffle's first round(F * n)
samples; `folds K [seed S]` cuts the shuffle into K contiguous parts."""

MASK = (1 << 64) - 1


class Rng:
    """hps::rng."""

    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed = (seed + 0x9E3779B97F4A7C15) & MASK
            z = seed
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def below(self, bound):
        """Lemire's multiply-and-reject, as hps::rng::below."""
        m = self.next() * bound
        if m & MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while m & MASK < threshold:
                m = self.next() * bound
        return m >> 64


def shuffled_order(n, seed):
    """0..n-1 shuffled as hps/dataset.hpp's shuffled_order."""
    order = list(range(n))
    gen = Rng(seed)
    for i in range(n - 1, 0, -1):
        j = gen.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def split_validation(n, fraction, seed=1):
    """The validation samples of `split FRACTION [seed SEED]` (take random), in order."""
    count = min(max(int(fraction * n + 0.5), 1), n - 1)  # llround, for positive values
    return sorted(shuffled_order(n, seed)[:count])


def folds_of(n, k, seed):
    """Each fold's validation samples of `folds K [seed SEED]`, in order."""
    order = shuffled_order(n, seed)
    return [sorted(order[f * n // k:(f + 1) * n // k]) for f in range(k)]
