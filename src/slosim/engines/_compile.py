"""Compile a model's :class:`~slosim.model.Structure` to a flat :class:`Program`.

The Program is what the Monte Carlo kernel reads: numpy arrays of leaf
parameters, gate op codes and thresholds, CSR child lists and output node
indices. The Structure says what the model means (a shock is one more basic
event in series with each member); compiling

* samples each basic event as one leaf (a shock's leaf is ORed into its
  members' down bits through the Structure's gates), in the order each
  component is met, followed by its shocks not met before;
* folds constants: a component with unavailability 0 or 1 is not sampled;
  gates over constants simplify (a series with a down child is down, a
  k-of-n with c children up needs k - c more, a negation of a constant is
  the other constant), and a journey that folds to a constant is known
  exactly;
* normalises gates: one child is the child itself, 1-of-n is parallel,
  n-of-n is series, a negation of a negation is its grandchild, and a
  series inside a series (a parallel inside a parallel) with no other
  parent is merged into it;
* picks, per leaf, the cheapest exact sampler and, per k-of-n gate, the
  cheapest exact evaluation (see :mod:`slosim._core._kernels`);
* picks the block size so that the work buffers stay near 1 MiB whatever
  the model size.

Everything here is deterministic in the model: the same model compiles to
the same Program, so a seed reproduces a simulation exactly.
"""

from dataclasses import dataclass, field
from fractions import Fraction
import math
import threading
import weakref

import numpy as np

from .._core import _kernels as K
from ..model import NOT, Structure, as_model, lower
from ._copulas import copula_layout

__all__ = ["Program", "compile_model", "CONST_UP", "CONST_DOWN"]

#: Output index of a journey that is always up / always down.
CONST_UP = -1
CONST_DOWN = -2

_BUFFER_WORDS = 1 << 17  # 1 MiB of uint64 for nodes + scratch rows


@dataclass(frozen=True, eq=False)
class Program:
    """A model lowered to arrays.

    Attributes
    ----------
    leaf_names : tuple of str
        Component (or shock) name of each sampled leaf (index = leaf number).
    leaf_q : ndarray of float64, shape (L,)
        Unavailability of each leaf, strictly between 0 and 1.
    leaf_method : ndarray of int8, shape (L,)
        Sampler per leaf (``LEAF_HITS_DOWN``, ``LEAF_HITS_UP``, ``LEAF_BITS``).
    leaf_lam : ndarray of float64, shape (L,)
        Poisson mean of hits per block for the HITS samplers.
    leaf_qbits : ndarray of uint64, shape (L,)
        ``q * 2**64`` exactly, for the BITS sampler (0 otherwise).
    gate_names : tuple
        Name (or None) of each gate.
    gate_op, gate_param : ndarray, shape (G,)
        Kernel op code and threshold of each gate.
    child_ptr, child_idx : ndarray of int64
        CSR children; node indices are leaves ``0..L-1`` then gates
        ``L..L+G-1`` in topological order.
    journey_names : tuple of str
    outputs : ndarray of int64, shape (J,)
        Node index of each journey, or ``CONST_UP`` / ``CONST_DOWN``.
    block_words : int
        Words per block (a power of two, at most 1024).
    sub_words : int
        Words per sub-block, the unit in which the kernel skips gate
        evaluation where every component is up; does not change results.
    scratch_rows : int
        Rows of scratch the threshold gates need.
    constants : dict
        Component (or shock) name -> ``CONST_UP`` / ``CONST_DOWN`` for
        components with unavailability 0 or 1 and shocks with probability
        0 or 1.
    factor : tuple of ndarray or None
        One-factor copula groups, in the layout of the kernel's ``factor``
        argument; members are ``LEAF_FACTOR`` leaves.
    matrix : tuple of ndarray or None
        Correlation-matrix copula groups (the kernel's ``matrix``);
        members are ``LEAF_MATRIX`` leaves.
    """

    leaf_names: tuple
    leaf_q: np.ndarray
    leaf_method: np.ndarray
    leaf_lam: np.ndarray
    leaf_qbits: np.ndarray
    gate_names: tuple
    gate_op: np.ndarray
    gate_param: np.ndarray
    child_ptr: np.ndarray
    child_idx: np.ndarray
    journey_names: tuple
    outputs: np.ndarray
    block_words: int
    sub_words: int
    scratch_rows: int
    constants: dict = field(default_factory=dict)
    factor: tuple | None = None
    matrix: tuple | None = None

    @property
    def n_leaves(self):
        return len(self.leaf_names)

    @property
    def n_gates(self):
        return len(self.gate_names)

    @property
    def n_nodes(self):
        return self.n_leaves + self.n_gates

    def __repr__(self):
        return (f"Program(leaves={self.n_leaves}, gates={self.n_gates}, "
                f"journeys={len(self.journey_names)}, "
                f"block_words={self.block_words})")


# --- folding -------------------------------------------------------------
# A folded node is CONST_UP, CONST_DOWN, ("leaf", component),
# ("gate", k_up, children_tuple, name) with children folded node ids, or
# ("not", child, name).


def compile_model(model):
    """The :class:`Program` of a model, compiled once and kept.

    Parameters
    ----------
    model : Model, Node, Journey or Structure
        A model (or the :class:`~slosim.model.Structure` that
        :func:`~slosim.model.lower` made of it).

    Returns
    -------
    Program
        The same object for the same model while the model lives: programs
        are cached by the model's Structure, which :func:`~slosim.model.lower`
        caches by model.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import compile_model
    >>> a = ss.Component("a", unavailability=1e-3)
    >>> b = ss.Component("b", unavailability=0.0)
    >>> model = ss.Model(ss.series(a, b, name="j"))
    >>> compile_model(model)
    Program(leaves=1, gates=0, journeys=1, block_words=1024)
    >>> compile_model(model) is compile_model(model)
    True
    """
    structure = model if isinstance(model, Structure) else lower(
        as_model(model, "compile_model"))
    with _LOCK:
        program = _CACHE.get(structure)
    if program is None:
        program = _compile(structure)
        with _LOCK:
            program = _CACHE.setdefault(structure, program)
    return program


_CACHE = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _leaf_order(s):
    """Events in the order the kernel samples them: each component, then
    those of its shocks not met before (the streams depend on it)."""
    C = s.n_components
    shocks_of = [[] for _ in range(C)]
    for k in range(s.n_events - C):
        for m in s.members(k).tolist():
            shocks_of[m].append(C + k)
    placed = bytearray(s.n_events)
    order = []
    for i in range(C):
        order.append(i)
        for e in shocks_of[i]:
            if not placed[e]:
                placed[e] = 1
                order.append(e)
    return order


def _compile(s):
    """Fold, flatten and number the Structure ``s``; pick samplers."""
    folded = [None] * s.n_nodes  # Structure node -> CONST_UP | CONST_DOWN | key
    # node key -> ("leaf", event) | ("gate", k, kids, name) | ("not", kid, name)
    nodes = []
    constants = {}
    q = s.q.tolist()

    def add(spec):
        nodes.append(spec)
        return len(nodes) - 1

    for e in _leaf_order(s):
        if q[e] == 0.0:
            constants[s.events[e]] = folded[e] = CONST_UP
        elif q[e] == 1.0:
            constants[s.events[e]] = folded[e] = CONST_DOWN
        else:
            folded[e] = add(("leaf", e))
    E = s.n_events
    ptr, idx = s.child_ptr.tolist(), s.child_idx.tolist()
    ops = s.gate_op.tolist()
    for g, (k, name) in enumerate(zip(s.gate_k.tolist(), s.gate_names)):
        kids = [folded[c] for c in idx[ptr[g]:ptr[g + 1]]]
        if ops[g] == NOT:
            folded[E + g] = _fold_not(kids[0], name, nodes, add)
        else:
            folded[E + g] = _fold_gate(k, kids, name, add)

    # Keep what the journeys reach; number leaves first, then gates.
    roots = [folded[o] for o in s.outputs.tolist()]
    _flatten(roots, nodes, _reachable(roots, nodes))
    reach = _reachable(roots, nodes)
    leaf_keys = [i for i in reach if nodes[i][0] == "leaf"]
    gate_keys = [i for i in reach if nodes[i][0] != "leaf"]
    index = {key: i for i, key in enumerate(leaf_keys + gate_keys)}

    L = len(leaf_keys)
    gate_op, gate_param, child_ptr, child_idx, gate_names = [], [], [0], [], []
    scratch = 0
    for key in gate_keys:
        if nodes[key][0] == "not":
            _, kid, name = nodes[key]
            kids, (op, param) = (kid,), (K.OP_NOT, 0)
        else:
            _, k_up, kids, name = nodes[key]
            op, param = _choose_op(k_up, len(kids))
        gate_op.append(op)
        gate_param.append(param)
        child_idx.extend(index[c] for c in kids)
        child_ptr.append(len(child_idx))
        gate_names.append(name)
        scratch = max(scratch, K.scratch_rows(op, param, len(kids)))

    outputs = np.array(
        [r if r in (CONST_UP, CONST_DOWN) else index[r] for r in roots], dtype=np.int64
    )
    n_nodes = L + len(gate_keys)
    block_words = _block_words(n_nodes + scratch)
    leaf_events = [nodes[k][1] for k in leaf_keys]
    leaf_q = np.array([q[e] for e in leaf_events], dtype=np.float64)
    method, lam, qbits = _choose_samplers(leaf_q, block_words)
    leaf_of = dict(zip(leaf_events, range(L)))
    factor, matrix = copula_layout(s.copulas, leaf_of, leaf_q, block_words,
                                   method, lam, qbits)
    sub_words = _sub_words(method, lam, block_words)

    def frozen(a, dtype):
        a = np.ascontiguousarray(a, dtype=dtype)
        a.setflags(write=False)
        return a

    return Program(
        leaf_names=tuple(s.events[e] for e in leaf_events),
        leaf_q=frozen(leaf_q, np.float64),
        leaf_method=frozen(method, np.int8),
        leaf_lam=frozen(lam, np.float64),
        leaf_qbits=frozen(qbits, np.uint64),
        gate_names=tuple(gate_names),
        gate_op=frozen(gate_op, np.int8),
        gate_param=frozen(gate_param, np.int64),
        child_ptr=frozen(child_ptr, np.int64),
        child_idx=frozen(child_idx, np.int64),
        journey_names=s.journeys,
        outputs=frozen(outputs, np.int64),
        block_words=block_words,
        sub_words=sub_words,
        scratch_rows=scratch,
        constants=constants,
        factor=factor,
        matrix=matrix,
    )


def _fold_gate(k, kids, name, add):
    """Fold constants out of a gate needing ``k`` of ``kids`` up."""
    n_up = sum(1 for c in kids if c == CONST_UP)
    rest = [c for c in kids if c not in (CONST_UP, CONST_DOWN)]
    k -= n_up
    if k <= 0:
        return CONST_UP
    if k > len(rest):
        return CONST_DOWN
    if len(rest) == 1:
        return rest[0]
    return add(("gate", k, tuple(rest), name))


def _fold_not(kid, name, nodes, add):
    """Fold a negation of ``kid``: a constant's other constant, a
    negation's own child, else a NOT node."""
    if kid == CONST_UP:
        return CONST_DOWN
    if kid == CONST_DOWN:
        return CONST_UP
    if nodes[kid][0] == "not":
        return nodes[kid][1]
    return add(("not", kid, name))


def _kids(spec):
    """The children keys of a folded node (none for a leaf)."""
    if spec[0] == "gate":
        return spec[2]
    return (spec[1],) if spec[0] == "not" else ()


def _kind(spec):
    """'series', 'parallel' or None (k-of-n, leaf) for a folded node."""
    if spec[0] != "gate":
        return None
    if spec[1] == len(spec[2]):
        return "series"
    return "parallel" if spec[1] == 1 else None


def _flatten(roots, nodes, reach):
    """Inline a series child of a series (parallel of a parallel) in place.

    Only children with a single parent that are not journeys are inlined,
    so no node is duplicated and every journey keeps its own row. One pass
    in topological order flattens whole chains.
    """
    parents = {}
    for key in reach:
        for c in _kids(nodes[key]):
            parents[c] = parents.get(c, 0) + 1
    outputs = set(roots)
    for key in reach:
        kind = _kind(nodes[key])
        if kind is None:
            continue
        _, k, kids, name = nodes[key]
        flat = []
        for c in kids:
            if (c >= 0 and _kind(nodes[c]) == kind and parents.get(c) == 1
                    and c not in outputs):
                flat.extend(nodes[c][2])
            else:
                flat.append(c)
        if len(flat) != len(kids):
            nodes[key] = ("gate", len(flat) if kind == "series" else 1,
                          tuple(flat), name)


def _reachable(roots, nodes):
    """Node keys reachable from ``roots``, in increasing (topological) order."""
    seen = set()
    stack = [r for r in roots if r >= 0]
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        stack.extend(c for c in _kids(nodes[key]) if c >= 0)
    return sorted(seen)


def _choose_op(k_up, n):
    """Kernel op and threshold for "at least k_up of n children up"."""
    if k_up == n:
        return K.OP_ANY, 0            # series: down if any child is down
    if k_up == 1:
        return K.OP_ALL, 0            # parallel: down if all are down
    m_down = n - k_up + 1             # down when at least m_down are down
    planes = n.bit_length()
    if min(m_down, k_up) <= planes + 2:
        if m_down <= k_up:
            return K.OP_ATLEAST_DOWN, m_down
        return K.OP_ATLEAST_UP, k_up
    return K.OP_COUNT, m_down


def _block_words(rows):
    """Largest power of two <= 1024 keeping ``rows`` rows within the buffer."""
    bw = 1024
    while bw > 1 and rows * bw > _BUFFER_WORDS:
        bw //= 2
    return bw


def _sub_words(method, lam, block_words):
    """Sub-block size for skipping gate evaluation where nothing is down.

    The largest power of two with at most one expected hit per sub-block
    (so at least about a third of them are clean); skipping cannot pay for
    its bookkeeping below 16 words, nor with a dense leaf, and then the
    sub-block is the whole block.
    """
    if np.any((method == K.LEAF_HITS_UP) | (method == K.LEAF_BITS)):
        return block_words
    hits_per_word = float(np.sum(lam)) / block_words
    sub = block_words
    while sub > 16 and hits_per_word * sub > 1.0:
        sub //= 2
    return sub if hits_per_word * sub <= 1.0 else block_words


def _choose_samplers(q, block_words):
    """Per leaf, the exact sampler with the fewest expected random draws."""
    per_block = block_words * 64
    pbits = per_block.bit_length() - 1
    fields = 64 // pbits
    n = len(q)
    method = np.empty(n, dtype=np.int8)
    lam = np.zeros(n, dtype=np.float64)
    qbits = np.zeros(n, dtype=np.uint64)
    for i, qi in enumerate(q.tolist()):
        lam_down = -math.log1p(-qi) * per_block
        lam_up = -math.log(qi) * per_block
        # expected raw draws per block (+ a few for the Poisson count)
        cost_down = lam_down / fields + 4
        cost_up = lam_up / fields + 4 + block_words
        scaled = Fraction(qi) * (1 << 64)
        if scaled.denominator == 1:
            bits = int(scaled)
            low = (bits & -bits).bit_length() - 1
            cost_bits = (64 - low + 1) * block_words
        else:
            bits, cost_bits = 0, math.inf
        best = min(cost_down, cost_up, cost_bits)
        if best == cost_down:
            method[i], lam[i] = K.LEAF_HITS_DOWN, lam_down
        elif best == cost_up:
            method[i], lam[i] = K.LEAF_HITS_UP, lam_up
        else:
            method[i], qbits[i] = K.LEAF_BITS, bits
    return method, lam, qbits
