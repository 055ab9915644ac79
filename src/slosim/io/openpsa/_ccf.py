"""Common-cause groups: ``define-CCF-group``.

A group defines its members (basic events) and takes a probability and
the factors of its model: ``beta-factor``, ``MGL``, ``alpha-factor`` (read
as non-staggered testing, as SCRAM does) or ``phi-factor``.

The group is built with the standard convention (``marginal="standard"``
of the slosim constructors), the formulas of NUREG/CR-5485 as PRA tools
apply them, so that a model gives SCRAM's numbers: ``Q_1 = (1 - beta) Q``,
``Q_m = beta Q`` (beta-factor); ``Q_k = rho_2 ... rho_k (1 - rho_(k+1)) Q
/ C(m-1, k-1)`` (MGL); ``Q_k = k alpha_k Q / (C(m-1, k-1) alpha_t)``
(alpha-factor); ``Q_k = phi_k Q`` (phi-factor); each member fails when its
own event (``Q_1``) or a group event containing it occurs.

A factor without a ``level`` takes the level after the previous factor's
(the model's first level for the first factor), as SCRAM reads it; given
levels may come in any order.
"""

from fractions import Fraction

from ... import model as _m
from ..._errors import ModelError
from ._definitions import NAME_ATTR, Definition, trim
from ._expressions import INTEGER, Deviate

__all__ = ["CCFGroups"]

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
        self.members = []           # member Definitions, in the listed order
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


class CCFGroups:
    """``define-CCF-group``, in all three passes.

    Pass 1 makes a :class:`_Group` of the group, kept in ``self.groups``
    with its parts, and a :class:`Definition` of each member in
    ``self.events`` (basic events of the group's container, with its
    role). Pass 2 checks the group's probability and factors against its
    model (resolving parameters through ``self.params``). Pass 3 builds
    the slosim common-cause group and writes its components to the
    members' ``node``.
    """

    def ccf_group(self, el, where, base, role):
        """A ``define-CCF-group``: define its members (basic events of the
        container, with its role) and keep its parts for pass 2."""
        self.check_attrs(el, where, {"name", "model"}, ("name", "model"))
        name = self.identifier(el, where)
        id_ = f"{base}.{name}" if role == "private" and base else name
        model = trim(el.attrs["model"])
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
            self.check_attrs(c, where, NAME_ATTR, ("name",))
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
            d = Definition("basic event", id_, g.base, c, where, [], {})
            d.group = g
            self.events[id_] = d
            g.members.append(d)
        m = len(g.members)
        if not 2 <= m <= _m.MAX_MEMBERS:
            self.fail(f"{g.what()} has {m} member{'s' if m != 1 else ''}; a group "
                      f"needs 2 to {_m.MAX_MEMBERS}", where, el.line, g.id)

    def ccf_values(self, g):
        """The group's probability and factors, checked against its model."""
        where, m = g.where, len(g.members)
        el = g.distribution
        value = self.expression(el.children[0], g, f"{g.what()}: <distribution>")
        g.value = (self.parameter_value(value) if isinstance(value, Definition)
                   else value)
        if isinstance(g.value, Deviate):
            g.value = g.value.mean      # SCRAM's point value; nothing uncertain
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
        previous = None
        for f in g.factor_els:
            self.check_attrs(f, where, {"level"})
            if "level" in f.attrs:
                text = f.attrs["level"].strip()
                if not INTEGER.fullmatch(text) or int(text) not in levels:
                    self.fail(f"{g.what()}: factor level {f.attrs['level']!r} is "
                              f"wrong: {need}", where, f.line, g.id)
                level = int(text)
                tag = f"<factor level=\"{level}\">"
            else:
                # SCRAM's rule: the level after the previous factor's.
                level = levels[0] if previous is None else previous + 1
                if level not in levels:
                    self.fail(f"{g.what()}: a <factor> without a level follows the "
                              f"factor of level {previous}, so it would be level "
                              f"{level}: {need}", where, f.line, g.id)
                tag = f"<factor> of level {level} (by its place)"
            if level in factors:
                self.fail(f"{g.what()}: factor level {level} is given twice",
                          where, f.line, g.id)
            previous = level
            if len(f.children) != 1:
                self.fail(f"{g.what()}: {tag} needs exactly one expression, found "
                          f"{len(f.children)}", where, f.line, g.id)
            what = f"{g.what()}: factor of level {level}"
            value = self.expression(f.children[0], g, what)
            if isinstance(value, Definition):
                value = self.parameter_value(value)
            if isinstance(value, Deviate):
                value = value.mean
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

    def ccf_node(self, g):
        """The slosim group for a ``define-CCF-group``, with the standard
        convention (the PRA tools' numbers); its components are the member
        basic events."""
        names = [d.name for d in g.members]
        f = g.factors
        std = "standard"
        try:
            if g.model == "beta-factor":
                group = _m.beta_factor(g.id, names, unavailability=g.value,
                                       beta=f[0], marginal=std)
            elif g.model == "MGL":
                group = _m.multiple_greek_letter(g.id, names, unavailability=g.value,
                                                 factors=f, marginal=std)
            elif g.model == "alpha-factor":
                # Non-staggered testing, as SCRAM reads it (MEF names no
                # testing scheme).
                group = _m.alpha_factor(g.id, names, unavailability=g.value,
                                        alphas=f, staggered=False, marginal=std)
            else:
                group = _m.phi_factor(g.id, names, unavailability=g.value, phis=f,
                                      marginal=std)
        except ModelError as exc:
            self.fail(f"{g.what()}: {exc}", g.where, g.line, g.id, exc)
        g.node = group
        for d, c in zip(g.members, group.components):
            d.node = c


def _rational(text):
    """The exact value of a checked constant's text, or None (INF, NaN)."""
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
