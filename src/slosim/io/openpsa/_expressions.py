"""Constants and parameters: the probabilities of basic and house events.

slosim evaluates no MEF expression: a value is a constant (``<float>``,
``<int>``, ``<bool>``, ``<constant>``) or a parameter defined by one, read
from its decimal text.
"""

import re

from ... import model as _m
from ..._errors import ModelError
from ._definitions import Definition

__all__ = ["Expressions", "DOUBLE", "INTEGER"]

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

DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                    r"|[+-]?INF|NaN")
INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


class Expressions:
    """Constants and parameters, in pass 2 and pass 3.

    Pass 2 checks the value of every ``define-parameter`` (following
    ``<parameter>`` references through ``self.params``; a cycle is an
    error), ``define-basic-event`` and ``define-house-event`` from the
    body pass 1 kept, and writes it to the definition's ``value``: a
    constant's decimal text, ``"1"`` or ``"0"`` for a boolean. Pass 3
    makes the :class:`~slosim.Component` of a basic or house event.
    """

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
            if isinstance(value, Definition):
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
            pattern = DOUBLE if tag == "float" else INTEGER
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
        d.value = (self.parameter_value(value) if isinstance(value, Definition)
                   else value)

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

    def component(self, name, value, d):
        try:
            return _m.Component(name, unavailability=value)
        except ModelError as exc:
            self.fail(f"{d.kind} {d.id!r}: {exc}", d.where, d.line, d.id, exc)
