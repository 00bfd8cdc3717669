"""Random draws of the seed, all from the run's one `random.Random` (the context's rng)."""

import bisect
import itertools


class Weighted:
    """Weighted choice by bisecting cumulative weights: faster than Random.choices per call."""

    def __init__(self, pairs):
        self.items = [item for item, _w in pairs]
        self.cum = list(itertools.accumulate(w for _i, w in pairs))

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


# Random.choice/randint/randrange go through a slow rejection loop; these are plain scaling of
# random(), just as deterministic, and several times faster in the million-call loops here.
def choice(rng, seq):
    return seq[int(rng.random() * len(seq))]


def randint(rng, lo, hi):
    return lo + int(rng.random() * (hi - lo + 1))


def randrange(rng, *args):
    lo, hi = (0, args[0]) if len(args) == 1 else args
    return lo + int(rng.random() * (hi - lo))


def skewed(rng, lo, hi):
    return lo + (hi - lo) * rng.random() ** 2
