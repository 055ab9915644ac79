"""Exact results: one journey's availability with every component's
conditionals, and a model's journeys."""

from dataclasses import dataclass, field

import numpy as np

from ._base import JourneyMapping, pandas

__all__ = ["ExactResult", "ExactResults", "birnbaum_importance"]


def birnbaum_importance(availability_if_up, availability_if_down, unavailability_if_up,
                        unavailability_if_down, small, coherent):
    """Birnbaum importance from the conditionals: ``U(i down) - U(i up)``
    where ``small`` (the unavailability is the smaller, so its pair keeps
    more digits), else ``R(i up) - R(i down)``; each conditional clipped to
    [0, 1] first (sums of products of probabilities can round past 1 by an
    ulp), and a coherent journey's never below 0 (with a negation, failing
    may truly help)."""
    def clip(a):
        return np.clip(a, 0.0, 1.0)

    b = np.where(small, clip(unavailability_if_down) - clip(unavailability_if_up),
                 clip(availability_if_up) - clip(availability_if_down))
    return np.maximum(b, 0.0) if coherent else b


@dataclass(frozen=True, eq=False)
class ExactResult:
    """Exact availability of one journey, with every component's conditionals.

    Attributes
    ----------
    journey : str
    availability : float
        Probability that the journey is up.
    unavailability : float
        Probability that it is down, computed directly (not as
        ``1 - availability``): tiny values keep their digits.
    target : float or None
        The journey's availability target, if the model gives one.
    components : tuple of str
        Every basic event of the model: its components in model order, then
        its shocks; the arrays below are aligned with it (for a shock,
        "up" means it does not happen).
    availability_if_up, availability_if_down : ndarray
        Journey availability with the component forced up / forced down.
    unavailability_if_up, unavailability_if_down : ndarray
        The same in unavailability, computed directly.
    birnbaum : ndarray
        Birnbaum importance ``R(i up) - R(i down)``, the derivative of the
        availability in the component's availability; 0 for components the
        journey does not depend on, negative for one whose failure helps
        the journey (only with a negation).
    coherent : bool
        Whether the model has no negation (:func:`~slosim.negate`).

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("a", unavailability=1e-3)
    >>> b = ss.Component("b", unavailability=1e-3)
    >>> r = ss.exact(ss.parallel(a, b, name="pair"))["pair"]
    >>> r
    ExactResult(journey='pair', availability=0.999999, unavailability=1e-06, components=2)
    >>> r.unavailability_if_down.tolist()
    [0.001, 0.001]
    """

    journey: str
    availability: float
    unavailability: float
    target: float | None
    components: tuple
    availability_if_up: np.ndarray
    availability_if_down: np.ndarray
    unavailability_if_up: np.ndarray
    unavailability_if_down: np.ndarray
    coherent: bool = True

    @property
    def birnbaum(self):
        return birnbaum_importance(self.availability_if_up, self.availability_if_down,
                                   self.unavailability_if_up, self.unavailability_if_down,
                                   self.unavailability < self.availability, self.coherent)

    def __repr__(self):
        target = f", target={self.target!r}" if self.target is not None else ""
        return (f"ExactResult(journey={self.journey!r}, "
                f"availability={self.availability:.12g}, "
                f"unavailability={self.unavailability:.12g}, "
                f"components={len(self.components)}{target})")

    def to_dict(self):
        """A JSON-safe dict; per-component values as lists in ``components`` order."""
        return {
            "journey": self.journey,
            "availability": self.availability,
            "unavailability": self.unavailability,
            "target": self.target,
            "components": list(self.components),
            "availability_if_up": self.availability_if_up.tolist(),
            "availability_if_down": self.availability_if_down.tolist(),
            "unavailability_if_up": self.unavailability_if_up.tolist(),
            "unavailability_if_down": self.unavailability_if_down.tolist(),
            "birnbaum": self.birnbaum.tolist(),
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per component (needs pandas)."""
        pd = pandas()
        return pd.DataFrame({
            "availability_if_up": self.availability_if_up,
            "availability_if_down": self.availability_if_down,
            "unavailability_if_up": self.unavailability_if_up,
            "unavailability_if_down": self.unavailability_if_down,
            "birnbaum": self.birnbaum,
        }, index=pd.Index(self.components, name="component"))


@dataclass(frozen=True, eq=False)
class ExactResults(JourneyMapping):
    """Exact results of every journey of a model, addressable by name.

    Attributes
    ----------
    journeys : dict
        Journey name -> :class:`ExactResult`, in model order.
    components : tuple of str
        The model's components then shocks, in the order of every result's
        arrays.
    bdd_nodes : int
        Nodes of the shared decision diagram (terminals included).
    given : dict
        Basic event -> ``'up'`` or ``'down'``: the events the run forced
        (``given=``), empty when none.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=[db])
    >>> api = ss.Service("api", availability=0.9998, requires=[db])
    >>> res = ss.exact(ss.Model([web, api]))
    >>> res
    ExactResults(journeys=2, components=3, bdd_nodes=7)
      web  availability=0.9985005  unavailability=0.0014995
      api  availability=0.9988002  unavailability=0.0011998
    """

    journeys: dict
    components: tuple
    bdd_nodes: int
    given: dict = field(default_factory=dict)

    def __repr__(self):
        given = f", given={self.given!r}" if self.given else ""
        return self._table(
            f"ExactResults(journeys={len(self.journeys)}, "
            f"components={len(self.components)}, bdd_nodes={self.bdd_nodes}{given})",
            lambda r: f"availability={r.availability:.12g}  "
                      f"unavailability={r.unavailability:.12g}")

    def to_dict(self):
        """A JSON-safe dict: components, bdd_nodes and every journey's dict."""
        return {
            "components": list(self.components),
            "bdd_nodes": int(self.bdd_nodes),
            "given": dict(self.given),
            "journeys": {k: v.to_dict() for k, v in self.journeys.items()},
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per journey (needs pandas)."""
        pd = pandas()
        rows = [{"journey": r.journey, "availability": r.availability,
                 "unavailability": r.unavailability, "target": r.target}
                for r in self.journeys.values()]
        return pd.DataFrame(rows).set_index("journey")
