"""Parameter checks, and the parsing of probabilities and names.

One helper builds every message about a function's parameter, in one form::

    The 'samples' parameter of simulate must be an int in the range [1, inf).
    Got 1.5 instead.

Durations (``"30d"``, ``"1h30m"``, a timedelta, seconds) and rates
(``"2/30d"``) are parsed here, for the model and the alert rules alike.
Probabilities and names in a model (a component's availability, a shock's
probability, a node's name) are parsed here too; their errors are
:class:`~slosim.ModelError` subclasses naming the node.
"""

import datetime
from decimal import Decimal
from fractions import Fraction
import math
import numbers
import re

import numpy as np

from ._errors import ModelError, ProbabilityError


def param_error(name, func, expected, value, cls=ValueError):
    """Return (not raise) the standard error for a bad parameter."""
    return cls(
        f"The {name!r} parameter of {func} must be {expected}. Got {value!r} instead."
    )


def check_int(value, name, func, *, low=None, high=None):
    """Return ``value`` as an int, checking type and range (bounds inclusive)."""
    rng = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
    expected = f"an int in the range {rng}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise param_error(name, func, expected, value, TypeError)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise param_error(name, func, expected, value)
    return value


def check_real(value, name, func, *, low=None, high=None, low_open=False,
               high_open=False):
    """Return ``value`` as a float, checking it is a finite real in range."""
    lb = "(" if low_open else "["
    rb = ")" if high_open else "]"
    rng = f"{lb}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{rb}"
    expected = f"a float in the range {rng}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise param_error(name, func, expected, value, TypeError)
    x = float(value)
    bad = math.isnan(x)
    if low is not None:
        bad = bad or (x <= low if low_open else x < low)
    if high is not None:
        bad = bad or (x >= high if high_open else x > high)
    if bad:
        raise param_error(name, func, expected, value)
    return x


def check_rng(rng, func):
    """Normalise ``rng`` with :func:`numpy.random.default_rng` (SPEC 7).

    Accepts None, an int or array of non-negative ints, a SeedSequence, a
    BitGenerator or a Generator; anything else is a TypeError/ValueError in
    the standard form. The bit generator must be seeded from a SeedSequence
    (slosim spawns one independent child stream per chunk from it).
    """
    expected = ("None, a non-negative int, a numpy.random.SeedSequence, "
                "BitGenerator or Generator")
    if isinstance(rng, (bool, float, str, bytes)):
        raise param_error("rng", func, expected, rng, TypeError)
    try:
        gen = np.random.default_rng(rng)
    except TypeError:
        raise param_error("rng", func, expected, rng, TypeError) from None
    except ValueError:
        raise param_error("rng", func, expected, rng) from None
    if not isinstance(gen.bit_generator.seed_seq, np.random.SeedSequence):
        raise param_error(
            "rng", func,
            expected + " seeded from a SeedSequence (a legacy-seeded bit "
            "generator cannot spawn independent streams)", rng)
    return gen


def probability_float(owner, name, key, value, exact, what):
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


def parse_probability(owner, name, key, value):
    """Parse ``value`` as an exact number in [0, 1] (Decimal or Fraction).

    A float is read through its shortest decimal form (``repr``), so
    ``0.9999999`` is exactly ``Decimal("0.9999999")``; ``str``, ``Decimal``
    and ``Fraction`` are taken exactly. ``owner`` and ``key`` name the node
    and the parameter in the :class:`ProbabilityError`.
    """
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


def check_name(name, what, *, required):
    """``name`` if it is a non-empty string (None too, unless ``required``)."""
    if name is None and not required:
        return None
    if not isinstance(name, str) or not name.strip():
        raise ModelError(f"{what} name must be a non-empty string, got {name!r}", name)
    return name


#: Seconds per duration unit: s, m (minutes), h, d, w.
DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

_DURATION = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*([smhdw])\s*)+",
                       re.ASCII)
_PART = re.compile(r"(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*([smhdw])",
                   re.ASCII)
_DURATION_FORMS = ('a positive duration: a string such as "30d", "6h", "5m", "90s" or '
                   '"1h30m" (units s, m, h, d, w), a datetime.timedelta, or seconds')


def duration_seconds(value, name, func, *, allow_zero=False):
    """A duration in seconds, from ``"30d"``, ``"1h30m"``, a timedelta or a number.

    The standard parameter error (TypeError for a kind of value no duration
    has, ValueError otherwise) for anything else: a string in another
    form, a duration that is not positive (zero with ``allow_zero``), NaN or
    infinite.
    """
    expected = _DURATION_FORMS if not allow_zero else \
        _DURATION_FORMS.replace("a positive", "a non-negative")
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str):
        if not _DURATION.fullmatch(value):
            raise param_error(name, func, expected, value)
        seconds = math.fsum(float(n) * DURATION_UNITS[u] for n, u in _PART.findall(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise param_error(name, func, expected, value, TypeError)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise param_error(name, func, expected, value)
    return seconds


_RATE_FORMS = ('a positive rate: a string such as "2/30d", "10/h" or "1/365d" (events '
               'per duration), or events per second')


def rate_per_second(value, name, func):
    """A rate in events per second, from ``"2/30d"``, ``"10/h"`` or a number.

    ``"n/d"`` is ``n`` events per duration ``d`` (``"10/h"`` reads ``h``
    as one hour). Zero, negative, NaN and infinite rates are refused.
    """
    if isinstance(value, str):
        count, sep, per = value.partition("/")
        if not sep:
            raise param_error(name, func, _RATE_FORMS, value)
        per = per.strip()
        if per in DURATION_UNITS:
            per = "1" + per
        try:
            n = float(count)
            seconds = duration_seconds(per, name, func)
        except (ValueError, TypeError):
            raise param_error(name, func, _RATE_FORMS, value) from None
        rate = n / seconds
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        rate = float(value)
    else:
        raise param_error(name, func, _RATE_FORMS, value, TypeError)
    if not math.isfinite(rate) or rate <= 0:
        raise param_error(name, func, _RATE_FORMS, value)
    return rate


def format_duration(seconds):
    """The shortest of ``"30d"``, ``"1h30m"``, ``"90s"``... that is ``seconds``
    exactly, in the largest units first; fractional seconds as ``"0.25s"``."""
    if seconds == 0:
        return "0s"
    parts, rest = [], float(seconds)
    for unit in "dhm":
        size = DURATION_UNITS[unit]
        n = math.floor(rest / size)
        if n:
            parts.append(f"{n}{unit}")
            rest -= n * size
    if rest or not parts:
        parts.append(f"{rest:g}s")
    return "".join(parts)


def error_allowance(target):
    """``1 - target`` with the digits the target was written with: a
    target of ``0.999`` allows exactly ``0.001`` of errors (``1 - 0.999``
    in binary is ``0.0010000000000000009``)."""
    return float(1 - Decimal(repr(float(target))))
