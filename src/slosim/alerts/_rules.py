"""Alerting rules on an SLO's error ratio: burn-rate and threshold rules.

A rule watches the error ratio over a sliding window (the errors in the
last ``long`` seconds over the requests in them) and fires while it is
above a threshold; a multiwindow rule also asks the same of a ``short``
window, so that it stops firing soon after the errors stop. A
:class:`BurnRateAlert` puts its threshold at a multiple of the error
budget, ``burn_rate * (1 - slo)``; a :class:`ThresholdAlert` at a fixed
error ratio. :func:`multiwindow` gives the SRE Workbook's recommended set.
"""

from decimal import Decimal
from fractions import Fraction
import warnings

from .._errors import SlosimWarning
from .._validation import check_real, format_duration, param_error
from ._exact import exact, exact_duration, exact_positive

__all__ = ["BurnRateAlert", "ThresholdAlert", "multiwindow", "exact_budget"]


def exact_budget(slo, func):
    """``1 - slo`` exactly (``slo`` read through its shortest decimal form),
    for a checked ``slo`` in (0, 1)."""
    check_real(slo, "slo", func, low=0, high=1, low_open=True, high_open=True)
    return 1 - exact(slo)


def _check_label(value, name, func):
    if not isinstance(value, str) or not value.strip():
        raise param_error(name, func, "a non-empty str", value, TypeError)
    return value


class _Rule:
    """What every rule shares: windows, severity, name, ``for_``, ``inclusive``.

    Subclasses set ``_level`` (the exact threshold, or the exact burn rate)
    and say how it becomes an error ratio (:meth:`threshold`).
    """

    __slots__ = ("_long", "_short", "_level", "_severity", "_name", "_for", "_inclusive")

    def __init__(self, func, long, short, level, severity, name, for_, inclusive):
        long_s = exact_duration(long, "long", func)
        short_s = None
        if short is not None:
            short_s = exact_duration(short, "short", func)
            if short_s > long_s:
                raise param_error(
                    "short", func,
                    f"a window no longer than the long window ({format_duration(long_s)})",
                    short)
        for_s = Fraction(0) if for_ is None else exact_duration(for_, "for_", func,
                                                                  allow_zero=True)
        if not isinstance(inclusive, bool):
            raise param_error("inclusive", func, "a bool", inclusive, TypeError)
        _check_label(severity, "severity", func)
        if name is not None:
            _check_label(name, "name", func)
        for key, value in (("_long", long_s), ("_short", short_s), ("_level", level),
                           ("_severity", severity), ("_name", name), ("_for", for_s),
                           ("_inclusive", inclusive)):
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {key!r}")

    def __delattr__(self, key):
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {key!r}")

    def _key(self):
        return (type(self), self._long, self._short, self._level, self._severity,
                self._name, self._for, self._inclusive)

    def __eq__(self, other):
        # equal when they would be built again the same (see __reduce__)
        return isinstance(other, _Rule) and self.__reduce__() == other.__reduce__()

    def __hash__(self):
        return hash(self._key())

    def __reduce__(self):
        return (_rebuild, self._key())

    @property
    def long(self):
        """The long window, in seconds (the only window of a single-window rule)."""
        return float(self._long)

    @property
    def short(self):
        """The short window in seconds, or None for a single-window rule."""
        return None if self._short is None else float(self._short)

    @property
    def windows(self):
        """The windows in seconds: ``(long,)`` or ``(long, short)``."""
        return (self.long,) if self._short is None else (self.long, self.short)

    @property
    def for_(self):
        """How long the condition must hold before the rule fires, in seconds."""
        return float(self._for)

    @property
    def inclusive(self):
        """Whether a window at the threshold counts (``>=``) or not (``>``)."""
        return self._inclusive

    @property
    def severity(self):
        """The severity given (``'page'``, ``'ticket'`` or any other label)."""
        return self._severity

    @property
    def name(self):
        """The name given, or one made of the severity and the windows
        (``'page 1h/5m'``)."""
        if self._name is not None:
            return self._name
        windows = "/".join(format_duration(w) for w in self.windows)
        name = f"{self._severity} {windows}{self._name_detail()}"
        if self._for:
            name += f" for {format_duration(self._for)}"
        return name

    def _name_detail(self):
        return ""

    def _repr_tail(self):
        parts = []
        if self._severity != "page":
            parts.append(f"severity={self._severity!r}")
        if self._for:
            parts.append(f"for_={format_duration(self._for)!r}")
        if self._inclusive:
            parts.append("inclusive=True")
        if self._name is not None:
            parts.append(f"name={self._name!r}")
        return "".join(f", {p}" for p in parts)

    def _repr_windows(self):
        text = repr(format_duration(self._long))
        if self._short is not None:
            text += f", {format_duration(self._short)!r}"
        return text


def _rebuild(cls, long, short, level, severity, name, for_, inclusive):
    """A pickled rule, built again (see ``_Rule.__reduce__``)."""
    level_kw = "burn_rate" if cls is BurnRateAlert else "error_ratio"
    return cls(float(long), None if short is None else float(short),
               **{level_kw: level}, severity=severity, name=name, for_=float(for_),
               inclusive=inclusive)


class BurnRateAlert(_Rule):
    """A burn-rate alert: fires while the error budget burns too fast.

    The *burn rate* is how fast the errors spend the error budget,
    relative to the SLO: a burn rate of 1 spends exactly the budget of the
    whole period, and the error ratio that burns at rate ``b`` is ``b * (1
    - slo)``. The rule fires while the error ratio over the last ``long``
    seconds is above that, and (a multiwindow rule) so is the error ratio
    over the last ``short`` seconds: the long window says that a
    significant share of the budget went, the short one that it is still
    going, so the alert stops soon after the errors do.

    Parameters
    ----------
    long : str, datetime.timedelta or float
        The long window: ``"1h"``, ``"6h"``, ``"3d"``, a timedelta, or
        seconds.
    short : str, datetime.timedelta or float, optional
        The short window, no longer than ``long`` (the SRE Workbook
        suggests 1/12 of it). None (the default) for a single-window rule.
    burn_rate : float
        The burn rate that fires the rule, > 0 (an int, float, Fraction or
        Decimal; a float is read through its shortest decimal form, so
        14.4 is exactly 14.4).
    severity : str, default ``"page"``
        A label: ``"page"``, ``"ticket"``, or any other.
    name : str, optional
        The rule's name in results; by default the severity and the
        windows, as ``"page 1h/5m"``.
    for_ : str, datetime.timedelta or float, optional
        How long the condition must hold before the rule fires (a
        Prometheus ``for:`` clause, the Workbook's "incrementing alert
        duration"); the timer starts again whenever the condition fails.
    inclusive : bool, default False
        Fire when a window's ratio is at the threshold too (``>=``), as
        the Workbook's first strategy writes it; by default only above it
        (``>``), as its other rules do.

    Attributes
    ----------
    long, short : float or None
        The windows, in seconds.
    burn_rate : float
    severity, name : str
    for_ : float
        In seconds (0 without a ``for_`` clause).
    inclusive : bool

    Raises
    ------
    TypeError, ValueError
        If a window is not a positive duration, ``short`` is longer than
        ``long``, ``burn_rate`` is not a positive finite number, ``for_``
        is a negative duration, ``severity`` or ``name`` is not a non-empty
        str, or ``inclusive`` not a bool.

    See Also
    --------
    multiwindow : the Workbook's recommended set of burn-rate alerts.
    ThresholdAlert : a rule on a fixed error ratio.
    evaluate_alerts : when rules fire and clear for a scenario of errors.

    Notes
    -----
    With SLO ``s``, the rule fires at time ``t`` when

    .. math::

        \\frac{1}{L} \\int_{t-L}^{t} e(u)\\, du > b (1 - s)

    for the long window ``L`` (and the short one, for a multiwindow rule),
    where ``e`` is the error ratio. Against a constant error ratio ``e``
    from a clean start it fires after ``(1 - s) / e * L * b``, having spent
    ``b * L / period`` of the period's error budget (the Workbook's two
    formulas).

    Examples
    --------
    >>> import slosim as ss
    >>> rule = ss.BurnRateAlert("1h", "5m", burn_rate=14.4)
    >>> rule
    BurnRateAlert('1h', '5m', burn_rate=14.4)
    >>> rule.name, rule.windows
    ('page 1h/5m', (3600.0, 300.0))
    >>> rule.threshold(slo=0.999)
    0.0144
    >>> rule.budget_share(period="30d")
    0.02
    """

    __slots__ = ()

    def __init__(self, long, short=None, *, burn_rate, severity="page", name=None,
                 for_=None, inclusive=False):
        level = exact_positive(burn_rate, "burn_rate", "BurnRateAlert")
        super().__init__("BurnRateAlert", long, short, level, severity, name, for_,
                         inclusive)

    @property
    def burn_rate(self):
        """The burn rate that fires the rule."""
        return float(self._level)

    def threshold(self, slo, *, exact=False):
        """The error ratio above which the rule fires: ``burn_rate * (1 - slo)``.

        Parameters
        ----------
        slo : float
            The SLO, in (0, 1).
        exact : bool, default False
            Return the exact :class:`fractions.Fraction` (from the numbers
            read through their shortest decimal form) instead of a float.

        Returns
        -------
        float or fractions.Fraction
        """
        value = self._level * exact_budget(slo, "BurnRateAlert.threshold")
        return value if exact else float(value)

    def budget_share(self, period="30d"):
        """The share of the period's error budget the rule lets go before it
        fires, against a constant error ratio: ``burn_rate * long / period``.

        Parameters
        ----------
        period : str, datetime.timedelta or float, default ``"30d"``
            The SLO's period.

        Returns
        -------
        float
        """
        period = exact_duration(period, "period", "BurnRateAlert.budget_share")
        return float(self._level * self._long / period)

    def __repr__(self):
        return (f"BurnRateAlert({self._repr_windows()}, burn_rate={self.burn_rate!r}"
                f"{self._repr_tail()})")


class ThresholdAlert(_Rule):
    """A threshold alert: fires while the error ratio over a window is above a
    fixed error ratio.

    The SRE Workbook's first strategy, "error rate >= SLO threshold" over
    10 minutes, is this rule with ``error_ratio = 1 - slo`` (or, with the
    SLO left free, a :class:`BurnRateAlert` with ``burn_rate=1``).

    Parameters
    ----------
    long : str, datetime.timedelta or float
        The window (the long one, with ``short``).
    short : str, datetime.timedelta or float, optional
        A second, shorter window that must be above the threshold too.
    error_ratio : float
        The threshold, in (0, 1] (read through its shortest decimal form).
    severity, name, for_, inclusive
        As for :class:`BurnRateAlert`.

    Attributes
    ----------
    long, short : float or None
        The windows, in seconds.
    error_ratio : float
    severity, name : str
    for_ : float
    inclusive : bool

    Raises
    ------
    TypeError, ValueError
        As :class:`BurnRateAlert`, and if ``error_ratio`` is not in (0, 1].

    See Also
    --------
    BurnRateAlert

    Examples
    --------
    >>> from slosim.alerts import ThresholdAlert
    >>> rule = ThresholdAlert("10m", error_ratio=0.001, inclusive=True)
    >>> rule
    ThresholdAlert('10m', error_ratio=0.001, inclusive=True)
    >>> rule.name, rule.threshold(slo=0.99)
    ('page 10m >= 0.001', 0.001)
    """

    __slots__ = ()

    def __init__(self, long, short=None, *, error_ratio, severity="page", name=None,
                 for_=None, inclusive=False):
        what = "an error ratio in (0, 1]"
        level = exact_positive(error_ratio, "error_ratio", "ThresholdAlert", what)
        if level > 1:
            raise param_error("error_ratio", "ThresholdAlert", what, error_ratio)
        super().__init__("ThresholdAlert", long, short, level, severity, name, for_,
                         inclusive)

    @property
    def error_ratio(self):
        """The threshold on the error ratio."""
        return float(self._level)

    def threshold(self, slo=None, *, exact=False):
        """The error ratio above which the rule fires (whatever the SLO).

        Parameters
        ----------
        slo : float, optional
            Ignored (accepted so that every rule answers the same call).
        exact : bool, default False
            Return the exact :class:`fractions.Fraction`.

        Returns
        -------
        float or fractions.Fraction
        """
        return self._level if exact else float(self._level)

    def _name_detail(self):
        return f" {'>=' if self._inclusive else '>'} {self.error_ratio:g}"

    def __repr__(self):
        return (f"ThresholdAlert({self._repr_windows()}, error_ratio={self.error_ratio!r}"
                f"{self._repr_tail()})")


#: The SRE Workbook's recommended multiwindow, multi-burn-rate alerts (its
#: table "Recommended parameters for a 99.9% SLO alerting configuration"):
#: severity, share of the period's budget, long window, short window.
WORKBOOK_SET = (
    ("page", "0.02", "1h", "5m"),
    ("page", "0.05", "6h", "30m"),
    ("ticket", "0.1", "3d", "6h"),
)


def multiwindow(slo=None, period="30d"):
    """The SRE Workbook's multiwindow, multi-burn-rate alerts.

    Page when 2% of the period's error budget went in an hour (short window
    5 minutes) or 5% in six hours (short window 30 minutes); open a ticket
    when 10% went in three days (short window 6 hours). The burn rate of
    each is ``share * period / long``, computed exactly: 14.4, 6 and 1 for
    a 30-day period; 13.44, 5.6 and 0.9333... for 28 days.

    Parameters
    ----------
    slo : float, optional
        The SLO the rules are for, in (0, 1). The burn rates do not depend
        on it; given, it is checked that every rule can fire at all (at a
        90% SLO a burn rate of 14.4 asks for an error ratio of 1.44, which
        no outage reaches: a :class:`~slosim.SlosimWarning` says so).
    period : str, datetime.timedelta or float, default ``"30d"``
        The SLO's period.

    Returns
    -------
    tuple of BurnRateAlert
        The two page rules, then the ticket rule.

    Raises
    ------
    TypeError, ValueError
        If ``slo`` is not in (0, 1) or ``period`` not a positive duration.

    Warns
    -----
    SlosimWarning
        If a rule's threshold ``burn_rate * (1 - slo)`` is 1 or more.

    References
    ----------
    .. [1] S. Thurgood et al., "Alerting on SLOs", in *The Site Reliability
       Workbook*, O'Reilly, 2018, ch. 5 (Table 5-8).

    Examples
    --------
    >>> import slosim as ss
    >>> rules = ss.alerts.multiwindow(slo=0.999, period="30d")
    >>> [(r.name, r.burn_rate) for r in rules]
    [('page 1h/5m', 14.4), ('page 6h/30m', 6.0), ('ticket 3d/6h', 1.0)]
    >>> [r.burn_rate for r in ss.alerts.multiwindow(period="28d")]
    [13.44, 5.6, 0.9333333333333333]
    """
    func = "multiwindow"
    period_s = exact_duration(period, "period", func)
    rules = []
    for severity, share, long, short in WORKBOOK_SET:
        long_s = exact_duration(long, "long", func)
        rate = Fraction(Decimal(share)) * period_s / long_s
        rules.append(BurnRateAlert(long, short, burn_rate=rate, severity=severity))
    if slo is not None:
        budget = exact_budget(slo, func)
        for rule in rules:
            threshold = rule.threshold(slo, exact=True)
            if threshold >= 1:
                outage = float(rule.long / (budget * period_s))
                warnings.warn(
                    f"the rule {rule.name!r} can never fire at an SLO of {slo!r}: it "
                    f"waits for an error ratio above {float(threshold):g}, and even a "
                    f"full outage over its {format_duration(rule.long)} window spends "
                    f"only {100 * outage:.3g}% of the period's error budget, less than "
                    f"the {100 * rule.budget_share(period):.3g}% it waits for",
                    SlosimWarning, stacklevel=2)
    return tuple(rules)
