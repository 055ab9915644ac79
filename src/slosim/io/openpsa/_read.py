"""Read Open-PSA MEF fault trees into a :class:`slosim.Model`.

Three passes over the parsed files:

1. collect every definition (gates, basic events, house events,
   parameters, common-cause groups and the basic events they define)
   under its model-wide id, rejecting what slosim does not translate as it
   is met;
2. check every definition: parameters resolve to constants (cycles are
   errors), basic events to probabilities, common-cause groups to a
   probability and a complete set of factors, gate formulas to coherent
   and/or/atleast trees over defined events; take the shocks slosim
   wrote (``slosim-shock``, ``slosim-member``) out of the logic;
3. build the slosim nodes (a common-cause group with the constructor of
   :mod:`slosim.correlation` for its model), gates in dependency order (a
   cycle of gates is an error), the journeys and the shocks.

Ids follow MEF (and SCRAM): a definition is public by default and inherits
``role="private"`` from its ``define-component``; a public definition's id
is its name, a private one's is its path (``tree.component.name``); a
reference is looked up in its own container first, then model-wide.
"""

from fractions import Fraction
import os
import re

from ... import model as _m
from ..._errors import ModelError, OpenPSAError
from ..._validation import check_int, param_error
from ._safexml import parse

__all__ = ["read_openpsa", "SLOSIM_NAME", "SLOSIM_JOURNEY", "SLOSIM_TARGET",
           "SLOSIM_SHOCK", "SLOSIM_MEMBER"]

#: MEF attributes (``<attributes><attribute name=... value=.../>``) slosim
#: writes so that a model survives the trip: the slosim name of a node whose
#: name is no MEF identifier, the journey a top gate stands for, its target;
#: a basic event that is a common-cause shock, and the ``<or>`` gate that
#: makes a member down when its own event or one of its shocks happens
#: (naming the member's basic event).
SLOSIM_NAME = "slosim-name"
SLOSIM_JOURNEY = "slosim-journey"
SLOSIM_TARGET = "slosim-target"
SLOSIM_SHOCK = "slosim-shock"
SLOSIM_MEMBER = "slosim-member"
_SLOSIM = {SLOSIM_NAME, SLOSIM_JOURNEY, SLOSIM_TARGET, SLOSIM_SHOCK, SLOSIM_MEMBER}

_DEFINITIONS = {
    "define-gate": "gate",
    "define-basic-event": "basic event",
    "define-house-event": "house event",
    "define-parameter": "parameter",
}
_REFERENCES = {"gate": "gate", "basic-event": "basic event",
               "house-event": "house event", "event": None}
_EVENT_TYPES = {"gate": "gate", "basic-event": "basic event",
                "house-event": "house event"}
_COHERENT = {"and", "or", "atleast"}
_NAME_ATTR = frozenset({"name"})
_EVENT_ATTRS = frozenset({"name", "type"})
_NON_COHERENT = {"not", "xor", "nand", "nor", "iff", "imply", "cardinality"}
# Expressions of MEF 2.0 other than constants and parameter references.
_EXPRESSIONS = {
    "system-mission-time", "neg", "add", "sub", "mul", "div", "pi", "abs",
    "acos", "asin", "atan", "cos", "cosh", "exp", "log", "log10", "mod", "pow",
    "sin", "sinh", "tan", "tanh", "sqrt", "ceil", "floor", "min", "max", "mean",
    "not", "and", "or", "eq", "df", "lt", "gt", "leq", "geq", "ite", "switch",
    "exponential", "GLM", "Weibull", "periodic-test", "extern-function",
    "uniform-deviate", "normal-deviate", "lognormal-deviate", "gamma-deviate",
    "beta-deviate", "histogram", "test-initiating-event",
    "test-functional-event",
}
# Top-level MEF constructs outside fault trees.
_OTHER_CONSTRUCTS = {
    "define-event-tree": "event trees",
    "define-initiating-event": "initiating events (event trees)",
    "define-initiating-event-group": "initiating events (event trees)",
    "define-sequence": "sequences (event trees)",
    "define-rule": "rules (event trees)",
    "define-consequence": "consequences (event trees)",
    "define-consequence-group": "consequences (event trees)",
    "define-alignment": "alignments and phases",
    "define-substitution": "substitutions",
    "define-extern-library": "external libraries",
    "define-extern-function": "external functions",
}

# define-CCF-group: the model attribute -> the factor levels it takes, for a
# group of m members.
_CCF_LEVELS = {
    "beta-factor": lambda m: range(m, m + 1),
    "MGL": lambda m: range(2, m + 1),
    "alpha-factor": lambda m: range(1, m + 1),
    "phi-factor": lambda m: range(1, m + 1),
}
# alpha and phi factors must sum to 1 within this (as slosim.alpha_factor
# and phi_factor require); they are then divided by their exact sum.
_CCF_SUM_TOLERANCE = Fraction(1, 10**9)

_DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|[+-]?INF|NaN")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}
# Formulas are translated recursively, one Python frame per nesting level.
_MAX_DEPTH = 500


class _Def:
    """A definition: what it is, where, and what was made of it."""

    __slots__ = ("kind", "id", "base", "line", "where", "body", "attrs",
                 "name", "value", "spec", "node", "members", "alias", "group")

    def __init__(self, kind, id_, base, el, where, body, attrs):
        self.kind = kind        # 'gate', 'basic event', 'house event', 'parameter'
        self.id = id_           # model-wide id
        self.base = base        # container path, for references it makes
        self.line = el.line
        self.where = where
        self.body = body        # child elements other than label/attributes
        self.attrs = attrs      # slosim attributes: name -> (value, line)
        self.name = None        # slosim node name
        self.value = None       # parameter: the constant it resolves to
        self.spec = None        # gate: the checked formula
        self.node = None        # the slosim node
        self.members = None     # shock: the member basic events
        self.alias = None       # member gate: the member it stands for
        self.group = None       # CCF group member: the _Group defining it

    def at(self):
        return f"{self.where}:{self.line}"

    def first(self):
        """How this definition was first made, for a duplicate's message."""
        if self.group is not None:
            return (f"as a member of common-cause group {self.group.id!r} at "
                    f"{self.at()}")
        return f"as a {self.kind} at {self.at()}"


class _Group:
    """A ``define-CCF-group``: its members (basic event definitions) and,
    once checked, its probability and factors."""

    __slots__ = ("id", "base", "line", "where", "model", "members",
                 "members_line", "distribution", "factors", "factor_els",
                 "factors_line", "value", "node")

    def __init__(self, id_, base, el, where, model):
        self.id = id_
        self.base = base
        self.line = el.line
        self.where = where
        self.model = model
        self.members = []           # member _Defs, in the listed order
        self.members_line = None
        self.distribution = None    # the <distribution> element
        self.factor_els = []        # the <factor> elements
        self.factors_line = None    # line of <factors> (or of the one <factor>)
        self.value = None           # Q: decimal text or parameter value
        self.factors = None         # level -> Fraction, checked
        self.node = None            # the CommonCauseGroup

    def at(self):
        return f"{self.where}:{self.line}"

    def what(self):
        return f"common-cause group {self.id!r} ({self.model})"


class _Reader:
    def __init__(self):
        self.events = {}      # id -> _Def (gates, basic and house events)
        self.params = {}      # id -> _Def
        self.gates = []       # gate definitions, in file order
        self.groups = {}      # id -> _Group (define-CCF-group), in file order

    # -- pass 1: definitions -------------------------------------------------

    def document(self, root, where):
        if root.tag != "opsa-mef":
            self.fail(f"the root element is <{root.tag}>, not <opsa-mef>: this is "
                      f"not an Open-PSA MEF file", where, root.line)
        self.check_attrs(root, where, {"name"})
        for el in root.children:
            tag = el.tag
            if tag == "define-fault-tree":
                self.check_attrs(el, where, {"name"}, ("name",))
                self.container(el, where, self.identifier(el, where), "public")
            elif tag == "model-data":
                self.check_attrs(el, where, ())
                self.container(el, where, "", "public", model_data=True)
            elif tag == "define-CCF-group":
                self.ccf_group(el, where, "", "public")
            else:
                self.common(el, where, "<opsa-mef>")

    def container(self, parent, where, base, role, model_data=False):
        for el in parent.children:
            tag = el.tag
            if tag in _DEFINITIONS and not (model_data and tag == "define-gate"):
                self.define(el, where, base, role)
            elif tag == "define-component" and not model_data:
                self.check_attrs(el, where, {"name", "role"}, ("name",))
                name = self.identifier(el, where)
                self.container(el, where, f"{base}.{name}", self.role(el, where, role))
            elif tag == "define-CCF-group" and not model_data:
                self.ccf_group(el, where, base, role)
            else:
                self.common(el, where, f"<{parent.tag}>")

    def common(self, el, where, context):
        """Label, attributes, and the constructs slosim rejects."""
        tag = el.tag
        if tag == "label":
            self.label(el, where)
        elif tag == "attributes":
            self.attributes(el, where)
        elif tag in _OTHER_CONSTRUCTS:
            self.fail(f"<{tag}> is not supported: slosim reads fault trees "
                      f"(define-fault-tree, model-data), not "
                      f"{_OTHER_CONSTRUCTS[tag]}", where, el.line)
        elif tag == "include":
            self.fail("<include> is not followed: pass every file of the model "
                      "to read_openpsa instead", where, el.line)
        elif tag in _DEFINITIONS or tag in ("define-component", "define-CCF-group"):
            self.fail(f"<{tag}> is not allowed in {context}", where, el.line)
        else:
            self.fail(f"unknown element <{tag}> in {context}", where, el.line)

    def define(self, el, where, base, role):
        kind = _DEFINITIONS[el.tag]
        allowed = {"name", "role", "unit"} if kind == "parameter" else {"name", "role"}
        self.check_attrs(el, where, allowed, ("name",))
        name = self.identifier(el, where)
        role = self.role(el, where, role)
        id_ = f"{base}.{name}" if role == "private" and base else name
        table = self.params if kind == "parameter" else self.events
        prev = table.get(id_)
        if prev is not None:
            self.fail(f"{kind} {id_!r} is defined twice (first {prev.first()})",
                      where, el.line, id_)
        body, attrs = [], {}
        for c in el.children:
            if c.tag == "label":
                self.label(c, where)
            elif c.tag == "attributes":
                attrs.update(self.attributes(c, where))
            else:
                body.append(c)
        d = _Def(kind, id_, base, el, where, body, attrs)
        table[id_] = d
        if kind == "gate":
            self.gates.append(d)

    def ccf_group(self, el, where, base, role):
        """A ``define-CCF-group``: define its members (basic events of the
        container, with its role) and keep its parts for pass 2."""
        self.check_attrs(el, where, {"name", "model"}, ("name", "model"))
        name = self.identifier(el, where)
        id_ = f"{base}.{name}" if role == "private" and base else name
        model = el.attrs["model"]
        if model not in _CCF_LEVELS:
            self.fail(f"common-cause group {id_!r}: model {model!r} is not one of "
                      f"{', '.join(_CCF_LEVELS)}", where, el.line, id_)
        prev = self.groups.get(id_)
        if prev is not None:
            self.fail(f"common-cause group {id_!r} is defined twice (first at "
                      f"{prev.at()})", where, el.line, id_)
        g = _Group(id_, base, el, where, model)
        self.groups[id_] = g
        for c in el.children:
            tag = c.tag
            if tag == "label":
                self.label(c, where)
            elif tag == "attributes":
                self.attributes(c, where)
            elif tag in ("members", "distribution", "factors", "factor"):
                seen = {"members": g.members_line, "distribution": g.distribution,
                        "factors": g.factors_line,
                        "factor": g.factors_line}[tag]
                if seen is not None:
                    again = ("a second <factors> or <factor>; put every factor in "
                             "one <factors>" if tag in ("factors", "factor")
                             else f"a second <{tag}>")
                    self.fail(f"{g.what()} has {again}", where, c.line, id_)
                if tag == "members":
                    self.ccf_members(g, c, role)
                elif tag == "distribution":
                    self.check_attrs(c, where, ())
                    if len(c.children) != 1:
                        self.fail(f"{g.what()}: <distribution> needs exactly one "
                                  f"expression, found {len(c.children)}",
                                  where, c.line, id_)
                    g.distribution = c
                elif tag == "factors":
                    self.check_attrs(c, where, ())
                    g.factors_line = c.line
                    if not c.children:
                        self.fail(f"{g.what()}: <factors> holds no <factor>",
                                  where, c.line, id_)
                    for f in c.children:
                        if f.tag != "factor":
                            self.fail(f"unknown element <{f.tag}> in <factors> of "
                                      f"{g.what()}", where, f.line, id_)
                        g.factor_els.append(f)
                else:
                    g.factors_line = c.line
                    g.factor_els.append(c)
            else:
                self.fail(f"unknown element <{tag}> in {g.what()}", where, c.line, id_)
        for part, present in (("<members>", g.members_line),
                              ("<distribution>", g.distribution),
                              ("<factors>", g.factors_line)):
            if present is None:
                self.fail(f"{g.what()} has no {part}", where, el.line, id_)

    def ccf_members(self, g, el, role):
        where = g.where
        self.check_attrs(el, where, ())
        g.members_line = el.line
        for c in el.children:
            if c.tag != "basic-event":
                self.fail(f"{g.what()}: member <{c.tag}> is not a <basic-event>; "
                          f"the members of a group are basic events, defined by it",
                          where, c.line, g.id)
            self.check_attrs(c, where, _NAME_ATTR, ("name",))
            if c.children:
                self.fail("<basic-event> must be empty", where, c.children[0].line,
                          g.id)
            name = self.identifier(c, where)
            id_ = f"{g.base}.{name}" if role == "private" and g.base else name
            prev = self.events.get(id_)
            if prev is not None and prev.group is g:
                self.fail(f"{g.what()} lists member {id_!r} twice", where, c.line,
                          id_)
            if prev is not None:
                self.fail(f"basic event {id_!r} is defined twice (first "
                          f"{prev.first()}): a member of common-cause group "
                          f"{g.id!r} is defined by the group, with no "
                          f"define-basic-event of its own", where, c.line, id_)
            d = _Def("basic event", id_, g.base, c, where, [], {})
            d.group = g
            self.events[id_] = d
            g.members.append(d)
        m = len(g.members)
        if not 2 <= m <= _m.MAX_MEMBERS:
            self.fail(f"{g.what()} has {m} member{'s' if m != 1 else ''}; a group "
                      f"needs 2 to {_m.MAX_MEMBERS}", where, el.line, g.id)

    def label(self, el, where):
        self.check_attrs(el, where, ())
        if el.children:
            self.fail(f"<label> holds an element <{el.children[0].tag}>; a label "
                      f"is text only", where, el.children[0].line)

    def attributes(self, el, where):
        """Check ``<attributes>``; return the slosim ones."""
        self.check_attrs(el, where, ())
        out = {}
        for c in el.children:
            if c.tag != "attribute":
                self.fail(f"unknown element <{c.tag}> in <attributes>", where, c.line)
            self.check_attrs(c, where, {"name", "value", "type"}, ("name", "value"))
            if c.children:
                self.fail("<attribute> must be empty", where, c.children[0].line)
            name = c.attrs["name"]
            if name in _SLOSIM:
                out[name] = (c.attrs["value"], c.line)
        return out

    # -- pass 2: checks ----------------------------------------------------------

    def check(self):
        for d in self.params.values():
            self.parameter_value(d)
        for d in self.events.values():
            if d.kind == "gate":
                self.gate_formula(d)
            elif d.kind == "basic event":
                if d.group is None:
                    self.basic_event_value(d)
            else:
                self.house_event_value(d)
        for g in self.groups.values():
            self.ccf_values(g)
        for d in (*self.params.values(), *self.events.values()):
            d.body = ()    # let the element tree go
        self.check_shocks()

    def ccf_values(self, g):
        """The group's probability and factors, checked against its model."""
        where, m = g.where, len(g.members)
        el = g.distribution
        value = self.expression(el.children[0], g, f"{g.what()}: <distribution>")
        g.value = self.parameter_value(value) if isinstance(value, _Def) else value
        q = _rational(g.value)
        if q is None or not 0 <= q <= 1:
            self.fail(f"{g.what()}: its distribution {g.value!r} (each member's "
                      f"failure probability) is not a probability in [0, 1]",
                      where, el.line, g.id)
        levels = _CCF_LEVELS[g.model](m)
        span = (f"level {levels[0]}" if len(levels) == 1
                else f"levels {levels[0]} to {levels[-1]}")
        need = f"{g.model} groups of {m} members take {span}"
        factors = {}
        for f in g.factor_els:
            self.check_attrs(f, where, {"level"}, ("level",))
            text = f.attrs["level"].strip()
            if not _INTEGER.fullmatch(text) or int(text) not in levels:
                self.fail(f"{g.what()}: factor level {f.attrs['level']!r} is wrong: "
                          f"{need}", where, f.line, g.id)
            level = int(text)
            if level in factors:
                self.fail(f"{g.what()}: factor level {level} is given twice",
                          where, f.line, g.id)
            if len(f.children) != 1:
                self.fail(f"{g.what()}: <factor level=\"{level}\"> needs exactly "
                          f"one expression, found {len(f.children)}",
                          where, f.line, g.id)
            what = f"{g.what()}: factor of level {level}"
            value = self.expression(f.children[0], g, what)
            value = self.parameter_value(value) if isinstance(value, _Def) else value
            x = _rational(value)
            if x is None or not 0 <= x <= 1:
                self.fail(f"{what} is {value!r}, not a fraction in [0, 1]",
                          where, f.line, g.id)
            factors[level] = x
        missing = [k for k in levels if k not in factors]
        if missing:
            self.fail(f"{g.what()} has no factor of level "
                      f"{', '.join(map(str, missing))}: {need}",
                      where, g.factors_line, g.id)
        if g.model in ("alpha-factor", "phi-factor"):
            total = sum(factors.values())
            if abs(total - 1) > _CCF_SUM_TOLERANCE:
                name = "alphas" if g.model == "alpha-factor" else "phis"
                self.fail(f"{g.what()}: its factors ({name}) sum to "
                          f"{float(total)!r}, not 1", where, g.factors_line, g.id)
            factors = {k: v / total for k, v in factors.items()}
        g.factors = [factors[k] for k in levels]

    def check_shocks(self):
        """Take slosim's shocks out of the logic: a shock (a basic event
        marked ``slosim-shock``) may only be an argument of the ``<or>`` of
        a gate marked ``slosim-member``, which names the member."""
        self.shocks = [d for d in self.events.values()
                       if d.kind == "basic event" and SLOSIM_SHOCK in d.attrs]
        for sh in self.shocks:
            sh.members = []
        for d in self.gates:
            if SLOSIM_MEMBER not in d.attrs:
                continue
            ref, line = d.attrs[SLOSIM_MEMBER]
            spec = d.spec
            member = None
            if isinstance(spec, tuple) and spec[0] == "or":
                member = next((a for a in spec[2] if isinstance(a, _Def)
                               and a.id == ref and a.kind == "basic event"
                               and a.members is None), None)
            if member is None:
                self.fail(f"gate {d.id!r}: {SLOSIM_MEMBER} {ref!r} must name a "
                          f"basic event among the arguments of the gate's <or>",
                          d.where, line, d.id)
            rest = []
            for a in spec[2]:
                if isinstance(a, _Def) and a.members is not None:
                    if member not in a.members:
                        a.members.append(member)
                else:
                    rest.append(a)
            d.spec = ("or", 1, rest)
            if rest == [member]:
                d.alias = member     # the member itself, with its shocks
        for d in self.gates:
            for t in _refs(d.spec):
                if t.members is not None:
                    self.fail(f"gate {d.id!r} refers to basic event {t.id!r}, which "
                              f"is a shock ({SLOSIM_SHOCK}); a shock may only be an "
                              f"argument of a gate with a {SLOSIM_MEMBER} attribute",
                              d.where, d.line, d.id)
        for sh in self.shocks:
            if not sh.members:
                self.fail(f"shock {sh.id!r} ({SLOSIM_SHOCK}) is an argument of no "
                          f"gate with a {SLOSIM_MEMBER} attribute, so it has no "
                          f"members", sh.where, sh.line, sh.id)

    def parameter_value(self, d):
        """The constant a parameter resolves to (following references)."""
        chain, on_chain = [], set()
        while d.value is None:
            if d.id in on_chain:
                loop = chain[[c.id for c in chain].index(d.id):] + [d]
                self.fail("parameter " + repr(d.id) + " is defined through itself: "
                          + " -> ".join(c.id for c in loop), d.where, d.line, d.id)
            chain.append(d)
            on_chain.add(d.id)
            if len(d.body) != 1:
                self.fail(f"parameter {d.id!r} needs exactly one expression, "
                          f"found {len(d.body)}", d.where, d.line, d.id)
            value = self.expression(d.body[0], d, f"parameter {d.id!r}")
            if isinstance(value, _Def):
                d = value
            else:
                d.value = value
        for c in chain:
            c.value = d.value
        return d.value

    def expression(self, el, owner, what):
        """A constant's text, or the parameter definition it refers to."""
        tag, where = el.tag, owner.where
        if el.children and tag in ("float", "int", "bool", "parameter"):
            self.fail(f"<{tag}> in {what} holds an element <{el.children[0].tag}>",
                      where, el.children[0].line, owner.id)
        if tag in ("float", "int", "bool"):
            attrs = self.check_attrs(el, where, {"value"}, ("value",))
            text = attrs["value"].strip()
            if tag == "bool":
                if text not in _BOOLEAN:
                    self.fail(f"{what}: <bool value={text!r}> is not a boolean "
                              f"(true, false, 1 or 0)", where, el.line, owner.id)
                return "1" if _BOOLEAN[text] else "0"
            pattern = _DOUBLE if tag == "float" else _INTEGER
            if not pattern.fullmatch(text):
                self.fail(f"{what}: <{tag} value={attrs['value']!r}> is not "
                          f"{'a number' if tag == 'float' else 'an integer'}",
                          where, el.line, owner.id)
            return text
        if tag == "parameter":
            ref = self.check_attrs(el, where, {"name", "unit"}, ("name",))["name"]
            target = self.lookup(self.params, ref, owner.base)
            if target is None:
                self.fail(f"{what} refers to parameter {ref!r}, which is not "
                          f"defined", where, el.line, owner.id)
            return target
        if tag in _EXPRESSIONS:
            self.fail(f"{what} uses <{tag}>, an expression slosim does not "
                      f"evaluate: probabilities must be constants (<float>, <int>, "
                      f"<bool>) or parameters defined by one (see docs/io)",
                      where, el.line, owner.id)
        self.fail(f"unknown element <{tag}> in {what}", where, el.line, owner.id)

    def basic_event_value(self, d):
        if not d.body:
            self.fail(f"basic event {d.id!r} has no probability: give it one, "
                      f"e.g. <float value=\"0.001\"/>", d.where, d.line, d.id)
        if len(d.body) > 1:
            self.fail(f"basic event {d.id!r} has {len(d.body)} expressions; it "
                      f"needs exactly one", d.where, d.body[1].line, d.id)
        value = self.expression(d.body[0], d, f"basic event {d.id!r}")
        d.value = self.parameter_value(value) if isinstance(value, _Def) else value

    def house_event_value(self, d):
        if len(d.body) > 1 or (d.body and d.body[0].tag != "constant"):
            bad = d.body[1] if len(d.body) > 1 else d.body[0]
            self.fail(f"house event {d.id!r} takes one <constant value=\"true\"/> "
                      f"or <constant value=\"false\"/>, not <{bad.tag}>",
                      d.where, bad.line, d.id)
        d.value = "1" if d.body and self.constant(d.body[0], d) else "0"

    def constant(self, el, owner):
        attrs = self.check_attrs(el, owner.where, {"value"}, ("value",))
        if el.children:
            self.fail("<constant> must be empty", owner.where, el.children[0].line,
                      owner.id)
        text = attrs["value"].strip()
        if text not in _BOOLEAN:
            self.fail(f"<constant value={attrs['value']!r}> is not a boolean "
                      f"(true, false, 1 or 0)", owner.where, el.line, owner.id)
        return _BOOLEAN[text]

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
        arguments that fail the formula.
        """
        tag, where = el.tag, gate.where
        if tag in _REFERENCES:
            attrs = self.check_attrs(
                el, where, _EVENT_ATTRS if tag == "event" else _NAME_ATTR, ("name",))
            if el.children:
                self.fail(f"<{tag}> must be empty", where, el.children[0].line, gate.id)
            kind = _REFERENCES[tag]
            if tag == "event" and "type" in attrs:
                kind = _EVENT_TYPES.get(attrs["type"])
                if kind is None:
                    self.fail(f"<event type={attrs['type']!r}> is not one of "
                              f"gate, basic-event, house-event", where, el.line, gate.id)
            ref = attrs["name"]
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
            if not _INTEGER.fullmatch(text) or not 1 <= int(text) <= n:
                self.fail(f"<atleast min={attrs['min']!r}> in gate {gate.id!r} "
                          f"must have min between 1 and its number of arguments "
                          f"({n})", where, el.line, gate.id)
            seen = set()
            for c, a in zip(el.children, args):
                if isinstance(a, _Def):
                    if a.id in seen:
                        self.fail(f"<atleast> in gate {gate.id!r} has {a.id!r} "
                                  f"twice among its arguments, which makes its vote "
                                  f"ambiguous", where, c.line, gate.id)
                    seen.add(a.id)
            return ("atleast", int(text), args)
        if tag in _NON_COHERENT:
            self.fail(f"gate {gate.id!r} uses <{tag}>, which is not coherent logic: "
                      f"slosim supports only and/or/atleast (see docs/io)",
                      where, el.line, gate.id)
        self.fail(f"unknown element <{tag}> in gate {gate.id!r}", where, el.line,
                  gate.id)

    # -- pass 3: nodes -------------------------------------------------------

    def name_nodes(self):
        """Give every event its slosim name; invent the constants' names."""
        owner = {}
        # Own names first, so that a clash blames the slosim-name attribute.
        for d in sorted(self.events.values(), key=lambda d: SLOSIM_NAME in d.attrs):
            value = d.attrs.get(SLOSIM_NAME)
            d.name = d.id if value is None else value[0]
            line = d.line if value is None else value[1]
            prev = owner.get(d.name)
            if prev is not None:
                self.fail(f"{d.kind} {d.id!r} would be named {d.name!r} in slosim, "
                          f"which is already the name of {prev.kind} {prev.id!r} "
                          f"({prev.at()})", d.where, line, d.id)
            owner[d.name] = d
        self.constants = {}
        for value in (True, False):
            base = "constant-" + ("true" if value else "false")
            name, i = base, 1
            while name in owner or name in self.events:
                i += 1
                name = f"{base}-{i}"
            self.constants[value] = name

    def build(self):
        self.name_nodes()
        for d in self.events.values():
            if d.kind != "gate" and d.members is None and d.group is None:
                d.node = self.component(d.name, d.value, d)
        for g in self.groups.values():
            self.ccf_node(g)
        const_nodes = {}

        def constant(value):
            if value not in const_nodes:
                const_nodes[value] = _m.Component(
                    self.constants[value], unavailability=1 if value else 0)
            return const_nodes[value]

        def node(spec, name=None):
            if isinstance(spec, _Def):
                return spec.node
            if isinstance(spec, bool):
                return constant(spec)
            op, m, args = spec
            kids = []
            for a in args:
                kids.append(node(a))
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

    def ccf_node(self, g):
        """The slosim group for a ``define-CCF-group``; its components are
        the member basic events."""
        names = [d.name for d in g.members]
        f = g.factors
        try:
            if g.model == "beta-factor":
                group = _m.beta_factor(g.id, names, unavailability=g.value,
                                         beta=f[0])
            elif g.model == "MGL":
                group = _m.multiple_greek_letter(g.id, names,
                                                   unavailability=g.value, factors=f)
            elif g.model == "alpha-factor":
                # Non-staggered testing, as SCRAM reads it (MEF names no
                # testing scheme).
                group = _m.alpha_factor(g.id, names, unavailability=g.value,
                                          alphas=f, staggered=False)
            else:
                group = _m.phi_factor(g.id, names, unavailability=g.value, phis=f)
        except ModelError as exc:
            self.fail(f"{g.what()}: {exc}", g.where, g.line, g.id, exc)
        g.node = group
        for d, c in zip(g.members, group.components):
            d.node = c

    def component(self, name, value, d):
        try:
            return _m.Component(name, unavailability=value)
        except ModelError as exc:
            self.fail(f"{d.kind} {d.id!r}: {exc}", d.where, d.line, d.id, exc)

    def gate_order(self):
        """Gates, each after every gate it refers to; a cycle is an error."""
        kids = {d.id: [t for t in _gate_refs(d.spec)] for d in self.gates}
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

    def journeys(self, top, sources):
        referenced = {t.id for d in self.gates for t in _gate_refs(d.spec)}
        if top is None:
            chosen = [d for d in self.gates if d.id not in referenced]
            if not chosen:
                self.fail("the model defines no gate, so it has no top event to "
                          "make a journey of", sources, None)
        else:
            chosen = []
            for name in top:
                d = self.events.get(name)
                if d is None:
                    self.fail(f"top event {name!r} is not defined", sources, None, name)
                if d.members is not None:
                    self.fail(f"top event {name!r} is a shock ({SLOSIM_SHOCK}), not "
                              f"an event of the logic", d.where, d.line, name)
                chosen.append(d)
        out = []
        for d in chosen:
            name, target = d.name, None
            if d.kind == "gate" and SLOSIM_JOURNEY in d.attrs:
                name = d.attrs[SLOSIM_JOURNEY][0]
            if d.kind == "gate" and SLOSIM_TARGET in d.attrs:
                text, line = d.attrs[SLOSIM_TARGET]
                target = text.strip()
                if not _DOUBLE.fullmatch(target) or not 0 < float(target) <= 1:
                    self.fail(f"gate {d.id!r}: {SLOSIM_TARGET} {text!r} is not an "
                              f"availability in (0, 1]", d.where, line, d.id)
                target = float(target)
            try:
                out.append(_m.Journey(d.node, name=name, target=target))
            except ModelError as exc:
                self.fail(f"{d.kind} {d.id!r}: {exc}", d.where, d.line, d.id, exc)
        return out

    def shock_nodes(self, journeys):
        """The shocks, over the members the journeys reach."""
        seen, stack = set(), [j.node for j in journeys]
        while stack:
            n = stack.pop()
            if id(n) not in seen:
                seen.add(id(n))
                stack.extend(n.children)
        out = []
        for d in self.shocks:
            members = [m.node for m in d.members if id(m.node) in seen]
            if members:
                try:
                    out.append(_m.Shock(d.name, d.value, members=members))
                except ModelError as exc:
                    self.fail(f"shock {d.id!r}: {exc}", d.where, d.line, d.id, exc)
        # A group's shock over the members the journeys reach, so that each
        # reached member keeps its total failure probability.
        for g in self.groups.values():
            for sh in g.node.shocks:
                members = [m for m in sh.members if id(m) in seen]
                if len(members) == len(sh.members):
                    out.append(sh)
                elif members:
                    out.append(_m.Shock(sh.name, sh.probability, members=members))
        return out

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    def lookup(table, ref, base):
        if base:
            d = table.get(f"{base}.{ref}")
            if d is not None:
                return d
        return table.get(ref)

    def identifier(self, el, where):
        name = el.attrs["name"]
        if not name.strip() or name != name.strip():
            self.fail(f"<{el.tag} name={name!r}>: a name must be non-empty, without "
                      f"leading or trailing blanks", where, el.line)
        return name

    def role(self, el, where, inherited):
        role = el.attrs.get("role", inherited)
        if role not in ("public", "private"):
            self.fail(f"<{el.tag} role={role!r}>: a role is public or private",
                      where, el.line)
        return role

    def check_attrs(self, el, where, allowed, required=()):
        """The element's attributes as a dict, checked."""
        attrs = el.attrs
        for key in attrs:
            if key not in allowed and ":" not in key and not key.startswith("xmlns"):
                self.fail(f"<{el.tag}> has an unknown attribute {key!r}", where, el.line)
        for key in required:
            if key not in attrs:
                self.fail(f"<{el.tag}> needs a {key!r} attribute", where, el.line)
        return attrs

    @staticmethod
    def fail(reason, where, line, node=None, cause=None):
        raise OpenPSAError(reason, where, line, node) from cause


def _rational(text):
    """The exact value of a checked constant's text, or None (INF, NaN)."""
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _refs(spec):
    """The definitions a checked formula refers to, in order (iterative)."""
    stack = [spec]
    while stack:
        s = stack.pop()
        if isinstance(s, _Def):
            yield s
        elif isinstance(s, tuple):
            stack.extend(reversed(s[2]))


def _gate_refs(spec):
    """The gate definitions a checked formula refers to."""
    return (d for d in _refs(spec) if d.kind == "gate")


def _sources(source):
    if isinstance(source, (list, tuple)):
        if not source:
            raise param_error("source", "read_openpsa",
                              "a path, a file object or a non-empty list of them",
                              source)
        return list(source)
    return [source]


def _open(source):
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return source, (name if isinstance(name, str) else "<stream>"), False
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), os.fspath(source), True
    raise param_error("source", "read_openpsa",
                      "a path (str or os.PathLike), a file object or a list of them",
                      source, TypeError)


def _top(top):
    if top is None:
        return None
    names = [top] if isinstance(top, str) else top
    if not isinstance(names, (list, tuple)) or not names or not all(
            isinstance(t, str) for t in names):
        raise param_error("top", "read_openpsa",
                          "None, a str or a non-empty list of str", top, TypeError)
    if len(set(names)) != len(names):
        raise param_error("top", "read_openpsa", "a list of distinct names", top)
    return list(names)


def read_openpsa(source, *, top=None, max_size=64 * 2**20, max_depth=256):
    """Read an Open-PSA MEF model (fault trees) as a :class:`slosim.Model`.

    Fault trees live in the failure domain: their top event is a failure.
    slosim translates each gate into the up domain: ``<or>`` of failures is
    :func:`~slosim.series`, ``<and>`` is :func:`~slosim.parallel`,
    ``<atleast min="k">`` over ``n`` arguments is
    ``k_of_n(n - k + 1, ...)``. A basic event is a
    :class:`~slosim.Component` whose unavailability is the event's
    probability; a house event is a component with unavailability 1 (true:
    the event has happened) or 0 (false, also when it has no constant).

    Parameters
    ----------
    source : path, file object, or list of them
        An MEF file: a path (``str`` or ``os.PathLike``) or a binary or text
        file object. A list of files is read as one model, as PRA tools do
        (names are model-wide across the files).
    top : str or list of str, optional
        The events to make journeys of, by name, in this order. By default
        every gate that no other gate refers to (the model's top gates), in
        file order.
    max_size : int, default 64 MiB
        Largest file accepted, in bytes (characters for a text stream).
    max_depth : int, default 256
        Deepest element nesting accepted (at most 500).

    Returns
    -------
    Model
        One journey per top event, named after it; the components are the
        basic and house events the journeys reach; the shocks are those of
        the common-cause groups whose members the journeys reach, and those
        :func:`write_openpsa` wrote from a model with shocks.

    Raises
    ------
    OpenPSAError
        For any file slosim cannot read exactly, with the file, the line and
        the offending element in the message: malformed or unsafe XML (a
        DOCTYPE, a file over ``max_size``, nesting over ``max_depth``),
        non-coherent logic (``not``, ``xor``, ``nand``, ``nor``, ``iff``,
        ``imply``, ``cardinality``), expressions other than constants and
        parameters, common-cause groups that break their model's rules
        (levels, factors, members), unknown elements or attributes,
        undefined, duplicate or cyclic definitions, probabilities outside
        [0, 1]. Every definition in the files is checked, used or not.

    See Also
    --------
    write_openpsa : the reverse.

    Notes
    -----
    Supported: ``define-fault-tree``, ``define-component`` (public and
    private), ``model-data``, ``define-gate`` with ``<and>``, ``<or>``,
    ``<atleast>``, nested formulas (an unnamed gate each), a single event or
    ``<constant>`` as a formula; references ``<gate>``, ``<basic-event>``,
    ``<house-event>``, ``<event>`` (with or without ``type``);
    ``define-basic-event`` with ``<float>``, ``<int>``, ``<bool>`` or
    ``<parameter>``; ``define-parameter``; ``define-house-event``;
    ``define-CCF-group`` (at the top level, in a fault tree or a component)
    with model ``beta-factor``, ``MGL``, ``alpha-factor`` (read as
    non-staggered testing, as SCRAM does) or ``phi-factor``, built by
    :func:`~slosim.beta_factor`, :func:`~slosim.multiple_greek_letter`,
    :func:`~slosim.alpha_factor` or :func:`~slosim.phi_factor` (its
    members are the group's components, its shocks the model's); labels
    and attributes (ignored, except slosim's own, which :func:`write_openpsa`
    writes: ``slosim-name``, ``slosim-journey``, ``slosim-target``, and
    ``slosim-shock`` and ``slosim-member``, which make
    :class:`~slosim.Shock` objects of the basic events a model's shocks were
    written as). Probabilities are read from their decimal text, exactly as
    ``Component(name, unavailability="...")`` would.

    Examples
    --------
    >>> import io
    >>> import slosim as ss
    >>> import slosim.io
    >>> mef = io.StringIO('''<?xml version="1.0"?>
    ... <opsa-mef>
    ...   <define-fault-tree name="checkout">
    ...     <define-gate name="checkout">
    ...       <or>
    ...         <basic-event name="web"/>
    ...         <and><basic-event name="db-a"/><basic-event name="db-b"/></and>
    ...       </or>
    ...     </define-gate>
    ...   </define-fault-tree>
    ...   <model-data>
    ...     <define-basic-event name="web"><float value="0.0005"/></define-basic-event>
    ...     <define-basic-event name="db-a"><float value="1e-3"/></define-basic-event>
    ...     <define-basic-event name="db-b"><float value="1e-3"/></define-basic-event>
    ...   </model-data>
    ... </opsa-mef>''')
    >>> model = slosim.io.read_openpsa(mef)
    >>> model
    Model(journeys=['checkout'], components=3, gates=2)
    >>> [(c.name, c.unavailability) for c in model.components.values()]
    [('web', 0.0005), ('db-a', 0.001), ('db-b', 0.001)]
    >>> model.journeys[0].node
    series('web', unnamed parallel('db-a', 'db-b'), name='checkout')
    """
    top = _top(top)
    max_size = check_int(max_size, "max_size", "read_openpsa", low=1)
    max_depth = check_int(max_depth, "max_depth", "read_openpsa", low=1,
                          high=_MAX_DEPTH)
    reader = _Reader()
    names = []
    for src in _sources(source):
        stream, where, close = _open(src)
        try:
            root = parse(stream, where, max_size=max_size, max_depth=max_depth,
                         text_tags=frozenset({"label"}))
        finally:
            if close:
                stream.close()
        names.append(where)
        reader.document(root, where)
    del root
    reader.check()
    reader.build()
    journeys = reader.journeys(top, ", ".join(names))
    shocks = reader.shock_nodes(journeys)
    try:
        return _m.Model(journeys, shocks=shocks)
    except ModelError as exc:
        raise OpenPSAError(str(exc), ", ".join(names), None, exc.node) from exc
