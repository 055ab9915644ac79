"""Minimal cut sets of a journey, and the exact Fussell-Vesely importance.

A journey's minimal cut sets are the minimal sets of basic events
(component failures, shocks) whose joint occurrence takes it down. They
come from the journey's decision diagram (an :class:`ExactDiagram`) by
Rauzy's algorithm [1]_: the minimal solutions of the failure function, one
pass over the diagram, kept as a zero-suppressed decision diagram (ZBDD)
whose size, not the number of cut sets, bounds the work. From the ZBDD:

* :func:`count_cut_sets`: how many there are, exactly, however many;
* :func:`minimal_cut_sets`: the most probable first, the top ``k`` or those
  above a cutoff, found best first without visiting the others;
* :func:`fussell_vesely`: for each event, the probability that a minimal cut
  set containing it has occurred, relative to the journey's unavailability,
  exactly (the union, not the rare-event sum), from a decision diagram of
  that union built in the journey's own diagram.

The ZBDD of a diagram's journeys is built once per :class:`ExactDiagram`
and kept while the diagram lives. The functions built in the diagram (the
unions, and with a copula each cut set's intersection) are evaluated with
:meth:`ExactDiagram.probabilities_of`, so a one-factor copula is
integrated out, then removed: the diagram is left as it was.

References
----------
.. [1] A. Rauzy, "New algorithms for fault trees analysis", Reliability
   Engineering & System Safety 40 (1993).
"""

import math
from typing import NamedTuple
import weakref

import numpy as np

from .._core import _bdd
from .._errors import DiagramTooLargeError
from .._validation import check_int, check_real
from ._exact import DEFAULT_MAX_NODES

__all__ = ["count_cut_sets", "minimal_cut_sets", "fussell_vesely", "CutSetList"]

#: The search for the most probable cut sets works in log-probabilities:
#: it returns every set within this (relative) margin of a cutoff or of the
#: k-th set, and the exact products decide.
_LOG_TOL = 1e-9

#: No limit, for the kernel's counts.
_ALL = 2**62


class CutSetList(NamedTuple):
    """A journey's minimal cut sets, as :func:`minimal_cut_sets` finds them.

    Attributes
    ----------
    events : list of tuple of int
        Each cut set's events, as indices into ``structure.events``
        (increasing), most probable first.
    probability : ndarray
        Each cut set's probability: that all its events happen together.
    unavailability : float
        The journey's unavailability: the probability of the union of all
        its minimal cut sets.
    """

    events: list
    probability: np.ndarray
    unavailability: float


# ExactDiagram -> [ZBDD, {journey index: ZBDD root}]
_FAMILIES = weakref.WeakKeyDictionary()


def _families(diagram, journeys, max_nodes, func):
    """(ZBDD, [root of each of ``journeys``]): their minimal cut sets.

    Refuses a non-coherent structure (with a negation): its minimal cut
    sets do not describe its failures, and Rauzy's algorithm assumes
    monotone functions."""
    diagram.structure.refuse_negation(func)
    entry = _FAMILIES.get(diagram)
    if entry is None:
        entry = _FAMILIES[diagram] = [
            _bdd.Zdd(diagram.structure.n_events, max_nodes), {}]
    zdd, roots = entry
    zdd.budget = max_nodes
    missing = [j for j in journeys if j not in roots]
    if missing:
        try:
            found = _bdd.minimal_solutions(
                diagram.manager, zdd,
                np.array([diagram.roots[j] for j in missing], dtype=np.int32))
        except _bdd.BudgetExceeded as exc:
            # its partial nodes would count against every later budget
            del _FAMILIES[diagram]
            names = ", ".join(repr(diagram.structure.journeys[j]) for j in missing)
            raise DiagramTooLargeError(
                f"the minimal cut sets of journey{'s' if len(missing) > 1 else ''} "
                f"{names} reached the node budget "
                f"max_nodes={max_nodes} of their zero-suppressed diagram "
                f"({exc.args[0]} nodes) in {func}; raise max_nodes", exc.args[0]) from None
        roots.update(zip(missing, found.tolist()))
    return zdd, [roots[j] for j in journeys]


def _down_probabilities(diagram, build, total, q, max_nodes, what, func, roots):
    """The "down" probability of ``total`` functions built in the diagram,
    and of the journeys ``roots``.

    ``build(start)`` builds the functions ``start, start + 1, ...`` in the
    diagram's manager until its budget (``max_nodes`` in all) and returns
    their node ids. They are evaluated in batches (the first with the
    roots: with a copula, each batch is an integral over the factor), each
    batch's nodes removed after it: the diagram is left as it was, and its
    size stays within ``max_nodes``.
    """
    manager = diagram.manager
    budget, size = manager.budget, manager.nodes
    out, u = np.empty(total), None
    start = 0
    try:
        manager.budget = max_nodes
        while start < total or roots is not None:
            try:
                ids = build(start) if start < total else np.zeros(0, dtype=np.int32)
                if len(ids) == 0 and start < total:
                    raise DiagramTooLargeError(
                        f"the decision diagram reached the node budget "
                        f"max_nodes={max_nodes} while building {what} in {func} "
                        f"({manager.nodes - size} nodes for one of them, beside the "
                        f"diagram's {size}); raise max_nodes", manager.nodes)
                if roots is not None:
                    down = diagram.probabilities_of(np.concatenate([roots, ids]), q)[1]
                    u, down = down[:len(roots)], down[len(roots):]
                    roots = None
                else:
                    down = diagram.probabilities_of(ids, q)[1]
                out[start:start + len(ids)] = down
            finally:
                manager.truncate(size)
            start += len(ids)
    finally:
        manager.budget = budget
    return out, u


def _products(values, ptr):
    """The product of each segment ``values[ptr[i]:ptr[i + 1]]``, rounded
    once: mantissas and exponents apart, so no partial product underflows.

    A single rounding keeps the products in the order of the exact ones,
    down to the smallest subnormal.
    """
    mantissa, exponent = np.frexp(values)
    out = np.ones(len(ptr) - 1)
    starts, lengths = ptr[:-1], np.diff(ptr)
    full = lengths > 0
    if full.any():
        # a product of at most 1000 mantissas in [0.5, 1) stays normal
        m = np.multiply.reduceat(mantissa, starts[full])
        e = np.add.reduceat(exponent, starts[full])
        out[full] = np.ldexp(m, e)
        for i in np.flatnonzero(lengths > 1000).tolist():
            m, e = 1.0, 0
            for x in values[ptr[i]:ptr[i + 1]].tolist():
                x, ex = math.frexp(x)
                m, em = math.frexp(m * x)
                e += ex + em
            out[i] = math.ldexp(m, e)
    return out


def _log_floor(cutoff):
    """The log-probability below which no product reaches ``cutoff``: the
    log-probabilities are those of the exact products to ``_LOG_TOL``, and
    a subnormal product is within half its last unit of the exact one."""
    if cutoff is None:
        return -math.inf
    if cutoff >= 2.0**-1022:
        return math.log(cutoff) - _LOG_TOL
    return math.log(cutoff) - math.log(2.0) - _LOG_TOL


def _journey(diagram, journey, func):
    return check_int(journey, "journey", func, low=0,
                     high=len(diagram.structure.journeys) - 1)


def _max_order(max_order, func):
    return -1 if max_order is None else check_int(max_order, "max_order", func, low=0)


def count_cut_sets(diagram, journey, *, max_order=None, max_nodes=DEFAULT_MAX_NODES):
    """Number of minimal cut sets of a journey, exactly.

    Parameters
    ----------
    diagram : ExactDiagram
    journey : int
        Index of the journey in ``diagram.structure.journeys``.
    max_order : int, optional
        Count only the cut sets of at most this many events.
    max_nodes : int, default 5_000_000
        Node budget of the cut sets' zero-suppressed diagram.

    Returns
    -------
    int
        A Python int: the count can pass any fixed-width integer.

    Raises
    ------
    DiagramTooLargeError
        If the zero-suppressed diagram needs more than ``max_nodes`` nodes.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import ExactDiagram
    >>> xs = [ss.Component(f"x{i}", unavailability=1e-3) for i in range(60)]
    >>> d = ExactDiagram(ss.k_of_n(30, xs, name="half"))
    >>> count_cut_sets(d, 0)      # every 31 of the 60 events
    114449595062769120
    >>> count_cut_sets(d, 0, max_order=30)
    0
    """
    func = "count_cut_sets"
    j = _journey(diagram, journey, func)
    order = _max_order(max_order, func)
    max_nodes = check_int(max_nodes, "max_nodes", func, low=2, high=2**31 - 1)
    zdd, (root,) = _families(diagram, [j], max_nodes, func)
    return _bdd.count(zdd, root, order)


def minimal_cut_sets(diagram, journey, *, top=None, cutoff=None, max_order=None,
                     max_nodes=DEFAULT_MAX_NODES):
    """A journey's minimal cut sets, most probable first.

    Parameters
    ----------
    diagram : ExactDiagram
    journey : int
        Index of the journey in ``diagram.structure.journeys``.
    top : int, optional
        Only the ``top`` most probable.
    cutoff : float, optional
        Only those of probability at least ``cutoff``.
    max_order : int, optional
        Only those of at most ``max_order`` events.
    max_nodes : int, default 5_000_000
        Node budget of the zero-suppressed diagram (and, with a copula, of
        the decision diagram the joint probabilities are computed in).

    Returns
    -------
    CutSetList
        ``(events, probability, unavailability)``: each cut set's events
        (indices into ``diagram.structure.events``, increasing), the
        probability that they all happen, and the journey's unavailability
        (computed with the probabilities: one integral over a copula's
        factor for both).

    Raises
    ------
    DiagramTooLargeError
        If a diagram needs more than ``max_nodes`` nodes.

    Notes
    -----
    Without ``top`` and ``cutoff`` every minimal cut set is returned, however
    many (see :func:`count_cut_sets`). The search never visits a cut set it
    does not return: with the largest probability any completion of a path
    can reach precomputed for every node of the zero-suppressed diagram
    (per number of events left, under ``max_order``), the paths are
    extended best first, so the cut sets come out in decreasing
    probability, each for one descent of the diagram.

    With independent events a cut set's probability is the product of its
    events'. With a one-factor copula it is the joint probability, the
    expectation over the factor of the product (computed in the diagram,
    :meth:`ExactDiagram.probabilities_of`), and the list is sorted by it,
    but ``top`` and ``cutoff`` choose the cut sets by the product of their
    events' own probabilities (their probability were the events
    independent); a chosen set whose joint probability falls below
    ``cutoff`` is left out.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import ExactDiagram
    >>> web = ss.Component("web", unavailability=1e-3)
    >>> db = ss.k_of_n(2, [ss.Component(n, unavailability=1e-2) for n in "abc"])
    >>> d = ExactDiagram(ss.series(web, db, name="checkout"))
    >>> d.structure.events
    ('web', 'a', 'b', 'c')
    >>> events, p, u = minimal_cut_sets(d, 0, top=2)
    >>> events, p.tolist(), round(u, 12)
    ([(0,), (1, 2)], [0.001, 0.0001], 0.001297702)
    """
    func = "minimal_cut_sets"
    j = _journey(diagram, journey, func)
    if top is not None:
        top = check_int(top, "top", func, low=1)
    if cutoff is not None:
        cutoff = check_real(cutoff, "cutoff", func, low=0, high=1, low_open=True)
    order = _max_order(max_order, func)
    max_nodes = check_int(max_nodes, "max_nodes", func, low=2, high=2**31 - 1)
    s = diagram.structure
    zdd, (root,) = _families(diagram, [j], max_nodes, func)
    event_at = np.empty(s.n_events, dtype=np.intp)
    event_at[diagram.levels] = np.arange(s.n_events)
    with np.errstate(divide="ignore"):
        logq = np.log(s.q[event_at])
    ptr, levels, _ = _bdd.most_probable(
        zdd, root, logq,
        top if top is not None else _ALL,
        2 * top + 64 if top is not None else _ALL,
        _log_floor(cutoff),
        _LOG_TOL, order)
    events = np.asarray(event_at[levels]).tolist()
    sets = [tuple(sorted(events[a:b])) for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist())]
    if s.copulas:
        def cubes(start):
            return _bdd.cube_functions(diagram.manager, ptr[start:] - ptr[start],
                                       levels[ptr[start]:])

        probability, u = _down_probabilities(
            diagram, cubes, len(sets), None, max_nodes, "the cut sets' joint "
            "probabilities", func, np.array([diagram.roots[j]], dtype=np.int32))
        probability = probability.tolist()
    else:
        probability = _products(s.q[event_at[levels]], ptr).tolist()
        u = diagram.probabilities_of([diagram.roots[j]])[1]
    ranked = sorted(zip(probability, sets), key=lambda t: (-t[0], len(t[1]), t[1]))
    if cutoff is not None:
        ranked = [t for t in ranked if t[0] >= cutoff]
    if top is not None:
        ranked = ranked[:top]
    return CutSetList([c for _, c in ranked],
                      np.array([p for p, _ in ranked], dtype=np.float64),
                      min(float(u[0]), 1.0))


def fussell_vesely(diagram, *, q=None, max_nodes=DEFAULT_MAX_NODES):
    """Exact Fussell-Vesely importance of every event for every journey.

    Parameters
    ----------
    diagram : ExactDiagram
    q : array_like, shape (E,), optional
        Each basic event's probability, as for
        :meth:`ExactDiagram.evaluate`; default: the model's own.
    max_nodes : int, default 5_000_000
        Node budget of the zero-suppressed diagram of the cut sets, and of
        the decision diagram the unions are built in.

    Returns
    -------
    ndarray, shape (J, E)
        ``FV[j, e]``: the probability that some minimal cut set of journey
        ``j`` containing event ``e`` has occurred, over the journey's
        unavailability; 0 for events the journey does not depend on (and
        for a journey that cannot fail).

    Raises
    ------
    DiagramTooLargeError
        If a diagram needs more than ``max_nodes`` nodes.

    Notes
    -----
    ``FV_e = P(union of the minimal cut sets containing e) / U``, exactly:
    for each event the union is a decision diagram in the journey's own
    diagram (from the cut sets' zero-suppressed diagram, restricted to the
    sets containing ``e``), evaluated like the journey itself, so a
    one-factor copula is integrated out and tiny probabilities keep their
    digits. It is at most ``P(e down | journey down)``, and at most the
    rare-event approximation ``sum_{C ∋ e} P(C) / U``, which can exceed one.
    The events' values do not sum to one: cut sets overlap.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import ExactDiagram
    >>> web = ss.Component("web", unavailability=1e-3)
    >>> db = ss.k_of_n(2, [ss.Component(n, unavailability=1e-2) for n in "abc"])
    >>> d = ExactDiagram(ss.series(web, db, name="checkout"))
    >>> fussell_vesely(d).round(6)
    array([[0.770593, 0.153348, 0.153348, 0.153348]])
    """
    func = "fussell_vesely"
    max_nodes = check_int(max_nodes, "max_nodes", func, low=2, high=2**31 - 1)
    s = diagram.structure
    J, E = len(s.journeys), s.n_events
    zdd, zroots = _families(diagram, range(J), max_nodes, func)
    levels = np.ascontiguousarray(diagram.levels, dtype=np.int32)

    def unions(start):
        # journey by journey, event by event, from item start = j * E + e
        ids = []
        while start < J * E:
            j, e = divmod(start, E)
            ids.append(_bdd.family_functions(diagram.manager, zdd, zroots[j], levels[e:]))
            start += len(ids[-1])
            if len(ids[-1]) < E - e:
                break
        return np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)

    union, u = _down_probabilities(
        diagram, unions, J * E, q, max_nodes, "the unions of cut sets of "
        "Fussell-Vesely importance", func, np.asarray(diagram.roots, dtype=np.int32))
    union = union.reshape(J, E)
    fv = np.divide(union, u[:, None], out=np.zeros((J, E)), where=u[:, None] > 0)
    return np.clip(fv, 0.0, 1.0)
