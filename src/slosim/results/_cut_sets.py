"""The minimal cut sets of a journey, most probable first."""

from collections.abc import Sequence
from dataclasses import dataclass, field
import math

from ._base import pandas

__all__ = ["CutSet", "CutSets"]


@dataclass(frozen=True)
class CutSet:
    """One minimal cut set: events whose joint occurrence takes a journey down,
    none of which can be spared.

    Attributes
    ----------
    events : tuple of str
        Basic events (components, shocks), in the model's order.
    probability : float
        Probability that all of them happen (with a copula, jointly).
    order : int
        Number of events.
    """

    events: tuple
    probability: float
    order: int

    def to_dict(self):
        """A JSON-safe dict."""
        return {"events": list(self.events), "probability": self.probability,
                "order": self.order}


def _count(n):
    """An exact count, short: 12_345 or 1.23e+45."""
    if n < 10**12:
        return f"{n:_}"
    digits = str(n)
    return f"{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"


@dataclass(frozen=True, eq=False)
class CutSets(Sequence):
    """A journey's minimal cut sets, most probable first.

    A sequence of :class:`CutSet`. Built by :func:`~slosim.cut_sets`.

    Attributes
    ----------
    journey : str
    unavailability : float
        The journey's exact unavailability: the probability of the union of
        all its minimal cut sets.
    count : int
        Number of minimal cut sets the journey has (all of them, whatever
        was asked), exactly, however large. (An attribute: it takes the
        place of the ``count(value)`` method of sequences.)
    truncated : bool
        Whether fewer are listed than exist (``top``, ``cutoff``,
        ``max_order``).
    top, cutoff, max_order : int, float, int or None
        As asked.
    cut_sets : tuple of CutSet
        The cut sets listed, most probable first.
    total : float
        Sum of the listed cut sets' probabilities: with all of them, the
        rare-event approximation of the unavailability, an upper bound.

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", unavailability=1e-3)
    >>> db = ss.k_of_n(2, [ss.Component(n, unavailability=1e-2) for n in "abc"])
    >>> cs = ss.cut_sets(ss.series(web, db, name="checkout"))
    >>> cs
    CutSets(journey='checkout', unavailability=0.0012977, count=4, listed=4, total=0.0013)
      order  probability  events
      1      0.001        web
      2      0.0001       a, b
      2      0.0001       a, c
      2      0.0001       b, c
    >>> cs[1].events, cs[1].probability
    (('a', 'b'), 0.0001)
    """

    journey: str
    unavailability: float
    count: int = field()        # a field, not Sequence.count
    truncated: bool
    top: int | None
    cutoff: float | None
    max_order: int | None
    cut_sets: tuple

    def __getitem__(self, i):
        return self.cut_sets[i]

    def __len__(self):
        return len(self.cut_sets)

    @property
    def total(self):
        return math.fsum(c.probability for c in self.cut_sets)

    _SHOWN = 10
    _NAMES = 6

    def __repr__(self):
        asked = "".join(f", {k}={v!r}" for k, v in (
            ("top", self.top), ("cutoff", self.cutoff), ("max_order", self.max_order))
            if v is not None)
        head = (f"CutSets(journey={self.journey!r}, "
                f"unavailability={self.unavailability:.6g}, count={_count(self.count)}, "
                f"listed={len(self)}{asked}, total={self.total:.6g})")
        if not self.cut_sets:
            return head
        rows = [f"  {'order':<5}  {'probability':<11}  events"]
        for c in self.cut_sets[:self._SHOWN]:
            names = ", ".join(c.events[:self._NAMES])
            if c.order > self._NAMES:
                names += f", ... ({c.order - self._NAMES} more)"
            rows.append(f"  {c.order:<5}  {c.probability:<11.4g}  {names}")
        if len(self) > self._SHOWN:
            rows.append(f"  ... {len(self) - self._SHOWN} more")
        return "\n".join([head] + rows)

    def to_dict(self):
        """A JSON-safe dict: the journey's numbers and every listed cut set."""
        return {
            "journey": self.journey,
            "unavailability": self.unavailability,
            "count": self.count,
            "truncated": self.truncated,
            "top": self.top,
            "cutoff": self.cutoff,
            "max_order": self.max_order,
            "total": self.total,
            "cut_sets": [c.to_dict() for c in self.cut_sets],
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per cut set, ranked from 1
        (needs pandas)."""
        pd = pandas()
        return pd.DataFrame({
            "events": [c.events for c in self.cut_sets],
            "order": [c.order for c in self.cut_sets],
            "probability": [c.probability for c in self.cut_sets],
        }, index=pd.RangeIndex(1, len(self) + 1, name="rank"))
