"""Monte Carlo kernels of slosim.

Mechanism only: the Python layer (:mod:`slosim.engines`: the compiler and
:func:`slosim.simulate`) validates models, picks sampling methods and block
sizes, allocates every buffer and owns the random streams. The kernels trust
what they are given once :func:`simulate_chunk` has checked shapes and index
ranges.

Conventions, shared with the compiler (``slosim.engines.compile_model``):

* Samples are packed 64 to a ``uint64`` word; a set bit means the sample is
  **down**. Leaves start all-up (zero) and sampled failures set bits.
* A chunk is processed in blocks of ``block_words`` words
  (``block_words * 64`` samples, a power of two). The node buffer holds one
  row of ``block_words`` words per node: leaves first, then gates in
  topological order (children before parents).
* Gate op codes, all in the "down" space:

  - ``OP_ANY``: down when any child is down (a series gate);
  - ``OP_ALL``: down when every child is down (a parallel gate);
  - ``OP_ATLEAST_DOWN``: down when at least ``param`` children are down,
    by the threshold recurrence over down bits;
  - ``OP_ATLEAST_UP``: down unless at least ``param`` children are up, by
    the threshold recurrence over up bits (cheaper when that count is small);
  - ``OP_COUNT``: down when at least ``param`` children are down, by a
    bit-sliced binary counter (for wide gates with a threshold far from both
    ends);
  - ``OP_NOT``: down when its one child is up (the complement of the
    child's words; ``param`` unused). A program with a NOT gate is not
    monotone: a sub-block where every leaf is up is no longer known to
    be all up, so such a program evaluates every sub-block.

* Leaf sampling methods, each an exact sampler of independent Bernoulli(q)
  states:

  - ``LEAF_HITS_DOWN``: Poisson hits with mean ``lam`` per block at uniform
    sample positions; a sample is down when hit at least once, which happens
    with probability ``1 - exp(-lam / samples_per_block) = q``.
  - ``LEAF_HITS_UP``: the same with the roles of up and down swapped (for
    q close to 1).
  - ``LEAF_BITS``: each word built from uniform random words and the binary
    expansion of q held exactly as a 64-bit fixed-point fraction
    (``x = r | x`` for a one bit, ``x = r & x`` for a zero bit, from the
    lowest set bit up).

Random order, per block: for each leaf in order, its draws (HITS: one Poisson
count via numpy's ``random_poisson``, then ``ceil(count / fields)`` raw 64-bit
words whose top ``pbits``-bit fields, most significant first, are the hit
positions; BITS: for each word of the block, one raw word per bit of the
expansion). ``tests/reference.py`` makes the same draws in pure NumPy.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid
from libc.math cimport erfc, exp, log, log1p, isinf, M_SQRT1_2
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memset
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport (random_bounded_uint64, random_poisson,
                                           random_standard_normal)

import numpy as np


cdef extern from "_bitops.h":
    void slosim_eval_gates(uint64_t *buf, int64_t stride, int64_t nw,
                           uint64_t *scratch, int64_t n_leaves,
                           int64_t n_gates, const int8_t *op,
                           const int64_t *param, const int64_t *ptr,
                           const int64_t *kids) noexcept nogil
    void slosim_zero_rows(uint64_t *buf, int64_t stride, int64_t n_rows,
                          int64_t nw) noexcept nogil
    uint64_t slosim_count(const uint64_t *row, const uint64_t *other,
                          int64_t nw_full, int rem) noexcept nogil
    void slosim_invert(uint64_t *row, int64_t nw) noexcept nogil
    int64_t slosim_planes(int64_t n) noexcept nogil


# Op codes and leaf methods; the same numbers are in slosim.compile.
OP_ANY = 0
OP_ALL = 1
OP_ATLEAST_DOWN = 2
OP_ATLEAST_UP = 3
OP_COUNT = 4
OP_NOT = 5
LEAF_HITS_DOWN = 0
LEAF_HITS_UP = 1
LEAF_BITS = 2
LEAF_FACTOR = 3
LEAF_MATRIX = 4
BIN_HITS = 0
BIN_ALL = 1
BIN_DENSE = 2

MAX_BLOCK_WORDS = 1024
# Hits per block beyond this would be slower than the BITS sampler by far;
# slosim.compile never asks for them.
MAX_LAM = 1e9

cdef enum:
    C_OP_ANY = 0
    C_OP_ALL = 1
    C_OP_ATLEAST_DOWN = 2
    C_OP_ATLEAST_UP = 3
    C_OP_COUNT = 4
    C_OP_NOT = 5
    C_LEAF_HITS_DOWN = 0
    C_LEAF_HITS_UP = 1
    C_LEAF_BITS = 2
    C_LEAF_FACTOR = 3
    C_LEAF_MATRIX = 4
    C_BIN_HITS = 0
    C_BIN_ALL = 1
    C_BIN_DENSE = 2


cdef struct Factor:
    # One-factor Gaussian copula groups (see simulate_chunk, ``factor``).
    int64_t n_groups
    const int64_t *group_ptr     # (G + 1) members of each group
    const int64_t *leaf          # (M,) member leaf index
    const double *t              # (M,) Phi^-1(q)
    const double *l              # (M,) loading
    const double *s              # (M,) sqrt(1 - l**2)
    const double *total          # (M,) hit mass of the member's HITS bins
    const int64_t *bin_ptr       # (M + 1) bins of each member
    const int8_t *kind           # (B,) BIN_* per bin
    const int64_t *start         # (B,) first position
    const int64_t *length        # (B,) positions
    const double *lam            # (B,) envelope Poisson mean per position
    const double *low            # (B,) a lower bound of the rate in the run
    const double *cum            # (B,) cumulative hit mass within the member
    const double *edges          # (N + 1) factor quantiles of the strata
    double *cache                # (N,) factor value per position
    uint32_t *stamp              # (N,) cache[p] is valid if stamp[p] == now
    int32_t *perm                # (N,) position of each stratum (groups > 0)
    uint32_t now


cdef struct Matrix:
    # General Gaussian copula groups (see simulate_chunk, ``matrix``).
    int64_t n_groups
    const int64_t *group_ptr     # (G + 1) members of each group
    const int64_t *leaf          # (M,)
    const double *t              # (M,)
    const int64_t *rank          # (G,)
    const int64_t *a_ptr         # (G + 1) offsets into a
    const double *a              # rows of each group's factor, row-major
    double *eps                  # (max rank,) scratch


cdef inline void scatter_hits(bitgen_t *bg, uint64_t *row, int64_t count,
                              int pbits, int fields, uint8_t *touched,
                              int sub_shift) noexcept nogil:
    """Set ``count`` uniform bit positions of ``row`` (2**pbits bits) and
    flag the sub-blocks (2**sub_shift bits each) they fall in."""
    cdef uint64_t u, pos
    cdef int _, take
    while count > 0:
        u = bg.next_uint64(bg.state)
        take = fields if count >= fields else <int>count
        count -= take
        for _ in range(take):
            pos = u >> (64 - pbits)
            u <<= pbits
            row[pos >> 6] |= (<uint64_t>1) << (pos & 63)
            touched[pos >> sub_shift] = 1


cdef inline void bits_row(bitgen_t *bg, uint64_t *row, int64_t nw,
                          uint64_t qbits) noexcept nogil:
    """Fill ``row`` with independent Bernoulli(qbits / 2**64) bits."""
    cdef int64_t w
    cdef int p
    cdef int low = 0
    cdef uint64_t x, r
    while not (qbits >> low) & 1:
        low += 1
    for w in range(nw):
        x = 0
        for p in range(low, 64):
            r = bg.next_uint64(bg.state)
            if (qbits >> p) & 1:
                x = x | r
            else:
                x = x & r
        row[w] = x


cdef inline void set_down(uint64_t *row, int64_t pos, uint8_t *touched,
                          int sub_shift) noexcept nogil:
    row[pos >> 6] |= (<uint64_t>1) << (pos & 63)
    touched[pos >> sub_shift] = 1


cdef inline double lam_of(double x) noexcept nogil:
    """-log(1 - Phi(x)): the Poisson mean whose P(at least one) is Phi(x)."""
    if x < 0.0:
        return -log1p(-0.5 * erfc(-x * M_SQRT1_2))
    return -log(0.5 * erfc(x * M_SQRT1_2))


cdef inline double uniform_open(bitgen_t *bg) noexcept nogil:
    """Uniform on (0, 1]."""
    return 1.0 - bg.next_double(bg.state)


cdef double normal_tail(bitgen_t *bg, double c) noexcept nogil:
    """Standard normal conditioned on exceeding ``c > 0`` (Marsaglia 1964)."""
    cdef double x, y
    while True:
        x = -log(uniform_open(bg)) / c
        y = -log(uniform_open(bg))
        if 2.0 * y > x * x:
            return c + x


cdef double normal_between(bitgen_t *bg, double a, double b) noexcept nogil:
    """Standard normal conditioned on [a, b] (a < b; either may be infinite).

    Finite strata by rejection from the uniform on [a, b] (they are
    narrow); the two end strata by the tail algorithm.
    """
    cdef double f, m, far, sure, u
    if isinf(a):
        return -normal_tail(bg, -b)
    if isinf(b):
        return normal_tail(bg, a)
    m = a if a > 0.0 else (b if b < 0.0 else 0.0)
    far = b if b > -a else a
    # the density ratio exp(-(f**2 - m**2) / 2) on [a, b] is at least
    # 1 - (far**2 - m**2) / 2: below it, accept without computing the
    # ratio (nearly always, for the narrow strata)
    sure = 1.0 - 0.5 * (far * far - m * m)
    while True:
        f = a + (b - a) * bg.next_double(bg.state)
        u = bg.next_double(bg.state)
        if (u < sure or u < exp(-0.5 * (f * f - m * m))) and a <= f <= b:
            return f


cdef inline double factor_at(bitgen_t *bg, Factor *fc, int64_t pos) noexcept nogil:
    """The factor value of position ``pos``, drawn in its stratum when first
    needed in this block."""
    if fc.stamp[pos] != fc.now:
        fc.stamp[pos] = fc.now
        fc.cache[pos] = normal_between(bg, fc.edges[pos], fc.edges[pos + 1])
    return fc.cache[pos]


cdef inline bint down_given(bitgen_t *bg, double f, double t, double l,
                            double s) noexcept nogil:
    """One Bernoulli(q(f)) draw for a member with threshold t and loading l:
    its latent variable l f + s e, e standard normal, below t."""
    if s == 0.0:
        return l * f < t
    return l * f + s * random_standard_normal(bg) < t


cdef inline int64_t position(Factor *fc, bint shuffled, int64_t stratum) noexcept nogil:
    return fc.perm[stratum] if shuffled else stratum


cdef void factor_block(bitgen_t *bg, Factor *fc, uint64_t *buf, int64_t nw,
                       int64_t n_valid, uint8_t *touched,
                       int sub_shift) noexcept nogil:
    """Sample every one-factor group's members for one block.

    A full block is stratified in each factor: each position holds a
    factor value from its own one of the N equal-probability strata, drawn
    only when some member needs it. The first group's stratum p is at
    position p; every further group's strata are placed by a fresh uniform
    permutation (a Latin hypercube over the factors), so that the groups'
    factors are independent at every position. Member i's failures are
    Poisson hits at the rate of an envelope, piecewise constant over runs
    of strata and at least lam_i(F) = -log(1 - q_i(F)) over each run, each
    hit kept with probability lam_i(F) / envelope: the kept hits are
    Poisson at rate lam_i(F), so the position is down with probability
    exactly q_i(F), and the work is proportional to the failures. Runs
    where q_i may be large (BIN_DENSE) draw the factor and the member's
    latent normal at every stratum; runs where a loading of +-1 makes the
    member surely down (BIN_ALL) are set whole. A partial block (the end
    of a run) draws an independent factor value and member states per
    sample.
    """
    cdef int64_t g, mi, bi, lo, hi, mid, p, _, hits, j, per_block = nw * 64
    cdef int32_t tmp
    cdef bint shuffled
    cdef double f, u
    cdef uint64_t *row
    for g in range(fc.n_groups):
        fc.now += 1
        if n_valid < per_block:
            for p in range(n_valid):
                f = random_standard_normal(bg)
                for mi in range(fc.group_ptr[g], fc.group_ptr[g + 1]):
                    if down_given(bg, f, fc.t[mi], fc.l[mi], fc.s[mi]):
                        set_down(buf + fc.leaf[mi] * nw, p, touched, sub_shift)
            continue
        shuffled = g > 0
        if shuffled:  # Fisher-Yates: uniform from any starting arrangement
            for p in range(per_block - 1, 0, -1):
                j = <int64_t>random_bounded_uint64(bg, 0, <uint64_t>p, 0, 0)
                tmp = fc.perm[p]
                fc.perm[p] = fc.perm[j]
                fc.perm[j] = tmp
        for mi in range(fc.group_ptr[g], fc.group_ptr[g + 1]):
            row = buf + fc.leaf[mi] * nw
            lo = fc.bin_ptr[mi]
            hi = fc.bin_ptr[mi + 1]
            for bi in range(lo, hi):
                if fc.kind[bi] == C_BIN_ALL:
                    for p in range(fc.start[bi], fc.start[bi] + fc.length[bi]):
                        set_down(row, position(fc, shuffled, p), touched, sub_shift)
                elif fc.kind[bi] == C_BIN_DENSE:
                    for p in range(fc.start[bi], fc.start[bi] + fc.length[bi]):
                        f = factor_at(bg, fc, p)
                        if down_given(bg, f, fc.t[mi], fc.l[mi], fc.s[mi]):
                            set_down(row, position(fc, shuffled, p), touched,
                                     sub_shift)
            if fc.total[mi] <= 0.0:
                continue
            hits = random_poisson(bg, fc.total[mi])
            for _ in range(hits):
                u = bg.next_double(bg.state) * fc.total[mi]
                lo = fc.bin_ptr[mi]
                hi = fc.bin_ptr[mi + 1] - 1
                while lo < hi:  # first bin with cum > u
                    mid = (lo + hi) >> 1
                    if fc.cum[mid] > u:
                        hi = mid
                    else:
                        lo = mid + 1
                p = fc.start[lo] + <int64_t>random_bounded_uint64(
                    bg, 0, <uint64_t>(fc.length[lo] - 1), 0, 0)
                f = factor_at(bg, fc, p)
                u = bg.next_double(bg.state) * fc.lam[lo]
                # the rate is at least low[lo] in the run: most hits are
                # kept without computing it
                if u < fc.low[lo] or u < lam_of((fc.t[mi] - fc.l[mi] * f) / fc.s[mi]):
                    set_down(row, position(fc, shuffled, p), touched, sub_shift)


cdef void matrix_block(bitgen_t *bg, Matrix *mx, uint64_t *buf, int64_t nw,
                       int64_t n_valid, uint8_t *touched,
                       int sub_shift) noexcept nogil:
    """Sample every correlation-matrix group's members for one block: per
    sample, Z = A e with e standard normal; member i is down if Z_i < t_i."""
    cdef int64_t g, mi, k, p, r
    cdef const double *a
    cdef double z
    for g in range(mx.n_groups):
        r = mx.rank[g]
        for p in range(n_valid):
            for k in range(r):
                mx.eps[k] = random_standard_normal(bg)
            a = mx.a + mx.a_ptr[g]
            for mi in range(mx.group_ptr[g], mx.group_ptr[g + 1]):
                z = 0.0
                for k in range(r):
                    z += a[k] * mx.eps[k]
                a += r
                if z < mx.t[mi]:
                    set_down(buf + mx.leaf[mi] * nw, p, touched, sub_shift)


cdef void run_chunk(bitgen_t *bg, int64_t n_samples, int64_t nw, int pbits,
                    int64_t n_leaves, const double *lam, const int8_t *method,
                    const uint64_t *qbits, int64_t n_gates, const int8_t *op,
                    const int64_t *param, const int64_t *ptr,
                    const int64_t *kids, int64_t n_out, const int64_t *outputs,
                    int64_t sub, uint64_t *buf, uint64_t *scratch,
                    uint8_t *touched,
                    uint64_t *failures, uint64_t *joint,
                    Factor *fc, Matrix *mx) noexcept nogil:
    """Draw and evaluate every block of one chunk.

    Gates are evaluated only on the sub-blocks (``sub`` words) where
    some leaf is down: elsewhere every node is up (unless a NOT gate
    makes the program non-monotone: then every sub-block is evaluated).
    Leaf rows are all zero between blocks; only the touched sub-blocks
    are cleared again.
    """
    cdef int64_t per_block = nw * 64
    cdef int64_t n_blocks = (n_samples + per_block - 1) // per_block
    cdef int64_t n_sub = nw // sub
    cdef int sub_shift = 6
    cdef int fields = 64 // pbits
    cdef int64_t b, i, o, s, off, hits, valid, nw_full
    cdef int rem
    cdef bint dense = 0
    cdef uint64_t *row
    while ((<int64_t>1) << sub_shift) < sub * 64:
        sub_shift += 1
    for i in range(n_leaves):
        if method[i] != C_LEAF_HITS_DOWN and method[i] != C_LEAF_FACTOR \
                and method[i] != C_LEAF_MATRIX:
            dense = 1
    for i in range(n_gates):
        if op[i] == C_OP_NOT:
            dense = 1   # an all-up sub-block can have a down node
    memset(buf, 0, <size_t>(n_leaves * nw) * sizeof(uint64_t))
    for b in range(n_blocks):
        memset(touched, dense, <size_t>n_sub)
        for i in range(n_leaves):
            row = buf + i * nw
            if method[i] == C_LEAF_BITS:
                bits_row(bg, row, nw, qbits[i])
            elif method[i] == C_LEAF_FACTOR or method[i] == C_LEAF_MATRIX:
                pass  # sampled with its copula group, below
            else:
                hits = random_poisson(bg, lam[i])
                if hits > 0:
                    scatter_hits(bg, row, hits, pbits, fields, touched, sub_shift)
                if method[i] == C_LEAF_HITS_UP:
                    slosim_invert(row, nw)
        valid = n_samples - b * per_block
        if fc.n_groups:
            factor_block(bg, fc, buf, nw, valid if valid < per_block else per_block,
                         touched, sub_shift)
        if mx.n_groups:
            matrix_block(bg, mx, buf, nw, valid if valid < per_block else per_block,
                         touched, sub_shift)
        for s in range(n_sub):
            if not touched[s]:
                continue  # every leaf up here: every node up
            off = s * sub
            slosim_eval_gates(buf + off, nw, sub, scratch, n_leaves, n_gates,
                              op, param, ptr, kids)
            if valid > off * 64:
                if valid >= (off + sub) * 64:
                    nw_full, rem = sub, 0
                else:
                    nw_full = (valid - off * 64) // 64
                    rem = <int>((valid - off * 64) % 64)
                for o in range(n_out):
                    row = buf + outputs[o] * nw + off
                    failures[o] += slosim_count(row, NULL, nw_full, rem)
                    if joint != NULL:
                        for i in range(n_leaves):
                            joint[o * n_leaves + i] += slosim_count(
                                row, buf + i * nw + off, nw_full, rem)
            slosim_zero_rows(buf + off, nw, n_leaves, sub)


def simulate_chunk(bit_generator, int64_t n_samples,
                   const double[::1] leaf_lam not None,
                   const int8_t[::1] leaf_method not None,
                   const uint64_t[::1] leaf_qbits not None,
                   const int8_t[::1] gate_op not None,
                   const int64_t[::1] gate_param not None,
                   const int64_t[::1] child_ptr not None,
                   const int64_t[::1] child_idx not None,
                   const int64_t[::1] outputs not None,
                   uint64_t[:, ::1] nodes not None,
                   uint64_t[:, ::1] scratch not None,
                   uint64_t[::1] failures not None,
                   uint64_t[:, ::1] joint=None, sub_words=None,
                   factor=None, matrix=None):
    """Simulate ``n_samples`` samples of a compiled program; add to counts.

    Parameters
    ----------
    bit_generator : numpy.random.BitGenerator
        The chunk's own stream; its lock is held while drawing.
    n_samples : int
        Samples in this chunk (> 0).
    leaf_lam : float64 array, shape (L,)
        Poisson mean of hits per block for HITS leaves (ignored for BITS).
    leaf_method : int8 array, shape (L,)
        ``LEAF_*`` code per leaf.
    leaf_qbits : uint64 array, shape (L,)
        Unavailability as a 64-bit fixed-point fraction for BITS leaves.
    gate_op, gate_param : arrays, shape (G,)
        ``OP_*`` code and threshold per gate.
    child_ptr, child_idx : int64 arrays, shapes (G + 1,) and (E,)
        Children of gate g are ``child_idx[child_ptr[g]:child_ptr[g + 1]]``,
        node indices below ``L + g``.
    outputs : int64 array, shape (J,)
        Node index of each journey.
    nodes : uint64 array, shape (L + G, block_words)
        Work buffer; ``block_words`` a power of two in [1, 1024].
    scratch : uint64 array, shape (S, block_words)
        Work buffer for threshold gates (rows as ``scratch_rows`` needs).
    failures : uint64 array, shape (J,)
        Down samples per journey, added to.
    joint : uint64 array, shape (J, L), optional
        Samples in which both journey j and leaf i are down, added to.
    sub_words : int, optional
        Words per sub-block, a power of two dividing ``block_words``
        (default: ``block_words``). Gates are evaluated only on sub-blocks
        where some leaf is down; the random stream does not depend on it.
    factor : tuple of arrays, optional
        One-factor copula groups, whose members are ``LEAF_FACTOR`` leaves:
        ``(group_ptr, leaf, t, l, s, total, bin_ptr, kind, start, length,
        lam, low, cum, edges)`` as built by ``slosim.compile`` (see
        ``factor_block``); ``edges`` has ``block_words * 64 + 1`` entries.
    matrix : tuple of arrays, optional
        Correlation-matrix copula groups, whose members are ``LEAF_MATRIX``
        leaves: ``(group_ptr, leaf, t, rank, a_ptr, a)``.

    Notes
    -----
    Random order per block: the leaves in order, then the factor groups,
    then the matrix groups.
    """
    cdef int64_t n_leaves = leaf_lam.shape[0]
    cdef int64_t n_gates = gate_op.shape[0]
    cdef int64_t n_out = outputs.shape[0]
    cdef int64_t nw = nodes.shape[1]
    cdef int64_t g, c, i, need = 0, n_kids
    cdef int pbits = 0
    cdef uint64_t *joint_ptr = NULL
    cdef bitgen_t *bg
    cdef const char *capsule_name = "BitGenerator"

    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    if leaf_method.shape[0] != n_leaves or leaf_qbits.shape[0] != n_leaves:
        raise ValueError("leaf arrays differ in length")
    if gate_param.shape[0] != n_gates or child_ptr.shape[0] != n_gates + 1:
        raise ValueError("gate arrays differ in length")
    if nodes.shape[0] != n_leaves + n_gates:
        raise ValueError(f"nodes must have {n_leaves + n_gates} rows, "
                         f"got {nodes.shape[0]}")
    if nw < 1 or nw > MAX_BLOCK_WORDS or (nw & (nw - 1)) != 0:
        raise ValueError(f"block_words must be a power of two in "
                         f"[1, {MAX_BLOCK_WORDS}], got {nw}")
    if scratch.shape[1] != nw:
        raise ValueError("scratch and nodes differ in block_words")
    if failures.shape[0] != n_out:
        raise ValueError(f"failures must have {n_out} entries")
    if joint is not None:
        if joint.shape[0] != n_out or joint.shape[1] != n_leaves:
            raise ValueError(f"joint must have shape ({n_out}, {n_leaves})")
        joint_ptr = &joint[0, 0]
    while ((<int64_t>1) << pbits) < nw * 64:
        pbits += 1
    for i in range(n_leaves):
        if leaf_method[i] == C_LEAF_BITS:
            if leaf_qbits[i] == 0:
                raise ValueError(f"leaf {i}: BITS method needs qbits > 0")
        elif leaf_method[i] == C_LEAF_HITS_DOWN or leaf_method[i] == C_LEAF_HITS_UP:
            if not (0.0 <= leaf_lam[i] <= MAX_LAM):
                raise ValueError(f"leaf {i}: Poisson mean must be finite, in "
                                 f"[0, {MAX_LAM:g}]; got {leaf_lam[i]}")
        elif leaf_method[i] != C_LEAF_FACTOR and leaf_method[i] != C_LEAF_MATRIX:
            raise ValueError(f"leaf {i}: unknown method {leaf_method[i]}")
    if child_ptr[0] != 0 or child_ptr[n_gates] != child_idx.shape[0]:
        raise ValueError("child_ptr does not span child_idx")
    for g in range(n_gates):
        n_kids = child_ptr[g + 1] - child_ptr[g]
        if n_kids < 1:
            raise ValueError(f"gate {g} has no children")
        for c in range(child_ptr[g], child_ptr[g + 1]):
            if child_idx[c] < 0 or child_idx[c] >= n_leaves + g:
                raise ValueError(f"gate {g}: child index {child_idx[c]} "
                                 f"is not an earlier node")
        if gate_op[g] == C_OP_ATLEAST_DOWN or gate_op[g] == C_OP_ATLEAST_UP:
            if gate_param[g] < 1 or gate_param[g] > n_kids:
                raise ValueError(f"gate {g}: threshold outside 1..{n_kids}")
            need = max(need, gate_param[g])
        elif gate_op[g] == C_OP_COUNT:
            if gate_param[g] < 1 or gate_param[g] > n_kids:
                raise ValueError(f"gate {g}: threshold outside 1..{n_kids}")
            need = max(need, slosim_planes(n_kids) + 2)
        elif gate_op[g] == C_OP_NOT:
            if n_kids != 1:
                raise ValueError(f"gate {g}: a NOT gate has one child, got {n_kids}")
        elif gate_op[g] != C_OP_ANY and gate_op[g] != C_OP_ALL:
            raise ValueError(f"gate {g}: unknown op {gate_op[g]}")
    if scratch.shape[0] < need:
        raise ValueError(f"scratch needs at least {need} rows")
    for i in range(n_out):
        if outputs[i] < 0 or outputs[i] >= n_leaves + n_gates:
            raise ValueError(f"output {i} is not a node index")

    if not isinstance(bit_generator, np.random.BitGenerator):
        raise TypeError(f"bit_generator must be a numpy.random.BitGenerator, "
                        f"got {type(bit_generator).__name__}")
    capsule = bit_generator.capsule
    if not PyCapsule_IsValid(capsule, capsule_name):
        raise TypeError("bit_generator has no valid BitGenerator capsule")
    bg = <bitgen_t *> PyCapsule_GetPointer(capsule, capsule_name)

    # An empty program (no leaves) cannot reach here from slosim.compile; a
    # zero-size memoryview has no element 0 to point at.
    if n_leaves == 0 or n_out == 0:
        raise ValueError("program has no leaves or no outputs")

    cdef int64_t sub = nw if sub_words is None else sub_words
    if sub < 1 or sub > nw or (sub & (sub - 1)) != 0:
        raise ValueError(f"sub_words must be a power of two in [1, {nw}], "
                         f"got {sub}")
    touched = np.empty(nw // sub, dtype=np.uint8)
    cdef uint8_t[::1] touched_view = touched
    cdef Factor fc
    cdef Matrix mx
    memset(&fc, 0, sizeof(Factor))
    memset(&mx, 0, sizeof(Matrix))
    keep = []  # the arrays behind fc and mx, alive through the call
    n_copula = 0
    if factor is not None:
        n_copula += _factor_struct(&fc, factor, leaf_method, nw * 64, keep)
    if matrix is not None:
        n_copula += _matrix_struct(&mx, matrix, leaf_method, keep)
    for i in range(n_leaves):
        if leaf_method[i] == C_LEAF_FACTOR or leaf_method[i] == C_LEAF_MATRIX:
            n_copula -= 1
    if n_copula != 0:
        raise ValueError("every LEAF_FACTOR / LEAF_MATRIX leaf must be a member "
                         "of exactly one copula group of its kind")
    with bit_generator.lock, nogil:
        run_chunk(bg, n_samples, nw, pbits, n_leaves, &leaf_lam[0],
                  &leaf_method[0], &leaf_qbits[0], n_gates,
                  &gate_op[0] if n_gates else NULL,
                  &gate_param[0] if n_gates else NULL,
                  &child_ptr[0],
                  &child_idx[0] if child_idx.shape[0] else NULL,
                  n_out, &outputs[0], sub, &nodes[0, 0],
                  &scratch[0, 0] if scratch.shape[0] else NULL,
                  &touched_view[0], &failures[0], joint_ptr, &fc, &mx)


def _array(keep, value, dtype, name, length=None):
    a = np.ascontiguousarray(value, dtype=dtype)
    if a.ndim != 1 or (length is not None and a.shape[0] != length):
        raise ValueError(f"{name} must be 1-D" + (
            f" with {length} entries" if length is not None else ""))
    keep.append(a)
    return a


def _groups(keep, tuple arrays, const int8_t[::1] method, int code, str what):
    """``(group_ptr, leaf)`` of a copula layout, checked: every group has at
    least two members, distinct leaves whose method is ``code``."""
    gp = _array(keep, arrays[0], np.int64, f"{what} group_ptr")
    if gp.shape[0] < 1 or gp[0] != 0 or np.any(np.diff(gp) < 2):
        raise ValueError(f"{what} group_ptr must start at 0 and give every "
                         f"group at least two members")
    M = int(gp[gp.shape[0] - 1])
    leaf = _array(keep, arrays[1], np.int64, f"{what} leaf", M)
    if np.any((leaf < 0) | (leaf >= method.shape[0])) or len(set(leaf.tolist())) != M:
        raise ValueError(f"{what} leaf indices must be distinct leaves")
    kind = "LEAF_FACTOR" if code == C_LEAF_FACTOR else "LEAF_MATRIX"
    if np.any(np.asarray(method)[leaf] != code):
        raise ValueError(f"{what} members must be {kind} leaves")
    return gp, leaf


cdef int64_t _factor_struct(Factor *fc, tuple arrays, const int8_t[::1] method,
                            int64_t per_block, list keep) except -1:
    """Check the factor arrays; point ``fc`` at them. Returns the members."""
    if len(arrays) != 14:
        raise ValueError("factor must be a tuple of 14 arrays")
    gp, leaf = _groups(keep, arrays, method, C_LEAF_FACTOR, "factor")
    G, M = gp.shape[0] - 1, leaf.shape[0]
    t = _array(keep, arrays[2], np.float64, "factor t", M)
    l = _array(keep, arrays[3], np.float64, "factor l", M)
    s = _array(keep, arrays[4], np.float64, "factor s", M)
    total = _array(keep, arrays[5], np.float64, "factor total", M)
    bp = _array(keep, arrays[6], np.int64, "factor bin_ptr", M + 1)
    B = int(bp[M])
    kind = _array(keep, arrays[7], np.int8, "factor kind", B)
    start = _array(keep, arrays[8], np.int64, "factor start", B)
    length = _array(keep, arrays[9], np.int64, "factor length", B)
    lam = _array(keep, arrays[10], np.float64, "factor lam", B)
    low = _array(keep, arrays[11], np.float64, "factor low", B)
    cum = _array(keep, arrays[12], np.float64, "factor cum", B)
    edges = _array(keep, arrays[13], np.float64, "factor edges", per_block + 1)
    if not (np.all(np.isfinite(t)) and np.all(np.abs(l) <= 1) and np.all(s >= 0)
            and np.all(np.isfinite(total)) and np.all(total >= 0)):
        raise ValueError("factor t, l, s, total out of range")
    if bp[0] != 0 or np.any(np.diff(bp) < 0):
        raise ValueError("factor bin_ptr must be non-decreasing from 0")
    if np.any((start < 0) | (length < 1) | (start + length > per_block)):
        raise ValueError("factor bins must lie within the block")
    if np.any((kind < 0) | (kind > C_BIN_DENSE)):
        raise ValueError("factor bin kind unknown")
    hits = kind == C_BIN_HITS
    if np.any(hits & ~((lam > 0) & np.isfinite(lam))):
        raise ValueError("factor HITS bins need a finite positive lam")
    if np.any(hits & ~((low >= 0) & (low <= lam))):
        raise ValueError("factor low must lie in [0, lam]")
    for m in range(M):
        if s[m] == 0 and np.any(hits[bp[m]:bp[m + 1]]):
            raise ValueError("a member with loading +-1 has no HITS bins")
        if bp[m + 1] > bp[m] and not (cum[bp[m + 1] - 1] == total[m]):
            raise ValueError("factor cum must end at the member's total")
    if edges[0] != -np.inf or edges[per_block] != np.inf or np.any(np.diff(edges) <= 0):
        raise ValueError("factor edges must increase from -inf to inf")
    cache = np.empty(per_block, dtype=np.float64)
    stamp = np.zeros(per_block, dtype=np.uint32)
    perm = np.arange(per_block, dtype=np.int32)
    keep += [cache, stamp, perm]
    cdef const int64_t[::1] v_gp = gp, v_leaf = leaf, v_bp = bp, v_start = start
    cdef const int64_t[::1] v_length = length
    cdef const double[::1] v_t = t, v_l = l, v_s = s, v_total = total
    cdef const double[::1] v_lam = lam, v_low = low, v_cum = cum, v_edges = edges
    cdef const int8_t[::1] v_kind = kind
    cdef double[::1] v_cache = cache
    cdef uint32_t[::1] v_stamp = stamp
    cdef int32_t[::1] v_perm = perm
    fc.n_groups = G
    if G == 0:
        return 0
    fc.group_ptr = &v_gp[0]
    fc.leaf = &v_leaf[0]
    fc.t = &v_t[0]
    fc.l = &v_l[0]
    fc.s = &v_s[0]
    fc.total = &v_total[0]
    fc.bin_ptr = &v_bp[0]
    if B:
        fc.kind = &v_kind[0]
        fc.start = &v_start[0]
        fc.length = &v_length[0]
        fc.lam = &v_lam[0]
        fc.low = &v_low[0]
        fc.cum = &v_cum[0]
    fc.edges = &v_edges[0]
    fc.cache = &v_cache[0]
    fc.stamp = &v_stamp[0]
    fc.perm = &v_perm[0]
    fc.now = 0
    return M


cdef int64_t _matrix_struct(Matrix *mx, tuple arrays, const int8_t[::1] method,
                            list keep) except -1:
    """Check the matrix arrays; point ``mx`` at them. Returns the members."""
    if len(arrays) != 6:
        raise ValueError("matrix must be a tuple of 6 arrays")
    gp, leaf = _groups(keep, arrays, method, C_LEAF_MATRIX, "matrix")
    G, M = gp.shape[0] - 1, leaf.shape[0]
    t = _array(keep, arrays[2], np.float64, "matrix t", M)
    rank = _array(keep, arrays[3], np.int64, "matrix rank", G)
    ap = _array(keep, arrays[4], np.int64, "matrix a_ptr", G + 1)
    a = _array(keep, arrays[5], np.float64, "matrix a")
    if np.any(rank < 1) or ap[0] != 0 or np.any(
            np.diff(ap) != np.diff(gp) * rank) or ap[G] != a.shape[0]:
        raise ValueError("matrix a_ptr must give each group members x rank entries")
    if not (np.all(np.isfinite(a)) and np.all(~np.isnan(t))):
        raise ValueError("matrix a and t must be numbers")
    eps = np.empty(max(1, int(rank.max()) if G else 1), dtype=np.float64)
    keep.append(eps)
    cdef const int64_t[::1] v_gp = gp, v_leaf = leaf, v_rank = rank, v_ap = ap
    cdef const double[::1] v_t = t, v_a = a
    cdef double[::1] v_eps = eps
    mx.n_groups = G
    if G == 0:
        return 0
    mx.group_ptr = &v_gp[0]
    mx.leaf = &v_leaf[0]
    mx.t = &v_t[0]
    mx.rank = &v_rank[0]
    mx.a_ptr = &v_ap[0]
    mx.a = &v_a[0]
    mx.eps = &v_eps[0]
    return M


def scratch_rows(int8_t op, int64_t param, int64_t n_kids):
    """Scratch rows a gate needs (0 for OP_ANY, OP_ALL and OP_NOT)."""
    if op == C_OP_ATLEAST_DOWN or op == C_OP_ATLEAST_UP:
        return param
    if op == C_OP_COUNT:
        return slosim_planes(n_kids) + 2
    return 0
