"""Design choices: a slot in the model whose structure is one of several options.

Real decisions are discrete: one zone or three, two replicas or four,
vendor A or vendor B. A :class:`Choice` is a node whose structure is one of
its :class:`Option` nodes; each option carries what it costs (``cost``
and any other resources: ``weight``, ``hours``...). A model with choices
describes a family of designs: :meth:`Model.resolve
<slosim.Model.resolve>` picks one, and :func:`slosim.choose` picks the
best. The engines refuse a model whose choices are unresolved.
"""

from collections.abc import Sequence
import math
import numbers

from .._errors import ModelError
from .._validation import check_name
from ._nodes import Component, Node, describe, k_of_n, parallel

__all__ = ["Option", "Choice", "redundancy_options"]


class Option:
    """One alternative of a :class:`Choice`: a node and what it costs.

    Parameters
    ----------
    label : str
        The option's name within its choice.
    node : Node or str
        The structure this option puts in the choice's place (or its name).
    cost : float, default 0
        Its cost, a finite number >= 0.
    **resources : float
        Any other resources it uses (``weight=``, ``power=``...), each a
        finite number >= 0; a resource an option does not name it does not
        use.

    Attributes
    ----------
    label : str
    node : Node or str
    resources : dict
        Resource name -> amount, ``cost`` included.

    Examples
    --------
    >>> import slosim as ss
    >>> one = ss.Option("one zone", ss.Component("zone-a", availability=0.999), cost=1.0)
    >>> one
    Option('one zone', 'zone-a', cost=1.0)
    >>> one.resources
    {'cost': 1.0}
    """

    __slots__ = ("_label", "_node", "_resources")

    def __init__(self, label: str, node: Node | str, *, cost: float = 0.0,
                 **resources: float) -> None:
        self._label = check_name(label, "Option", required=True)
        if not isinstance(node, (Node, str)):
            raise ModelError(f"option {label!r}: its node must be a Component, gate, "
                             f"Service or a node name, got {type(node).__name__} "
                             f"{node!r}", label)
        if isinstance(node, str):
            check_name(node, f"option {label!r}: node", required=True)
        self._node = node
        amounts = {"cost": cost, **resources}
        for key, value in amounts.items():
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not math.isfinite(value) or value < 0):
                raise ModelError(f"option {label!r}: {key} must be a finite number "
                                 f">= 0, got {value!r}", label)
        self._resources = {k: float(v) for k, v in amounts.items()}

    @property
    def label(self):
        return self._label

    @property
    def node(self):
        return self._node

    @property
    def resources(self):
        return dict(self._resources)

    def __repr__(self):
        node = self._node if isinstance(self._node, str) else self._node.name
        node = repr(node) if node is not None else describe(self._node)
        amounts = ", ".join(f"{k}={v!r}" for k, v in self._resources.items())
        return f"Option({self._label!r}, {node}, {amounts})"


class Choice(Node):
    """A slot whose structure is one of several options.

    Used like any node (a child of a gate, a requirement of a service, a
    journey). A model with choices is a family of designs:
    :meth:`Model.resolve <slosim.Model.resolve>` takes one option per
    choice, :func:`slosim.choose` finds the best design; :func:`slosim.exact`
    and :func:`slosim.simulate` refuse a model whose choices are unresolved.

    Parameters
    ----------
    name : str
        Unique among the model's nodes.
    options : sequence of Option
        At least one, labels distinct.

    Attributes
    ----------
    name : str
    options : tuple of Option

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("zone-a", availability=0.999)
    >>> b = ss.Component("zone-b", availability=0.999)
    >>> zones = ss.Choice("zones", [ss.Option("one", a, cost=1.0),
    ...                             ss.Option("two", ss.parallel(a, b), cost=2.0)])
    >>> zones
    Choice('zones', options=['one', 'two'])
    >>> model = ss.Model(ss.Journey(ss.series(ss.Component("web", availability=0.9999),
    ...                                       zones, name="checkout"), target=0.9995))
    >>> ss.exact(model.resolve({"zones": "two"}))["checkout"].availability
    0.999899000099
    """

    __slots__ = ("_name", "_options")
    kind = "choice"

    def __init__(self, name: str, options: Sequence[Option]) -> None:
        self._name = check_name(name, "Choice", required=True)
        if isinstance(options, Option) or not isinstance(options, (list, tuple)):
            raise ModelError(f"choice {name!r}: options must be a list of Option, got "
                             f"{type(options).__name__} {options!r}", name)
        if not options:
            raise ModelError(f"choice {name!r} has no options; it needs at least one",
                             name)
        seen = set()
        for i, opt in enumerate(options):
            if not isinstance(opt, Option):
                raise ModelError(f"choice {name!r}: options[{i}] must be an Option, got "
                                 f"{type(opt).__name__} {opt!r}", name)
            if opt.label in seen:
                raise ModelError(f"choice {name!r}: two options are labelled "
                                 f"{opt.label!r}", name)
            seen.add(opt.label)
        self._options = tuple(options)

    @property
    def name(self):
        return self._name

    @property
    def options(self):
        return self._options

    @property
    def children(self):
        """Every option's node (the nodes of all the alternatives)."""
        return tuple(opt.node for opt in self._options)

    def option(self, label):
        """The option labelled ``label``; ModelError if there is none."""
        for opt in self._options:
            if opt.label == label:
                return opt
        labels = ", ".join(repr(o.label) for o in self._options)
        raise ModelError(f"choice {self._name!r} has no option {label!r} (options: "
                         f"{labels})", self._name)

    def __repr__(self):
        labels = [o.label for o in self._options]
        shown = repr(labels) if len(labels) <= 6 else repr(labels[:6])[:-1] + ", ...]"
        return f"Choice({self._name!r}, options={shown})"


def redundancy_options(name, types, *, max_units=8, mixed=True, k=1):
    """The options of a redundancy slot: 1 to ``max_units`` units in parallel.

    Parameters
    ----------
    name : str
        The slot's name; each unit is a new component named
        ``"{name}/{option}/{type}-{i}"`` (each option has its own units: the
        alternatives of one slot are all in the model until it is
        resolved).
    types : sequence of Option
        The unit types: each an Option whose node is a :class:`Component`
        (the type's availability) and whose resources are one unit's.
    max_units : int, default 8
        Most units in the slot.
    mixed : bool, default True
        Whether units of several types may share the slot (every multiset
        of types); otherwise a slot holds units of one type.
    k : int, default 1
        Units that must be up (a ``k``-of-``n`` slot; 1 is parallel).

    Returns
    -------
    list of Option
        One per multiset of 1 to ``max_units`` units (at least ``k``),
        labelled like ``"2xA+1xB"``, its node the units in parallel (or
        ``k``-of-``n``), its resources the units' summed.

    Examples
    --------
    >>> import slosim as ss
    >>> types = [ss.Option("A", ss.Component("A", availability=0.9), cost=1, weight=3),
    ...          ss.Option("B", ss.Component("B", availability=0.95), cost=2, weight=4)]
    >>> options = ss.redundancy_options("s1", types, max_units=2)
    >>> [(o.label, o.resources) for o in options]  # doctest: +NORMALIZE_WHITESPACE
    [('1xA', {'cost': 1.0, 'weight': 3.0}), ('1xB', {'cost': 2.0, 'weight': 4.0}),
     ('2xA', {'cost': 2.0, 'weight': 6.0}), ('1xA+1xB', {'cost': 3.0, 'weight': 7.0}),
     ('2xB', {'cost': 4.0, 'weight': 8.0})]
    """
    check_name(name, "redundancy_options", required=True)
    if (isinstance(max_units, bool) or not isinstance(max_units, numbers.Integral)
            or max_units < 1):
        raise ModelError(f"redundancy_options {name!r}: max_units must be an int >= 1, "
                         f"got {max_units!r}", name)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= max_units:
        raise ModelError(f"redundancy_options {name!r}: k must be an int in "
                         f"1..{max_units}, got {k!r}", name)
    types = list(types)
    if not types:
        raise ModelError(f"redundancy_options {name!r}: no unit types", name)
    for i, t in enumerate(types):
        if not isinstance(t, Option) or not isinstance(t.node, Component):
            raise ModelError(f"redundancy_options {name!r}: types[{i}] must be an Option "
                             f"whose node is a Component, got {t!r}", name)
    options = []
    for units in range(max(1, k), int(max_units) + 1):
        for counts in _multisets(len(types), units, mixed):
            used = [(t, c) for t, c in zip(types, counts) if c]
            label = "+".join(f"{c}x{t.label}" for t, c in used)
            amounts = {}
            for t, c in used:
                for key, v in t.resources.items():
                    amounts[key] = amounts.get(key, 0.0) + c * v
            kids = [Component(f"{name}/{label}/{t.label}-{i}",
                              unavailability=t.node.unavailability)
                    for t, c in used for i in range(c)]
            node = parallel(*kids) if k == 1 else k_of_n(k, kids)
            cost = amounts.pop("cost", 0.0)
            options.append(Option(label, node, cost=cost, **amounts))
    return options


def _multisets(n_types, units, mixed):
    """Counts per type summing to ``units``, in a fixed order."""
    if not mixed:
        for t in range(n_types):
            yield tuple(units if i == t else 0 for i in range(n_types))
        return

    def rec(i, left):
        if i == n_types - 1:
            yield (left,)
            return
        for c in range(left, -1, -1):
            for rest in rec(i + 1, left - c):
                yield (c,) + rest
    yield from rec(0, units)
