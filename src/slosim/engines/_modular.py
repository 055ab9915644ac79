"""Decision diagrams raced over variable orders, and diagrams of modules.

:func:`build_diagram` builds the diagrams of a graph's nodes, racing the
variable orders of :mod:`slosim.engines._ordering` within a node budget
(what :class:`~slosim.engines.ExactDiagram` uses).

:class:`ModularDiagram` is what :func:`slosim.exact` uses on a model whose
single diagram would be large: the preprocessed graph
(:mod:`slosim.engines._preprocess`) is cut at its modules, each module is
a diagram of its own over its own events and its sub-modules (each one
variable), and the journeys are a diagram over the events and modules
outside every module. A module's events are independent of everything
outside it, so its probability of being down is that variable's
probability in the diagram above (up and down each computed directly, as
everywhere in the exact engine).

Conditionals go through the hierarchy. A journey's availability is
multilinear in a module's probability, so for an event ``i`` inside a
module ``M`` of the journey's diagram::

    R(i up) = R(M up) P(M up | i up) + R(M down) P(M down | i up),

and the same with ``i`` down and for the unavailability; ``P(M up | i
up)`` comes the same way from the module's own diagram, through nested
modules to the one that holds ``i``. Every term is a product of
probabilities: nothing is a difference, so small numbers keep their
digits.

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

from .._core import _bdd
from ..model import K_OF_N, NOT, PARALLEL, SERIES
from . import _ordering

__all__ = ["build_diagram", "Overflow", "ModularDiagram", "choose_modules", "graph_bounds",
           "BDD_OP"]

#: The given order alone may use this many diagram nodes times the graph's
#: size (leaves, gates and edges) to the power 1.5 before other orders are
#: tried: structured models stay well below it (service graphs under 0.3,
#: PRA-style fault trees of 200 to 3000 events 1.3 to 3), unstructured
#: fault trees in a poor order go far past it.
_GIVEN_BUDGET_FACTOR = 8

#: Smallest budget of the first attempt, so small models never retry.
_MIN_FIRST_BUDGET = 1 << 16

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


def _attempt(arrays, rank, n_vars, budget, resume=None):
    """Build with leaf levels ``rank``: (Diagram, ids), or on overflow
    (None, (size, done, partial)), ``partial`` being (rank, Diagram, ids)
    with the first ``done`` graph nodes built. ``resume``, the ``(size,
    done, partial)`` of an overflowed attempt in the same order, continues
    it within the larger ``budget``."""
    if resume is None:
        diagram, more = _bdd.Diagram(n_vars, budget), {}
    else:
        size, done, (rank, diagram, ids) = resume
        diagram.budget = budget
        more = {"resume": (ids, done)}
    try:
        ids = _bdd.build(diagram, rank, *arrays, **more)
    except _bdd.BudgetExceeded as exc:
        size, done, ids = exc.args
        return None, (size, done, (rank, diagram, ids))
    return diagram, ids


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
    nodes per node and edge of the graph (at least ``_MIN_FIRST_BUDGET``);
    ``given_failed``, the ``Overflow`` arguments of such an attempt, skips
    it. Past it, the other orders of
    :func:`slosim.engines._ordering.candidates` race in rounds of budgets
    growing fourfold, the ones that got furthest first, while the nodes of
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

    first = min(max_nodes, max(_MIN_FIRST_BUDGET,
                               int(_GIVEN_BUDGET_FACTOR * graph.size() ** 1.5)))
    if quick is not None:
        max_nodes = first = min(first, max(_MIN_FIRST_BUDGET, quick * graph.size()))
    progress = {}     # candidate -> (graph nodes done, -index) when it overflowed
    failed = {}       # candidate -> (nodes, done) of its furthest attempt
    budget, tried, spent = first, [0], 0
    if probe:
        # every order at a sixteenth of the first budget, the given first
        budget = first = max(_MIN_FIRST_BUDGET, first // 16)
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
        diagram, ids = _attempt(arrays, rank_of(i), n_vars, budget, more)
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

    while True:
        for i in tried:
            built = run(i, budget)
            if built is not None:
                return built
        if budget >= max_nodes:
            break
        if len(tried) == 1 and budget == first:
            # the given order overflowed: the others start at its budget
            tried = list(range(1, len(makers)))
        else:
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
                    built = run(i, min(max_nodes, max(_MIN_FIRST_BUDGET, first // 16)))
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
    """One diagram of the hierarchy: a module's, or the journeys' (top).

    ``events``: its own basic events (local leaves ``0..``, components
    first); ``subs``: its sub-modules (part numbers), the local leaves
    after its component events; shocks last. ``own``, ``sub_leaves``: the
    local leaves of ``events`` and of ``subs``. ``level[leaf]``: the local
    leaf's variable. ``roots``: diagram node of each output (one for a
    module). ``gates``: reduced gate numbers of its interior, for bounds.
    """

    __slots__ = ("gate", "events", "subs", "level",
                 "diagram", "roots", "ops", "ks", "kids", "n_leaves", "overflow",
                 "partial", "coherent", "n_events_below", "own", "sub_leaves",
                 "level_own", "level_sub")


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

    The parts are cut on construction; :meth:`build` builds their
    diagrams, each racing the candidate orders of its own graph
    (:func:`_ordering.candidates`): the optimised graph below a module
    is no longer the model's, and orders made from it suit it better
    (edf9204 of the Aralia trees: 0.32 s instead of 0.53 s with the
    model's orders projected).

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
    """

    def __init__(self, structure, reduced, chosen, max_nodes):
        self.structure = structure
        R = reduced
        self.parts = []
        part_of = {}                       # module node -> part number
        for m in sorted(chosen):           # children before parents
            part_of[m] = len(self.parts)
            self.parts.append(self._cut(R, [m], m, chosen, part_of))
        self.top = self._cut(R, R.outputs, None, chosen, part_of)
        self.parts.append(self.top)
        self.largest_share = max(p.n_leaves for p in self.parts) / max(1, structure.n_events)
        self._reduced, self._max_nodes = R, max_nodes

    def build(self):
        """Build every part's diagram, children first, within ``max_nodes``
        in all; returns self (see :attr:`overflow`)."""
        structure, max_nodes, R = self.structure, self._max_nodes, self._reduced
        L = R.n_leaves
        self.nodes = 0
        self.overflow = []
        C = structure.n_components
        for p in self.parts:
            p.coherent = not any(op == NOT for op in p.ops) and all(
                self.parts[s].coherent for s in p.subs)
            left = max_nodes - self.nodes
            ptr, idx = _ptr(p.kids), _flat(p.kids)
            graph = _ordering.Graph(p.n_leaves, ptr, idx, p.roots,
                                    n_components=self._n_comp_leaves(p, C))
            arrays = (np.ascontiguousarray(BDD_OP[np.asarray(p.ops, dtype=np.intp)]),
                      np.asarray(p.ks, dtype=np.int64), np.asarray(ptr, dtype=np.int64),
                      np.asarray(idx, dtype=np.int64))
            p.overflow = p.partial = None
            if left < 2 + p.n_leaves:
                p.overflow = (0, 0)
            else:
                try:
                    # most of the model, whose given order overflowed the
                    # first budget as one diagram: every order is probed
                    # at a small budget first
                    probe = 2 * p.n_events_below >= structure.n_events
                    rank, p.diagram, ids = build_diagram(p.n_leaves, arrays, graph, left,
                                                         probe=probe)
                except Overflow as exc:
                    p.overflow = exc.args[:2]
                    # the gates built before the budget ran out: exact
                    # parts of the bounds
                    p.partial = exc.args[2]
            if p.overflow is not None:
                p.diagram = None
                name = (structure.gate_names[R.origin[p.gate - L]]
                        if p.gate is not None else None)
                self.overflow.append((name, p.n_events_below, p.overflow[0],
                                      p.overflow[1], p.n_leaves + len(p.ops)))
                continue
            p.level = rank.astype(np.intp)
            p.level_own, p.level_sub = p.level[p.own], p.level[p.sub_leaves]
            p.roots = [int(ids[o]) for o in p.roots]
            self.nodes += int(p.diagram.nodes)
        return self

    @staticmethod
    def _n_comp_leaves(p, C):
        return int(np.count_nonzero(p.events < C)) + len(p.subs)

    def _cut(self, R, roots, own, chosen, part_of):
        """The part whose outputs are ``roots``: the module ``own``, or
        (``own`` None) the journeys' nodes; its interior cut at the chosen
        modules."""
        L = R.n_leaves
        p = _Part()
        p.gate = own
        leaves, interior = {}, set()
        stack = list(roots)
        while stack:
            n = stack.pop()
            if n in leaves or n in interior:
                continue
            if n < L or (n in chosen and n != own):
                leaves[n] = None
                continue
            interior.add(n)
            stack.extend(R.kids[n - L])
        C = self.structure.n_components
        comps = sorted(n for n in leaves if n < C)
        subs = sorted(n for n in leaves if n >= L)
        shocks = sorted(n for n in leaves if C <= n < L)
        order = comps + subs + shocks
        local = {n: i for i, n in enumerate(order)}
        p.n_leaves = len(order)
        p.subs = [part_of[n] for n in subs]
        p.events = np.array(comps + shocks, dtype=np.int64)
        first_shock = len(comps) + len(subs)
        p.own = np.r_[0:len(comps), first_shock:p.n_leaves].astype(np.intp)
        p.sub_leaves = np.arange(len(comps), first_shock)
        gates = sorted(interior)
        local.update({g: p.n_leaves + i for i, g in enumerate(gates)})
        p.ops = [R.ops[g - L] for g in gates]
        p.ks = [R.ks[g - L] for g in gates]
        p.kids = [[local[c] for c in R.kids[g - L]] for g in gates]
        p.roots = [local[r] for r in roots]
        p.n_events_below = len(p.events) + sum(self.parts[s].n_events_below
                                               for s in p.subs)
        return p

    # --- evaluation -------------------------------------------------------

    def values(self, q, r, conditionals=True):
        """``(J, width)``: each journey's up, down, then (with
        ``conditionals``) its availability with each event up, down, and
        its unavailability with each event up, down (``E`` each), at the
        events' unavailabilities ``q`` and availabilities ``r`` (event
        order). Needs every diagram built (``overflow`` empty)."""
        E = self.structure.n_events
        P = len(self.parts) - 1
        pu = np.empty(P)
        pd = np.empty(P)
        cond = {}
        for i, p in enumerate(self.parts):
            qv, rv = self._by_level(p, q, r, pd, pu)
            up, down = _bdd.probabilities(p.diagram, qv, rv)
            if p is self.top:
                break
            root = p.roots[0]
            pu[i], pd[i] = up[root], down[root]
            if conditionals:
                c = _bdd.conditionals(p.diagram, root, qv, up, down, rv)
                cond[i] = self._expand(p, np.asarray(c)[:, p.level], cond)
        J = len(p.roots)
        width = 2 + 4 * E if conditionals else 2
        out = np.empty((J, width))
        for j, root in enumerate(p.roots):
            out[j, 0], out[j, 1] = up[root], down[root]
            if not conditionals:
                continue
            c = _bdd.conditionals(p.diagram, root, qv, up, down, rv)
            ev, block = self._expand(p, np.asarray(c)[:, p.level], cond, keep=True)
            full = np.empty((4, E))
            full[:2] = up[root]
            full[2:] = down[root]
            full[:, ev] = block
            out[j, 2:] = full.reshape(-1)
        return out

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

    def _expand(self, p, c, cond, keep=False):
        """(events, (4, n)): the part's up and down given each event below
        it up and down, from its conditionals ``c`` ((4, leaves): up given
        the leaf up, down; down given it up, down) and its sub-modules' own
        (taken from ``cond``, and dropped unless ``keep``). Through a
        sub-module's leaf, each of its events' four is the 2x2 product
        ``[[uu, ud], [du, dd]] @ [[a_uu, a_ud], [a_du, a_dd]]``."""
        events = [p.events]
        blocks = [c[:, p.own]]
        for leaf, s in zip(p.sub_leaves.tolist(), p.subs):
            sev, a = cond[s] if keep else cond.pop(s)
            blocks.append((c[:, leaf].reshape(2, 2) @ a.reshape(2, -1)).reshape(4, -1))
            events.append(sev)
        return np.concatenate(events), np.concatenate(blocks, axis=1)

    # --- bounds -----------------------------------------------------------

    def bounds(self, q, r):
        """Each journey's unavailability bounds ``(low, high)`` arrays, or
        None for a non-coherent structure.

        Built modules are evaluated at both ends of their sub-modules'
        bounds; overflowing ones are bounded through their gates (see the
        module docstring)."""
        if not self.structure.coherent:
            return None
        P = len(self.parts) - 1
        # each end: (pd, pu) of every module: the low end has the smallest
        # unavailability (largest availability)
        ends = [(np.empty(P), np.empty(P)), (np.empty(P), np.empty(P))]
        for i, p in enumerate(self.parts):
            got = []
            for pd, pu in ends:
                if p.diagram is not None:
                    qv, rv = self._by_level(p, q, r, pd, pu)
                    up, down = _bdd.probabilities(p.diagram, qv, rv)
                    got.append((down[p.roots], up[p.roots]))
            if p.diagram is None:
                got = self._gate_bounds(p, q, r, ends)
            if p is self.top:
                return got[0][0], got[1][0]
            for e, (pd, pu) in enumerate(ends):
                pd[i], pu[i] = got[e][0][0], got[e][1][0]
        raise AssertionError("unreachable")

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
