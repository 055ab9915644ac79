"""The NumPy baseline of the timeline benchmark: a journey's bad time per window.

The job (what ``slosim.engines.timeline(..., start="clean")`` reports as
``res[journey].bad``): for each run, each calendar window ``[edges[w],
edges[w + 1])``, the integral of the journey's error ratio, for a model
whose leaves are all 0/1 processes (a :class:`models.TimedBenchModel`):

* ``("updown", mttf, mttr)``: alternating exponential up and down times,
  up at 0 (the clean start);
* ``("shock", rate, d)``: Poisson occurrences from 0 on, each down for
  ``d`` seconds, overlapping ones merged (an incident class of error
  ratio 1: ``1 - 0**N`` is 1 while one is in progress); none in progress
  at 0.

With 0/1 leaves the journey's error ratio is its structure function, 1
while down.

:func:`draw_paths` draws every leaf's path for a chunk of runs at once
(arrays of shape (runs, cycles) per leaf; exponential up and down times
by ``cumsum``, shock arrivals as sorted uniforms, merged with a running
maximum of their ends) and merges them per run into one time-ordered list
of flips (``np.argsort`` along each row), with the window edges as flips
of dummy rows. :func:`bad_from_paths` then advances event by event
across all runs at once: step ``j`` takes the ``j``-th flip of every run,
adds ``(t_j - t_{j-1})`` to the runs whose journey was down, flips one
bit per run (``np.bitwise_xor.at``) and evaluates every gate on words of
64 runs (the bit-packed gates of :mod:`baselines`). The number of steps
is the largest number of flips of a run in the chunk (about 14,000 a year
on the 200-component model), each costing a fixed number of NumPy calls
whatever the chunk size.

:func:`brute_force_bad` is the per-run reference: for one run, its own
flips in time order, the journey from :func:`models.output_down` after
each, the integral summed window by window in plain Python.
:func:`check_timeline_baseline` compares the two on the same paths
(random small structures, relative 1e-12) and checks the path sampler
against the exact mean downtime of each kind of leaf (within 5 standard
errors).
"""

import math

import numpy as np

from . import models
from .baselines import _gates, _Plan

__all__ = ["Paths", "draw_paths", "bad_from_paths", "numpy_timeline", "brute_force_bad",
           "check_timeline_baseline", "mean_downtime"]


class Paths:
    """The merged flips of a chunk of runs.

    Attributes
    ----------
    times : ndarray of float64, shape (runs, M)
        Each run's flip times in increasing order, the window edges
        included, padded with the last edge.
    rows : ndarray of intp, shape (runs, M)
        The leaf each flip toggles (``< n_leaves``), or ``n_nodes + k`` for
        the edge ``edges[k + 1]`` (and the padding).
    """

    def __init__(self, times, rows):
        self.times, self.rows = times, rows


def _updown_flips(rng, runs, end, mttf, mttr):
    """(runs, 2 K) flip times of alternating exponential up/down times
    starting up: fail, repair, fail, ...; ``inf`` past ``end``."""
    K = max(4, int(end / (mttf + mttr) + 8 * math.sqrt(end / (mttf + mttr)) + 8))
    while True:
        up = rng.exponential(mttf, (runs, K))
        down = rng.exponential(mttr, (runs, K))
        flips = np.empty((runs, 2 * K))
        flips[:, 0::2] = up
        flips[:, 1::2] = down
        np.cumsum(flips, axis=1, out=flips)
        if (flips[:, -1] >= end).all():
            break
        K *= 2                                  # rare: draw the chunk again, longer
    flips[flips >= end] = np.inf
    return flips


def _shock_flips(rng, runs, end, rate, d):
    """(runs, 2 K) flip times of Poisson occurrences lasting ``d``, merged
    where they overlap; ``inf`` past ``end``."""
    count = rng.poisson(rate * end, runs)
    K = max(int(count.max()), 1)
    arrive = rng.random((runs, K)) * end
    arrive[np.arange(K) >= count[:, None]] = np.inf         # count uniforms, then sorted
    arrive.sort(axis=1)
    reach = np.maximum.accumulate(arrive + d, axis=1)       # latest end so far
    before = np.concatenate([np.full((runs, 1), -np.inf), reach[:, :-1]], axis=1)
    starts = np.where(arrive > before, arrive, np.inf)      # a new merged outage
    # the last arrival of a merged outage: the next one starts another, or none comes
    nxt = arrive[:, 1:]
    last = np.concatenate([(starts[:, 1:] < np.inf) | (nxt == np.inf),
                           np.ones((runs, 1), bool)], axis=1)
    ends = np.where(last & (arrive < np.inf), reach, np.inf)
    flips = np.concatenate([starts, ends], axis=1)
    flips[flips >= end] = np.inf
    return flips


def draw_paths(behaviours, n_nodes, runs, edges, rng):
    """Every leaf's flips for ``runs`` runs, merged per run (see
    :class:`Paths`)."""
    edges = np.asarray(edges, dtype=np.float64)
    end = float(edges[-1])
    parts, rows = [], []
    for leaf, b in enumerate(behaviours):
        f = (_updown_flips(rng, runs, end, b[1], b[2]) if b[0] == "updown"
             else _shock_flips(rng, runs, end, b[1], b[2]))
        keep = np.isfinite(f).any(axis=0)                   # drop columns nobody reaches
        parts.append(f[:, keep])
        rows.append(np.full(int(keep.sum()), leaf, dtype=np.intp))
    parts.append(np.broadcast_to(edges[1:], (runs, len(edges) - 1)))
    rows.append(n_nodes + np.arange(len(edges) - 1))
    times = np.concatenate(parts, axis=1)
    row_of = np.concatenate(rows)
    order = np.argsort(times, axis=1)
    times = np.take_along_axis(times, order, axis=1)
    M = int(np.isfinite(times).sum(axis=1).max())           # the last edge included
    times, order = times[:, :M], order[:, :M]
    rows = row_of[order]
    pad = ~np.isfinite(times)
    times[pad] = end
    rows[pad] = n_nodes + len(edges) - 2
    return Paths(times, rows)


def bad_from_paths(st, paths, edges):
    """(runs, n_windows): the bad time of ``st``'s output per window, event
    by event across all runs at once (see the module notes)."""
    plan = _Plan(st)
    runs, M = paths.times.shape
    n_win = len(edges) - 1
    words = -(-runs // 64)
    W = np.zeros((plan.rows + n_win, words), dtype=np.uint64)   # + one dummy row per edge
    run = np.arange(runs)
    word = run >> 6
    bit = np.left_shift(np.uint64(1), (run & 63).astype(np.uint64))
    _gates(plan, W)                             # every leaf up: the state at 0
    acc = np.zeros(runs)
    at_edge = np.zeros((runs, n_win + 1))
    edge0 = st.n_nodes
    rows = np.where(paths.rows >= edge0, paths.rows - edge0 + plan.rows, paths.rows)
    prev = np.zeros(runs)
    for j in range(M):
        t = paths.times[:, j]
        down = np.unpackbits(W[plan.output].view(np.uint8), count=runs, bitorder="little")
        acc += (t - prev) * down
        prev = t
        r = rows[:, j]
        is_edge = r >= plan.rows
        if is_edge.any():
            i = np.flatnonzero(is_edge)
            at_edge[i, r[i] - plan.rows + 1] = acc[i]
        np.bitwise_xor.at(W, (r, word), bit)
        _gates(plan, W)
    return np.diff(at_edge, axis=1)


def numpy_timeline(tm, runs, edges, *, rng=None, chunk=2048):
    """(runs, n_windows): the bad time of the journey of ``tm`` (a
    :class:`models.TimedBenchModel`) per window, ``chunk`` runs at a time,
    clean start."""
    rng = np.random.default_rng(rng)
    out = []
    done = 0
    while done < runs:
        m = min(chunk, runs - done)
        paths = draw_paths(tm.behaviours, tm.structure.n_nodes, m, edges, rng)
        out.append(bad_from_paths(tm.structure, paths, edges))
        done += m
    return np.concatenate(out)


def brute_force_bad(st, paths, edges, run):
    """The bad time per window of one run, in plain Python: the run's own
    flips in time order, the journey from :func:`models.output_down` after
    each, each stretch split over the windows it overlaps."""
    down = [False] * st.n_leaves
    state = models.output_down(st, down)
    bad = [0.0] * (len(edges) - 1)
    prev = 0.0
    for t, r in zip(paths.times[run].tolist(), paths.rows[run].tolist()):
        if state:
            for w in range(len(bad)):           # the part of [prev, t] in each window
                bad[w] += max(0.0, min(t, edges[w + 1]) - max(prev, edges[w]))
        prev = t
        if r < st.n_leaves:
            down[r] = not down[r]
            state = models.output_down(st, down)
    return bad


def mean_downtime(behaviour, a, b):
    """The exact mean time a leaf is down in ``[a, b]``, clean start:
    ``int P(down at t)``, ``q (1 - exp(-s t))`` for up/down times (``s =
    1 / mttf + 1 / mttr``), ``1 - exp(-rate min(t, d))`` for a shock."""
    kind, x, y = behaviour
    if kind == "updown":
        s, q = 1 / x + 1 / y, y / (x + y)
        return q * (b - a) - q * (math.exp(-s * a) - math.exp(-s * b)) / s
    rate, d = x, y

    def integral(t):                            # int_0^t 1 - exp(-rate min(u, d)) du
        if t <= d:
            return t + math.expm1(-rate * t) / rate
        return d + math.expm1(-rate * d) / rate - (t - d) * math.expm1(-rate * d)

    return integral(b) - integral(a)


def _random_case(rng):
    """A small random structure with random behaviours and short times."""
    if rng.random() < 0.5:
        root = models.random_dag(int(rng.integers(8, 13)), seed=int(rng.integers(2**32)),
                                 n_shared=int(rng.integers(2, 4)), n_regions=2)
    else:
        root = models._random_small(rng, int(rng.integers(3, 8)))
    st = models.flatten(root)
    behaviours = []
    for _ in range(st.n_leaves):
        if rng.random() < 0.25:
            behaviours.append(("shock", float(rng.uniform(0.5, 4)), float(rng.uniform(0.2, 2))))
        else:
            behaviours.append(("updown", float(rng.uniform(1, 8)), float(rng.uniform(0.1, 3))))
    return st, tuple(behaviours)


def check_timeline_baseline(n_cases=12, *, seed=4242, runs=100):
    """Check the baseline: the stepping against :func:`brute_force_bad` on
    the same paths, and the path sampler against :func:`mean_downtime`.

    * ``n_cases`` random small structures (:func:`models.random_dag` and
      arbitrary DAGs with shared gates), each leaf up/down or a shock with
      random times, ``runs`` runs over three windows of uneven lengths:
      every run's bad time per window equal to the brute force's (relative
      1e-12, absolute 1e-12);
    * each kind of leaf alone (a structure of one leaf), 20,000 runs: the
      mean bad time per window within 5 standard errors of the exact mean,
      for up/down times and for shocks that often overlap.

    Raises
    ------
    AssertionError
        On the first disagreement.
    """
    rng = np.random.default_rng(seed)
    edges = np.array([0.0, 10.0, 17.5, 30.0])
    for case in range(n_cases):
        st, behaviours = _random_case(rng)
        paths = draw_paths(behaviours, st.n_nodes, runs, edges, rng)
        got = bad_from_paths(st, paths, edges)
        for r in range(runs):
            want = brute_force_bad(st, paths, edges, r)
            if not np.allclose(got[r], want, rtol=1e-12, atol=1e-12):
                raise AssertionError(f"timeline baseline: case {case} ({st!r}), run {r}: "
                                     f"{got[r].tolist()} != brute force {want}")
    one = models.Structure(names=("x",), q=np.array([0.5]), gates=((1, (0,)),), output=1)
    for b in (("updown", 3.0, 1.5), ("updown", 40.0, 0.5), ("shock", 0.8, 2.5)):
        bad = numpy_timeline(models.TimedBenchModel("one", None, one, 0.5, behaviours=(b,)),
                             20_000, edges, rng=rng)
        for w in range(len(edges) - 1):
            want = mean_downtime(b, edges[w], edges[w + 1])
            se = bad[:, w].std(ddof=1) / math.sqrt(len(bad))
            if not abs(bad[:, w].mean() - want) <= 5 * se:
                raise AssertionError(f"timeline baseline: leaf {b}, window {w}: mean "
                                     f"{bad[:, w].mean()!r} != exact {want!r} "
                                     f"(standard error {se:.3g})")
    return n_cases
