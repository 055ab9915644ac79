"""Sobol indices and Shapley effects: who explains a journey's variance."""

from dataclasses import dataclass, field

import numpy as np

from ._base import JourneyMapping, new_axes, pandas

__all__ = ["SobolResult", "SobolResults"]


@dataclass(frozen=True, eq=False)
class SobolResult:
    """Variance indices of one journey's state over its basic events.

    Attributes
    ----------
    journey : str
    events : tuple of str
        The model's components, then its shocks; the arrays follow it.
    variance : float
        The variance the indices divide: ``U (1 - U)`` of the journey's
        state.
    S1 : ndarray
        First-order indices: the share of the variance each event explains
        alone.
    ST : ndarray
        Total indices: the share each event takes part in, alone or with
        others.
    shapley : ndarray or None
        Shapley effects over the variance: each interaction divided equally
        among its events; they sum to 1 and lie between ``S1`` and ``ST``.
        None when not computed (``sobol(..., shapley=False)``).
    S2 : ndarray or None
        ``(E, E)`` second-order (pair interaction) indices, symmetric, zero
        on the diagonal, when asked for.
    target : float or None
    given : dict

    Examples
    --------
    >>> import slosim as ss
    >>> a, b = ss.Component("a", unavailability=0.1), ss.Component("b", unavailability=0.1)
    >>> r = ss.sobol(ss.parallel(a, b, name="pair"), second_order=True)["pair"]
    >>> r.S1.round(4).tolist(), r.shapley.round(4).tolist(), r.ST.round(4).tolist()
    ([0.0909, 0.0909], [0.5, 0.5], [0.9091, 0.9091])
    >>> round(float(r.S2[0, 1]), 4), round(r.interaction, 4)
    (0.8182, 0.8182)
    """

    journey: str
    events: tuple
    variance: float
    S1: np.ndarray
    ST: np.ndarray
    shapley: np.ndarray | None
    S2: np.ndarray | None = None
    target: float | None = None
    given: dict = field(default_factory=dict)

    @property
    def interaction(self):
        """``1 - sum(S1)``: the share of the variance no event explains alone."""
        return float(1.0 - np.sum(self.S1))

    @property
    def ranking(self):
        """The index events are ranked by: ``"shapley"``, or ``"ST"`` when
        the Shapley effects were not computed."""
        return "ST" if self.shapley is None else "shapley"

    def top(self, index=None, n=10):
        """The ``n`` events with the largest ``index`` (default
        :attr:`ranking`): ``[(event, value)]``."""
        values = self._index(self.ranking if index is None else index)
        order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[:n]
        return [(self.events[i], float(values[i])) for i in order]

    def _index(self, index):
        if index not in ("S1", "ST", "shapley"):
            raise ValueError(f"unknown index {index!r}; indices are 'S1', 'ST', 'shapley'")
        if getattr(self, index) is None:
            raise ValueError("the Shapley effects were not computed (shapley=False); "
                             "S1 and ST bracket them")
        return getattr(self, index)

    _SHOWN = 10

    def __repr__(self):
        head = (f"SobolResult(journey={self.journey!r}, variance={self.variance:.6g}, "
                f"events={len(self.events)}, first-order sum={1 - self.interaction:.4g}"
                + (f", given={self.given!r}" if self.given else "") + ")")
        ranked = [self.events.index(n) for n, _ in self.top(n=self._SHOWN)]
        shap = (np.full(len(self.events), np.nan) if self.shapley is None
                else self.shapley)
        width = max([5] + [len(self.events[i]) for i in ranked])
        lines = [head, "  " + "event".ljust(width) + f" {'S1':>9} {'shapley':>9} {'ST':>9}"]
        for i in ranked:
            lines.append("  " + self.events[i].ljust(width) + "".join(
                f" {_cell(a[i]):>9}" for a in (self.S1, shap, self.ST)))
        if len(self.events) > self._SHOWN:
            by = "Shapley" if self.shapley is not None else "ST"
            lines.append(f"  ... {len(self.events) - self._SHOWN} more (sorted by {by})")
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-safe dict."""
        return {
            "journey": self.journey, "events": list(self.events),
            "variance": self.variance, "S1": _json(self.S1), "ST": _json(self.ST),
            "shapley": None if self.shapley is None else _json(self.shapley),
            "S2": None if self.S2 is None else [_json(r) for r in self.S2],
            "target": self.target, "given": dict(self.given),
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per event (needs pandas)."""
        pd = pandas()
        shap = np.full(len(self.events), np.nan) if self.shapley is None else self.shapley
        return pd.DataFrame({"S1": self.S1, "shapley": shap, "ST": self.ST},
                            index=pd.Index(self.events, name="event"))

    def plot(self, *, top=15, ax=None):
        """Shapley effects as bars, each bracketed by its ``S1`` and ``ST``
        (needs matplotlib); largest at the top. Without Shapley effects, the
        brackets alone, ranked by ``ST``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = new_axes(ax)
        ranked = self.top(n=top)[::-1]
        rows = [self.events.index(n) for n, _ in ranked]
        y = np.arange(len(rows))
        if self.shapley is not None:
            ax.barh(y, [self.shapley[i] for i in rows], label="Shapley", color="C0")
        lo = np.array([self.S1[i] for i in rows])
        hi = np.array([self.ST[i] for i in rows])
        ax.hlines(y, lo, hi, color="k", label="S1 to ST")
        ax.plot(lo, y, "k|", markersize=10)
        ax.plot(hi, y, "k|", markersize=10)
        ax.set_yticks(y, [self.events[i] for i in rows])
        ax.set_xlabel("share of the variance of the journey's state")
        what = "Shapley effects" if self.shapley is not None else "S1 and ST"
        ax.set_title(f"{self.journey}: {what} ({self.interaction:.0%} interaction)")
        ax.legend(loc="lower right")
        return ax


@dataclass(frozen=True, eq=False)
class SobolResults(JourneyMapping):
    """Variance indices of every journey, addressable by name.

    Examples
    --------
    >>> import slosim as ss
    >>> a, b = ss.Component("a", unavailability=0.1), ss.Component("b", unavailability=0.2)
    >>> ss.sobol(ss.Model([ss.Journey(ss.series(a, b), name="both")]))
    SobolResults(journeys=1, events=2)
      both  variance=0.2016  largest Shapley: b (0.6786)
    """

    journeys: dict
    events: tuple
    given: dict = field(default_factory=dict)

    def __repr__(self):
        given = f", given={self.given!r}" if self.given else ""

        def row(r):
            name, value = r.top(n=1)[0]
            by = "Shapley" if r.shapley is not None else "ST"
            return f"variance={r.variance:.4g}  largest {by}: {name} ({_cell(value)})"

        return self._table(f"SobolResults(journeys={len(self.journeys)}, "
                           f"events={len(self.events)}{given})", row)

    def to_dict(self):
        """A JSON-safe dict: events, given and every journey's dict."""
        return {"events": list(self.events), "given": dict(self.given),
                "journeys": {k: v.to_dict() for k, v in self.journeys.items()}}

    def to_frame(self):
        """A :class:`pandas.DataFrame` with a (journey, event) index (needs pandas)."""
        pd = pandas()
        return pd.concat({j: r.to_frame() for j, r in self.journeys.items()},
                         names=["journey"])


def _cell(v):
    if np.isnan(v):
        return "nan"
    return f"{v:.4g}"


def _json(a):
    return [None if v != v else v for v in np.asarray(a, float).tolist()]
