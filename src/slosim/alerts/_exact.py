"""Numbers read exactly, as the user wrote them.

A float is read through its shortest decimal form (``repr``), as a
component's availability is: ``0.999`` is exactly 999/1000, so ``1 -
0.999`` is exactly 0.001 and a burn rate of 14.4 puts the threshold at
exactly 0.0144. The windows are then computed in exact rational
arithmetic, and a window's error ratio that equals a threshold is a tie,
not a coin toss of rounding.
"""

from decimal import Decimal
from fractions import Fraction
import math
import numbers

from .._validation import duration_seconds, param_error

__all__ = ["exact", "exact_duration", "exact_positive"]


def exact(value):
    """``value`` (a checked finite number) as a Fraction, a float through its
    shortest decimal form; Fractions, Decimals and ints as they are."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (Decimal, numbers.Integral)):
        return Fraction(value)
    return Fraction(Decimal(repr(float(value))))


def exact_duration(value, name, func, *, allow_zero=False):
    """A duration (``"1h"``, a timedelta, seconds) as exact seconds."""
    return exact(duration_seconds(value, name, func, allow_zero=allow_zero))


def exact_positive(value, name, func, what="a positive finite number"):
    """A positive finite number (int, float, Fraction or Decimal), exactly."""
    ok = isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, bool)
    if not ok:
        raise param_error(name, func, what, value, TypeError)
    if not (math.isfinite(value) and value > 0):
        raise param_error(name, func, what, value)
    return exact(value)
