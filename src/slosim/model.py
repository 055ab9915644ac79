"""The model: components, gates, services, journeys.

A model is a directed acyclic graph. Leaves are :class:`Component` objects,
each up with probability ``availability`` independently of the others; inner
nodes are gates (:func:`series`, :func:`parallel`, :func:`k_of_n`) and
:class:`Service` objects. Using one node object in several places is a
*shared dependency*: every place sees the same random state, which is the
first and simplest way to model correlated failure.

A child may also be given by name (a ``str``); names are resolved when the
:class:`Model` is built, against every named node reachable from its journeys
and any extra ``nodes=`` it is given. Name references make forward
references and cycles possible, so the model checks for cycles.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
import math
import numbers
from typing import Union

from ._errors import (
    AvailabilitySpecError,
    CycleError,
    DuplicateNameError,
    EmptyGateError,
    GateArityError,
    JourneyError,
    ModelError,
    ProbabilityError,
    UnknownNodeError,
)

#: A probability as accepted by Component and Service.
Probability = Union[float, str, Decimal, Fraction]

__all__ = [
    "Shock",
    "Node",
    "Component",
    "Gate",
    "Service",
    "Journey",
    "Model",
    "series",
    "parallel",
    "k_of_n",
]


def _unavailability(kind, name, availability, unavailability):
    """Return the unavailability from exactly one of the two specs.

    A float availability is read through its shortest decimal representation
    (``repr``), so ``availability=0.9999999`` gives ``unavailability`` exactly
    ``1e-07``: the digits the user wrote, not those of ``1 - 0.9999999`` in
    binary. ``str``, ``Decimal`` and ``Fraction`` are taken exactly.
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
    exact = _exact_probability(owner, name, key, value)
    return _to_float(owner, name, key, value,
                     1 - exact if key == "availability" else exact, "the component")


def _to_float(owner, name, key, value, exact, what):
    """``exact`` as a float, refusing a rounding that makes it 0 or 1."""
    q = float(exact)
    if (q == 0.0 and exact != 0) or (q == 1.0 and exact != 1):
        raise ProbabilityError(
            f"{owner}: {key}={value!r} makes the probability of failure "
            f"{exact}, which rounds to {q:g} in float64 and would make {what} "
            f"{'never' if q == 0 else 'always'} fail; give "
            f"{'0' if q == 0 else '1'} explicitly if that is meant",
            name,
        )
    return q


def _exact_probability(owner, name, key, value):
    """Parse ``value`` as an exact number in [0, 1] (Decimal or Fraction)."""
    bad = ProbabilityError(
        f"{owner}: {key} must be a probability in [0, 1], got {value!r}", name)
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, (Decimal, Fraction)):
            exact = value
        elif isinstance(value, str):
            exact = Decimal(value.strip())
        elif isinstance(value, numbers.Real):
            x = float(value)
            if math.isnan(x) or math.isinf(x):
                raise bad
            exact = Decimal(repr(x))
        else:
            raise TypeError
    except (TypeError, ArithmeticError, ValueError) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ProbabilityError(
            f"{owner}: {key} must be a number in [0, 1], got {value!r}", name
        ) from None
    if isinstance(exact, Decimal) and not exact.is_finite():
        raise bad
    if not 0 <= exact <= 1:
        raise bad
    return exact


def _check_name(name, what, *, required):
    if name is None and not required:
        return None
    if not isinstance(name, str) or not name.strip():
        raise ModelError(f"{what} name must be a non-empty string, got {name!r}", name)
    return name


def _check_children(children, owner):
    out = []
    for i, child in enumerate(children):
        if isinstance(child, str):
            _check_name(child, f"{owner}: child {i}", required=True)
        elif not isinstance(child, Node):
            raise ModelError(
                f"{owner}: child {i} must be a Component, gate, Service or a "
                f"node name (str), got {type(child).__name__} {child!r}",
                owner,
            )
        out.append(child)
    return tuple(out)


def _describe(node):
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


class Component(Node):
    """A leaf of the model: up with probability ``availability``.

    Parameters
    ----------
    name : str
        Unique within a model.
    availability, unavailability : float, str, Decimal or Fraction
        Exactly one of the two, a probability in [0, 1]. The unavailability
        ``q = 1 - availability`` is the number stored, so that
        ``unavailability=1e-12`` keeps every digit; a float availability is
        read through its shortest decimal form, so ``availability=0.9999999``
        stores exactly ``1e-07``.

    Attributes
    ----------
    name : str
    unavailability : float
        Probability that the component is down.
    availability : float
        ``1 - unavailability`` (rounded to float).

    Raises
    ------
    AvailabilitySpecError
        If both or neither of availability and unavailability are given.
    ProbabilityError
        If the value is not a number in [0, 1] (NaN included).

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
    """

    __slots__ = ("_name", "_q")
    kind = "component"

    def __init__(self, name: str, *, availability: Probability | None = None,
                 unavailability: Probability | None = None) -> None:
        self._name = _check_name(name, "Component", required=True)
        self._q = _unavailability("component", name, availability, unavailability)

    @property
    def name(self):
        return self._name

    @property
    def unavailability(self):
        return self._q

    @property
    def availability(self):
        return 1.0 - self._q

    def __repr__(self):
        q = self._q
        if q != 0 and q < 1e-4:
            return f"Component({self._name!r}, unavailability={q!r})"
        return f"Component({self._name!r}, availability={_fmt_avail(q)})"


def _fmt_avail(q):
    """Format 1 - q with the digits q carries (no binary noise)."""
    return str(1 - Decimal(repr(q))) if q else "1.0"


class Gate(Node):
    """A gate over child nodes; build with :func:`series`, :func:`parallel`
    or :func:`k_of_n`.

    Attributes
    ----------
    name : str or None
    kind : {'series', 'parallel', 'k_of_n'}
    children : tuple
        Child nodes or name references.
    k : int
        Number of children that must be up for the gate to be up
        (``len(children)`` for series, 1 for parallel).

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
        if kind not in ("series", "parallel", "k_of_n"):
            raise ValueError(f"unknown gate kind {kind!r}")
        self._name = _check_name(name, f"{kind} gate", required=False)
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
        self._k = k

    @property
    def name(self):
        return self._name

    @property
    def kind(self):
        return self._kind

    @property
    def children(self):
        return self._children

    @property
    def k(self):
        return self._k

    def __repr__(self):
        kids = ", ".join(_describe(c) for c in self._children[:4])
        if len(self._children) > 4:
            kids += f", ... ({len(self._children)} children)"
        name = f", name={self._name!r}" if self._name is not None else ""
        if self._kind == "k_of_n":
            return f"k_of_n({self._k}, [{kids}]{name})"
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


class Service(Node):
    """A service: its own failures in series with its hard dependencies.

    ``Service(name, availability=a, requires=[d1, d2])`` is up exactly when
    its own component (availability ``a``) and every required node are up:
    ``series(Component(name, a), d1, d2)``, written the way service owners
    describe their systems.

    Parameters
    ----------
    name : str
        The service's name; also the name of its own component.
    availability, unavailability : float, str, Decimal or Fraction
        Exactly one: the service's own availability, excluding dependencies.
    requires : sequence of Node or str, optional
        Hard dependencies: nodes or names of nodes.

    Attributes
    ----------
    name, availability, unavailability
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

    __slots__ = ("_name", "_q", "_requires")
    kind = "service"

    def __init__(self, name: str, *, availability: Probability | None = None,
                 unavailability: Probability | None = None,
                 requires: Sequence[Node | str] = ()) -> None:
        self._name = _check_name(name, "Service", required=True)
        self._q = _unavailability("service", name, availability, unavailability)
        if isinstance(requires, (str, Node)):
            requires = (requires,)
        self._requires = _check_children(requires, f"service {name!r}")

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
    def requires(self):
        return self._requires

    @property
    def children(self):
        return self._requires

    def __repr__(self):
        reqs = ", ".join(_describe(c) for c in self._requires[:4])
        if len(self._requires) > 4:
            reqs += f", ... ({len(self._requires)})"
        return (f"Service({self._name!r}, availability={_fmt_avail(self._q)}, "
                f"requires=[{reqs}])")


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
                    f"journey {_describe(node)} has no name: name the gate or "
                    f"pass Journey(node, name=...)",
                    None,
                )
        _check_name(name, "Journey", required=True)
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


def _check_members(owner, name, members):
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
            _check_name(m, f"{owner}: member {i}", required=True)
        elif not isinstance(m, (Component, Service)):
            raise ModelError(
                f"{owner}: member {i} must be a Component, a Service or a "
                f"component name, got {type(m).__name__} {m!r}", name)
        key = m if isinstance(m, str) else m.name
        if key in seen:
            raise ModelError(f"{owner}: member {key!r} is given twice", name)
        seen.add(key)
    return members


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
        self._name = _check_name(name, "Shock", required=True)
        owner = f"shock {name!r}"
        exact = _exact_probability(owner, name, "probability", probability)
        self._p = _to_float(owner, name, "probability", probability, exact,
                            "the shock")
        members = _check_members(owner, name, members)
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


class Model:
    """A validated model: one or more journeys over a DAG of nodes.

    Building a ``Model`` resolves name references, rejects duplicate names,
    unknown names and cycles, and fixes the set of components. All journeys
    of a model are estimated from the same samples.

    Parameters
    ----------
    journeys : Node, Journey, str or a list or tuple of them
        The model's outputs. A node is a journey named after it; a ``str`` is
        the name of a node.
    nodes : sequence of Node, optional
        Further named nodes that name references may point to.
    shocks : sequence of Shock or CommonCauseGroup, optional
        Common-cause shocks over the model's components (a group stands
        for all its shocks).
    copulas : sequence of GaussianCopula, optional
        Correlated failures of sets of the model's components, each
        component in at most one copula; different copulas are
        independent.

    Attributes
    ----------
    journeys : tuple of Journey
        With every node resolved.
    components : dict
        Component name -> unavailability, for every leaf (a
        :class:`Service` contributes its own component under its name).
    shocks : dict
        Shock name -> probability.
    copulas : dict
        Copula name -> :class:`~slosim.GaussianCopula`.

    Raises
    ------
    ModelError
        A subclass naming the offending node: :class:`DuplicateNameError`,
        :class:`UnknownNodeError`, :class:`CycleError`, :class:`JourneyError`.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=["db"])
    >>> model = ss.Model([ss.Journey(web, target=0.998)], nodes=[db])
    >>> model
    Model(journeys=['web'], components=2, gates=1)
    """

    def __init__(self, journeys: Node | Journey | str | Sequence[Node | Journey | str],
                 *, nodes: Sequence[Node] = (), shocks: Sequence[Shock] = (),
                 copulas=()) -> None:
        if isinstance(journeys, (Node, Journey, str)) or not isinstance(
                journeys, (list, tuple)):
            journeys = [journeys]
        journeys = [j if isinstance(j, Journey) else Journey(j) for j in journeys]
        if not journeys:
            raise JourneyError("a model needs at least one journey", None)
        extra = list(nodes)
        for i, n in enumerate(extra):
            if not isinstance(n, Node):
                raise ModelError(
                    f"nodes[{i}] must be a Component, gate or Service, "
                    f"got {type(n).__name__} {n!r}",
                    None,
                )
        self._names = _collect_names(
            [j.node for j in journeys if isinstance(j.node, Node)] + extra
        )
        resolved = []
        seen = set()
        for j in journeys:
            node = j.node
            if isinstance(node, str):
                node = self._lookup(node, f"journey {j.name!r}")
            if j.name in seen:
                raise JourneyError(f"journey {j.name!r} is given twice", j.name)
            seen.add(j.name)
            resolved.append(Journey(node, name=j.name, target=j.target))
        self.journeys = tuple(resolved)
        self._order, self._kids = self._toposort()
        self._in_model = {id(n) for n in self._order}
        self.components = {
            n.name: n.unavailability
            for n in self._order if isinstance(n, (Component, Service))
        }
        self._shocks, self._shocks_of = self._resolve_shocks(shocks)
        self.shocks = {sh.name: sh.probability for sh in self._shocks}
        self._copulas, self._copula_of = self._resolve_copulas(copulas)
        self.copulas = {c.name: c for c in self._copulas}
        self._program = None

    def _resolve_shocks(self, shocks):
        """Validate shocks; map id(member node) -> its shocks, in model order."""
        from .correlation import CommonCauseGroup

        if isinstance(shocks, (Shock, CommonCauseGroup)):
            shocks = [shocks]
        shocks = [s for item in shocks for s in (
            item.shocks if isinstance(item, CommonCauseGroup) else [item])]
        of, names = {}, {}
        for i, sh in enumerate(shocks):
            if not isinstance(sh, Shock):
                raise ModelError(f"shocks[{i}] must be a Shock, got "
                                 f"{type(sh).__name__} {sh!r}", None)
            if sh.name in names or sh.name in self._names:
                other = "another shock" if sh.name in names else "a node"
                raise DuplicateNameError(
                    f"shock {sh.name!r} has the name of {other} of the model; "
                    f"shock names must be unique among nodes and shocks",
                    sh.name)
            names[sh.name] = sh
            for m in sh.members:
                node = self._member(m, f"shock {sh.name!r}")
                of.setdefault(id(node), []).append(sh)
        return tuple(shocks), of

    def _member(self, m, where):
        """The model's component (or service) for a shock or copula member."""
        node = self._lookup(m, where) if isinstance(m, str) else m
        if not isinstance(node, (Component, Service)) or id(node) not in self._in_model:
            what = ("is not a component or service"
                    if not isinstance(node, (Component, Service))
                    else "is not used by any journey of the model")
            raise UnknownNodeError(f"{where}: member {node.name!r} {what}",
                                   node.name)
        return node

    def _resolve_copulas(self, copulas):
        """Validate copulas; map id(member node) -> (copula, member index)."""
        from .copula import GaussianCopula

        if isinstance(copulas, GaussianCopula):
            copulas = [copulas]
        copulas = list(copulas)
        of, names = {}, set()
        for i, c in enumerate(copulas):
            if not isinstance(c, GaussianCopula):
                raise ModelError(f"copulas[{i}] must be a GaussianCopula, got "
                                 f"{type(c).__name__} {c!r}", None)
            if c.name in names:
                raise DuplicateNameError(f"copula {c.name!r} is given twice; "
                                         f"copula names must be unique", c.name)
            names.add(c.name)
            for k, m in enumerate(c.members):
                node = self._member(m, f"copula {c.name!r}")
                if id(node) in of:
                    raise ModelError(
                        f"component {node.name!r} is in copula "
                        f"{of[id(node)][0].name!r} and in copula {c.name!r}; a "
                        f"component belongs to at most one copula (merge them "
                        f"into one correlation matrix)", node.name)
                of[id(node)] = (c, k)
        return tuple(copulas), of

    def _lookup(self, name, where):
        try:
            return self._names[name]
        except KeyError:
            near = sorted(self._names)[:8]
            raise UnknownNodeError(
                f"{where} refers to {name!r}, which is no node of the model "
                f"(known names include: {', '.join(near) or 'none'})",
                name,
            ) from None

    def _resolve(self, node):
        out = []
        for c in node.children:
            out.append(self._lookup(c, f"{_describe(node)}") if isinstance(c, str) else c)
        return tuple(out)

    def _toposort(self):
        """Nodes reachable from the journeys, children before parents.

        Iterative depth-first search (graphs 10**4 levels deep are fine);
        a back edge is a cycle, reported with its path.
        """
        order, kids = [], {}
        state = {}  # id -> 1 on the stack, 2 done
        for j in self.journeys:
            if state.get(id(j.node)) == 2:
                continue
            stack = [(j.node, 0)]
            path = [j.node]
            state[id(j.node)] = 1
            kids[id(j.node)] = self._resolve(j.node)
            while stack:
                node, i = stack[-1]
                children = kids[id(node)]
                if i < len(children):
                    stack[-1] = (node, i + 1)
                    child = children[i]
                    s = state.get(id(child))
                    if s == 1:
                        start = next(k for k, p in enumerate(path) if p is child)
                        loop = path[start:] + [child]
                        if len(loop) > 12:
                            shown = [_describe(p) for p in loop[:6]] + [
                                f"... ({len(loop) - 12} more)"] + [
                                _describe(p) for p in loop[-6:]]
                        else:
                            shown = [_describe(p) for p in loop]
                        cycle = " -> ".join(shown)
                        raise CycleError(f"dependency cycle: {cycle}", child.name)
                    if s is None:
                        state[id(child)] = 1
                        kids[id(child)] = self._resolve(child)
                        stack.append((child, 0))
                        path.append(child)
                else:
                    stack.pop()
                    path.pop()
                    state[id(node)] = 2
                    order.append(node)
        return order, kids

    @property
    def program(self):
        """The compiled :class:`slosim.compile.Program` (built once, cached)."""
        if self._program is None:
            from .compile import compile_model

            self._program = compile_model(self)
        return self._program

    def __repr__(self):
        names = [j.name for j in self.journeys]
        shown = repr(names) if len(names) <= 6 else repr(names[:6])[:-1] + ", ...]"
        n_gates = sum(1 for n in self._order if isinstance(n, (Gate, Service))
                      and not (isinstance(n, Service) and not n.requires))
        return (f"Model(journeys={shown}, components={len(self.components)}, "
                f"gates={n_gates})")


def as_model(model, func):
    """``model`` as a Model: a node or Journey is a one-journey model."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (Node, Journey)):
        return Model([model])
    from ._validation import param_error

    raise param_error(
        "model", func, "a slosim.Model, a node or a Journey", model, TypeError
    )


def _collect_names(roots):
    """Map name -> node over everything reachable by object references.

    Iterative; two different objects with one name are an error.
    """
    names = {}
    seen = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.name is not None:
            other = names.get(node.name)
            if other is not None and other is not node:
                raise DuplicateNameError(
                    f"two different nodes are named {node.name!r} "
                    f"({_kind(other)} and {_kind(node)}); reuse one object for a "
                    f"shared dependency, or rename one",
                    node.name,
                )
            names[node.name] = node
        stack.extend(c for c in node.children if isinstance(c, Node))
    return names


def _kind(node):
    return type(node).__name__ if not isinstance(node, Gate) else f"{node.kind} gate"
