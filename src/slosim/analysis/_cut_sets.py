"""Minimal cut sets: the smallest sets of failures that take a journey down.

:func:`cut_sets` lists a journey's minimal cut sets, most probable first:
all of them, the top ``k``, those above a probability, or those of at most
a given number of events. They come from the journey's exact decision
diagram (:mod:`slosim.engines`), so the count is exact however large, the
unavailability reported beside them is exact (not the rare-event sum), and
asking for the few most probable of astronomically many costs about as
much as the few.
"""

from .._validation import check_int, check_real, param_error
from ..engines import DEFAULT_MAX_NODES, ExactDiagram, count_cut_sets, minimal_cut_sets
from ..results import CutSet, CutSets
from ._common import unknown

__all__ = ["cut_sets", "MAX_LISTED"]

_FUNC = "cut_sets"

#: Most cut sets :func:`cut_sets` lists when asked for all of them (neither
#: ``top`` nor ``cutoff``).
MAX_LISTED = 100_000


def cut_sets(model, journey=None, *, top=None, cutoff=None, max_order=None,
             max_nodes=DEFAULT_MAX_NODES):
    """A journey's minimal cut sets, most probable first.

    A minimal cut set is a set of basic events (component failures,
    shocks) whose joint occurrence takes the journey down, none of which
    can be spared: the journey's single points of failure are its cut sets
    of order one.

    Parameters
    ----------
    model : Model, Node or Journey
    journey : str, optional
        The journey's name; may be left out when the model has one journey.
    top : int, optional
        List only the ``top`` most probable cut sets.
    cutoff : float in (0, 1], optional
        List only the cut sets of probability at least ``cutoff``.
    max_order : int, optional
        List only the cut sets of at most ``max_order`` events.
    max_nodes : int, default 5_000_000
        Node budget of the decision diagram and of the cut sets'
        zero-suppressed diagram, as for :func:`~slosim.exact`.

    Returns
    -------
    CutSets
        The cut sets listed (each its events, probability and order), with
        the journey's exact unavailability and the exact number of its
        minimal cut sets.

    Raises
    ------
    ValueError
        Without ``top`` and ``cutoff``, if more than ``MAX_LISTED``
        (100_000) cut sets would be listed; for a bad parameter.
    UnknownNodeError
        If ``journey`` names no journey of the model.
    DiagramTooLargeError
        If a diagram needs more than ``max_nodes`` nodes.
    ExactUnsupportedError
        As :func:`~slosim.exact` (a copula that is not one-factor).

    See Also
    --------
    exact : the journey's availability, with every component's conditionals.

    Notes
    -----
    The minimal cut sets are the minimal solutions of the journey's failure
    function, computed from its decision diagram by Rauzy's algorithm [1]_
    into a zero-suppressed decision diagram: over a node of variable ``x``
    with branches ``f_down`` and ``f_up``,
    ``MCS(f) = MCS(f_up) + x . (MCS(f_down) without MCS(f_up))``. The most
    probable are found best first over that diagram, never enumerating the
    others, so ``top=20`` of a journey with ``10**30`` cut sets is quick.

    A cut set's probability is the product of its events' probabilities;
    under a one-factor copula it is their joint probability, integrated
    over the factor, and the list is sorted by it, but ``top`` and
    ``cutoff`` choose the cut sets by the product of their events' own
    probabilities (a chosen set whose joint probability falls below
    ``cutoff`` is left out).

    The cut sets' probabilities sum to at least the unavailability (the
    rare-event approximation, ``total`` when all are listed): cut sets
    overlap. The unavailability is the probability of their union, exactly.

    References
    ----------
    .. [1] A. Rauzy, "New algorithms for fault trees analysis", Reliability
       Engineering & System Safety 40 (1993).

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", unavailability=1e-4)
    >>> zone = ss.Shock("zone-outage", 1e-5, members=["db-a", "db-b"])
    >>> db = ss.parallel(ss.Component("db-a", unavailability=1e-3),
    ...                  ss.Component("db-b", unavailability=2e-3), name="db")
    >>> model = ss.Model(ss.series(web, db, name="checkout"), shocks=[zone])
    >>> cs = cut_sets(model)
    >>> cs
    CutSets(journey='checkout', unavailability=0.000111999, count=3, listed=3, total=0.000112)
      order  probability  events
      1      0.0001       web
      1      1e-05        zone-outage
      2      2e-06        db-a, db-b
    >>> cut_sets(model, top=1)[0]
    CutSet(events=('web',), probability=0.0001, order=1)
    >>> len(cut_sets(model, max_order=1))
    2
    """
    if top is not None:
        top = check_int(top, "top", _FUNC, low=1)
    if cutoff is not None:
        cutoff = check_real(cutoff, "cutoff", _FUNC, low=0, high=1, low_open=True)
    if max_order is not None:
        max_order = check_int(max_order, "max_order", _FUNC, low=1)
    max_nodes = check_int(max_nodes, "max_nodes", _FUNC, low=2, high=2**31 - 1)
    diagram = ExactDiagram(model, max_nodes=max_nodes, _func=_FUNC)
    s = diagram.structure
    j = _journey_index(journey, s.journeys)
    name = s.journeys[j]
    count = count_cut_sets(diagram, j, max_nodes=max_nodes)
    if top is None and cutoff is None:
        listed = (count if max_order is None else
                  count_cut_sets(diagram, j, max_order=max_order, max_nodes=max_nodes))
        if listed > MAX_LISTED:
            of_order = "" if max_order is None else f" of order {max_order} or less"
            raise ValueError(
                f"journey {name!r} has {listed:_} minimal cut sets{of_order}, more than "
                f"cut_sets lists at once ({MAX_LISTED:_}): ask for the most probable "
                f"with top=, or for those of probability at least cutoff=")
    found = minimal_cut_sets(diagram, j, top=top, cutoff=cutoff, max_order=max_order,
                             max_nodes=max_nodes)
    listed = tuple(CutSet(tuple(s.events[e] for e in c), float(p), len(c))
                   for c, p in zip(found.events, found.probability.tolist()))
    return CutSets(journey=name, unavailability=found.unavailability, count=count,
                   truncated=len(listed) < count, top=top, cutoff=cutoff,
                   max_order=max_order, cut_sets=listed)


def _journey_index(journey, journeys):
    """The index of ``journey`` (a name, or None for the only one)."""
    if journey is None:
        if len(journeys) == 1:
            return 0
        shown = ", ".join(map(repr, journeys[:8])) + (", ..." if len(journeys) > 8 else "")
        raise param_error("journey", _FUNC, f"one of the model's journeys ({shown}) when "
                          f"it has more than one", journey)
    if not isinstance(journey, str):
        raise param_error("journey", _FUNC, "a journey name (str) or None", journey,
                          TypeError)
    if journey not in journeys:
        raise unknown(_FUNC, "journey", "journey", journey, journeys)
    return journeys.index(journey)
