"""NumPy baselines: count a journey's failures in ``n`` samples.

All read a :class:`models.Structure` (leaves, then gates ``(k_up,
children)`` in topological order), are exact samplers of independent
component states, and process fixed-size chunks (memory bounded by the
chunk, not by ``n``):

* :func:`naive`: one uniform per component per sample, a boolean matrix
  ``rng.random((L, chunk)) < q``, gates as ``np.any`` / ``np.all`` / a
  count of children down over the rows;
* :func:`bitpacked`: one uniform per component per sample, each leaf's
  states packed 8 per byte with ``np.packbits`` and viewed as ``uint64``
  words, gates as in-place bitwise operations on the words (a k-of-n gate
  by the bit-sliced threshold recurrence ``c_j |= c_{j-1} & x``), failures
  counted with ``np.bitwise_count``. Buffers are allocated once and reused;
  the cost is then almost all in ``rng.random`` (about 2 ns per draw);
* :func:`sparse`: the gates of :func:`bitpacked`, but the down samples are
  placed directly (geometric gaps between failures) instead of drawing a
  uniform per component per sample.
"""

import dataclasses

import numpy as np

from . import models

__all__ = ["naive", "bitpacked", "sparse"]


def naive(st, n, *, rng=None, chunk=1 << 14):
    """Failures of the journey in ``n`` samples: boolean arrays, one row per node.

    Parameters
    ----------
    st : models.Structure
    n : int
    rng : seed or Generator
    chunk : int
        Samples per chunk.

    Returns
    -------
    int
    """
    rng = np.random.default_rng(rng)
    q = st.q[:, None]
    L = st.n_leaves
    failures = 0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        down = rng.random((L, m)) < q           # True = down
        rows = list(down)
        for k_up, kids in st.gates:
            x = np.stack([rows[c] for c in kids])
            if k_up == len(kids):
                rows.append(np.any(x, axis=0))
            elif k_up == 1:
                rows.append(np.all(x, axis=0))
            else:
                rows.append(np.sum(~x, axis=0) < k_up)
        failures += int(np.count_nonzero(rows[st.output]))
        done += m
    return failures


class _Plan:
    """Per structure: gate ops with scratch rows assigned, built once."""

    def __init__(self, st):
        self.L = st.n_leaves
        L = self.L
        n_nodes = st.n_nodes
        ops = []
        scratch = 0
        for g, (k_up, kids) in enumerate(st.gates):
            n = len(kids)
            m_down = n - k_up + 1
            if k_up == n:
                ops.append(("or", L + g, kids))
            elif k_up == 1:
                ops.append(("and", L + g, kids))
            elif m_down <= k_up:
                ops.append(("atleast_down", L + g, kids, m_down))
                scratch = max(scratch, m_down + 1)
            else:
                ops.append(("atleast_up", L + g, kids, k_up))
                scratch = max(scratch, k_up + 2)
        self.ops = ops
        self.rows = n_nodes + scratch
        self.scratch0 = n_nodes
        self.output = st.output
        self.q = st.q.tolist()


def _threshold(W, kids, m, s0, complement):
    """Row of samples with at least ``m`` of ``kids`` set (or clear).

    Bit-sliced recurrence: ``c_j`` (rows ``s0 + j - 1``) holds "at least j
    so far"; for each child ``x``, ``c_j |= c_{j-1} & x`` from ``j = m``
    down, then ``c_1 |= x``. Returns the index of ``c_m``.
    """
    t = s0 + m  # temp row
    c = [None] + [s0 + j - 1 for j in range(1, m + 1)]
    W[s0:s0 + m] = 0
    for i, k in enumerate(kids):
        if complement:
            x = W[t + 1]
            np.invert(W[k], out=x)
        else:
            x = W[k]
        for j in range(min(i + 1, m), 1, -1):
            np.bitwise_and(W[c[j - 1]], x, out=W[t])
            np.bitwise_or(W[c[j]], W[t], out=W[c[j]])
        np.bitwise_or(W[c[1]], x, out=W[c[1]])
    return c[m]


def _gates(plan, W):
    """Evaluate every gate of ``plan`` on the rows of ``W`` (set bit = down)."""
    for op in plan.ops:
        kind, g, kids = op[0], op[1], op[2]
        if kind == "or":
            np.copyto(W[g], W[kids[0]])
            for k in kids[1:]:
                np.bitwise_or(W[g], W[k], out=W[g])
        elif kind == "and":
            np.copyto(W[g], W[kids[0]])
            for k in kids[1:]:
                np.bitwise_and(W[g], W[k], out=W[g])
        elif kind == "atleast_down":
            np.copyto(W[g], W[_threshold(W, kids, op[3], plan.scratch0, False)])
        else:  # down unless at least k_up children are up
            np.invert(W[_threshold(W, kids, op[3], plan.scratch0, True)], out=W[g])


def bitpacked(st, n, *, rng=None, chunk=1 << 16):
    """Failures of the journey in ``n`` samples, bit-packed (64 per word).

    Parameters
    ----------
    st : models.Structure
    n : int
        A multiple of 64.
    rng : seed or Generator
    chunk : int
        Samples per chunk, a multiple of 64.

    Returns
    -------
    int
    """
    if n % 64 or chunk % 64:
        raise ValueError("bitpacked: n and chunk must be multiples of 64")
    rng = np.random.default_rng(rng)
    plan = _Plan(st)
    chunk = min(chunk, n)
    words = chunk // 64
    W = np.empty((plan.rows, words), dtype=np.uint64)   # set bit = down
    u = np.empty(chunk)
    b = np.empty(chunk, dtype=bool)
    failures = 0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        w = m // 64
        if m != chunk:
            u, b, W = u[:m], b[:m], W[:, :w]
        for i, qi in enumerate(plan.q):
            rng.random(out=u)
            np.less(u, qi, out=b)
            W[i] = np.packbits(b).view(np.uint64)
        _gates(plan, W)
        failures += int(np.bitwise_count(W[plan.output]).sum())
        done += m
    return failures



def _failure_positions(rng, q, m, *, slack=8, extra=16):
    """Sorted flat indices ``leaf * m + sample`` of the down samples.

    Exact: in a sequence of independent Bernoulli(q) states the gaps
    between successive downs are independent Geometric(q) on {1, 2, ...}.
    Every leaf draws a generous batch of gaps in one call (``m * q`` plus
    ``slack`` standard deviations plus ``extra``); the rare leaf whose batch
    ends before ``m`` draws more until it passes the end.
    """
    L = len(q)
    mean = m * q
    size = np.ceil(mean + slack * np.sqrt(mean) + extra).astype(np.int64)
    cs = np.cumsum(rng.geometric(np.repeat(q, size)))
    ends = np.cumsum(size)
    offset = np.zeros(L, dtype=np.int64)
    offset[1:] = cs[ends[:-1] - 1]
    pos = cs - np.repeat(offset - np.arange(L, dtype=np.int64) * m, size) - 1
    last = pos[ends - 1] - np.arange(L, dtype=np.int64) * m   # last position drawn
    pos = pos[pos - np.repeat(np.arange(L, dtype=np.int64) * m, size) < m]
    short = np.flatnonzero(last < m - 1)
    if len(short) == 0:
        return pos
    parts = [pos]
    for i in short.tolist():
        p = int(last[i])
        while p < m - 1:
            more = p + np.cumsum(rng.geometric(q[i], int(size[i])))
            parts.append(more[more < m] + i * m)
            p = int(more[-1])
    return np.sort(np.concatenate(parts))


def sparse(st, n, *, rng=None, chunk=None):
    """Failures of the journey in ``n`` samples: sparse draws, bit-packed gates.

    Not one uniform per component per sample: the down samples of every
    leaf are placed directly (geometric gaps, :func:`_failure_positions`),
    so drawing costs about ``n * sum(q)`` rather than ``n * L``; the gates
    are the word-wise operations of :func:`bitpacked`.

    Parameters
    ----------
    st : models.Structure
        Leaf unavailabilities strictly between 0 and 1.
    n : int
        A multiple of 64.
    rng : seed or Generator
    chunk : int, optional
        Samples per chunk, a multiple of 64. By default the largest power of
        two up to 2**22 that keeps the word buffer within 32 MiB (large
        chunks amortise the per-call overhead of NumPy).

    Returns
    -------
    int
    """
    plan = _Plan(st)
    if chunk is None:
        chunk = 1 << 22
        while chunk > 64 and plan.rows * chunk // 8 > 1 << 25:
            chunk //= 2
    if n % 64 or chunk % 64:
        raise ValueError("sparse: n and chunk must be multiples of 64")
    if not np.all((st.q > 0) & (st.q < 1)):
        raise ValueError("sparse: unavailabilities must be in (0, 1)")
    rng = np.random.default_rng(rng)
    L = plan.L
    q = np.asarray(st.q, dtype=np.float64)
    one = np.uint64(1)
    failures = 0
    done = 0
    W = None
    while done < n:
        m = min(chunk, n - done)
        if W is None or W.shape[1] != m // 64:
            W = np.empty((plan.rows, m // 64), dtype=np.uint64)
        flat = _failure_positions(rng, q, m)        # leaf * m + sample
        word = flat >> 6                            # = leaf * (m // 64) + word
        bits = np.left_shift(one, (flat & 63).astype(np.uint64))
        first = np.flatnonzero(np.diff(word, prepend=-1))
        leaves = W[:L].reshape(-1)
        leaves[:] = 0
        leaves[word[first]] = np.bitwise_or.reduceat(bits, first)
        _gates(plan, W)
        failures += int(np.bitwise_count(W[plan.output]).sum())
        done += m
    return failures


def check_baselines(n_cases=40, *, seed=2024):
    """Check the gate logic of :func:`naive` and :func:`bitpacked` exactly.

    With every unavailability 0 or 1 the draws are deterministic, so on each
    random small DAG (from :mod:`models`) and random 0/1 assignment the
    baselines must count either no failure or all ``n``, as the boolean
    evaluation :func:`models.output_down` says. (:func:`sparse` shares the gate code of
    :func:`bitpacked`; its sampler is checked by the benchmarks' comparison
    with the exact value.)

    Raises
    ------
    AssertionError
    """
    rng = np.random.default_rng(seed)
    n = 192
    for case in range(n_cases):
        if case % 2:
            root = models.random_dag(int(rng.integers(8, 15)), seed=case,
                                     n_shared=3, n_regions=2)
        else:
            root = models._random_small(rng, int(rng.integers(2, 10)))
        st = models.flatten(root)
        for _ in range(8):
            q01 = (rng.random(st.n_leaves) < 0.3).astype(np.float64)
            fixed = dataclasses.replace(st, q=q01)
            want = n * models.output_down(st, q01)
            for f in (naive, bitpacked):
                got = f(fixed, n, rng=case, chunk=64)
                if got != want:
                    raise AssertionError(
                        f"{f.__name__}: case {case} ({st!r}, leaves down "
                        f"{np.flatnonzero(q01).tolist()}): {got} failures in {n} "
                        f"samples, want {want}")
    return n_cases
