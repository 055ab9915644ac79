"""Behaviour over time: up and down times, incident classes, shock arrivals.

A component may say how it behaves over time instead of (not as well as)
giving an availability:

* ``Component("db", mttf="30d", mttr="1h")``: exponential up and down
  times, alternating (an alternating renewal process);
* ``up=`` and ``down=`` distributions of the up and down times
  (:class:`Exponential`, :class:`Weibull`, :class:`~slosim.model.LogNormal`
  with ``upper=None``, :class:`Fixed`);
* ``incidents=[Incidents(rate="2/30d", duration="40m", error_ratio=1.0),
  ...]``: classes of incidents arriving as Poisson processes, each lasting
  a random duration during which the component fails the fraction
  ``error_ratio`` of its requests (1.0 is a full outage); incidents may
  overlap.

A :class:`~slosim.Shock` may have a rate and a duration: its occurrences
arrive as a Poisson process and each takes every member down for the same
stretch of time.

The existing engines read one number per component, its long-run mean
error ratio (:func:`mean_error_ratio`): for up and down times ``E[down] /
(E[up] + E[down])`` (``mttr / (mttf + mttr)``); for incident classes
``1 - exp(-sum_c rate_c E[duration_c] error_ratio_c)`` (the expected
fraction of requests an M/G/infinity process of overlapping incidents
fails); both together ``1 - (1 - q_updown) (1 - q_incidents)``. For 0/1
error ratios this is the long-run unavailability exactly.

All times are in seconds once parsed; rates in events per second.
"""

import math
import numbers

import numpy as np

from .._errors import ModelError
from .._validation import duration_seconds, format_duration, param_error, rate_per_second
from ._uncertain import Distribution, LogNormal, _finite

__all__ = ["Exponential", "Weibull", "Fixed", "Incidents", "TimeBehaviour",
           "duration_distribution", "mean_error_ratio"]


class Exponential(Distribution):
    """The exponential distribution of a duration, by its mean.

    Parameters
    ----------
    mean : str, datetime.timedelta or float
        A positive duration (``"30d"``, a timedelta, or seconds).

    Examples
    --------
    >>> import slosim as ss
    >>> d = ss.Exponential("1h")
    >>> d, d.mean, round(float(d.ppf(0.5)), 3)        # median: mean ln 2
    (Exponential(mean=3600), 3600.0, 2495.329)
    """

    __slots__ = ("_mean",)

    def __init__(self, mean):
        object.__setattr__(self, "_mean", duration_seconds(mean, "mean", "Exponential"))

    @property
    def mean(self):
        return self._mean

    @property
    def var(self):
        return self._mean ** 2

    @property
    def support(self):
        return (0.0, math.inf)

    @property
    def args(self):
        return (self._mean,)

    def _ppf(self, u):
        with np.errstate(divide="ignore"):
            return -self._mean * np.log1p(-u)

    def _cdf(self, x):
        return np.where(x > 0, -np.expm1(-np.maximum(x, 0) / self._mean), 0.0)

    def _sample(self, rng, size):
        return rng.exponential(self._mean, size)

    def __repr__(self):
        return f"Exponential(mean={self._mean:.6g})"


class Weibull(Distribution):
    """The Weibull distribution of a duration: ``P(X > x) = exp(-(x /
    scale) ** shape)``.

    Parameters
    ----------
    shape : float
        Finite and positive: below 1 the hazard falls with age (infant
        failures), above 1 it rises (wear-out); 1 is the exponential.
    scale : str, datetime.timedelta or float
        A positive duration: the 63rd percentile.

    Examples
    --------
    >>> import slosim as ss
    >>> d = ss.Weibull(2.0, "30d")
    >>> round(d.mean / 86400, 4)            # 30 d * Gamma(1.5)
    26.5868
    """

    __slots__ = ("_shape", "_scale")

    def __init__(self, shape, scale):
        object.__setattr__(self, "_shape", _finite(shape, "shape", "Weibull", low=0))
        object.__setattr__(self, "_scale", duration_seconds(scale, "scale", "Weibull"))

    @property
    def shape(self):
        return self._shape

    @property
    def scale(self):
        return self._scale

    @property
    def mean(self):
        return self._scale * math.gamma(1.0 + 1.0 / self._shape)

    @property
    def var(self):
        g1 = math.lgamma(1.0 + 1.0 / self._shape)
        g2 = math.lgamma(1.0 + 2.0 / self._shape)
        # Gamma(1 + 2/k) - Gamma(1 + 1/k)^2, without cancellation
        return self._scale ** 2 * math.exp(2 * g1) * math.expm1(g2 - 2 * g1)

    @property
    def support(self):
        return (0.0, math.inf)

    @property
    def args(self):
        return (self._shape, self._scale)

    def _ppf(self, u):
        with np.errstate(divide="ignore"):
            return self._scale * (-np.log1p(-u)) ** (1.0 / self._shape)

    def _cdf(self, x):
        z = np.maximum(x, 0) / self._scale
        return np.where(x > 0, -np.expm1(-z ** self._shape), 0.0)

    def _sample(self, rng, size):
        return self._scale * rng.weibull(self._shape, size)

    def __repr__(self):
        return f"Weibull(shape={self._shape:.6g}, scale={self._scale:.6g})"


class Fixed(Distribution):
    """A duration that is always the same.

    Parameters
    ----------
    value : str, datetime.timedelta or float
        A positive duration.

    Examples
    --------
    >>> import slosim as ss
    >>> ss.Fixed("20m"), ss.Fixed("20m").var
    (Fixed(value=1200), 0.0)
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        object.__setattr__(self, "_value", duration_seconds(value, "value", "Fixed"))

    @property
    def value(self):
        return self._value

    @property
    def mean(self):
        return self._value

    @property
    def var(self):
        return 0.0

    @property
    def support(self):
        return (self._value, self._value)

    @property
    def args(self):
        return (self._value,)

    def _ppf(self, u):
        return np.full_like(u, self._value)

    def _cdf(self, x):
        return np.where(x >= self._value, 1.0, 0.0)

    def _sample(self, rng, size):
        return np.full(() if size is None else size, self._value)

    def __repr__(self):
        return f"Fixed(value={self._value:.6g})"


#: The kinds of duration distribution the event kernel samples.
DURATION_KINDS = (Exponential, Weibull, LogNormal, Fixed)


def duration_distribution(value, name, func):
    """``value`` as a distribution of durations: a :class:`Fixed` duration
    from a string, timedelta or number of seconds, or one of
    :data:`DURATION_KINDS` (a lognormal without truncation)."""
    if isinstance(value, Distribution):
        if not isinstance(value, DURATION_KINDS) or (
                isinstance(value, LogNormal) and value.upper is not None):
            raise param_error(
                name, func, "a duration or a distribution of durations (Exponential, "
                "Weibull, Fixed, or LogNormal with upper=None such as "
                "LogNormal.from_median)", value, TypeError)
        return value
    return Fixed(duration_seconds(value, name, func))


class Incidents:
    """A class of incidents: Poisson arrivals, each lasting a random duration
    while the component fails a fraction of its requests.

    Parameters
    ----------
    rate : str or float
        Arrivals per unit time: ``"2/30d"`` (two per 30 days), ``"10/h"``,
        or events per second; positive.
    duration : str, datetime.timedelta, float or Distribution
        How long each incident lasts: a fixed duration, or a distribution
        of durations (:class:`Exponential`, :class:`Weibull`,
        :class:`Fixed`, :meth:`LogNormal.from_median
        <slosim.model.LogNormal.from_median>`).
    error_ratio : float, default 1.0
        The fraction of requests the component fails while the incident
        lasts, in [0, 1]: 1.0 is a full outage, 0.05 a partial
        degradation.

    Attributes
    ----------
    rate : float
        Per second.
    duration : Distribution
    error_ratio : float
    load : float
        ``rate * E[duration] * error_ratio``: the mean number of failed
        requests' worth of incidents in progress (see
        :func:`mean_error_ratio`).

    Examples
    --------
    >>> import slosim as ss
    >>> outage = ss.Incidents(rate="2/30d", duration=ss.LogNormal.from_median("40m", 3))
    >>> slow = ss.Incidents(rate="10/30d", duration="20m", error_ratio=0.05)
    >>> slow
    Incidents(rate='10/30d', duration=Fixed(value=1200), error_ratio=0.05)
    >>> db = ss.Component("db", incidents=[outage, slow])
    >>> round(db.unavailability, 8)     # 1 - exp(-(2 * 49.995 m + 10 * 20 m * 0.05) / 30 d)
    0.00254284
    """

    __slots__ = ("_rate", "_rate_text", "_duration", "_error_ratio")

    def __init__(self, rate, duration, error_ratio=1.0):
        func = "Incidents"
        object.__setattr__(self, "_rate", rate_per_second(rate, "rate", func))
        object.__setattr__(self, "_rate_text", rate if isinstance(rate, str) else None)
        object.__setattr__(self, "_duration", duration_distribution(duration, "duration",
                                                                    func))
        if isinstance(error_ratio, bool) or not isinstance(error_ratio, numbers.Real) \
                or not 0.0 <= float(error_ratio) <= 1.0:
            raise param_error("error_ratio", func, "a float in the range [0, 1]",
                              error_ratio, TypeError if not isinstance(
                                  error_ratio, numbers.Real) or isinstance(error_ratio, bool)
                              else ValueError)
        object.__setattr__(self, "_error_ratio", float(error_ratio))

    @property
    def rate(self):
        return self._rate

    @property
    def duration(self):
        return self._duration

    @property
    def error_ratio(self):
        return self._error_ratio

    @property
    def load(self):
        return self._rate * self._duration.mean * self._error_ratio

    def __setattr__(self, name, value):
        raise AttributeError(f"Incidents is immutable; build a new one instead of "
                             f"setting {name!r}")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.rate, self.duration, self.error_ratio) == \
            (other.rate, other.duration, other.error_ratio)

    def __hash__(self):
        return hash((self._rate, self._duration, self._error_ratio))

    def __reduce__(self):
        return (type(self), (self._rate_text or self._rate, self._duration,
                             self._error_ratio))

    def __repr__(self):
        rate = repr(self._rate_text) if self._rate_text else f"{self._rate:.6g}"
        return (f"Incidents(rate={rate}, duration={self._duration!r}, "
                f"error_ratio={self._error_ratio:g})")


class TimeBehaviour:
    """How one basic event behaves over time (what :func:`lower
    <slosim.model.lower>` records per event in ``Structure.timing``).

    Attributes
    ----------
    up, down : Distribution or None
        Alternating up and down times (both or neither); the event is down
        (error ratio 1) during each down time. A run starts up.
    incidents : tuple of Incidents
        Incident classes, each an independent Poisson process; at a time
        ``t`` the event's error ratio is ``1 - prod(1 - e_i)`` over the
        incidents in progress (and 1 while down).
    """

    __slots__ = ("_up", "_down", "_incidents")

    def __init__(self, up=None, down=None, incidents=()):
        object.__setattr__(self, "_up", up)
        object.__setattr__(self, "_down", down)
        object.__setattr__(self, "_incidents", tuple(incidents))

    @property
    def up(self):
        return self._up

    @property
    def down(self):
        return self._down

    @property
    def incidents(self):
        return self._incidents

    def __setattr__(self, name, value):
        raise AttributeError("TimeBehaviour is immutable")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.up, self.down, self.incidents) == \
            (other.up, other.down, other.incidents)

    def __hash__(self):
        return hash((self._up, self._down, self._incidents))

    def __reduce__(self):
        return (type(self), (self._up, self._down, self._incidents))

    def __repr__(self):
        parts = []
        if self._up is not None:
            parts.append(f"up={self._up!r}, down={self._down!r}")
        if self._incidents:
            parts.append(f"incidents={list(self._incidents)!r}")
        return f"TimeBehaviour({', '.join(parts)})"


def mean_error_ratio(behaviour):
    """The long-run mean error ratio of a :class:`TimeBehaviour`: what the
    existing engines use as the event's probability (see the module notes)."""
    q_updown = 0.0
    if behaviour.up is not None:
        up, down = behaviour.up.mean, behaviour.down.mean
        q_updown = down / (up + down)
    load = math.fsum(c.load for c in behaviour.incidents)
    q_incidents = -math.expm1(-load)
    # 1 - (1 - a)(1 - b), without losing a small a's or b's digits
    return q_updown + q_incidents - q_updown * q_incidents


def time_behaviour(owner, name, *, mttf=None, mttr=None, up=None, down=None,
                   incidents=None):
    """The :class:`TimeBehaviour` a component's (or service's) keywords give,
    or None when none is given; a :class:`~slosim.ModelError` naming the
    component for an incomplete or contradictory set."""
    func = owner
    if mttf is not None or mttr is not None:
        if mttf is None or mttr is None:
            raise ModelError(f"{owner}: give both mttf= and mttr= (mean time to "
                             f"failure and to repair), or up= and down=", name)
        if up is not None or down is not None:
            raise ModelError(f"{owner}: give mttf= and mttr=, or up= and down=, "
                             f"not both", name)
        up = Exponential(duration_seconds(mttf, "mttf", func))
        down = Exponential(duration_seconds(mttr, "mttr", func))
    elif up is not None or down is not None:
        if up is None or down is None:
            raise ModelError(f"{owner}: give both up= and down= (distributions of "
                             f"the up and down times)", name)
        for key, value in (("up", up), ("down", down)):
            if not isinstance(value, Distribution):
                raise param_error(key, func, "a distribution of durations (Exponential, "
                                  "Weibull, Fixed, or LogNormal.from_median); for "
                                  "exponential times give mttf= and mttr=", value,
                                  TypeError)
        up = duration_distribution(up, "up", func)
        down = duration_distribution(down, "down", func)
    if incidents is not None:
        if isinstance(incidents, Incidents):
            incidents = (incidents,)
        try:
            incidents = tuple(incidents)
        except TypeError:
            raise param_error("incidents", func, "a sequence of Incidents", incidents,
                              TypeError) from None
        bad = [c for c in incidents if not isinstance(c, Incidents)]
        if bad:
            raise param_error("incidents", func, "a sequence of Incidents", bad[0],
                              TypeError)
        if not incidents:
            raise ModelError(f"{owner}: incidents= is empty; give at least one "
                             f"Incidents class, or leave it out", name)
    if up is None and not incidents:
        return None
    return TimeBehaviour(up, down, incidents or ())


def describe_behaviour(behaviour):
    """Keyword text for a repr: ``mttf='30d', mttr='1h'`` or ``up=..., down=...``
    and ``incidents=[...]``."""
    parts = []
    up, down = behaviour.up, behaviour.down
    if isinstance(up, Exponential) and isinstance(down, Exponential):
        parts.append(f"mttf={format_duration(up.mean)!r}, "
                     f"mttr={format_duration(down.mean)!r}")
    elif up is not None:
        parts.append(f"up={up!r}, down={down!r}")
    if behaviour.incidents:
        parts.append(f"incidents=[{', '.join(map(repr, behaviour.incidents))}]")
    return ", ".join(parts)
