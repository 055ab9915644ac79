"""Scenarios of errors: a service's error ratio as a step function of time.

A :class:`Scenario` is a piecewise-constant error ratio over time, zero
before its first piece and after its last (or never ending). Time starts at
0 with a clean history before it, as if the service had served without
errors forever. The pieces are kept exactly (see ``_exact``), so alerts
can be evaluated on them in exact arithmetic.
"""

from bisect import bisect_right
import datetime
from fractions import Fraction
import math
import numbers

import numpy as np

from .._validation import check_int, format_duration, param_error
from ._exact import exact, exact_duration
from ._rules import exact_budget

__all__ = ["Scenario", "contiguous"]

_RATIO = "an error ratio in [0, 1]"


def _ratio(value, name, func):
    """An error ratio in [0, 1], exactly."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise param_error(name, func, _RATIO, value, TypeError)
    if not 0 <= value <= 1:  # NaN fails too
        raise param_error(name, func, _RATIO, value)
    return exact(value)


def contiguous(pieces):
    """``(edges, ratios, endless)`` of canonical ``pieces``, exactly.

    ``ratios[i]`` holds on ``[edges[i], edges[i + 1])``, gaps between pieces
    being zero pieces; with ``endless`` the last ratio holds from
    ``edges[-1]`` on (``len(ratios) == len(edges)``), otherwise
    ``len(ratios) == len(edges) - 1``.
    """
    edges, ratios = [], []
    for start, end, ratio in pieces:
        if edges and edges[-1] != start:
            ratios.append(Fraction(0))
            edges.append(start)
        elif not edges:
            edges.append(start)
        ratios.append(ratio)
        if end is not None:
            edges.append(end)
    return edges, ratios, bool(pieces) and pieces[-1][1] is None


def _canonical(pieces):
    """Pieces sorted, without zero ratios or lengths, equal neighbours merged."""
    out = []
    for start, end, ratio in sorted(pieces, key=lambda p: p[0]):
        if ratio == 0 or (end is not None and end <= start):
            continue
        if out and out[-1][1] == start and out[-1][2] == ratio:
            out[-1] = (out[-1][0], end, ratio)
        else:
            out.append((start, end, ratio))
    return tuple(out)


def _cumulative(edges, ratios):
    """The errors (ratio x seconds) before each edge, exactly."""
    total = [Fraction(0)]
    for i in range(len(edges) - 1):
        total.append(total[-1] + ratios[i] * (edges[i + 1] - edges[i]))
    return total


def _shifted(pieces, delay):
    return tuple((a + delay, None if b is None else b + delay, r) for a, b, r in pieces)


def _of(pieces):
    """A scenario of (unchecked) exact pieces."""
    obj = object.__new__(Scenario)
    object.__setattr__(obj, "_pieces", _canonical(pieces))
    return obj


class Scenario:
    """A scenario of errors: the error ratio of a service over time.

    The error ratio (the share of requests that fail) is a step function
    of time: ``error_ratios[i]`` from ``times[i]`` to ``times[i + 1]``,
    and zero before the first time and after the last. Time starts at 0
    with a clean history before it. Build one from arrays, or with
    :meth:`constant`, :meth:`spikes` and :meth:`ramp`; superpose scenarios
    with ``+`` and chain them with :meth:`then`.

    Parameters
    ----------
    times : sequence
        The edges of the pieces, increasing, from 0 on: seconds, durations
        (``"1h"``, timedeltas) or both; one more than ``error_ratios``. The
        last may be ``math.inf``: the last error ratio then never ends.
    error_ratios : sequence of float
        The error ratio of each piece, in [0, 1] (read through its shortest
        decimal form, so that 0.0144 is exactly 0.0144).

    Attributes
    ----------
    pieces : tuple
        ``(start, end, error_ratio)`` of every piece with errors, in
        seconds, as exact :class:`fractions.Fraction` (``end`` None for a
        piece that never ends); neighbours with the same ratio are merged.
    times, error_ratios : numpy.ndarray
        The same as arrays of floats, gaps included (a zero error ratio).
    start : float or None
        When the errors start, in seconds (None without errors).
    end : float or None
        When they end for good (``math.inf`` if they never do).

    Raises
    ------
    TypeError, ValueError
        If a time is not a duration, the times do not increase, the lengths
        do not match, or an error ratio is not in [0, 1].

    See Also
    --------
    evaluate_alerts : when alerting rules fire and clear for a scenario.

    Examples
    --------
    An hour at 1% errors, then ten minutes of full outage:

    >>> import slosim as ss
    >>> s = ss.Scenario([0, "1h", "1h10m"], [0.01, 1.0])
    >>> s
    Scenario(errors from 0s to 1h10m, 2 pieces, peak error ratio 1)
      from  to     error ratio
      0s    1h     0.01
      1h    1h10m  1
    >>> s.budget_consumed(slo=0.999, period="30d")
    0.24537037037037038
    >>> s == ss.Scenario.constant(0.01, duration="1h").then(
    ...     ss.Scenario.constant(1.0, duration="10m"))
    True
    """

    __slots__ = ("_pieces",)

    def __init__(self, times, error_ratios):
        func = "Scenario"
        times, ratios = list(times), list(error_ratios)
        if len(times) != len(ratios) + 1 and (times or ratios):
            raise param_error("times", func,
                              f"one more time than error ratios ({len(ratios) + 1})",
                              f"{len(times)} times", ValueError)
        edges = []
        for i, t in enumerate(times):
            if (i == len(times) - 1 and i > 0 and isinstance(t, numbers.Real)
                    and not isinstance(t, bool) and t == math.inf):
                edges.append(None)
                continue
            edges.append(exact_duration(t, f"times[{i}]", func, allow_zero=True))
            if i and edges[i] <= edges[i - 1]:
                raise param_error(f"times[{i}]", func,
                                  f"a time after times[{i - 1}] ({times[i - 1]!r})", t)
        pieces = [(edges[i], edges[i + 1], _ratio(r, f"error_ratios[{i}]", func))
                  for i, r in enumerate(ratios)]
        object.__setattr__(self, "_pieces", _canonical(pieces))

    def __setattr__(self, key, value):
        raise AttributeError(f"Scenario is immutable: cannot set {key!r}")

    def __reduce__(self):
        return (_of, (self._pieces,))

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def constant(cls, error_ratio, *, start=0, duration=None):
        """A constant error ratio from ``start`` for ``duration``.

        Parameters
        ----------
        error_ratio : float
            In [0, 1]; 1 is a full outage.
        start : str, datetime.timedelta or float, default 0
            When the errors start.
        duration : str, datetime.timedelta or float, optional
            How long they last; None (the default) for ever.

        Returns
        -------
        Scenario

        Examples
        --------
        >>> import slosim as ss
        >>> ss.Scenario.constant(0.01, start="1h", duration="2h")
        Scenario(errors from 1h to 3h, 1 piece, peak error ratio 0.01)
          from  to  error ratio
          1h    3h  0.01
        """
        func = "Scenario.constant"
        ratio = _ratio(error_ratio, "error_ratio", func)
        begin = exact_duration(start, "start", func, allow_zero=True)
        end = None if duration is None else begin + exact_duration(duration, "duration",
                                                                   func)
        return _of([(begin, end, ratio)])

    @classmethod
    def spikes(cls, error_ratio, *, duration, every, count, start=0):
        """``count`` spikes of errors, one every ``every``.

        Parameters
        ----------
        error_ratio : float
            The error ratio of each spike, in [0, 1].
        duration : str, datetime.timedelta or float
            How long each spike lasts.
        every : str, datetime.timedelta or float
            From the start of one spike to the start of the next, no shorter
            than ``duration``.
        count : int
            How many spikes, >= 1.
        start : str, datetime.timedelta or float, default 0
            When the first spike starts.

        Returns
        -------
        Scenario

        Examples
        --------
        Three 5-minute full outages, one every 10 minutes:

        >>> import slosim as ss
        >>> s = ss.Scenario.spikes(1.0, duration="5m", every="10m", count=3)
        >>> s.start, s.end, len(s.pieces)
        (0.0, 1500.0, 3)
        """
        func = "Scenario.spikes"
        ratio = _ratio(error_ratio, "error_ratio", func)
        length = exact_duration(duration, "duration", func)
        step = exact_duration(every, "every", func)
        if step < length:
            raise param_error("every", func, f"a duration no shorter than the spikes' "
                              f"({format_duration(length)})", every)
        count = check_int(count, "count", func, low=1)
        begin = exact_duration(start, "start", func, allow_zero=True)
        return _of([(begin + k * step, begin + k * step + length, ratio)
                        for k in range(count)])

    @classmethod
    def ramp(cls, error_ratio, *, duration, steps=10, start=0):
        """A slow leak: an error ratio climbing in equal steps, then stopping.

        Over ``duration`` from ``start``, the error ratio takes the values
        ``error_ratio * k / steps`` for ``k = 1 ... steps``, each for
        ``duration / steps``; then the errors stop (chain another scenario
        with :meth:`then` to hold or lower them).

        Parameters
        ----------
        error_ratio : float
            The last step's error ratio, in [0, 1].
        duration : str, datetime.timedelta or float
            How long the climb lasts.
        steps : int, default 10
            How many steps, >= 1.
        start : str, datetime.timedelta or float, default 0

        Returns
        -------
        Scenario

        Examples
        --------
        >>> import slosim as ss
        >>> ss.Scenario.ramp(0.04, duration="4h", steps=4).error_ratios.tolist()
        [0.01, 0.02, 0.03, 0.04]
        """
        func = "Scenario.ramp"
        ratio = _ratio(error_ratio, "error_ratio", func)
        length = exact_duration(duration, "duration", func)
        steps = check_int(steps, "steps", func, low=1)
        begin = exact_duration(start, "start", func, allow_zero=True)
        width = length / steps
        return _of([(begin + k * width, begin + (k + 1) * width, ratio * (k + 1) / steps)
                        for k in range(steps)])

    # -- combining ----------------------------------------------------------------------

    def __add__(self, other):
        """The superposition: both scenarios' error ratios added (at most 1)."""
        if not isinstance(other, Scenario):
            return NotImplemented
        changes = {}   # time -> change of the error ratio there
        for start, end, ratio in self._pieces + other.pieces:
            changes[start] = changes.get(start, 0) + ratio
            if end is not None:
                changes[end] = changes.get(end, 0) - ratio
        times = sorted(changes)
        out, level = [], Fraction(0)
        for i, t in enumerate(times):
            level += changes[t]
            end = times[i + 1] if i + 1 < len(times) else None
            if level > 1:
                where = "on" if end is None else f"to {format_duration(end)}"
                raise ValueError(
                    f"superposing these scenarios gives an error ratio of {float(level):g} "
                    f"from {format_duration(t)} {where}; an error ratio is at most 1")
            out.append((t, end, level))
        return _of(out)

    def then(self, other):
        """``other`` after this scenario: its time 0 at the end of these errors.

        Parameters
        ----------
        other : Scenario
            Its own start (a delay) is kept.

        Returns
        -------
        Scenario

        Raises
        ------
        ValueError
            If these errors never end.
        """
        if not isinstance(other, Scenario):
            raise param_error("other", "Scenario.then", "a Scenario", other, TypeError)
        if not self._pieces:
            return other
        end = self._pieces[-1][1]
        if end is None:
            raise ValueError("Scenario.then: these errors never end, so nothing can come "
                             "after them")
        return _of(self._pieces + _shifted(other.pieces, end))

    def shift(self, delay):
        """The same errors, ``delay`` later.

        Parameters
        ----------
        delay : str, datetime.timedelta or float
            A non-negative duration.

        Returns
        -------
        Scenario
        """
        delay = exact_duration(delay, "delay", "Scenario.shift", allow_zero=True)
        return _of(_shifted(self._pieces, delay))

    # -- what it holds --------------------------------------------------------------

    @property
    def pieces(self):
        """``(start, end, error_ratio)`` of each piece with errors, exactly
        (seconds; ``end`` None for a piece that never ends)."""
        return self._pieces

    @property
    def times(self):
        """The edges of the pieces, gaps included, in seconds (the last
        ``inf`` when the errors never end)."""
        edges, _, endless = contiguous(self._pieces)
        return np.array([float(t) for t in edges] + ([math.inf] if endless else []),
                        dtype=np.float64)

    @property
    def error_ratios(self):
        """The error ratio of each piece, gaps included."""
        _, ratios, _ = contiguous(self._pieces)
        return np.array([float(r) for r in ratios], dtype=np.float64)

    @property
    def start(self):
        """When the errors start, in seconds (None without errors)."""
        return float(self._pieces[0][0]) if self._pieces else None

    @property
    def end(self):
        """When the errors end for good, in seconds (``inf`` if never; None
        without errors)."""
        if not self._pieces:
            return None
        end = self._pieces[-1][1]
        return math.inf if end is None else float(end)

    def __eq__(self, other):
        if not isinstance(other, Scenario):
            return NotImplemented
        return self._pieces == other.pieces

    def __hash__(self):
        return hash(self._pieces)

    _SHOWN = 10

    def __repr__(self):
        if not self._pieces:
            return "Scenario(no errors)"
        end = self._pieces[-1][1]
        until = "on" if end is None else f"to {format_duration(end)}"
        n = len(self._pieces)
        peak = max(r for _, _, r in self._pieces)
        rows = [("from", "to", "error ratio")] + [
            (format_duration(a), "never" if b is None else format_duration(b),
             f"{float(r):.6g}") for a, b, r in self._pieces[:self._SHOWN]]
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        lines = [f"Scenario(errors from {format_duration(self._pieces[0][0])} {until}, "
                 f"{n} piece{'s' if n > 1 else ''}, peak error ratio {float(peak):.6g})"]
        lines += [f"  {a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]
        if n > self._SHOWN:
            lines.append(f"  ... {n - self._SHOWN} more")
        return "\n".join(lines)

    # -- numbers ------------------------------------------------------------------------

    def _errors(self, t):
        """The errors (error ratio x seconds) from 0 to ``t``, exactly."""
        edges, ratios, _ = contiguous(self._pieces)
        if not edges or t <= edges[0]:
            return Fraction(0)
        total = _cumulative(edges, ratios)
        j = bisect_right(edges, t) - 1
        return total[j] + ratios[j] * (t - edges[j]) if j < len(ratios) else total[-1]

    def error_ratio(self, t):
        """The error ratio at times ``t`` (seconds; vectorised).

        Parameters
        ----------
        t : float or array_like

        Returns
        -------
        float or numpy.ndarray
        """
        t = np.asarray(t, dtype=np.float64)
        edges, ratios = self.times, self.error_ratios
        out = np.zeros(t.shape)
        if ratios.size:
            j = np.searchsorted(edges, t, side="right") - 1
            inside = (j >= 0) & (j < ratios.size)
            out[inside] = ratios[j[inside]]
        return float(out) if out.ndim == 0 else out

    def window_ratio(self, t, window):
        """The error ratio over the window ending at each time ``t``.

        ``(1 / window) * integral of the error ratio over [t - window, t]``,
        in floats (the alerts are evaluated exactly; this is for plots and
        checks).

        Parameters
        ----------
        t : float or array_like
            Times, in seconds.
        window : str, datetime.timedelta or float
            The window's length.

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> import slosim as ss
        >>> s = ss.Scenario.constant(1.0, duration="5m")
        >>> s.window_ratio([60, 300, 3600, 3900], "1h").tolist()
        [0.016666666666666666, 0.08333333333333333, 0.08333333333333333, 0.0]
        """
        length = float(exact_duration(window, "window", "Scenario.window_ratio"))
        t = np.asarray(t, dtype=np.float64)
        out = (self._errors_float(t) - self._errors_float(t - length)) / length
        return float(out) if out.ndim == 0 else out

    def _errors_float(self, t):
        edges, ratios = self.times, self.error_ratios
        if not ratios.size:
            return np.zeros(t.shape)
        finite = edges[np.isfinite(edges)]
        total = np.concatenate([[0.0], np.cumsum(ratios[:finite.size - 1] * np.diff(finite))])
        out = np.interp(t, finite, total, left=0.0, right=total[-1])
        if ratios.size == finite.size:  # the last piece never ends
            late = t > finite[-1]
            out[late] = total[-1] + ratios[-1] * (t[late] - finite[-1])
        return out

    def budget_consumed(self, slo, period="30d", *, until=None):
        """The share of the period's error budget these errors spend.

        Parameters
        ----------
        slo : float
            The SLO, in (0, 1): the error budget is ``(1 - slo) * period``
            of full outage.
        period : str, datetime.timedelta or float, default ``"30d"``
        until : str, datetime.timedelta or float, optional
            Count the errors up to this time only (all of them by default).

        Returns
        -------
        float
            ``inf`` for errors that never end.

        Examples
        --------
        >>> import slosim as ss
        >>> ss.Scenario.constant(1.0, duration="1h").budget_consumed(slo=0.999)
        1.3888888888888888
        """
        func = "Scenario.budget_consumed"
        budget = exact_budget(slo, func) * exact_duration(period, "period", func)
        if until is None:
            if self._pieces and self._pieces[-1][1] is None:
                return math.inf
            return float(self._errors(self._pieces[-1][1]) / budget) if self._pieces else 0.0
        return float(self._errors(exact_duration(until, "until", func, allow_zero=True))
                     / budget)

    def budget_exhausted_at(self, slo, period="30d"):
        """When these errors have spent the whole error budget of the period.

        Parameters
        ----------
        slo : float
            The SLO, in (0, 1).
        period : str, datetime.timedelta or float, default ``"30d"``

        Returns
        -------
        datetime.timedelta or None
            The time (from 0) at which the budget runs out, or None if it
            never does.

        Examples
        --------
        At 99.9% over 30 days, a full outage spends the budget in 43.2
        minutes (the SRE Workbook's "43 minutes"):

        >>> import slosim as ss
        >>> print(ss.Scenario.constant(1.0).budget_exhausted_at(slo=0.999))
        0:43:12
        """
        func = "Scenario.budget_exhausted_at"
        budget = exact_budget(slo, func) * exact_duration(period, "period", func)
        spent = Fraction(0)
        for start, end, ratio in self._pieces:
            here = math.inf if end is None else ratio * (end - start)
            if spent + here >= budget:
                return datetime.timedelta(seconds=float(start + (budget - spent) / ratio))
            spent += here
        return None
