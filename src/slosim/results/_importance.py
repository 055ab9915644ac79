"""Importance measures: which basic events drive a journey's failures."""

from dataclasses import dataclass, field

import numpy as np

from ._base import JourneyMapping, fmt_samples, new_axes, pandas

__all__ = ["ImportanceResult", "ImportanceResults", "MEASURES"]

#: The measures, in table order, with the names SCRAM gives them.
MEASURES = {
    "birnbaum": "MIF",
    "criticality": "CIF",
    "fussell_vesely": None,
    "raw": "RAW",
    "rrw": "RRW",
    "improvement_potential": None,
    "failure_share": "DIF",
}

_HEADINGS = {
    "birnbaum": "Birnbaum",
    "criticality": "critical",
    "fussell_vesely": "FV",
    "raw": "RAW",
    "rrw": "RRW",
    "improvement_potential": "improve",
    "failure_share": "share",
}


@dataclass(frozen=True, eq=False)
class ImportanceResult:
    """Importance measures of every basic event for one journey.

    Arrays are aligned with ``events`` (the model's components, then its
    shocks). With ``U`` the journey's unavailability, ``q_i`` the event's
    probability and ``U(i down)``, ``U(i up)`` the journey's unavailability
    given the event down (happening) and up:

    Attributes
    ----------
    journey : str
    method : str
        ``'exact'`` or ``'simulate'``.
    events : tuple of str
    probability : ndarray
        Each event's probability ``q_i`` (a component's unavailability, a
        shock's probability) in this run (``given`` applied).
    unavailability : float
        The journey's unavailability ``U`` (exact, or the estimate).
    birnbaum : ndarray
        ``U(i down) - U(i up)``: the derivative of the journey's
        availability in the event's availability (SCRAM's MIF).
    criticality : ndarray
        ``q_i B_i / U``: the share of the journey's unavailability that the
        event is critical to (CIF).
    fussell_vesely : ndarray or None
        ``P(some minimal cut set containing i has occurred) / U``, exact
        from the minimal cut sets; None from ``simulate``.
    raw : ndarray
        Risk achievement worth ``U(i down) / U``: how much worse the journey
        is with the event down (RAW).
    rrw : ndarray
        Risk reduction worth ``U / U(i up)``: how much better with it never
        down; ``inf`` when the event is in every minimal cut set (RRW).
    improvement_potential : ndarray
        ``U - U(i up)``: the availability the journey gains if the event
        never happened.
    failure_share : ndarray
        ``P(i down | journey down) = q_i RAW``: the share of the journey's
        failures (its error budget) the event is present in (SCRAM's DIF).
    intervals : dict
        Measure name -> ``(low, high)`` arrays at ``confidence`` (from
        ``simulate``; empty from ``exact``).
    confidence : float or None
    samples, failures : int or None
        From ``simulate``: samples drawn, journey failures among them.
    target : float or None
    given : dict
        Events forced (``given=``), ``'up'`` or ``'down'``.

    Notes
    -----
    For an event outside a copula the conditional probabilities are those
    with the event forced. A copula member's state carries information
    about the common factor, so for it ``U(i down)`` and ``U(i up)`` are
    conditional probabilities (the factor's law conditioned too), as
    failure counts measure them; the identities above hold either way.
    When the journey never fails (``U = 0``) the ratios (criticality,
    Fussell-Vesely, RAW, RRW, failure share) are NaN.

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.999)
    >>> db = ss.parallel(ss.Component("db-a", availability=0.99),
    ...                  ss.Component("db-b", availability=0.99), name="db")
    >>> imp = ss.importance(ss.series(web, db, name="checkout"))["checkout"]
    >>> imp.criticality.round(4).tolist()
    [0.9091, 0.0908, 0.0908]
    >>> [(name, round(v, 4)) for name, v in imp.top("failure_share", 2)]
    [('web', 0.9092), ('db-a', 0.0999)]
    """

    journey: str
    method: str
    events: tuple
    probability: np.ndarray
    unavailability: float
    birnbaum: np.ndarray
    criticality: np.ndarray
    fussell_vesely: np.ndarray | None
    raw: np.ndarray
    rrw: np.ndarray
    improvement_potential: np.ndarray
    failure_share: np.ndarray
    intervals: dict = field(default_factory=dict)
    confidence: float | None = None
    samples: int | None = None
    failures: int | None = None
    target: float | None = None
    given: dict = field(default_factory=dict)

    def measures(self):
        """Measure name -> array, for the measures this result has."""
        return {m: getattr(self, m) for m in MEASURES if getattr(self, m) is not None}

    def top(self, measure="criticality", n=10):
        """The ``n`` events with the largest ``measure``: ``[(event, value)]``."""
        values = self._measure(measure)
        order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[:n]
        return [(self.events[i], float(values[i])) for i in order]

    def _measure(self, measure):
        if measure not in MEASURES:
            raise ValueError(f"unknown measure {measure!r}; measures are: "
                             f"{', '.join(MEASURES)}")
        values = getattr(self, measure)
        if values is None:
            raise ValueError(f"{measure} is not available from method={self.method!r}; "
                             f"it needs the minimal cut sets of the exact engine")
        return values

    _SHOWN = 10

    def __repr__(self):
        head = (f"ImportanceResult(journey={self.journey!r}, method={self.method!r}, "
                f"unavailability={self.unavailability:.6g}, events={len(self.events)}"
                + (f", samples={fmt_samples(self.samples)}" if self.samples else "")
                + (f", given={self.given!r}" if self.given else "") + ")")
        shown = self.measures()
        order = [i for i, _ in enumerate(self.events)]
        order.sort(key=lambda i: -np.nan_to_num(self.criticality[i], nan=-np.inf))
        order = order[:self._SHOWN]
        width = max([5] + [len(self.events[i]) for i in order])
        cols = [_HEADINGS[m] for m in shown]
        lines = [head, "  " + "event".ljust(width) + "".join(f" {c:>10}" for c in cols)]
        for i in order:
            cells = "".join(f" {_cell(shown[m][i]):>10}" for m in shown)
            lines.append("  " + self.events[i].ljust(width) + cells)
        if len(self.events) > self._SHOWN:
            lines.append(f"  ... {len(self.events) - self._SHOWN} more (sorted by "
                         f"criticality)")
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-safe dict (infinities and NaN as strings ``'inf'``, ``'nan'``)."""
        out = {
            "journey": self.journey,
            "method": self.method,
            "events": list(self.events),
            "probability": self.probability.tolist(),
            "unavailability": self.unavailability,
            "confidence": self.confidence,
            "samples": self.samples,
            "failures": self.failures,
            "target": self.target,
            "given": dict(self.given),
        }
        for m, values in self.measures().items():
            out[m] = [_json(v) for v in values.tolist()]
        for m, (lo, hi) in self.intervals.items():
            out[f"{m}_interval"] = [[_json(a), _json(b)] for a, b in
                                    zip(lo.tolist(), hi.tolist())]
        return out

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per event (needs pandas);
        with intervals, a ``<measure>_low`` and ``<measure>_high`` column
        each."""
        pd = pandas()
        columns = {"probability": self.probability}
        for m, values in self.measures().items():
            columns[m] = values
            if m in self.intervals:
                columns[f"{m}_low"], columns[f"{m}_high"] = self.intervals[m]
        return pd.DataFrame(columns, index=pd.Index(self.events, name="event"))

    def plot(self, measure="criticality", *, top=15, ax=None):
        """A horizontal bar chart of ``measure``, largest first (needs
        matplotlib); intervals, if any, as error bars.

        Returns
        -------
        matplotlib.axes.Axes
        """
        values = self._measure(measure)
        ax = new_axes(ax)
        ranked = self.top(measure, top)[::-1]          # largest at the top
        names = [n for n, _ in ranked]
        heights = [v for _, v in ranked]
        xerr = None
        if measure in self.intervals:
            index = {n: i for i, n in enumerate(self.events)}
            lo, hi = self.intervals[measure]
            rows = [index[n] for n in names]
            xerr = np.array([[values[i] - lo[i] for i in rows],
                             [hi[i] - values[i] for i in rows]])
        ax.barh(range(len(names)), heights, xerr=xerr)
        ax.set_yticks(range(len(names)), names)
        label = _HEADINGS[measure] if measure != "criticality" else "criticality importance"
        ax.set_xlabel(label)
        ax.set_title(f"{self.journey}: {label} ({self.method})")
        return ax


@dataclass(frozen=True, eq=False)
class ImportanceResults(JourneyMapping):
    """Importance measures of every journey, addressable by name.

    Attributes
    ----------
    journeys : dict
        Journey name -> :class:`ImportanceResult`.
    method : str
    events : tuple of str
    given : dict

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=[db])
    >>> res = ss.importance(web)
    >>> res
    ImportanceResults(method='exact', journeys=1, events=2)
      web  most critical: db (0.6666)
    """

    journeys: dict
    method: str
    events: tuple
    given: dict = field(default_factory=dict)

    def __repr__(self):
        given = f", given={self.given!r}" if self.given else ""

        def row(r):
            name, value = r.top("criticality", 1)[0]
            return f"most critical: {name} ({_cell(value)})"

        return self._table(f"ImportanceResults(method={self.method!r}, "
                           f"journeys={len(self.journeys)}, events={len(self.events)}"
                           f"{given})", row)

    def to_dict(self):
        """A JSON-safe dict: method, events, given and every journey's dict."""
        return {"method": self.method, "events": list(self.events),
                "given": dict(self.given),
                "journeys": {k: v.to_dict() for k, v in self.journeys.items()}}

    def to_frame(self):
        """A :class:`pandas.DataFrame` with a (journey, event) index (needs pandas)."""
        pd = pandas()
        frames = {j: r.to_frame() for j, r in self.journeys.items()}
        return pd.concat(frames, names=["journey"])


def _cell(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf"
    return f"{v:.4g}"


def _json(v):
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return v
