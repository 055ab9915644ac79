"""Timeline results: journeys' error ratios over calendar windows, per run."""

from dataclasses import dataclass
import math

import numpy as np

from .._validation import error_allowance, format_duration
from ._base import JourneyMapping, fmt_estimate, fmt_samples, new_axes, pandas

__all__ = ["JourneyTimeline", "TimelineResult"]


def _json(a):
    """A nested list of ``a`` with inf and NaN as None (strict JSON)."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        out = a.astype(object)
        out[~np.isfinite(a)] = None
        return out.tolist()
    return a.tolist()


@dataclass(frozen=True, eq=False)
class JourneyTimeline:
    """One journey's error ratio over time, simulated run by run.

    Built by :func:`~slosim.engines.timeline`. Times and integrals are in
    seconds. Windows are the calendar windows ``[k W, (k + 1) W)``; the
    remainder of the horizon after the last full window counts in
    ``mean_error_ratio`` only (and in the rolling window).

    Attributes
    ----------
    journey : str
    target : float or None
        The journey's availability target.
    window, horizon : float
        Seconds.
    levels : tuple of float
        The budget levels of ``crossings``, as shares of the budget.
    events : tuple of str
        The basic events, in the order of ``attribution``.
    bad : ndarray of float64, shape (runs, n_windows)
        The integral of the journey's error ratio over each window, in
        seconds: the "bad minutes" of a time-based SLO, or the expected
        failed requests over the request rate.
    incidents : ndarray of int64, shape (runs, n_windows)
        Impairment episodes (the error ratio rising from 0) starting in
        the window; an episode already in progress at time 0 is not
        counted.
    crossings : ndarray of float64, shape (runs, n_windows, len(levels))
        Seconds into the window when ``bad`` so far first reached
        ``levels[l] * budget`` (``inf`` if it never did); NaN for a
        journey without a target. Integrals within ``1e-9 * window`` of a
        level count as reaching it, so that rounding does not decide a
        window spent exactly at the budget (fixed durations make these).
    mean_error_ratio : ndarray of float64, shape (runs,)
        The integral over the whole horizon over the horizon.
    attribution : ndarray of float64, shape (E,)
        Summed over runs and windows, the integral of the journey's error
        ratio over the times each event was impaired (its error ratio
        above 0). A present-in measure: several events impaired at once
        each get the whole, so the shares ``attribution / bad.sum()`` may
        sum above 1.
    requests, bad_requests : ndarray of int64, shape (runs, n_windows), or None
        With ``traffic``: Poisson request counts per window, bad requests
        ``~ Poisson(rate * bad)`` and good ones ``~ Poisson(rate * (W -
        bad))``, independent.
    worst_window : ndarray of float64, shape (runs,), or None
        With ``rolling``: the largest integral over any window ``[t - W,
        t]`` within the horizon.
    time_out : ndarray of float64, shape (runs,), or None
        With ``rolling``: the time (seconds) the rolling window's integral
        is above the budget (by more than ``1e-9 * window``); NaN for a
        journey without a target.
    paths : tuple
        For the first ``keep_paths`` runs, ``(times, ratios)``: the journey's
        error ratio is ``ratios[i]`` from ``times[i]`` to ``times[i + 1]``
        (the last one to the horizon).
    runs, n_windows : int
    budget : float or None
        ``(1 - target) * window`` in seconds (``1 - target`` with the
        target's decimal digits: 0.999 allows exactly 0.001).
    error_ratio : float
        The mean of ``mean_error_ratio`` over runs: the estimated long-run
        mean error ratio (the unavailability of a time-based SLO).
    std_error : float
        Its standard error, from the runs' spread.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import timeline
    >>> db = ss.Component("db", mttf="30d", mttr="2h")
    >>> res = timeline(ss.Journey(db, target=0.999), "90d", runs=200, rng=1)
    >>> tl = res["db"]
    >>> tl.bad.shape, tl.budget
    ((200, 3), 2592.0)
    >>> tl
    JourneyTimeline(journey='db', mean_error_ratio=0.00264 ± 0.00015, target=0.999,
    runs=200, windows=3 x 30d)
    """

    journey: str
    target: float | None
    window: float
    horizon: float
    levels: tuple
    events: tuple
    bad: np.ndarray
    incidents: np.ndarray
    crossings: np.ndarray
    mean_error_ratio: np.ndarray
    attribution: np.ndarray
    requests: np.ndarray | None = None
    bad_requests: np.ndarray | None = None
    worst_window: np.ndarray | None = None
    time_out: np.ndarray | None = None
    paths: tuple = ()

    @property
    def runs(self):
        return self.bad.shape[0]

    @property
    def n_windows(self):
        return self.bad.shape[1]

    @property
    def budget(self):
        return None if self.target is None else error_allowance(self.target) * self.window

    @property
    def error_ratio(self):
        return float(self.mean_error_ratio.mean())

    @property
    def std_error(self):
        n = self.runs
        return float(self.mean_error_ratio.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf

    def __repr__(self):
        err = self.std_error
        est = fmt_estimate(self.error_ratio, err if math.isfinite(err) else 0.0)
        target = f", target={self.target!r}" if self.target is not None else ""
        return (f"JourneyTimeline(journey={self.journey!r}, mean_error_ratio={est} "
                f"± {err:.2g}{target}, runs={fmt_samples(self.runs)}, "
                f"windows={self.n_windows} x {format_duration(self.window)})")

    def to_dict(self):
        """A JSON-safe dict of every attribute (arrays as nested lists; inf
        and NaN as None).

        Examples
        --------
        >>> import json
        >>> import slosim as ss
        >>> from slosim.engines import timeline
        >>> res = timeline(ss.Component("a", mttf="10d", mttr="1h"), "20d", runs=4,
        ...                window="10d", rng=0)
        >>> d = res["a"].to_dict()
        >>> json.loads(json.dumps(d, allow_nan=False)) == d
        True
        """
        return {
            "journey": self.journey,
            "target": self.target,
            "window": self.window,
            "horizon": self.horizon,
            "levels": list(self.levels),
            "events": list(self.events),
            "bad": _json(self.bad),
            "incidents": _json(self.incidents),
            "crossings": _json(self.crossings),
            "mean_error_ratio": _json(self.mean_error_ratio),
            "attribution": _json(self.attribution),
            "requests": _json(self.requests),
            "bad_requests": _json(self.bad_requests),
            "worst_window": _json(self.worst_window),
            "time_out": _json(self.time_out),
            "paths": [[_json(t), _json(v)] for t, v in self.paths],
            "error_ratio": self.error_ratio,
            "std_error": self.std_error if math.isfinite(self.std_error) else None,
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per run and window (needs
        pandas): ``bad``, ``incidents``, a ``crossing_<level>`` column per
        level, and ``requests``, ``bad_requests`` with traffic."""
        pd = pandas()
        runs, windows = self.bad.shape
        index = pd.MultiIndex.from_product([range(runs), range(windows)],
                                           names=["run", "window"])
        cols = {"bad": self.bad.ravel(), "incidents": self.incidents.ravel()}
        for l, level in enumerate(self.levels):
            cols[f"crossing_{level:g}"] = self.crossings[:, :, l].ravel()
        if self.requests is not None:
            cols["requests"] = self.requests.ravel()
            cols["bad_requests"] = self.bad_requests.ravel()
        return pd.DataFrame(cols, index=index)

    def plot(self, *, runs=None, ax=None):
        """The kept sample paths (``keep_paths=``) as step lines of the
        error ratio over days, the target's allowed error ratio dashed, the
        window edges dotted (needs matplotlib).

        Parameters
        ----------
        runs : sequence of int, optional
            Which kept paths to draw; all by default.
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        ValueError
            If no path was kept, or a run asked for was not.
        """
        if not self.paths:
            raise ValueError("no sample path was kept: run timeline with keep_paths=k "
                             "to plot the first k runs")
        runs = range(len(self.paths)) if runs is None else list(runs)
        bad = [r for r in runs if not (isinstance(r, (int, np.integer))
                                       and 0 <= r < len(self.paths))]
        if bad:
            raise ValueError(f"run {bad[0]!r} was not kept; the kept runs are "
                             f"0..{len(self.paths) - 1}")
        ax = new_axes(ax)
        day = 86400.0
        for r in runs:
            t, v = self.paths[r]
            ax.step(np.append(t, self.horizon) / day, np.append(v, v[-1]), where="post",
                    label=f"run {r}")
        for k in range(1, self.n_windows):
            ax.axvline(k * self.window / day, color="0.8", linestyle=":", linewidth=0.8)
        if self.target is not None:
            ax.axhline(error_allowance(self.target), color="C3", linestyle="--",
                       label=f"1 - target ({error_allowance(self.target):g})")
        ax.set_xlabel("days")
        ax.set_ylabel("error ratio")
        ax.set_title(f"{self.journey}: error ratio over time")
        ax.legend(loc="upper right")
        return ax


@dataclass(frozen=True, eq=False)
class TimelineResult(JourneyMapping):
    """The journeys of one timeline simulation, addressable by name.

    A read-only mapping ``journey name -> JourneyTimeline``; every journey
    comes from the same runs.

    Attributes
    ----------
    journeys : dict
        Journey name -> :class:`JourneyTimeline`, in model order.
    events : tuple of str
        The basic events (components, then shocks).
    targets : tuple of (float or None)
        Each journey's availability target, in journey order.
    window, horizon : float
        Seconds.
    runs, n_windows : int
    levels : tuple of float
    start : {'stationary', 'clean'}
    traffic : float or None
        Requests per second.
    chunk_size : int
        Runs per independent stream; with the seed it fixes the result.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import timeline
    >>> db = ss.Component("db", mttf="30d", mttr="1h")
    >>> api = ss.Service("api", incidents=[ss.Incidents("2/30d", "30m", error_ratio=0.2)],
    ...                  requires=[db])
    >>> res = timeline(ss.Journey(api, target=0.999), runs=500, rng=3)
    >>> res
    TimelineResult(runs=500, windows=12 x 30d, start='stationary', journeys=1)
      api  mean error ratio 0.001614 ± 2.5e-05  bad/window 4180s  incidents/window 2.95
    """

    journeys: dict
    events: tuple
    targets: tuple
    window: float
    horizon: float
    runs: int
    n_windows: int
    levels: tuple
    start: str
    traffic: float | None
    chunk_size: int

    def __repr__(self):
        def row(r):
            err = r.std_error
            est = fmt_estimate(r.error_ratio, err if math.isfinite(err) else 0.0)
            return (f"mean error ratio {est} ± {err:.2g}  "
                    f"bad/window {r.bad.mean():.4g}s  "
                    f"incidents/window {r.incidents.mean():.3g}")

        return self._table(
            f"TimelineResult(runs={fmt_samples(self.runs)}, windows={self.n_windows} x "
            f"{format_duration(self.window)}, start={self.start!r}, "
            f"journeys={len(self.journeys)})", row)

    def to_dict(self):
        """A JSON-safe dict: the settings and every journey's dict."""
        return {
            "events": list(self.events),
            "targets": list(self.targets),
            "window": self.window,
            "horizon": self.horizon,
            "runs": int(self.runs),
            "n_windows": int(self.n_windows),
            "levels": list(self.levels),
            "start": self.start,
            "traffic": self.traffic,
            "chunk_size": int(self.chunk_size),
            "journeys": {k: v.to_dict() for k, v in self.journeys.items()},
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per journey, run and window
        (needs pandas)."""
        pd = pandas()
        return pd.concat({k: v.to_frame() for k, v in self.journeys.items()},
                         names=["journey"])
