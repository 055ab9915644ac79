"""Lower a :class:`~slosim.model.Model` to a flat :class:`Program`.

The Program is what the kernels read: numpy arrays of leaf parameters, gate
op codes and thresholds, CSR child lists and output node indices. Compiling
also

* turns each common-cause shock into one more leaf, in series with each of
  its members (a shock is sampled like a component and ORed into its
  members' down bits);
* folds constants: a component with unavailability 0 or 1 is not sampled;
  gates over constants simplify (a series with a down child is down, a
  k-of-n with c children up needs k - c more), and a journey that folds to a
  constant is known exactly;
* normalises gates: one child is the child itself, 1-of-n is parallel,
  n-of-n is series, and a series inside a series (a parallel inside a
  parallel) with no other parent is merged into it;
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

import numpy as np

from ._core import _kernels as K
from .model import Component, Service

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
# A folded node is CONST_UP, CONST_DOWN, ("leaf", component) or
# ("gate", k_up, children_tuple, name) with children folded node ids.


def compile_model(model):
    """Compile ``model`` to a :class:`Program`.

    Parameters
    ----------
    model : slosim.Model

    Returns
    -------
    Program

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.compile import compile_model
    >>> a = ss.Component("a", unavailability=1e-3)
    >>> b = ss.Component("b", unavailability=0.0)
    >>> compile_model(ss.Model(ss.series(a, b, name="j")))
    Program(leaves=1, gates=0, journeys=1, block_words=1024)
    """
    folded = {}  # id(model node) -> CONST_UP | CONST_DOWN | int (node key)
    nodes = []   # node key -> ("leaf", name, q) | ("gate", k, kids, name)
    constants = {}

    def add(spec):
        nodes.append(spec)
        return len(nodes) - 1

    def leaf(name, q):
        if q == 0.0:
            constants[name] = CONST_UP
            return CONST_UP
        if q == 1.0:
            constants[name] = CONST_DOWN
            return CONST_DOWN
        return add(("leaf", name, q))

    shock_leaf = {}

    def own(node):
        """The node's own component, in series with the shocks that hit it."""
        key = leaf(node.name, node.unavailability)
        shocks = model._shocks_of.get(id(node))
        if not shocks:
            return key
        for sh in shocks:
            if sh.name not in shock_leaf:
                shock_leaf[sh.name] = leaf(sh.name, sh.probability)
        kids = [key] + [shock_leaf[sh.name] for sh in shocks]
        return _fold_gate(len(kids), kids, None, add)

    for node in model._order:
        kids = [folded[id(c)] for c in model._kids[id(node)]]
        if isinstance(node, Component):
            folded[id(node)] = own(node)
            continue
        if isinstance(node, Service):
            kids = [own(node)] + kids
            k, name = len(kids), node.name
        else:
            k, name = node.k, node.name
        folded[id(node)] = _fold_gate(k, kids, name, add)

    # Keep what the journeys reach; number leaves first, then gates.
    roots = [folded[id(j.node)] for j in model.journeys]
    _flatten(roots, nodes, _reachable(roots, nodes))
    reach = _reachable(roots, nodes)
    leaf_keys = [i for i in reach if nodes[i][0] == "leaf"]
    gate_keys = [i for i in reach if nodes[i][0] == "gate"]
    index = {key: i for i, key in enumerate(leaf_keys + gate_keys)}

    L = len(leaf_keys)
    gate_op, gate_param, child_ptr, child_idx, gate_names = [], [], [0], [], []
    scratch = 0
    for key in gate_keys:
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
    leaf_q = np.array([nodes[k][2] for k in leaf_keys], dtype=np.float64)
    leaf_names = tuple(nodes[k][1] for k in leaf_keys)
    method, lam, qbits = _choose_samplers(leaf_q, block_words)
    factor, matrix = _copulas(model, leaf_names, leaf_q, block_words,
                              method, lam, qbits)
    sub_words = _sub_words(method, lam, block_words)

    def frozen(a, dtype):
        a = np.ascontiguousarray(a, dtype=dtype)
        a.setflags(write=False)
        return a

    return Program(
        leaf_names=leaf_names,
        leaf_q=frozen(leaf_q, np.float64),
        leaf_method=frozen(method, np.int8),
        leaf_lam=frozen(lam, np.float64),
        leaf_qbits=frozen(qbits, np.uint64),
        gate_names=tuple(gate_names),
        gate_op=frozen(gate_op, np.int8),
        gate_param=frozen(gate_param, np.int64),
        child_ptr=frozen(child_ptr, np.int64),
        child_idx=frozen(child_idx, np.int64),
        journey_names=tuple(j.name for j in model.journeys),
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
        if nodes[key][0] == "gate":
            for c in nodes[key][2]:
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
        if nodes[key][0] == "gate":
            stack.extend(nodes[key][2])
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


# --- copulas ----------------------------------------------------------------
# A factor member's envelope over positions may vary by this ratio within a
# run; the kernel keeps a hit with probability lam(F) / envelope.
_ENVELOPE_RATIO = 1.2
# Above this envelope (Poisson mean per position; q above about 0.26) drawing
# the member's latent normal at every position is cheaper than thinned hits.
_DENSE_LAM = 0.3


def _copulas(model, leaf_names, leaf_q, block_words, method, lam, qbits):
    """Kernel arrays for the model's copulas; marks members' leaf methods.

    Members folded to constants (unavailability 0 or 1) do not vary; a
    one-factor member with loading 0 is independent; a group left with
    fewer than two varying members is sampled as independent leaves.
    """
    from scipy.special import ndtri

    from .copula import latent_factor

    index = {name: i for i, name in enumerate(leaf_names)}
    factor, matrix = [], []
    for cop in model._copulas:
        keep = [k for k, m in enumerate(cop.members)
                if (m if isinstance(m, str) else m.name) in index]
        names = [cop.members[k] if isinstance(cop.members[k], str)
                 else cop.members[k].name for k in keep]
        if cop.one_factor:
            loads = cop.loadings[keep]
            names = [n for n, x in zip(names, loads) if x != 0.0]
            loads = loads[loads != 0.0]
            if len(names) >= 2:
                factor.append(([index[n] for n in names], loads))
        elif len(names) >= 2:
            matrix.append(([index[n] for n in names],
                           cop.correlation[np.ix_(keep, keep)]))
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
            fac = latent_factor(r)
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
