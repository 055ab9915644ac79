"""Alerting rules on simulated timelines: pages, precision, recall, detection."""

from collections.abc import Mapping
from dataclasses import dataclass
import math

import numpy as np

from ._alerts import _share
from ._base import new_axes, pandas
from ._slo import _duration

__all__ = ["AlertReport", "AlertRuleReport", "DETECTION_QUANTILES"]

#: The quantiles of the detection time and of the budget at detection.
DETECTION_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _json_float(x):
    """JSON-safe: None for NaN and inf."""
    return float(x) if math.isfinite(x) else None


def _ratio(x, interval):
    """``"0.93 [0.88, 0.96]"``, or ``"-"`` where undefined (NaN)."""
    if math.isnan(x):
        return "-"
    return f"{x:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"


def _per_period(row, count):
    """``count`` events of a row's runs, per period."""
    return count * row.period / (row.runs * row.observed)


def _cells(row):
    """The cells of an :class:`AlertRuleReport` in :class:`AlertReport`'s table."""
    empty = not row.detection_seconds.size
    dq = row.detection_quantiles
    return (row.name, f"{row.fires_per_period:.3g}",
            _ratio(row.precision, row.precision_interval),
            _ratio(row.recall, row.recall_interval),
            "-" if empty else _duration(dq[0.5]), "-" if empty else _duration(dq[0.95]),
            "-" if empty else _share(row.budget_quantiles[0.5]),
            str(row.events), str(row.fires))


@dataclass(frozen=True, eq=False)
class AlertRuleReport:
    """How one rule, or a group of rules paging as one, did on simulated runs.

    A row of an :class:`AlertReport`; see :func:`~slosim.alert_report` for
    the definitions (significant event, precision, recall, the counted
    stretch of each run).

    Attributes
    ----------
    name : str
        The rule's name, ``"any <severity>"`` for the rules of a severity,
        or ``"any rule"`` for the whole set.
    severity : str or None
        None for the whole set.
    rules : tuple of str
        The names of the rules it covers (one for a rule).
    period : float
        The SLO's period, in seconds.
    observed : float
        The seconds of each run that count (the horizon less the warm-up
        at each end).
    confidence : float
        Of the intervals.
    fires_per_run, true_fires_per_run : ndarray of int64, shape (runs,)
        Fire episodes counted in each run, and those that overlap a
        significant event (for a group, the episodes of the union of its
        rules' firing times).
    events_per_run, detected_per_run : ndarray of int64, shape (runs,)
        Significant events counted in each run, and those detected.
    detection_seconds : ndarray of float64
        For each detected event, from its start to the first fire (0 when
        the rule was already firing as it started).
    budget_at_detection : ndarray of float64
        For each detected event, the share of the period's error budget it
        had spent by then.
    precision, recall : float
        NaN where undefined: precision without a fire, recall without a
        significant event.
    precision_interval, recall_interval : tuple of float
        At ``confidence``, runs as clusters; ``(nan, nan)`` where undefined.
    runs, fires, true_fires, events, detected : int
    fires_per_period : float
        Fire episodes (pages, for a page rule) per period of the SLO.
    false_fires_per_period : float
        Those that overlap no significant event.
    detection_quantiles, budget_quantiles : dict
        ``{q: quantile}`` at :data:`DETECTION_QUANTILES` (NaN without a
        detection).
    """

    name: str
    severity: str | None
    rules: tuple
    period: float
    observed: float
    confidence: float
    fires_per_run: np.ndarray
    true_fires_per_run: np.ndarray
    events_per_run: np.ndarray
    detected_per_run: np.ndarray
    detection_seconds: np.ndarray
    budget_at_detection: np.ndarray
    precision: float
    precision_interval: tuple
    recall: float
    recall_interval: tuple

    @property
    def runs(self):
        return int(self.fires_per_run.shape[0])

    @property
    def fires(self):
        return int(self.fires_per_run.sum())

    @property
    def true_fires(self):
        return int(self.true_fires_per_run.sum())

    @property
    def events(self):
        return int(self.events_per_run.sum())

    @property
    def detected(self):
        return int(self.detected_per_run.sum())

    @property
    def fires_per_period(self):
        return _per_period(self, self.fires)

    @property
    def false_fires_per_period(self):
        return _per_period(self, self.fires - self.true_fires)

    def _quantiles(self, values):
        if not values.size:
            return dict.fromkeys(DETECTION_QUANTILES, math.nan)
        return dict(zip(DETECTION_QUANTILES,
                        np.quantile(values, DETECTION_QUANTILES).tolist()))

    @property
    def detection_quantiles(self):
        return self._quantiles(self.detection_seconds)

    @property
    def budget_quantiles(self):
        return self._quantiles(self.budget_at_detection)

    def __repr__(self):
        c = _cells(self)
        return (f"AlertRuleReport(name={self.name!r}, fires/period={c[1]}, "
                f"precision={c[2]}, recall={c[3]}, detection median={c[4]}, "
                f"events={c[7]}, fires={c[8]})")

    def to_dict(self):
        """A JSON-safe dict of the numbers (not the per-run arrays); NaN as None."""
        return {
            "name": self.name,
            "severity": self.severity,
            "rules": list(self.rules),
            "fires": self.fires,
            "true_fires": self.true_fires,
            "events": self.events,
            "detected": self.detected,
            "fires_per_period": self.fires_per_period,
            "false_fires_per_period": self.false_fires_per_period,
            "precision": _json_float(self.precision),
            "precision_interval": [_json_float(x) for x in self.precision_interval],
            "recall": _json_float(self.recall),
            "recall_interval": [_json_float(x) for x in self.recall_interval],
            "confidence": self.confidence,
            "detection_quantiles": {str(q): _json_float(v)
                                    for q, v in self.detection_quantiles.items()},
            "budget_quantiles": {str(q): _json_float(v)
                                 for q, v in self.budget_quantiles.items()},
        }


@dataclass(frozen=True, eq=False)
class AlertReport(Mapping):
    """Whether alerting rules page in time, and not too often, on simulated runs.

    Built by :func:`~slosim.alert_report`. A read-only mapping rule name ->
    :class:`AlertRuleReport`; the rows for each severity and for the whole
    set are :attr:`severities` and :attr:`overall`.

    Attributes
    ----------
    journey : str
    slo : float
    period, horizon : float
        Seconds.
    runs : int
    start : str
        How the runs started (``'stationary'`` or ``'clean'``).
    significant : float
        The share of the period's error budget that makes an event
        significant.
    merge : float
        Seconds: stretches of errors closer than this are one event.
    warmup : float
        Seconds at each end of a run that do not count (the longest window
        of the rules).
    evaluation_interval : float or None
        Seconds (None: continuous time).
    confidence : float
    rules : dict
        Rule name -> :class:`AlertRuleReport`, in the order of the rules.
    severities : dict
        Severity -> :class:`AlertRuleReport` of its rules paging as one
        (only with more than one severity; otherwise empty).
    overall : AlertRuleReport
        The whole set paging as one.
    incidents_per_run : ndarray of int64, shape (runs,)
        Events (significant or not) counted in each run.
    incidents_per_period, events_per_period : float
        Events, and significant events, per period.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", mttf="30d", mttr="1h")
    >>> report = ss.alert_report(ss.Journey(db, target=0.999), ss.alerts.multiwindow(),
    ...                          horizon="90d", runs=10, rng=2)
    >>> [row.name for row in report.rows]
    ['page 1h/5m', 'page 6h/30m', 'ticket 3d/6h', 'any page', 'any ticket', 'any rule']
    >>> page = report["page 1h/5m"]
    >>> page.events, page.recall, page.recall_interval
    (18, 1.0, (0.8147, 1.0))
    >>> round(page.detection_quantiles[0.5], 2), round(page.budget_quantiles[0.5], 4)
    (51.84, 0.02)
    """

    journey: str
    slo: float
    period: float
    horizon: float
    runs: int
    start: str
    significant: float
    merge: float
    warmup: float
    evaluation_interval: float | None
    confidence: float
    rules: dict
    severities: dict
    overall: AlertRuleReport
    incidents_per_run: np.ndarray

    def __getitem__(self, name):
        try:
            return self.rules[name]
        except KeyError:
            pass
        rule_name = getattr(name, "name", None)
        if isinstance(rule_name, str) and rule_name in self.rules:
            return self.rules[rule_name]
        raise KeyError(f"no rule {name!r}; rules are: {', '.join(map(repr, self.rules))}")

    def __iter__(self):
        return iter(self.rules)

    def __len__(self):
        return len(self.rules)

    @property
    def rows(self):
        """Every row of the table: the rules, the severities, the whole set."""
        return [*self.rules.values(), *self.severities.values(), self.overall]

    @property
    def observed(self):
        """The seconds of each run that count."""
        return self.overall.observed

    @property
    def incidents_per_period(self):
        return float(self.incidents_per_run.sum()) * self.period / (self.runs * self.observed)

    @property
    def events_per_period(self):
        return _per_period(self.overall, self.overall.events)

    _SHOWN = 12

    def __repr__(self):
        every = ("" if self.evaluation_interval is None else
                 f", evaluated every {_duration(self.evaluation_interval)}")
        head = (f"AlertReport(journey={self.journey!r}, slo={self.slo!r}, "
                f"period={_duration(self.period)}, runs={self.runs} x "
                f"{_duration(self.horizon)}{every})")
        sig = (f"  significant events (>= {_share(self.significant)} of the budget): "
               f"{self.events_per_period:.3g} a period, {self.overall.events} counted, of "
               f"{self.incidents_per_period:.3g} incidents a period")
        level = f"{self.confidence:.0%}"
        rows = [("rule", "fires/period", f"precision [{level}]", f"recall [{level}]",
                 "detection 50%", "95%", "budget spent", "events", "fires")]
        shown = list(self.rules.values())[:self._SHOWN]
        rows += [_cells(r) for r in [*shown, *self.severities.values(), self.overall]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [head, sig] + [
            "  " + "  ".join(f"{c:<{w}}" for c, w in zip(row, widths)).rstrip()
            for row in rows]
        if len(self.rules) > self._SHOWN:
            lines.insert(2 + 1 + self._SHOWN, f"  ... {len(self.rules) - self._SHOWN} more")
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-safe dict: the settings and every row's numbers."""
        return {
            "journey": self.journey,
            "slo": self.slo,
            "period": self.period,
            "horizon": self.horizon,
            "runs": self.runs,
            "start": self.start,
            "significant": self.significant,
            "merge": self.merge,
            "warmup": self.warmup,
            "evaluation_interval": self.evaluation_interval,
            "confidence": self.confidence,
            "incidents_per_period": self.incidents_per_period,
            "events_per_period": self.events_per_period,
            "rules": {k: v.to_dict() for k, v in self.rules.items()},
            "severities": {k: v.to_dict() for k, v in self.severities.items()},
            "overall": self.overall.to_dict(),
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per rule, severity and the set
        (needs pandas)."""
        pd = pandas()
        records = []
        for r in self.rows:
            records.append({
                "severity": r.severity, "fires": r.fires, "true_fires": r.true_fires,
                "fires_per_period": r.fires_per_period,
                "false_fires_per_period": r.false_fires_per_period,
                "precision": r.precision, "precision_low": r.precision_interval[0],
                "precision_high": r.precision_interval[1],
                "events": r.events, "detected": r.detected, "recall": r.recall,
                "recall_low": r.recall_interval[0], "recall_high": r.recall_interval[1],
                "detection_median": r.detection_quantiles[0.5],
                "detection_p95": r.detection_quantiles[0.95],
                "budget_at_detection_median": r.budget_quantiles[0.5],
                "rules": ", ".join(r.rules),
            })
        return pd.DataFrame.from_records(records, index=pd.Index(
            [r.name for r in self.rows], name="rule"))

    def plot(self, *, ax=None):
        """The share of significant events detected within each time of their
        start, one line per rule and one for the whole set (needs matplotlib).

        Each line climbs to the rule's recall; how fast it climbs is the
        detection-time distribution.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = new_axes(ax)
        n = self.overall.events
        longest = max([float(r.detection_seconds.max()) for r in self.rows
                       if r.detection_seconds.size] + [60.0])
        for r in [*self.rules.values(), self.overall]:
            times = np.sort(r.detection_seconds) / 60.0
            share = np.arange(1, times.size + 1) / n if n else np.zeros(times.size)
            x = np.concatenate([[0.0], times, [longest / 60.0]])
            y = np.concatenate([[0.0], share, [share[-1] if share.size else 0.0]])
            style = {"color": "k", "linestyle": "--"} if r is self.overall else {}
            recall = "-" if math.isnan(r.recall) else f"{r.recall:.2f}"
            ax.step(x, y, where="post", label=f"{r.name} (recall {recall})", **style)
        ax.set_xlabel("minutes from the start of a significant event")
        ax.set_ylabel("share of significant events detected")
        ax.set_ylim(0.0, 1.02)
        ax.set_title(f"{self.journey}: detection of events spending >= "
                     f"{_share(self.significant)} of the budget ({n} events)")
        ax.legend()
        return ax
