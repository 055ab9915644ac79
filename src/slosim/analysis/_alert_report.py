"""Alerting rules on simulated timelines: would they page in time, or too often?

:func:`alert_report` simulates a journey's error ratio over time
(:func:`slosim.engines.timeline`, keeping every run's path), evaluates the
rules on each run's path with the exact evaluator of the alerts package
(:func:`slosim.evaluate_alerts`), and sets the fires against the
incidents that mattered: the SRE Workbook's precision, recall and
detection time, measured on the model instead of guessed.

Definitions, for a journey with SLO ``s``, a period ``P`` (error budget
``B = (1 - s) P`` seconds of full outage) and a run of length ``H``:

* an *event* is a maximal stretch of time with an error ratio above 0,
  stretches separated by less than ``merge`` (by default the rules'
  shortest window, which cannot tell them apart) joined into one; its
  *spend* is the integral of the error ratio over it, in seconds;
* an event is *significant* when its spend is at least ``significant *
  B`` (by default 2%, the smallest share the Workbook's page rules
  target);
* a rule with long window ``L`` *covers* an event ``[a, b)`` while its
  long window holds some of the event's errors, on ``(a, b + L)``; an
  episode ``[fire, clear)`` of the rule *matches* the event when it
  overlaps that interval (``fire < b + L`` and ``clear > a``);
* *precision*: the share of fire episodes that match a significant event;
  *recall*: the share of significant events that some episode matches;
  the *detection time* of a detected event is ``max(0, fire - a)`` for
  the first matching episode (0 when the rule was already firing as the
  event began), and the *budget at detection* the share of ``B`` the
  event had spent by then;
* a group of rules (a severity, the whole set) fires while any of its
  rules does: its episodes are the union of theirs, an episode matching
  when one of its rules' episodes does; an event is detected by the group
  when one of its rules detects it, at the earliest of their times.

The rules' windows reach back before each run's time 0, where the
simulation has no history (and a stationary run may start inside an
incident), and its errors stop at the horizon. So the first and the last
``T`` of each run, ``T`` the rules' longest long window, are warm-up and
cool-down: fire episodes count when they fire in ``[T, H - T)``, events
(for recall, detection and the rates) when they lie wholly in it, and an
episode is matched against every significant event of the run, counted or
not. Fire episodes per period are those counted over ``(H - 2 T) / P``
periods of each run.

Events and episodes of one run are not independent, so the intervals on
precision and recall treat runs as clusters, as :func:`slo_report`'s
interval does with equal clusters: the Clopper-Pearson interval
(:func:`~slosim.binomial_interval`) at the effective sample size ``N /
d``, with the design effect ``d = max(1, R / (R - 1) * sum_i (y_i - p
m_i)^2 / (N p (1 - p)))`` of the ratio estimator over ``R`` runs with
``m_i`` trials and ``y_i`` hits (Kish; with equal ``m_i`` it is
``slo_report``'s), rounded down to whole trials. With at most one trial
a run, or ``d = 1``, it is the exact Clopper-Pearson interval.

Memory: the paths of every run are kept at once (one timeline call, so
the result is the timeline engine's for the same ``rng``): about 16 bytes
per change of each journey's error ratio per run, a few kilobytes for a
year of a typical service, so 10**4 runs take tens of megabytes.
"""

import math

import numpy as np

from .._errors import ModelError
from .._validation import (
    check_int,
    check_real,
    duration_seconds,
    error_allowance,
    format_duration,
    param_error,
)
from ..alerts import Scenario, as_rules, evaluate_alerts
from ..engines import timeline
from ..model import as_model
from ..results import AlertReport, AlertRuleReport, binomial_interval

__all__ = ["alert_report"]

_FUNC = "alert_report"
_STARTS = ("stationary", "clean")


def alert_report(model, rules, *, journey=None, slo=None, period="30d", horizon="365d",
                 runs=200, rng=None, threads=None, executor=None, start="stationary",
                 significant=0.02, merge=None, evaluation_interval=None, confidence=0.95,
                 chunk_size=64, max_events=10**7, progress=False, callback=None):
    """Whether alerting rules page in time, and not too often, on a model.

    Simulates the journey's error ratio over ``runs`` runs of ``horizon``,
    evaluates every rule on each run exactly (as
    :func:`~slosim.evaluate_alerts` does), and reports, per rule, per
    severity and for the whole set: fire episodes per period, precision,
    recall, the detection time of significant budget burns and the budget
    they had spent by then.

    Parameters
    ----------
    model : Model, Node or Journey
        Every event with a behaviour over time (as for
        :func:`~slosim.engines.timeline`).
    rules : BurnRateAlert, ThresholdAlert or sequence of them
        With distinct names (:func:`~slosim.alerts.multiwindow` gives the
        Workbook's set).
    journey : str, optional
        The journey whose errors page. By default the model's only journey
        with a target (or its only journey).
    slo : float, optional
        In (0, 1); by default the journey's target.
    period : str, datetime.timedelta or float, default "30d"
        The SLO's period: the error budget is ``(1 - slo) * period``.
    horizon : str, datetime.timedelta or float, default "365d"
        The length of each run; longer than twice the rules' longest
        window (see the Notes).
    runs : int, default 200
    rng : None, int, SeedSequence, BitGenerator or Generator
        As for :func:`~slosim.engines.timeline`; the same ``rng`` gives the
        same report at any ``threads`` and on any ``executor``.
    threads : int, default 1
        Threads of the simulation (the evaluation of the rules is Python).
    executor : concurrent.futures.Executor, optional
        Run the simulation's chunks on this executor's workers (not with
        ``threads``), as for :func:`~slosim.engines.timeline`; the rules
        are evaluated here.
    start : {'stationary', 'clean'}, default 'stationary'
    significant : float, default 0.02
        The share of the period's error budget an event must spend to be
        significant, > 0.
    merge : str, datetime.timedelta or float, optional
        Stretches of errors closer than this are one event; by default the
        rules' shortest window, 0 to join none.
    evaluation_interval : str, datetime.timedelta or float, optional
        Evaluate the rules every so often (as a rule evaluator does); by
        default in continuous time.
    confidence : float, default 0.95
        Of the intervals on precision and recall.
    chunk_size, max_events : int
        As for :func:`~slosim.engines.timeline`.
    progress, callback
        A progress bar, and ``callback(done, total)`` in runs, of the
        simulation, as for :func:`~slosim.engines.timeline`.

    Returns
    -------
    AlertReport
        Mapping rule name -> :class:`~slosim.results.AlertRuleReport`, with
        the severities' and the whole set's rows.

    Raises
    ------
    TypeError, ValueError
        For a bad parameter, with a message naming it.
    ModelError
        If the journey cannot be chosen or has no SLO, or an event has no
        behaviour over time.

    See Also
    --------
    slosim.evaluate_alerts : when rules fire for one scenario of errors.
    slo_report : how the journey's SLO windows go.

    Notes
    -----
    The definitions (event, significant, precision, recall, detection, the
    warm-up at each end of a run) and the intervals are in the notes of
    :mod:`slosim.analysis._alert_report`. Precision is NaN for a rule that
    never fires, recall NaN without a significant event.

    References
    ----------
    .. [1] S. Thurgood et al., "Alerting on SLOs", in *The Site Reliability
       Workbook*, O'Reilly, 2018, ch. 5.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", mttf="60d", mttr="1h")
    >>> model = ss.Journey(db, name="pay", target=0.999)
    >>> rules = [ss.BurnRateAlert("1h", "5m", burn_rate=14.4)]
    >>> report = ss.alert_report(model, rules, horizon="180d", runs=20, rng=1)
    >>> r = report["page 1h/5m"]
    >>> r.recall, r.precision, r.detection_quantiles[0.5]
    (1.0, 1.0, 51.84)
    """
    model = as_model(model, _FUNC)
    name, target = _journey(model, journey)
    if slo is None:
        if target is None:
            raise ModelError(f"alert_report needs an SLO for journey {name!r}: give "
                             f"slo= or a target to the journey", name)
        slo = target
    setup = _Setup(rules, slo, period, horizon, significant, merge, evaluation_interval,
                   confidence, _FUNC)
    runs = check_int(runs, "runs", _FUNC, low=1)
    if start not in _STARTS:
        raise param_error("start", _FUNC, "'stationary' or 'clean'", start,
                          ValueError if isinstance(start, str) else TypeError)
    tl = timeline(model, horizon=setup.horizon, runs=runs, window=setup.horizon, rng=rng,
                  threads=threads, executor=executor, start=start, keep_paths=runs,
                  chunk_size=chunk_size, max_events=max_events, progress=progress,
                  callback=callback)
    return _report(tl[name].paths, setup, journey=name, start=start)


def from_paths(paths, rules, *, slo, horizon, period="30d", significant=0.02, merge=None,
               evaluation_interval=None, confidence=0.95, journey="journey", start="clean"):
    """An :class:`AlertReport` from error ratio paths, one per run.

    What :func:`alert_report` does after the simulation, for hand-made or
    recorded paths: ``paths[i] = (times, ratios)``, the error ratio
    ``ratios[k]`` from ``times[k]`` to ``times[k + 1]`` (the last to the
    horizon), ``times[0] = 0``, as ``JourneyTimeline.paths`` holds them.
    """
    setup = _Setup(rules, slo, period, horizon, significant, merge, evaluation_interval,
                   confidence, "from_paths")
    return _report(paths, setup, journey=journey, start=start)


def _journey(model, journey):
    """``(name, target)`` of the journey to report on."""
    journeys = model.journeys
    names = ", ".join(repr(j.name) for j in journeys)
    if journey is None:
        targeted = [j for j in journeys if j.target is not None]
        if len(targeted) == 1:
            return targeted[0].name, targeted[0].target
        if not targeted and len(journeys) == 1:
            return journeys[0].name, None
        raise ModelError(
            f"alert_report reports on one journey and the model has {len(targeted)} "
            f"with a target (of {names}): name one with journey=", None)
    for j in journeys:
        if j.name == journey:
            return j.name, j.target
    raise param_error("journey", _FUNC, f"the name of a journey of the model ({names})",
                      journey, ValueError if isinstance(journey, str) else TypeError)


class _Setup:
    """The checked settings of a report, in seconds."""

    def __init__(self, rules, slo, period, horizon, significant, merge, step, confidence,
                 func):
        self.rules = as_rules(rules, func)[0]
        self.slo = check_real(slo, "slo", func, low=0, high=1, low_open=True,
                              high_open=True)
        self.period = duration_seconds(period, "period", func)
        self.horizon = duration_seconds(horizon, "horizon", func)
        self.significant = check_real(significant, "significant", func, low=0,
                                      low_open=True)
        shortest = min(min(r.windows) for r in self.rules)
        self.merge = shortest if merge is None else duration_seconds(
            merge, "merge", func, allow_zero=True)
        self.step = None if step is None else duration_seconds(
            step, "evaluation_interval", func)
        self.confidence = check_real(confidence, "confidence", func, low=0, high=1,
                                     low_open=True, high_open=True)
        self.warmup = max(r.long for r in self.rules)
        if self.horizon <= 2 * self.warmup:
            raise param_error(
                "horizon", func, f"longer than twice the rules' longest window "
                f"({format_duration(self.warmup)}), the warm-up and cool-down left out "
                f"at each end of a run", horizon)
        self.budget = error_allowance(self.slo) * self.period
        # rows: (name, severity, indices of the rules); a severity's row only
        # when there are several
        severities = list(dict.fromkeys(r.severity for r in self.rules))
        self.rows = [(r.name, r.severity, (i,)) for i, r in enumerate(self.rules)]
        if len(severities) > 1:
            self.rows += [(f"any {s}", s, tuple(i for i, r in enumerate(self.rules)
                                                if r.severity == s)) for s in severities]
        self.rows.append(("any rule", None, tuple(range(len(self.rules)))))


def _report(paths, setup, *, journey, start):
    """The report of ``setup``'s rules on ``paths``."""
    counts = {name: [] for name, _, _ in setup.rows}
    detections = {name: [] for name, _, _ in setup.rows}
    incidents = []
    for times, ratios in paths:
        run = _Run(times, ratios, setup)
        incidents.append(run.incidents)
        for name, _, members in setup.rows:
            fires, true, events, det, budget = run.row(members)
            counts[name].append((fires, true, events, det.size))
            detections[name].append((det, budget))
    observed = setup.horizon - 2 * setup.warmup
    reports = {}
    for name, severity, members in setup.rows:
        c = np.array(counts[name], dtype=np.int64).reshape(-1, 4)
        det = np.concatenate([d for d, _ in detections[name]] or [np.empty(0)])
        spent = np.concatenate([b for _, b in detections[name]] or [np.empty(0)])
        precision, p_int = _proportion(c[:, 1], c[:, 0], setup.confidence)
        recall, r_int = _proportion(c[:, 3], c[:, 2], setup.confidence)
        reports[name] = AlertRuleReport(
            name=name, severity=severity,
            rules=tuple(setup.rules[i].name for i in members),
            period=setup.period, observed=observed, confidence=setup.confidence,
            fires_per_run=_frozen(c[:, 0]), true_fires_per_run=_frozen(c[:, 1]),
            events_per_run=_frozen(c[:, 2]), detected_per_run=_frozen(c[:, 3]),
            detection_seconds=_frozen(det), budget_at_detection=_frozen(spent),
            precision=precision, precision_interval=p_int,
            recall=recall, recall_interval=r_int)
    names = [name for name, _, _ in setup.rows]
    n_rules = len(setup.rules)
    return AlertReport(
        journey=journey, slo=setup.slo, period=setup.period, horizon=setup.horizon,
        runs=len(paths), start=start, significant=setup.significant, merge=setup.merge,
        warmup=setup.warmup, evaluation_interval=setup.step, confidence=setup.confidence,
        rules={n: reports[n] for n in names[:n_rules]},
        severities={reports[n].severity: reports[n] for n in names[n_rules:-1]},
        overall=reports[names[-1]],
        incidents_per_run=_frozen(np.array(incidents, dtype=np.int64)))


class _Run:
    """One run's path: its events, and every rule's episodes matched to them."""

    def __init__(self, times, ratios, setup):
        H = setup.horizon
        edges = np.append(np.asarray(times, dtype=np.float64), H)
        ratios = np.clip(np.asarray(ratios, dtype=np.float64), 0.0, 1.0)
        inside = (edges[:-1] < H) & (np.diff(edges) > 0)   # no empty pieces
        ratios = ratios[inside]
        edges = np.append(edges[:-1][inside], H)
        self.edges, self.ratios = edges, ratios
        self.cumulative = np.concatenate([[0.0], np.cumsum(ratios * np.diff(edges))])
        self.setup = setup

        # events: maximal stretches above 0, joined across gaps under merge
        up = np.diff(np.concatenate([[0], (ratios > 0).astype(np.int8), [0]]))
        starts, ends = edges[up == 1], edges[np.flatnonzero(up == -1)]
        if starts.size > 1:
            join = starts[1:] - ends[:-1] < setup.merge
            starts = starts[np.concatenate([[True], ~join])]
            ends = ends[np.concatenate([~join, [True]])]
        spent = self.errors(ends) - self.errors(starts)
        significant = spent >= setup.significant * setup.budget
        lo, hi = setup.warmup, H - setup.warmup
        whole = (starts >= lo) & (ends <= hi)
        self.incidents = int(np.count_nonzero(whole))
        self.sig_starts, self.sig_ends = starts[significant], ends[significant]
        counted = significant & whole
        self.starts, self.ends = starts[counted], ends[counted]

        # every rule's episodes, exactly, and what they match
        alerts = evaluate_alerts(setup.rules, setup.slo, Scenario(edges.tolist(),
                                                                  ratios.tolist()),
                                 period=setup.period, evaluation_interval=setup.step)
        self.episodes, self.detection = [], []
        for rule in setup.rules:
            res = alerts[rule.name]
            fire = np.array(res.fire_seconds, dtype=np.float64)
            clear = np.array([math.inf if c is None else c for c in res.clear_seconds],
                             dtype=np.float64)
            self.episodes.append((fire, clear, self._true(fire, clear, rule.long)))
            self.detection.append(self._detect(fire, clear, rule.long))

    def errors(self, t):
        """The errors (seconds of full outage) from 0 to each time ``t``."""
        j = np.clip(np.searchsorted(self.edges, t, side="right") - 1, 0,
                    self.ratios.size - 1)
        return self.cumulative[j] + self.ratios[j] * (t - self.edges[j])

    def _true(self, fire, clear, window):
        """Whether each episode overlaps ``(a, b + window)`` of a significant
        event: the last event starting before the clear ends latest."""
        if not self.sig_starts.size:
            return np.zeros(fire.size, dtype=bool)
        k = np.searchsorted(self.sig_starts, clear, side="left") - 1
        return (k >= 0) & (self.sig_ends[np.maximum(k, 0)] + window > fire)

    def _detect(self, fire, clear, window):
        """Each counted event's detection time (NaN if none matches): the
        first episode still firing after the event starts, if it fires
        before ``b + window``."""
        i = np.searchsorted(clear, self.starts, side="right")
        first = fire[np.minimum(i, fire.size - 1)] if fire.size else np.full(i.size, np.inf)
        hit = (i < fire.size) & (first < self.ends + window)
        return np.where(hit, np.maximum(first - self.starts, 0.0), np.nan)

    def row(self, members):
        """``(fires, true fires, events, detection times, budget at detection)``
        counted for a rule or a group of rules firing as one."""
        lo, hi = self.setup.warmup, self.setup.horizon - self.setup.warmup
        if len(members) == 1:
            fire, _, true = self.episodes[members[0]]
        else:
            fire, true = _union([self.episodes[i] for i in members])
        counted = (fire >= lo) & (fire < hi)
        detection = np.fmin.reduce([self.detection[i] for i in members], axis=0)
        found = ~np.isnan(detection)
        det = detection[found]
        start, end = self.starts[found], self.ends[found]
        budget = (self.errors(np.minimum(start + det, end)) - self.errors(start)) / (
            self.setup.budget)
        return (int(np.count_nonzero(counted)), int(np.count_nonzero(counted & true)),
                int(self.starts.size), det, budget)


def _union(episodes):
    """``(fire, true)`` of the union of several rules' episodes: overlapping
    (or touching) episodes are one, true when one of them is."""
    fire = np.concatenate([f for f, _, _ in episodes])
    clear = np.concatenate([c for _, c, _ in episodes])
    true = np.concatenate([t for _, _, t in episodes])
    order = np.argsort(fire, kind="stable")
    out_fire, out_true, end = [], [], -math.inf
    for f, c, t in zip(fire[order], clear[order], true[order]):
        if out_fire and f <= end:
            out_true[-1] = out_true[-1] or t
            end = max(end, c)
        else:
            out_fire.append(f)
            out_true.append(t)
            end = c
    return np.array(out_fire, dtype=np.float64), np.array(out_true, dtype=bool)


def _proportion(hits, trials, confidence):
    """``(p, (low, high))``: ``sum(hits) / sum(trials)`` with runs as clusters
    of unequal sizes (see the module notes); NaN without trials."""
    N = int(trials.sum())
    if N == 0:
        return math.nan, (math.nan, math.nan)
    x = int(hits.sum())
    p = x / N
    R = trials.size
    n = N
    if 0 < x < N and R > 1 and trials.max() > 1:
        residual = hits - p * trials
        deff = max(1.0, R / (R - 1) * float(residual @ residual) / (N * p * (1 - p)))
        n = max(1, math.floor(N / deff))
        x = min(n, round(p * n))
    return p, binomial_interval(x, n, confidence)


def _frozen(a):
    a = np.array(a)
    a.setflags(write=False)
    return a
