"""SLO windows and error budgets: how a journey's windows go.

:func:`slo_report` simulates each journey's error ratio over time
(:func:`slosim.engines.timeline`) and reads the calendar windows: the
window's SLI, whether it meets the target, how much of the error budget it
consumed and when the budget ran out, how many incidents it saw, which
components the budget went to, and, under a :class:`BudgetPolicy`, how the
team's state (normal work, reliability focus, release freeze) would move.

Definitions, for a journey with target ``s`` over windows of length ``W``:

* the error budget of a window is ``(1 - s) W`` (seconds of full outage,
  for fluid traffic);
* the bad time ``B`` of a window is the integral of the journey's error
  ratio over it; its SLI is ``1 - B / W`` (fluid), or ``1 - bad / total``
  requests with Poisson traffic (a window without requests has SLI 1);
* the window meets its target when ``SLI >= s``; budget consumed is
  ``B / ((1 - s) W)`` (above 1 when exhausted), budget remaining ``1 -``
  consumed.

Windows of one run are not independent (an outage may straddle two), so
the interval on ``p_meet`` treats runs as clusters: the Clopper-Pearson
interval at the effective number of windows ``N / d``, where the design
effect ``d = max(1, var(per-run share) n_w / (p (1 - p)))`` is the
variance of the runs' shares of met windows over the binomial one (Kish).
With independent windows ``d`` is about 1 and the interval is the exact
binomial one.
"""

import numpy as np

from .._errors import ModelError
from .._validation import (
    check_int,
    check_real,
    duration_seconds,
    error_allowance,
    param_error,
)
from ..engines import timeline
from ..model import as_model
from ..results import BudgetPolicyReport, JourneySLO, SLOReport

__all__ = ["slo_report", "BudgetPolicy"]

_FUNC = "slo_report"

#: The SLI and budget quantiles a report lists.
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


class BudgetPolicy:
    """An error budget policy: the team's state from the budget remaining.

    Parameters
    ----------
    thresholds : dict
        ``{state: threshold}``, each threshold a share of the window's
        budget remaining in [0, 1], one state per threshold, listed from
        the best state down (thresholds strictly decreasing). The first
        state holds while the budget is untouched; the team moves down to
        state ``k`` when the budget remaining falls to its threshold, and
        back up to state ``j`` when it climbs back to ``j``'s threshold.
        A threshold of 0 is the budget exhausted.

    Attributes
    ----------
    states : tuple of str
    thresholds : tuple of float

    Notes
    -----
    In calendar windows the budget remaining only falls within a window
    and is whole again when the next one starts, so the state starts each
    window at the first state and only moves down: the first threshold is
    then only the level to climb back to (it matters for rolling windows,
    where the budget recovers as old errors leave the window).

    Examples
    --------
    The policy of the account-opening team: normal work while 40% or more
    of the budget remains, reliability focus below 25%, a release freeze
    when it is gone (between 25% and 40% the team stays where it was):

    >>> import slosim as ss
    >>> policy = ss.BudgetPolicy({"normal": 0.40, "reliability focus": 0.25, "freeze": 0.0})
    >>> policy
    BudgetPolicy({'normal': 0.4, 'reliability focus': 0.25, 'freeze': 0.0})
    >>> policy.levels     # budget consumed when each lower state starts
    (0.75, 1.0)
    """

    __slots__ = ("_states", "_thresholds")

    def __init__(self, thresholds):
        func = "BudgetPolicy"
        if not isinstance(thresholds, dict) or len(thresholds) < 2:
            raise param_error("thresholds", func, "a dict of at least two {state: "
                              "threshold} entries", thresholds, TypeError
                              if not isinstance(thresholds, dict) else ValueError)
        states, values = [], []
        for state, value in thresholds.items():
            if not isinstance(state, str) or not state:
                raise param_error("thresholds", func, "a dict keyed by state names "
                                  "(non-empty strings)", state, TypeError)
            values.append(check_real(value, f"thresholds[{state!r}]", func, low=0.0,
                                     high=1.0))
            states.append(state)
        if any(b >= a for a, b in zip(values, values[1:])):
            raise param_error("thresholds", func, "thresholds strictly decreasing from "
                              "the best state down", thresholds)
        object.__setattr__(self, "_states", tuple(states))
        object.__setattr__(self, "_thresholds", tuple(values))

    @property
    def states(self):
        return self._states

    @property
    def thresholds(self):
        return self._thresholds

    @property
    def levels(self):
        """The budget consumed at which each state after the first starts."""
        return tuple(1.0 - t for t in self._thresholds[1:])

    def __setattr__(self, name, value):
        raise AttributeError("BudgetPolicy is immutable")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.states, self.thresholds) == (other.states, other.thresholds)

    def __hash__(self):
        return hash((self._states, self._thresholds))

    def __reduce__(self):
        return (type(self), (dict(zip(self._states, self._thresholds)),))

    def __repr__(self):
        return f"BudgetPolicy({dict(zip(self._states, self._thresholds))!r})"


def slo_report(model, window="30d", runs=1000, *, windows=12, rng=None, policy=None,
               traffic=None, threads=None, executor=None, start="stationary",
               rolling=False, confidence=0.95, chunk_size=64, max_events=10**7,
               progress=False, callback=None):
    """How each journey's SLO windows go: P(meets target), budgets, incidents.

    Parameters
    ----------
    model : Model, Node or Journey
        Every component, service and shock with a behaviour over time
        (or an availability of exactly 0 or 1); journeys with a target.
    window : str, datetime.timedelta or float, default "30d"
        The SLO window.
    runs : int, default 1000
        Independent runs, each ``windows`` consecutive calendar windows.
    windows : int, default 12
        Windows per run: the horizon is ``windows * window``.
    rng : None, int, SeedSequence, BitGenerator or Generator
        As for :func:`~slosim.simulate`; the same ``rng`` gives the same
        report at any ``threads`` and on any ``executor``.
    policy : BudgetPolicy, optional
        An error budget policy to follow through the windows.
    traffic : str or float, optional
        Poisson requests (``"10/h"``); the SLI then counts requests. The
        default is fluid traffic: the SLI is the time-weighted good ratio.
    threads : int, default 1
    executor : concurrent.futures.Executor, optional
        Run the simulation's chunks on this executor's workers (not with
        ``threads``), as for :func:`~slosim.engines.timeline`.
    start : {'stationary', 'clean'}, default 'stationary'
        Start each run with every process in its long-run state, or with
        everything up and no incident in progress.
    rolling : bool, default False
        Also the worst rolling window of each run and the time its SLI is
        below target.
    confidence : float, default 0.95
        Of the interval on ``p_meet``.
    chunk_size, max_events : int
        As for :func:`~slosim.engines.timeline`.
    progress, callback
        A progress bar, and ``callback(done, total)`` in runs, as for
        :func:`~slosim.engines.timeline`.

    Returns
    -------
    SLOReport
        Mapping journey name -> :class:`~slosim.results.JourneySLO` (for
        journeys with a target).

    Raises
    ------
    ModelError
        If no journey has a target, or an event has no behaviour over
        time.

    See Also
    --------
    slosim.engines.timeline : the simulation underneath, with the raw
        per-window arrays.

    Notes
    -----
    See the module notes of :mod:`slosim.analysis._slo` for the
    definitions and the interval.

    Examples
    --------
    >>> import slosim as ss
    >>> api = ss.Component("api", mttf="20d", mttr="30m")
    >>> db = ss.Component("db", incidents=[
    ...     ss.Incidents("1/30d", ss.LogNormal.from_median("1h", 3)),
    ...     ss.Incidents("6/30d", "20m", error_ratio=0.05)])
    >>> model = ss.Model(ss.Journey(ss.series(api, db), name="checkout", target=0.999))
    >>> report = ss.slo_report(model, window="30d", runs=200, rng=1)
    >>> r = report["checkout"]
    >>> 0 < r.p_meet < 1 and r.p_meet_interval[0] <= r.p_meet <= r.p_meet_interval[1]
    True
    """
    model = as_model(model, _FUNC)
    windows = check_int(windows, "windows", _FUNC, low=1)
    confidence = check_real(confidence, "confidence", _FUNC, low=0.0, high=1.0,
                            low_open=True, high_open=True)
    if policy is not None and not isinstance(policy, BudgetPolicy):
        raise param_error("policy", _FUNC, "a BudgetPolicy or None", policy, TypeError)
    if not isinstance(rolling, (bool, np.bool_)):
        raise param_error("rolling", _FUNC, "True or False", rolling, TypeError)
    targeted = [j.name for j in model.journeys if j.target is not None]
    if not targeted:
        raise ModelError("slo_report needs journeys with a target "
                         "(Journey(..., target=0.999)); no journey has one", None)
    levels = (1.0,) if policy is None else tuple(sorted(set((1.0,) + policy.levels)))
    seconds = duration_seconds(window, "window", _FUNC)
    tl = timeline(model, horizon=windows * seconds, runs=runs, window=seconds, rng=rng,
                  threads=threads, executor=executor, start=start, traffic=traffic,
                  levels=levels, rolling=bool(rolling), chunk_size=chunk_size,
                  max_events=max_events, progress=progress, callback=callback)
    journeys = {}
    for name in targeted:
        journeys[name] = summarise(tl, name, levels=levels, policy=policy,
                                   confidence=confidence)
    return SLOReport(journeys=journeys, window=tl.window, windows=tl.n_windows,
                     runs=tl.runs, policy=policy, traffic=traffic, start=start)


def summarise(tl, name, *, levels, policy, confidence):
    """A :class:`JourneySLO` from a timeline result's arrays for ``name``."""
    j = tl[name]
    target = j.target
    W = tl.window
    allowed = error_allowance(target)
    budget = j.budget
    bad = np.asarray(j.bad, dtype=np.float64)                    # (runs, windows)
    if j.requests is not None:
        requests = np.asarray(j.requests)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(requests > 0, j.bad_requests / np.maximum(requests, 1), 0.0)
        sli = 1.0 - ratio
        consumed = ratio / allowed
    else:
        sli = 1.0 - bad / W
        consumed = bad / budget
    # meets: SLI >= target, i.e. consumed <= 1 (compared on the budget, which
    # keeps the digits 1 - bad / W loses)
    met = consumed <= 1.0
    p, low, high = clustered_proportion(met, confidence)
    exhausted_at = np.asarray(j.crossings)[..., levels.index(1.0)]
    finite = np.isfinite(exhausted_at)
    events = tl.events
    total = float(np.sum(bad))
    share = (np.asarray(j.attribution) / total) if total > 0 else \
        np.zeros(len(events))
    order = np.argsort(-share, kind="stable")
    return JourneySLO(
        journey=name, target=target, window=W, sli=_frozen(sli), budget_consumed=_frozen(consumed),
        p_meet=p, p_meet_interval=(low, high), confidence=confidence,
        time_to_exhaustion=_frozen(exhausted_at[finite]),
        incidents=_frozen(np.asarray(j.incidents)),
        budget_share={events[i]: float(share[i]) for i in order if share[i] > 0},
        policy=None if policy is None else _policy(policy, levels, j.crossings, W),
        worst_window=None if j.worst_window is None else
        _frozen(1.0 - np.asarray(j.worst_window) / W),
        time_out=None if j.time_out is None else _frozen(np.asarray(j.time_out)),
        horizon=tl.horizon)


def clustered_proportion(hits, confidence):
    """``(p, low, high)``: the share of True in ``hits`` (runs, windows) and a
    Clopper-Pearson interval at the effective sample size of runs as
    clusters (see the module notes)."""
    from scipy.special import betaincinv

    hits = np.asarray(hits, dtype=bool)
    runs, n_w = hits.shape
    N = runs * n_w
    p = float(hits.mean())
    deff = 1.0
    if 0.0 < p < 1.0 and runs > 1 and n_w > 1:
        per_run = hits.mean(axis=1)
        deff = max(1.0, float(np.var(per_run, ddof=1)) * n_w / (p * (1.0 - p)))
    n = N / deff
    x = p * n
    a = 1.0 - confidence
    low = 0.0 if x <= 0 else float(betaincinv(x, n - x + 1.0, a / 2))
    high = 1.0 if x >= n else float(betaincinv(x + 1.0, n - x, 1.0 - a / 2))
    return p, low, high


def _policy(policy, levels, crossings, W):
    """Time and window shares of each state, and freezes started, from the
    times each state's level was crossed in each calendar window."""
    crossings = np.asarray(crossings)
    runs, n_w = crossings.shape[:2]
    # start of each lower state within each window (inf: never reached)
    starts = [np.minimum(crossings[..., levels.index(level)], W)
              for level in policy.levels]
    bounds = [np.zeros((runs, n_w))] + starts + [np.full((runs, n_w), W)]
    time = {s: float(np.sum(bounds[k + 1] - bounds[k])) / (runs * n_w * W)
            for k, s in enumerate(policy.states)}
    windows = {policy.states[0]: 1.0}
    for k, s in enumerate(policy.states[1:]):
        windows[s] = float(np.mean(np.isfinite(crossings[..., levels.index(
            policy.levels[k])])))
    return BudgetPolicyReport(states=policy.states, thresholds=policy.thresholds,
                              time_share=time, window_share=windows,
                              entries_per_year={s: windows[s] * 365.25 * 86400.0 / W
                                                for s in policy.states[1:]})


def _frozen(a):
    a = np.array(a)
    a.setflags(write=False)
    return a

