"""Common-cause shocks: events that take several components down at once."""

from collections.abc import Sequence
import math

from .._errors import ModelError, ProbabilityError
from .._validation import (
    check_name,
    format_duration,
    parse_probability,
    probability_float,
    rate_per_second,
)
from ._nodes import Node, Probability, check_members
from ._time import Fixed, Incidents, TimeBehaviour, duration_distribution
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
    if value is None:
        raise ProbabilityError(f"{owner}: give a probability in [0, 1], or a rate= "
                               f"and a duration=", name)
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
    probability : float, str, Decimal, Fraction or Distribution, optional
        Probability that the shock happens, in [0, 1]; a
        :class:`~slosim.model.Distribution` on [0, 1] (an uncertain
        probability) stands for its mean.
    members : sequence of Component, Service or str
        The components it takes down (a Service's own component), or their
        names; at least one, no repeats.
    rate, duration : optional
        Instead of ``probability``, a behaviour over time: occurrences
        arrive as a Poisson process of ``rate`` (``"1/365d"``, or per
        second) and each takes every member down for ``duration`` (a
        duration, or a distribution of durations), all members for the
        same stretch of time. The probability the engines use is then the
        long-run fraction of time at least one occurrence is in progress,
        ``1 - exp(-rate * E[duration])``.

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
    behaviour : TimeBehaviour or None
        For a shock given by ``rate`` and ``duration``: one class of
        :class:`~slosim.Incidents` of error ratio 1.

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

    Over time: a zone outage once a year, lasting two hours:

    >>> zone = ss.Shock("zone-a", rate="1/365d", duration="2h", members=[a, b])
    >>> zone
    Shock('zone-a', rate='1/365d', duration='2h', members=['api-a', 'api-b'])
    >>> round(zone.probability, 10)             # 1 - exp(-2 h / 365 d)
    0.0002282844
    """

    __slots__ = ("_name", "_p", "_dist", "_members", "_time", "_rate_text")

    def __init__(self, name: str, probability: Probability | None = None,
                 members: Sequence[Node | str] | None = None, *, rate=None,
                 duration=None) -> None:
        self._name = check_name(name, "Shock", required=True)
        owner = f"shock {self._name!r}"
        self._time = self._rate_text = None
        if rate is not None or duration is not None:
            if rate is None or duration is None:
                raise ModelError(f"{owner}: give both rate= and duration=", self._name)
            if probability is not None:
                raise ModelError(f"{owner}: give a probability or a rate and a "
                                 f"duration, not both: the probability follows from "
                                 f"them", self._name)
            rate_per_second(rate, "rate", "Shock")
            duration = duration_distribution(duration, "duration", "Shock")
            self._time = TimeBehaviour(incidents=[Incidents(rate, duration)])
            self._rate_text = rate if isinstance(rate, str) else None
            self._p, self._dist = -math.expm1(-self._time.incidents[0].load), None
        else:
            self._p, self._dist = _given(name, probability)
        if members is None:
            raise ModelError(f"{owner} has no members; it needs at least one",
                             self._name)
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

    @property
    def behaviour(self):
        return self._time

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
        if self._time is not None:
            c = self._time.incidents[0]
            rate = repr(self._rate_text) if self._rate_text else f"{c.rate:.6g}"
            d = (repr(format_duration(c.duration.value)) if isinstance(c.duration, Fixed)
                 else repr(c.duration))
            return (f"Shock({self._name!r}, rate={rate}, duration={d}, "
                    f"members=[{names}])")
        p = self._p if self._dist is None else self._dist
        return f"Shock({self._name!r}, {p!r}, members=[{names}])"
