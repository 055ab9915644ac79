"""Common-cause shocks: events that take several components down at once."""

from collections.abc import Sequence

from .._errors import ModelError
from .._validation import check_name, parse_probability, probability_float
from ._nodes import Node, Probability, check_members
from ._uncertain import Distribution, probability_distribution

__all__ = ["Shock"]


def shock_probability(name, value):
    """``value`` as the probability of shock ``name``, parsed as :class:`Shock`
    parses it (a float through its ``repr``; ``str``, ``Decimal`` and
    ``Fraction`` exactly; a distribution on [0, 1] as its mean; a
    :class:`ProbabilityError` naming the shock)."""
    return _given(name, value)[0]


def _given(name, value):
    """``(p, distribution)``: the probability and the distribution (or None)."""
    owner = f"shock {name!r}"
    if isinstance(value, Distribution):
        dist = probability_distribution(owner, name, "probability", value)
        return dist.mean, dist
    exact = parse_probability(owner, name, "probability", value)
    return probability_float(owner, name, "probability", value, exact,
                             "the shock"), None


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
    probability : float, str, Decimal, Fraction or Distribution
        Probability that the shock happens, in [0, 1]; a
        :class:`~slosim.model.Distribution` on [0, 1] (an uncertain
        probability) stands for its mean.
    members : sequence of Component, Service or str
        The components it takes down (a Service's own component), or their
        names; at least one, no repeats.

    Attributes
    ----------
    name : str
    probability : float
        The number every engine uses (the mean, for a distribution).
    members : tuple
    distribution : Distribution or None
        The distribution given, or None for a number.
    distribution_of : {'probability', None}
        ``'probability'`` when ``distribution`` is given.

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

    An uncertain probability, from a generic estimate with an error factor
    (the engines use its mean):

    >>> lognormal = ss.model.LogNormal.from_error_factor(1e-4, 3)
    >>> zone = ss.Shock("zone-a", lognormal, members=[a, b])
    >>> zone.distribution_of, round(zone.probability, 10)
    ('probability', 0.0001249884)
    """

    __slots__ = ("_name", "_p", "_dist", "_members")

    def __init__(self, name: str, probability: Probability,
                 members: Sequence[Node | str]) -> None:
        self._name = check_name(name, "Shock", required=True)
        self._p, self._dist = _given(name, probability)
        self._members = self._checked_members(members)

    def _checked_members(self, members):
        owner = f"shock {self._name!r}"
        members = check_members(owner, self._name, members)
        if not members:
            raise ModelError(f"{owner} has no members; it needs at least one",
                             self._name)
        return members

    @property
    def name(self):
        return self._name

    @property
    def probability(self):
        return self._p

    @property
    def members(self):
        return self._members

    @property
    def distribution(self):
        return self._dist

    @property
    def distribution_of(self):
        return None if self._dist is None else "probability"

    def with_members(self, members):
        """This shock over other members, with everything else kept.

        Parameters
        ----------
        members : sequence of Component, Service or str
            At least one, no repeats.

        Returns
        -------
        Shock
            A new shock of this one's class, with the same name, probability
            (and distribution) and, for a shock of a common-cause group, the
            same tie to the group's parameters; this one is unchanged.

        Raises
        ------
        ModelError
            Naming the shock, if ``members`` is empty, repeats one or holds
            something that is not a component, service or name.

        See Also
        --------
        Model.replace, Model.resolve : use it to move shocks onto rebuilt
            or remaining components.

        Examples
        --------
        >>> import slosim as ss
        >>> zone = ss.Shock("zone", 1e-4, members=["a", "b", "c"])
        >>> zone.with_members(["a", "c"])
        Shock('zone', 0.0001, members=['a', 'c'])
        """
        members = self._checked_members(members)
        # A new shock of this class from this one's parts, members aside
        new = object.__new__(type(self))
        for cls in type(self).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                object.__setattr__(new, slot,
                                   members if slot == "_members" else getattr(self, slot))
        return new

    def __repr__(self):
        names = ", ".join(repr(m if isinstance(m, str) else m.name)
                          for m in self._members[:4])
        if len(self._members) > 4:
            names += f", ... ({len(self._members)} members)"
        p = self._p if self._dist is None else self._dist
        return f"Shock({self._name!r}, {p!r}, members=[{names}])"
