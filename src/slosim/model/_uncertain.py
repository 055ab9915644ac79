"""Uncertain parameters: distributions of availabilities and probabilities.

An availability estimated from probe counts, a failure probability taken
from a generic database with an error factor, a common-cause factor known
to lie in a range: each is a :class:`Distribution`, given where a number
would be (``Component(name, availability=Beta.from_counts(...))``,
``Shock(name, probability=LogNormal...)``, the factors of the common-cause
groups). The engines use each distribution's mean; an uncertainty analysis
samples them, and :attr:`Structure.parameters
<slosim.model.Structure.parameters>` says which basic events each one
drives.

Every distribution here is immutable, compares equal to another of the
same kind with the same numbers, hashes accordingly and pickles. Its
quantile function (``ppf``) and ``cdf`` use :mod:`scipy.special`, imported
when first called (``import slosim`` does not import SciPy).
"""

import math
import numbers

import numpy as np

from .._errors import ProbabilityError
from .._validation import check_int, check_rng, duration_seconds, param_error

__all__ = ["Distribution", "Beta", "LogNormal", "Uniform"]

#: The standard normal 95th percentile, ``scipy.special.ndtri(0.95)``: the
#: PRA error factor is ``exp(_Z95 * sigma)``.
_Z95 = 1.6448536269514722


def _finite(value, name, func, *, low=None, low_open=True, high=None):
    """``value`` as a finite float in ``(low, high]`` (``[low`` if not
    ``low_open``; no bound where None): ``check_real`` with inf refused."""
    lb = "(-inf" if low is None else ("(" if low_open else "[") + f"{low}"
    rb = "inf)" if high is None else f"{high:g}]"
    expected = f"a finite float in the range {lb}, {rb}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise param_error(name, func, expected, value, TypeError)
    x = float(value)
    if (math.isnan(x) or math.isinf(x) or (low is not None and (x <= low if low_open
                                                               else x < low))
            or (high is not None and x > high)):
        raise param_error(name, func, expected, value)
    return x


class Distribution:
    """Base class of the distributions of an uncertain parameter.

    Not instantiated directly: use :class:`Beta`, :class:`LogNormal` or
    :class:`Uniform`. Anything that takes a distribution checks
    ``isinstance(x, Distribution)``.

    Attributes
    ----------
    args : tuple of float
        The constructor's arguments: ``type(d)(*d.args) == d``.
    mean, var, std : float
        Mean, variance and standard deviation.
    support : tuple of float
        ``(low, high)``: every value the distribution takes is in
        ``[low, high]``.
    complement_mean : float
        ``E[1 - X]``, with the digits ``1 - mean`` would lose when the mean
        is near 1 (the unavailability of an availability given as a
        distribution).

    Notes
    -----
    Immutable: attributes cannot be set. Two distributions are equal when
    they are of the same kind with the same parameters (``Beta(1, 2) ==
    Beta(1.0, 2.0)``), and equal ones hash alike. Pickling keeps the kind
    and the parameters.

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.model import Beta, Distribution
    >>> d = Beta.from_counts(good=998, bad=2)
    >>> isinstance(d, Distribution), d.support
    (True, (0.0, 1.0))
    >>> round(d.mean, 6), round(d.complement_mean, 6)
    (0.997502, 0.002498)
    """

    __slots__ = ()

    # -- to be given by each kind --------------------------------------------------

    @property
    def args(self):
        """The constructor's arguments, as floats: ``type(d)(*d.args) == d``."""
        raise NotImplementedError

    def _ppf(self, u):
        raise NotImplementedError

    def _cdf(self, x):
        raise NotImplementedError

    def _sample(self, rng, size):
        raise NotImplementedError

    # -- common ----------------------------------------------------------------------

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def var(self):
        raise NotImplementedError

    @property
    def std(self):
        """The standard deviation, ``sqrt(var)``."""
        return math.sqrt(self.var)

    @property
    def support(self):
        raise NotImplementedError

    @property
    def complement_mean(self):
        """``E[1 - X]``; ``1 - mean`` unless the kind has a form without
        cancellation."""
        return 1.0 - self.mean

    def ppf(self, u):
        """The quantile function: the value below which a fraction ``u`` lies.

        Parameters
        ----------
        u : float or array_like
            Probabilities in [0, 1].

        Returns
        -------
        float or ndarray
            The quantiles, of the shape of ``u`` (a NumPy float for a
            scalar ``u``). ``ppf(rng.random(n))`` is a sample of the
            distribution (inverse transform), for stratified or
            quasi-random designs.

        Raises
        ------
        ValueError
            If a value of ``u`` is outside [0, 1] or NaN.
        """
        func = f"{type(self).__name__}.ppf"
        u = _array(u, "u", func)
        bad = ~((u >= 0) & (u <= 1))
        if bad.any():
            raise param_error("u", func, "probabilities in [0, 1]", u[bad].flat[0].item())
        return self._ppf(u)[()]

    def cdf(self, x):
        """The cumulative distribution function ``P(X <= x)``.

        Parameters
        ----------
        x : float or array_like
            Any real numbers (below the support the cdf is 0, above it 1).

        Returns
        -------
        float or ndarray
            Of the shape of ``x``.

        Raises
        ------
        ValueError
            If a value of ``x`` is NaN.
        """
        func = f"{type(self).__name__}.cdf"
        x = _array(x, "x", func)
        if np.isnan(x).any():
            raise param_error("x", func, "real numbers, not NaN", float("nan"))
        return self._cdf(x)[()]

    def sample(self, size=None, *, rng=None):
        """Draw from the distribution.

        Parameters
        ----------
        size : int or tuple of int, optional
            The shape of the sample; None (the default) draws one value.
        rng : None, int, SeedSequence, BitGenerator or Generator, optional
            Anything :func:`numpy.random.default_rng` takes (SPEC 7).

        Returns
        -------
        float or ndarray
            A float for ``size=None``, otherwise an array of that shape.

        Raises
        ------
        TypeError, ValueError
            If ``size`` is not a non-negative int or a tuple of them, or
            ``rng`` is none of the accepted kinds.
        """
        func = f"{type(self).__name__}.sample"
        if size is not None:
            if isinstance(size, tuple):
                size = tuple(check_int(s, "size", func, low=0) for s in size)
            else:
                size = check_int(size, "size", func, low=0)
        gen = check_rng(rng, func)
        out = self._sample(gen, size)
        return float(out) if size is None else out

    # -- an immutable value ----------------------------------------------------------

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; "
                             f"build a new one instead of setting {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.args == other.args

    def __hash__(self):
        return hash((type(self).__name__,) + self.args)

    def __reduce__(self):
        return (type(self), self.args)


def _array(values, name, func):
    """``values`` as a float64 array, or the standard TypeError."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error(name, func, "a float or an array of floats", values,
                          TypeError) from None


class Beta(Distribution):
    """The beta distribution on [0, 1], with shapes ``a`` and ``b``.

    The conjugate distribution of a probability estimated from counts of
    outcomes: see :meth:`from_counts`.

    Parameters
    ----------
    a, b : float
        Shape parameters, finite and positive.

    Attributes
    ----------
    a, b : float
    mean : float
        ``a / (a + b)``.
    var : float
        ``a b / ((a + b)**2 (a + b + 1))``.
    complement_mean : float
        ``b / (a + b)``: the mean of ``1 - X``, which is ``Beta(b, a)``.
    support : tuple
        ``(0.0, 1.0)``.

    Raises
    ------
    TypeError, ValueError
        If ``a`` or ``b`` is not a finite positive number.

    See Also
    --------
    Beta.from_counts : the posterior of a probability given counts.

    Notes
    -----
    The density is ``x**(a-1) (1-x)**(b-1) / B(a, b)``. ``sample`` draws
    with :meth:`numpy.random.Generator.beta`; ``ppf`` and ``cdf`` are
    :func:`scipy.special.betaincinv` and :func:`scipy.special.betainc`.

    Examples
    --------
    >>> from slosim.model import Beta
    >>> d = Beta(2, 8)
    >>> d
    Beta(2.0, 8.0)
    >>> d.mean, round(d.var, 6)
    (0.2, 0.014545)
    >>> d.sample(3, rng=42).round(4)
    array([0.1739, 0.1943, 0.2817])
    >>> float(d.ppf(0.5).round(6))
    0.17962
    """

    __slots__ = ("_a", "_b")

    def __init__(self, a, b):
        object.__setattr__(self, "_a", _finite(a, "a", "Beta", low=0))
        object.__setattr__(self, "_b", _finite(b, "b", "Beta", low=0))

    @classmethod
    def from_counts(cls, good, bad):
        """The Jeffreys posterior of a probability, from counts of outcomes.

        Parameters
        ----------
        good, bad : int
            Non-negative counts of trials whose outcome is the one the
            probability describes (``good``) and of the others (``bad``).
            For an availability from probes: probes that found the
            component up, and down.

        Returns
        -------
        Beta
            ``Beta(good + 1/2, bad + 1/2)``.

        Raises
        ------
        TypeError, ValueError
            If a count is not a non-negative int.

        Notes
        -----
        The Jeffreys prior ``Beta(1/2, 1/2)`` updated with the counts: the
        standard non-informative choice for a binomial probability [1]_,
        whose posterior mean ``(good + 1/2) / (good + bad + 1)`` is never
        exactly 0 or 1. For an unavailability from the same probes, swap
        the counts: ``Beta.from_counts(good=down, bad=up)``.

        References
        ----------
        .. [1] C. L. Atwood et al., "Handbook of parameter estimation for
           probabilistic risk assessment", NUREG/CR-6823 (2003), 6.2.2.

        Examples
        --------
        >>> import slosim as ss
        >>> from slosim.model import Beta
        >>> d = Beta.from_counts(good=9990, bad=10)
        >>> d
        Beta(9990.5, 10.5)
        >>> api = ss.Component("api", availability=d)
        >>> api.unavailability   # E[1 - A] = 10.5 / 10001
        0.0010498950104989502
        """
        good = check_int(good, "good", "Beta.from_counts", low=0)
        bad = check_int(bad, "bad", "Beta.from_counts", low=0)
        return cls(good + 0.5, bad + 0.5)

    @property
    def a(self):
        return self._a

    @property
    def b(self):
        return self._b

    @property
    def mean(self):
        return self._a / (self._a + self._b)

    @property
    def complement_mean(self):
        return self._b / (self._a + self._b)

    @property
    def var(self):
        a, b = self._a, self._b
        n = a + b
        return a / n * (b / n) / (n + 1)

    @property
    def support(self):
        return (0.0, 1.0)

    @property
    def args(self):
        return (self._a, self._b)

    def _ppf(self, u):
        from scipy.special import betaincinv

        return np.asarray(betaincinv(self._a, self._b, u), dtype=np.float64)

    def _cdf(self, x):
        from scipy.special import betainc

        # outside [0, 1] the cdf is 0 or 1 by definition
        return np.asarray(betainc(self._a, self._b, np.clip(x, 0.0, 1.0)))

    def _sample(self, rng, size):
        return rng.beta(self._a, self._b, size)

    def __repr__(self):
        return f"Beta({self._a!r}, {self._b!r})"


class LogNormal(Distribution):
    """The lognormal distribution: of a probability (truncated to (0, 1]), or
    of a duration or any positive quantity (``upper=None``).

    ``ln X`` is normal with mean ``ln(median)`` and standard deviation
    ``sigma``, and ``X`` is conditioned on ``X <= upper``: a probability
    cannot exceed 1, the default. Construction refuses parameters that put
    more than ``LogNormal.max_tail`` (1e-4) of the untruncated mass above
    ``upper``; below that, the truncation is exact and is the distribution:
    ``cdf``, ``ppf``, ``mean``, ``var`` and ``sample`` all describe the
    truncated distribution, and so agree with each other. Nothing is
    clamped. With ``upper=None`` nothing is truncated: the lognormal of a
    duration (:meth:`from_median`, in seconds).

    Parameters
    ----------
    median : float
        The median of the untruncated lognormal, in (0, upper].
    sigma : float
        The standard deviation of ``ln X`` before truncation, finite and
        positive.
    upper : float or None, default 1.0
        The truncation point, finite and positive; None for none.

    Attributes
    ----------
    median, sigma : float
    upper : float or None
    mu : float
        ``ln(median)``.
    error_factor : float
        ``exp(1.6448536 sigma)``: the untruncated 95th percentile over the
        median.
    tail : float
        ``P(X > upper)`` before truncation: the mass the truncation removes
        (at most ``max_tail``; 0 without truncation).
    mean, var : float
        Of the truncated distribution (see Notes).
    support : tuple
        ``(0.0, upper)``, or ``(0.0, inf)``.

    Raises
    ------
    TypeError, ValueError
        If a parameter is not a finite number in its range, or
        ``P(X > upper) > max_tail`` before truncation.

    See Also
    --------
    LogNormal.from_error_factor : the PRA parametrisation of a probability.
    LogNormal.from_median : a duration's lognormal, by median and error factor.

    Notes
    -----
    With ``u = ln(upper)``, ``t = P(Z > (u - mu) / sigma)`` the removed tail
    and ``Phi`` the standard normal cdf:

    * ``cdf(x) = Phi((ln x - mu) / sigma) / (1 - t)`` for ``0 < x <= upper``;
    * ``ppf(p) = exp(mu + sigma Phi^-1(p (1 - t)))``;
    * ``mean = exp(mu + sigma**2 / 2) Phi((u - mu - sigma**2) / sigma) / (1 - t)``;
    * ``E[X**2] = exp(2 mu + 2 sigma**2) Phi((u - mu - 2 sigma**2) / sigma) / (1 - t)``

    (each ``Phi(.)`` factor 1 and ``t = 0`` without truncation).

    Below the refusal threshold the percentiles move by at most ``t`` in
    probability; the mean can move more (by ``E[X; X > upper]`` of the
    untruncated distribution, about 1% of the mean at ``t = 1e-4``), which
    is why the truncated mean, not ``exp(mu + sigma**2 / 2)``, is the one
    reported and used. ``sample`` draws ``exp(mu + sigma Z)`` with ``Z``
    standard normal and draws again each value above ``upper``, which
    samples the truncated distribution exactly.

    Examples
    --------
    >>> from slosim.model import LogNormal
    >>> d = LogNormal(median=1e-3, sigma=1.0)
    >>> d
    LogNormal(median=0.001, sigma=1)
    >>> print(f"{d.mean:.6g} {d.tail:.3g}")   # exp(-6.9078 + 0.5); no mass lost
    0.00164872 2.46e-12
    >>> LogNormal(median=0.05, sigma=2.0)
    Traceback (most recent call last):
    ...
    ValueError: LogNormal(median=0.05, sigma=2): P(X > 1) = 0.0671 before truncation,
    more than the 0.0001 a probability's distribution may put above 1; give a
    smaller median or sigma (error factor), or use a Beta

    Incident durations with a median of 40 minutes, one in twenty longer
    than two hours (error factor 3), in seconds:

    >>> LogNormal.from_median("40m", 3)
    LogNormal(median=2400, sigma=0.667909, upper=None)
    """

    __slots__ = ("_median", "_sigma", "_upper", "_mu", "_tail")

    #: The largest mass above ``upper`` (before truncation) construction accepts.
    max_tail = 1e-4

    def __init__(self, median, sigma, upper=1.0):
        if upper is not None:
            upper = _finite(upper, "upper", "LogNormal", low=0)
        median = _finite(median, "median", "LogNormal", low=0, high=upper)
        sigma = _finite(sigma, "sigma", "LogNormal", low=0)
        mu = math.log(median)
        tail = 0.0
        if upper is not None:
            # P(Z > (ln upper - mu) / sigma), in the form that keeps a tiny
            # tail's digits
            tail = 0.5 * math.erfc((math.log(upper) - mu) / sigma / math.sqrt(2.0))
            if tail > self.max_tail:
                what = ("a probability's distribution" if upper == 1.0
                        else "the distribution")
                hint = ("; give a smaller median or sigma (error factor), or use a Beta"
                        if upper == 1.0 else "")
                raise ValueError(
                    f"{self._repr(median, sigma, upper)}: P(X > {upper:g}) = "
                    f"{tail:.3g} before truncation, more than the {self.max_tail:g} "
                    f"{what} may put above {upper:g}{hint}")
        object.__setattr__(self, "_median", median)
        object.__setattr__(self, "_sigma", sigma)
        object.__setattr__(self, "_upper", upper)
        object.__setattr__(self, "_mu", mu)
        object.__setattr__(self, "_tail", tail)

    @classmethod
    def from_error_factor(cls, median, error_factor):
        """A lognormal given by its median and error factor (the PRA form).

        Parameters
        ----------
        median : float
            In (0, 1].
        error_factor : float
            ``EF = x95 / median``, the 95th percentile over the median,
            finite and above 1.

        Returns
        -------
        LogNormal
            With ``sigma = ln(EF) / 1.6448536``, ``1.6448536`` being the
            standard normal 95th percentile (so ``x05 = median / EF`` too),
            truncated to (0, 1]: the distribution of a probability.

        Notes
        -----
        The 95th percentile is ``median * EF`` for the untruncated
        distribution; after truncation (see :class:`LogNormal`) it is
        ``ppf(0.95)``, lower by at most the removed tail in probability.

        Examples
        --------
        >>> from slosim.model import LogNormal
        >>> d = LogNormal.from_error_factor(1e-3, 10)
        >>> d
        LogNormal(median=0.001, sigma=1.39987)
        >>> d.error_factor
        10.000000000000002
        >>> print(f"{d.ppf(0.95):.6g} {d.tail:.2g}")  # 0.01, less the tail's share
        0.00999995 4e-07
        """
        ef = _finite(error_factor, "error_factor", "LogNormal.from_error_factor",
                     low=1)
        median = _finite(median, "median", "LogNormal.from_error_factor",
                         low=0, high=1)
        return cls(median, math.log(ef) / _Z95)

    @classmethod
    def from_median(cls, median, error_factor):
        """The lognormal of a duration, by its median and error factor.

        Parameters
        ----------
        median : str, datetime.timedelta or float
            A positive duration: ``"40m"``, a timedelta, or seconds.
        error_factor : float
            The 95th percentile over the median, finite and above 1 (one
            duration in twenty is longer than ``median * error_factor``,
            one in twenty shorter than ``median / error_factor``).

        Returns
        -------
        LogNormal
            In seconds, not truncated (``upper=None``), with ``sigma =
            ln(error_factor) / 1.6448536``.

        Examples
        --------
        >>> from slosim.model import LogNormal
        >>> d = LogNormal.from_median("40m", 3)
        >>> round(float(d.ppf(0.95)) / 60, 6), round(d.mean / 60, 3)   # minutes
        (120.0, 49.995)
        """
        func = "LogNormal.from_median"
        ef = _finite(error_factor, "error_factor", func, low=1)
        return cls(duration_seconds(median, "median", func), math.log(ef) / _Z95,
                   upper=None)

    @property
    def median(self):
        return self._median

    @property
    def sigma(self):
        return self._sigma

    @property
    def upper(self):
        return self._upper

    @property
    def mu(self):
        return self._mu

    @property
    def error_factor(self):
        return math.exp(_Z95 * self._sigma)

    @property
    def tail(self):
        return self._tail

    def _log_masses(self):
        """``ln P(Z <= (ln upper - mu - j sigma**2) / sigma)`` for j = 0, 1, 2
        (zeros without truncation)."""
        if self._upper is None:
            return [0.0, 0.0, 0.0]
        from scipy.special import log_ndtr

        u, mu, s = math.log(self._upper), self._mu, self._sigma
        return [float(log_ndtr((u - mu - j * s * s) / s)) for j in range(3)]

    @property
    def mean(self):
        l0, l1, _ = self._log_masses()
        return math.exp(self._mu + self._sigma ** 2 / 2 + l1 - l0)

    @property
    def var(self):
        l0, l1, l2 = self._log_masses()
        mean = math.exp(self._mu + self._sigma ** 2 / 2 + l1 - l0)
        # E[X^2] / mean^2 - 1, without the cancellation of a small sigma
        return mean * mean * math.expm1(self._sigma ** 2 + l2 + l0 - 2 * l1)

    @property
    def support(self):
        return (0.0, math.inf if self._upper is None else self._upper)

    @property
    def args(self):
        return (self._median, self._sigma, self._upper)

    def _ppf(self, u):
        from scipy.special import ndtri

        t = self._tail
        # Phi^-1(u (1 - t)), for u above 1/2 through the upper tail
        # 1 - u (1 - t) = (1 - u) + u t, which keeps its digits there
        with np.errstate(divide="ignore", over="ignore"):
            z = np.where(u <= 0.5, ndtri(u * (1.0 - t)), -ndtri((1.0 - u) + u * t))
            x = np.exp(self._mu + self._sigma * z)
        if self._upper is None:
            return x
        # ppf(1) is upper: the formula gives exp(~ln upper), which rounding
        # may put a unit above it (or +inf when the tail underflows to 0)
        return np.where(u == 1.0, self._upper, np.minimum(x, self._upper))

    def _cdf(self, x):
        from scipy.special import ndtr

        upper = math.inf if self._upper is None else self._upper
        inside = (x > 0) & (x < upper)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(np.where(inside, x, 0.5)) - self._mu) / self._sigma
        return np.where(inside, ndtr(z) / (1.0 - self._tail),
                        np.where(x >= upper, 1.0, 0.0))

    def _sample(self, rng, size):
        shape = () if size is None else size
        x = np.exp(self._mu + self._sigma * rng.standard_normal(shape))
        if self._upper is None:
            return x
        x = np.atleast_1d(x)
        bad = x > self._upper
        while bad.any():                    # the truncation: draw again above upper
            x[bad] = np.exp(self._mu + self._sigma * rng.standard_normal(bad.sum()))
            bad = x > self._upper
        return x.reshape(shape)

    @staticmethod
    def _repr(median, sigma, upper):
        bound = ("" if upper == 1.0 else ", upper=None" if upper is None
                 else f", upper={upper:.6g}")
        return f"LogNormal(median={median:.6g}, sigma={sigma:.6g}{bound})"

    def __repr__(self):
        return self._repr(self._median, self._sigma, self._upper)


class Uniform(Distribution):
    """The uniform distribution on ``[low, high]``.

    Parameters
    ----------
    low, high : float
        Finite, ``low < high``. For a probability, within [0, 1] (a
        component, shock or common-cause group refuses any other support).

    Attributes
    ----------
    low, high : float
    mean : float
        ``(low + high) / 2``.
    var : float
        ``(high - low)**2 / 12``.
    support : tuple
        ``(low, high)``.

    Raises
    ------
    TypeError, ValueError
        If a bound is not a finite number, or ``low >= high``.

    Notes
    -----
    ``ppf(u) = (1 - u) low + u high``, exact at both ends; ``sample`` draws
    with :meth:`numpy.random.Generator.uniform`.

    Examples
    --------
    >>> from slosim.model import Uniform
    >>> d = Uniform(0.01, 0.03)
    >>> d, d.mean, float(d.ppf(0.25))
    (Uniform(0.01, 0.03), 0.02, 0.015)
    """

    __slots__ = ("_low", "_high")

    def __init__(self, low, high):
        low = _finite(low, "low", "Uniform")
        high = _finite(high, "high", "Uniform")
        if not low < high:
            raise ValueError(f"Uniform(low={low!r}, high={high!r}): low must be "
                             f"below high")
        object.__setattr__(self, "_low", low)
        object.__setattr__(self, "_high", high)

    @property
    def low(self):
        return self._low

    @property
    def high(self):
        return self._high

    @property
    def mean(self):
        return 0.5 * self._low + 0.5 * self._high

    @property
    def complement_mean(self):
        return 0.5 * (1.0 - self._low) + 0.5 * (1.0 - self._high)

    @property
    def var(self):
        return (self._high - self._low) ** 2 / 12.0

    @property
    def support(self):
        return (self._low, self._high)

    @property
    def args(self):
        return (self._low, self._high)

    def _ppf(self, u):
        return (1.0 - u) * self._low + u * self._high

    def _cdf(self, x):
        # below the support the cdf is 0, above it 1, by definition
        return np.clip((x - self._low) / (self._high - self._low), 0.0, 1.0)

    def _sample(self, rng, size):
        return rng.uniform(self._low, self._high, size)

    def __repr__(self):
        return f"Uniform({self._low!r}, {self._high!r})"


def probability_distribution(owner, name, key, value):
    """``value`` (a :class:`Distribution`) checked as the distribution of a
    probability: its support within [0, 1], else a :class:`ProbabilityError`
    naming ``owner`` and ``key``."""
    low, high = value.support
    if not (0.0 <= low and high <= 1.0):
        raise ProbabilityError(
            f"{owner}: {key} must be a probability in [0, 1] or a distribution "
            f"on [0, 1], got {value!r}, whose support is [{low!r}, {high!r}]",
            name)
    return value


def is_distribution(value):
    """Whether ``value`` is a :class:`Distribution`."""
    return isinstance(value, Distribution)

