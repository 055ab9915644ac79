"""Variance attribution of a journey's state: Sobol indices and Shapley effects.

A journey is up or down; over the random states of its basic events its
state ``Y`` has variance ``U (1 - U)``. :func:`sobol` splits that variance
among the events, exactly, from the decision diagram.

The journey's state is a multilinear function of independent events, so
its ANOVA (Hoeffding) decomposition has closed forms. With ``q_e`` an
event's probability, ``p_e = 1 - q_e``, ``B_e`` its Birnbaum importance
and ``D_e Y = Y(e down) - Y(e up)``:

* the first-order variance of event ``e`` is ``V_e = p_e q_e B_e^2``;
* its total variance ``VT_e = p_e q_e E[(D_e Y)^2] = p_e q_e B_e``
  (``D_e Y`` is 0 or 1 for coherent logic);
* the interaction of ``e`` and ``f`` is ``V_ef = p_e q_e p_f q_f
  Delta_ef^2``, ``Delta_ef`` the mixed difference of the unavailability in
  the two events;
* its Shapley effect, ``Sh_e = sum over sets S containing e of V_S / |S|``,
  is ``p_e q_e`` times the integral over ``rho`` in [0, 1] of
  ``E[D_e Y(X) D_e Y(X_rho)]``, where ``X_rho`` is a copy of the events
  equal to ``X`` event by event with probability ``rho`` and drawn afresh
  otherwise (the noise-stability form of ``sum_S rho^(|S|-1) V_S``).
  :class:`~slosim.engines.PairMoments` computes the expectation exactly
  for any ``rho``. The integrand is a polynomial in ``rho`` of degree
  below the number of diagram levels the journey's pairs branch on, so a
  Gauss-Legendre rule with half that many nodes integrates it exactly;
  smaller rules are tried first and stop when two agree to ``1e-12``
  (:meth:`~slosim.engines.PairMoments.integrate`).

What is exact and what is bounded: ``S1``, ``ST`` and ``S2`` cost passes
over the diagram and are exact for any model :func:`~slosim.exact` takes.
The Shapley effects also need the pairs of nodes the two copies visit
together, which can grow as the square of the diagram; past ``max_pairs``
``sobol(..., shapley=False)`` keeps ``S1 <= Shapley <= ST`` as exact
brackets.

``S1 <= Shapley <= ST`` for every event, the Shapley effects sum to the
variance, and in a redundant system most of the variance is interaction:
the first-order indices sum to far less than one.
"""

import numpy as np

from .._errors import DiagramTooLargeError
from .._validation import check_int, param_error
from ..engines import (
    DEFAULT_MAX_NODES,
    DEFAULT_MAX_PAIRS,
    ExactDiagram,
    PairMoments,
    apply_given,
    given_labels,
)
from ..model import as_model, lower
from ..results import SobolResult, SobolResults

__all__ = ["sobol"]

_FUNC = "sobol"
_RTOL = 1e-12


def sobol(model, *, given=None, second_order=False, shapley=True,
          max_nodes=DEFAULT_MAX_NODES, max_pairs=DEFAULT_MAX_PAIRS):
    """Sobol indices and Shapley effects of every journey's state.

    Parameters
    ----------
    model : Model, Node or Journey
        Basic events independent (shocks are events of their own); a model
        with a copula is refused.
    given : dict, optional
        Basic events forced up or down first, as for :func:`exact`.
    second_order : bool, default False
        Also every pair's interaction index ``S2`` (two more passes over
        the diagram per event).
    shapley : bool, default True
        Compute the Shapley effects (a pass over the pairs of diagram nodes
        the journey visits twice, per quadrature node). ``S1`` and ``ST``
        come from one pass over the diagram whatever the model's size, and
        bracket the Shapley effects: with ``shapley=False`` (for a model
        whose pairs exceed ``max_pairs``) the result has
        ``shapley=None``, and the brackets are still exact.
    max_nodes : int
        The diagram's node budget, as for :func:`exact`.
    max_pairs : int
        Budget of node pairs for the Shapley effects
        (:class:`~slosim.engines.PairMoments`).

    Returns
    -------
    SobolResults
        Mapping journey name -> :class:`SobolResult`: ``S1``, ``ST``,
        ``shapley`` (and ``S2``) per event, and the variance they divide.

    Raises
    ------
    ExactUnsupportedError
        For a model with a copula.
    DiagramTooLargeError
        Past ``max_nodes``, or past ``max_pairs`` (Shapley effects only:
        the message names ``shapley=False``).

    Warns
    -----
    PrecisionWarning
        When a Shapley effect's integral over the coupling was neither
        exact nor converged within
        :data:`~slosim.engines.MAX_RULE` quadrature nodes (models with more
        than 512 events in one journey's diagram).

    See Also
    --------
    importance : the measures the indices are built from.
    uncertainty : variance of the unavailability over uncertain inputs.

    Notes
    -----
    The journey's state ``Y`` (1 when down) has variance ``V = U (1 - U)``.
    ``S1_e = p q B^2 / V``, ``ST_e = p q B / V`` and ``S1_e / ST_e = B_e``;
    ``S2_ef = p_e q_e p_f q_f Delta_ef^2 / V``; the Shapley effect divides
    every interaction equally among its events. See the module docstring
    of :mod:`slosim.analysis._sobol` and :doc:`/math` for the derivation.

    References
    ----------
    .. [1] I. M. Sobol', "Global sensitivity indices for nonlinear
       mathematical models and their Monte Carlo estimates", Mathematics
       and Computers in Simulation 55 (2001).
    .. [2] A. B. Owen, "Sobol' indices and Shapley value", SIAM/ASA Journal
       on Uncertainty Quantification 2 (2014).
    .. [3] R. O'Donnell, "Analysis of Boolean Functions", Cambridge
       University Press (2014), ch. 2 (noise stability).

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.999)
    >>> db = ss.parallel(ss.Component("db-a", availability=0.99),
    ...                  ss.Component("db-b", availability=0.99), name="db")
    >>> res = ss.sobol(ss.series(web, db, name="checkout"))["checkout"]
    >>> res
    SobolResult(journey='checkout', variance=0.00109869, events=3, first-order sum=0.9109)
      event        S1   shapley        ST
      web      0.9091    0.9091    0.9092
      db-a  0.0008993   0.04544   0.09002
      db-b  0.0008993   0.04544   0.09002
    >>> round(float(res.shapley.sum()), 12)
    1.0

    Each database replica alone explains almost nothing (``S1``); with the
    other replica it takes part in 9% of the variance (``ST``): the
    database's share is interaction, and the Shapley effect splits it
    between the two.
    """
    model = as_model(model, _FUNC)
    for flag, value in (("second_order", second_order), ("shapley", shapley)):
        if not isinstance(value, (bool, np.bool_)):
            raise param_error(flag, _FUNC, "True or False", value, TypeError)
    max_pairs = check_int(max_pairs, "max_pairs", _FUNC, low=1)
    structure = lower(model)
    labels = given_labels(structure, given, _FUNC)
    structure = apply_given(structure, given, _FUNC)
    # VT_e = p q B_e holds because D_e Y is 0 or 1: not with a negation
    structure.refuse_negation(_FUNC)
    diagram = ExactDiagram(structure, max_nodes=max_nodes, _func=_FUNC)
    ev = diagram.evaluate()
    q = structure.q
    pq = q * (1.0 - q)
    b = ev.birnbaum
    second = _second_order(diagram, q, pq) if second_order else None
    results = {}
    for j, name in enumerate(structure.journeys):
        V = float(ev.unavailability[j] * ev.availability[j])
        first = pq * b[j] ** 2
        total = pq * b[j]
        up = bool(ev.availability[j] < ev.unavailability[j])    # the rarer state
        effects = None
        if shapley:
            effects = _shapley(diagram, j, q, pq, b[j], max_pairs, up) if V > 0 else total
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 1.0 / V if V > 0 else np.nan
            results[name] = SobolResult(
                journey=name, events=structure.events, variance=V,
                S1=_frozen(first * scale), ST=_frozen(total * scale),
                shapley=None if effects is None else _frozen(effects * scale),
                S2=None if second is None else _frozen(second[j] * scale),
                target=structure.targets[j], given=labels)
    return SobolResults(results, events=structure.events, given=labels)


def _shapley(diagram, j, q, pq, b, max_pairs, up):
    """``Sh_e`` (unnormalised): ``p q`` times the integral over rho of the
    noise stability of ``D_e Y``."""
    live = pq * b > 0
    out = np.zeros_like(q)
    if not live.any():
        return out
    try:
        pm = PairMoments(diagram, j, max_pairs=max_pairs)
    except DiagramTooLargeError as exc:
        raise DiagramTooLargeError(
            f"{exc}; or pass shapley=False: S1 and ST stay exact and bracket the "
            f"Shapley effects", exc.nodes) from None
    m = np.c_[q, 1.0 - q]                          # (E, 2): down, up
    independent = m[:, :, None] * m[:, None, :]
    same = np.zeros_like(independent)
    same[:, 0, 0], same[:, 1, 1] = q, 1.0 - q
    integral = pm.integrate(same, independent, up=up, weights=pq, rtol=_RTOL)
    out[live] = (pq * integral)[live]
    return out


def _second_order(diagram, q, pq):
    """``(J, E, E)`` interaction variances ``p q p' q' Delta^2``: each event
    forced down, then up, gives every other event's Birnbaum importance."""
    E = len(q)
    J = len(diagram.structure.journeys)
    out = np.zeros((J, E, E))
    for e in np.flatnonzero(pq > 0):
        down, up = q.copy(), q.copy()
        down[e], up[e] = 1.0, 0.0
        delta = diagram.evaluate(down).birnbaum - diagram.evaluate(up).birnbaum
        out[:, e, :] = pq[e] * pq[None, :] * delta ** 2
        out[:, e, e] = 0.0
    return out


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a
