"""Common-cause shocks: events that take several components down at once."""

from collections.abc import Sequence

from .._errors import ModelError
from .._validation import check_name, parse_probability, probability_float
from ._nodes import Node, Probability, check_members

__all__ = ["Shock"]


def shock_probability(name, value):
    """``value`` as the probability of shock ``name``, parsed as :class:`Shock`
    parses it (a float through its ``repr``; ``str``, ``Decimal`` and
    ``Fraction`` exactly; a :class:`ProbabilityError` naming the shock)."""
    owner = f"shock {name!r}"
    exact = parse_probability(owner, name, "probability", value)
    return probability_float(owner, name, "probability", value, exact, "the shock")


class Shock:
    """A common-cause shock: an event that takes every member down at once.

    A Marshall-Olkin shock [1]_ happens with probability ``probability``,
    independently of every component and every other shock; when it
    happens, each member is down whatever its own state. A zone outage, a
    bad deploy to every instance, a certificate that expires everywhere at
    once. A model may hold any number of shocks, overlapping freely.

    Parameters
    ----------
    name : str
        Unique within a model, and distinct from every node name.
    probability : float, str, Decimal or Fraction
        Probability that the shock happens, in [0, 1].
    members : sequence of Component, Service or str
        The components it takes down (a Service's own component), or their
        names; at least one, no repeats.

    Attributes
    ----------
    name : str
    probability : float
    members : tuple

    Notes
    -----
    Member ``i`` is down when its own failure or any of its shocks happens:
    its marginal unavailability becomes
    ``1 - (1 - q_i) * prod_s (1 - p_s)``. Both engines treat a shock as one
    more independent basic event in series with each member, so shocks cost
    the Monte Carlo engine only the hits drawn, and the exact engine one
    more variable.

    References
    ----------
    .. [1] A. W. Marshall and I. Olkin, "A multivariate exponential
       distribution", J. American Statistical Association 62 (1967).

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("api-a", unavailability=1e-3)
    >>> b = ss.Component("api-b", unavailability=1e-3)
    >>> zone = ss.Shock("zone-a", 1e-4, members=[a, b])
    >>> model = ss.Model(ss.parallel(a, b, name="api"), shocks=[zone])
    >>> ss.exact(model)["api"].unavailability  # 1e-4 + (1 - 1e-4) * 1e-6
    0.0001009999
    """

    __slots__ = ("_name", "_p", "_members")

    def __init__(self, name: str, probability: Probability,
                 members: Sequence[Node | str]) -> None:
        self._name = check_name(name, "Shock", required=True)
        owner = f"shock {name!r}"
        self._p = shock_probability(name, probability)
        members = check_members(owner, name, members)
        if not members:
            raise ModelError(f"{owner} has no members; it needs at least one", name)
        self._members = members

    @property
    def name(self):
        return self._name

    @property
    def probability(self):
        return self._p

    @property
    def members(self):
        return self._members

    def __repr__(self):
        names = ", ".join(repr(m if isinstance(m, str) else m.name)
                          for m in self._members[:4])
        if len(self._members) > 4:
            names += f", ... ({len(self._members)} members)"
        return f"Shock({self._name!r}, {self._p!r}, members=[{names}])"
