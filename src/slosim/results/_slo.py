"""SLO window reports: P(meets target), error budgets, incidents, policy states."""

from dataclasses import dataclass, field

import numpy as np

from ._base import JourneyMapping, new_axes, pandas

__all__ = ["JourneySLO", "SLOReport", "BudgetPolicyReport", "QUANTILES"]

#: The quantiles a report lists.
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)

_DAY = 86400.0


def _duration(seconds):
    """Seconds as a short human duration: ``"2.5h"``, ``"3.1d"``, ``"40m"``."""
    if not np.isfinite(seconds):
        return "never"
    for size, unit in ((_DAY, "d"), (3600.0, "h"), (60.0, "m")):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


@dataclass(frozen=True, eq=False)
class BudgetPolicyReport:
    """How an error budget policy's states went over the windows.

    Attributes
    ----------
    states : tuple of str
        From the best down.
    thresholds : tuple of float
        Budget remaining at which each state starts.
    time_share : dict
        ``{state: share of all time spent in it}``; the shares sum to 1.
    window_share : dict
        ``{state: share of windows that entered it}`` (the first state: 1).
    entries_per_year : dict
        ``{state: expected entries a year}``, each state after the first
        (a release freeze, say): how often it starts.
    """

    states: tuple
    thresholds: tuple
    time_share: dict
    window_share: dict
    entries_per_year: dict

    def __repr__(self):
        width = max(len(s) for s in self.states)
        lines = ["BudgetPolicyReport", f"  {'state':<{width}}  {'from':>6}  "
                 f"{'time':>7}  {'windows':>7}  {'a year':>7}"]
        for s, t in zip(self.states, self.thresholds):
            per_year = self.entries_per_year.get(s)
            lines.append(f"  {s:<{width}}  {t:>6.0%}  {self.time_share[s]:>7.2%}  "
                         f"{self.window_share[s]:>7.2%}  "
                         f"{'' if per_year is None else format(per_year, '.3g'):>7}")
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-safe dict."""
        return {"states": list(self.states), "thresholds": list(self.thresholds),
                "time_share": dict(self.time_share),
                "window_share": dict(self.window_share),
                "entries_per_year": dict(self.entries_per_year)}


@dataclass(frozen=True, eq=False)
class JourneySLO:
    """One journey's SLO windows.

    Arrays have shape ``(runs, windows)``: one entry per calendar window of
    each run.

    Attributes
    ----------
    journey : str
    target : float
    window, horizon : float
        Window and run length, in seconds.
    runs, windows : int
        Runs, and calendar windows per run.
    sli : ndarray
        Each window's SLI: ``1 - bad time / window`` (fluid traffic), or
        ``1 - bad / total`` requests.
    budget_consumed : ndarray
        Each window's share of its error budget ``(1 - target) * window``
        used (above 1: exhausted).
    p_meet : float
        The share of windows with ``sli >= target``.
    p_meet_interval : tuple of float
        Its interval at ``confidence``, runs as clusters.
    confidence : float
    time_to_exhaustion : ndarray
        For each window whose budget ran out, the seconds from the window's
        start to that moment (1-D).
    incidents : ndarray of int
        Incidents of the journey starting in each window (its error ratio
        rising from 0).
    budget_share : dict
        ``{event: share}``, largest first: the share of all bad time during
        which each event (component or shock) was impaired. An event is
        counted in every stretch it took part in, so shares of overlapping
        incidents sum above 1 (as the failure share of
        :func:`~slosim.importance` does).
    policy : BudgetPolicyReport or None
    worst_window : ndarray or None
        With ``rolling=True``: each run's lowest SLI over any window
        ``[t - W, t]`` (1-D).
    time_out : ndarray or None
        With ``rolling=True``: each run's seconds with the rolling SLI
        below target (1-D).
    """

    journey: str
    target: float
    window: float
    sli: np.ndarray
    budget_consumed: np.ndarray
    p_meet: float
    p_meet_interval: tuple
    confidence: float
    time_to_exhaustion: np.ndarray
    incidents: np.ndarray
    budget_share: dict = field(default_factory=dict)
    policy: BudgetPolicyReport | None = None
    worst_window: np.ndarray | None = None
    time_out: np.ndarray | None = None
    horizon: float = 0.0

    @property
    def runs(self):
        return self.sli.shape[0]

    @property
    def windows(self):
        return self.sli.shape[1]

    @property
    def p_exhausted(self):
        """The share of windows that used up their budget (consumed >= 1)."""
        return float(np.mean(self.budget_consumed >= 1.0))

    @property
    def sli_quantiles(self):
        """``{q: quantile of the window SLI}`` at :data:`QUANTILES`."""
        return dict(zip(QUANTILES, np.quantile(self.sli, QUANTILES).tolist()))

    @property
    def budget_quantiles(self):
        """``{q: quantile of the budget consumed}`` at :data:`QUANTILES`."""
        return dict(zip(QUANTILES, np.quantile(self.budget_consumed, QUANTILES).tolist()))

    @property
    def mean_incidents(self):
        """Incidents per window, on average."""
        return float(np.mean(self.incidents))

    def __repr__(self):
        lo, hi = self.p_meet_interval
        b = self.budget_quantiles
        t = self.time_to_exhaustion
        lines = [
            f"JourneySLO(journey={self.journey!r}, target={self.target:g}, "
            f"window={_duration(self.window)}, windows={self.runs * self.windows})",
            f"  P(window meets target)  {self.p_meet:.4f}  "
            f"[{lo:.4f}, {hi:.4f}] at {self.confidence:.0%}",
            f"  SLI median, 5%, 1%      {np.median(self.sli):.6f}  "
            f"{self.sli_quantiles[0.05]:.6f}  {self.sli_quantiles[0.01]:.6f}",
            f"  budget consumed         median {b[0.5]:.1%}, 95% {b[0.95]:.1%}, "
            f"exhausted in {self.p_exhausted:.2%} of windows"
            + (f" (median after {_duration(float(np.median(t)))})" if t.size else ""),
            f"  incidents per window    {self.mean_incidents:.3g}",
        ]
        if self.budget_share:
            top = list(self.budget_share.items())[:5]
            lines.append("  budget spent while down " + ", ".join(
                f"{e} {s:.0%}" for e, s in top))
        if self.worst_window is not None:
            lines.append(f"  worst rolling window    median SLI "
                         f"{np.median(self.worst_window):.6f}; below target "
                         f"{np.mean(self.time_out) / self.horizon:.2%} of the time")
        if self.policy is not None:
            lines.append("  policy: " + ", ".join(
                f"{s} {self.policy.time_share[s]:.1%}" for s in self.policy.states)
                + " of the time")
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-safe dict: the summary numbers (not the per-window arrays)."""
        return {
            "journey": self.journey, "target": self.target, "window": self.window,
            "runs": self.runs, "windows": self.windows, "p_meet": self.p_meet,
            "p_meet_interval": list(self.p_meet_interval), "confidence": self.confidence,
            "p_exhausted": self.p_exhausted, "mean_incidents": self.mean_incidents,
            "sli_quantiles": {str(k): v for k, v in self.sli_quantiles.items()},
            "budget_quantiles": {str(k): v for k, v in self.budget_quantiles.items()},
            "median_time_to_exhaustion": (float(np.median(self.time_to_exhaustion))
                                          if self.time_to_exhaustion.size else None),
            "budget_share": dict(self.budget_share),
            "policy": None if self.policy is None else self.policy.to_dict(),
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per window (run, window):
        SLI, budget consumed, incidents (needs pandas)."""
        pd = pandas()
        index = pd.MultiIndex.from_product([range(self.runs), range(self.windows)],
                                           names=["run", "window"])
        return pd.DataFrame({"sli": self.sli.ravel(),
                             "budget_consumed": self.budget_consumed.ravel(),
                             "incidents": self.incidents.ravel()}, index=index)

    def plot(self, *, ax=None, bins=50):
        """The distribution of the window SLI with the target marked (needs
        matplotlib).

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = new_axes(ax)
        ax.hist(self.sli.ravel(), bins=bins, color="C0")
        ax.axvline(self.target, color="C3", linestyle="--",
                   label=f"target {self.target:g}")
        ax.set_xlabel(f"SLI over {_duration(self.window)} windows")
        ax.set_ylabel("windows")
        ax.set_title(f"{self.journey}: P(meets target) = {self.p_meet:.3f}")
        ax.legend()
        return ax


@dataclass(frozen=True, eq=False)
class SLOReport(JourneyMapping):
    """Every targeted journey's SLO windows, addressable by name.

    Attributes
    ----------
    journeys : dict
        Journey name -> :class:`JourneySLO`.
    window : float
        Seconds.
    windows, runs : int
    policy : BudgetPolicy or None
    traffic : str, float or None
    start : str
    """

    journeys: dict
    window: float
    windows: int
    runs: int
    policy: object = None
    traffic: object = None
    start: str = "stationary"

    def __repr__(self):
        def row(r):
            lo, hi = r.p_meet_interval
            return (f"target {r.target:g}  P(meets) {r.p_meet:.4f} [{lo:.4f}, {hi:.4f}]  "
                    f"budget median {r.budget_quantiles[0.5]:.1%}")

        return self._table(f"SLOReport(window={_duration(self.window)}, "
                           f"windows={self.windows}, runs={self.runs})", row)

    def to_dict(self):
        """A JSON-safe dict."""
        return {"window": self.window, "windows": self.windows, "runs": self.runs,
                "policy": None if self.policy is None else repr(self.policy),
                "traffic": self.traffic, "start": self.start,
                "journeys": {k: v.to_dict() for k, v in self.journeys.items()}}

    def to_frame(self):
        """Per journey, the summary numbers (needs pandas)."""
        pd = pandas()
        rows = {k: {"target": v.target, "p_meet": v.p_meet,
                    "p_meet_low": v.p_meet_interval[0], "p_meet_high": v.p_meet_interval[1],
                    "p_exhausted": v.p_exhausted, "budget_median": v.budget_quantiles[0.5],
                    "mean_incidents": v.mean_incidents}
                for k, v in self.journeys.items()}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("journey")
