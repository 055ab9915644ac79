"""Importance measures: which components (and shocks) drive each journey's failures.

:func:`importance` gives, for every journey and basic event, the standard
measures of reliability engineering: Birnbaum, criticality,
Fussell-Vesely, risk achievement and risk reduction worth, improvement
potential and failure share, exactly from the decision diagram or
estimated by Monte Carlo with confidence intervals, for models the exact
engine cannot take (general copulas, huge graphs).

Every measure is a function of the journey's unavailability ``U``, the
event's probability ``q`` and the two conditional unavailabilities
``U(i down)``, ``U(i up)``; the exact engine gives them in one pass over
the diagram. From samples, everything follows from the journey's failures
``f`` and the failures with the event down ``a`` among ``n`` samples: the
failure share is ``a / f``, the criticality ``(a / f - q) / (1 - q)``,
and the rest from those and ``U = f / n``, so each interval comes from
exact (Clopper-Pearson) intervals on ``f / n`` and ``a / f``.
"""

import numpy as np

from .._validation import check_int, check_real, param_error
from ..engines import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_NODES,
    ExactDiagram,
    apply_given,
    fussell_vesely,
    given_labels,
    simulate_joint,
)
from ..model import as_model, lower
from ..results import ImportanceResult, ImportanceResults

__all__ = ["importance"]

_FUNC = "importance"
_METHODS = ("exact", "simulate")


def importance(model, *, method="exact", given=None, samples=None, rng=None,
               confidence=0.95, threads=None, executor=None, chunk_size=DEFAULT_CHUNK_SIZE,
               max_nodes=DEFAULT_MAX_NODES, progress=False, callback=None):
    """Importance measures of every basic event for every journey.

    Parameters
    ----------
    model : Model, Node or Journey
    method : {'exact', 'simulate'}, default 'exact'
        From the decision diagram, or estimated from ``samples`` Monte
        Carlo samples (general copulas, models too large for a diagram).
    given : dict, optional
        Basic events forced up or down first, as for :func:`exact`.
    samples : int, optional
        For ``method='simulate'``: samples to draw (default ``10**7``).
    rng : optional
        For ``method='simulate'``: seeds the streams, as for
        :func:`simulate`.
    confidence : float, default 0.95
        For ``method='simulate'``: the level of every interval.
    threads, executor, chunk_size, progress, callback
        For ``method='simulate'``, as for :func:`simulate`.
    max_nodes : int
        For ``method='exact'``: the diagram's node budget.

    Returns
    -------
    ImportanceResults
        Mapping journey name -> :class:`ImportanceResult`: Birnbaum,
        criticality, Fussell-Vesely (exact only), RAW, RRW, improvement
        potential and failure share of every event, with intervals from
        ``simulate``.

    Raises
    ------
    DiagramTooLargeError, ExactUnsupportedError
        As :func:`exact`; ``method='simulate'`` takes any model.
    TypeError, ValueError
        For a bad parameter.

    See Also
    --------
    cut_sets : the minimal cut sets behind Fussell-Vesely.
    ImportanceResult : the measures' definitions.

    Notes
    -----
    With ``U`` the journey's unavailability, ``q`` the event's probability,
    ``U(i down)`` and ``U(i up)`` the journey's unavailability given the
    event down and up, and ``B = U(i down) - U(i up)``:

    ====================  ===========================  ========
    measure               formula                      SCRAM
    ====================  ===========================  ========
    Birnbaum              ``B``                        MIF
    criticality           ``q B / U``                  CIF
    Fussell-Vesely        ``P(a cut set with i) / U``
    RAW                   ``U(i down) / U``            RAW
    RRW                   ``U / U(i up)``              RRW
    improvement           ``U - U(i up) = q B``
    failure share         ``q U(i down) / U``          DIF
    ====================  ===========================  ========

    They satisfy ``RAW = 1 + (1 - q) B / U``, ``failure share = q RAW``,
    ``RRW = 1 / (1 - criticality)`` and Fussell-Vesely <= failure share.
    From samples, the failure share ``a / f`` has a Clopper-Pearson
    interval given ``f``; the criticality ``(a / f - q) / (1 - q)``, RAW
    ``(a / f) / q`` and RRW ``1 / (1 - criticality)`` are monotone in it
    and take its interval; the improvement ``U x criticality`` and
    Birnbaum ``U x criticality / q`` take the extreme corners of the
    intervals on ``U`` and the criticality, each at level
    ``(1 + confidence) / 2``, so their coverage is at least ``confidence``.
    An event of probability 0 or 1 is not sampled: its Birnbaum,
    criticality, RAW, RRW and improvement are NaN from ``simulate``.

    References
    ----------
    .. [1] Z. W. Birnbaum, "On the importance of different components in a
       multicomponent system", Multivariate Analysis II (1969).
    .. [2] Y. Dutuit and A. Rauzy, "Efficient algorithms to assess component
       and gate importance in fault tree analysis", Reliability
       Engineering & System Safety 72 (2001).

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.999)
    >>> db = ss.parallel(ss.Component("db-a", availability=0.99),
    ...                  ss.Component("db-b", availability=0.99), name="db")
    >>> imp = ss.importance(ss.series(web, db, name="checkout"))["checkout"]
    >>> imp
    ImportanceResult(journey='checkout', method='exact', unavailability=0.0010999, events=3)
      event   Birnbaum   critical         FV        RAW        RRW    improve      share
      web       0.9999     0.9091     0.9092      909.2         11  0.0009999     0.9092
      db-a     0.00999    0.09083    0.09092      9.992        1.1   9.99e-05    0.09992
      db-b     0.00999    0.09083    0.09092      9.992        1.1   9.99e-05    0.09992

    The web tier holds 91% of the journey's failures. By Monte Carlo, with
    intervals:

    >>> sim = ss.importance(ss.series(web, db, name="checkout"), method="simulate",
    ...                     samples=10**7, rng=1)["checkout"]
    >>> lo, hi = sim.intervals["failure_share"]
    >>> bool(lo[0] <= imp.failure_share[0] <= hi[0])
    True
    """
    if method not in _METHODS:
        raise param_error("method", _FUNC, "'exact' or 'simulate'", method)
    model = as_model(model, _FUNC)
    structure = lower(model)
    labels = given_labels(structure, given, _FUNC)
    if method == "exact":
        for name, value in (("samples", samples), ("rng", rng), ("executor", executor),
                            ("callback", callback)):
            if value is not None:
                raise param_error(name, _FUNC, "None with method='exact' (it is for "
                                  "method='simulate')", value)
        return _exact(apply_given(structure, given, _FUNC), labels, max_nodes)
    samples = check_int(10**7 if samples is None else samples, "samples", _FUNC, low=1)
    confidence = check_real(confidence, "confidence", _FUNC, low=0, high=1,
                            low_open=True, high_open=True)
    counts = simulate_joint(model, samples, rng=rng, given=given, threads=threads,
                            executor=executor, chunk_size=chunk_size, progress=progress,
                            callback=callback)
    return _simulated(counts, labels, confidence)


def _exact(structure, labels, max_nodes):
    diagram = ExactDiagram(structure, max_nodes=max_nodes, _func=_FUNC)
    ev = diagram.evaluate(joint=True)
    q = structure.q
    U, A = ev.unavailability, ev.availability
    # a copula member conditions (its state tells of the factor); any other
    # event is independent of the rest, so forcing it is conditioning on it
    member = np.zeros(structure.n_events, dtype=bool)
    for cop in structure.copulas:
        member[cop.events] = True
    member &= (q > 0.0) & (q < 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u_down = np.where(member, ev.unavailability_and_down / q, ev.unavailability_if_down)
        u_up = np.where(member, ev.unavailability_and_up / (1.0 - q),
                        ev.unavailability_if_up)
        a_down = np.where(member, ev.availability_and_down / q, ev.availability_if_down)
        a_up = np.where(member, ev.availability_and_up / (1.0 - q), ev.availability_if_up)
    # the difference of the smaller pair keeps more digits
    small = (U < A)[:, None]
    b = np.where(small, u_down - u_up, a_up - a_down)
    if structure.coherent:
        # rounding aside, a coherent journey's Birnbaum is never negative;
        # with a negation it may truly be (a component whose failure
        # brings the journey up), and is kept as it is
        b = np.where(member, b, np.maximum(b, 0.0))
    # Fussell-Vesely rests on minimal cut sets, which need coherent logic
    fv = fussell_vesely(diagram, max_nodes=max_nodes) if structure.coherent else None
    results = {}
    for j, name in enumerate(structure.journeys):
        measures = _from_conditionals(U[j], q, b[j], u_down[j], u_up[j])
        measures["fussell_vesely"] = None if fv is None else fv[j]
        results[name] = ImportanceResult(
            journey=name, method="exact", events=structure.events,
            probability=_frozen(q), unavailability=float(U[j]),
            target=structure.targets[j], given=labels,
            **{k: None if v is None else _frozen(v) for k, v in measures.items()})
    return ImportanceResults(results, method="exact", events=structure.events,
                             given=labels)


def _from_conditionals(U, q, b, u_down, u_up):
    """Every measure but Fussell-Vesely from U, q, B, U(i down), U(i up)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if U > 0:
            criticality = q * b / U
            raw = u_down / U
            rrw = np.where(u_up > 0, U / u_up, np.inf)
            share = np.minimum(q * u_down / U, 1.0)
        else:
            criticality = raw = rrw = share = np.full_like(q, np.nan)
    return {"birnbaum": b, "criticality": criticality, "raw": raw, "rrw": rrw,
            "improvement_potential": q * b, "failure_share": share}


def _simulated(counts, labels, confidence):
    from scipy.special import betainccinv, betaincinv

    s = counts.structure
    q = s.q
    sampled = (q > 0.0) & (q < 1.0)
    wide = (1.0 + confidence) / 2            # each of two intervals, Bonferroni

    def clopper_pearson(k, m, level):
        """Vectorised Clopper-Pearson interval for k successes of m."""
        k, m = np.broadcast_arrays(np.asarray(k, float), np.asarray(m, float))
        alpha = 1.0 - level
        with np.errstate(invalid="ignore", divide="ignore"):
            lo = np.where(k > 0, betaincinv(k, m - k + 1, alpha / 2), 0.0)
            hi = np.where(k < m, betainccinv(k + 1, m - k, alpha / 2), 1.0)
        return np.where(m > 0, lo, np.nan), np.where(m > 0, hi, np.nan)

    results = {}
    for j, name in enumerate(s.journeys):
        with np.errstate(all="ignore"):       # NaN and inf where undefined, by design
            measures, intervals = _estimates(counts, j, q, sampled, confidence, wide,
                                             clopper_pearson)
        f = int(counts.failures[j])
        birnbaum, crit, raw, rrw, improvement, share = measures
        results[name] = ImportanceResult(
            journey=name, method="simulate", events=s.events, probability=_frozen(q),
            unavailability=f / counts.samples, birnbaum=_frozen(birnbaum),
            criticality=_frozen(crit), fussell_vesely=None, raw=_frozen(raw),
            rrw=_frozen(rrw), improvement_potential=_frozen(improvement),
            failure_share=_frozen(share),
            intervals={k: (_frozen(lo), _frozen(hi)) for k, (lo, hi) in intervals.items()},
            confidence=confidence, samples=counts.samples, failures=f,
            target=s.targets[j], given=labels)
    return ImportanceResults(results, method="simulate", events=s.events, given=labels)


def _estimates(counts, j, q, sampled, confidence, wide, clopper_pearson):
    """Journey ``j``'s measures and intervals from the counts."""
    n = counts.samples
    f = int(counts.failures[j])
    a = counts.joint[j].astype(float)
    if counts.constant[j] == "down":        # always down: exact
        a = q * n
    U = f / n
    share = a / f if f else np.full_like(q, np.nan)
    crit = np.where(sampled, (share - q) / (1.0 - q), np.nan)
    raw = np.where(sampled, share / q, np.nan)
    rrw = np.where(sampled, 1.0 / (1.0 - crit), np.nan)
    improvement = (np.where(sampled, U * crit, np.nan) if f
                   else np.where(sampled, 0.0, np.nan))
    birnbaum = np.where(sampled, improvement / q, np.nan)
    measures = (birnbaum, crit, raw, rrw, improvement, share)
    if counts.constant[j] is not None:        # exact: degenerate intervals
        names = ("birnbaum", "criticality", "raw", "rrw", "improvement_potential",
                 "failure_share")
        return measures, {k: (v, v) for k, v in zip(names, measures)}
    # the share given f at the confidence; the criticality, RAW and RRW
    # are monotone in it
    s_lo, s_hi = clopper_pearson(a, f, confidence)
    c_lo, c_hi = _map(sampled, (s_lo - q) / (1.0 - q), (s_hi - q) / (1.0 - q))
    intervals = {
        "failure_share": (s_lo, s_hi),
        "criticality": (c_lo, c_hi),
        "raw": _map(sampled, s_lo / q, s_hi / q),
        "rrw": _map(sampled, 1.0 / (1.0 - c_lo), 1.0 / (1.0 - c_hi)),
    }
    # U and the criticality each at (1 + confidence) / 2: the corners
    cw_lo, cw_hi = clopper_pearson(a, f, wide)
    cw_lo, cw_hi = (cw_lo - q) / (1.0 - q), (cw_hi - q) / (1.0 - q)
    u_lo, u_hi = clopper_pearson(f, n, wide)
    corners = np.stack([u_lo * cw_lo, u_lo * cw_hi, u_hi * cw_lo, u_hi * cw_hi])
    i_lo, i_hi = _map(sampled, corners.min(axis=0), corners.max(axis=0))
    intervals["improvement_potential"] = (i_lo, i_hi)
    intervals["birnbaum"] = (i_lo / q, i_hi / q)
    return measures, intervals


def _map(mask, lo, hi):
    """``(lo, hi)`` where ``mask``, NaN elsewhere."""
    return np.where(mask, lo, np.nan), np.where(mask, hi, np.nan)


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a
