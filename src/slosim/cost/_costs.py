"""Cost functions of a component's availability, evaluated in nines.

A :class:`Cost` holds a cost ``c(r)`` of availability ``r`` and its
derivative. The allocation optimizer works in nines, ``n = -log10(1 - r)``,
and asks for the value, slope and curvature there; the built-in costs
compute them from ``q = 1 - r = 10**-n``, never from ``r``, so they keep
their digits at high availability. A user's :class:`Cost` is a function of
``r`` and is only as precise as ``r`` is (see :class:`Cost`).
"""

from decimal import Decimal
import math

import numpy as np

from .._validation import check_int, check_real, param_error

__all__ = ["Cost", "per_nine", "exponential", "feasibility"]

LN10 = math.log(10.0)
_EPS = float(np.finfo(np.float64).eps)
_ALL_FLOAT_ERRORS_IGNORED = {"over": "ignore", "under": "ignore", "divide": "ignore",
                             "invalid": "ignore"}


def _as_float_array(x):
    """``x`` as a float64 array, and whether it was a scalar."""
    arr = np.asarray(x, dtype=np.float64)
    return arr, arr.ndim == 0


def _result(out, scalar):
    """A Python float for a scalar argument, else the array."""
    return float(out) if scalar else out


def _unavailability(n):
    """``q = 10**-n`` (0 for very large n, inf for very negative n, silently)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.power(10.0, -n)


def _exact_unavailability(r):
    """``1 - r`` with ``r`` read through its shortest decimal form."""
    return float(1 - Decimal(repr(float(r))))


def _availability(n, q):
    """``r = 1 - 10**-n``: from ``q`` (exact) for n >= 0.3, expm1 below."""
    with np.errstate(over="ignore"):
        return np.where(n >= 0.3, 1.0 - q, -np.expm1(-LN10 * n))


def _nines_of(r):
    """``-log10(1 - r)``: from ``1 - r`` (exact) for r >= 1/2, log1p below."""
    with np.errstate(**_ALL_FLOAT_ERRORS_IGNORED):
        return np.where(r >= 0.5, -np.log10(1.0 - r), -np.log1p(-r) / LN10) + 0.0


def _times_exp(scale, u):
    """``scale * exp(u)`` for ``scale >= 0``, without a spurious overflow.

    Where ``exp(u)`` alone overflows the product may still be finite (a tiny
    ``scale``): there it is ``exp(u + log(scale))``, which is inf when the
    product is.
    """
    with np.errstate(**_ALL_FLOAT_ERRORS_IGNORED):
        e = np.exp(u)
        return np.where(np.isinf(e), np.exp(u + np.log(scale)), scale * e)


def _callable_repr(f):
    name = getattr(f, "__name__", None)
    if isinstance(name, str):
        return f"<function {name}>"
    return f"<{type(f).__name__} object>"


def _apply(func, r, what, cost):
    """``func(r)`` as a float64 array of r's shape, for any callable.

    A numpy-vectorised function gets the whole array; a scalar function
    (one that raises TypeError or ValueError on an array, as :func:`math.exp`
    does) is called element by element with Python floats.
    """
    if r.ndim == 0:
        out = func(float(r))
    else:
        try:
            out = func(r)
        except (TypeError, ValueError):
            out = [func(float(x)) for x in r.flat]
            out = np.asarray(out, dtype=np.float64).reshape(r.shape)
    out = np.asarray(out, dtype=np.float64)
    if out.shape != r.shape:
        if out.ndim:
            raise ValueError(
                f"the {what} of {cost!r} returned an array of shape {out.shape} for "
                f"availabilities of shape {r.shape}; it must return one value per "
                f"availability"
            )
        out = np.broadcast_to(out, r.shape)
    return out


def _user_cost(function, derivative, convex, name):
    """A pickled user :class:`Cost`, built again (see ``Cost.__reduce__``)."""
    return Cost(function, derivative, convex=convex, name=name)


class Cost:
    """A cost function of one component's availability, with its derivative.

    In target allocation a cost function says what it costs to raise a
    component's availability ``r``: the optimizer looks for the
    availabilities of least total cost that meet the journeys' targets. It
    works in nines, ``n = -log10(1 - r)`` (``r`` is badly conditioned near
    1), and reads a cost through :meth:`value`, :meth:`slope` and
    :meth:`curvature` in ``n``, each vectorised over numpy arrays.

    Build a cost from your own function of ``r`` with this class, or use
    the built-ins: :func:`per_nine`, :func:`exponential`,
    :func:`feasibility`.

    Parameters
    ----------
    function : callable
        The cost ``c(r)`` of availability ``r`` in (0, 1). Numpy-vectorised
        or scalar (a function that fails on an array is called element by
        element).
    derivative : callable
        Its derivative ``dc/dr``, likewise.
    convex : bool, default False
        Whether the cost is convex *in nines*, as a function of ``n``. This
        is your claim: the optimizer may rely on it (a convex total cost has
        no local minima that are not global), and slosim does not check it.
    name : str, optional
        A label for messages and the repr.

    Attributes
    ----------
    convex : bool
        Whether the cost is convex in nines.
    name : str or None
        The label given (the constructor's name for the built-ins).
    domain : tuple of float
        ``(low, high)``: the cost is finite for nines ``low <= n < high`` and
        tends to infinity as ``n`` tends to ``high``; ``(0.0, inf)`` for a
        user's cost.

    Raises
    ------
    TypeError
        If ``function`` or ``derivative`` is not callable, ``convex`` not a
        bool or ``name`` neither None nor a str.

    See Also
    --------
    per_nine, exponential, feasibility : the built-in costs.

    Notes
    -----
    With ``q = 1 - r = 10**-n``, ``dr/dn = ln(10) q``, so

    .. math::

        \\frac{dc}{dn} = \\frac{dc}{dr} \\ln(10)\\, 10^{-n}.

    A user's cost is a function of ``r``, and ``r = 1 - 10**-n`` keeps
    ``1 - r`` only to about ``eps / 2 = 1.1e-16`` (absolute): its
    :meth:`value` and :meth:`slope` at ``n`` nines carry a relative error of
    about ``eps * 10**n`` (2e-10 at 6 nines, 2e-4 at 12), and past about
    16.3 nines the function sees ``r = 1`` exactly. The built-in costs
    compute in ``q`` and have no such limit. (Below 0.3 nines ``r`` is
    computed as ``-expm1(-n ln 10)``, to full precision.)

    Its :meth:`curvature` is a finite difference of :meth:`slope`, central
    with step ``h = (eps * max(1, 10**n))**(1/3)``: the cube root of the
    slope's relative rounding error, which balances the truncation error
    (``h**2``) against the rounding error (that error over ``h``), for a
    curvature good to about ``(eps * 10**n)**(2/3)`` relative (the step is
    at most 1, which it reaches at 15.7 nines). Within ``h``
    of ``n = 0`` the difference is one-sided (second order), so that the
    function is never called at ``r < 0``.

    Examples
    --------
    The cost of nines squared, ``c(r) = (-log10(1 - r))**2``:

    >>> import numpy as np
    >>> from slosim.cost import Cost
    >>> cost = Cost(lambda r: np.log10(1 - r) ** 2,
    ...             lambda r: -2 * np.log10(1 - r) / ((1 - r) * np.log(10)),
    ...             convex=True, name="squared")
    >>> cost.value(3.0), cost.slope(3.0)
    (9.0, 6.0)
    >>> round(cost.curvature(3.0), 6)
    2.0
    >>> cost.increasing_on(0.1, 12.0)
    True
    >>> cost(np.array([0.9, 0.99]))
    array([1., 4.])
    """

    __slots__ = ("_function", "_derivative", "_convex", "_name")

    def __init__(self, function, derivative, *, convex=False, name=None):
        for what, f in (("function", function), ("derivative", derivative)):
            if not callable(f):
                raise param_error(what, "Cost", "a callable of the availability r", f,
                                  TypeError)
        if not isinstance(convex, (bool, np.bool_)):
            raise param_error("convex", "Cost", "a bool", convex, TypeError)
        if name is not None and not isinstance(name, str):
            raise param_error("name", "Cost", "None or a str", name, TypeError)
        self._init(_function=function, _derivative=derivative, _convex=bool(convex),
                   _name=name)

    def _init(self, **slots):
        for key, value in slots.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {key!r}")

    def __delattr__(self, key):
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {key!r}")

    def __reduce__(self):
        return (_user_cost, (self._function, self._derivative, self._convex, self._name))

    def __repr__(self):
        parts = [_callable_repr(self._function), _callable_repr(self._derivative)]
        if self._convex:
            parts.append("convex=True")
        if self._name is not None:
            parts.append(f"name={self._name!r}")
        return f"Cost({', '.join(parts)})"

    @property
    def convex(self):
        """Whether the cost is convex in nines (a function of ``n``)."""
        return self._convex

    @property
    def name(self):
        """The label given (the constructor's name for the built-ins)."""
        return self._name

    @property
    def domain(self):
        """``(low, high)`` in nines: the cost is finite on ``low <= n < high``."""
        return (0.0, math.inf)

    # -- in availability, for users ------------------------------------------------

    def __call__(self, r):
        """The cost at availability ``r`` (vectorised).

        Parameters
        ----------
        r : float or array_like
            Availabilities.

        Returns
        -------
        float or numpy.ndarray
            The cost, a float for a scalar ``r``; for a built-in cost, nan
            outside its domain ``[r_min, r_max]`` (``[0, 1]``) and inf at
            ``r_max``.
        """
        r, scalar = _as_float_array(r)
        return _result(_apply(self._function, r, "function", self), scalar)

    def derivative(self, r):
        """The derivative ``dc/dr`` at availability ``r`` (vectorised).

        Parameters
        ----------
        r : float or array_like
            Availabilities.

        Returns
        -------
        float or numpy.ndarray
            ``dc/dr``, a float for a scalar ``r``.
        """
        r, scalar = _as_float_array(r)
        return _result(_apply(self._derivative, r, "derivative", self), scalar)

    # -- in nines, for the optimizer -------------------------------------------------

    def value(self, n):
        """The cost at ``n`` nines, availability ``r = 1 - 10**-n``.

        Parameters
        ----------
        n : float or array_like
            Nines.

        Returns
        -------
        float or numpy.ndarray
            The cost, a float for a scalar ``n``. A built-in cost is nan
            outside its :attr:`domain` and its limit (inf) at the upper end;
            a user's cost is its function at ``r = 1 - 10**-n``, whatever
            ``n``.
        """
        return self._in_nines(self._value, n)

    def slope(self, n):
        """``dc/dn``, the derivative of the cost in nines, at ``n`` nines.

        Parameters
        ----------
        n : float or array_like
            Nines.

        Returns
        -------
        float or numpy.ndarray
            ``dc/dn = dc/dr * ln(10) * 10**-n``, a float for a scalar ``n``.
        """
        return self._in_nines(self._slope, n)

    def curvature(self, n):
        """``d2c/dn2``, the second derivative of the cost in nines.

        Analytic for the built-in costs; for a user's cost, a finite
        difference of :meth:`slope` (see Notes of :class:`Cost`).

        Parameters
        ----------
        n : float or array_like
            Nines.

        Returns
        -------
        float or numpy.ndarray
            ``d2c/dn2``, a float for a scalar ``n``.
        """
        return self._in_nines(self._curvature, n)

    def _in_nines(self, part, n):
        """``part(n, q)`` at ``n`` nines (``q = 10**-n``), nan outside the
        domain, a float for a scalar ``n``."""
        n, scalar = _as_float_array(n)
        return _result(self._in_domain(n, part(n, _unavailability(n))), scalar)

    def increasing_on(self, n_low, n_high, points=65):
        """Whether the cost increases in nines on ``[n_low, n_high]``.

        True when :meth:`slope` is positive at ``points`` nines spaced
        evenly on ``[n_low, n_high]``, both ends included. A nan slope
        (outside the :attr:`domain`, or a function that fails there) counts
        as not increasing; a slope of +inf counts as increasing: it is an
        overflow of a steep cost (:func:`exponential` at many nines,
        :func:`feasibility` next to ``r_max``), not a doubt about its sign.

        Parameters
        ----------
        n_low, n_high : float
            The interval in nines, finite, ``n_low <= n_high``.
        points : int, default 65
            How many nines to check, at least 2.

        Returns
        -------
        bool

        Raises
        ------
        TypeError, ValueError
            If ``n_low`` or ``n_high`` is not a finite float, ``n_low >
            n_high``, or ``points`` is not an int >= 2.

        Examples
        --------
        >>> from slosim.cost import Cost, feasibility, per_nine
        >>> per_nine(1.0).increasing_on(0.0, 20.0)
        True
        >>> Cost(lambda r: 1 - r, lambda r: -1.0).increasing_on(1.0, 6.0)
        False
        >>> feasibility(0.5, 0.9, 0.999).increasing_on(0.0, 3.0)  # nan below r_min
        False
        >>> feasibility(0.5, 0.9, 0.999).increasing_on(1.0, 3.0)
        True
        """
        func = "increasing_on"
        lo = check_real(n_low, "n_low", func, low=-math.inf, high=math.inf,
                        low_open=True, high_open=True)
        hi = check_real(n_high, "n_high", func, low=-math.inf, high=math.inf,
                        low_open=True, high_open=True)
        if lo > hi:
            raise ValueError(
                f"The 'n_low' and 'n_high' parameters of {func} must satisfy n_low <= "
                f"n_high. Got n_low={n_low!r} and n_high={n_high!r} instead."
            )
        points = check_int(points, "points", func, low=2)
        s = self.slope(np.linspace(lo, hi, points))
        return bool(np.all(s > 0))  # nan > 0 is False

    # -- the hooks the built-ins override ------------------------------------------
    # Each takes float64 arrays of nines n and unavailabilities q = 10**-n.

    def _in_domain(self, n, out):
        """``out``, with nan outside the domain (a user's cost: unchanged)."""
        return out

    def _value(self, n, q):
        return _apply(self._function, _availability(n, q), "function", self)

    def _slope(self, n, q):
        d = _apply(self._derivative, _availability(n, q), "derivative", self)
        with np.errstate(invalid="ignore", over="ignore"):
            return d * (LN10 * q)

    def _curvature(self, n, q):
        # step: cube root of the slope's relative rounding error, eps * 10**n
        # (at most 1 nine: past 15.7 nines the slope has no digits left anyway)
        with np.errstate(over="ignore"):
            h = np.minimum(np.cbrt(_EPS * np.maximum(1.0, np.power(10.0, n))), 1.0)
        low = self.domain[0]
        one_sided = n - h < low
        s1 = self.slope(np.where(one_sided, n, n - h))
        s2 = self.slope(n + h)
        s3 = self.slope(np.where(one_sided, n + 2 * h, n))
        with np.errstate(invalid="ignore", over="ignore"):
            central = (s2 - s1) / (2 * h)
            forward = (4 * s2 - 3 * s1 - s3) / (2 * h)
        return np.where(one_sided, forward, central)


class _Builtin(Cost):
    """A built-in cost: computed in q, nan outside its domain, equal by value."""

    __slots__ = ("_params", "_low", "_high", "_r_low", "_r_high")

    def __init__(self, name, params, *, n_low=0.0, n_high=math.inf, r_low=0.0,
                 r_high=1.0):
        self._init(_function=None, _derivative=None, _convex=True, _name=name,
                   _params=params, _low=n_low, _high=n_high, _r_low=r_low, _r_high=r_high)

    def __reduce__(self):
        return (_CONSTRUCTORS[self._name], self._params)

    def __repr__(self):
        return f"{self._name}({', '.join(map(repr, self._params))})"

    def __eq__(self, other):
        if not isinstance(other, _Builtin):
            return NotImplemented
        return self.__reduce__() == other.__reduce__()  # same constructor and parameters

    def __hash__(self):
        return hash(self.__reduce__())

    @property
    def domain(self):
        return (self._low, self._high)

    @property
    def parameters(self):
        """The constructor's arguments, as a tuple."""
        return self._params

    @classmethod
    def stacked(cls, costs):
        """One instance of ``cls`` evaluating every cost of ``costs`` (all of
        this class) at once: its parameters and domain are arrays."""
        params = tuple(np.array(p, dtype=np.float64)
                       for p in zip(*(c.parameters for c in costs)))
        lows, highs = zip(*(c.domain for c in costs))
        out = object.__new__(cls)
        cls._init(out, _function=None, _derivative=None, _convex=True,
                  _name=costs[0].name, _params=params, _low=np.array(lows),
                  _high=np.array(highs), _r_low=0.0, _r_high=1.0)
        return out

    def __call__(self, r):
        r, scalar = _as_float_array(r)
        out = self._value(_nines_of(r), 1.0 - r)
        return _result(self._in_r_domain(r, out), scalar)

    def derivative(self, r):
        r, scalar = _as_float_array(r)
        return _result(self._in_r_domain(r, self._dcdr(1.0 - r)), scalar)

    def _in_domain(self, n, out):
        return np.where((n >= self._low) & (n <= self._high), out, np.nan)

    def _in_r_domain(self, r, out):
        return np.where((r >= self._r_low) & (r <= self._r_high), out, np.nan)


class _PerNine(_Builtin):
    __slots__ = ()

    def _value(self, n, q):
        (a,) = self._params
        return a * n

    def _slope(self, n, q):
        return self._params[0] * np.ones_like(n)

    def _curvature(self, n, q):
        return np.zeros_like(n)

    def _dcdr(self, q):
        with np.errstate(divide="ignore"):
            return self._params[0] / (LN10 * q)


class _Exponential(_Builtin):
    __slots__ = ()

    def _u(self, q):
        with np.errstate(divide="ignore", over="ignore"):
            return self._params[1] / q

    def _value(self, n, q):
        return _times_exp(self._params[0], self._u(q))

    def _slope(self, n, q):
        u = self._u(q)
        with np.errstate(over="ignore"):
            return _times_exp(self._params[0] * LN10 * u, u)

    def _curvature(self, n, q):
        u = self._u(q)
        with np.errstate(over="ignore"):
            return _times_exp(self._params[0] * LN10**2 * u * (1.0 + u), u)

    def _dcdr(self, q):
        u = self._u(q)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return _times_exp(self._params[0] * u / q, u)


class _Feasibility(_Builtin):
    # _k = 1 - f, _q_min = 1 - r_min, _q_max = 1 - r_max, _d = _q_min - _q_max
    __slots__ = ("_k", "_q_min", "_q_max", "_d")

    def __init__(self, f, r_min, r_max, q_min, q_max):
        with np.errstate(divide="ignore"):
            n_low, n_high = (float(-np.log10(q)) + 0.0 for q in (q_min, q_max))
        super().__init__("feasibility", (f, r_min, r_max), n_low=n_low, n_high=n_high,
                         r_low=r_min, r_high=r_max)
        self._init(_k=1.0 - f, _q_min=q_min, _q_max=q_max, _d=q_min - q_max)

    @classmethod
    def stacked(cls, costs):
        out = super().stacked(costs)
        f, r_min, r_max = out.parameters
        q_min = np.array([_exact_unavailability(r) for r in r_min.tolist()])
        q_max = np.array([_exact_unavailability(r) for r in r_max.tolist()])
        cls._init(out, _k=1.0 - f, _q_min=q_min, _q_max=q_max, _d=q_min - q_max,
                  _r_low=r_min, _r_high=r_max)
        return out

    def _parts(self, q):
        """The cost e**x and the exponent's derivative x' = k D ln10 q / t**2, with
        t = q - q_max (so t == r_max - r, without cancellation in r)."""
        with np.errstate(**_ALL_FLOAT_ERRORS_IGNORED):
            t = q - self._q_max
            x = self._k * (self._q_min - q) / t
            dx = self._k * self._d * LN10 * (q / t) / t
            cost = np.exp(x)
        pole = t <= 0  # r >= r_max: only at the upper end of the domain
        return np.where(pole, np.inf, cost), dx, t, pole

    def _value(self, n, q):
        return self._parts(q)[0]

    def _slope(self, n, q):
        cost, dx, _, pole = self._parts(q)
        with np.errstate(over="ignore", invalid="ignore"):
            out = cost * dx
        # an overflowing cost has x > 709, so x' = ln10 (q / t) (x + k) > 1600
        return np.where(pole | np.isinf(cost), np.inf, out)

    def _curvature(self, n, q):
        cost, dx, t, pole = self._parts(q)
        with np.errstate(**_ALL_FLOAT_ERRORS_IGNORED):
            ddx = self._k * self._d * LN10**2 * (q / t) * ((q + self._q_max) / t) / t
            out = cost * (ddx + dx * dx)
        return np.where(pole | np.isinf(cost), np.inf, out)

    def _dcdr(self, q):
        cost, _, t, pole = self._parts(q)
        with np.errstate(**_ALL_FLOAT_ERRORS_IGNORED):
            out = cost * (self._k * self._d / t / t)
        return np.where(pole | np.isinf(cost), np.inf, out)


def per_nine(a):
    """A cost linear in nines: ``a`` per nine of availability.

    Parameters
    ----------
    a : float
        The cost of one nine, > 0 and finite.

    Returns
    -------
    Cost
        Convex in nines (linear).

    Raises
    ------
    TypeError, ValueError
        If ``a`` is not a float in (0, inf).

    See Also
    --------
    exponential, feasibility

    Notes
    -----
    .. math::

        c(r) = -a \\log_{10}(1 - r), \\qquad c(n) = a n,

    so its slope in nines is ``a`` and its curvature 0: every nine costs
    the same, whether it takes the component from 90% to 99% or from
    99.99% to 99.999%.

    Examples
    --------
    >>> from slosim.cost import per_nine
    >>> cost = per_nine(2.5)
    >>> cost
    per_nine(2.5)
    >>> cost.value(4.0), cost.slope(4.0), cost.curvature(4.0)
    (10.0, 2.5, 0.0)
    >>> cost(0.999)
    7.5
    """
    a = check_real(a, "a", "per_nine", low=0, low_open=True, high=math.inf,
                   high_open=True)
    return _PerNine("per_nine", (a,))


def exponential(alpha, beta):
    """A cost exponential in the inverse unavailability.

    Parameters
    ----------
    alpha : float
        The scale, > 0 and finite: the cost tends to ``alpha * exp(beta)``
        as the availability tends to 0.
    beta : float
        The steepness, > 0 and finite.

    Returns
    -------
    Cost
        Convex in nines.

    Raises
    ------
    TypeError, ValueError
        If ``alpha`` or ``beta`` is not a float in (0, inf).

    See Also
    --------
    per_nine, feasibility

    Notes
    -----
    With ``u = beta / (1 - r) = beta * 10**n``,

    .. math::

        c(r) = \\alpha \\exp\\left(\\frac{\\beta}{1 - r}\\right), \\qquad
        c(n) = \\alpha \\exp(\\beta\\, 10^{n}),

    with slope ``alpha ln(10) u e**u`` and curvature ``alpha ln(10)**2 u
    (1 + u) e**u`` in nines. It is convex in nines: the curvature is a
    product of positive factors (equally, ``exp`` is convex and increasing
    and ``beta * 10**n`` is convex). Each nine costs more than the one
    before, steeply once ``u`` passes 1. Values too large for a float are
    inf, silently.

    Examples
    --------
    >>> from slosim.cost import exponential
    >>> cost = exponential(2.0, 0.001)
    >>> cost
    exponential(2.0, 0.001)
    >>> cost.value(3.0)
    5.43656
    >>> cost.slope(3.0)
    12.5182
    >>> cost.value(400.0)
    inf
    """
    func = "exponential"
    alpha = check_real(alpha, "alpha", func, low=0, low_open=True, high=math.inf,
                       high_open=True)
    beta = check_real(beta, "beta", func, low=0, low_open=True, high=math.inf,
                      high_open=True)
    return _Exponential(func, (alpha, beta))


def feasibility(f, r_min, r_max):
    """Mettas' feasibility cost, the one ReliaSoft BlockSim allocates with.

    Parameters
    ----------
    f : float
        The feasibility, in [0, 1): near 0 raising the availability is hard
        (the cost climbs steeply), near 1 it is easy.
    r_min : float
        The availability the component has now, in [0, 1): the cost is 1
        there.
    r_max : float
        The availability it can never reach, in (0, 1], > ``r_min``: the
        cost tends to infinity as ``r`` tends to ``r_max``.

    Returns
    -------
    Cost
        Convex in nines, defined on ``r_min <= r < r_max``, that is on the
        nines ``domain = (-log10(1 - r_min), -log10(1 - r_max))`` (inf for
        ``r_max = 1``).

    Raises
    ------
    TypeError, ValueError
        If ``f`` is not a float in [0, 1), ``r_min`` in [0, 1), ``r_max`` in
        (0, 1], or ``r_min >= r_max`` (or ``1 - r_min`` and ``1 - r_max`` are
        the same float).

    See Also
    --------
    per_nine, exponential

    Notes
    -----
    With ``k = 1 - f``,

    .. math::

        c(r) = \\exp\\left(k \\frac{r - r_{min}}{r_{max} - r}\\right), \\qquad
        c(n) = \\exp\\left(k \\frac{q_{min} - q}{q - q_{max}}\\right),

    where ``q = 10**-n``, ``q_min = 1 - r_min`` and ``q_max = 1 - r_max``;
    ``r_max - r`` is computed as ``q - q_max``, which keeps its digits near
    ``r_max``. ``r_min`` and ``r_max`` are read through their shortest
    decimal form, as a :class:`~slosim.Component`'s availability is: 0.99999
    means ``q_max = 1e-05``. Outside ``[r_min, r_max]`` the cost is nan; at
    ``r_max`` it is inf.

    It is convex in nines for all parameters. With ``t = q - q_max``, ``D =
    q_min - q_max`` and ``x`` the exponent, ``dq/dn = -ln(10) q`` gives
    ``x' = k D ln(10) q / t**2 > 0`` and ``x'' = k D ln(10)**2 q (q + q_max)
    / t**3 > 0`` (as ``2q - t = q + q_max``), so the curvature ``c'' = (x''
    + x'**2) e**x`` is positive on the whole domain.

    References
    ----------
    .. [1] A. Mettas, "Reliability allocation and optimization for complex
       systems", Proc. Annual Reliability and Maintainability Symposium
       (2000), pp. 216-221.

    Examples
    --------
    A component at 99.9% that can never reach 99.999%, easy to improve:

    >>> from slosim.cost import feasibility
    >>> cost = feasibility(0.9, 0.999, 0.99999)
    >>> cost.domain
    (3.0, 5.0)
    >>> cost.value(3.0), cost.value(4.0), cost.value(4.5)
    (1.0, 2.71828, 88.1029)
    >>> cost.slope(4.0), cost.curvature(4.0)
    (7.64998, 43.0582)
    >>> cost.value(5.0), cost.value(5.5)
    (inf, nan)
    >>> cost(0.9999)
    2.71828
    """
    func = "feasibility"
    k_f = check_real(f, "f", func, low=0, high=1, high_open=True)
    lo = check_real(r_min, "r_min", func, low=0, high=1, high_open=True)
    hi = check_real(r_max, "r_max", func, low=0, high=1, low_open=True)
    if lo >= hi:
        raise ValueError(
            f"The 'r_min' and 'r_max' parameters of {func} must satisfy r_min < r_max "
            f"(the cost is defined for r_min <= r < r_max). Got r_min={r_min!r} and "
            f"r_max={r_max!r} instead."
        )
    # read through the shortest decimal form, as a Component's availability is
    q_min, q_max = (_exact_unavailability(r) for r in (lo, hi))
    if q_min <= q_max:
        raise ValueError(
            f"The 'r_min' and 'r_max' parameters of {func} must differ by more than "
            f"the float resolution of 1 - r. Got r_min={r_min!r} and r_max={r_max!r} "
            f"instead, whose unavailabilities are both {q_min!r}."
        )
    return _Feasibility(k_f, lo, hi, q_min, q_max)


_CONSTRUCTORS = {"per_nine": per_nine, "exponential": exponential,
                 "feasibility": feasibility}


class CostStack:
    """Many costs evaluated together, one entry of ``n`` each.

    Built-in costs of one kind are evaluated in one vectorised call with
    arrays of their parameters; a user's :class:`Cost` on its own. An
    optimiser over thousands of components calls :meth:`value`,
    :meth:`slope` and :meth:`curvature` once per iterate.

    Parameters
    ----------
    costs : sequence of Cost

    Examples
    --------
    >>> from slosim.cost import CostStack, exponential, per_nine
    >>> stack = CostStack([per_nine(1.0), per_nine(2.0), exponential(1.0, 0.01)])
    >>> stack.value([3.0, 3.0, 1.0]).round(4).tolist()
    [3.0, 6.0, 1.1052]
    >>> stack.slope([3.0, 3.0, 1.0]).round(4).tolist()
    [1.0, 2.0, 0.2545]
    """

    def __init__(self, costs):
        costs = list(costs)
        for i, c in enumerate(costs):
            if not isinstance(c, Cost):
                raise TypeError(f"costs[{i}] must be a slosim.cost.Cost, got "
                                f"{type(c).__name__} {c!r}")
        self.size = len(costs)
        kinds = {}
        self._users = []
        for i, c in enumerate(costs):
            if isinstance(c, _Builtin):
                kinds.setdefault(type(c), []).append(i)
            else:
                self._users.append((i, c))
        self._groups = [(np.asarray(ix, dtype=np.intp), kind.stacked([costs[i] for i in ix]))
                        for kind, ix in kinds.items()]

    def _each(self, method, n):
        n = np.asarray(n, dtype=np.float64)
        if n.shape != (self.size,):
            raise ValueError(f"n must have one entry per cost ({self.size}), "
                             f"got shape {n.shape}")
        out = np.empty(self.size)
        for ix, stacked in self._groups:
            out[ix] = getattr(stacked, method)(n[ix])
        for i, c in self._users:
            out[i] = getattr(c, method)(n[i])
        return out

    def value(self, n):
        """Each cost at its nines."""
        return self._each("value", n)

    def slope(self, n):
        """Each cost's slope in nines."""
        return self._each("slope", n)

    def curvature(self, n):
        """Each cost's curvature in nines."""
        return self._each("curvature", n)

