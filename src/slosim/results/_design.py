"""The result of a design choice: one option per choice, and what it gives."""

from collections.abc import Mapping
from dataclasses import dataclass

from ._base import pandas

__all__ = ["DesignResult"]


@dataclass(frozen=True, eq=False)
class DesignResult(Mapping):
    """A design: one option per choice, its resources and its journeys.

    A read-only mapping choice name -> the chosen option's label. Built by
    :func:`~slosim.choose`.

    Attributes
    ----------
    choices : dict
        Choice name -> the chosen option's label.
    resources : dict
        Resource name -> the design's total (``cost`` and every other
        resource an option names).
    journeys : dict
        Journey name -> exact availability of the design.
    objective : str
        What was optimised: ``'minimize cost'``, ``'maximize checkout'``...
    value : float
        The optimised quantity at the design (a resource total, or a
        journey's availability).
    optimal : bool
        Whether the design is proven optimal (to ``gap``).
    gap : float
        Relative gap between the design and the best bound when the search
        stopped, 0 when proven optimal: ``(value - bound) / value`` of the
        resource minimised, or of the journey's unavailability when
        maximising its availability (for the MILP, of its log).
    method : str
        ``'milp'`` (every journey's availability factorises over the
        choices: a mixed-integer linear programme, solved exactly by
        scipy.optimize.milp) or ``'branch and bound'`` (with the exact
        engine bounding each open choice by its options in parallel).
    nodes : int
        Subproblems solved (branch-and-bound nodes, or MILP nodes).
    message : str

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("zone-a", availability=0.999)
    >>> b = ss.Component("zone-b", availability=0.999)
    >>> zones = ss.Choice("zones", [ss.Option("one", a, cost=1.0),
    ...                             ss.Option("two", ss.parallel(a, b), cost=2.0)])
    >>> model = ss.Model(ss.Journey(ss.series(ss.Component("web", availability=0.9999),
    ...                                       zones, name="checkout"), target=0.9995))
    >>> design = ss.choose(model)
    >>> design
    DesignResult(minimize cost = 2.0, optimal, method='milp', choices=1)
      zones  two
    >>> round(design.journeys["checkout"], 9)
    0.999899
    >>> ss.exact(design.apply())["checkout"].availability
    0.999899000099
    """

    model: object
    choices: dict
    resources: dict
    journeys: dict
    objective: str
    value: float
    optimal: bool
    gap: float
    method: str
    nodes: int
    message: str

    def __getitem__(self, name):
        try:
            return self.choices[name]
        except KeyError:
            raise KeyError(f"{name!r} is no choice of the design (choices: "
                           f"{', '.join(map(repr, list(self.choices)[:8]))})") from None

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def apply(self):
        """The model with this design's choices made (:meth:`Model.resolve
        <slosim.Model.resolve>`)."""
        return self.model.resolve(self.choices)

    _SHOWN = 10

    def __repr__(self):
        proof = "optimal" if self.optimal else f"gap {self.gap:.2g}"
        head = (f"DesignResult({self.objective} = {float(self.value)!r}, {proof}, "
                f"method={self.method!r}, choices={len(self)})")
        names = list(self.choices)[:self._SHOWN]
        width = max(len(n) for n in names) if names else 0
        rows = [f"  {n:<{width}}  {self.choices[n]}" for n in names]
        if len(self) > self._SHOWN:
            rows.append(f"  ... {len(self) - self._SHOWN} more")
        return "\n".join([head] + rows)

    def to_dict(self):
        """A JSON-safe dict of the design (the model itself is left out)."""
        return {
            "choices": dict(self.choices),
            "resources": dict(self.resources),
            "journeys": dict(self.journeys),
            "objective": self.objective,
            "value": self.value,
            "optimal": self.optimal,
            "gap": self.gap,
            "method": self.method,
            "nodes": self.nodes,
            "message": self.message,
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per choice (needs pandas)."""
        pd = pandas()
        return pd.DataFrame({"option": list(self.choices.values())},
                            index=pd.Index(list(self.choices), name="choice"))
