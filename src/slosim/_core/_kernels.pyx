"""Monte Carlo kernels of slosim.

Mechanism only: the Python layer (:mod:`slosim.compile`, :mod:`slosim.simulate`)
validates models, picks sampling methods and block sizes, allocates every
buffer and owns the random streams. The kernels trust what they are given once
:func:`simulate_chunk` has checked shapes and index ranges.

Conventions, shared with :mod:`slosim.compile`:

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
    ends).

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
from libc.stdint cimport int8_t, int64_t, uint8_t, uint64_t
from libc.string cimport memset
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport random_poisson

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
LEAF_HITS_DOWN = 0
LEAF_HITS_UP = 1
LEAF_BITS = 2

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
    C_LEAF_HITS_DOWN = 0
    C_LEAF_HITS_UP = 1
    C_LEAF_BITS = 2



cdef inline void scatter_hits(bitgen_t *bg, uint64_t *row, int64_t count,
                              int pbits, int fields, uint8_t *touched,
                              int sub_shift) noexcept nogil:
    """Set ``count`` uniform bit positions of ``row`` (2**pbits bits) and
    flag the sub-blocks (2**sub_shift bits each) they fall in."""
    cdef uint64_t u, pos
    cdef int f, take
    while count > 0:
        u = bg.next_uint64(bg.state)
        take = fields if count >= fields else <int>count
        count -= take
        for f in range(take):
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


cdef void run_chunk(bitgen_t *bg, int64_t n_samples, int64_t nw, int pbits,
                    int64_t n_leaves, const double *lam, const int8_t *method,
                    const uint64_t *qbits, int64_t n_gates, const int8_t *op,
                    const int64_t *param, const int64_t *ptr,
                    const int64_t *kids, int64_t n_out, const int64_t *outputs,
                    int64_t sub, uint64_t *buf, uint64_t *scratch,
                    uint8_t *touched,
                    uint64_t *failures, uint64_t *joint) noexcept nogil:
    """Draw and evaluate every block of one chunk.

    Gates are evaluated only on the sub-blocks (``sub`` words) where
    some leaf is down: elsewhere every node is up. Leaf rows are all zero
    between blocks; only the touched sub-blocks are cleared again.
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
        if method[i] != C_LEAF_HITS_DOWN:
            dense = 1
    memset(buf, 0, <size_t>(n_leaves * nw) * sizeof(uint64_t))
    for b in range(n_blocks):
        memset(touched, dense, <size_t>n_sub)
        for i in range(n_leaves):
            row = buf + i * nw
            if method[i] == C_LEAF_BITS:
                bits_row(bg, row, nw, qbits[i])
            else:
                hits = random_poisson(bg, lam[i])
                if hits > 0:
                    scatter_hits(bg, row, hits, pbits, fields, touched, sub_shift)
                if method[i] == C_LEAF_HITS_UP:
                    slosim_invert(row, nw)
        valid = n_samples - b * per_block
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
                   uint64_t[:, ::1] joint=None, sub_words=None):
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
        else:
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
    with bit_generator.lock, nogil:
        run_chunk(bg, n_samples, nw, pbits, n_leaves, &leaf_lam[0],
                  &leaf_method[0], &leaf_qbits[0], n_gates,
                  &gate_op[0] if n_gates else NULL,
                  &gate_param[0] if n_gates else NULL,
                  &child_ptr[0],
                  &child_idx[0] if child_idx.shape[0] else NULL,
                  n_out, &outputs[0], sub, &nodes[0, 0],
                  &scratch[0, 0] if scratch.shape[0] else NULL,
                  &touched_view[0], &failures[0], joint_ptr)


def scratch_rows(int8_t op, int64_t param, int64_t n_kids):
    """Scratch rows a gate needs (0 for OP_ANY and OP_ALL)."""
    if op == C_OP_ATLEAST_DOWN or op == C_OP_ATLEAST_UP:
        return param
    if op == C_OP_COUNT:
        return slosim_planes(n_kids) + 2
    return 0
