"""Preprocessing of a Structure before its decision diagrams are built.

What PRA engines do to a fault tree before building a diagram, on the
graph of a :class:`~slosim.model.Structure` (leaves ``0..E-1``, its basic
events; gates after them, each with its children):

* **constant and single-child gates**: a k-of-n gate with ``k = n`` is a
  series gate and with ``k = 1`` a parallel one; a series or parallel gate
  lists each child once; a gate left with one child is that child; a
  negation of a negation is the node itself. (A Structure has no constant
  nodes: a gate has at least one child and ``1 <= k <= n``; an event of
  probability 0 or 1 stays a variable, because :func:`slosim.exact`
  reports its conditionals too.)
* **coalescing**: a series (parallel) child of a series (parallel) gate
  that has no other parent is merged into it, so a diagram folds one
  longer list instead of nested short ones.
* **Boolean optimisation** (:func:`optimize`): a use of a shared node that
  never matters (``x and (x or y)`` is ``x``) becomes a constant, and the
  constants simplify the gates above it; events nothing uses any more drop
  out of the graph (an unstructured 200-event tree of the benchmarks keeps
  43). A shared node that alone decides a parallel (series) gate above it
  moves up to that gate, out of the graph below it, which then often
  falls apart into modules (a 458-event tree of the Aralia set: from 89
  diagrams, one of 254 variables, to 146, the largest of 101).
* **distributivity** (:func:`distribute`): the parallel (series)
  children of a series (parallel) gate that share a child ``x`` become
  one, ``x`` and what is left of each (``(x and a) or (x and b)`` is ``x
  and (a or b)``): one use of ``x`` instead of several, and what is left
  often a module (on a 240-event tree of the Aralia set, 102 modules
  instead of 22).
* **merging common children** (:func:`merge_common`): the children that
  series (parallel) gates share become one gate of that kind under them
  (``(a or b or c) and (a or b or d)`` is ``(m or c) and (m or d)`` with
  ``m = a or b``), a module when nothing else uses them.
* **modules** (Dutuit and Rauzy's linear-time algorithm): a gate is a
  module when no node below it is reached other than through it; its
  function is then independent of everything outside, and :func:`slosim.exact`
  builds it as a diagram of its own, used as a single variable by the
  gates above it (:mod:`slosim.engines._modular`).

None of this changes a function: for a fixed variable order the reduced
ordered diagram of every output is the same with or without it.

References
----------
.. [1] Y. Dutuit and A. Rauzy, "A linear-time algorithm to find modules of
   fault trees", IEEE Trans. Reliability 45 (1996).
.. [2] A. Rauzy, "BDD for reliability studies", in Handbook of Performability
   Engineering (2008).
.. [3] K. D. Cooper, T. J. Harvey and K. Kennedy, "A simple, fast dominance
   algorithm", Software Practice and Experience 4 (2001).
"""

from dataclasses import dataclass
import heapq
import threading
import weakref

import numpy as np

from .._core import _graphs
from ..model import K_OF_N, NOT, PARALLEL, SERIES

__all__ = ["Reduced", "reduce", "group_leaves", "find_modules", "optimize", "distribute",
           "merge_common"]


@dataclass(frozen=True, eq=False)
class Reduced:
    """A Structure's graph after preprocessing.

    Attributes
    ----------
    n_leaves : int
        Leaves ``0..n_leaves-1``: the Structure's basic events, unchanged.
    n_components : int
        Leaves ``0..n_components-1`` are components, the rest shocks.
    ops : list of int
        Each gate's kind (``SERIES``, ``PARALLEL``, ``K_OF_N``, ``NOT``);
        gate ``g`` is node ``n_leaves + g``.
    ks : list of int
        Children each gate needs up.
    kids : list of list of int
        Each gate's children, earlier nodes (ids are a topological order).
    outputs : list of int
        The node of each journey.
    origin : list of int
        Each gate's gate number in the Structure (for its name).
    """

    n_leaves: int
    n_components: int
    ops: list
    ks: list
    kids: list
    outputs: list
    origin: list

    @property
    def n_gates(self):
        return len(self.ops)

    def arrays(self):
        """``(gate_op, gate_k, child_ptr, child_idx)`` as lists, the
        Structure's layout."""
        ptr, idx = [0], []
        for kids in self.kids:
            idx.extend(kids)
            ptr.append(len(idx))
        return self.ops, self.ks, ptr, idx


def _unique(kids):
    """``kids`` without repeats, in order of first appearance."""
    return list(dict.fromkeys(kids))


_CACHE = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def reduce(structure, *, coalesce=True):
    """The preprocessed graph of ``structure`` (see the module docstring).

    Parameters
    ----------
    structure : slosim.model.Structure
    coalesce : bool, default True
        Merge same-kind single-parent children into their parent; without
        it, only the normalisations that keep every gate are made.

    Returns
    -------
    Reduced
        Only the gates the outputs reach, renumbered in topological order;
        kept once per structure (a structure never changes) and shared.
    """
    with _LOCK:
        found = _CACHE.get(structure, {}).get(coalesce)
    if found is None:
        found = _reduce(structure, coalesce)
        with _LOCK:
            found = _CACHE.setdefault(structure, {}).setdefault(coalesce, found)
    return found


def _reduce(structure, coalesce):
    s = structure
    E = s.n_events
    ops0, ks0 = s.gate_op.tolist(), s.gate_k.tolist()
    ptr, idx = s.child_ptr.tolist(), s.child_idx.tolist()
    G = len(ops0)
    rep = list(range(E + G))       # old node -> the old node it stands for
    ops, ks, gkids = [0] * G, [0] * G, [None] * G
    for g in range(G):
        kids = [rep[c] for c in idx[ptr[g]:ptr[g + 1]]]
        op, k, n = ops0[g], ks0[g], len(kids)
        if op == K_OF_N and k == n:
            op = SERIES
        elif op == K_OF_N and k == 1:
            op = PARALLEL
        if op == NOT:
            c = kids[0]
            if c >= E and ops[c - E] == NOT:
                rep[E + g] = gkids[c - E][0]      # not (not x) = x
                continue
        elif op != K_OF_N:
            kids = _unique(kids)
            k = len(kids) if op == SERIES else 1
            if len(kids) == 1:
                rep[E + g] = kids[0]
                continue
        ops[g], ks[g], gkids[g] = op, k, kids
    outputs = [rep[o] for o in s.outputs.tolist()]

    # References from reachable gates and outputs, and each gate's parent.
    refs = [0] * (E + G)
    parent = [-1] * G
    reach = bytearray(E + G)
    for o in outputs:
        refs[o] += 1
        reach[o] = 1
    for g in range(G - 1, -1, -1):
        if not reach[E + g] or gkids[g] is None:
            continue
        for c in gkids[g]:
            refs[c] += 1
            reach[c] = 1
            if c >= E:
                parent[c - E] = g
    absorbed = bytearray(G)
    if coalesce:
        for g in range(G):
            p = parent[g]
            if (reach[E + g] and refs[E + g] == 1 and p >= 0
                    and ops[g] in (SERIES, PARALLEL) and ops[p] == ops[g]):
                absorbed[g] = 1

    new = {}
    out_ops, out_ks, out_kids, origin = [], [], [], []

    def expand(kids, into):
        for c in kids:
            if c >= E and absorbed[c - E]:
                expand(gkids[c - E], into)
            else:
                into.append(c if c < E else new[c])

    for g in range(G):
        if not reach[E + g] or gkids[g] is None or absorbed[g]:
            continue
        kids = []
        expand(gkids[g], kids)
        op = ops[g]
        if op in (SERIES, PARALLEL):
            kids = _unique(kids)
        new[E + g] = E + len(out_ops)
        out_ops.append(op)
        out_ks.append(len(kids) if op == SERIES else ks[g])
        out_kids.append(kids)
        origin.append(g)
    return Reduced(E, s.n_components, out_ops, out_ks, out_kids,
                   [o if o < E else new[o] for o in outputs], origin)


def group_leaves(reduced):
    """``reduced`` with each series or parallel gate's events that nothing
    else uses gathered under a new gate of the same kind, placed just
    before it (a gate whose children are all such events is left alone).

    Such a group is a module (Dutuit and Rauzy's detection finds it), one
    variable in the diagram above instead of several: PRA fault trees hang
    many events off their gates once each.
    """
    R = reduced
    L = R.n_leaves
    uses = [0] * L
    for kids in R.kids:
        for c in kids:
            if c < L:
                uses[c] += 1
    for o in R.outputs:
        if o < L:
            uses[o] += 2
    ops, ks, kids_out, origin = [], [], [], []
    new = {}
    for g, (op, k, kids) in enumerate(zip(R.ops, R.ks, R.kids)):
        own = [c for c in kids if c < L and uses[c] == 1]
        mapped = [c if c < L else new[c] for c in kids]
        if op in (SERIES, PARALLEL) and 2 <= len(own) < len(kids):
            group = L + len(ops)
            ops.append(op)
            ks.append(len(own) if op == SERIES else 1)
            kids_out.append(own)
            origin.append(R.origin[g])
            alone = set(own)
            mapped = [c for c in mapped if c not in alone] + [group]
        new[L + g] = L + len(ops)
        ops.append(op)
        ks.append(len(mapped) if op == SERIES else k)
        kids_out.append(mapped)
        origin.append(R.origin[g])
    return Reduced(L, R.n_components, ops, ks, kids_out,
                   [o if o < L else new[o] for o in R.outputs], origin)


def find_modules(reduced):
    """Which gates are modules: ``is_module[g]`` for gate ``g``.

    Dutuit and Rauzy's algorithm: a depth-first walk from the outputs
    stamps each node with the times of its first visit and of its last,
    and each gate with the time its first visit ended. A gate is a module
    when every node below it was first visited after it and last visited
    before its first visit ended: no path reaches below it from outside.
    Two walks over the graph: linear in its size (in C:
    :func:`slosim._core._graphs.modules`).
    """
    R = reduced
    _, _, ptr, idx = R.arrays()
    return _graphs.modules(R.n_leaves, np.asarray(ptr, dtype=np.int64),
                           np.asarray(idx, dtype=np.int64), list(R.outputs)).astype(bool).tolist()


# --- Boolean optimisation -------------------------------------------------

def optimize(reduced, decompose=True):
    """``reduced`` with redundant occurrences of shared nodes removed.

    For a node ``x`` used by several gates and a value ``v`` of it, the
    gates that ``x = v`` alone decides (up or down whatever else is) are
    found by propagation up from ``x``; two rewritings follow, each the
    same function whatever ``x`` is:

    * **decomposition** (with ``decompose``): a decided gate ``D`` that is a parallel gate
      decided up by ``x`` up (or a series gate decided down by ``x``
      down), with a parent it does not decide (or an output), is
      ``x or D[x := down]`` (``x and D[x := up]``). Every parent ``P`` of
      ``x`` that ``D`` dominates (every path from ``P`` to an output
      passes through ``D``: nothing else reads what is below ``D``) takes
      the constant ``not v``, and ``x`` becomes a child of ``D`` itself:
      the graph below ``D`` no longer holds ``x``, and often falls apart
      into modules (the decomposition of common nodes of PRA engines such
      as SCRAM).
    * **redundant parents**: a parent ``P`` of ``x`` that it does not
      decide, but one of whose dominators it does, never matters when
      ``x = v``; so ``x`` in ``P`` may be the constant ``not v``.

    The constants then simplify the gates (a series gate with a child down
    is down, and so on), and events and gates that nothing uses any more
    drop out (Rauzy's Boolean optimisation: for a fault tree ``top = x or
    (x and y)``, ``top = x``).

    Nodes are taken in topological order: a rewriting changes only the
    uses of ``x``, so it never changes the dominators of a node not below
    ``x``, and those computed once serve the whole pass (in C:
    :func:`slosim._core._graphs.optimize`, the simplification too).

    Returns ``reduced`` itself when nothing changed, or when an output
    would be constant.
    """
    R = reduced
    return _rebuilt(R, _graphs.optimize(R.n_leaves, R.ops, R.ks, R.kids, R.outputs, R.origin,
                                        decompose))


def distribute(reduced):
    """``reduced`` rewritten by distributivity, or itself when nothing
    changed.

    A series (parallel) gate whose parallel (series) children share a
    child ``x`` gets one child in their place: the children all of them
    share, ``x`` among them, or (and) the series (parallel) gate of what
    is left of each, itself rewritten the same way (for a fault tree,
    ``(x and a) or (x and b) or c`` is ``(x and (a or b)) or c``); when
    one of them has nothing left, the shared children alone (``x or (x
    and b)`` is ``x``). The functions are the same; ``x`` has one use
    instead of several, so the graph is closer to a tree, and what was
    left of the children often becomes a module (the distributivity of
    PRA engines such as SCRAM). The child shared by the most of them
    comes first. Linear in the graph's size; in C:
    :func:`slosim._core._graphs.distribute`.
    """
    R = reduced
    return _rebuilt(R, _graphs.distribute(R.n_leaves, R.ops, R.ks, R.kids, R.outputs, R.origin))


def _rebuilt(R, found):
    """``R`` itself when a ``_graphs`` rewriting found nothing (None), else
    the graph of its ``(ops, ks, kids, outputs, origin)``."""
    return R if found is None else Reduced(R.n_leaves, R.n_components, *found)


#: Pairs of gates that share children are found through the children
#: that at most this many gates of a kind share (a child of hundreds would
#: pair them all: das9701 of the Aralia trees, 252,630 pairs); options of
#: such children alone are not looked for.
_MERGE_MAX_USERS = 64


def merge_common(reduced):
    """``reduced`` with the children that series (parallel) gates share
    merged under gates of their own, or itself when there are none.

    Two gates of one kind that share two children or more make an
    *option*: those children (the intersection of the children each
    shares with any gate of its kind), and the gates that have them all.
    Options are taken greedily, best first: the most children used by
    nothing but the option's gates (the new gate is then a module when
    they are events), then the most with one other use, then two; fewer
    gates, then more children break ties. Taking one makes a new gate of
    the option's children, in place of them in each of its gates; the
    gates leave every option that shares a child with it. Series gates
    first, then parallel ones (the merging of common arguments of PRA
    engines such as SCRAM, whose preference this follows). The functions
    are the same.
    """
    R = reduced
    L, G = R.n_leaves, R.n_gates
    ops, ks, origin = list(R.ops), list(R.ks), list(R.origin)
    kids = [list(k) for k in R.kids]
    uses = [0] * (L + G)               # parents of each node (an output: one more)
    for ch in kids:
        for c in ch:
            uses[c] += 1
    for o in R.outputs:
        uses[o] += 1
    before = {}                        # gate -> the new gates placed just before it
    for op in (SERIES, PARALLEL):
        _merge_kind(op, L, ops, ks, kids, origin, uses, before)
    if len(ops) == G:
        return R
    # renumber: each new gate just before the first gate that uses it
    # (its children are children of that gate: earlier nodes); a gate
    # left with one child (it had nothing but an option's) is that child
    final = list(range(L)) + [0] * len(ops)
    out_ops, out_ks, out_kids, out_origin = [], [], [], []
    for g in range(G):
        for n in before.get(g, []) + [g]:
            ch = [final[c] for c in kids[n]]
            if ops[n] in (SERIES, PARALLEL):
                ch = _unique(ch)
                if len(ch) == 1:
                    final[L + n] = ch[0]
                    continue
            final[L + n] = L + len(out_ops)
            out_ops.append(ops[n])
            out_ks.append(len(ch) if ops[n] == SERIES else ks[n])
            out_kids.append(ch)
            out_origin.append(origin[n])
    return Reduced(L, R.n_components, out_ops, out_ks, out_kids,
                   [final[o] for o in R.outputs], out_origin)


def _merge_kind(op, L, ops, ks, kids, origin, uses, before):
    """:func:`merge_common` for the gates of kind ``op``, in place (new
    gates appended; ``before`` records where each goes)."""
    count = {}
    for g, ch in enumerate(kids):
        if ops[g] == op:
            for c in ch:
                count[c] = count.get(c, 0) + 1
    common = {}
    for g, ch in enumerate(kids):
        if ops[g] == op:
            shared = sorted(c for c in ch if count[c] >= 2)
            if len(shared) >= 2:
                common[g] = shared
    by_child = {}
    for g, shared in common.items():
        for c in shared:
            by_child.setdefault(c, []).append(g)
    options = {}                       # children (sorted tuple) -> their gates
    sets = {g: set(shared) for g, shared in common.items()}
    for g, shared in common.items():
        mine, seen = sets[g], set()
        for c in shared:
            if len(by_child[c]) > _MERGE_MAX_USERS:
                continue
            for h in by_child[c]:
                if h > g and h not in seen:
                    seen.add(h)
                    both = mine & sets[h]
                    if len(both) >= 2:
                        options.setdefault(tuple(sorted(both)), set()).update((g, h))
    if not options:
        return
    holding = {}                       # child -> the options that hold it
    for both in options:
        for c in both:
            holding.setdefault(c, []).append(both)

    def rank(both, gates):
        """Smaller is better: children with 0, 1, 2 other uses, most
        first, then fewest gates, then most children (one integer)."""
        n = len(gates)
        k = 0
        for c in both:
            e = uses[c] - n
            if e <= 2:
                k -= 1 << (60 - 16 * e)
        return k + (n << 12) - len(both)

    current = {b: rank(b, p) for b, p in options.items()}
    heap = [(key, i, b) for i, (b, key) in enumerate(current.items())]
    heapq.heapify(heap)
    serial = len(heap)
    while heap:
        key, _, both = heapq.heappop(heap)
        if current.get(both) != key:
            continue                   # taken, gone, or its score changed
        gates = options.pop(both)
        del current[both]
        leaving = gates
        gates = sorted(gates)
        first = gates[0]
        mine = set(both)
        m = len(ops)
        ops.append(op)
        kids.append([c for c in kids[first] if c in mine])
        ks.append(len(both) if op == SERIES else 1)
        origin.append(origin[first])
        uses.append(len(gates))
        before.setdefault(first, []).append(m)
        for g in gates:
            ch = [c for c in kids[g] if c not in mine]
            at = next(i for i, c in enumerate(kids[g]) if c in mine)
            ch.insert(at, L + m)      # where the first of them was
            kids[g] = ch
            if op == SERIES:
                ks[g] = len(kids[g])
        for c in both:
            uses[c] -= len(gates) - 1
        # the gates leave the options that share a child with this one
        touched = {b for c in both for b in holding[c] if b in options}
        for b in touched:
            left = options[b] - leaving
            if len(left) < 2:
                del options[b], current[b]
                continue
            options[b] = left
            now = rank(b, left)       # fewer gates, or its children fewer uses
            if now != current[b]:
                current[b] = now
                heapq.heappush(heap, (now, serial, b))
                serial += 1

