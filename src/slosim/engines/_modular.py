"""Decision diagrams raced over variable orders, and diagrams of modules.

:func:`build_diagram` builds the diagrams of a graph's nodes, racing the
variable orders of :mod:`slosim.engines._ordering` within a node budget
(what :class:`~slosim.engines.ExactDiagram` uses).

:class:`ModularDiagram` is what :func:`slosim.exact` uses on a model whose
single diagram would be large: the preprocessed graph
(:mod:`slosim.engines._preprocess`) is cut at its modules, each module is
a diagram over its own events and its sub-modules (each one variable),
and the journeys are a diagram over the events and modules outside every
module. A module's events are independent of everything outside it, so
its probability of being down is that variable's probability in the
diagram above (up and down each computed directly, as everywhere in the
exact engine). The parts share no variable, so their diagrams live in one
manager, built in one call over one graph, each part's gates a segment
with a node budget of its own; a part past its budget is built apart,
racing its orders.

Conditionals go through the hierarchy. A journey's availability is
multilinear in a module's probability, so for an event ``i`` inside a
module ``M`` of the journey's diagram::

    R(i up) = R(M up) P(M up | i up) + R(M down) P(M down | i up),

and the same with ``i`` down and for the unavailability; ``P(M up | i
up)`` comes the same way from the module's own diagram, through nested
modules to the one that holds ``i``: a 2x2 matrix product per module on
the way, taken for every event at one depth of the hierarchy at once.
Every term is a product of probabilities: nothing is a difference, so
small numbers keep their digits.

When a module needs more nodes than are left, the others are still built
exactly, and the overflowing module gets lower and upper bounds: exact for
the gates its furthest attempt built before the budget ran out, and above
them, for a coherent graph (Harris's inequality: increasing events of
independent variables are positively correlated), a series gate is up with
probability at least the product of its children's and at most their
minimum, a parallel gate at least their maximum and at most one minus the
product of their complements; a k-of-n gate lies between the series and
the parallel gate of the same children, and within Markov's bounds on the
number of children up. The bounds go up through the modules above, whose
probability is monotone in a coherent module's (each is evaluated at both
ends). A non-coherent graph gets no bounds.
"""

import numpy as np

from .._core import _bdd, _graphs
from ..model import K_OF_N, NOT, PARALLEL, SERIES
from . import _ordering

__all__ = ["build_diagram", "Overflow", "ModularDiagram", "choose_modules", "graph_bounds",
           "BDD_OP", "MIN_FIRST_BUDGET"]

#: The given order alone may use this many diagram nodes times the graph's
#: size (leaves, gates and edges) to the power 1.5 before other orders are
#: tried: structured models stay well below it (service graphs under 0.3,
#: PRA-style fault trees of 200 to 3000 events 1.3 to 3), unstructured
#: fault trees in a poor order go far past it.
_GIVEN_BUDGET_FACTOR = 8

#: Smallest budget of the first attempt, so small models never retry.
MIN_FIRST_BUDGET = 1 << 16

#: Past the race's first round (every order at the first budget), the
#: order that built the most graph nodes goes on alone to this many times
#: that budget before the others' second round (:func:`_leader`: of two
#: tied, the smaller diagram of what they built; none when more tie):
#: progress at the first budget is a fair guide, and a second round of
#: every order at four times it cost the Aralia trees most of their time.
#: Measured in process with and without (min of runs): edfpa14b 135 ->
#: 60 ms, edfpa14q 126 -> 69, edf9204 321 -> 237, the unstructured
#: random-300-s1 1.2 s -> 59 ms; where the leader is wrong it costs that
#: budget: cea9601 0.87 -> 1.0 s (two orders tied, both poor). 16 of 8, 16
#: and 64 tried on these trees (8 falls short of edfpa14b's 487,000 nodes,
#: 64 wastes 4 million on cea9601); without the limit on ties, all five
#: orders tie on pra-1000 and random-250-s2 and the smaller diagram picks
#: a poor one (pra-1000 47 -> 259 ms).
_LEAD = 16

#: A module gets a diagram of its own when it has at least this many
#: events below it. Even two events as one variable pay on the Aralia
#: trees: a quarter to a half fewer nodes on the large ones, and the few
#: Python calls per module cost less than the nodes saved (the modules are
#: cut only when one diagram of the model overflowed its first budget).
MIN_MODULE_EVENTS = 2

# The diagram builder's op for each gate kind of a Structure.
BDD_OP = np.zeros(4, dtype=np.int32)
BDD_OP[[SERIES, PARALLEL, K_OF_N, NOT]] = (_bdd.GATE_SERIES, _bdd.GATE_PARALLEL,
                                           _bdd.GATE_KOFN, _bdd.GATE_NOT)


class Overflow(Exception):
    """Every order overflowed: ``args`` are (nodes, graph nodes built,
    partial) of the attempt that got furthest, ``partial`` its (rank,
    Diagram, ids), whose first ``graph nodes built`` ids are valid."""


def _attempt(arrays, rank, n_vars, budget, resume=None, full=False):
    """Build with leaf levels ``rank``: (Diagram, ids), or on overflow
    (None, (size, done, partial)), ``partial`` being (rank, Diagram, ids)
    with the first ``done`` graph nodes built. ``resume``, the ``(size,
    done, partial)`` of an overflowed attempt in the same order, continues
    it within the larger ``budget``. ``full``: the attempt is expected to
    use its whole budget, so its tables start at that size."""
    if resume is None:
        diagram = _bdd.Diagram(n_vars, budget, capacity=budget if full else 0)
        more = {}
    else:
        size, done, (rank, diagram, ids) = resume
        diagram.budget = budget
        # a continued attempt goes on past its last budget: its tables
        # grow at once to four times it (or the new budget) instead of
        # doubling on the way, and the computed table with them
        diagram.reserve(min(budget, 4 * size))
        more = {"resume": (ids, done)}
    try:
        ids = _bdd.build(diagram, rank, *arrays, **more)
    except _bdd.BudgetExceeded as exc:
        size, done, ids = exc.args
        return None, (size, done, (rank, diagram, ids))
    return diagram, ids


def _first_budget(size):
    """The given order's budget on a graph of ``size`` (leaves, gates and
    edges)."""
    return max(MIN_FIRST_BUDGET, int(_GIVEN_BUDGET_FACTOR * size ** 1.5))


def build_diagram(n_vars, arrays, graph, max_nodes, *, quick=None,
                  given_failed=None, makers=None, probe=False, resume=None):
    """Build the diagrams of a graph's nodes: (rank, Diagram, node ids).

    ``arrays`` are the builder's ``(gate_op, gate_k, child_ptr,
    child_idx)``; ``graph`` the same graph as an :class:`_ordering.Graph`.
    ``rank[e]`` is leaf e's variable (level); ``ids[n]`` the diagram of
    node n.

    The given depth-first order is tried first, with a budget
    proportional to the graph's size to the power 1.5 (or ``max_nodes`` if
    smaller); with ``quick``, that is the only attempt, within ``quick``
    nodes (or that budget, if smaller);
    ``given_failed``, the ``Overflow`` arguments of such an attempt, skips
    it. Past it, the other orders of
    :func:`slosim.engines._ordering.candidates` race in rounds of budgets
    growing fourfold, the ones that got furthest first (past the first
    round, the one that got furthest goes on alone to ``_LEAD`` times its
    budget, unless more than two tie; an order never runs below a budget
    it already had), while the nodes of
    all attempts stay within ``max_nodes``; then the orders never tried get
    a glance at a sixteenth of the first budget, and the two that built
    the most graph nodes per diagram node run with ``max_nodes`` in turn.
    An order that runs again continues its last attempt (the nodes built
    stay valid), so a round costs only the nodes past the last one's. The
    attempts kept hold at most the nodes the race spent, within
    ``max_nodes``; past the race, the two chosen orders' (and the furthest
    overflowed one, kept for bounds), so memory stays within about three
    times ``max_nodes``. ``makers``
    replaces the candidates (``(name, make_rank)`` pairs, as
    :func:`_ordering.candidates` gives them); with ``probe``, the first
    round tries every order at a sixteenth of the first budget instead.
    ``resume``, the ``Overflow`` arguments of a quick attempt in the given
    order, makes the given order's first attempt continue it.

    Raises
    ------
    Overflow
        With the furthest attempt's (nodes, graph nodes built).
    """
    if makers is None:
        makers = _ordering.candidates(graph)
    ranks = {}

    def rank_of(i):
        if i not in ranks:
            ranks[i] = np.ascontiguousarray(makers[i][1](), dtype=np.int32)
        return ranks[i]

    first = min(max_nodes, _first_budget(graph.size()))
    if quick is not None:
        max_nodes = first = min(first, quick)
    progress = {}     # candidate -> (graph nodes done, -index) when it overflowed
    failed = {}       # candidate -> (nodes, done) of its furthest attempt
    budget, tried, spent = first, [0], 0
    if probe:
        # every order at a sixteenth of the first budget, the given first
        budget = first = max(MIN_FIRST_BUDGET, first // 16)
        tried = list(range(len(makers)))
    furthest = (None, None, None)   # (progress, (nodes, done), partial)
    if given_failed is not None:
        if first >= max_nodes:
            raise Overflow(*given_failed)
        failed[0], progress[0] = given_failed[:2], (given_failed[1], 0)
        if len(given_failed) > 2:
            furthest = progress[0], given_failed[:2], given_failed[2]
        tried, spent = list(range(1, len(makers))), given_failed[0]
    # each order's last overflowed attempt, continued when it runs again
    partials = {} if resume is None else {0: resume}

    def run(i, budget):
        """Order i's attempt within budget: (rank, Diagram, ids), or None
        after recording its overflow."""
        nonlocal spent, furthest
        more = partials.pop(i, None)
        before = 0
        if more is not None:
            ranks[i], before = more[2][0], more[0]
        # where another order overflowed this budget, this one likely does
        full = any(nodes >= budget for nodes, _ in failed.values())
        diagram, ids = _attempt(arrays, rank_of(i), n_vars, budget, more, full)
        if diagram is not None:
            return ranks[i], diagram, ids
        partials[i] = ids
        failed[i] = ids[:2]       # (nodes, graph nodes done) on overflow
        progress[i] = (ids[1], -i)
        spent += failed[i][0] - before
        if furthest[0] is None or progress[i][0] >= furthest[0][0]:
            # the furthest partial diagram, for bounds
            furthest = progress[i], ids[:2], ids[2]
        return None

    led = False
    while True:
        for i in tried:
            if i in failed and failed[i][0] >= budget:
                continue          # past this budget already
            built = run(i, budget)
            if built is not None:
                return built
        if budget >= max_nodes:
            break
        if len(tried) == 1 and budget == first:
            # the given order overflowed: the others start at its budget
            tried = list(range(1, len(makers)))
        else:
            lead = None if led or _LEAD <= 1 else _leader(progress, partials)
            led = True
            if lead is not None:
                built = run(lead, min(max_nodes, _LEAD * budget))
                if built is not None:
                    return built
            budget = min(max_nodes, 4 * budget)
            tried = sorted(range(len(makers)), key=lambda i: progress.get(i, (-1, -i)),
                           reverse=True)
        if budget >= max_nodes or spent + len(tried) * budget > max_nodes:
            # racing would cost more than max_nodes nodes in all: the
            # orders never tried get a glance at a sixteenth of the first
            # budget, then the two that built the most graph nodes per
            # diagram node continue to the whole budget in turn (a fair
            # guide, not a sure one)
            for i in range(len(makers)):
                if i not in progress:
                    built = run(i, min(max_nodes, max(MIN_FIRST_BUDGET, first // 16)))
                    if built is not None:
                        return built
            budget = max_nodes
            tried = sorted(progress, key=lambda i: (failed[i][1] / failed[i][0], -i),
                           reverse=True)[:2]
            partials = {i: partials[i] for i in tried if i in partials}
    if furthest[0] is not None:
        raise Overflow(*furthest[1], furthest[2])
    best = max(progress, key=progress.get)
    raise Overflow(*failed[best])


def _leader(progress, partials):
    """The order that built the most graph nodes, or None when more than
    two tie for it (progress then tells little). Of two tied, the one
    whose diagram of those graph nodes is the smaller (the nodes they
    reach: the rest are intermediate results), then the first."""
    top = max(done for done, _ in progress.values())
    tied = [i for i, (done, _) in progress.items() if done == top]
    if len(tied) > 2:
        return None
    if len(tied) == 1:
        return tied[0]

    def live(i):
        if i not in partials:
            return np.inf
        _, done, (_, diagram, ids) = partials[i]
        return _bdd.reachable(diagram, np.ascontiguousarray(ids[:done]))

    return min(tied, key=lambda i: (live(i), i))


def choose_modules(reduced, is_module):
    """The modules worth a diagram of their own (reduced node numbers):
    those with at least :data:`MIN_MODULE_EVENTS` events below them, the
    journeys' own nodes excepted; empty when no such module is below a
    journey (cutting would change nothing)."""
    L = reduced.n_leaves
    support = _ordering.Graph(L, _ptr(reduced.kids), _flat(reduced.kids),
                              reduced.outputs).support_sizes()
    chosen = {L + g for g, m in enumerate(is_module)
              if m and support[L + g] >= MIN_MODULE_EVENTS}
    if not chosen - set(reduced.outputs):
        return set()
    return chosen


class _Part:
    """A part built as a diagram of its own (raced over its orders, or
    overflowing): a module's, or the journeys' (top).

    ``events``: its own basic events (local leaves, components first);
    ``subs``: its sub-modules (part numbers), the local leaves after its
    component events; shocks last. ``own``, ``sub_leaves``: the local
    leaves of ``events`` and of ``subs``; ``leaf``: each local leaf's leaf
    in the batch graph. ``level[leaf]``: the local leaf's variable;
    ``roots``: diagram node of each output (one for a module).
    """

    __slots__ = ("gate", "events", "subs", "leaf", "level", "diagram", "roots", "ops", "ks",
                 "kids", "n_leaves", "overflow", "partial", "own", "sub_leaves", "level_own",
                 "level_sub")


class ModularDiagram:
    """The diagrams of a preprocessed structure, cut at its modules.

    Parameters
    ----------
    structure : slosim.model.Structure
    reduced : slosim.engines._preprocess.Reduced
    chosen : set of int
        The module gates (reduced node numbers) that get diagrams of their
        own: :func:`choose_modules`.
    max_nodes : int
        Nodes of all the diagrams together.

    The graph is cut into *parts* on construction: each chosen module's
    gates below it down to the modules it holds, which are variables of
    its own (its *module leaves*), and the journeys' part (the top), part
    ``P`` after the ``P`` modules, children first. The parts share no
    node, so they are built as one *batch*: one diagram manager, one
    graph with every part's gates in turn (a segment each), one order
    (each part's leaves depth-first from its roots, shocks first, in a
    block of levels of its own), and each part within the first budget
    its given order gets alone (:func:`build_diagram`); one call for the
    whole hierarchy, where a diagram per module cost Python's overhead
    per module (edf9202 of the Aralia trees, 155 modules: 5.8 ms of
    Python around 0.05 ms of diagram). A part that overflows its budget
    (and one holding most of the model, probed from the start) is taken
    out of the batch and races the candidate orders of its own graph
    (:func:`_ordering.candidates`) as a diagram of its own; the batch
    goes on past it.

    Attributes
    ----------
    largest_share : float
        The largest part's leaves (events and modules) over the model's
        events: near 1 when the modules leave one diagram of nearly the
        whole model to build.
    nodes : int
        Nodes of all the diagrams built (each with its two terminals).
    overflow : list
        ``(gate name, events below, nodes, graph nodes built, graph nodes)``
        of each module that did not fit; empty when every diagram was
        built (only then are :meth:`values` exact).
    apart : dict
        Part number -> :class:`_Part` of each part built apart.
    """

    def __init__(self, structure, reduced, chosen, max_nodes):
        R = reduced
        L, G = R.n_leaves, R.n_gates
        C = structure.n_components
        modules = sorted(chosen)           # children before parents
        P = len(modules)
        part_of = dict(zip(modules, range(P)))
        # every gate's part: the innermost chosen module above it (the
        # module property: nothing below it is reached from elsewhere)
        part = [-1] * G
        for o in R.outputs:
            if o >= L:
                part[o - L] = P
        for m, i in part_of.items():
            part[m - L] = i
        kids_r = R.kids
        for g in range(G - 1, -1, -1):
            p = part[g]
            if p >= 0:
                for c in kids_r[g]:
                    if c >= L and c not in part_of:
                        part[c - L] = p
        # the batch graph: leaves 0..L-1 the events, L..L+P-1 the modules;
        # gates by part, then by reduced number (both topological), the
        # journeys that are leaves each under a one-child gate of the top
        part_arr = np.asarray(part, dtype=np.int64)
        gates = np.flatnonzero(part_arr >= 0)
        gates = gates[np.argsort(part_arr[gates], kind="stable")]
        LB = L + P
        node = np.arange(L + G, dtype=np.int64)           # reduced -> batch
        node[L + gates] = LB + np.arange(len(gates))
        child = node.copy()                                 # ... as a child
        child[np.asarray(modules, dtype=np.int64)] = L + np.arange(P)
        ops = [R.ops[g] for g in gates.tolist()]
        ks = [R.ks[g] for g in gates.tolist()]
        lists = [kids_r[g] for g in gates.tolist()]
        roots = [[int(node[m])] for m in modules]
        top = []
        for o in R.outputs:
            if o < L or o in part_of:
                top.append(LB + len(ops))
                ops.append(SERIES)
                ks.append(1)
                lists.append([o])
            else:
                top.append(int(node[o]))
        roots.append(top)
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        ptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        idx = child[np.fromiter((c for k in lists for c in k), dtype=np.int64,
                                count=int(ptr[-1]))]
        gate_part = np.concatenate([part_arr[gates], np.full(len(ops) - len(gates), P)])
        seg = np.searchsorted(gate_part, np.arange(P + 2)).astype(np.int64)
        # each leaf's part (-1: none reads it), and each part's size
        edge_part = np.repeat(gate_part, counts)
        leaf_part = np.full(LB, -1, dtype=np.int64)
        is_leaf = idx < LB
        leaf_part[idx[is_leaf]] = edge_part[is_leaf]
        n_leaves = np.bincount(leaf_part[leaf_part >= 0], minlength=P + 1)
        size = n_leaves + np.diff(seg) + np.bincount(edge_part, minlength=P + 1)
        below = np.bincount(leaf_part[:L][leaf_part[:L] >= 0], minlength=P + 1)
        for i in range(P):
            below[leaf_part[L + i]] += below[i]
        self.structure, self._reduced, self._max_nodes = structure, R, max_nodes
        self.n_parts, self.modules = P + 1, modules
        self.largest_share = int(n_leaves.max()) / max(1, structure.n_events)
        self._arrays = (np.ascontiguousarray(BDD_OP[np.asarray(ops, dtype=np.intp)]),
                        np.asarray(ks, dtype=np.int64), ptr, idx)
        self._seg, self._roots, self._leaf_part = seg, roots, leaf_part
        self._size, self._below = size, below
        self._ops, self._ks = ops, ks
        # the order: each part's leaves depth-first from its roots (the
        # given order of its own graph: :func:`_ordering.given`), in turn,
        # so each part's leaves are a block of levels
        key = np.ones(LB + len(lists), dtype=np.int64)
        key[C:L] = 0
        rank = _graphs.depth_first(LB, ptr, idx, [r for rs in roots for r in rs], key)
        missing = np.flatnonzero(rank < 0)
        nxt = len(rank) - len(missing)
        rank[missing] = np.arange(nxt, nxt + len(missing), dtype=np.int32)
        blocks = np.zeros(P + 2, dtype=np.int64)
        np.cumsum(n_leaves, out=blocks[1:])
        self._rank, self._blocks = rank, blocks
        # the hierarchy's levels by depth (the top's 0), each with the level
        # of its part's module leaf in the part above: conditionals compose
        # down the hierarchy one depth at a time
        depth = [0] * (P + 1)
        for i in range(P - 1, -1, -1):
            depth[i] = depth[leaf_part[L + i]] + 1
        part_of_level = np.repeat(np.arange(P), np.diff(blocks[:P + 1]))
        level_depth = np.asarray(depth, dtype=np.int64)[part_of_level]
        parent = rank[L + part_of_level].astype(np.intp)
        self._depths = [(np.flatnonzero(level_depth == d), parent[level_depth == d])
                        for d in range(1, max(depth) + 1)]

    def build(self):
        """Build every part's diagram, children first, within ``max_nodes``
        in all; returns self (see :attr:`overflow`)."""
        structure, max_nodes, R = self.structure, self._max_nodes, self._reduced
        P, LB, seg = self.n_parts - 1, len(self._rank), self._seg
        budgets = np.array([min(max_nodes, _first_budget(int(z))) for z in self._size],
                           dtype=np.int64)
        # a part of most of the model (whose given order overflowed the
        # first budget as one diagram): every order is probed at a
        # sixteenth of its first budget, the given one in the batch
        probe = 2 * self._below >= structure.n_events
        budgets[probe] = np.maximum(MIN_FIRST_BUDGET, budgets[probe] // 16)
        starts = np.zeros(P + 1, dtype=np.int64)
        batch = _bdd.Diagram(LB, max_nodes)
        self.apart, self.overflow = {}, []
        apart_nodes, resume = 0, None
        while True:
            batch.budget = max_nodes - apart_nodes
            try:
                ids = _bdd.build(batch, self._rank, *self._arrays, resume=resume,
                                 segments=seg, budgets=budgets, starts=starts)
                break
            except _bdd.BudgetExceeded as exc:
                size, done, ids = exc.args
            s = int(np.searchsorted(seg, done - LB, side="right")) - 1
            used = size - int(starts[s])
            if used:
                batch.truncate(int(starts[s]))
            p = self._part(s)
            left = max_nodes - batch.nodes - apart_nodes
            p.overflow = p.partial = None
            if left < 2 + p.n_leaves:
                p.overflow = (0, 0)
            else:
                ptr, idx = _ptr(p.kids), _flat(p.kids)
                graph = _ordering.Graph(p.n_leaves, ptr, idx, p.roots,
                                        n_components=self._n_comp_leaves(p, structure.n_components))
                arrays = (np.ascontiguousarray(BDD_OP[np.asarray(p.ops, dtype=np.intp)]),
                          np.asarray(p.ks, dtype=np.int64), np.asarray(ptr, dtype=np.int64),
                          np.asarray(idx, dtype=np.int64))
                # the given order overflowed its (first or probe) budget in
                # the batch
                failed = (used, p.n_leaves + done - LB - int(seg[s]))
                try:
                    rank, p.diagram, got = build_diagram(p.n_leaves, arrays, graph, left,
                                                         probe=bool(probe[s]),
                                                         given_failed=failed)
                except Overflow as exc:
                    p.overflow = exc.args[:2]
                    # the gates built before the budget ran out: exact
                    # parts of the bounds
                    p.partial = exc.args[2] if len(exc.args) > 2 else None
            if p.overflow is not None:
                p.diagram = None
                name = (structure.gate_names[R.origin[p.gate - R.n_leaves]]
                        if p.gate is not None else None)
                self.overflow.append((name, int(self._below[s]), p.overflow[0],
                                      p.overflow[1], p.n_leaves + len(p.ops)))
            else:
                p.level = rank.astype(np.intp)
                p.level_own, p.level_sub = p.level[p.own], p.level[p.sub_leaves]
                apart_nodes += int(p.diagram.nodes)
                # the race's attempts leave most of a diagram unreached
                # (das9601: 17,612 of 221,010 nodes): evaluations walk
                # only what the roots reach
                p.diagram, got = _bdd.compact(
                    p.diagram, np.ascontiguousarray(got[p.roots], dtype=np.int32))
                p.roots = got.tolist()
            self.apart[s] = p
            resume = (ids, LB + int(seg[s + 1]))
        self._batch, self._ids, self._starts = batch, ids, starts
        self.nodes = int(batch.nodes) + apart_nodes
        # the batch's module variables: as their roots' nodes
        mods = np.array([i for i in range(P) if i not in self.apart], dtype=np.intp)
        self._mod_root = np.full(P, -1, dtype=np.int32)
        self._mod_root[mods] = ids[[self._roots[i][0] for i in mods.tolist()]]
        self._var_node = np.full(LB, -1, dtype=np.int32)
        L = R.n_leaves
        self._var_node[self._rank[L + mods]] = self._mod_root[mods]
        self._batch_mods = mods
        return self

    @staticmethod
    def _n_comp_leaves(p, C):
        return int(np.count_nonzero(p.events < C)) + len(p.subs)

    def _part(self, s):
        """Part ``s`` as a graph of its own (a :class:`_Part`): its local
        leaves are its components, its sub-modules, then its shocks."""
        R, P = self._reduced, self.n_parts - 1
        L, C = R.n_leaves, self.structure.n_components
        LB, seg = len(self._rank), self._seg
        p = _Part()
        p.gate = self.modules[s] if s < P else None
        mine = np.flatnonzero(self._leaf_part == s)
        comps, shocks, subs = mine[mine < C], mine[(mine >= C) & (mine < L)], mine[mine >= L]
        p.leaf = np.concatenate([comps, subs, shocks])
        p.n_leaves = len(p.leaf)
        p.subs = (subs - L).tolist()
        p.events = np.concatenate([comps, shocks])
        first_shock = len(comps) + len(subs)
        p.own = np.r_[0:len(comps), first_shock:p.n_leaves].astype(np.intp)
        p.sub_leaves = np.arange(len(comps), first_shock)
        local = np.full(LB, -1, dtype=np.int64)
        local[p.leaf] = np.arange(p.n_leaves)
        a, b = int(seg[s]), int(seg[s + 1])
        p.ops, p.ks = self._ops[a:b], self._ks[a:b]
        shift = p.n_leaves - a - LB
        ptr, idx = self._arrays[2], self._arrays[3]
        children = idx[ptr[a]:ptr[b]]
        kids = children + shift                  # gates: after the local leaves
        leaves = children < LB
        kids[leaves] = local[children[leaves]]
        kids, at = kids.tolist(), (ptr[a:b + 1] - ptr[a]).tolist()
        p.kids = [kids[at[j]:at[j + 1]] for j in range(b - a)]
        p.roots = [r + shift for r in self._roots[s]]
        return p

    # --- evaluation -------------------------------------------------------

    def _up_down(self, q, r, ends, apart):
        """Up and down of every node of the batch, for each end (a module's
        ``(pd, pu)`` arrays, filled here), bottom-up in node order: the
        parts built apart in between, where the batch reaches them
        (``apart(s, p, ends)``: the part's roots' ``[(down, up)]`` per
        end). Returns ``[(qv, rv, up, down)]`` per end and the top's
        ``[(down, up)]`` per end when it was built apart (else None)."""
        L, P = self._reduced.n_leaves, self.n_parts - 1
        batch, N, lev = self._batch, self._batch.nodes, self._rank
        state = []
        for _ in ends:
            qv, rv = np.full(len(lev), 0.5), np.full(len(lev), 0.5)
            qv[lev[:L]], rv[lev[:L]] = q, r
            state.append((qv, rv, np.empty(N), np.empty(N)))
        mods, roots = self._batch_mods, self._mod_root
        pos, top = 2, None
        for s in sorted(self.apart):
            stop = int(self._starts[s])       # the nodes of the parts before it
            for (qv, rv, up, down), (pd, pu) in zip(state, ends):
                _bdd.probabilities_between(batch, qv, rv, up, down, pos, stop, self._var_node)
                done = mods[roots[mods] < stop]
                pd[done], pu[done] = down[roots[done]], up[roots[done]]
            pos = stop
            got = apart(s, self.apart[s], ends)
            if s == P:
                top = got
                continue
            for (qv, rv, _, _), (pd, pu), (d, u) in zip(state, ends, got):
                pd[s], pu[s] = d[0], u[0]
                qv[lev[L + s]], rv[lev[L + s]] = pd[s], pu[s]
        for (qv, rv, up, down), (pd, pu) in zip(state, ends):
            _bdd.probabilities_between(batch, qv, rv, up, down, pos, N, self._var_node)
            pd[mods], pu[mods] = down[roots[mods]], up[roots[mods]]
        return state, top

    def values(self, q, r, conditionals=True):
        """``(J, width)``: each journey's up, down, then (with
        ``conditionals``) its availability with each event up, down, and
        its unavailability with each event up, down (``E`` each), at the
        events' unavailabilities ``q`` and availabilities ``r`` (event
        order). Needs every diagram built (``overflow`` empty)."""
        E, P = self.structure.n_events, self.n_parts - 1
        L, lev = self._reduced.n_leaves, self._rank
        pd, pu = np.empty(P), np.empty(P)
        own = {}

        def apart(s, p, ends):
            qv, rv = self._by_level(p, q, r, *ends[0])
            up, down = _bdd.probabilities(p.diagram, qv, rv)
            own[s] = (qv, rv, up, down)
            return [(down[p.roots], up[p.roots])]

        [(qv, rv, up, down)], top = self._up_down(q, r, [(pd, pu)], apart)
        if top is None:
            roots = self._ids[self._roots[P]]
            ups, downs = up[roots], down[roots]
        else:
            (downs, ups), = top
        J = len(ups)
        width = 2 + 4 * E if conditionals else 2
        out = np.empty((J, width))
        out[:, 0], out[:, 1] = ups, downs
        if not conditionals:
            return out
        # every module's variables given its root (its block of levels),
        # then each journey's through the hierarchy of 2x2 products
        qv[lev[L:]], rv[lev[L:]] = pd, pu
        mods, blocks = self._batch_mods, self._blocks
        M = np.stack(_bdd.part_conditionals(
            self._batch, self._mod_root[mods], self._starts[mods],
            blocks[mods], blocks[mods + 1], qv, rv, up, down))
        for s, p in self.apart.items():
            if s < P:
                M[:, lev[p.leaf]] = self._own_conditionals(p, own[s], 0)[:, p.level]
        reached = np.flatnonzero(self._leaf_part[:L] >= 0)
        for j in range(J):
            if top is None:
                A = np.stack(_bdd.part_conditionals(
                    self._batch, self._ids[self._roots[P][j:j + 1]],
                    self._starts[P:], blocks[P:P + 1], blocks[P + 1:P + 2],
                    qv, rv, up, down))
            else:
                p = self.apart[P]
                A = np.empty_like(M)
                A[:, lev[p.leaf]] = self._own_conditionals(p, own[P], j)[:, p.level]
            for lv, par in self._depths:
                a, m = A[:, par], M[:, lv]
                A[0, lv] = a[0] * m[0] + a[1] * m[2]
                A[1, lv] = a[0] * m[1] + a[1] * m[3]
                A[2, lv] = a[2] * m[0] + a[3] * m[2]
                A[3, lv] = a[2] * m[1] + a[3] * m[3]
            full = np.empty((4, E))
            full[:2] = ups[j]
            full[2:] = downs[j]
            full[:, reached] = A[:, lev[reached]]
            out[j, 2:] = full.reshape(-1)
        return out

    @staticmethod
    def _own_conditionals(p, evaluated, j):
        """(4, local levels): root ``j`` of part ``p``, built apart, given
        each of its variables."""
        qv, rv, up, down = evaluated
        return np.stack(_bdd.conditionals(p.diagram, p.roots[j], qv, up, down, rv))

    @staticmethod
    def _by_level(p, q, r, pd, pu):
        """The part's variables' unavailabilities and availabilities."""
        qv = np.empty(p.n_leaves)
        rv = np.empty(p.n_leaves)
        qv[p.level_own] = q[p.events]
        rv[p.level_own] = r[p.events]
        qv[p.level_sub] = pd[p.subs]
        rv[p.level_sub] = pu[p.subs]
        return qv, rv

    # --- bounds -----------------------------------------------------------

    def bounds(self, q, r):
        """Each journey's unavailability bounds ``(low, high)`` arrays, or
        None for a non-coherent structure.

        Built modules are evaluated at both ends of their sub-modules'
        bounds; overflowing ones are bounded through their gates (see the
        module docstring)."""
        if not self.structure.coherent:
            return None
        P = self.n_parts - 1
        # each end: (pd, pu) of every module: the low end has the smallest
        # unavailability (largest availability)
        ends = [(np.empty(P), np.empty(P)), (np.empty(P), np.empty(P))]

        def apart(s, p, ends):
            if p.diagram is None:
                return self._gate_bounds(p, q, r, ends)
            got = []
            for pd, pu in ends:
                qv, rv = self._by_level(p, q, r, pd, pu)
                up, down = _bdd.probabilities(p.diagram, qv, rv)
                got.append((down[p.roots], up[p.roots]))
            return got

        state, top = self._up_down(q, r, ends, apart)
        if top is None:
            roots = self._ids[self._roots[P]]
            top = [(down[roots], up[roots]) for _, _, up, down in state]
        return top[0][0], top[1][0]

    def _gate_bounds(self, p, q, r, ends):
        """[(down, up) at the low end, (down, up) at the high end] of the
        part's roots, propagated through its gates."""
        n = p.n_leaves
        # per local node: down low, down high, up low, up high
        dl, dh = np.empty(n), np.empty(n)
        ul, uh = np.empty(n), np.empty(n)
        own, sub = p.own, p.sub_leaves
        dl[own] = dh[own] = q[p.events]
        ul[own] = uh[own] = r[p.events]
        (pdl, pul), (pdh, puh) = ends
        dl[sub], uh[sub] = pdl[p.subs], pul[p.subs]
        dh[sub], ul[sub] = pdh[p.subs], puh[p.subs]
        done = p.overflow[1] if p.partial is not None else 0
        return graph_bounds(p.ops, p.ks, p.kids, p.roots, dl, dh, ul, uh,
                            p.partial, done)


def graph_bounds(ops, ks, kids, roots, dl, dh, ul, uh, partial=None, done=0):
    """Bounds on the roots of a coherent graph from bounds on its leaves.

    ``dl``, ``dh``, ``ul``, ``uh``: each leaf's probability of being down
    at least and at most, up at least and at most. ``partial``: (rank,
    Diagram, ids) of an attempt that built the first ``done`` graph nodes
    exactly before its budget ran out; those get their exact
    probabilities at either end, the gates above them Harris's bounds.

    Returns
    -------
    list
        ``[(down, up) at the low end, (down, up) at the high end]`` of the
        roots, arrays: the low end has the least unavailability.
    """
    n = len(dl)
    exact = [[]] * 4
    if partial is not None:
        rank, diagram, ids = partial
        ids = ids[:done]
        if len(ids) and (ids.min() < 0 or ids.max() >= diagram.nodes):
            partial = None        # never read past what was built
    if partial is not None:
        out = []
        for dq, ur in ((dl, uh), (dh, ul)):       # the low end, the high end
            qv, rv = np.empty(n), np.empty(n)
            qv[rank], rv[rank] = dq, ur
            up, down = _bdd.probabilities(diagram, qv, rv)
            out.append((down[ids], up[ids]))
        (d_lo, u_hi), (d_hi, u_lo) = out
        exact = [d_lo.tolist(), d_hi.tolist(), u_lo.tolist(), u_hi.tolist()]
    dl, dh, ul, uh = (np.asarray(a).tolist() for a in (dl, dh, ul, uh))
    for g, (op, k, ks_) in enumerate(zip(ops, ks, kids)):
        if n + g < len(exact[0]):
            a, b, c, d = (x[n + g] for x in exact)
        else:
            a, b, c, d = _gate_bound(op, k, [dl[x] for x in ks_], [dh[x] for x in ks_],
                                     [ul[x] for x in ks_], [uh[x] for x in ks_])
        dl.append(a)
        dh.append(b)
        ul.append(c)
        uh.append(d)
    return [(np.array([dl[x] for x in roots]), np.array([uh[x] for x in roots])),
            (np.array([dh[x] for x in roots]), np.array([ul[x] for x in roots]))]


def _or_bound(ps):
    """1 - prod(1 - p), computed without cancellation."""
    ps = np.minimum(ps, 1.0)
    if np.any(ps == 1.0):
        return 1.0
    return float(-np.expm1(np.sum(np.log1p(-ps))))


def _gate_bound(op, k, dl, dh, ul, uh):
    """(down low, down high, up low, up high) of a coherent gate whose
    children's probabilities lie within the given bounds (independent
    variables, children possibly sharing them: Harris's inequality)."""
    if op == SERIES:       # up when all are up: down when any is down
        return max(dl), _or_bound(dh), float(np.prod(ul)), min(uh)
    if op == PARALLEL:     # up when any is up
        return float(np.prod(dl)), min(dh), max(ul), _or_bound(uh)
    n = len(dl)
    m = n - k + 1          # children down that bring the gate down
    # between the series gate (all up) and the parallel gate (any up) of
    # the same children, and within Markov's bounds on the count
    up_lo = max(float(np.prod(ul)), (sum(ul) - (k - 1)) / m, 0.0)
    up_hi = min(_or_bound(uh), sum(uh) / k, 1.0)
    down_lo = max(float(np.prod(dl)), (sum(dl) - (m - 1)) / k, 0.0)
    down_hi = min(_or_bound(dh), sum(dh) / m, 1.0)
    return down_lo, down_hi, up_lo, up_hi


def _ptr(kids):
    out = [0]
    for k in kids:
        out.append(out[-1] + len(k))
    return out


def _flat(kids):
    return [c for k in kids for c in k]
