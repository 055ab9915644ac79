"""Exact journey availability, with every component's conditionals.

:func:`exact` builds a reduced ordered binary decision diagram (ROBDD) of
each journey over independent components and evaluates it exactly. The
diagram is built bottom-up over the model's DAG: shared nodes are built
once, series and parallel gates by conjunction and disjunction, a
negation by the diagram's complement, k-of-n
gates by a threshold recurrence over the children's diagrams (never by
enumerating subsets). Variables are ordered depth-first over the DAG from
the journeys, which keeps the components of one redundant group adjacent
and puts a shared component at its first use: for service graphs this
order gives diagrams close to linear in the number of components, and
PRA-style fault trees stay small in it too. When this order needs far more
nodes than the graph's size suggests (unstructured fault trees, whose
children come in no meaningful order), other orders race within growing
budgets: children sorted by support size, and the FORCE heuristic, which
pulls the uses of a shared event together (:mod:`slosim.engines._ordering`).

The graph is preprocessed first (:mod:`slosim.engines._preprocess`); a
model too large for one diagram is cut at its modules, each a diagram of
its own, composed exactly (:mod:`slosim.engines._modular`), and when even
a module does not fit, the error carries bounds on each journey.

The diagram is built over the model's :class:`~slosim.model.Structure`:
its basic events are the variables, its gates the graph.

Why a BDD: its size, not the number of components, bounds the work; shared
dependencies (which make the graph a DAG, not a tree) cost nothing extra
where they are local; and one more pass over the same diagram gives, for
every component, the journey's availability with the component forced up
and forced down, which importance measures and allocation gradients need.
"""

from dataclasses import dataclass

import numpy as np

from .._core import _bdd
from .._errors import DiagramTooLargeError, ExactUnsupportedError
from .._validation import check_int, param_error
from ..model import Structure, as_model, lower
from ..results import ExactResult, ExactResults, birnbaum_importance
from . import _modular, _ordering
from ._given import apply_given, given_labels
from ._modular import BDD_OP, ModularDiagram, Overflow, build_diagram, choose_modules, graph_bounds
from ._preprocess import distribute, find_modules, group_leaves, merge_common, optimize, reduce
from ._quadrature import integrate_factor

__all__ = ["exact", "ExactDiagram", "Evaluation", "DEFAULT_MAX_NODES"]

#: Diagram nodes allowed by default (about 28 bytes per node slot with the
#: hash tables; the store grows by doubling).
DEFAULT_MAX_NODES = 5_000_000


#: Whether :func:`exact` coalesces same-kind single-parent gates into
#: their parents. Off: the builder combines a gate's children pairwise,
#: and the nesting a model's author chose keeps related children together;
#: flattened, unrelated ones meet first and build larger intermediate
#: diagrams (over three times the nodes on an unstructured 250-event fault
#: tree), for no gain measured on the Aralia trees. The tests turn it on.
_COALESCE = False

#: Whether the modular build first gathers each series or parallel gate's
#: events that nothing else uses under a gate of their own (a module: one
#: variable above instead of several). The tests turn it off too.
_GROUP = True

#: Whether :func:`exact` first tries one diagram of the whole model in the
#: given order (within a quick budget, linear in the graph's size) before
#: cutting it into modules;
#: the tests turn it off to exercise the modules on small models.
_FLAT_FIRST = True

#: Whether the graph is optimised (:func:`_preprocess.optimize`: redundant
#: uses of shared nodes removed, shared events moved up).
_OPTIMIZE = True

#: Whether the optimised graph is then rewritten by distributivity
#: (:func:`_preprocess.distribute`) and optimised again, when that shrank
#: it enough (:func:`_optimized`): for the first diagram, and the modules
#: past it. On the Aralia trees it makes edf9206 one diagram of 17,634
#: nodes in its own order (the given order overflows 65,536) and elf9601
#: one of 39,273, each in a millisecond or two, and changes little
#: elsewhere.
_DISTRIBUTE = True

#: Whether the one diagram raced (past the quick attempt, when the
#: modules would leave one part of most of the model) is of the graph
#: with its common children merged and distributed (:func:`_merged`). On
#: the Aralia trees raced so: edfpa14p 89 -> 25 ms, edfpa15p 40 -> 13 ms,
#: das9701 13.4 -> 10.8 s; edfpa15r 10 -> 13 ms (a third of SCRAM's BDD),
#: the others about the same. Not for the modules: there it won on some
#: trees (edfpa14b 180 -> 56 ms) and lost on others (edf9204 0.42 -> 0.70
#: s, cea9601 1.1 -> 2.7 s), through the orders their race tries first.
_MERGE = True

#: Past the quick first attempt, :func:`exact` builds one diagram of the
#: model after all when its modules leave a part over this share of its
#: events: cutting off a few small modules changes little, and one diagram
#: races its orders from the whole model's (measured on the Aralia trees:
#: edf9203, cea9601 and the edfpa trees without modules).
_MODULES_MAX_SHARE = 0.9

#: The first attempt of :func:`slosim.exact`, one diagram of the whole
#: model in the given order, may use this many nodes times the graph's
#: size (at least the race's first budget's floor); past it come the
#: modules (or the whole race, continuing this attempt). On the Aralia
#: trees, one diagram is the faster way where it fits in about 25 times
#: the graph's size, modules where it needs 300 times and more (between,
#: either way within about 1.5x).
_QUICK_BUDGET_FACTOR = 32

#: A graph of at least ``_QUICK_SHORT_SIZE`` (leaves, gates and edges) first
#: gets no more than ``_QUICK_SHORT_FACTOR`` nodes per unit of its size
#: (without the floor); past them, the modules, when it has some worth
#: cutting (their diagrams, built in one pass, are then about as fast as
#: one), else the first attempt goes on to its full quick budget.
#: random-200-s4 of the benchmarks, of size 643, whose one diagram needs
#: 109,534 nodes, wastes 25,720 instead of 65,536; elf9601 of the Aralia
#: trees (57 times its size) is built as modules, in about 3 ms instead of
#: 2.3; the smaller trees that need more than 32 times their size one
#: diagram (baobab1, baobab3, isp9605: up to 113 times) keep the floor.
_QUICK_SHORT_SIZE = 512
_QUICK_SHORT_FACTOR = 40

#: The Boolean optimisation and distributivity come first; when they
#: removed at least this share of the graph's edges, the quick attempt
#: builds one diagram of the rewritten graph in its own depth-first order
#: instead of the graph as given (the shared events moved up leave that
#: order a good one: edf9202 of the Aralia trees, 46% removed, is one
#: diagram of 5,998 nodes; an unstructured 200-event tree, 83% removed,
#: 516). Otherwise the graph as given, whose order its author chose, goes
#: first (the Aralia trees whose one diagram is the fastest way remove at
#: most 28%).
_OPTIMIZED_FIRST = 1 / 3

#: ... or when the distributivity removed at least this share of the
#: optimised graph's edges: edf9206 of the Aralia trees, 24%, is one
#: diagram of 17,634 nodes in the distributed graph's order, where the
#: given order overflows 65,536. The trees it changes by a few edges keep
#: the given order (baobab3, edf9205: 1%; a little better for them), and
#: their modules the optimised graph's (pra-500 of the benchmarks, 4%:
#: its largest module needs 65,665 nodes distributed, past the first
#: budget of the race of its orders, and 59,632 not; the modules were no
#: faster distributed on any tree).
_DISTRIBUTED_FIRST = 0.1


def _flat(structure, reduced, max_nodes, quick=None, given_failed=None, resume=None,
          graph=None):
    """Build one diagram of every journey over the preprocessed graph:
    (rank, Diagram, journey roots); raises Overflow.

    The variable orders, and the first budget, come from ``graph`` (by
    default the graph as lowered, :func:`_graph`: the preprocessed graph
    has the same functions, so the same orders give the same diagrams,
    built faster; or the optimised graph's own, :func:`_optimized`).
    """
    s = structure
    ops, ks, ptr, idx = reduced.arrays()
    arrays = (np.ascontiguousarray(BDD_OP[np.asarray(ops, dtype=np.intp)]),
              np.asarray(ks, dtype=np.int64), np.asarray(ptr, dtype=np.int64),
              np.asarray(idx, dtype=np.int64))
    graph = _graph(s) if graph is None else graph
    rank, diagram, ids = build_diagram(s.n_events, arrays, graph, max_nodes,
                                       quick=quick, given_failed=given_failed,
                                       resume=resume)
    return rank, diagram, [int(ids[o]) for o in reduced.outputs]


def _optimized(s, reduced, graph):
    """(rewritten graph, graph of the first diagram, its Graph for the
    orders).

    The rewritten graph is the optimised one; or, when distributivity
    removed at least ``_DISTRIBUTED_FIRST`` of its edges or left at most
    ``1 - _OPTIMIZED_FIRST`` of the given graph's, the distributed one,
    optimised again (it took repeated uses of shared events out: the
    graph is closer to a tree, whose depth-first order is a good one). It
    is built first, in its own orders, when distributed, or when the
    optimisation removed at least ``_OPTIMIZED_FIRST`` of the edges; else
    ``reduced`` is, in the orders of the graph as lowered, ``graph``.
    """
    if not _OPTIMIZE:
        return reduced, reduced, graph
    rewritten = optimize(reduced)
    distributed = distribute(rewritten) if _DISTRIBUTE else rewritten
    given, edges, edges_d = (sum(map(len, g.kids)) for g in (reduced, rewritten, distributed))
    if distributed is not rewritten and (edges_d <= (1 - _DISTRIBUTED_FIRST) * edges
                                         or edges_d <= (1 - _OPTIMIZED_FIRST) * given):
        rewritten = optimize(distributed)
    elif rewritten is reduced or edges > (1 - _OPTIMIZED_FIRST) * given:
        return rewritten, reduced, graph
    own = _ordering.Graph(rewritten.n_leaves, *rewritten.arrays()[2:], rewritten.outputs,
                          n_components=s.n_components)
    return rewritten, rewritten, own


def _merged(optimized):
    """The graph of the one diagram raced: ``optimized`` (optimised
    without the decomposition) with its common children merged, then
    distributed, each optimised again (in PRA engines' order: merging
    makes the shared gates that distributivity takes out)."""
    merged = merge_common(optimized)
    if merged is not optimized:
        merged = optimize(merged, decompose=False)
    distributed = distribute(merged)
    if distributed is not merged:
        distributed = optimize(distributed, decompose=False)
    return distributed


def _graph(s):
    """The Structure's graph as lowered, for the variable orders."""
    return _ordering.Graph(s.n_events, s.child_ptr, s.child_idx, s.outputs.tolist(),
                           n_components=s.n_components)


def _too_large(structure, reduced, max_nodes, size, done, partial=None):
    """The DiagramTooLargeError of one diagram: how far it got, and with
    ``partial`` (the furthest attempt's diagram), bounds: exact for the
    gates it built, Harris's above them."""
    s = structure
    bounds, why = None, ""
    if partial is not None:
        r = 1.0 - s.q
        bounds, why = _bounds(s, lambda: tuple(
            end[0] for end in graph_bounds(reduced.ops, reduced.ks, reduced.kids,
                                           reduced.outputs, s.q, s.q, r, r,
                                           partial, done)))
        why += "; "
    return DiagramTooLargeError(
        f"the decision diagram reached the node budget max_nodes="
        f"{max_nodes} ({size} nodes) after {done} of "
        f"{reduced.n_leaves + reduced.n_gates} graph nodes over "
        f"{s.n_events} components; {why}raise max_nodes, or estimate with "
        f"slosim.simulate, which has no such limit",
        size, bounds=bounds)


def exact(model, *, given=None, max_nodes=DEFAULT_MAX_NODES, _preprocess=True):
    """Exact availability of every journey, with per-component conditionals.

    Parameters
    ----------
    model : Model, Node or Journey
        Components are independent (shared dependencies are exact: a shared
        component is one variable), apart from shocks (each one more
        independent event) and at most one one-factor
        :class:`~slosim.GaussianCopula`, integrated over its factor.
    given : dict, optional
        What-if: basic event (component, service or shock name) -> ``True``
        or ``'up'``, ``False`` or ``'down'``; those events are forced to
        that state and everything else keeps its law ("what does losing
        zone A do to every journey?"). For an event outside a copula this
        is also the probability conditional on that state; a copula member
        is forced without moving the common factor.
    max_nodes : int, default 5_000_000
        Budget of decision-diagram nodes. Past it, :func:`exact` stops with
        :class:`DiagramTooLargeError` instead of exhausting memory; use
        :func:`simulate` for such models.

    Returns
    -------
    ExactResults
        Mapping journey name -> :class:`ExactResult`, each with the
        availability, the unavailability (computed directly, never as one
        minus a number near one), and for every component the availability
        and unavailability with the component forced up and forced down,
        and its Birnbaum importance.

    Raises
    ------
    DiagramTooLargeError
        If the diagrams need more than ``max_nodes`` nodes: it says how far
        the build got, and for a coherent model without a copula its
        ``bounds`` hold each journey's lower and upper unavailability.
    ExactUnsupportedError
        For a copula with a general correlation matrix, or more than one
        copula with its own factor.
    TypeError, ValueError
        For a bad parameter.

    See Also
    --------
    simulate : Monte Carlo estimates, for models too large for a diagram.

    Notes
    -----
    Each diagram node ``u`` with variable ``v`` (unavailability ``q_v``)
    has the probability of being up ``P(u) = q_v P(lo) + (1 - q_v) P(hi)``
    and, computed alongside and just as directly, of being down. Both are
    sums of non-negative terms, so both keep their relative precision: an
    unavailability of ``1e-15`` keeps its digits. For component ``i``, the
    availability with ``i`` up, ``R(i up)``, sums over diagram nodes
    labelled ``i`` the probability of reaching them times the probability
    of their up-branch, plus what the paths that skip ``i`` contribute; all
    components' conditionals come from one top-down pass per journey. They
    satisfy ``R = r_i R(i up) + (1 - r_i) R(i down)``, and
    ``R(i up) - R(i down)`` is the Birnbaum importance, the derivative of
    ``R`` in ``r_i``.

    Before building, the lowered graph is preprocessed (k-of-n gates that
    are series or parallel, repeated children, single-child gates and
    double negations simplified; uses of shared events that never matter
    removed, shared events moved up to the gates they decide, and taken
    out of repeated uses by distributivity; for one diagram raced, common
    children merged too: see :doc:`/math`), which changes no function. A
    model too large for one diagram in the given order is cut at its modules
    (Dutuit and Rauzy's linear-time algorithm, after the events that a
    series or parallel gate alone uses are gathered under one gate): each
    module is a diagram of its own, one variable in the diagram above,
    and each component's conditionals are composed through the
    modules, a journey being multilinear in a module's probability (see
    :doc:`/math`).

    With a one-factor copula every output is the expectation over the
    factor ``F`` of the same output with the members' unavailabilities
    ``q_i(F)``, integrated adaptively to a relative error of ``1e-11``
    (see :doc:`/math`). A member's conditionals force it up or down and
    keep the factor's law, so the identity above holds for components
    outside the copula only.

    References
    ----------
    .. [1] R. E. Bryant, "Graph-based algorithms for Boolean function
       manipulation", IEEE Trans. Computers C-35 (1986).
    .. [2] A. Rauzy, "New algorithms for fault trees analysis", Reliability
       Engineering & System Safety 40 (1993).
    .. [3] Y. Dutuit and A. Rauzy, "A linear-time algorithm to find modules
       of fault trees", IEEE Trans. Reliability 45 (1996).

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.999)
    >>> db = ss.parallel(ss.Component("db-a", availability=0.99),
    ...                  ss.Component("db-b", availability=0.99), name="db")
    >>> res = ss.exact(ss.series(web, db, name="checkout"))
    >>> r = res["checkout"]
    >>> print(f"{r.availability:.10f} {r.unavailability:.6e}")
    0.9989001000 1.099900e-03
    >>> dict(zip(r.components, r.birnbaum.round(6).tolist()))
    {'web': 0.9999, 'db-a': 0.00999, 'db-b': 0.00999}

    With one database replica down, the other carries the journey:

    >>> ss.exact(ss.series(web, db, name="checkout"), given={"db-a": "down"})
    ExactResults(journeys=1, components=3, bdd_nodes=7, given={'db-a': 'down'})
      checkout  availability=0.98901  unavailability=0.01099
    """
    structure = lower(as_model(model, "exact"))
    labels = given_labels(structure, given, "exact")
    s = apply_given(structure, given, "exact")
    values, nodes = _solve(s, max_nodes, _preprocess)
    results = {}
    for j, (name, target) in enumerate(zip(s.journeys, s.targets)):
        results[name] = ExactResult(
            journey=name,
            availability=min(float(values.availability[j]), 1.0),
            unavailability=min(float(values.unavailability[j]), 1.0),
            target=target,
            components=s.events,
            availability_if_up=_frozen(values.availability_if_up[j]),
            availability_if_down=_frozen(values.availability_if_down[j]),
            unavailability_if_up=_frozen(values.unavailability_if_up[j]),
            unavailability_if_down=_frozen(values.unavailability_if_down[j]),
            coherent=s.coherent,
        )
    return ExactResults(results, components=s.events, bdd_nodes=nodes, given=labels)


def _solve(s, max_nodes, preprocess):
    """(Evaluation with conditionals, diagram nodes) of a Structure.

    Without ``preprocess``: one diagram of the graph as lowered. With it:
    one diagram in the given order when it fits a budget linear in the
    graph's size (small and structured models: the flat diagram is the
    fastest), of the preprocessed graph, or of the rewritten one
    (optimised, distributed) in its own order when the rewriting removed
    much of it (``_OPTIMIZED_FIRST``); otherwise the rewritten graph's
    modules' diagrams, each raced over the orders within what is left of
    ``max_nodes``, unless a
    part would hold most of the model (``_MODULES_MAX_SHARE``): then one
    diagram, its orders raced from the given one's full first budget.
    """
    max_nodes = check_int(max_nodes, "max_nodes", "exact", low=2, high=2**31 - 1)
    if not preprocess:
        diagram = ExactDiagram(s, max_nodes=max_nodes, _func="exact", _preprocess=False)
        return diagram.evaluate(), diagram.nodes
    reduced = reduce(s, coalesce=_COALESCE)
    graph = _graph(s)     # the orders come from the graph as lowered
    built = given_failed = quick = md = None
    cut, first, first_graph = _optimized(s, reduced, graph)
    stopped = None
    size = first_graph.size()
    full = max(_modular.MIN_FIRST_BUDGET, _QUICK_BUDGET_FACTOR * size)
    short = min(full, _QUICK_SHORT_FACTOR * size) if size >= _QUICK_SHORT_SIZE else full
    if _FLAT_FIRST:
        try:
            built = _flat(s, first, max_nodes, graph=first_graph, quick=short)
        except Overflow as exc:
            stopped = exc.args
    if built is None:
        cut = group_leaves(cut) if _GROUP else cut
        chosen = choose_modules(cut, find_modules(cut))
        if chosen:
            md = ModularDiagram(s, cut, chosen, max_nodes)
            if _FLAT_FIRST and md.largest_share >= _MODULES_MAX_SHARE:
                md = None
    if _FLAT_FIRST and built is None and md is None and short < full:
        # no modules worth cutting: the first attempt goes on to its full
        # quick budget
        try:
            built = _flat(s, first, max_nodes, graph=first_graph, quick=full, resume=stopped)
        except Overflow as exc:
            stopped = exc.args
    if _FLAT_FIRST and built is None and md is None and first is reduced:
        # of the graph as given, past max_nodes: its partial diagram gives
        # bounds if nothing larger is tried; within, the given order
        # continues to its full first budget if one diagram is built
        # after all
        if stopped[0] >= max_nodes:
            given_failed = stopped
        else:
            quick = stopped
    if built is None and md is None:
        if _OPTIMIZE:
            # one diagram: the optimisation without the decomposition,
            # which serves the modules (moved up, shared events can make
            # the last gates' diagrams far larger: das9701 of the Aralia
            # trees overflows 20 million nodes with it, 16 million without)
            optimized = optimize(reduced, decompose=False)
            if _MERGE:
                optimized = _merged(optimized)
            if optimized is not reduced:
                # a new graph: the quick attempt's diagram is not its
                reduced, quick, given_failed = optimized, None, None
        try:
            built = _flat(s, reduced, max_nodes, given_failed=given_failed, resume=quick,
                          graph=graph)
        except Overflow as exc:
            raise _too_large(s, reduced, max_nodes, *exc.args) from None
    if built is not None:
        diagram = ExactDiagram(s, max_nodes=max_nodes, _func="exact", _built=built)
        return diagram.evaluate(), diagram.nodes
    quick = None      # the quick attempt's diagram is not needed any more
    if md.build().overflow:
        raise _modules_too_large(s, md, max_nodes)

    def evaluate(qv, rv=None):
        return md.values(qv, 1.0 - qv if rv is None else rv)

    factor = _one_factor(s, np.arange(s.n_events), s.q)
    values = evaluate(s.q) if factor is None else integrate_factor(evaluate, s.q, *factor)
    cond = values[:, 2:].reshape(len(values), 4, s.n_events)
    ev = Evaluation(values[:, 0].copy(), values[:, 1].copy(), cond[:, 0], cond[:, 1],
                    cond[:, 2], cond[:, 3], coherent=s.coherent)
    return ev, md.nodes


def _bounds(s, compute):
    """(bounds, clause): each journey's unavailability bounds from
    ``compute()`` -> (low, high) arrays, and the words that report them;
    no bounds for a non-coherent model or one with a copula's factor."""
    if not s.coherent:
        return None, "no bounds: the logic is not coherent (it has a negation)"
    if s.copulas and _one_factor(s, np.arange(s.n_events), s.q) is not None:
        return None, "no bounds: the model has a copula"
    low, high = compute()
    bounds = {j: (float(min(lo, 1.0)), float(min(hi, 1.0)))
              for j, lo, hi in zip(s.journeys, low.tolist(), high.tolist())}
    shown = "; ".join(f"{j!r} in [{lo:.6g}, {hi:.6g}]"
                      for j, (lo, hi) in list(bounds.items())[:4])
    more = ", ..." if len(bounds) > 4 else ""
    return bounds, f"bounds on the unavailability (in the error's .bounds): {shown}{more}"


def _modules_too_large(s, md, max_nodes):
    """The DiagramTooLargeError of a modular build: what was built, what
    did not fit, and the bounds on each journey's unavailability."""
    name, events, size, done, total = md.overflow[0]
    what = f"module {name!r}" if name is not None else "the journeys' own gates"
    built = md.n_parts - len(md.overflow)
    bounds, why = _bounds(s, lambda: md.bounds(s.q, 1.0 - s.q))
    return DiagramTooLargeError(
        f"the decision diagrams reached the node budget max_nodes={max_nodes}: "
        f"{built} of {md.n_parts} diagrams of the model's modules were built "
        f"exactly ({md.nodes} nodes), and {what} over {events} events did not "
        f"fit ({size} nodes after {done} of {total} graph nodes); {why}; raise "
        f"max_nodes, or estimate with slosim.simulate, which has no such limit",
        size, bounds=bounds)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What a model's diagram gives at one set of probabilities.

    Arrays are indexed by journey, then by basic event in the order of the
    Structure's ``events`` (components, then shocks).

    Attributes
    ----------
    availability, unavailability : ndarray, shape (J,)
        Each journey's probability of being up and of being down, each
        computed directly (neither as one minus the other).
    availability_if_up, availability_if_down : ndarray, shape (J, E) or None
        Each journey's availability with the event forced up (not
        happening) and forced down (happening); None when not asked for.
    unavailability_if_up, unavailability_if_down : ndarray, shape (J, E) or None
        The same in unavailability, computed directly.
    availability_and_up, availability_and_down : ndarray, shape (J, E) or None
        The probability that the journey is up and the event up (does not
        happen), and that the journey is up and the event down; None when
        not asked for (``joint=True``).
    unavailability_and_up, unavailability_and_down : ndarray, shape (J, E) or None
        The same with the journey down.
    coherent : bool
        Whether the model has no negation; then a Birnbaum importance is
        never negative, and rounding below zero is clipped.
    """

    availability: np.ndarray
    unavailability: np.ndarray
    availability_if_up: np.ndarray | None = None
    availability_if_down: np.ndarray | None = None
    unavailability_if_up: np.ndarray | None = None
    unavailability_if_down: np.ndarray | None = None
    availability_and_up: np.ndarray | None = None
    availability_and_down: np.ndarray | None = None
    unavailability_and_up: np.ndarray | None = None
    unavailability_and_down: np.ndarray | None = None
    coherent: bool = True

    @property
    def birnbaum(self):
        """``(J, E)``: each event's Birnbaum importance for each journey,
        ``U(i down) - U(i up)``, the derivative of a journey's unavailability
        in the event's probability (and of its availability in the event's
        availability), from the pair that keeps more digits."""
        return birnbaum_importance(
            self.availability_if_up, self.availability_if_down, self.unavailability_if_up,
            self.unavailability_if_down, (self.unavailability < self.availability)[:, None],
            self.coherent)


class ExactDiagram:
    """The decision diagram of a model, built once, evaluated at any probabilities.

    :func:`exact` builds one and evaluates it at the model's own
    probabilities. Analyses that ask the same structure many questions
    (allocation, uncertainty) build it once and call :meth:`evaluate` with
    other probabilities of the basic events: the diagram, the costly part,
    depends on the structure only.

    Parameters
    ----------
    model : Model, Node, Journey or Structure
    max_nodes : int, default 5_000_000
        Budget of decision-diagram nodes, as for :func:`exact`.

    Attributes
    ----------
    structure : slosim.model.Structure
        The structure the diagram is built over; its ``events`` and
        ``journeys`` order every array.
    nodes : int
        Nodes of the diagram (terminals included).

    Raises
    ------
    DiagramTooLargeError, ExactUnsupportedError
        As :func:`exact`.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import ExactDiagram
    >>> a = ss.Component("a", unavailability=1e-3)
    >>> b = ss.Component("b", unavailability=1e-3)
    >>> d = ExactDiagram(ss.parallel(a, b, name="pair"))
    >>> d.structure.events, d.nodes
    (('a', 'b'), 5)
    >>> d.evaluate().unavailability
    array([1.e-06])
    >>> d.evaluate([1e-2, 1e-3], conditionals=False).unavailability
    array([1.e-05])
    """

    def __init__(self, model, *, max_nodes=DEFAULT_MAX_NODES, _func="ExactDiagram",
                 _preprocess=True, _built=None):
        if not isinstance(model, Structure):
            model = lower(as_model(model, _func))
        max_nodes = check_int(max_nodes, "max_nodes", _func, low=2, high=2**31 - 1)
        s = self.structure = model
        if _built is None:
            # the graph and orders of exact's first attempt: where that
            # builds one diagram, it is this one
            reduced = reduce(s, coalesce=_preprocess and _COALESCE)
            graph = _graph(s)
            if _preprocess:
                _, reduced, graph = _optimized(s, reduced, graph)
            try:
                _built = _flat(s, reduced, max_nodes, graph=graph)
            except Overflow as exc:
                raise _too_large(s, reduced, max_nodes, *exc.args[:2]) from None
        rank, self._diagram, self._roots = _built
        self._arrays = None
        self._level = rank.astype(np.intp)      # event -> its variable (level)
        # fails now, not at the first evaluation, for an unsupported copula
        _one_factor(s, self._level, self._by_level(s.q))

    @property
    def nodes(self):
        return int(self._diagram.nodes)

    @property
    def levels(self):
        """``(E,)`` int array: each basic event's variable (its level in the
        diagram), in the order of ``structure.events``."""
        out = self._level.view()
        out.setflags(write=False)
        return out

    @property
    def roots(self):
        """Each journey's root node id, in the order of ``structure.journeys``
        (0 is the terminal "down", 1 the terminal "up")."""
        return tuple(self._roots)

    def node_arrays(self):
        """``(var, lo, hi)``: read-only int32 arrays over node ids: each
        node's variable (its level), its child with the variable down and
        its child with the variable up. Nodes 0 (down) and 1 (up) are the
        terminals, at level ``structure.n_events``; a node's children have
        smaller ids, so ids are a topological order, children first.

        For engine modules and tools that walk the diagram themselves.
        """
        if self._arrays is None or len(self._arrays[0]) != self._diagram.nodes:
            arrays = self._diagram.arrays()
            for a in arrays:
                a.setflags(write=False)
            self._arrays = arrays
        return self._arrays

    @property
    def manager(self):
        """The kernel's diagram manager (``slosim._core._bdd.Diagram``), for
        engine modules that build more functions in the same variable
        order; :meth:`probabilities_of` evaluates them."""
        return self._diagram

    def probabilities_of(self, nodes, q=None):
        """Probability that each of ``nodes`` is up and that it is down.

        Parameters
        ----------
        nodes : sequence of int
            Node ids of the diagram (a journey's root, or a function an
            engine module built in :attr:`manager`).
        q : array_like, shape (E,), optional
            Each basic event's probability, as for :meth:`evaluate`.

        Returns
        -------
        up, down : ndarray, shape (len(nodes),)
            Each computed directly; a one-factor copula is integrated out.
        """
        q = self._checked_q(q, "ExactDiagram.probabilities_of")
        nodes = np.asarray(nodes, dtype=np.intp)
        size = self._diagram.nodes
        if nodes.ndim != 1 or np.any((nodes < 0) | (nodes >= size)):
            raise ValueError(f"nodes must be node ids of the diagram (0..{size - 1})")
        qv = self._by_level(q)
        diagram = self._diagram

        def evaluate(qv, rv=None):
            up, down = _bdd.probabilities(diagram, qv, rv)
            return np.stack([up[nodes], down[nodes]])

        factor = _one_factor(self.structure, self._level, qv)
        values = evaluate(qv) if factor is None else integrate_factor(evaluate, qv, *factor)
        return values[0].copy(), values[1].copy()

    def evaluate_many(self, q, *, threads=None, executor=None, progress=False,
                      callback=None):
        """Every journey at each row of ``q`` (shape (K, E)), batched, on
        ``threads`` or an ``executor``, with ``progress`` and ``callback``
        as for :func:`slosim.engines.evaluate_many`, which this is."""
        from ._batch import evaluate_many

        return evaluate_many(self, q, threads=threads, executor=executor,
                             progress=progress, callback=callback)

    def _checked_q(self, q, func):
        """The events' probabilities: the model's own, or ``q`` checked."""
        s = self.structure
        if q is None:
            return s.q
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (s.n_events,):
            raise param_error("q", func, f"an array of {s.n_events} probabilities",
                              q.shape)
        bad = ~((q >= 0.0) & (q <= 1.0))
        if bad.any():
            e = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"The 'q' parameter of {func} must hold probabilities in [0, 1]. "
                f"Got q[{e}] = {q[e]!r} (event {s.events[e]!r}) instead.")
        return q

    def _by_level(self, q):
        out = np.empty(len(q), dtype=np.float64)
        out[self._level] = q
        return out

    def evaluate(self, q=None, *, conditionals=True, joint=False):
        """Every journey's probabilities at the events' probabilities ``q``.

        Parameters
        ----------
        q : array_like, shape (E,), optional
            Each basic event's probability (a component's unavailability, a
            shock's probability), in the order of ``structure.events``;
            default: the model's own.
        conditionals : bool, default True
            Also each journey's availability and unavailability with each
            event forced up and forced down (one more pass per journey).
        joint : bool, default False
            Also the joint probabilities of each journey's state and each
            event's (``unavailability_and_down`` and the three others);
            implies ``conditionals``. For an event outside a copula they are
            the forced conditionals times the event's probability; for a
            copula member, whose state carries information about the
            factor, they are integrated over the factor with the member's
            own conditional probability.

        Returns
        -------
        Evaluation

        Raises
        ------
        ValueError
            If ``q`` has the wrong length or an entry outside [0, 1].
        """
        s = self.structure
        q = self._checked_q(q, "ExactDiagram.evaluate")
        qv = self._by_level(q)
        diagram, roots, n = self._diagram, self._roots, s.n_events
        conditionals = conditionals or joint
        blocks = 8 if joint else 4
        width = 2 + blocks * n if conditionals else 2

        def evaluate(qv, rv=None):
            """(J, width): each journey's up, down (and conditionals, and
            joint probabilities) at unavailabilities qv (availabilities rv,
            default 1 - qv)."""
            up, down = _bdd.probabilities(diagram, qv, rv)
            out = np.empty((len(roots), width))
            r = 1.0 - qv if rv is None else rv
            for j, root in enumerate(roots):
                out[j, 0], out[j, 1] = up[root], down[root]
                if conditionals:
                    uu, ud, du, dd = _bdd.conditionals(diagram, root, qv, up, down, rv)
                    parts = [uu, ud, du, dd]
                    if joint:
                        parts += [r * uu, qv * ud, r * du, qv * dd]
                    out[j, 2:] = np.concatenate(parts)
            return out

        factor = _one_factor(s, self._level, qv)
        values = evaluate(qv) if factor is None else integrate_factor(evaluate, qv, *factor)
        a, u = values[:, 0].copy(), values[:, 1].copy()
        coherent = s.coherent
        if not conditionals:
            return Evaluation(a, u, coherent=coherent)
        cond = values[:, 2:].reshape(len(roots), blocks, n)[:, :, self._level]
        if not joint:
            return Evaluation(a, u, cond[:, 0], cond[:, 1], cond[:, 2], cond[:, 3],
                              coherent=coherent)
        return Evaluation(a, u, cond[:, 0], cond[:, 1], cond[:, 2], cond[:, 3],
                          cond[:, 4], cond[:, 5], cond[:, 6], cond[:, 7],
                          coherent=coherent)


def _one_factor(structure, level, q):
    """(vars, t, l, s) of the one-factor copula's varying members, or None.

    ``level[e]`` is event e's variable, ``q[v]`` variable v's
    unavailability. Raises ExactUnsupportedError for a correlation-matrix
    copula or for more than one factor (each would be one more dimension
    to integrate).
    """
    if not structure.copulas:
        return None
    from scipy.special import ndtri

    found = []
    for cop in structure.copulas:
        if not cop.one_factor:
            raise ExactUnsupportedError(
                f"copula {cop.name!r} has a general correlation matrix (not of "
                f"one-factor form); exact evaluates one-factor copulas only: "
                f"estimate this model with slosim.simulate")
        members = [(v, x) for v, x in zip(level[cop.events].tolist(),
                                          cop.loadings.tolist())
                   if x != 0.0 and 0.0 < q[v] < 1.0]
        if len(members) >= 2:
            found.append((cop.name, members))
    if not found:
        return None
    if len(found) > 1:
        raise ExactUnsupportedError(
            f"copulas {', '.join(repr(n) for n, _ in found)} each have their own "
            f"factor; exact integrates over one factor only: estimate this "
            f"model with slosim.simulate")
    members = found[0][1]
    v = np.array([m[0] for m in members], dtype=np.intp)
    l = np.array([m[1] for m in members], dtype=np.float64)
    return v, ndtri(q[v]), l, np.sqrt(np.maximum(0.0, 1.0 - l * l))


def _frozen(a):
    # Sums of products of probabilities can round past 1 by an ulp or two.
    a = np.clip(np.ascontiguousarray(a, dtype=np.float64), 0.0, 1.0)
    a.setflags(write=False)
    return a
