"""Epistemic uncertainty: what the evidence says about each journey's availability.

When availabilities are estimated from evidence (probe counts, incident
history), they are distributions (:class:`~slosim.model.Beta`,
:class:`~slosim.model.LogNormal`, :class:`~slosim.model.Uniform`), and so
is every journey's availability. :func:`uncertainty` gives its
distribution (mean, spread, quantiles, the probability that it meets its
target) by sampling the parameters and evaluating the model's decision
diagram at every sample (a batched kernel), and says which parameter's
uncertainty drives the doubt: Sobol indices and Shapley effects.

When every uncertain parameter is one event's probability (a component's
availability or unavailability, a shock's probability), the journey's
unavailability ``h`` is multilinear in independent inputs, and the
indices have closed forms: with ``mu`` the means and ``sigma^2`` the
variances, a set ``S`` of parameters carries the variance
``V_S = prod_{i in S} sigma_i^2 (d_S h(mu))^2``; ``V = E[h^2] - h(mu)^2``,
``S1_i = sigma_i^2 (dh/dq_i(mu))^2 / V``, ``ST_i = sigma_i^2
E[(dh/dq_i)^2] / V``, and the Shapley effect is ``sigma_i^2`` times the
integral over ``rho`` of ``E[dh/dq_i(Q) dh/dq_i(Q_rho)]`` (``Q_rho`` equal
to ``Q`` parameter by parameter with probability ``rho``), all computed
exactly by :class:`~slosim.engines.PairMoments`. Otherwise (a common-cause
factor moves several events at once; a copula couples the events) the
indices are pick-freeze estimates (Saltelli 2010 for ``S1``, Jansen for
``ST``) with bootstrap intervals, named as SALib names them.
"""

import numpy as np

from .._validation import check_int, check_real, check_rng, param_error
from ..engines import (
    DEFAULT_MAX_NODES,
    DEFAULT_MAX_PAIRS,
    ExactDiagram,
    PairMoments,
    evaluate_many,
)
from ..model import as_model, lower
from ..results import UncertaintyResult, UncertaintyResults, binomial_interval

__all__ = ["uncertainty"]

_FUNC = "uncertainty"
_METHODS = ("auto", "closed form", "pick-freeze")
_RTOL = 1e-12


def uncertainty(model, samples=10_000, *, rng=None, method="auto", bootstrap=100,
                confidence=0.95, quantiles=(0.05, 0.5, 0.95), threads=None,
                executor=None, progress=False, callback=None,
                max_nodes=DEFAULT_MAX_NODES, max_pairs=DEFAULT_MAX_PAIRS):
    """The distribution of every journey's availability over uncertain inputs.

    Parameters
    ----------
    model : Model, Node or Journey
        A model with at least one availability, unavailability, shock
        probability or common-cause parameter given as a distribution.
    samples : int, default 10_000
        Samples of the parameters for the distribution; for pick-freeze
        indices, also the base sample size ``N`` (``N (P + 2)`` evaluations
        for ``P`` parameters).
    rng : optional
        Seeds the samples (``numpy.random.default_rng(rng)``).
    method : {'auto', 'closed form', 'pick-freeze'}, default 'auto'
        How the sensitivity indices are computed: ``'closed form'`` when
        every parameter is one event's probability and the model has no
        negation (exact, with Shapley effects), ``'pick-freeze'``
        otherwise; ``'auto'`` takes the closed form when it applies.
    bootstrap : int, default 100
        Resamples for the pick-freeze intervals.
    confidence : float, default 0.95
        Level of the intervals (the probability of meeting the target;
        the pick-freeze indices).
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Quantiles of each journey's availability to report.
    threads : int, default 1
        Worker threads of the batched evaluation; results do not depend
        on it.
    executor : concurrent.futures.Executor, optional
        Run the batched evaluation on this executor's workers instead (not
        with ``threads``), as :func:`~slosim.engines.evaluate_many` does;
        the parameters are drawn here, from ``rng``, so the result is the
        same, bit for bit.
    progress : bool or 'auto', default False
        Draw a progress bar on stderr over the evaluations (tqdm when
        installed, else a line of text); ``'auto'``: only when stderr is a
        terminal.
    callback : callable, optional
        Called as ``callback(done, total)`` in the calling thread as the
        evaluations finish: ``total`` is ``samples`` with the closed form,
        ``samples (P + 3)`` with pick-freeze (its ``N (P + 2)`` rows after
        the distribution's); monotone, the last call with ``done == total``.
    max_nodes, max_pairs : int
        Budgets of the decision diagram and of its node pairs.

    Returns
    -------
    UncertaintyResults
        Mapping journey name -> :class:`UncertaintyResult`.

    Raises
    ------
    ValueError
        If the model has no uncertain parameter, or for a bad parameter
        (``method='closed form'`` where it does not apply...).

    See Also
    --------
    sobol : the variance of a journey's state, for given probabilities.
    slosim.model.Beta.from_counts : availability from probe counts.

    Notes
    -----
    The engines use each parameter's mean; ``E[h(Q)] = h(E[Q])`` holds
    exactly when ``h`` is multilinear in independent parameters, so the
    closed form's ``mean`` is the engines' value. The sample's mean is
    reported beside it. Pick-freeze estimators, with ``A`` and ``B`` two
    independent samples and ``AB_i`` the rows of ``A`` with parameter
    ``i`` from ``B``: ``S1_i = mean(f(B) (f(AB_i) - f(A))) / V`` (Saltelli
    2010) and ``ST_i = mean((f(A) - f(AB_i))^2) / (2 V)`` (Jansen 1999),
    ``V`` the variance of ``f(A)`` and ``f(B)`` together; their
    ``_conf`` is the half-width at ``confidence`` of a normal interval from
    ``bootstrap`` resamples, as SALib reports it.

    References
    ----------
    .. [1] A. Saltelli et al., "Variance based sensitivity analysis of model
       output. Design and estimator for the total sensitivity index",
       Computer Physics Communications 181 (2010).
    .. [2] A. B. Owen, "Sobol' indices and Shapley value", SIAM/ASA Journal
       on Uncertainty Quantification 2 (2014).

    Examples
    --------
    Identity verification answered 1,980 of 2,000 probes; the web tier
    19,990 of 20,000:

    >>> import slosim as ss
    >>> from slosim.model import Beta
    >>> idv = ss.Component("idv", availability=Beta.from_counts(1980, 20))
    >>> web = ss.Component("web", availability=Beta.from_counts(19990, 10))
    >>> model = ss.Model(ss.Journey(ss.series(web, idv), name="open", target=0.985))
    >>> res = ss.uncertainty(model, samples=20_000, rng=1)["open"]
    >>> round(res.mean, 5), res.method
    (0.98924, 'closed form')
    >>> dict(zip(res.parameters, [round(float(x), 3) for x in res.shapley]))
    {'web': 0.005, 'idv': 0.995}
    >>> round(res.p_meets, 2)
    0.96

    Given the evidence, the journey meets 98.5% with probability 0.96, and
    identity verification's uncertainty is almost all of the doubt.
    """
    if method not in _METHODS:
        raise param_error("method", _FUNC, " or ".join(map(repr, _METHODS)), method)
    samples = check_int(samples, "samples", _FUNC, low=2)
    bootstrap = check_int(bootstrap, "bootstrap", _FUNC, low=1)
    confidence = check_real(confidence, "confidence", _FUNC, low=0, high=1,
                            low_open=True, high_open=True)
    levels = np.asarray(quantiles, dtype=np.float64)
    if levels.ndim != 1 or np.any(~((levels >= 0) & (levels <= 1))):
        raise param_error("quantiles", _FUNC, "a sequence of levels in [0, 1]", quantiles)
    rng = check_rng(rng, _FUNC)
    if threads is not None:
        threads = check_int(threads, "threads", _FUNC, low=1)
    if executor is not None and threads is not None:
        raise ValueError(f"The 'threads' and 'executor' parameters of {_FUNC} are "
                         f"exclusive. Got threads={threads!r} and an executor.")
    max_pairs = check_int(max_pairs, "max_pairs", _FUNC, low=1)
    model = as_model(model, _FUNC)
    s = lower(model)
    params = s.parameters
    if not params:
        raise ValueError("uncertainty needs a model with uncertain parameters (an "
                         "availability, unavailability or probability given as a "
                         "distribution, e.g. slosim.model.Beta.from_counts); this one "
                         "has none: its availabilities are exact (slosim.exact)")
    closed = _closed_form_applies(s)
    if method == "closed form":
        # its Sobol totals assume coherent logic; pick-freeze does not
        s.refuse_negation("uncertainty(method='closed form')")
    closed = closed and s.coherent
    if method == "closed form" and not closed:
        raise ValueError("method='closed form' needs every uncertain parameter to be "
                         "one event's probability and no copula; use 'pick-freeze'")
    use_closed = closed and method != "pick-freeze"
    diagram = ExactDiagram(s, max_nodes=max_nodes, _func=_FUNC)

    draws = _draw(params, samples, rng)
    rows = draws if use_closed else np.vstack([draws, _pick_freeze_rows(params, samples, rng)])
    # one evaluation of every row: the distribution's, then pick-freeze's
    every = evaluate_many(diagram, s.event_probabilities(rows), threads=threads,
                          executor=executor, progress=progress, callback=callback)
    values = every.availability[:samples]
    if use_closed:
        sens = _closed(diagram, s, params, max_pairs)
    else:
        sens = _pick_freeze(every.unavailability[samples:], len(s.journeys), len(params),
                            samples, rng, bootstrap, confidence)
    results = {}
    names = tuple(p.name for p in params)
    for j, journey in enumerate(s.journeys):
        a = values[:, j]
        target = s.targets[j]
        meets = interval = None
        if target is not None:
            k = int(np.count_nonzero(a >= target))
            meets = k / samples
            interval = binomial_interval(k, samples, confidence)
        results[journey] = UncertaintyResult(
            journey=journey, parameters=names, samples=samples,
            availability=_frozen(a),
            mean=float(np.mean(a)) if sens[j]["mean"] is None else sens[j]["mean"],
            sample_mean=float(np.mean(a)), std=float(np.sqrt(sens[j]["variance"])),
            quantiles=dict(zip(levels.tolist(), np.quantile(a, levels).tolist())),
            target=target, p_meets=meets, p_meets_interval=interval,
            method="closed form" if use_closed else "pick-freeze",
            S1=_frozen(sens[j]["S1"]), ST=_frozen(sens[j]["ST"]),
            S1_conf=None if sens[j]["S1_conf"] is None else _frozen(sens[j]["S1_conf"]),
            ST_conf=None if sens[j]["ST_conf"] is None else _frozen(sens[j]["ST_conf"]),
            shapley=None if sens[j]["shapley"] is None else _frozen(sens[j]["shapley"]),
            confidence=confidence)
    return UncertaintyResults(results, parameters=names, samples=samples)


def _closed_form_applies(s):
    if any(np.any((s.q[c.events] > 0) & (s.q[c.events] < 1)) for c in s.copulas):
        return False
    return all(p.inputs == (p.name,) and len(p.events) == 1
               and p.kind in ("availability", "unavailability", "probability")
               for p in s.parameters)


def _draw(params, n, rng):
    """(n, P) independent samples of the parameters."""
    return np.column_stack([p.distribution.sample(n, rng=rng) for p in params])


def _closed(diagram, s, params, max_pairs):
    """Per journey: exact mean, variance, S1, ST and Shapley effects."""
    q = s.q
    m = np.c_[q, 1.0 - q]
    independent = m[:, :, None] * m[:, None, :]
    moments = independent.copy()
    sigma2 = np.zeros(len(params))
    events = np.array([int(p.events[0]) for p in params])
    for i, (p, e) in enumerate(zip(params, events)):
        mu, var = q[e], p.distribution.var
        sigma2[i] = var
        moments[e] = [[mu * mu + var, mu - mu * mu - var],
                      [mu - mu * mu - var, (1 - mu) ** 2 + var]]
    ev = diagram.evaluate()
    out = []
    for j in range(len(s.journeys)):
        U, A = float(ev.unavailability[j]), float(ev.availability[j])
        up = A < U                                   # count the rarer state
        pm = PairMoments(diagram, j, max_pairs=max_pairs)
        second, total = pm.evaluate(moments, up=up)
        V = max(second - (A if up else U) ** 2, 0.0)
        b = ev.birnbaum[j][events]
        first = sigma2 * b ** 2
        totals = sigma2 * total[events]
        shap = _shapley(pm, moments, independent, events, sigma2, up)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 1.0 / V if V > 0 else np.nan
        out.append({"mean": A, "variance": V, "S1": first * scale, "ST": totals * scale,
                    "shapley": shap * scale, "S1_conf": None, "ST_conf": None})
    return out


def _shapley(pm, moments, independent, events, sigma2, up):
    """sigma_i^2 times the integral over rho of E[h_i(Q) h_i(Q_rho)]."""
    weights = np.zeros(pm.structure.n_events)
    weights[events] = sigma2
    return sigma2 * pm.integrate(moments, independent, up=up, weights=weights,
                                 rtol=_RTOL)[events]


def _pick_freeze_rows(params, n, rng):
    """The pick-freeze design: ``A``, ``B``, then ``A`` with column ``i``
    from ``B`` for each parameter ``i``; ``(n (P + 2), P)``."""
    A, B = _draw(params, n, rng), _draw(params, n, rng)
    rows = [A, B]
    for i in range(len(params)):
        ab = A.copy()
        ab[:, i] = B[:, i]
        rows.append(ab)
    return np.vstack(rows)


def _pick_freeze(values, n_journeys, P, n, rng, bootstrap, confidence):
    """Per journey: Saltelli's S1 and Jansen's ST with bootstrap intervals,
    from the unavailability ``values`` at the pick-freeze rows."""
    from scipy.special import ndtri

    z = float(ndtri(0.5 + confidence / 2))
    resample = rng.integers(0, n, size=(bootstrap, n))
    out = []
    for j in range(n_journeys):
        f = values[:, j].reshape(P + 2, n)
        s1, st, V = _saltelli_jansen(f, slice(None))
        boot = [_saltelli_jansen(f, idx) for idx in resample]
        s1_conf = z * np.std([x[0] for x in boot], axis=0, ddof=1)
        st_conf = z * np.std([x[1] for x in boot], axis=0, ddof=1)
        out.append({"mean": None, "variance": float(V), "S1": s1, "ST": st, "S1_conf": s1_conf,
                    "ST_conf": st_conf, "shapley": None})
    return out


def _saltelli_jansen(f, idx):
    """``(S1, ST, V)`` from the rows ``idx`` of ``f = [f(A), f(B), f(AB_1), ...]``."""
    a, b, ab = f[0][idx], f[1][idx], f[2:][:, idx]
    V = np.var(np.concatenate([a, b]))
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.mean(b * (ab - a), axis=1) / V
        st = 0.5 * np.mean((a - ab) ** 2, axis=1) / V
    return s1, st, V


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a
