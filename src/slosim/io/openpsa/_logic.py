"""Gate formulas: and/or/atleast/not trees over defined events.

A checked formula (a gate's ``spec``) is a :class:`Definition` (a
reference), a bool (a constant) or ``(op, m, args)``. ``nand``, ``nor``,
``xor``, ``iff`` and ``imply`` are written with ``not`` over and/or (they
become :func:`slosim.negate` over series and parallel gates);
``cardinality`` is rejected.
"""

from ... import model as _m
from ..._errors import ModelError
from ._definitions import NAME_ATTR, Definition, trim
from ._expressions import INTEGER

__all__ = ["Logic", "formula_refs", "gate_refs"]

_REFERENCES = {"gate": "gate", "basic-event": "basic event",
               "house-event": "house event", "event": None}
_EVENT_TYPES = {"gate": "gate", "basic-event": "basic event",
                "house-event": "house event"}
_COHERENT = {"and", "or", "atleast"}
_EVENT_ATTRS = frozenset({"name", "type"})
#: Connectives read through negation, and how many arguments each takes
#: (None: one or more; xor, iff and imply are binary, as in SCRAM).
_NEGATED = {"not": 1, "nand": None, "nor": None, "xor": 2, "iff": 2, "imply": 2}
_REFUSED = {"cardinality"}


class Logic:
    """Gate formulas, in pass 2 and pass 3.

    Pass 2 checks the formula of every ``define-gate`` into an
    and/or/atleast/not tree over the definitions of ``self.events``  (resolving
    references from the gate's container) and writes it to the gate's
    ``spec``. Pass 3 builds the gates of ``self.gates`` into slosim gates,
    each after every gate it refers to (a cycle of gates is an error), and
    writes the gate's ``node``; the constants ``True`` and ``False`` become
    components named by ``self.constants``.
    """

    def gate_formula(self, d):
        if len(d.body) != 1:
            found = (f"{len(d.body)}: " + ", ".join(f"<{c.tag}> (line {c.line})"
                                                   for c in d.body[:3])
                     if d.body else "none")
            self.fail(f"gate {d.id!r} needs exactly one formula, found {found}",
                      d.where, d.line, d.id)
        d.spec = self.formula(d.body[0], d)

    def formula(self, el, gate):
        """A checked formula: a definition (a reference), a bool (a constant)
        or ``(op, m, args)``.

        ``op`` is 'or', 'and' or 'atleast', ``m`` the number of failed
        arguments that fail the formula; or 'not' (``m`` 1, one argument),
        failed when its argument is not.
        """
        tag, where = el.tag, gate.where
        if tag in _REFERENCES:
            attrs = self.check_attrs(
                el, where, _EVENT_ATTRS if tag == "event" else NAME_ATTR, ("name",))
            if el.children:
                self.fail(f"<{tag}> must be empty", where, el.children[0].line, gate.id)
            kind = _REFERENCES[tag]
            if tag == "event" and "type" in attrs:
                kind = _EVENT_TYPES.get(trim(attrs["type"]))
                if kind is None:
                    self.fail(f"<event type={attrs['type']!r}> is not one of "
                              f"gate, basic-event, house-event", where, el.line, gate.id)
            ref = trim(attrs["name"])
            target = self.lookup(self.events, ref, gate.base)
            if target is None:
                self.fail(f"gate {gate.id!r} refers to {kind or 'event'} {ref!r}, "
                          f"which is not defined", where, el.line, gate.id)
            if kind is not None and target.kind != kind:
                self.fail(f"gate {gate.id!r} refers to {kind} {ref!r}, but "
                          f"{ref!r} is a {target.kind} (defined at {target.at()})",
                          where, el.line, gate.id)
            return target
        if tag == "constant":
            return self.constant(el, gate)
        if tag in _COHERENT:
            attrs = self.check_attrs(el, where, {"min"} if tag == "atleast" else (),
                                     ("min",) if tag == "atleast" else ())
            if not el.children:
                self.fail(f"<{tag}> in gate {gate.id!r} has no arguments", where,
                          el.line, gate.id)
            args = []
            for c in el.children:     # (a loop: one frame per nesting level)
                args.append(self.formula(c, gate))
            n = len(args)
            if tag == "or":
                return ("or", 1, args)
            if tag == "and":
                return ("and", n, args)
            text = attrs["min"].strip()
            if not INTEGER.fullmatch(text) or not 1 <= int(text) <= n:
                self.fail(f"<atleast min={attrs['min']!r}> in gate {gate.id!r} "
                          f"must have min between 1 and its number of arguments "
                          f"({n})", where, el.line, gate.id)
            seen = set()
            for c, a in zip(el.children, args):
                if isinstance(a, Definition):
                    if a.id in seen:
                        self.fail(f"<atleast> in gate {gate.id!r} has {a.id!r} "
                                  f"twice among its arguments, which makes its vote "
                                  f"ambiguous", where, c.line, gate.id)
                    seen.add(a.id)
            return ("atleast", int(text), args)
        if tag in _NEGATED:
            self.check_attrs(el, where, (), ())
            args = []
            for c in el.children:
                args.append(self.formula(c, gate))
            arity = _NEGATED[tag]
            if (not args if arity is None else len(args) != arity):
                need = "at least one argument" if arity is None else (
                    "exactly one argument" if arity == 1 else f"exactly {arity} arguments")
                self.fail(f"<{tag}> in gate {gate.id!r} needs {need}, got {len(args)}",
                          where, el.line, gate.id)
            return _negated(tag, args)
        if tag in _REFUSED:
            self.fail(f"gate {gate.id!r} uses <{tag}>, which slosim does not read: "
                      f"it supports and/or/atleast/not/nand/nor/xor/iff/imply "
                      f"(see docs/io)", where, el.line, gate.id)
        self.fail(f"unknown element <{tag}> in gate {gate.id!r}", where, el.line,
                  gate.id)

    def gate_nodes(self):
        """The slosim node of every gate, in dependency order."""
        const_nodes = {}

        def constant(value):
            if value not in const_nodes:
                const_nodes[value] = _m.Component(
                    self.constants[value], unavailability=1 if value else 0)
            return const_nodes[value]

        def node(spec, name=None):
            if isinstance(spec, Definition):
                return spec.node
            if isinstance(spec, bool):
                return constant(spec)
            op, m, args = spec
            kids = []
            for a in args:
                kids.append(node(a))
            if op == "not":
                return _m.negate(kids[0], name=name)
            if op == "or" or (op == "atleast" and m == 1):
                return _m.series(*kids, name=name)
            if op == "and" or m == len(kids):
                return _m.parallel(*kids, name=name)
            return _m.k_of_n(len(kids) - m + 1, kids, name=name)

        for d in self.gate_order():
            try:
                if d.alias is not None:
                    d.node = d.alias.node
                elif not isinstance(d.spec, tuple):
                    d.node = _m.series(node(d.spec), name=d.name)
                else:
                    d.node = node(d.spec, d.name)
            except ModelError as exc:
                self.fail(f"gate {d.id!r}: {exc}", d.where, d.line, d.id, exc)

    def gate_order(self):
        """Gates, each after every gate it refers to; a cycle is an error."""
        kids = {d.id: [t for t in gate_refs(d.spec)] for d in self.gates}
        state, order = {}, []
        for root in self.gates:
            if root.id in state:
                continue
            state[root.id] = 1
            stack = [(root, iter(kids[root.id]))]
            while stack:
                d, it = stack[-1]
                child = next(it, None)
                if child is None:
                    stack.pop()
                    state[d.id] = 2
                    order.append(d)
                elif state.get(child.id) == 1:
                    path = [s[0].id for s in stack]
                    loop = path[path.index(child.id):] + [child.id]
                    shown = loop if len(loop) <= 12 else (
                        loop[:6] + [f"... ({len(loop) - 12} more)"] + loop[-6:])
                    self.fail(f"gate {child.id!r} depends on itself: "
                              + " -> ".join(shown), child.where, child.line, child.id)
                elif child.id not in state:
                    state[child.id] = 1
                    stack.append((child, iter(kids[child.id])))
        return order


def _not(a):
    return ("not", 1, [a])


def _negated(tag, args):
    """A negated connective as a checked formula over failures: ``not``
    and and/or only (``a`` failed is the argument failed)."""
    n = len(args)
    if tag == "not":
        return _not(args[0])
    if tag == "nand":
        return _not(("and", n, args))
    if tag == "nor":
        return _not(("or", 1, args))
    a, b = args
    if tag == "imply":
        return ("or", 1, [_not(a), b])
    xor = ("or", 1, [("and", 2, [a, _not(b)]), ("and", 2, [_not(a), b])])
    return xor if tag == "xor" else _not(xor)


def formula_refs(spec):
    """The definitions a checked formula refers to, in order (iterative)."""
    stack = [spec]
    while stack:
        s = stack.pop()
        if isinstance(s, Definition):
            yield s
        elif isinstance(s, tuple):
            stack.extend(reversed(s[2]))


def gate_refs(spec):
    """The gate definitions a checked formula refers to."""
    return (d for d in formula_refs(spec) if d.kind == "gate")
