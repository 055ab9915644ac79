"""The kernel's layout of Gaussian copulas: one-factor groups and matrices.

A one-factor group stratifies the factor over the positions of a block and
samples each member by thinned hits (or, where its failure probability is
large, its latent normal) in runs of positions with one envelope rate; a
correlation-matrix group draws ``Z = A e`` per sample from a factor ``A``
of the matrix. See :mod:`slosim._core._kernels`.
"""

import math

import numpy as np

from .._core import _kernels as K

__all__ = ["copula_layout"]

#: Eigenvalues below this fraction of the largest are rounding: the model
#: accepts correlation matrices whose smallest eigenvalue is above -1e-10.
_RANK_TOL = 1e-10
# A factor member's envelope over positions may vary by this ratio within a
# run; the kernel keeps a hit with probability lam(F) / envelope.
_ENVELOPE_RATIO = 1.2
# Above this envelope (Poisson mean per position; q above about 0.26) drawing
# the member's latent normal at every position is cheaper than thinned hits.
_DENSE_LAM = 0.3


def copula_layout(copulas, leaf_of, leaf_q, block_words, method, lam, qbits):
    """Kernel arrays ``(factor, matrix)`` for a Structure's copulas.

    ``leaf_of`` maps a basic event to its Program leaf (events folded to
    constants have none). Marks the members' leaf methods in ``method``,
    ``lam`` and ``qbits``. Members folded to constants (unavailability 0
    or 1) do not vary; a one-factor member with loading 0 is independent; a
    group left with fewer than two varying members is sampled as
    independent leaves.
    """
    from scipy.special import ndtri

    factor, matrix = [], []
    for cop in copulas:
        events = cop.events.tolist()
        keep = [k for k, e in enumerate(events) if e in leaf_of]
        leaves = [leaf_of[events[k]] for k in keep]
        if cop.one_factor:
            loads = cop.loadings[keep]
            leaves = [i for i, x in zip(leaves, loads) if x != 0.0]
            loads = loads[loads != 0.0]
            if len(leaves) >= 2:
                factor.append((leaves, loads))
        elif len(leaves) >= 2:
            matrix.append((leaves, cop.correlation[np.ix_(keep, keep)]))
    per_block = block_words * 64
    factor_arrays = matrix_arrays = None
    if factor:
        edges = _strata_edges(per_block)
        ptr, leaves, t, l, s, total, bin_ptr = [0], [], [], [], [], [], [0]
        kind, start, length, env, low, cum = [], [], [], [], [], []
        for members, loads in factor:
            for i, li in zip(members, loads.tolist()):
                ti = float(ndtri(leaf_q[i]))
                si = math.sqrt(max(0.0, 1.0 - li * li))
                bins = _factor_bins(ti, li, si, edges)
                leaves.append(i)
                t.append(ti)
                l.append(li)
                s.append(si)
                for arr, part in zip((kind, start, length, env, low, cum), bins):
                    arr.extend(part.tolist())
                total.append(float(bins[5][-1]) if len(bins[5]) else 0.0)
                bin_ptr.append(len(kind))
                method[i], lam[i], qbits[i] = K.LEAF_FACTOR, -math.log1p(
                    -leaf_q[i]) * per_block, 0
            ptr.append(len(leaves))
        factor_arrays = _frozen_tuple(
            (ptr, np.int64), (leaves, np.int64), (t, np.float64),
            (l, np.float64), (s, np.float64), (total, np.float64),
            (bin_ptr, np.int64), (kind, np.int8), (start, np.int64),
            (length, np.int64), (env, np.float64), (low, np.float64),
            (cum, np.float64), (edges, np.float64))
    if matrix:
        ptr, leaves, t, rank, a_ptr, a = [0], [], [], [], [0], []
        for members, r in matrix:
            fac = _latent_factor(r)
            for i in members:
                leaves.append(i)
                t.append(float(ndtri(leaf_q[i])))
                method[i], lam[i], qbits[i] = K.LEAF_MATRIX, -math.log1p(
                    -leaf_q[i]) * per_block, 0
            rank.append(fac.shape[1])
            a.extend(fac.ravel().tolist())
            a_ptr.append(len(a))
            ptr.append(len(leaves))
        matrix_arrays = _frozen_tuple(
            (ptr, np.int64), (leaves, np.int64), (t, np.float64),
            (rank, np.int64), (a_ptr, np.int64), (a, np.float64))
    return factor_arrays, matrix_arrays


def _frozen_tuple(*pairs):
    out = []
    for values, dtype in pairs:
        a = np.ascontiguousarray(values, dtype=dtype)
        a.setflags(write=False)
        out.append(a)
    return tuple(out)


def _strata_edges(n):
    """Factor values splitting N(0, 1) into ``n`` equal-probability strata:
    ``Phi^-1(p / n)`` for ``p = 0..n``, symmetric to the last bit."""
    from scipy.special import ndtri

    half = ndtri(np.arange(n // 2 + 1) / n)
    return np.concatenate([half, -half[-2::-1]])


def _factor_bins(t, l, s, edges):
    """Runs of positions for a factor member:
    (kind, start, length, lam, low, cum).

    Position p holds a factor value in ``[edges[p], edges[p + 1]]``, where
    the member's failure probability ``q(F) = Phi((t - l F) / s)`` is
    monotone, so its envelope ``-log(1 - q)`` is largest at an edge. Runs
    of HITS positions share one envelope (their largest) within a ratio of
    ``_ENVELOPE_RATIO``; ``low`` is the smallest rate of a run (the kernel
    keeps a hit without computing its rate when the thinning draw is below
    it). Positions where q may exceed about 0.26 are DENSE; with a loading
    of +-1 (``s == 0``) q is 0 or 1 but at one position.
    """
    from scipy.special import log_ndtr

    n = len(edges) - 1
    if s == 0.0:
        down = l * edges < t                       # at each edge
        kind = np.full(n, -1, dtype=np.int8)      # -1: never down
        kind[down[:-1] & down[1:]] = K.BIN_ALL
        kind[down[:-1] != down[1:]] = K.BIN_DENSE
        key = kind.astype(np.float64)
        env = floor = np.zeros(n)
    else:
        with np.errstate(invalid="ignore"):
            x = (t - l * edges) / s
        x[np.isnan(x)] = t                          # l * (+-inf) with l == 0
        lam_edge = -log_ndtr(-x)
        env = np.maximum(lam_edge[:-1], lam_edge[1:])
        floor = np.minimum(lam_edge[:-1], lam_edge[1:])
        env = np.maximum(env, 1e-300)               # q > 0 everywhere
        kind = np.where(env > _DENSE_LAM, K.BIN_DENSE, K.BIN_HITS).astype(np.int8)
        key = np.where(kind == K.BIN_HITS,
                       np.floor(np.log(env) / math.log(_ENVELOPE_RATIO)), np.inf)
    cut = np.flatnonzero((key[1:] != key[:-1]) | (kind[1:] != kind[:-1])) + 1
    start = np.concatenate([[0], cut])
    length = np.diff(np.concatenate([start, [n]]))
    run_kind = kind[start]
    run_env = np.maximum.reduceat(env, start)
    run_low = np.minimum.reduceat(floor, start)
    keep = run_kind >= 0
    start, length, run_kind, run_env, run_low = (
        start[keep], length[keep], run_kind[keep], run_env[keep], run_low[keep])
    mass = np.where(run_kind == K.BIN_HITS, run_env * length, 0.0)
    run_env = np.where(run_kind == K.BIN_HITS, run_env, 0.0)
    # rounding may put the rate a hair below the bound at an edge: shade it
    run_low = np.where(run_kind == K.BIN_HITS, run_low * (1 - 1e-12), 0.0)
    return run_kind, start, length, run_env, run_low, np.cumsum(mass)


def _latent_factor(r):
    """``A`` with unit rows and ``A @ A.T == r`` (to rounding), rank columns.

    From the eigendecomposition (a semidefinite matrix has no Cholesky
    factor); tiny negative eigenvalues are rounding and become zero. Rows
    are rescaled to unit length so each member's latent variable has
    variance exactly one: the marginals do not depend on rounding.
    """
    w, v = np.linalg.eigh(r)
    keep = w > _RANK_TOL * max(1.0, float(w[-1]))
    a = v[:, keep] * np.sqrt(w[keep])
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    return np.ascontiguousarray(a[:, ::-1])
