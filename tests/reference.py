"""A readable pure-NumPy reference of ``slosim._core._kernels.simulate_chunk``.

It makes the same random draws, in the same order, from the same bit
generator as the kernel, so the two agree bit for bit; everything else is
written the plain way, independently of the kernel's bit tricks:

* a block of ``block_words * 64`` samples is a boolean array, ``True`` for a
  down sample; sample ``s`` of a block is bit ``s % 64`` of word ``s // 64``;
* gates are evaluated by counting down children per sample (``np.sum`` of
  booleans), not by the kernel's threshold recurrence or bit-sliced counter;
* every block is evaluated and counted in full, including the blocks (or
  parts of blocks) the kernel skips because no leaf is down there (every
  journey is up there too: counting them checks that the skip is sound).

Random draws per block, for each leaf in order (see the kernel's docstring):

* ``LEAF_BITS``: for each word of the block, one raw 64-bit word per bit of
  the binary expansion of ``qbits / 2**64``, from its lowest set bit up to
  bit 63; the word is ``x = r | x`` for a one bit and ``x = r & x`` for a
  zero bit, starting from ``x = 0``.
* ``LEAF_HITS_DOWN`` / ``LEAF_HITS_UP``: one Poisson count with mean
  ``lam`` (numpy's ``random_poisson``, here through
  ``Generator(bit_generator).poisson``, which calls it on the same state),
  then ``ceil(count / fields)`` raw words, each holding
  ``fields = 64 // pbits`` hit positions in its top ``pbits``-bit fields,
  most significant first (``2**pbits`` samples per block); a hit sample is
  down (HITS_DOWN) or up (HITS_UP).

The kernel takes raw words with ``next_uint64``; this reference takes them
with ``BitGenerator.random_raw``, which returns the same words for numpy's
64-bit generators (PCG64, PCG64DXSM, Philox, SFC64; not MT19937, whose raw
output is 32 bits wide).
"""

import numpy as np

# The kernel's codes, written out here (test_kernels checks they agree).
OP_ANY, OP_ALL, OP_ATLEAST_DOWN, OP_ATLEAST_UP, OP_COUNT = 0, 1, 2, 3, 4
LEAF_HITS_DOWN, LEAF_HITS_UP, LEAF_BITS = 0, 1, 2

__all__ = ["simulate_chunk_reference", "run_program"]

_RAW64 = ("PCG64", "PCG64DXSM", "Philox", "SFC64")


def _raw_words(bit_generator, n):
    """The next ``n`` raw 64-bit words of the stream (none drawn for 0)."""
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.asarray(bit_generator.random_raw(n), dtype=np.uint64).reshape(n)


def _words_to_samples(words):
    """uint64 words -> booleans, bit ``b`` of word ``w`` is sample ``64 w + b``."""
    as_bytes = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)
    return np.unpackbits(as_bytes, bitorder="little").astype(bool)


def _bits_leaf(bit_generator, qbits, block_words):
    """A block of Bernoulli(qbits / 2**64) samples from the binary expansion."""
    qbits = int(qbits)
    low = (qbits & -qbits).bit_length() - 1  # lowest set bit
    draws = _raw_words(bit_generator, block_words * (64 - low))
    draws = draws.reshape(block_words, 64 - low)  # word-major, as drawn
    x = np.zeros(block_words, dtype=np.uint64)
    for j, p in enumerate(range(low, 64)):
        if (qbits >> p) & 1:
            x = draws[:, j] | x
        else:
            x = draws[:, j] & x
    return _words_to_samples(x)


def _hits(bit_generator, generator, lam, pbits):
    """A block with a Poisson(lam) number of hits at uniform positions."""
    per_block = 1 << pbits
    fields = 64 // pbits
    count = int(generator.poisson(lam))
    hit = np.zeros(per_block, dtype=bool)
    if count <= 0:
        return hit
    words = _raw_words(bit_generator, -(-count // fields))
    # field f of a word is bits [64 - pbits (f + 1), 64 - pbits f)
    shifts = np.array([64 - pbits * (f + 1) for f in range(fields)], dtype=np.uint64)
    positions = (words[:, None] >> shifts[None, :]) & np.uint64(per_block - 1)
    hit[positions.reshape(-1)[:count]] = True  # the last word may be partial
    return hit


def _evaluate_gates(states, gate_op, gate_param, child_ptr, child_idx):
    """Append each gate's down samples to ``states`` (a list of rows)."""
    for g in range(len(gate_op)):
        kids = [states[c] for c in child_idx[child_ptr[g]:child_ptr[g + 1]]]
        n = len(kids)
        op, t = int(gate_op[g]), int(gate_param[g])
        n_down = np.sum(kids, axis=0)
        if op == OP_ANY:        # series: down when any child is down
            down = np.logical_or.reduce(kids)
        elif op == OP_ALL:      # parallel: down when every child is down
            down = np.logical_and.reduce(kids)
        elif op in (OP_ATLEAST_DOWN, OP_COUNT):
            down = n_down >= t
        elif op == OP_ATLEAST_UP:  # down unless at least t children are up
            down = (n - n_down) < t
        else:
            raise ValueError(f"unknown op {op}")
        states.append(down)


def simulate_chunk_reference(bit_generator, n_samples, leaf_lam, leaf_method,
                             leaf_qbits, gate_op, gate_param, child_ptr,
                             child_idx, outputs, block_words, joint=False):
    """Failure counts of ``n_samples`` samples of a program, as the kernel.

    Parameters
    ----------
    bit_generator : numpy.random.BitGenerator
        Advanced exactly as the kernel advances it.
    n_samples : int
    leaf_lam, leaf_method, leaf_qbits, gate_op, gate_param, child_ptr,
    child_idx, outputs : array_like
        The kernel's program arrays.
    block_words : int
        Words per block (the kernel's ``nodes.shape[1]``).
    joint : bool
        Also count, per journey and leaf, the samples where both are down.

    Returns
    -------
    failures : ndarray of uint64, shape (J,)
    joint : ndarray of uint64, shape (J, L), or None

    Examples
    --------
    >>> import numpy as np
    >>> f, _ = simulate_chunk_reference(
    ...     np.random.PCG64(1), 1000, [0.0], [LEAF_BITS], [2**63], [], [], [0],
    ...     [], [0], block_words=2)
    >>> 400 < int(f[0]) < 600   # q = 1/2
    True
    """
    name = type(bit_generator).__name__
    if name not in _RAW64:
        raise TypeError(f"random_raw of {name} is not next_uint64")
    leaf_method = [int(m) for m in leaf_method]
    outputs = [int(o) for o in outputs]
    n_leaves = len(leaf_method)
    per_block = block_words * 64
    pbits = per_block.bit_length() - 1
    generator = np.random.Generator(bit_generator)  # shares the state
    failures = np.zeros(len(outputs), dtype=np.uint64)
    both = np.zeros((len(outputs), n_leaves), dtype=np.uint64)
    for start in range(0, n_samples, per_block):
        states = []
        for i, method in enumerate(leaf_method):
            if method == LEAF_BITS:
                states.append(_bits_leaf(bit_generator, leaf_qbits[i], block_words))
            elif method == LEAF_HITS_DOWN:
                states.append(_hits(bit_generator, generator, leaf_lam[i], pbits))
            elif method == LEAF_HITS_UP:
                states.append(~_hits(bit_generator, generator, leaf_lam[i], pbits))
            else:
                raise ValueError(f"unknown method {method}")
        _evaluate_gates(states, gate_op, gate_param, child_ptr, child_idx)
        valid = min(per_block, n_samples - start)  # the last block is partial
        for o, node in enumerate(outputs):
            down = states[node][:valid]
            failures[o] += np.count_nonzero(down)
            for i in range(n_leaves):
                both[o, i] += np.count_nonzero(down & states[i][:valid])
    return failures, (both if joint else None)


def run_program(program, bit_generator, n_samples, *, joint=False):
    """:func:`simulate_chunk_reference` on a compiled ``Program``'s arrays.

    Only the journeys that are not constants are counted, in order.
    """
    outputs = program.outputs[program.outputs >= 0]
    return simulate_chunk_reference(
        bit_generator, n_samples, program.leaf_lam, program.leaf_method,
        program.leaf_qbits, program.gate_op, program.gate_param,
        program.child_ptr, program.child_idx, outputs,
        program.block_words, joint=joint)
