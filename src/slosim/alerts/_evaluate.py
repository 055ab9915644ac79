"""When alerting rules fire and clear: sliding windows, exactly, in continuous time.

The error ratio ``e`` of a :class:`Scenario` is piecewise constant, so its
integral ``E(t)`` is piecewise linear and so is the sum over a window,
``S(t) = E(t) - E(t - L)``, with kinks only at the scenario's edges and at
the edges shifted by ``L``. Between two kinks the window is above a
threshold on an interval whose ends solve a linear equation: the times at
which a rule fires and clears are these roots, exactly.

The arithmetic is exact: every time and error ratio (read through its
shortest decimal form, see ``_exact``) is scaled to an integer, one common
scale for the times and one for the ratios, so that the window sums are
integers and each comparison with a threshold is decided without
rounding. Only the roots, rationals, are rounded, once, to floats.
"""

from bisect import bisect_right
from fractions import Fraction
import math

from .._validation import param_error
from ..results import AlertResult, AlertResults
from ._exact import exact_duration
from ._rules import BurnRateAlert, ThresholdAlert, exact_budget
from ._scenario import Scenario, contiguous

__all__ = ["evaluate_alerts"]

_FUNC = "evaluate_alerts"


def _common_denominator(values):
    d = 1
    for v in values:
        d = math.lcm(d, v.denominator)
    return d


class _Windows:
    """A scenario's errors in integers, and the intervals where a window of
    them is above a threshold.

    Times are kept as integers in units of ``1 / dt`` seconds and error
    ratios in units of ``1 / de``, with ``dt`` and ``de`` the common
    denominators of the scenario's times (and the windows') and of its
    ratios; errors (ratio x time) are then integers in units of ``1 / (dt
    de)``.
    """

    def __init__(self, scenario, windows):
        edges, ratios, _ = contiguous(scenario.pieces)
        self.dt = _common_denominator(list(edges) + list(windows))
        self.de = _common_denominator(ratios)
        self.edges = [int(t * self.dt) for t in edges]
        self.ratios = [int(r * self.de) for r in ratios]
        self.total = [0]
        for i in range(len(self.edges) - 1):
            step = self.ratios[i] * (self.edges[i + 1] - self.edges[i])
            self.total.append(self.total[-1] + step)

    def errors(self, t):
        """The errors from 0 to ``t`` (both integers, scaled)."""
        j = bisect_right(self.edges, t) - 1
        if j < 0:
            return 0
        if j < len(self.ratios):
            return self.total[j] + self.ratios[j] * (t - self.edges[j])
        return self.total[-1]

    def above(self, window, threshold, inclusive):
        """Where the error ratio over ``window`` seconds is above ``threshold``.

        A list of ``(start, end)`` in exact seconds, in order, ``end`` None
        for an interval that never ends: the open intervals where the ratio
        is above the threshold, or the closed ones where it is at or above
        it (``inclusive``; a start may then equal its end, the ratio
        touching the threshold at one instant).
        """
        length = int(window * self.dt)
        kinks = sorted({0, *self.edges, *(t + length for t in self.edges)})
        # g > 0 where the ratio is above: S / (dt de) > (p / q) length / dt
        p, q = threshold.numerator, threshold.denominator
        bar = p * length * self.de
        g = [(self.errors(k) - self.errors(k - length)) * q - bar for k in kinks]
        holds = (lambda x: x >= 0) if inclusive else (lambda x: x > 0)
        intervals, start = [], None
        # after the last kink the window's sum no longer changes
        for j in range(len(kinks) - 1):
            g0, g1 = g[j], g[j + 1]
            if start is None and holds(g1):
                start = kinks[j] if holds(g0) else _root(kinks[j], kinks[j + 1], g0, g1)
            elif start is not None and not holds(g1):
                intervals.append((start, _root(kinks[j], kinks[j + 1], g0, g1)))
                start = None
        if start is not None:
            intervals.append((start, None))
        return [(Fraction(a) / self.dt, None if b is None else Fraction(b) / self.dt)
                for a, b in intervals]


def _root(k0, k1, g0, g1):
    """Where the line through ``(k0, g0)`` and ``(k1, g1)`` is zero (g0 != g1)."""
    return k0 + Fraction((k1 - k0) * -g0, g1 - g0)


def _before(a, b):
    """``a < b`` for interval ends, None being never."""
    return b is None or (a is not None and a < b)


def _intersect(first, second, inclusive):
    """The intervals where both lists of intervals hold."""
    out, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        ends = (first[i][1], second[j][1])
        end = ends[0] if _before(ends[0], ends[1]) or ends[0] == ends[1] else ends[1]
        if end is None or start < end or (inclusive and start == end):
            out.append((start, end))
        if _before(ends[0], ends[1]) or ends[0] == ends[1]:
            i += 1
        else:
            j += 1
    return out


def _episodes(intervals, hold, inclusive):
    """``(fire, clear)`` of each interval long enough to outlast ``hold``."""
    out = []
    for start, end in intervals:
        fire = start + hold
        if end is None or fire < end or (inclusive and fire == end):
            out.append((fire, end))
    return out


def _sampled(intervals, step, hold, inclusive):
    """``(fire, clear)`` as an evaluator sees them at multiples of ``step``.

    The condition holds at the evaluations inside an interval; runs of
    evaluations that hold, with no failing evaluation between them, are
    one episode. A ``for`` clause of ``hold`` fires at the first evaluation
    at least ``hold`` after the run began; the episode clears at the first
    evaluation where the condition fails.
    """
    runs = []
    for start, end in intervals:
        if inclusive:
            first = math.ceil(start / step)
            last = None if end is None else math.floor(end / step)
        else:
            first = math.floor(start / step) + 1
            last = None if end is None else math.ceil(end / step) - 1
        if last is not None and last < first:
            continue
        if runs and runs[-1][1] is not None and runs[-1][1] + 1 >= first:
            runs[-1] = (runs[-1][0], last)
        else:
            runs.append((first, last))
    out = []
    for first, last in runs:
        fire = first + math.ceil(hold / step)
        if last is None or fire <= last:
            out.append((fire * step, None if last is None else (last + 1) * step))
    return out


def as_rules(rules, func=_FUNC):
    """``(list, single)``: a single rule (``single`` True), or a non-empty
    sequence of rules with distinct names, checked for ``func``'s
    ``rules`` parameter (the analyses that evaluate rules use it too)."""
    kinds = (BurnRateAlert, ThresholdAlert)
    if isinstance(rules, kinds):
        return [rules], True
    what = "a BurnRateAlert, a ThresholdAlert or a non-empty sequence of them"
    if isinstance(rules, (str, bytes)) or not hasattr(rules, "__iter__"):
        raise param_error("rules", func, what, rules, TypeError)
    rules = list(rules)
    if not rules:
        raise param_error("rules", func, what, rules)
    seen = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, kinds):
            raise param_error(f"rules[{i}]", func, "a BurnRateAlert or a ThresholdAlert",
                              rule, TypeError)
        if rule.name in seen:
            raise param_error(
                f"rules[{i}]", func,
                f"a rule whose name is not that of rules[{seen[rule.name]}] ({rule.name!r}); "
                f"there are two rules named {rule.name!r}: give one of them another name=",
                rule)
        seen[rule.name] = i
    return rules, False


def _seconds(value):
    return None if value is None else float(value)


def evaluate_alerts(rules, slo, scenario, *, period="30d", evaluation_interval=None):
    """When alerting rules fire and clear for a scenario of errors.

    Each rule's windows slide over the scenario's error ratio exactly, in
    continuous time: a rule fires at the first instant its condition holds
    (every window above its threshold) and clears at the first instant
    after that it no longer does, as often as that happens. With
    ``evaluation_interval``, a rule is looked at only at multiples of it,
    as a rule evaluator (Prometheus) does.

    Parameters
    ----------
    rules : BurnRateAlert, ThresholdAlert or sequence of them
        The rules, with distinct names (:func:`multiwindow` gives the SRE
        Workbook's set).
    slo : float
        The SLO, in (0, 1): the error budget is ``1 - slo``.
    scenario : Scenario
        The error ratio over time, from a clean history before time 0.
    period : str, datetime.timedelta or float, default ``"30d"``
        The SLO's period, for the share of the error budget spent.
    evaluation_interval : str, datetime.timedelta or float, optional
        Evaluate the rules at multiples of this interval only (from time
        0); by default in continuous time.

    Returns
    -------
    AlertResult or AlertResults
        For a single rule its :class:`~slosim.results.AlertResult`, for a
        sequence an :class:`~slosim.results.AlertResults` mapping each
        rule's name to its result: the fire and clear times of every
        episode, the detection time (from the start of the errors), the
        reset time (from their end) and the share of the budget spent when
        the rule first fires.

    Raises
    ------
    TypeError, ValueError
        If ``rules`` holds anything but rules, or two with the same name,
        ``slo`` is not in (0, 1), ``scenario`` is not a :class:`Scenario`,
        or ``period`` or ``evaluation_interval`` is not a positive duration.

    See Also
    --------
    BurnRateAlert, ThresholdAlert, multiwindow, Scenario

    Notes
    -----
    The window of length ``L`` sums ``S(t) = E(t) - E(t - L)`` with ``E``
    the integral of the error ratio from 0 (and ``E = 0`` before 0, the
    clean history). ``S`` is piecewise linear with kinks at the
    scenario's edges and at those edges plus ``L``; the rule's condition
    ``S(t) > threshold * L`` changes only at roots of its linear pieces,
    which are computed exactly (see the module's notes) and rounded once.
    The conditions are strict (``>``, as the SRE Workbook writes its burn
    rate rules) unless the rule is ``inclusive``: a window exactly at the
    threshold does not fire a rule. A ``for_`` clause fires a rule once the
    condition has held for that long, and its timer starts again whenever
    the condition fails.

    The reset time is counted from the end of the errors to the clear of
    the last episode: how long the alert goes on after the errors stop (it
    is negative when the alert cleared while errors below its threshold
    went on).

    References
    ----------
    .. [1] S. Thurgood et al., "Alerting on SLOs", in *The Site Reliability
       Workbook*, O'Reilly, 2018, ch. 5.

    Examples
    --------
    Half an hour of 10% errors against the Workbook's rules for a 99.9%
    SLO: both page rules fire, the ticket rule would need 43 minutes.

    >>> import slosim as ss
    >>> rules = ss.alerts.multiwindow(slo=0.999)
    >>> scenario = ss.Scenario.constant(0.1, start="1h", duration="30m")
    >>> res = ss.evaluate_alerts(rules, slo=0.999, scenario=scenario)
    >>> res
    AlertResults(slo=0.999, period='30d', errors from 1h to 1h30m spending 6.944% of the budget)
      rule          severity  threshold  fires at   detection  budget spent  reset    episodes
      page 1h/5m    page      0.0144     1h8m38.4s  8m38.4s    2%            4m16.8s  1
      page 6h/30m   page      0.006      1h21m36s   21m36s     5%            28m12s   1
      ticket 3d/6h  ticket    0.001      never      -          -             -        0
    >>> page = res["page 1h/5m"]
    >>> print(page.detection_time, page.reset_time)
    0:08:38.400000 0:04:16.800000

    As a rule evaluator sees it, every 30 seconds:

    >>> ss.evaluate_alerts(rules, slo=0.999, scenario=scenario,
    ...                    evaluation_interval="30s")["page 1h/5m"].episodes
    [(datetime.timedelta(seconds=4140), datetime.timedelta(seconds=5670))]
    """
    rules, single = as_rules(rules)
    budget = exact_budget(slo, _FUNC)
    if not isinstance(scenario, Scenario):
        raise param_error("scenario", _FUNC, "a slosim.Scenario", scenario, TypeError)
    period_s = exact_duration(period, "period", _FUNC)
    step = None
    if evaluation_interval is not None:
        step = exact_duration(evaluation_interval, "evaluation_interval", _FUNC)
    all_windows = [exact_duration(w, "window", _FUNC) for r in rules for w in r.windows]
    windows = _Windows(scenario, all_windows)
    pieces = scenario.pieces
    errors_start = pieces[0][0] if pieces else None
    errors_end = (None if not pieces else math.inf if pieces[-1][1] is None
                  else pieces[-1][1])
    results = {}
    for rule in rules:
        threshold = rule.threshold(slo, exact=True)
        inclusive = rule.inclusive
        intervals = None
        for w in rule.windows:
            here = windows.above(exact_duration(w, "window", _FUNC), threshold, inclusive)
            intervals = here if intervals is None else _intersect(intervals, here, inclusive)
        hold = exact_duration(rule.for_, "for_", _FUNC, allow_zero=True)
        if step is None:
            episodes = _episodes(intervals, hold, inclusive)
        else:
            episodes = _sampled(intervals, step, hold, inclusive)
        spent = None
        if episodes:
            spent = float(windows.errors(episodes[0][0] * windows.dt)
                          / (windows.dt * windows.de) / (budget * period_s))
        results[rule.name] = AlertResult(
            rule=rule.name,
            severity=rule.severity,
            threshold=float(threshold),
            windows=rule.windows,
            for_=rule.for_,
            fire_seconds=tuple(float(f) for f, _ in episodes),
            clear_seconds=tuple(_seconds(c) for _, c in episodes),
            errors_start=_seconds(errors_start),
            errors_end=_seconds(errors_end),
            budget_consumed=spent,
            evaluation_interval=_seconds(step),
        )
    if single:
        return results[rules[0].name]
    return AlertResults(
        alerts=results,
        slo=float(slo),
        period=float(period_s),
        errors_start=_seconds(errors_start),
        errors_end=_seconds(errors_end),
        budget_consumed=scenario.budget_consumed(slo, float(period_s)),
        evaluation_interval=_seconds(step),
    )

