"""The nodes of a model: components, gates, services, journeys.

A model is a directed acyclic graph. Leaves are :class:`Component` objects,
each up with probability ``availability`` independently of the others; inner
nodes are gates (:func:`series`, :func:`parallel`, :func:`k_of_n`,
:func:`negate`) and
:class:`Service` objects. Using one node object in several places is a
*shared dependency*: every place sees the same random state, which is the
first and simplest way to model correlated failure.

A child may also be given by name (a ``str``); names are resolved when the
:class:`~slosim.Model` is built, against every named node reachable from its
journeys and any extra ``nodes=`` it is given.

Nodes say what the user wrote; what they mean for the engines (a Service is
its own component in series with its requirements) is written once, in
:func:`slosim.model.lower`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
import numbers

from .._errors import (
    AvailabilitySpecError,
    EmptyGateError,
    GateArityError,
    JourneyError,
    ModelError,
)
from .._validation import check_name, parse_probability, probability_float
from ._time import describe_behaviour, mean_error_ratio, time_behaviour
from ._uncertain import Distribution, probability_distribution

#: A probability as accepted by Component and Service.
Probability = float | str | Decimal | Fraction | Distribution

__all__ = [
    "Node",
    "Component",
    "Gate",
    "Service",
    "Journey",
    "series",
    "parallel",
    "k_of_n",
    "negate",
]


def _given(kind, name, availability, unavailability):
    """``(q, distribution, quantity)`` from exactly one of the two specs.

    ``q`` is the unavailability. A float availability is read through its
    shortest decimal representation (``repr``), so ``availability=0.9999999``
    gives ``q`` exactly ``1e-07``: the digits the user wrote, not those of
    ``1 - 0.9999999`` in binary. ``str``, ``Decimal`` and ``Fraction`` are
    taken exactly. A :class:`Distribution` (on [0, 1]) gives its mean:
    ``q = E[1 - A]`` (``complement_mean``) for an availability, ``E[Q]``
    for an unavailability; ``distribution`` and ``quantity`` (which of the
    two it describes) are None for a number.
    """
    owner = f"{kind} {name!r}"
    if (availability is None) == (unavailability is None):
        which = "both" if availability is not None else "neither"
        raise AvailabilitySpecError(
            f"{owner}: give exactly one of availability= and unavailability= "
            f"(got {which})",
            name,
        )
    key = "availability" if availability is not None else "unavailability"
    value = availability if availability is not None else unavailability
    if isinstance(value, Distribution):
        dist = probability_distribution(owner, name, key, value)
        return (dist.complement_mean if key == "availability" else dist.mean,
                dist, key)
    exact = parse_probability(owner, name, key, value)
    return (probability_float(owner, name, key, value,
                              1 - exact if key == "availability" else exact,
                              "the component"), None, None)


def _own(kind, name, availability, unavailability, time):
    """``(q, distribution, quantity, behaviour)``: a component's (or
    service's) own part, from a probability (see ``_given``) or from its
    behaviour over time (``time``: the mttf/mttr, up/down and incidents
    keywords), whose long-run mean error ratio is ``q``."""
    owner = f"{kind} {name!r}"
    behaviour = time_behaviour(owner, name, **time)
    if behaviour is None:
        if availability is None and unavailability is None:
            raise AvailabilitySpecError(
                f"{owner}: give exactly one of availability= and unavailability= "
                f"(got neither), or a behaviour over time (mttf= and mttr=, up= and "
                f"down=, incidents=)", name)
        return (*_given(kind, name, availability, unavailability), None)
    if availability is not None or unavailability is not None:
        raise AvailabilitySpecError(
            f"{owner}: give an availability or a behaviour over time (mttf=, mttr=, "
            f"up=, down=, incidents=), not both: the availability follows from the "
            f"behaviour", name)
    return mean_error_ratio(behaviour), None, None, behaviour


def _unavailability(kind, name, availability, unavailability):
    """The unavailability from exactly one of the two specs (see ``_given``),
    refused as the constructors refuse it."""
    return _own(kind, name, availability, unavailability, {})[0]


def own_probability(leaf):
    """The keyword arguments that build ``leaf``'s own part again (a
    Component or Service): its behaviour over time, its distribution under
    the quantity it describes, or its unavailability."""
    if leaf.behaviour is not None:
        b = leaf.behaviour
        return {"up": b.up, "down": b.down, "incidents": b.incidents or None}
    if leaf.distribution is not None:
        return {leaf.distribution_of: leaf.distribution}
    return {"unavailability": leaf.unavailability}


def _repr_probability(q, distribution, quantity):
    """``availability=...`` or ``unavailability=...`` for a repr."""
    if distribution is not None:
        return f"{quantity}={distribution!r}"
    if q != 0 and q < 1e-4:
        return f"unavailability={q!r}"
    return f"availability={_fmt_avail(q)}"


def _check_children(children, owner):
    out = []
    for i, child in enumerate(children):
        if isinstance(child, str):
            check_name(child, f"{owner}: child {i}", required=True)
        elif not isinstance(child, Node):
            raise ModelError(
                f"{owner}: child {i} must be a Component, gate, Service or a "
                f"node name (str), got {type(child).__name__} {child!r}",
                owner,
            )
        out.append(child)
    return tuple(out)


def describe(node):
    """A short label for messages: the name, or the gate's kind and children."""
    if isinstance(node, str):
        return repr(node)
    if node.name is not None:
        return repr(node.name)
    kids = ", ".join(
        repr(c) if isinstance(c, str) else
        (repr(c.name) if c.name is not None else f"unnamed {c.kind}")
        for c in node.children[:3]
    )
    more = ", ..." if len(node.children) > 3 else ""
    return f"unnamed {node.kind}({kids}{more})"


class Node:
    """Base class of the nodes of a model; not instantiated directly.

    Nodes are immutable and compare by identity: the same object in two
    places is one shared dependency, two objects are two independent ones.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> isinstance(db, ss.Node), isinstance(ss.series(db, name="j"), ss.Node)
    (True, True)
    >>> db == ss.Component("db", availability=0.999)  # another component
    False
    """

    __slots__ = ()
    kind = "node"

    @property
    def children(self):
        """The children, as given (nodes or name references)."""
        return ()


class _OwnPart:
    """The read-only attributes of a leaf's own part, shared by
    :class:`Component` and :class:`Service` (each keeps ``_name``, ``_q``,
    ``_dist``, ``_of`` and ``_time`` in its slots)."""

    __slots__ = ()

    @property
    def name(self):
        return self._name

    @property
    def unavailability(self):
        return self._q

    @property
    def availability(self):
        return 1.0 - self._q

    @property
    def distribution(self):
        return self._dist

    @property
    def distribution_of(self):
        return self._of

    @property
    def behaviour(self):
        return self._time


class Component(_OwnPart, Node):
    """A leaf of the model: up with probability ``availability``.

    Parameters
    ----------
    name : str
        Unique within a model.
    availability, unavailability : float, str, Decimal, Fraction or Distribution
        Exactly one of the two, a probability in [0, 1]. The unavailability
        ``q = 1 - availability`` is the number stored, so that
        ``unavailability=1e-12`` keeps every digit; a float availability is
        read through its shortest decimal form, so ``availability=0.9999999``
        stores exactly ``1e-07``. A :class:`~slosim.model.Distribution` on
        [0, 1] (an uncertain parameter, such as
        :meth:`Beta.from_counts <slosim.model.Beta.from_counts>`) stands
        for its mean: ``q = E[1 - A]`` for an availability, ``E[Q]`` for an
        unavailability.
    mttf, mttr : str, datetime.timedelta or float, optional
        Instead of an availability, a behaviour over time: exponential up
        times of mean ``mttf`` and down times of mean ``mttr``, alternating
        (durations: ``"30d"``, a timedelta, or seconds). The availability is
        then ``mttf / (mttf + mttr)``.
    up, down : Distribution, optional
        Instead of ``mttf``/``mttr``: distributions of the up and down
        times (:class:`~slosim.Exponential`, :class:`~slosim.Weibull`,
        :class:`~slosim.Fixed`, :meth:`LogNormal.from_median
        <slosim.model.LogNormal.from_median>`).
    incidents : sequence of Incidents, optional
        Classes of incidents (Poisson arrivals, random durations, each
        failing a fraction of requests), alone or on top of up and down
        times. See :mod:`slosim.model._time` for the long-run error ratio
        the engines then use.

    Attributes
    ----------
    name : str
    unavailability : float
        Probability that the component is down (the mean, for a
        distribution; the long-run mean error ratio, for a behaviour over
        time): the number every engine uses.
    availability : float
        ``1 - unavailability`` (rounded to float).
    distribution : Distribution or None
        The distribution given, or None for a number.
    distribution_of : {'availability', 'unavailability', None}
        Which quantity ``distribution`` describes.
    behaviour : TimeBehaviour or None
        Its behaviour over time (up and down times, incident classes), or
        None when only an availability is given.

    Raises
    ------
    AvailabilitySpecError
        If both or neither of availability and unavailability are given,
        or an availability and a behaviour over time.
    ModelError
        If ``mttf`` comes without ``mttr`` (``up`` without ``down``), or
        both pairs are given.
    ProbabilityError
        If the value is not a number in [0, 1] (NaN included), or a
        distribution whose support is not within [0, 1].

    See Also
    --------
    Service : a component with hard dependencies.

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.9995)
    >>> web
    Component('web', availability=0.9995)
    >>> ss.Component("hsm", availability=0.9999999).unavailability
    1e-07

    From probe counts, an uncertain availability (the engines use its mean):

    >>> probe = ss.Component("api", availability=ss.model.Beta.from_counts(
    ...     good=9990, bad=10))
    >>> probe
    Component('api', availability=Beta(9990.5, 10.5))
    >>> probe.unavailability, probe.distribution_of
    (0.0010498950104989502, 'availability')

    Over time, from its failure and repair times (the engines use the
    long-run availability ``mttf / (mttf + mttr)``):

    >>> db = ss.Component("db", mttf="30d", mttr="1h")
    >>> db
    Component('db', mttf='30d', mttr='1h')
    >>> db.unavailability == 1 / 721
    True
    """

    __slots__ = ("_name", "_q", "_dist", "_of", "_time")
    kind = "component"

    def __init__(self, name: str, *, availability: Probability | None = None,
                 unavailability: Probability | None = None, mttf=None, mttr=None,
                 up=None, down=None, incidents=None) -> None:
        self._name = check_name(name, "Component", required=True)
        self._q, self._dist, self._of, self._time = _own(
            "component", name, availability, unavailability,
            {"mttf": mttf, "mttr": mttr, "up": up, "down": down, "incidents": incidents})

    def __repr__(self):
        own = (describe_behaviour(self._time) if self._time is not None
               else _repr_probability(self._q, self._dist, self._of))
        return f"Component({self._name!r}, {own})"


def _fmt_avail(q):
    """Format 1 - q with the digits q carries (no binary noise)."""
    return str(1 - Decimal(repr(q))) if q else "1.0"


class Gate(Node):
    """A gate over child nodes; build with :func:`series`, :func:`parallel`,
    :func:`k_of_n` or :func:`negate`.

    Attributes
    ----------
    name : str or None
    kind : {'series', 'parallel', 'k_of_n', 'not'}
    children : tuple
        Child nodes or name references (exactly one for ``'not'``).
    k : int
        Number of children that must be up for the gate to be up
        (``len(children)`` for series, 1 for parallel); 1 and meaningless
        for ``'not'``, which is up when its child is down.

    Examples
    --------
    >>> import slosim as ss
    >>> replicas = [ss.Component(f"db-{i}", availability=0.998) for i in range(3)]
    >>> db = ss.k_of_n(2, replicas, name="db")
    >>> db.kind, db.k, len(db.children)
    ('k_of_n', 2, 3)
    """

    __slots__ = ("_name", "_kind", "_children", "_k")

    def __init__(self, kind, children, k, name=None):
        if kind not in ("series", "parallel", "k_of_n", "not"):
            raise ValueError(f"unknown gate kind {kind!r}")
        self._name = check_name(name, f"{kind} gate", required=False)
        self._kind = kind
        label = f"{kind} gate {name!r}" if name is not None else f"unnamed {kind} gate"
        self._children = _check_children(children, label)
        if not self._children:
            raise EmptyGateError(f"{label} has no children; it needs at least one",
                                 name)
        n = len(self._children)
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise GateArityError(f"{label}: k must be an int in 1..{n}, got {k!r}", name)
        k = int(k)
        if not 1 <= k <= n:
            raise GateArityError(
                f"{label}: k must be in 1..{n} (the number of children), got {k}",
                name,
            )
        if kind == "not" and n != 1:
            raise GateArityError(
                f"{label}: a negation has exactly one child, got {n}", name)
        self._k = k

    @property
    def name(self):
        """The gate's name, or None."""
        return self._name

    @property
    def kind(self):
        """``'series'``, ``'parallel'``, ``'k_of_n'`` or ``'not'``."""
        return self._kind

    @property
    def children(self):
        """The children, as given (nodes or name references)."""
        return self._children

    @property
    def k(self):
        """Children that must be up for the gate to be up."""
        return self._k

    def __repr__(self):
        kids = ", ".join(describe(c) for c in self._children[:4])
        if len(self._children) > 4:
            kids += f", ... ({len(self._children)} children)"
        name = f", name={self._name!r}" if self._name is not None else ""
        if self._kind == "k_of_n":
            return f"k_of_n({self._k}, [{kids}]{name})"
        if self._kind == "not":
            return f"negate({kids}{name})"
        return f"{self._kind}({kids}{name})"


def series(*children: Node | str, name: str | None = None) -> Gate:
    """A series gate: up only when every child is up (logical AND).

    Parameters
    ----------
    *children : Node or str
        At least one child; a ``str`` is a name resolved by the model.
    name : str, optional

    Returns
    -------
    Gate

    Notes
    -----
    For independent children, availability is the product of the children's
    availabilities, ``R = prod(1 - q_i)``; in unavailability,
    ``Q = -expm1(sum(log1p(-q_i)))``, the form that keeps the digits of
    tiny ``q_i``.

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.9995)
    >>> db = ss.Component("db", availability=0.999)
    >>> ss.series(web, db, name="checkout")
    series('web', 'db', name='checkout')
    """
    return Gate("series", children, len(children) if children else 1, name)


def parallel(*children: Node | str, name: str | None = None) -> Gate:
    """A parallel (redundant) gate: up when at least one child is up (OR).

    Parameters
    ----------
    *children : Node or str
        At least one child; a ``str`` is a name resolved by the model.
    name : str, optional

    Returns
    -------
    Gate

    Notes
    -----
    For independent children, unavailability is the product of the
    children's unavailabilities.

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("db-a", unavailability=1e-3)
    >>> b = ss.Component("db-b", unavailability=1e-3)
    >>> ss.parallel(a, b, name="db")
    parallel('db-a', 'db-b', name='db')
    """
    return Gate("parallel", children, 1, name)


def k_of_n(k: int, children: Sequence[Node | str], *,
           name: str | None = None) -> Gate:
    """A k-out-of-n gate: up when at least ``k`` of its children are up.

    Parameters
    ----------
    k : int
        In ``1..len(children)``; ``k = 1`` is :func:`parallel`,
        ``k = len(children)`` is :func:`series`.
    children : sequence of Node or str
    name : str, optional

    Returns
    -------
    Gate

    Raises
    ------
    GateArityError
        If ``k`` is not an int in ``1..len(children)``.
    EmptyGateError
        If ``children`` is empty.

    Notes
    -----
    For independent children the availability is a Poisson-binomial tail,
    ``P(sum_i X_i >= k)`` with ``X_i ~ Bernoulli(r_i)``. Both engines
    evaluate it without enumerating subsets.

    Examples
    --------
    >>> import slosim as ss
    >>> replicas = [ss.Component(f"db-{i}", availability=0.998) for i in range(3)]
    >>> ss.k_of_n(2, replicas, name="db")
    k_of_n(2, ['db-0', 'db-1', 'db-2'], name='db')
    """
    if isinstance(children, (str, Node)):
        raise ModelError(
            f"k_of_n gate {name!r}: children must be a sequence of nodes, "
            f"got a single {type(children).__name__}",
            name,
        )
    return Gate("k_of_n", tuple(children), k, name)


def negate(child: Node | str, *, name: str | None = None) -> Gate:
    """A negation (logical NOT): up exactly when ``child`` is down.

    Parameters
    ----------
    child : Node or str
        One node; a ``str`` is a name resolved by the model.
    name : str, optional

    Returns
    -------
    Gate
        Of kind ``'not'``.

    Notes
    -----
    A model with a negation is *non-coherent*: bringing a component down
    can bring a journey up. Both engines evaluate it exactly (the
    availability of ``negate(x)`` is the unavailability of ``x``), and
    importance measures stay exact, but a Birnbaum importance may then be
    negative. What needs coherent logic refuses such a model with a clear
    error: minimal cut sets, allocation, and the timeline engine.

    Examples
    --------
    >>> import slosim as ss
    >>> standby = ss.Component("standby", availability=0.99)
    >>> ss.negate(standby, name="standby-idle")
    negate('standby', name='standby-idle')
    """
    if not isinstance(child, (str, Node)):
        raise ModelError(
            f"negation {name!r}: the child must be a Component, gate, Service or a "
            f"node name (str), got {type(child).__name__} {child!r}", name)
    return Gate("not", (child,), 1, name)


class Service(_OwnPart, Node):
    """A service: its own failures in series with its hard dependencies.

    ``Service(name, availability=a, requires=[d1, d2])`` is up exactly when
    its own component (availability ``a``) and every required node are up:
    ``series(Component(name, a), d1, d2)``, written the way service owners
    describe their systems.

    Parameters
    ----------
    name : str
        The service's name; also the name of its own component.
    availability, unavailability : float, str, Decimal, Fraction or Distribution
        Exactly one: the service's own availability, excluding dependencies
        (a distribution stands for its mean, as for :class:`Component`).
    mttf, mttr, up, down, incidents : optional
        Instead, its own behaviour over time, as for :class:`Component`.
    requires : sequence of Node or str, optional
        Hard dependencies: nodes or names of nodes.

    Attributes
    ----------
    name, availability, unavailability, distribution, distribution_of, behaviour
        As for :class:`Component` (the service's own part).
    requires : tuple

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> api = ss.Service("api", availability=0.9995, requires=[db])
    >>> api
    Service('api', availability=0.9995, requires=['db'])
    """

    __slots__ = ("_name", "_q", "_dist", "_of", "_time", "_requires")
    kind = "service"

    def __init__(self, name: str, *, availability: Probability | None = None,
                 unavailability: Probability | None = None,
                 requires: Sequence[Node | str] = (), mttf=None, mttr=None, up=None,
                 down=None, incidents=None) -> None:
        self._name = check_name(name, "Service", required=True)
        self._q, self._dist, self._of, self._time = _own(
            "service", name, availability, unavailability,
            {"mttf": mttf, "mttr": mttr, "up": up, "down": down, "incidents": incidents})
        if isinstance(requires, (str, Node)):
            requires = (requires,)
        self._requires = _check_children(requires, f"service {name!r}")

    @property
    def requires(self):
        return self._requires

    @property
    def children(self):
        return self._requires

    def __repr__(self):
        reqs = ", ".join(describe(c) for c in self._requires[:4])
        if len(self._requires) > 4:
            reqs += f", ... ({len(self._requires)})"
        own = (describe_behaviour(self._time) if self._time is not None
               else f"{self._of}={self._dist!r}" if self._dist is not None
               else f"availability={_fmt_avail(self._q)}")
        return f"Service({self._name!r}, {own}, requires=[{reqs}])"


@dataclass(frozen=True, eq=False)
class Journey:
    """A named output of a model, with an optional availability target.

    Parameters
    ----------
    node : Node or str
        The node whose state is the journey's state, or its name.
    name : str, optional
        Defaults to the node's name; required when the node is unnamed.
    target : float, optional
        The journey's SLO, an availability in (0, 1].

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.9995)
    >>> ss.Journey(web, name="home", target=0.999)
    Journey('home', target=0.999)
    """

    node: Node | str
    name: str | None = None
    target: float | None = None

    def __post_init__(self):
        node = self.node
        if not isinstance(node, (Node, str)):
            raise JourneyError(
                f"a journey must be a node (Component, gate, Service) or a node "
                f"name, got {type(node).__name__} {node!r}",
                None,
            )
        name = self.name
        if name is None:
            name = node if isinstance(node, str) else node.name
            if name is None:
                raise JourneyError(
                    f"journey {describe(node)} has no name: name the gate or "
                    f"pass Journey(node, name=...)",
                    None,
                )
        check_name(name, "Journey", required=True)
        object.__setattr__(self, "name", name)
        if self.target is not None:
            t = self.target
            if isinstance(t, bool) or not isinstance(t, numbers.Real) or not (0 < t <= 1):
                raise JourneyError(
                    f"journey {name!r}: target must be an availability in (0, 1], "
                    f"got {t!r}",
                    name,
                )
            object.__setattr__(self, "target", float(t))

    def __repr__(self):
        target = f", target={self.target!r}" if self.target is not None else ""
        return f"Journey({self.name!r}{target})"


def check_members(owner, name, members):
    """``members`` (components, services or names) as a tuple, checked:
    each of the right kind, none twice."""
    if isinstance(members, (str, Node)):
        members = (members,)
    try:
        members = tuple(members)
    except TypeError:
        raise ModelError(f"{owner}: members must be a sequence of components "
                         f"or names, got {type(members).__name__}", name) from None
    seen = set()
    for i, m in enumerate(members):
        if isinstance(m, str):
            check_name(m, f"{owner}: member {i}", required=True)
        elif not isinstance(m, (Component, Service)):
            raise ModelError(
                f"{owner}: member {i} must be a Component, a Service or a "
                f"component name, got {type(m).__name__} {m!r}", name)
        key = m if isinstance(m, str) else m.name
        if key in seen:
            raise ModelError(f"{owner}: member {key!r} is given twice", name)
        seen.add(key)
    return members
