"""Result objects of slosim's engines.

Results are frozen dataclasses with a one-line ``repr`` a person can read,
``to_dict()`` that round-trips through :func:`json.dumps`, and
``to_frame()`` (pandas, imported only when called).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
import math

import numpy as np
from scipy import stats

__all__ = ["SimulationResult", "SimulationResults", "ExactResult", "ExactResults",
           "binomial_interval"]


def binomial_interval(failures: int, samples: int,
                      confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion.

    Parameters
    ----------
    failures : int
        Observed failures, ``0 <= failures <= samples``.
    samples : int
        Number of trials (> 0).
    confidence : float
        Two-sided confidence level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float
        Bounds on the failure probability.

    Notes
    -----
    ``low = B(a/2; f, n - f + 1)`` and ``high = B(1 - a/2; f + 1, n - f)``
    with ``B`` the beta quantile and ``a = 1 - confidence`` [1]_. Its coverage
    is at least ``confidence`` for every failure probability, however rare,
    which the Wald (normal) interval cannot promise and the Wilson interval
    misses near 0 for small counts. With no failures, ``high`` is about
    ``-log(a/2) / n`` (3.7 / n at 95%).

    References
    ----------
    .. [1] C. J. Clopper and E. S. Pearson, "The use of confidence or fiducial
       limits illustrated in the case of the binomial", Biometrika 26 (1934).

    Examples
    --------
    >>> from slosim.results import binomial_interval
    >>> lo, hi = binomial_interval(0, 1_000_000)
    >>> lo, round(hi * 1e6, 3)
    (0.0, 3.689)
    """
    alpha = 1.0 - confidence
    low = 0.0 if failures == 0 else float(stats.beta.ppf(alpha / 2, failures,
                                                           samples - failures + 1))
    high = 1.0 if failures == samples else float(
        stats.beta.isf(alpha / 2, failures + 1, samples - failures))
    return low, high


def _fmt_samples(n):
    """10**7 for powers of ten, 1_234_567 otherwise."""
    if n >= 1000:
        e = round(math.log10(n))
        if 10**e == n:
            return f"10**{e}"
    return f"{n:_}"


def _fmt_estimate(value, err):
    """Value rounded to the digit of its error's second significant figure."""
    if err > 0:
        digits = max(0, 1 - int(math.floor(math.log10(err))))
        return f"{value:.{min(digits, 15)}f}"
    return repr(value)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Monte Carlo estimate of one journey's availability.

    Attributes
    ----------
    journey : str
        Journey name.
    samples : int
        Samples drawn.
    failures : int
        Samples in which the journey was down.
    availability : float
        Estimate ``1 - failures / samples``.
    unavailability : float
        Estimate ``failures / samples`` (computed directly, not as
        ``1 - availability``).
    std_error : float
        ``sqrt(u (1 - u) / samples)`` at the estimate ``u``.
    ci : tuple of float
        ``(low, high)`` interval on availability: exact binomial
        (Clopper-Pearson) at level ``confidence``; see
        :func:`binomial_interval`.
    unavailability_ci : tuple of float
        The same interval on unavailability.
    confidence : float
        Confidence level of the intervals.
    target : float or None
        The journey's availability target, if the model gives one.
    exact : bool
        True when the journey does not depend on any random component
        (always up or always down): the estimate is then exact.

    Examples
    --------
    >>> from slosim import SimulationResult
    >>> r = SimulationResult("checkout", samples=10**6, failures=1000)
    >>> r.availability, r.unavailability
    (0.999, 0.001)
    >>> r
    SimulationResult(journey='checkout', availability=0.999000 ± 3.2e-05, 95% CI [0.998936, 0.999061] (Clopper-Pearson), failures=1000, samples=10**6)
    """

    journey: str
    samples: int
    failures: int
    confidence: float = 0.95
    target: float | None = None
    exact: bool = False
    availability: float = field(init=False)
    unavailability: float = field(init=False)
    std_error: float = field(init=False)
    ci: tuple = field(init=False)
    unavailability_ci: tuple = field(init=False)

    def __post_init__(self):
        n, f = self.samples, self.failures
        u = f / n
        set_ = object.__setattr__
        set_(self, "unavailability", u)
        set_(self, "availability", 1.0 - u)
        set_(self, "std_error", math.sqrt(u * (1.0 - u) / n))
        if self.exact:
            lo = hi = u
        else:
            lo, hi = binomial_interval(f, n, self.confidence)
        set_(self, "unavailability_ci", (lo, hi))
        set_(self, "ci", (1.0 - hi, 1.0 - lo))

    def __repr__(self):
        if self.exact:
            return (f"SimulationResult(journey={self.journey!r}, "
                    f"availability={self.availability!r} (exact), "
                    f"samples={_fmt_samples(self.samples)})")
        lo, hi = self.ci
        err = self.std_error if self.std_error > 0 else (hi - lo)
        digits = max(0, 1 - int(math.floor(math.log10(err)))) if err > 0 else 6
        target = f", target={self.target!r}" if self.target is not None else ""
        return (f"SimulationResult(journey={self.journey!r}, "
                f"availability={_fmt_estimate(self.availability, err)} "
                f"± {self.std_error:.2g}, "
                f"{self.confidence:.0%} CI [{lo:.{digits}f}, {hi:.{digits}f}] "
                f"(Clopper-Pearson), failures={self.failures}, "
                f"samples={_fmt_samples(self.samples)}{target})")

    def to_dict(self):
        """A JSON-safe dict of every attribute.

        Examples
        --------
        >>> import json
        >>> from slosim import SimulationResult
        >>> r = SimulationResult("checkout", samples=1000, failures=3)
        >>> json.loads(json.dumps(r.to_dict()))["ci"][0] < 0.997
        True
        """
        return {
            "journey": self.journey,
            "samples": int(self.samples),
            "failures": int(self.failures),
            "availability": self.availability,
            "unavailability": self.unavailability,
            "std_error": self.std_error,
            "ci": list(self.ci),
            "unavailability_ci": list(self.unavailability_ci),
            "confidence": self.confidence,
            "target": self.target,
            "exact": self.exact,
        }

    def to_frame(self):
        """A one-row :class:`pandas.DataFrame` (needs pandas)."""
        pd = _pandas()
        d = self.to_dict()
        d["ci_low"], d["ci_high"] = d.pop("ci")
        d.pop("unavailability_ci")
        return pd.DataFrame([d]).set_index("journey")


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_frame() needs pandas; install it with `pip install pandas` "
            "(or `pip install slosim[frame]`)"
        ) from None
    return pd


class _JourneyMapping(Mapping):
    """Read-only mapping journey name -> result, over ``self.journeys``."""

    def __getitem__(self, name):
        try:
            return self.journeys[name]
        except KeyError:
            raise KeyError(
                f"no journey {name!r}; journeys are: {', '.join(self.journeys)}"
            ) from None

    def __iter__(self):
        return iter(self.journeys)

    def __len__(self):
        return len(self.journeys)

    _SHOWN = 10

    def _table(self, header, row):
        """``header``, then each of the first journeys' name and ``row(result)``."""
        lines = [header]
        shown = list(self.journeys.values())[:self._SHOWN]
        width = max(len(r.journey) for r in shown)
        lines += [f"  {r.journey:<{width}}  {row(r)}" for r in shown]
        if len(self.journeys) > self._SHOWN:
            lines.append(f"  ... {len(self.journeys) - self._SHOWN} more")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class SimulationResults(_JourneyMapping):
    """The journeys of one simulation, addressable by name.

    A read-only mapping ``journey name -> SimulationResult``; every journey
    was estimated from the same samples.

    Attributes
    ----------
    journeys : dict
        Journey name -> :class:`SimulationResult`, in model order.
    samples : int
        Samples drawn (the same for every journey).
    chunk_size : int
        Samples per independent stream; with the seed it fixes the result.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=[db])
    >>> api = ss.Service("api", availability=0.9998, requires=[db])
    >>> res = ss.simulate(ss.Model([web, api]), samples=10**6, rng=7)
    >>> list(res)
    ['web', 'api']
    >>> res["web"].failures > res["api"].failures
    True
    >>> res.to_frame()[["availability", "failures"]].shape
    (2, 2)
    """

    journeys: dict
    samples: int
    chunk_size: int

    def __repr__(self):
        def row(r):
            if r.exact:
                return f"{r.availability!r} (exact)"
            lo, hi = r.ci
            return f"{r.availability:.6f}  [{lo:.6f}, {hi:.6f}]  failures={r.failures}"

        return self._table(f"SimulationResults(samples={_fmt_samples(self.samples)}, "
                           f"journeys={len(self.journeys)})", row)

    def to_dict(self):
        """A JSON-safe dict: samples, chunk_size and every journey's dict."""
        return {
            "samples": int(self.samples),
            "chunk_size": int(self.chunk_size),
            "journeys": {k: v.to_dict() for k, v in self.journeys.items()},
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per journey (needs pandas)."""
        pd = _pandas()
        return pd.concat([r.to_frame() for r in self.journeys.values()])


@dataclass(frozen=True, eq=False)
class ExactResult:
    """Exact availability of one journey, with every component's conditionals.

    Attributes
    ----------
    journey : str
    availability : float
        Probability that the journey is up.
    unavailability : float
        Probability that it is down, computed directly (not as
        ``1 - availability``): tiny values keep their digits.
    target : float or None
        The journey's availability target, if the model gives one.
    components : tuple of str
        Every basic event of the model: its components in model order, then
        its shocks; the arrays below are aligned with it (for a shock,
        "up" means it does not happen).
    availability_if_up, availability_if_down : ndarray
        Journey availability with the component forced up / forced down.
    unavailability_if_up, unavailability_if_down : ndarray
        The same in unavailability, computed directly.
    birnbaum : ndarray
        Birnbaum importance ``R(i up) - R(i down)``, the derivative of the
        availability in the component's availability; 0 for components the
        journey does not depend on.

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("a", unavailability=1e-3)
    >>> b = ss.Component("b", unavailability=1e-3)
    >>> r = ss.exact(ss.parallel(a, b, name="pair"))["pair"]
    >>> r
    ExactResult(journey='pair', availability=0.999999, unavailability=1e-06, components=2)
    >>> r.unavailability_if_down.tolist()
    [0.001, 0.001]
    """

    journey: str
    availability: float
    unavailability: float
    target: float | None
    components: tuple
    availability_if_up: np.ndarray
    availability_if_down: np.ndarray
    unavailability_if_up: np.ndarray
    unavailability_if_down: np.ndarray

    @property
    def birnbaum(self):
        # The difference of the smaller pair keeps more digits.
        if self.unavailability < self.availability:
            b = self.unavailability_if_down - self.unavailability_if_up
        else:
            b = self.availability_if_up - self.availability_if_down
        return np.maximum(b, 0.0)

    def __repr__(self):
        target = f", target={self.target!r}" if self.target is not None else ""
        return (f"ExactResult(journey={self.journey!r}, "
                f"availability={self.availability:.12g}, "
                f"unavailability={self.unavailability:.12g}, "
                f"components={len(self.components)}{target})")

    def to_dict(self):
        """A JSON-safe dict; per-component values as lists in ``components`` order."""
        return {
            "journey": self.journey,
            "availability": self.availability,
            "unavailability": self.unavailability,
            "target": self.target,
            "components": list(self.components),
            "availability_if_up": self.availability_if_up.tolist(),
            "availability_if_down": self.availability_if_down.tolist(),
            "unavailability_if_up": self.unavailability_if_up.tolist(),
            "unavailability_if_down": self.unavailability_if_down.tolist(),
            "birnbaum": self.birnbaum.tolist(),
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per component (needs pandas)."""
        pd = _pandas()
        return pd.DataFrame({
            "availability_if_up": self.availability_if_up,
            "availability_if_down": self.availability_if_down,
            "unavailability_if_up": self.unavailability_if_up,
            "unavailability_if_down": self.unavailability_if_down,
            "birnbaum": self.birnbaum,
        }, index=pd.Index(self.components, name="component"))


@dataclass(frozen=True, eq=False)
class ExactResults(_JourneyMapping):
    """Exact results of every journey of a model, addressable by name.

    Attributes
    ----------
    journeys : dict
        Journey name -> :class:`ExactResult`, in model order.
    components : tuple of str
        The model's components then shocks, in the order of every result's
        arrays.
    bdd_nodes : int
        Nodes of the shared decision diagram (terminals included).

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", availability=0.999)
    >>> web = ss.Service("web", availability=0.9995, requires=[db])
    >>> api = ss.Service("api", availability=0.9998, requires=[db])
    >>> res = ss.exact(ss.Model([web, api]))
    >>> res
    ExactResults(journeys=2, components=3, bdd_nodes=7)
      web  availability=0.9985005  unavailability=0.0014995
      api  availability=0.9988002  unavailability=0.0011998
    """

    journeys: dict
    components: tuple
    bdd_nodes: int

    def __repr__(self):
        return self._table(
            f"ExactResults(journeys={len(self.journeys)}, "
            f"components={len(self.components)}, bdd_nodes={self.bdd_nodes})",
            lambda r: f"availability={r.availability:.12g}  "
                      f"unavailability={r.unavailability:.12g}")

    def to_dict(self):
        """A JSON-safe dict: components, bdd_nodes and every journey's dict."""
        return {
            "components": list(self.components),
            "bdd_nodes": int(self.bdd_nodes),
            "journeys": {k: v.to_dict() for k, v in self.journeys.items()},
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per journey (needs pandas)."""
        pd = _pandas()
        rows = [{"journey": r.journey, "availability": r.availability,
                 "unavailability": r.unavailability, "target": r.target}
                for r in self.journeys.values()]
        return pd.DataFrame(rows).set_index("journey")
