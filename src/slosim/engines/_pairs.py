"""Two coupled copies of a journey's diagram: the moments behind variance indices.

For a journey with "down" indicator ``g`` over independent basic events and
two copies ``X``, ``X'`` of the events, coupled event by event (event ``e``
is down in copy 1 and copy 2 with the weights ``W[e, a, b]``, ``a, b`` in
{0: down, 1: up}), :class:`PairMoments` gives

* ``E[g(X) g(X')]``, and
* for every event ``e``, ``E[D_e g(X) D_e g(X')]`` with
  ``D_e g = g(e down) - g(e up)``,

exactly, from the pairs of diagram nodes the copies visit together
(:mod:`slosim._core._pairs`). With the copies independent given the
events' probabilities, and equal with probability ``rho``, these are the
variance decompositions of the journey's state (Sobol and Shapley
indices); with the copies sharing uncertain probabilities, of the
journey's unavailability over them.
"""

import math
import warnings

import numpy as np

from .._core import _pairs
from .._errors import DiagramTooLargeError, ExactUnsupportedError, PrecisionWarning
from .._validation import check_int
from ._exact import ExactDiagram

__all__ = ["PairMoments", "DEFAULT_MAX_PAIRS", "MAX_RULE"]

#: Node pairs allowed by default (about 60 bytes each).
DEFAULT_MAX_PAIRS = 5_000_000

#: Most Gauss-Legendre nodes :meth:`PairMoments.integrate` uses.
MAX_RULE = 256


class PairMoments:
    """One journey's diagram, twice, with the copies coupled event by event.

    Parameters
    ----------
    diagram : ExactDiagram
    journey : int
        Index of the journey in ``diagram.structure.journeys``.
    max_pairs : int, default 5_000_000
        Most pairs of diagram nodes to store.

    Attributes
    ----------
    pairs : int
        Pairs of nodes the copies visit together.

    Raises
    ------
    ExactUnsupportedError
        For a model with a copula: the copies' events must be independent.
    DiagramTooLargeError
        Past ``max_pairs`` pairs.

    Examples
    --------
    >>> import numpy as np
    >>> import slosim as ss
    >>> from slosim.engines import ExactDiagram, PairMoments
    >>> a, b = ss.Component("a", unavailability=0.1), ss.Component("b", unavailability=0.2)
    >>> d = ExactDiagram(ss.parallel(a, b, name="pair"))
    >>> pm = PairMoments(d, 0)
    >>> q = d.structure.q
    >>> independent = np.einsum("ea,eb->eab", np.c_[q, 1 - q], np.c_[q, 1 - q])
    >>> both, m = pm.evaluate(independent)
    >>> round(both, 12), m.round(12).tolist()       # U ** 2 and B ** 2
    (0.0004, [0.04, 0.01])
    """

    def __init__(self, diagram, journey, *, max_pairs=DEFAULT_MAX_PAIRS):
        if not isinstance(diagram, ExactDiagram):
            raise TypeError(f"diagram must be an ExactDiagram, got {type(diagram).__name__}")
        s = diagram.structure
        journey = check_int(journey, "journey", "PairMoments", low=0,
                            high=len(s.journeys) - 1)
        max_pairs = check_int(max_pairs, "max_pairs", "PairMoments", low=1)
        varying = [c.name for c in s.copulas
                   if np.any((s.q[c.events] > 0) & (s.q[c.events] < 1))]
        if varying:
            raise ExactUnsupportedError(
                f"copula {varying[0]!r} couples its members: variance indices of "
                f"independent events do not apply; estimate them by sampling "
                f"(slosim.uncertainty) or drop the copula")
        self.structure = s
        self._levels = diagram.levels
        try:
            self._graph = _pairs.PairGraph(*diagram.node_arrays(),
                                           diagram.roots[journey], max_pairs)
        except _pairs.PairBudgetExceeded as exc:
            raise DiagramTooLargeError(
                f"the pairs of journey {s.journeys[journey]!r}'s diagram reached "
                f"max_pairs={max_pairs}; raise max_pairs, or estimate by sampling",
                exc.args[0]) from None

    @property
    def pairs(self):
        return int(self._graph.n_pairs)

    def evaluate(self, weights, *, up=False):
        """``(E[g g'], M)`` for the coupling ``weights`` of shape (E, 2, 2).

        ``weights[e, a, b]`` is the probability that event ``e`` is in state
        ``a`` in copy 1 and ``b`` in copy 2 (0 down, 1 up); ``M[e]`` is
        ``E[D_e g(X) D_e g(X')]``, in event order. ``g`` is the journey's
        "down" indicator, or with ``up`` its "up" indicator: ``M`` is the
        same, but computed from the rarer state it keeps its digits (every
        number is a sum of products of probabilities of that state).
        """
        w = np.asarray(weights, dtype=np.float64)
        E = self.structure.n_events
        if w.shape != (E, 2, 2):
            raise ValueError(f"weights must have shape ({E}, 2, 2), got {w.shape}")
        by_level = np.empty_like(w)
        by_level[self._levels] = w
        both, m = self._graph.evaluate(np.ascontiguousarray(by_level), bool(up))
        return float(both), m[self._levels]

    @property
    def levels(self):
        """Diagram levels the pairs branch on: the integrand of
        :meth:`integrate` is a polynomial of lower degree in ``rho``."""
        return int(np.unique(self._graph.arrays()[2]).size)

    def integrate(self, coupled, independent, *, up=False, weights=None, rtol=1e-12):
        """``M`` integrated over ``rho`` in [0, 1], the copies coupled by
        ``rho * coupled + (1 - rho) * independent``.

        ``M[e]`` is a polynomial in ``rho`` of degree below :attr:`levels`
        (each level's weight enters a path once), so Gauss-Legendre with
        ``ceil(levels / 2)`` nodes gives the integral exactly. Rules of 4,
        8, 16, ... nodes are tried first; they stop early when two agree to
        ``rtol`` of ``sum(weights * M(coupled))`` in every
        ``weights[e] * M[e]`` (``weights`` default 1), and at the exact
        rule in any case.

        Warns
        -----
        PrecisionWarning
            When :data:`MAX_RULE` nodes are reached before the exact rule
            and two rules still disagree: the integral is the last rule's.
        """
        coupled = np.asarray(coupled, dtype=np.float64)
        independent = np.asarray(independent, dtype=np.float64)
        E = self.structure.n_events
        weights = np.ones(E) if weights is None else np.asarray(weights, dtype=np.float64)
        exact = max(1, math.ceil(self.levels / 2))

        def rule(n):
            x, w = np.polynomial.legendre.leggauss(n)
            total = np.zeros(E)
            for r, weight in zip((x + 1) / 2, w / 2):
                total += weight * self.evaluate(r * coupled + (1 - r) * independent, up=up)[1]
            return total

        n = min(4, exact)
        current = rule(n)
        if n == exact:
            return current
        scale = float(np.sum(weights * self.evaluate(coupled, up=up)[1]))
        while n < MAX_RULE:
            previous = current
            n = min(2 * n, exact, MAX_RULE)
            current = rule(n)
            gap = float(np.max(np.abs(current - previous) * weights))
            if n == exact or gap <= rtol * scale:
                return current
        warnings.warn(
            f"the integral over rho took {n} Gauss-Legendre nodes ({exact} would be "
            f"exact) and the last two rules still differ by {gap / scale:.2g} of the "
            f"total; the last rule's value is kept", PrecisionWarning, stacklevel=3)
        return current
