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

With every leaf a member of a Gaussian copula (see the section at the end):

* :func:`copula_naive`, :func:`copula_bitpacked`: one-factor loadings;
  the factor and one normal per leaf per sample, then the gates of
  :func:`naive` / :func:`bitpacked`;
* :func:`matrix_naive`, :func:`matrix_bitpacked`: a correlation matrix;
  ``Z = A e`` per chunk (``A`` its Cholesky factor, the product by
  ``np.einsum`` on one thread), then the same gates.
"""

import dataclasses

import numpy as np

import slosim as ss

from . import models

__all__ = ["naive", "bitpacked", "sparse", "copula_naive", "copula_bitpacked",
           "matrix_naive", "matrix_bitpacked", "check_copula_baselines"]


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
        failures += int(np.count_nonzero(_naive_output(st, down)))
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


def _packed_failures(plan, n, chunk, who, fill):
    """Failures of ``plan``'s output in ``n`` samples, ``chunk`` at a time.

    For each chunk of ``m`` samples, ``fill(W, m)`` writes the leaf rows
    ``W[:L]`` (``m // 64`` words each, a set bit = down); the word-wise
    gates of :func:`_gates` do the rest. ``W`` is allocated once (and once
    more for a shorter last chunk), always C-contiguous.
    """
    if n % 64 or chunk % 64:
        raise ValueError(f"{who}: n and chunk must be multiples of 64")
    chunk = min(chunk, n)
    W = np.empty((plan.rows, chunk // 64), dtype=np.uint64)
    failures = 0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        if W.shape[1] != m // 64:
            W = np.empty((plan.rows, m // 64), dtype=np.uint64)
        fill(W, m)
        _gates(plan, W)
        failures += int(np.bitwise_count(W[plan.output]).sum())
        done += m
    return failures


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
    rng = np.random.default_rng(rng)
    plan = _Plan(st)
    u = np.empty(min(chunk, n))
    b = np.empty(min(chunk, n), dtype=bool)

    def fill(W, m):
        for i, qi in enumerate(plan.q):
            rng.random(out=u[:m])
            np.less(u[:m], qi, out=b[:m])
            W[i] = np.packbits(b[:m]).view(np.uint64)

    return _packed_failures(plan, n, chunk, "bitpacked", fill)


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
    if not np.all((st.q > 0) & (st.q < 1)):
        raise ValueError("sparse: unavailabilities must be in (0, 1)")
    rng = np.random.default_rng(rng)
    L = plan.L
    q = np.asarray(st.q, dtype=np.float64)
    one = np.uint64(1)

    def fill(W, m):
        flat = _failure_positions(rng, q, m)        # leaf * m + sample
        word = flat >> 6                            # = leaf * (m // 64) + word
        bits = np.left_shift(one, (flat & 63).astype(np.uint64))
        first = np.flatnonzero(np.diff(word, prepend=-1))
        leaves = W[:L].reshape(-1)
        leaves[:] = 0
        leaves[word[first]] = np.bitwise_or.reduceat(bits, first)

    return _packed_failures(plan, n, chunk, "sparse", fill)


def _random_structures(rng, n_cases):
    """Small random structures for the checks: random DAGs from
    :mod:`models` and random small models, alternately."""
    for case in range(n_cases):
        if case % 2:
            root = models.random_dag(int(rng.integers(8, 15)), seed=case,
                                     n_shared=3, n_regions=2)
        else:
            root = models._random_small(rng, int(rng.integers(2, 10)))
        yield models.flatten(root)


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
    for case, st in enumerate(_random_structures(rng, n_cases)):
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


# --- Gaussian copulas ---------------------------------------------------------
#
# Every leaf of the structure is a member of one Gaussian copula: leaf i is
# down when Z_i < Phi^-1(q_i), with Z standard normal, correlated either
# through one factor (Z_i = l_i F + sqrt(1 - l_i**2) e_i) or through a
# correlation matrix R (Z = A e, A A^T = R). One normal per leaf per sample
# (plus the factor); the gates are those of naive and bitpacked.


def _thresholds(st):
    """``Phi^-1(q_i)`` per leaf (``-inf`` for q = 0, ``inf`` for q = 1)."""
    from scipy import special

    return special.ndtri(np.asarray(st.q, dtype=np.float64))


def _check_loadings(st, loadings, who):
    l = np.asarray(loadings, dtype=np.float64)
    if l.shape != (st.n_leaves,) or not np.all(np.abs(l) <= 1):
        raise ValueError(f"{who}: need one loading in [-1, 1] per leaf "
                         f"({st.n_leaves}), got {loadings!r}")
    return l, np.sqrt(1 - l * l)


def _factor_matrix(st, correlation, who):
    """``A`` with ``A @ A.T == correlation``: Cholesky, or from the
    eigendecomposition for a singular (semidefinite) matrix."""
    r = np.asarray(correlation, dtype=np.float64)
    L = st.n_leaves
    if r.shape != (L, L) or not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1):
        raise ValueError(f"{who}: correlation must be a symmetric ({L}, {L}) "
                         f"matrix with a unit diagonal, one row per leaf")
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(r)
        if w[0] < -1e-10:
            raise ValueError(f"{who}: correlation is not positive semidefinite "
                             f"(smallest eigenvalue {w[0]:.3g})") from None
        return v * np.sqrt(np.clip(w, 0, None))


def _naive_output(st, down):
    """Output row of the boolean gates of :func:`naive` over leaf rows ``down``."""
    rows = list(down)
    for k_up, kids in st.gates:
        x = np.stack([rows[c] for c in kids])
        if k_up == len(kids):
            rows.append(np.any(x, axis=0))
        elif k_up == 1:
            rows.append(np.all(x, axis=0))
        else:
            rows.append(np.sum(~x, axis=0) < k_up)
    return rows[st.output]


def copula_naive(st, loadings, n, *, rng=None, chunk=1 << 14):
    """Failures in ``n`` samples, one-factor copula, boolean rows.

    Per chunk of ``m`` samples: ``F = rng.standard_normal(m)``,
    ``e = rng.standard_normal((L, m))``, leaf ``i`` down where
    ``l_i F + sqrt(1 - l_i**2) e_i < Phi^-1(q_i)``; the gates of
    :func:`naive`.

    Parameters
    ----------
    st : models.Structure
    loadings : array_like, shape (L,)
        One per leaf, in [-1, 1].
    n : int
    rng : seed or Generator
    chunk : int
        Samples per chunk.

    Returns
    -------
    int
    """
    rng = np.random.default_rng(rng)
    l, s = _check_loadings(st, loadings, "copula_naive")
    l, s, t = l[:, None], s[:, None], _thresholds(st)[:, None]
    L = st.n_leaves
    failures = 0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        f = rng.standard_normal(m)
        down = l * f + s * rng.standard_normal((L, m)) < t
        failures += int(np.count_nonzero(_naive_output(st, down)))
        done += m
    return failures


def copula_bitpacked(st, loadings, n, *, rng=None, chunk=1 << 16):
    """Failures in ``n`` samples, one-factor copula, bit-packed gates.

    The draws of :func:`copula_naive` (the factor, then one normal per leaf
    per sample), in preallocated buffers; each leaf's states packed with
    ``np.packbits`` and evaluated by the word-wise gates of
    :func:`bitpacked`.

    Parameters
    ----------
    st : models.Structure
    loadings : array_like, shape (L,)
        One per leaf, in [-1, 1].
    n : int
        A multiple of 64.
    rng : seed or Generator
    chunk : int
        Samples per chunk, a multiple of 64.

    Returns
    -------
    int
    """
    rng = np.random.default_rng(rng)
    l, s = _check_loadings(st, loadings, "copula_bitpacked")
    t = _thresholds(st)
    plan = _Plan(st)
    size = min(chunk, n)
    f, z, lf = np.empty(size), np.empty(size), np.empty(size)
    b = np.empty(size, dtype=bool)

    def fill(W, m):
        rng.standard_normal(out=f[:m])
        for i in range(plan.L):
            rng.standard_normal(out=z[:m])
            np.multiply(z[:m], s[i], out=z[:m])
            np.multiply(f[:m], l[i], out=lf[:m])
            np.add(z[:m], lf[:m], out=z[:m])
            np.less(z[:m], t[i], out=b[:m])
            W[i] = np.packbits(b[:m]).view(np.uint64)

    return _packed_failures(plan, n, chunk, "copula_bitpacked", fill)


def matrix_naive(st, correlation, n, *, rng=None, chunk=1 << 14):
    """Failures in ``n`` samples, copula given by its correlation matrix,
    boolean rows.

    ``A`` is the Cholesky factor of ``correlation`` (rows and columns in
    leaf order; from the eigendecomposition if it is singular). Per chunk:
    ``Z = A e`` with ``e = rng.standard_normal((L, m))``, leaf ``i`` down
    where ``Z_i < Phi^-1(q_i)``; the gates of :func:`naive`.

    The product is ``np.einsum`` (one thread), not ``np.matmul``: the BLAS
    behind ``matmul`` may use every core, which would make this a
    multi-threaded baseline (the others are single-threaded). On a
    12-leaf model the product costs about a quarter of the normal draws.

    Parameters
    ----------
    st : models.Structure
    correlation : array_like, shape (L, L)
    n : int
    rng : seed or Generator
    chunk : int

    Returns
    -------
    int
    """
    rng = np.random.default_rng(rng)
    a = _factor_matrix(st, correlation, "matrix_naive")
    t = _thresholds(st)[:, None]
    L = st.n_leaves
    failures = 0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        down = np.einsum("ij,jk->ik", a, rng.standard_normal((L, m))) < t
        failures += int(np.count_nonzero(_naive_output(st, down)))
        done += m
    return failures


def matrix_bitpacked(st, correlation, n, *, rng=None, chunk=1 << 16):
    """Failures in ``n`` samples, copula given by its correlation matrix,
    bit-packed gates.

    The draws of :func:`matrix_naive` in preallocated buffers (``Z = A e``
    by one ``np.einsum`` per chunk), the leaf rows packed with
    ``np.packbits`` and evaluated by the word-wise gates of
    :func:`bitpacked`.

    Parameters
    ----------
    st : models.Structure
    correlation : array_like, shape (L, L)
    n : int
        A multiple of 64.
    rng : seed or Generator
    chunk : int
        Samples per chunk, a multiple of 64.

    Returns
    -------
    int
    """
    rng = np.random.default_rng(rng)
    a = _factor_matrix(st, correlation, "matrix_bitpacked")
    t = _thresholds(st)[:, None]
    plan = _Plan(st)
    L = plan.L
    buffers = {}

    def fill(W, m):
        if m not in buffers:    # (L, m) buffers, C-contiguous for out=
            buffers.clear()
            buffers[m] = (np.empty((L, m)), np.empty((L, m)),
                          np.empty((L, m), dtype=bool))
        e, z, b = buffers[m]
        rng.standard_normal(out=e)
        np.einsum("ij,jk->ik", a, e, out=z)
        np.less(z, t, out=b)
        W[:L] = np.packbits(b, axis=1).view(np.uint64)

    return _packed_failures(plan, n, chunk, "matrix_bitpacked", fill)


def _random_correlation(rng, L):
    """A random correlation matrix, singular for some draws (rank < L)."""
    rank = int(rng.integers(1, L + 1))
    a = rng.standard_normal((L, rank))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    r = a @ a.T
    r = (r + r.T) / 2
    np.fill_diagonal(r, 1.0)
    return r


def check_copula_baselines(n_cases=30, *, seed=2025, n=1 << 18):
    """Check the copula baselines: gate logic exactly, sampling statistically.

    * With every unavailability 0 or 1 the leaf states are fixed whatever
      the normals (``Phi^-1`` is ``-inf`` or ``inf``), so on random small
      DAGs, random loadings (some of them +-1) and random correlation
      matrices (some singular), every baseline must count no failure or
      all samples, as :func:`models.output_down` says.
    * On a 2-of-3 gate with one-factor loadings of both signs, the failure
      count of :func:`copula_naive`, :func:`copula_bitpacked` and (with
      ``outer(l, l)``) :func:`matrix_naive` and :func:`matrix_bitpacked`
      must lie in the two-sided 5-sigma range of Binomial(n, u), ``u``
      from :func:`models.copula_exact_unavailability`.
    * On three components in parallel with a general correlation matrix,
      the matrix baselines' count must lie in that range for ``u`` the
      trivariate normal distribution function at the thresholds (SciPy).

    Raises
    ------
    AssertionError
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    m = 192
    for case, st in enumerate(_random_structures(rng, n_cases)):
        L = st.n_leaves
        for _ in range(4):
            q01 = (rng.random(L) < 0.3).astype(np.float64)
            fixed = dataclasses.replace(st, q=q01)
            want = m * models.output_down(st, q01)
            l = np.where(rng.random(L) < 0.2, rng.choice([-1.0, 1.0], L),
                         rng.uniform(-1, 1, L))
            r = _random_correlation(rng, L)
            for f, arg in ((copula_naive, l), (copula_bitpacked, l),
                           (matrix_naive, r), (matrix_bitpacked, r)):
                got = f(fixed, arg, m, rng=case, chunk=64)
                if got != want:
                    raise AssertionError(
                        f"{f.__name__}: case {case} ({st!r}, leaves down "
                        f"{np.flatnonzero(q01).tolist()}): {got} failures in {m} "
                        f"samples, want {want}")

    coverage = 1 - 2 * stats.norm.sf(5)

    def within(name, got, u):
        lo, hi = stats.binom.interval(coverage, n, u)
        if not lo <= got <= hi:
            raise AssertionError(f"{name}: {got} failures in {n} samples "
                                 f"({got / n:.5g}); exact {u:.6g} allows "
                                 f"{int(lo)}..{int(hi)}")

    c = [ss.Component(f"c{i}", unavailability=x) for i, x in enumerate([0.05, 0.1, 0.2])]
    st = models.flatten(ss.k_of_n(2, c, name="top"))
    l = np.array([0.8, 0.5, -0.4])
    r = np.outer(l, l)
    np.fill_diagonal(r, 1.0)
    u = models.copula_exact_unavailability(st, l)
    for f, arg in ((copula_naive, l), (copula_bitpacked, l),
                   (matrix_naive, r), (matrix_bitpacked, r)):
        within(f"{f.__name__} (2-of-3, one factor)", f(st, arg, n, rng=seed), u)

    q = np.array([0.2, 0.3, 0.25])
    c = [ss.Component(f"c{i}", unavailability=x) for i, x in enumerate(q)]
    st = models.flatten(ss.parallel(*c, name="top"))
    r = np.array([[1.0, 0.7, -0.2], [0.7, 1.0, 0.1], [-0.2, 0.1, 1.0]])
    leaf = [int(name[1:]) for name in st.names]   # leaf j is component leaf[j]
    r = r[np.ix_(leaf, leaf)]
    mvn = stats.multivariate_normal(cov=r, abseps=1e-7, releps=1e-7, seed=0)
    u = float(mvn.cdf(_thresholds(st)))
    for f in (matrix_naive, matrix_bitpacked):
        within(f"{f.__name__} (parallel, general matrix)", f(st, r, n, rng=seed), u)
    return n_cases
