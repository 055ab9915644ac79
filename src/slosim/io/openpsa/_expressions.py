"""Expressions: the probabilities of basic and house events.

A value is a constant (``<float>``, ``<int>``, ``<bool>``,
``<constant>``), read from its decimal text; a parameter, resolved to its
value; or an expression of MEF 2.0 evaluated in floating point, as SCRAM
evaluates it: arithmetic, comparisons and ``ite`` over constants and
parameters, ``system-mission-time`` (the reader's ``mission_time``),
``exponential``, ``GLM``, ``Weibull`` and ``periodic-test`` (all three
forms); the deviates and
``histogram`` (a :class:`Deviate`: a slosim distribution where slosim has
one, and in any case SCRAM's point value, the mean).
"""

import math
import re
from statistics import NormalDist

from ... import model as _m
from ..._errors import ModelError
from ._definitions import Definition, trim

__all__ = ["Expressions", "DOUBLE", "INTEGER"]

# Expressions of MEF 2.0 slosim does not evaluate.
_REFUSED = {
    "switch", "extern-function", "test-initiating-event",
    "test-functional-event",
}


def _mod(a, b):
    # SCRAM's: the remainder of the integer parts, with the sign of a (C++ %).
    return float(math.fmod(int(a), int(b)))


def _exponential(lam, t):
    """``1 - exp(-lambda t)``, with the digits of ``expm1``."""
    return -math.expm1(-lam * t)


def _glm(gamma, lam, mu, t):
    """``(lambda - (lambda - gamma (lambda + mu)) exp(-(lambda + mu) t))
    / (lambda + mu)``, written as ``gamma e + lambda (1 - e) / (lambda +
    mu)`` with ``e = exp(-(lambda + mu) t)`` (the same number, with the
    digits of ``expm1``)."""
    r = lam + mu
    return gamma * math.exp(-r * t) - lam / r * math.expm1(-r * t)


def _weibull(alpha, beta, t0, t):
    """``1 - exp(-((t - t0) / alpha)**beta)`` for ``t > t0``, else 0."""
    return 0.0 if t <= t0 else -math.expm1(-((t - t0) / alpha) ** beta)


def _since_test(t, theta, tau):
    """``(n, s)`` at ``t > theta``: tests after the first one before ``t``,
    and the time since the last (``tau`` at a test instant: the state just
    before it). The period arithmetic is SCRAM's, so the numbers are."""
    delta = t - theta
    n = int(delta / tau)
    since = delta - n * tau
    return (n, since) if since else (n - 1, tau)


def _periodic_test(lam, tau, theta, t):
    """Instant test and repair every ``tau`` from ``theta`` on:
    ``1 - exp(-lambda s)`` with ``s`` the time since the last test
    (:func:`_since_test`; ``t`` before the first test)."""
    if t <= theta:
        return _exponential(lam, t)
    return _exponential(lam, _since_test(t, theta, tau)[1])


def _periodic_test_repair(lam, mu, tau, theta, t):
    """Instant tests every ``tau`` from ``theta`` on, a failure found
    repaired at rate ``mu``: the unavailability of the Markov chain
    working -> failed (rate lambda), in repair -> working (rate mu), each
    test moving the failed into repair. Over a period from a test with a
    share ``u`` down (all in repair), the share down after ``s`` is
    ``1 - exp(-lambda s) + u (exp(-lambda s) - g(s))``, ``g(s)`` being the
    chance that a repair ends and no failure follows by ``s``; from test to
    test ``u`` follows an affine recurrence, summed as a geometric series.
    The instants are the four-argument form's (:func:`_since_test`)."""
    if t <= theta:
        return _exponential(lam, t)

    def g(s):
        # mu (exp(-mu s) - exp(-lambda s)) / (lambda - mu), without cancellation
        d = lam - mu
        return mu * math.exp(-lam * s) * (s if d == 0 else math.expm1(d * s) / d)

    n, since = _since_test(t, theta, tau)
    u = _exponential(lam, theta)             # down at the first test
    if n:
        one_minus_a, b = _exponential(lam, tau), g(tau)
        c = math.exp(-lam * tau) - b          # u' = (1 - a) + c u
        cn = c ** n
        u = cn * u + one_minus_a * (1 - cn) / (one_minus_a + b)
    return _exponential(lam, since) + u * (math.exp(-lam * since) - g(since))


def _periodic_test_full(lam, lam_test, mu, tau, theta, gamma, pi, x, sigma, omega, t):
    """The eleven-argument periodic test, as the Markov chain it describes.

    States: working, failed (unseen), in repair, and during a test (from
    ``theta + k tau`` for ``pi``) under test working or failed. A test
    takes every working or failed component (a working one fails at its
    start with probability ``gamma``, and under test at rate
    ``lambda_test``); one in repair goes on with its repair, and one whose
    repair ends during the test is not tested. At the test's end a failure
    is found with probability ``sigma`` and goes into repair (rate ``mu``);
    a repair ends in a failed restart with probability ``omega``. During a
    test the component is available when ``x`` is true and it works
    (untested components included); otherwise only an untested working one
    is. Periods repeat: the state at a test's start is the first one's times
    a matrix power. The unavailability is the probability of the states
    down. The instants follow SCRAM's: the first test from just after
    ``theta``, later ones from their start, each to its end inclusive.
    """
    import numpy as np
    from scipy.linalg import expm

    Q = np.zeros((5, 5))     # working, failed, in repair, testing working, testing failed
    Q[0, 1], Q[2, 0], Q[2, 1], Q[3, 4] = lam, mu * (1 - omega), mu * omega, lam_test
    Q[np.diag_indices(5)] = -Q.sum(axis=1)
    start = np.zeros((5, 5))  # a test begins
    start[0, 3], start[0, 4], start[1, 4], start[2, 2] = 1 - gamma, gamma, 1.0, 1.0
    end = np.zeros((5, 5))    # a test ends
    end[0, 0] = end[3, 0] = end[2, 2] = 1.0
    end[1, 1], end[4, 1], end[4, 2] = 1.0, 1 - sigma, sigma

    def down(p, testing):
        if testing and not x:
            return float(p[1] + p[2] + p[3] + p[4])
        return float(p[1] + p[2] + p[4])

    p = np.zeros(5)
    p[0] = 1.0
    if t <= theta:
        return down(p @ expm(Q * t), False)
    delta = t - theta
    k = int(delta / tau)
    since = delta - k * tau
    test, rest = start @ expm(Q * pi) @ end, expm(Q * (tau - pi))
    p = p @ expm(Q * theta)
    if k:
        p = p @ np.linalg.matrix_power(test @ rest, k)
    if since <= pi:
        return down(p @ start @ expm(Q * since), True)
    return down(p @ test @ expm(Q * (since - pi)), False)


_POSITIVE, _NON_NEGATIVE, _PROBABILITY = "> 0", ">= 0", "in [0, 1]"
_CHECKS = {
    _POSITIVE: lambda x: x > 0,
    _NON_NEGATIVE: lambda x: x >= 0,
    _PROBABILITY: lambda x: 0 <= x <= 1,
    "> 1": lambda x: x > 1,
    "in (0, 1)": lambda x: 0 < x < 1,
}

# tag -> (arity: n, or (low, None) for low or more arguments, function of
# the argument values, what each argument must be: (name, check) or None).
_FUNCTIONS = {
    "neg": (1, lambda a: -a, None),
    "add": ((2, None), lambda *a: math.fsum(a), None),
    "sub": ((2, None), lambda a, *b: a - math.fsum(b), None),
    "mul": ((2, None), lambda *a: math.prod(a), None),
    "div": ((2, None), lambda a, *b: a / math.prod(b), None),
    "pi": (0, lambda: math.pi, None),
    "abs": (1, abs, None),
    "acos": (1, math.acos, None),
    "asin": (1, math.asin, None),
    "atan": (1, math.atan, None),
    "cos": (1, math.cos, None),
    "cosh": (1, math.cosh, None),
    "exp": (1, math.exp, None),
    "log": (1, math.log, None),
    "log10": (1, math.log10, None),
    "mod": (2, _mod, None),
    "pow": (2, math.pow, None),
    "sin": (1, math.sin, None),
    "sinh": (1, math.sinh, None),
    "tan": (1, math.tan, None),
    "tanh": (1, math.tanh, None),
    "sqrt": (1, math.sqrt, None),
    "ceil": (1, lambda a: float(math.ceil(a)), None),
    "floor": (1, lambda a: float(math.floor(a)), None),
    "min": ((2, None), min, None),
    "max": ((2, None), max, None),
    "mean": ((2, None), lambda *a: math.fsum(a) / len(a), None),
    "not": (1, lambda a: float(not a), None),
    "and": ((2, None), lambda *a: float(all(a)), None),
    "or": ((2, None), lambda *a: float(any(a)), None),
    "eq": (2, lambda a, b: float(a == b), None),
    "df": (2, lambda a, b: float(a != b), None),
    "lt": (2, lambda a, b: float(a < b), None),
    "gt": (2, lambda a, b: float(a > b), None),
    "leq": (2, lambda a, b: float(a <= b), None),
    "geq": (2, lambda a, b: float(a >= b), None),
    "ite": (3, lambda c, a, b: a if c else b, None),
    "exponential": (2, _exponential, (("the failure rate", _NON_NEGATIVE),
                                      ("the mission time", _NON_NEGATIVE))),
    "GLM": (4, _glm, (("the failure probability on demand", _PROBABILITY),
                      ("the failure rate", _POSITIVE),
                      ("the repair rate", _NON_NEGATIVE),
                      ("the mission time", _NON_NEGATIVE))),
    "Weibull": (4, _weibull, (("the scale", _POSITIVE), ("the shape", _POSITIVE),
                              ("the time shift", _NON_NEGATIVE),
                              ("the mission time", _NON_NEGATIVE))),
    "periodic-test": (4, _periodic_test, (("the failure rate", _POSITIVE),
                                          ("the time between tests", _POSITIVE),
                                          ("the time before the first test",
                                           _NON_NEGATIVE),
                                          ("the mission time", _NON_NEGATIVE))),
}

# (tag, number of arguments) -> the form of a function with several.
_FORMS = {
    ("periodic-test", 5): (5, _periodic_test_repair, (
        ("the failure rate", _POSITIVE), ("the repair rate", _NON_NEGATIVE),
        ("the time between tests", _POSITIVE),
        ("the time before the first test", _NON_NEGATIVE),
        ("the mission time", _NON_NEGATIVE))),
    ("periodic-test", 11): (11, _periodic_test_full, (
        ("the failure rate", _POSITIVE), ("the failure rate under test", _NON_NEGATIVE),
        ("the repair rate", _NON_NEGATIVE), ("the time between tests", _POSITIVE),
        ("the time before the first test", _NON_NEGATIVE),
        ("the probability of a failure at a test's start", _PROBABILITY),
        ("the test duration", _POSITIVE), (None, None),
        ("the probability that a test finds a failure", _PROBABILITY),
        ("the probability of a failed restart after a repair", _PROBABILITY),
        ("the mission time", _NON_NEGATIVE))),
}

DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                    r"|[+-]?INF|NaN")
INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}



class Deviate:
    """A deviate (or ``histogram``) of MEF, evaluated.

    Attributes
    ----------
    tag : str
        The element, e.g. ``"lognormal-deviate"``.
    args : tuple of float
        Its arguments' values.
    mean : float
        SCRAM's point value: the mean of the distribution MEF describes.
    line : int
        The element's line.
    """

    __slots__ = ("tag", "args", "mean", "line")

    def __init__(self, tag, args, mean, line):
        self.tag, self.args, self.mean, self.line = tag, tuple(args), mean, line

    def distribution(self):
        """The slosim distribution, or None where slosim has none
        (``normal-deviate``, ``gamma-deviate``, ``histogram``).

        ``lognormal-deviate(mean, EF, level)`` has ``sigma = ln(EF) / z``
        with ``z`` the standard normal ``level`` quantile and median
        ``mean exp(-sigma**2 / 2)``; ``lognormal-deviate(mu, sigma)`` (SCRAM's
        two-argument form) median ``exp(mu)``. slosim's
        :class:`~slosim.model.LogNormal` of a probability is truncated to
        (0, 1], so its mean is below the MEF mean by ``E[X; X > 1]``.
        """
        a = self.args
        if self.tag == "uniform-deviate":
            return _m.Uniform(a[0], a[1])
        if self.tag == "beta-deviate":
            return _m.Beta(a[0], a[1])
        if self.tag == "lognormal-deviate":
            if len(a) == 2:
                return _m.LogNormal(math.exp(a[0]), a[1])
            sigma = math.log(a[1]) / NormalDist().inv_cdf(a[2])
            return _m.LogNormal(a[0] * math.exp(-sigma * sigma / 2), sigma)
        return None


def _histogram_mean(bounds, weights):
    # SCRAM's: the weighted mean of the bins' midpoints.
    total = math.fsum(weights)
    return math.fsum((lo + hi) * w for lo, hi, w in
                     zip(bounds, bounds[1:], weights)) / (2 * total)


def _lognormal_mean(*a):
    return a[0] if len(a) == 3 else math.exp(a[0] + a[1] * a[1] / 2)


# tag -> (arities, the mean, what each argument must be: (name, check)).
_DEVIATES = {
    "uniform-deviate": ((2,), lambda lo, hi: (lo + hi) / 2, None),
    "normal-deviate": ((2,), lambda mu, sigma: mu,
                       ((None, None), ("the standard deviation", _POSITIVE))),
    "lognormal-deviate": ((2, 3), _lognormal_mean, None),
    "gamma-deviate": ((2,), lambda k, theta: k * theta,
                      (("the shape k", _POSITIVE), ("the scale theta", _POSITIVE))),
    "beta-deviate": ((2,), lambda a, b: a / (a + b),
                     (("the shape alpha", _POSITIVE), ("the shape beta", _POSITIVE))),
}
_LOGNORMAL_CHECKS = {
    2: ((None, None), ("sigma", _POSITIVE)),
    3: (("the mean", _POSITIVE), ("the error factor", "> 1"),
        ("the confidence level", "in (0, 1)")),
}


class Expressions:
    """Constants, parameters and expressions, in pass 2 and pass 3.

    Pass 2 checks the value of every ``define-parameter`` (following
    ``<parameter>`` references through ``self.params``; a cycle is an
    error), ``define-basic-event`` and ``define-house-event`` from the
    body pass 1 kept, and writes it to the definition's ``value``: a
    constant's decimal text, ``"1"`` or ``"0"`` for a boolean, the float
    an expression evaluates to (``system-mission-time`` is
    ``self.mission_time``). Pass 3 makes the :class:`~slosim.Component`
    of a basic or house event.
    """

    def parameter_value(self, d):
        """The value a parameter resolves to (following references)."""
        # self.resolving: the parameters being resolved, across the nested
        # calls an expression over parameters makes; meeting one again is a
        # cycle.
        stack = self.resolving
        depth = len(stack)
        try:
            while d.value is None:
                if any(c is d for c in stack):
                    loop = stack[[c.id for c in stack].index(d.id):] + [d]
                    self.fail("parameter " + repr(loop[0].id) + " is defined "
                              "through itself: " + " -> ".join(c.id for c in loop),
                              loop[0].where, loop[0].line, loop[0].id)
                stack.append(d)
                if len(d.body) != 1:
                    self.fail(f"parameter {d.id!r} needs exactly one expression, "
                              f"found {len(d.body)}", d.where, d.line, d.id)
                value = self.expression(d.body[0], d, f"parameter {d.id!r}")
                if isinstance(value, Definition):
                    d = value
                else:
                    d.value = value
            for c in stack[depth:]:
                c.value = d.value
        finally:
            del stack[depth:]
        return d.value

    def expression(self, el, owner, what):
        """A constant's text, the parameter definition it refers to, or the
        float an expression evaluates to."""
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
            target = self.lookup(self.params, trim(ref), owner.base)
            if target is None:
                self.fail(f"{what} refers to parameter {ref!r}, which is not "
                          f"defined", where, el.line, owner.id)
            return target
        if tag == "system-mission-time":
            self.check_attrs(el, where, {"unit"})
            if el.children:
                self.fail(f"<{tag}> in {what} must be empty", where,
                          el.children[0].line, owner.id)
            return self.mission_time
        if tag == "periodic-test" and len(el.children) not in (4, 5, 11):
            self.fail(f"<periodic-test> in {what} takes 4, 5 or 11 arguments, not "
                      f"{len(el.children)}", where, el.line, owner.id)
        if tag in _FUNCTIONS:
            return self.evaluate(el, owner, what)
        if tag in _DEVIATES:
            return self.deviate(el, owner, what)
        if tag == "histogram":
            return self.histogram(el, owner, what)
        if tag in _REFUSED:
            self.fail(f"{what} uses <{tag}>, an expression slosim does not "
                      f"evaluate: probabilities must be constants, parameters or "
                      f"arithmetic, exponential, GLM or Weibull expressions over "
                      f"them (see docs/io)", where, el.line, owner.id)
        self.fail(f"unknown element <{tag}> in {what}", where, el.line, owner.id)

    def number(self, value):
        """The float of an :meth:`expression`'s value (a deviate's mean)."""
        if isinstance(value, Definition):
            value = self.parameter_value(value)
        return value.mean if isinstance(value, Deviate) else float(value)

    def arguments(self, el, owner, what, checks):
        """The values of ``el``'s arguments, checked (``checks``: a
        ``(name, check)`` per argument, name None for none)."""
        args = [self.number(self.expression(c, owner, what)) for c in el.children]
        for i, (name, check) in enumerate(checks or ()):
            if name is not None and not _CHECKS[check](args[i]):
                self.fail(f"<{el.tag}> in {what}: {name} is {args[i]!r}; it must "
                          f"be {check}", owner.where, el.children[i].line, owner.id)
        return args

    def deviate(self, el, owner, what):
        """A :class:`Deviate`, its arguments checked as SCRAM checks them."""
        tag = el.tag
        arities, mean, checks = _DEVIATES[tag]
        self.check_attrs(el, owner.where, ())
        n = len(el.children)
        if n not in arities:
            self.fail(f"<{tag}> in {what} takes "
                      f"{' or '.join(map(str, arities))} arguments, not {n}",
                      owner.where, el.line, owner.id)
        if tag == "lognormal-deviate":
            checks = _LOGNORMAL_CHECKS[n]
        args = self.arguments(el, owner, what, checks)
        if tag == "uniform-deviate" and not args[0] < args[1]:
            self.fail(f"<{tag}> in {what}: the lower bound {args[0]!r} must be "
                      f"below the upper bound {args[1]!r}", owner.where, el.line,
                      owner.id)
        return Deviate(tag, args, self.finite(mean, args, el, owner, what), el.line)

    def histogram(self, el, owner, what):
        """``<histogram>``: a lower bound, then ``<bin>`` elements of an
        upper bound and a weight each; a :class:`Deviate` of its mean."""
        where = owner.where
        self.check_attrs(el, where, ())
        if len(el.children) < 2 or el.children[0].tag == "bin" or any(
                c.tag != "bin" for c in el.children[1:]):
            self.fail(f"<histogram> in {what} takes a lower bound, then one or "
                      f"more <bin> elements", where, el.line, owner.id)
        bounds = [self.number(self.expression(el.children[0], owner, what))]
        weights = []
        for b in el.children[1:]:
            self.check_attrs(b, where, ())
            if len(b.children) != 2:
                self.fail(f"<bin> in {what} takes an upper bound and a weight, "
                          f"not {len(b.children)} expressions", where, b.line,
                          owner.id)
            upper, weight = self.arguments(b, owner, what, (
                (None, None), ("the weight", _NON_NEGATIVE)))
            if not upper > bounds[-1]:
                self.fail(f"<histogram> in {what}: the bounds must increase, "
                          f"but {upper!r} follows {bounds[-1]!r}", where, b.line,
                          owner.id)
            bounds.append(upper)
            weights.append(weight)
        if not math.fsum(weights) > 0:
            self.fail(f"<histogram> in {what}: its weights sum to 0", where,
                      el.line, owner.id)
        mean = self.finite(_histogram_mean, (bounds, weights), el, owner, what)
        return Deviate("histogram", bounds + weights, mean, el.line)

    def finite(self, func, args, el, owner, what):
        """``func(*args)``, or a failure naming ``el`` if it is undefined or
        not finite."""
        try:
            x = func(*args)
        except ZeroDivisionError:
            x = None
            reason = "divides by zero"
        except (ValueError, OverflowError) as exc:
            x = None
            reason = f"is undefined ({exc})"
        else:
            reason = f"gives {x!r}"
        if x is None or math.isnan(x) or math.isinf(x):
            self.fail(f"<{el.tag}> in {what} {reason} for the arguments "
                      f"{', '.join(map(repr, args)) or '()'}: a value must be a "
                      f"finite number", owner.where, el.line, owner.id)
        return float(x)

    def evaluate(self, el, owner, what):
        """The float an arithmetic or time-dependent expression gives."""
        tag, where = el.tag, owner.where
        n = len(el.children)
        arity, func, checks = _FORMS.get((tag, n), _FUNCTIONS[tag])
        self.check_attrs(el, where, ())
        if isinstance(arity, tuple) and n < arity[0]:
            self.fail(f"<{tag}> in {what} takes {arity[0]} or more arguments, not "
                      f"{n}", where, el.line, owner.id)
        if isinstance(arity, int) and n != arity:
            self.fail(f"<{tag}> in {what} takes {arity} argument"
                      f"{'' if arity == 1 else 's'}, not {n}", where, el.line,
                      owner.id)
        args = self.arguments(el, owner, what, checks)
        if func is _periodic_test_full and args[6] > args[3]:
            self.fail(f"<{tag}> in {what}: the test duration {args[6]!r} must not "
                      f"exceed the time between tests {args[3]!r}", where, el.line,
                      owner.id)
        return self.finite(func, args, el, owner, what)

    def basic_event_value(self, d):
        if not d.body:
            self.fail(f"basic event {d.id!r} has no probability: give it one, "
                      f"e.g. <float value=\"0.001\"/>", d.where, d.line, d.id)
        if len(d.body) > 1:
            self.fail(f"basic event {d.id!r} has {len(d.body)} expressions; it "
                      f"needs exactly one", d.where, d.body[1].line, d.id)
        value = self.expression(d.body[0], d, f"basic event {d.id!r}")
        value = (self.parameter_value(value) if isinstance(value, Definition)
                 else value)
        line = d.body[0].line
        if isinstance(value, Deviate):
            line = value.line
            try:
                dist = value.distribution()
            except (TypeError, ValueError) as exc:
                self.fail(f"basic event {d.id!r}: <{value.tag}> {exc}", d.where,
                          line, d.id, exc)
            value = value.mean if dist is None else dist
        if isinstance(value, float) and not 0 <= value <= 1:
            self.fail(f"basic event {d.id!r}: its expression <{d.body[0].tag}> "
                      f"gives {value!r}, not a probability in [0, 1]",
                      d.where, line, d.id)
        d.value = value

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
