"""The Model: journeys over a validated DAG, and its read-only traversal API.

Building a :class:`Model` resolves name references, rejects duplicate
names, unknown names and cycles, and resolves the members of shocks and
copulas. After that a model never changes: its mappings are read-only
views, and everything below it (the lowering, the engines, the analyses,
the file writers) reads it through the methods here, never through its
private attributes. :meth:`Model.replace` builds a new model with other
probabilities.
"""

from collections.abc import Mapping, Sequence

from .._errors import (
    AvailabilitySpecError,
    CycleError,
    DuplicateNameError,
    JourneyError,
    ModelError,
    UnknownNodeError,
)
from .._validation import param_error
from ._ccf import CommonCauseGroup
from ._choice import Choice, Option
from ._copula import GaussianCopula
from ._nodes import (
    Component,
    Gate,
    Journey,
    Node,
    Service,
    _unavailability,
    describe,
    own_probability,
)
from ._shocks import Shock, shock_probability

__all__ = ["Model", "NameMap", "as_model"]

_LEAF = (Component, Service)


class NameMap(Mapping):
    """A read-only mapping of names to a model's objects, in model order.

    Compares equal to any mapping with the same items (a ``dict`` among
    them); cannot be changed.

    Examples
    --------
    >>> import slosim as ss
    >>> model = ss.Model(ss.series(ss.Component("a", availability=0.999),
    ...                            ss.Component("b", availability=0.99), name="j"))
    >>> model.components
    NameMap({'a': Component('a', availability=0.999), 'b': Component('b', availability=0.99)})
    >>> model.components["a"].unavailability
    0.001
    """

    __slots__ = ("_items", "_what")

    def __init__(self, items, what):
        self._items = items
        self._what = what

    def __getitem__(self, name):
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise KeyError(f"{name!r} is no {self._what} of the model "
                           f"({self._what}s: {_some(self._items)})") from None

    def __contains__(self, name):
        try:
            return name in self._items
        except TypeError:
            return False

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"NameMap({self._items!r})"


class Model:
    """A validated model: one or more journeys over a DAG of nodes.

    Building a ``Model`` resolves name references, rejects duplicate names,
    unknown names and cycles, and fixes the set of components. All journeys
    of a model are estimated from the same samples. A model is immutable:
    its attributes cannot be set and its mappings are read-only.

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
    components : NameMap
        Component name -> :class:`Component` for every leaf, in topological
        order (a :class:`Service` contributes its own component under its
        name: the map gives the Service).
    shocks : NameMap
        Shock name -> :class:`Shock`, in the order given (a group's shocks
        in the group's order).
    copulas : NameMap
        Copula name -> :class:`~slosim.GaussianCopula`.
    choices : NameMap
        Choice name -> :class:`~slosim.Choice`: the design choices still
        open (the components of every option are among ``components``).

    Raises
    ------
    ModelError
        A subclass naming the offending node: :class:`DuplicateNameError`,
        :class:`UnknownNodeError`, :class:`CycleError`, :class:`JourneyError`.

    See Also
    --------
    slosim.model.lower : the model as the engines read it.

    Notes
    -----
    The traversal methods (:meth:`nodes`, :meth:`children`,
    :meth:`parents`, :meth:`node`, :meth:`leaves`, :meth:`walk`,
    :meth:`shocks_of`, :meth:`copula_of`, :meth:`members`,
    :meth:`basic_events`) are how tools and slosim's own engines read a
    model; node arguments are node objects of the model or their names.
    :meth:`replace` gives a new model with other probabilities.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=["db"])
    >>> model = ss.Model([ss.Journey(web, target=0.998)], nodes=[db])
    >>> model
    Model(journeys=['web'], components=2, gates=1)
    >>> model.children("web")
    (Component('db', availability=0.999),)
    >>> [n.name for n in model.nodes()]
    ['db', 'web']
    """

    __slots__ = ("_journeys", "_names", "_order", "_kids", "_position",
                 "_parents", "_components", "_shocks", "_shocks_of",
                 "_copulas", "_copula_of", "_members", "_choices", "__weakref__")

    def __init__(self, journeys: Node | Journey | str | Sequence[Node | Journey | str],
                 *, nodes: Sequence[Node] = (), shocks: Sequence[Shock] = (),
                 copulas: Sequence[GaussianCopula] = ()) -> None:
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
        self._journeys = tuple(resolved)
        self._order, self._kids = self._toposort()
        self._position = {id(n): i for i, n in enumerate(self._order)}
        parents = {}
        for n in self._order:
            for c in dict.fromkeys(self._kids[id(n)]):   # a repeated child once
                parents.setdefault(id(c), []).append(n)
        self._parents = {k: tuple(v) for k, v in parents.items()}
        self._components = NameMap(
            {n.name: n for n in self._order if isinstance(n, _LEAF)}, "component")
        self._choices = NameMap(
            {n.name: n for n in self._order if isinstance(n, Choice)}, "choice")
        self._members = {}
        self._resolve_shocks(shocks)
        self._resolve_copulas(copulas)

    # -- building ----------------------------------------------------------------

    def _resolve_shocks(self, shocks):
        """Validate shocks; map id(member node) -> its shocks, in model order."""
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
            members = tuple(self._member(m, f"shock {sh.name!r}") for m in sh.members)
            self._members[id(sh)] = members
            for node in members:
                of.setdefault(id(node), []).append(sh)
        self._shocks = NameMap(names, "shock")
        self._shocks_of = {k: tuple(v) for k, v in of.items()}

    def _member(self, m, where):
        """The model's component (or service) for a shock or copula member."""
        node = self._lookup(m, where) if isinstance(m, str) else m
        if not isinstance(node, _LEAF) or id(node) not in self._position:
            what = ("is not a component or service"
                    if not isinstance(node, _LEAF)
                    else "is not used by any journey of the model")
            raise UnknownNodeError(f"{where}: member {node.name!r} {what}",
                                   node.name)
        return node

    def _resolve_copulas(self, copulas):
        """Validate copulas; map id(member node) -> its copula."""
        if isinstance(copulas, GaussianCopula):
            copulas = [copulas]
        copulas = list(copulas)
        of, names = {}, {}
        for i, c in enumerate(copulas):
            if not isinstance(c, GaussianCopula):
                raise ModelError(f"copulas[{i}] must be a GaussianCopula, got "
                                 f"{type(c).__name__} {c!r}", None)
            if c.name in names:
                raise DuplicateNameError(f"copula {c.name!r} is given twice; "
                                         f"copula names must be unique", c.name)
            names[c.name] = c
            members = tuple(self._member(m, f"copula {c.name!r}") for m in c.members)
            self._members[id(c)] = members
            for node in members:
                if id(node) in of:
                    raise ModelError(
                        f"component {node.name!r} is in copula "
                        f"{of[id(node)].name!r} and in copula {c.name!r}; a "
                        f"component belongs to at most one copula (merge them "
                        f"into one correlation matrix)", node.name)
                of[id(node)] = c
        self._copulas = NameMap(names, "copula")
        self._copula_of = of

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
            out.append(self._lookup(c, f"{describe(node)}") if isinstance(c, str) else c)
        return tuple(out)

    def _toposort(self):
        """Nodes reachable from the journeys, children before parents.

        Iterative depth-first search (graphs 10**4 levels deep are fine);
        a back edge is a cycle, reported with its path and named after the
        first named node on it (every cycle goes through a name reference,
        so it has one).
        """
        order, kids = [], {}
        state = {}  # id -> 1 on the stack, 2 done
        for j in self._journeys:
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
                        _cycle(path[start:] + [child])
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
        return tuple(order), kids

    # -- the traversal API ---------------------------------------------------------

    @property
    def journeys(self):
        return self._journeys

    @property
    def components(self):
        return self._components

    @property
    def shocks(self):
        return self._shocks

    @property
    def copulas(self):
        return self._copulas

    @property
    def choices(self):
        """Choice name -> :class:`~slosim.Choice`, for the design choices
        still open (:meth:`resolve` makes them)."""
        return self._choices

    def nodes(self):
        """Every node the journeys reach, children before parents.

        Returns
        -------
        tuple of Node
            Components, gates and services in topological order: each node
            after all its children.

        Examples
        --------
        >>> import slosim as ss
        >>> a, b = ss.Component("a", availability=0.99), ss.Component("b", availability=0.99)
        >>> model = ss.Model(ss.series(a, ss.parallel(a, b, name="p"), name="j"))
        >>> [n.name for n in model.nodes()]
        ['a', 'b', 'p', 'j']
        """
        return self._order

    def leaves(self):
        """The nodes that fail on their own: components and services.

        A :class:`Service` is a leaf in this sense (its own component fails
        with its unavailability) and an inner node too (it has
        requirements).

        Returns
        -------
        tuple of Component or Service
            In topological order, the order of :attr:`components`.
        """
        return tuple(self._components.values())

    def node(self, name):
        """The node of the model named ``name``.

        Raises
        ------
        UnknownNodeError
            If no node the journeys reach has that name.

        Examples
        --------
        >>> import slosim as ss
        >>> model = ss.Model(ss.Service("web", availability=0.999, requires=[
        ...     ss.Component("db", availability=0.9999)]))
        >>> model.node("db")
        Component('db', availability=0.9999)
        """
        if not isinstance(name, str):
            raise param_error("name", "Model.node", "a str", name, TypeError)
        node = self._lookup(name, "Model.node")
        if id(node) not in self._position:
            raise UnknownNodeError(f"node {name!r} is not used by any journey of "
                                   f"the model", name)
        return node

    def children(self, node):
        """The children of ``node`` (a node of the model or its name), resolved.

        Name references are replaced by the nodes they name; a repeated child
        appears as often as it was given. A :class:`Service`'s children are
        its requirements; a :class:`Component` has none.
        """
        return self._kids[id(self._own(node, "children"))]

    def parents(self, node):
        """The nodes that have ``node`` as a child, in topological order."""
        return self._parents.get(id(self._own(node, "parents")), ())

    def walk(self):
        """Every node once, depth-first from the journeys (pre-order).

        Journeys in order; each node before its children, children in the
        order given; a node reached again is not visited again. This is the
        order in which :func:`~slosim.exact` meets the components: the
        components of one redundant group come together, a shared component
        at its first use.

        Returns
        -------
        tuple of Node

        Examples
        --------
        >>> import slosim as ss
        >>> a, b = ss.Component("a", availability=0.99), ss.Component("b", availability=0.99)
        >>> model = ss.Model(ss.series(a, ss.parallel(a, b, name="p"), name="j"))
        >>> [n.name for n in model.walk()]
        ['j', 'a', 'p', 'b']
        """
        out, seen = [], set()
        for j in self._journeys:
            stack = [j.node]
            while stack:
                node = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                out.append(node)
                stack.extend(reversed(self._kids[id(node)]))
        return tuple(out)

    def shocks_of(self, leaf):
        """The shocks that take ``leaf`` (a component or service) down.

        Returns
        -------
        tuple of Shock
            In the order of :attr:`shocks`; empty when none does.
        """
        return self._shocks_of.get(id(self._leaf(leaf, "shocks_of")), ())

    def copula_of(self, leaf):
        """The :class:`~slosim.GaussianCopula` ``leaf`` belongs to, or None."""
        return self._copula_of.get(id(self._leaf(leaf, "copula_of")))

    def members(self, item):
        """The components a shock or copula of the model couples, resolved.

        Parameters
        ----------
        item : Shock, GaussianCopula or str
            A shock or copula of the model, or its name.

        Returns
        -------
        tuple of Component or Service
            In the order the shock or copula lists them.
        """
        if isinstance(item, str):
            found = [x for x in (self._shocks.get(item), self._copulas.get(item))
                     if x is not None]
            if len(found) != 1:
                raise UnknownNodeError(
                    f"Model.members: {item!r} is "
                    + ("both a shock and a copula of the model; pass the object"
                       if found else "no shock or copula of the model"), item)
            item = found[0]
        members = self._members.get(id(item))
        if members is None:
            raise param_error("item", "Model.members",
                              "a Shock or GaussianCopula of the model, or its name",
                              item, TypeError if not isinstance(
                                  item, (Shock, GaussianCopula)) else ValueError)
        return members

    def basic_events(self):
        """Every independent event the model's journeys depend on.

        Returns
        -------
        tuple of Component, Service or Shock
            The components (:meth:`leaves`), then the shocks, in the order
            :attr:`ExactResult.components <slosim.ExactResult.components>`
            reports them.
        """
        return self.leaves() + tuple(self._shocks.values())

    # -- a model with other numbers ------------------------------------------------

    def replace(self, *, availabilities=None, unavailabilities=None,
                probabilities=None):
        """A new model equal to this one except for some probabilities.

        Parameters
        ----------
        availabilities, unavailabilities : mapping of str to probability, optional
            Component name -> its new availability (or unavailability); a
            :class:`Service`'s own part goes by the service's name. Values
            are parsed as :class:`Component` parses them: a float through
            its shortest decimal form, a ``str``, ``Decimal`` or
            ``Fraction`` exactly, a :class:`~slosim.model.Distribution` as
            an uncertain parameter. A name may be in one of the two
            mappings only.
        probabilities : mapping of str to probability, optional
            Shock name -> its new probability (a number or a
            distribution), parsed as :class:`Shock` parses it.

        Returns
        -------
        Model
            The new model; this one is unchanged. With nothing to replace,
            this very model (a model never changes, so it is its own copy).

        Raises
        ------
        UnknownNodeError
            If a name is no component or service of the model (a gate, a
            shock, a name the model does not have) in ``availabilities`` or
            ``unavailabilities``, or no shock in ``probabilities``.
        AvailabilitySpecError
            If a name is in both ``availabilities`` and ``unavailabilities``.
        ProbabilityError
            If a value is not a probability, with the message the
            :class:`Component` or :class:`Shock` constructor gives.
        TypeError
            If a mapping is not a mapping, or has a key that is not a str.

        Notes
        -----
        Every component, service and shock named is a new object, even if
        its value is unchanged; so is every gate or service above a new
        node (same kind, ``k`` and name, its children the new model's
        objects, no name references left), each shock that has a new member
        and each copula that has one (:meth:`GaussianCopula.with_members
        <slosim.GaussianCopula.with_members>`: the same arrays, bit for
        bit). Everything else is reused as the same objects, so a node
        shared by several parents stays shared. Journeys keep their names,
        order and targets; rebuilt nodes keep their distributions, and
        rebuilt shocks of a common-cause group their tie to its
        parameters. A member or shock of a common-cause group given a
        value here takes that value: the group's parameters no longer
        drive it. One pass over the nodes in topological order:
        O(nodes + edges), without recursion.

        Examples
        --------
        >>> import slosim as ss
        >>> db = ss.Component("db", availability=0.999)
        >>> cache = ss.Component("cache", availability=0.99)
        >>> web = ss.Service("web", availability=0.9995, requires=[db, "cache"])
        >>> model = ss.Model(web, nodes=[cache])
        >>> better = model.replace(availabilities={"db": 0.9999})
        >>> ss.exact(better)["web"].availability
        0.9894060495
        >>> ss.exact(model)["web"].availability   # the model is unchanged
        0.988515495
        >>> better.node("db")
        Component('db', availability=0.9999)
        >>> better.node("cache") is cache, better.node("web") is web
        (True, False)
        >>> better.children("web") == (better.node("db"), cache)
        True
        >>> model.replace() is model
        True
        """
        avail = _as_mapping(availabilities, "availabilities")
        unavail = _as_mapping(unavailabilities, "unavailabilities")
        shock_p = _as_mapping(probabilities, "probabilities")
        if not (avail or unavail or shock_p):
            return self
        q = {}  # id(leaf) -> the keyword argument giving its new probability
        for key, values in (("availabilities", avail), ("unavailabilities", unavail)):
            for name, value in values.items():
                leaf = self._replaced_leaf(name, key)
                if key == "availabilities" and name in unavail:
                    raise AvailabilitySpecError(
                        f"Model.replace: {leaf.kind} {name!r} is in both "
                        f"availabilities= and unavailabilities=; give one of them",
                        name)
                if key == "availabilities":         # checked here, used below
                    _unavailability(leaf.kind, name, value, None)
                    q[id(leaf)] = {"availability": value}
                else:
                    _unavailability(leaf.kind, name, None, value)
                    q[id(leaf)] = {"unavailability": value}
        p = {}
        for name, value in shock_p.items():
            shock = self._replaced_shock(name)
            shock_probability(name, value)
            p[id(shock)] = value

        return self._rebuilt(q, {}, p)

    def resolve(self, choices, *, others=None):
        """The model with some of its design choices made.

        Parameters
        ----------
        choices : mapping of str to str
            Choice name -> the label of the option to take.
        others : {None, 'any'}, default None
            The choices not named: left open (None), or each replaced by
            its options in parallel, up whenever any option would be
            (``'any'``): for coherent logic no design is more available
            than that model, the bound :func:`slosim.choose` prunes with.

        Returns
        -------
        Model
            Each named :class:`~slosim.Choice` replaced by its option's
            node; what only the other options used is gone (with the shocks
            and copula members it alone had). This model is unchanged.

        Raises
        ------
        UnknownNodeError
            If a name is no choice of the model.
        ModelError
            If a choice has no option with that label.

        See Also
        --------
        slosim.choose : the best design, under targets and resources.

        Examples
        --------
        >>> import slosim as ss
        >>> a, b = ss.Component("a", availability=0.99), ss.Component("b", availability=0.99)
        >>> zones = ss.Choice("zones", [ss.Option("one", a), ss.Option("two", ss.parallel(a, b))])
        >>> model = ss.Model(ss.Journey(zones, name="j"))
        >>> list(model.choices), len(model.components)
        (['zones'], 2)
        >>> one = model.resolve({"zones": "one"})
        >>> list(one.choices), list(one.components)
        ([], ['a'])
        >>> ss.exact(model.resolve({"zones": "two"}))["j"].availability
        0.9999
        """
        choices = _as_mapping(choices, "choices")
        if others not in (None, "any"):
            raise param_error("others", "Model.resolve", "None or 'any'", others)
        chosen = {}
        for name, label in choices.items():
            node = self._choices.get(name) if isinstance(name, str) else None
            if node is None:
                raise UnknownNodeError(
                    f"Model.resolve: {name!r} is no choice of the model (choices: "
                    f"{_some(self._choices)})", name if isinstance(name, str) else None)
            option = node.option(label)
            chosen[id(node)] = node.options.index(option)
        if others == "any":
            for node in self._choices.values():
                chosen.setdefault(id(node), None)
        if not chosen:
            return self
        return self._rebuilt({}, chosen, {})

    def _rebuilt(self, q, chosen, p):
        """A new model: leaves with new probabilities ``q`` (by id: the
        keyword argument, ``{"availability": ...}`` or
        ``{"unavailability": ...}``), choices resolved to option
        ``chosen[id]``, shocks with new probabilities ``p`` (by id). One
        pass in topological order."""
        new = {}  # id(old node) -> its replacement, one per node
        for node in self._order:                    # children first
            kids = self._kids[id(node)]
            if id(node) in chosen:
                if chosen[id(node)] is None:        # any option: in parallel
                    new[id(node)] = Gate("parallel", tuple(new.get(id(c), c) for c in kids),
                                         1, None)
                    continue
                picked = kids[chosen[id(node)]]
                new[id(node)] = new.get(id(picked), picked)
                continue
            if id(node) not in q and not any(id(c) in new for c in kids):
                continue                            # untouched: reused
            kids = tuple(new.get(id(c), c) for c in kids)
            if isinstance(node, Gate):
                new[id(node)] = Gate(node.kind, kids, node.k, node.name)
            elif isinstance(node, Service):
                new[id(node)] = Service(
                    node.name, **q.get(id(node), own_probability(node)), requires=kids)
            elif isinstance(node, Choice):
                new[id(node)] = Choice(node.name, [
                    Option(o.label, k, **o.resources) for o, k in zip(node.options, kids)])
            else:
                new[id(node)] = Component(node.name, **q[id(node)])

        def moved(nodes):
            return [new.get(id(n), n) for n in nodes]

        journeys = [j if id(j.node) not in new else
                    Journey(new[id(j.node)], name=j.name, target=j.target)
                    for j in self._journeys]
        # what the journeys still reach (a resolved choice drops its others),
        # walked on this model's resolved children, then mapped to the new
        reached_old = set()
        stack = [j.node for j in self._journeys]
        while stack:
            n = stack.pop()
            if id(n) in reached_old:
                continue
            reached_old.add(id(n))
            kids = self._kids[id(n)]
            if chosen.get(id(n)) is not None:
                kids = (kids[chosen[id(n)]],)
            stack.extend(kids)
        reached = {id(new.get(i, n)) for i, n in
                   ((id(n), n) for n in self._order if id(n) in reached_old)}
        shocks = []
        for sh in self._shocks.values():
            members = self._members[id(sh)]
            kept = [m for m in moved(members) if id(m) in reached]
            if not kept:
                continue
            if id(sh) in p:
                sh = Shock(sh.name, p[id(sh)], members=kept)
            elif len(kept) < len(members) or any(id(m) in new for m in members):
                sh = sh.with_members(kept)
            shocks.append(sh)
        copulas = []
        for c in self._copulas.values():
            members = moved(self._members[id(c)])
            keep = [i for i, m in enumerate(members) if id(m) in reached]
            if len(keep) < 2:
                continue
            if len(keep) < len(members):
                kept = [members[i] for i in keep]
                c = (GaussianCopula(c.name, kept, loadings=c.loadings[keep])
                     if c.one_factor else
                     GaussianCopula(c.name, kept, correlation=c.correlation[keep][:, keep]))
            elif any(id(m) in new for m in self._members[id(c)]):
                c = c.with_members(members)
            copulas.append(c)
        # Every node is passed, so that the name references of reused
        # nodes (which name reused nodes only) still resolve.
        nodes = [n for n in moved(self._order) if id(n) in reached]
        return Model(journeys, nodes=nodes, shocks=shocks, copulas=copulas)

    def _replaced_leaf(self, name, param):
        """The component or service ``name`` names, for Model.replace."""
        if not isinstance(name, str):
            raise param_error(param, "Model.replace", "a mapping whose keys are "
                              "component or service names (str)", name, TypeError)
        node = self._names.get(name)
        used = node is not None and id(node) in self._position
        if used and isinstance(node, _LEAF):
            return node
        if name in self._shocks:
            why = ("is a shock of the model, not a component; give its "
                   "probability in probabilities=")
        elif used:
            why = f"is a {_kind(node)}, not a component or service"
        elif node is not None:
            why = "is not used by any journey of the model"
        else:
            why = (f"is no component or service of the model (components: "
                   f"{_some(self._components)})")
        raise UnknownNodeError(f"Model.replace: {param}= names {name!r}, which {why}",
                               name)

    def _replaced_shock(self, name):
        """The shock ``name`` names, for Model.replace."""
        if not isinstance(name, str):
            raise param_error("probabilities", "Model.replace",
                              "a mapping whose keys are shock names (str)", name,
                              TypeError)
        if name in self._shocks:
            return self._shocks[name]
        node = self._names.get(name)
        if name in self._components:
            why = (f"is a {node.kind} of the model, not a shock; give its "
                   f"availability in availabilities= or unavailabilities=")
        elif node is not None:
            why = f"is a {_kind(node)} of the model, not a shock"
        elif name in self._copulas:
            why = "is a copula of the model, not a shock"
        else:
            why = f"is no shock of the model (shocks: {_some(self._shocks)})"
        raise UnknownNodeError(f"Model.replace: probabilities= names {name!r}, "
                               f"which {why}", name)

    def _own(self, node, method):
        """``node`` (a node of the model, or its name) as the model's node."""
        if isinstance(node, str):
            return self.node(node)
        if not isinstance(node, Node):
            raise param_error("node", f"Model.{method}",
                              "a node of the model or its name", node, TypeError)
        if id(node) not in self._position:
            raise UnknownNodeError(f"Model.{method}: {describe(node)} is not a node "
                                   f"of the model", node.name)
        return node

    def _leaf(self, leaf, method):
        node = self._own(leaf, method)
        if not isinstance(node, _LEAF):
            raise param_error("leaf", f"Model.{method}",
                              "a component or service of the model, or its name",
                              node)
        return node

    def __reduce__(self):
        # Built again from its parts: the node objects (shared ones stay
        # shared, as pickle keeps identities) are what the model is made of.
        return (_rebuild, (self._journeys, self._order,
                           tuple(self._shocks.values()), tuple(self._copulas.values())))

    def __repr__(self):
        names = [j.name for j in self._journeys]
        shown = repr(names) if len(names) <= 6 else repr(names[:6])[:-1] + ", ...]"
        n_gates = sum(1 for n in self._order if isinstance(n, (Gate, Service))
                      and not (isinstance(n, Service) and not n.requires))
        return (f"Model(journeys={shown}, components={len(self._components)}, "
                f"gates={n_gates})")


def as_model(model, func):
    """``model`` as a Model: a node or Journey is a one-journey model.

    ``func`` names the calling function in the error for anything else.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.model import as_model
    >>> as_model(ss.Component("db", availability=0.999), "my_tool")
    Model(journeys=['db'], components=1, gates=0)
    """
    if isinstance(model, Model):
        return model
    if isinstance(model, (Node, Journey)):
        return Model([model])
    raise param_error(
        "model", func, "a slosim.Model, a node or a Journey", model, TypeError
    )


def _as_mapping(values, param):
    """A ``Model.replace`` argument as a mapping (None is an empty one)."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise param_error(param, "Model.replace", "a mapping of names to "
                          "probabilities, or None", values, TypeError)
    return values


def _some(names):
    """The first names of ``names``, quoted, for a message."""
    names = list(names)
    shown = ", ".join(map(repr, names[:8]))
    return (shown or "none") + (", ..." if len(names) > 8 else "")


def _rebuild(journeys, nodes, shocks, copulas):
    """A pickled Model, built again (see ``Model.__reduce__``)."""
    return Model(list(journeys), nodes=nodes, shocks=shocks, copulas=copulas)


def _cycle(loop):
    """Raise the CycleError for ``loop`` (nodes, the first repeated last)."""
    if len(loop) > 12:
        shown = [describe(p) for p in loop[:6]] + [
            f"... ({len(loop) - 12} more)"] + [describe(p) for p in loop[-6:]]
    else:
        shown = [describe(p) for p in loop]
    named = next(p.name for p in loop if p.name is not None)
    raise CycleError(f"dependency cycle: {' -> '.join(shown)}", named)


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
