"""When alerting rules fire and clear for a scenario of errors."""

from collections.abc import Mapping
from dataclasses import dataclass
import datetime
import math

from .._validation import format_duration
from ._base import pandas

__all__ = ["AlertResult", "AlertResults"]


def _delta(seconds):
    return None if seconds is None else datetime.timedelta(seconds=seconds)


def _duration(seconds, none="-"):
    """``"4m55.68s"``, ``"-1h"``, ``"never"`` for inf, ``none`` for None."""
    if seconds is None:
        return none
    if math.isinf(seconds):
        return "never"
    return ("-" if seconds < 0 else "") + format_duration(abs(seconds))


def _share(x):
    """A share of the budget in percent: ``"2%"``, ``"138.9%"``, ``"2,778%"``."""
    if x is None:
        return "-"
    return f"{100 * x:,.0f}%" if 100 * x >= 1000 else f"{100 * x:.4g}%"


def _table(head, rows, more):
    """``head``, then ``rows`` (tuples of str) in aligned columns, then how many
    ``more`` rows were left out."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [head] + ["  " + "  ".join(f"{c:<{w}}" for c, w in zip(row, widths)).rstrip()
                      for row in rows]
    if more > 0:
        lines.append(f"  ... {more} more")
    return "\n".join(lines)


def _finite(x):
    """JSON-safe: None for None, inf and nan."""
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class AlertResult:
    """When one alerting rule fires and clears for a scenario of errors.

    Built by :func:`~slosim.evaluate_alerts`. Times are kept in seconds
    from time 0 (the start of the scenario) and given as
    :class:`datetime.timedelta` by the properties.

    Attributes
    ----------
    rule : str
        The rule's name.
    severity : str
    threshold : float
        The error ratio the rule's windows must be above.
    windows : tuple of float
        The rule's windows in seconds, long first.
    for_ : float
        The rule's ``for`` clause, in seconds (0 without one).
    fire_seconds, clear_seconds : tuple of float
        When each episode fires and clears, in seconds from time 0 (a clear
        is None when the episode never ends).
    errors_start, errors_end : float or None
        When the scenario's errors start and end for good, in seconds
        (``inf`` for errors that never end; None without errors).
    budget_consumed : float or None
        The share of the period's error budget spent when the rule first
        fires (None if it never does).
    evaluation_interval : float or None
        The interval at which the rule was evaluated, in seconds (None: in
        continuous time).
    fired : bool
        Whether the rule fires at all.
    episodes : list of tuple
        ``(fire, clear)`` of each episode, as timedeltas (clear None for one
        that never ends).
    fire_time, clear_time : datetime.timedelta or None
        When the first episode fires and clears.
    detection_time : datetime.timedelta or None
        From the start of the errors to the first fire.
    reset_time : datetime.timedelta or None
        From the end of the errors to the clear of the last episode: how
        long the alert goes on after the errors stop (None if it never
        fires or never clears, or if the errors never end).

    Examples
    --------
    >>> import slosim as ss
    >>> rule = ss.BurnRateAlert("1h", "5m", burn_rate=14.4)
    >>> outage = ss.Scenario.constant(1.0, duration="10m")
    >>> res = ss.evaluate_alerts(rule, slo=0.999, scenario=outage)
    >>> res
    AlertResult(rule='page 1h/5m', detection=51.84s, budget spent=2%, reset=4m55.68s, episodes=1)
      fire    clear
      51.84s  14m55.68s
    >>> res.detection_time
    datetime.timedelta(seconds=51, microseconds=840000)
    >>> print(res.reset_time)
    0:04:55.680000
    """

    rule: str
    severity: str
    threshold: float
    windows: tuple
    for_: float
    fire_seconds: tuple
    clear_seconds: tuple
    errors_start: float | None
    errors_end: float | None
    budget_consumed: float | None
    evaluation_interval: float | None = None

    @property
    def fired(self):
        return bool(self.fire_seconds)

    @property
    def episodes(self):
        return [(_delta(f), _delta(c)) for f, c in zip(self.fire_seconds, self.clear_seconds)]

    @property
    def fire_time(self):
        return _delta(self.fire_seconds[0]) if self.fired else None

    @property
    def clear_time(self):
        return _delta(self.clear_seconds[0]) if self.fired else None

    @property
    def detection_seconds(self):
        """:attr:`detection_time` in seconds (None if it never fires)."""
        return self.fire_seconds[0] - self.errors_start if self.fired else None

    @property
    def reset_seconds(self):
        """:attr:`reset_time` in seconds."""
        if not self.fired or self.clear_seconds[-1] is None or math.isinf(self.errors_end):
            return None
        return self.clear_seconds[-1] - self.errors_end

    @property
    def detection_time(self):
        return _delta(self.detection_seconds)

    @property
    def reset_time(self):
        return _delta(self.reset_seconds)

    _SHOWN = 10

    def __repr__(self):
        if not self.fired:
            return f"AlertResult(rule={self.rule!r}, never fires)"
        n = len(self.fire_seconds)
        head = (f"AlertResult(rule={self.rule!r}, "
                f"detection={_duration(self.detection_seconds)}, "
                f"budget spent={_share(self.budget_consumed)}, "
                f"reset={_duration(self.reset_seconds)}, episodes={n})")
        rows = [("fire", "clear")] + [
            (_duration(f), _duration(c, "never"))
            for f, c in zip(self.fire_seconds[:self._SHOWN], self.clear_seconds)]
        return _table(head, rows, n - self._SHOWN)

    def to_dict(self):
        """A JSON-safe dict, times in seconds (None for never and for inf)."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "threshold": self.threshold,
            "windows": list(self.windows),
            "for": self.for_,
            "episodes": [[f, c] for f, c in zip(self.fire_seconds, self.clear_seconds)],
            "errors_start": self.errors_start,
            "errors_end": _finite(self.errors_end),
            "detection_seconds": self.detection_seconds,
            "reset_seconds": self.reset_seconds,
            "budget_consumed": self.budget_consumed,
            "evaluation_interval": self.evaluation_interval,
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per episode, numbered from 1,
        with its ``fire`` and ``clear`` times (needs pandas)."""
        pd = pandas()
        return pd.DataFrame({
            "fire": pd.to_timedelta(list(self.fire_seconds), unit="s"),
            "clear": pd.to_timedelta([math.nan if c is None else c
                                      for c in self.clear_seconds], unit="s"),
        }, index=pd.RangeIndex(1, len(self.fire_seconds) + 1, name="episode"))


@dataclass(frozen=True, eq=False)
class AlertResults(Mapping):
    """When each of several alerting rules fires and clears for a scenario.

    A read-only mapping rule name -> :class:`AlertResult`. Built by
    :func:`~slosim.evaluate_alerts`.

    Attributes
    ----------
    alerts : dict
        Rule name -> :class:`AlertResult`, in the order of the rules.
    slo : float
    period : float
        The SLO's period, in seconds.
    errors_start, errors_end : float or None
        When the scenario's errors start and end for good, in seconds.
    budget_consumed : float
        The share of the period's error budget the whole scenario spends
        (``inf`` for errors that never end).
    evaluation_interval : float or None
        In seconds (None: continuous time).

    Examples
    --------
    >>> import slosim as ss
    >>> res = ss.evaluate_alerts(ss.alerts.multiwindow(), slo=0.999,
    ...                          scenario=ss.Scenario.constant(0.01, duration="1d"))
    >>> res["ticket 3d/6h"].detection_time
    datetime.timedelta(seconds=25920)
    >>> [name for name, r in res.items() if r.fired]
    ['page 6h/30m', 'ticket 3d/6h']
    """

    alerts: dict
    slo: float
    period: float
    errors_start: float | None
    errors_end: float | None
    budget_consumed: float
    evaluation_interval: float | None = None

    def __getitem__(self, name):
        try:
            return self.alerts[name]
        except KeyError:
            pass
        rule_name = getattr(name, "name", None)
        if isinstance(rule_name, str) and rule_name in self.alerts:
            return self.alerts[rule_name]
        raise KeyError(f"no rule {name!r}; rules are: {', '.join(map(repr, self.alerts))}")

    def __iter__(self):
        return iter(self.alerts)

    def __len__(self):
        return len(self.alerts)

    _SHOWN = 12

    def __repr__(self):
        if self.errors_start is None:
            errors = "no errors"
        else:
            errors = f"errors from {_duration(self.errors_start)} " + (
                "on" if math.isinf(self.errors_end) else
                f"to {_duration(self.errors_end)} spending {_share(self.budget_consumed)} "
                f"of the budget")
        every = ("" if self.evaluation_interval is None else
                 f", evaluated every {_duration(self.evaluation_interval)}")
        head = (f"AlertResults(slo={self.slo!r}, period={_duration(self.period)!r}, "
                f"{errors}{every})")
        rows = [("rule", "severity", "threshold", "fires at", "detection", "budget spent",
                 "reset", "episodes")]
        for r in list(self.alerts.values())[:self._SHOWN]:
            rows.append((r.rule, r.severity, f"{r.threshold:.6g}",
                         _duration(r.fire_seconds[0] if r.fired else None, "never"),
                         _duration(r.detection_seconds), _share(r.budget_consumed),
                         _duration(r.reset_seconds), str(len(r.fire_seconds))))
        return _table(head, rows, len(self) - self._SHOWN)

    def to_dict(self):
        """A JSON-safe dict: the scenario's numbers and every rule's result."""
        return {
            "slo": self.slo,
            "period": self.period,
            "errors_start": self.errors_start,
            "errors_end": _finite(self.errors_end),
            "budget_consumed": _finite(self.budget_consumed),
            "evaluation_interval": self.evaluation_interval,
            "alerts": {name: r.to_dict() for name, r in self.alerts.items()},
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per rule (needs pandas)."""
        pd = pandas()
        rs = list(self.alerts.values())

        def times(values):
            return pd.to_timedelta([math.nan if v is None else v for v in values], unit="s")

        return pd.DataFrame({
            "severity": [r.severity for r in rs],
            "threshold": [r.threshold for r in rs],
            "fired": [r.fired for r in rs],
            "fire_time": times([r.fire_seconds[0] if r.fired else None for r in rs]),
            "detection_time": times([r.detection_seconds for r in rs]),
            "reset_time": times([r.reset_seconds for r in rs]),
            "budget_consumed": [math.nan if r.budget_consumed is None else r.budget_consumed
                                for r in rs],
            "episodes": [len(r.fire_seconds) for r in rs],
        }, index=pd.Index(list(self.alerts), name="rule"))
