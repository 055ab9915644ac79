"""Parameter checks shared by the public functions.

One helper builds every message, in one form::

    The 'samples' parameter of simulate must be an int in the range [1, inf).
    Got 1.5 instead.
"""

import math
import numbers

import numpy as np


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
