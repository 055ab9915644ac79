"""Monte Carlo results: one journey's estimate, and a simulation's journeys."""

from dataclasses import dataclass, field
import math

from .._validation import check_int, check_real
from ._base import JourneyMapping, fmt_estimate, fmt_samples, pandas
from ._interval import binomial_interval

__all__ = ["SimulationResult", "SimulationResults"]


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

    Raises
    ------
    TypeError, ValueError
        If ``samples`` is not a positive int, ``failures`` not an int in
        ``[0, samples]``, ``confidence`` not in (0, 1) or ``target`` not in
        (0, 1].

    Examples
    --------
    >>> from slosim import SimulationResult
    >>> r = SimulationResult("checkout", samples=10**6, failures=1000)
    >>> r.availability, r.unavailability
    (0.999, 0.001)
    >>> r
    SimulationResult(journey='checkout', availability=0.999000 ± 3.2e-05, 95% CI
    [0.998936, 0.999061] (Clopper-Pearson), failures=1000, samples=10**6)
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
        func = "SimulationResult"
        n = check_int(self.samples, "samples", func, low=1)
        f = check_int(self.failures, "failures", func, low=0, high=n)
        check_real(self.confidence, "confidence", func, low=0, high=1,
                   low_open=True, high_open=True)
        if self.target is not None:
            check_real(self.target, "target", func, low=0, high=1, low_open=True)
        u = f / n
        set_ = object.__setattr__
        set_(self, "samples", n)
        set_(self, "failures", f)
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
                    f"samples={fmt_samples(self.samples)})")
        lo, hi = self.ci
        err = self.std_error if self.std_error > 0 else (hi - lo)
        digits = max(0, 1 - int(math.floor(math.log10(err)))) if err > 0 else 6
        target = f", target={self.target!r}" if self.target is not None else ""
        return (f"SimulationResult(journey={self.journey!r}, "
                f"availability={fmt_estimate(self.availability, err)} "
                f"± {self.std_error:.2g}, "
                f"{self.confidence:.0%} CI [{lo:.{digits}f}, {hi:.{digits}f}] "
                f"(Clopper-Pearson), failures={self.failures}, "
                f"samples={fmt_samples(self.samples)}{target})")

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
        pd = pandas()
        d = self.to_dict()
        d["ci_low"], d["ci_high"] = d.pop("ci")
        d.pop("unavailability_ci")
        return pd.DataFrame([d]).set_index("journey")


@dataclass(frozen=True, eq=False)
class SimulationResults(JourneyMapping):
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
    given : dict
        Basic event -> ``'up'`` or ``'down'``: the events the run forced
        (``given=``), empty when none.

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
    given: dict = field(default_factory=dict)

    def __repr__(self):
        def row(r):
            if r.exact:
                return f"{r.availability!r} (exact)"
            lo, hi = r.ci
            return f"{r.availability:.6f}  [{lo:.6f}, {hi:.6f}]  failures={r.failures}"

        given = f", given={self.given!r}" if self.given else ""
        return self._table(f"SimulationResults(samples={fmt_samples(self.samples)}, "
                           f"journeys={len(self.journeys)}{given})", row)

    def to_dict(self):
        """A JSON-safe dict: samples, chunk_size and every journey's dict."""
        return {
            "samples": int(self.samples),
            "chunk_size": int(self.chunk_size),
            "given": dict(self.given),
            "journeys": {k: v.to_dict() for k, v in self.journeys.items()},
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per journey (needs pandas)."""
        pd = pandas()
        return pd.concat([r.to_frame() for r in self.journeys.values()])
