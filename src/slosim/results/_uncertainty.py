"""Uncertainty results: a journey's availability as a distribution, and what drives it."""

from dataclasses import dataclass

import numpy as np

from ._base import JourneyMapping, fmt_samples, pandas, pyplot

__all__ = ["UncertaintyResult", "UncertaintyResults"]


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """The distribution of one journey's availability over uncertain inputs.

    Attributes
    ----------
    journey : str
    parameters : tuple of str
        The uncertain parameters (:attr:`slosim.model.Structure.parameters`);
        the index arrays follow them.
    samples : int
    availability : ndarray, shape (samples,)
        The journey's availability at each sample of the parameters.
    mean : float
        Its mean: exact (the availability at the parameters' means) with
        the closed form, the sample mean otherwise.
    sample_mean : float
    std : float
        Its standard deviation: exact with the closed form, else estimated.
    quantiles : dict
        Level -> quantile of the sample.
    target : float or None
    p_meets : float or None
        The share of samples at or above the target: the probability,
        given the evidence, that the journey meets its target.
    p_meets_interval : tuple or None
        Its Clopper-Pearson interval at ``confidence``.
    method : str
        ``'closed form'`` or ``'pick-freeze'``: how the indices were computed.
    S1, ST : ndarray
        First-order and total Sobol indices of each parameter.
    S1_conf, ST_conf : ndarray or None
        Half-widths of their intervals (pick-freeze, from the bootstrap),
        as SALib names them; None for the exact closed form.
    shapley : ndarray or None
        Shapley effects (each parameter's share of the variance,
        interactions split equally; they sum to 1); closed form only.
    confidence : float

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.model import Beta
    >>> a = ss.Component("a", availability=Beta.from_counts(990, 10))
    >>> b = ss.Component("b", availability=Beta.from_counts(995, 5))
    >>> r = ss.uncertainty(ss.parallel(a, b, name="pair"), samples=5000, rng=2)["pair"]
    >>> r.method, [round(float(x), 3) for x in r.shapley]
    ('closed form', [0.352, 0.648])
    """

    journey: str
    parameters: tuple
    samples: int
    availability: np.ndarray
    mean: float
    sample_mean: float
    std: float
    quantiles: dict
    target: float | None
    p_meets: float | None
    p_meets_interval: tuple | None
    method: str
    S1: np.ndarray
    ST: np.ndarray
    S1_conf: np.ndarray | None
    ST_conf: np.ndarray | None
    shapley: np.ndarray | None
    confidence: float

    def top(self, index=None, n=10):
        """The ``n`` parameters with the largest index (``'shapley'`` when
        available, else ``'ST'``): ``[(parameter, value)]``."""
        index = index or ("shapley" if self.shapley is not None else "ST")
        if index not in ("S1", "ST", "shapley"):
            raise ValueError(f"unknown index {index!r}; indices are 'S1', 'ST', 'shapley'")
        values = getattr(self, index)
        if values is None:
            raise ValueError("Shapley effects are computed in closed form only; "
                             "this result is from pick-freeze")
        order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[:n]
        return [(self.parameters[i], float(values[i])) for i in order]

    _SHOWN = 10

    def __repr__(self):
        meets = ""
        if self.p_meets is not None:
            lo, hi = self.p_meets_interval
            meets = f", P(meets {self.target!r})={self.p_meets:.4g} [{lo:.4g}, {hi:.4g}]"
        head = (f"UncertaintyResult(journey={self.journey!r}, mean={self.mean:.6g}, "
                f"std={self.std:.3g}{meets}, samples={fmt_samples(self.samples)}, "
                f"method={self.method!r})")
        cols = ["S1", "ST"] + (["shapley"] if self.shapley is not None else [])
        ranked = [self.parameters.index(p) for p, _ in self.top(n=self._SHOWN)]
        width = max([9] + [len(self.parameters[i]) for i in ranked])
        lines = [head, "  " + "parameter".ljust(width) + "".join(f" {c:>9}" for c in cols)]
        for i in ranked:
            cells = []
            for c in cols:
                v = float(getattr(self, c)[i])
                conf = getattr(self, f"{c}_conf", None)
                cells.append(f"{v:.4g}" if conf is None else f"{v:.3g}±{float(conf[i]):.2g}")
            lines.append("  " + self.parameters[i].ljust(width)
                         + "".join(f" {c:>9}" for c in cells))
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-safe dict (without the sample itself)."""
        def arr(a):
            return None if a is None else [None if v != v else v for v in a.tolist()]

        return {
            "journey": self.journey, "parameters": list(self.parameters),
            "samples": self.samples, "mean": self.mean, "sample_mean": self.sample_mean,
            "std": self.std, "quantiles": {str(k): v for k, v in self.quantiles.items()},
            "target": self.target, "p_meets": self.p_meets,
            "p_meets_interval": None if self.p_meets_interval is None
            else list(self.p_meets_interval),
            "method": self.method, "S1": arr(self.S1), "ST": arr(self.ST),
            "S1_conf": arr(self.S1_conf), "ST_conf": arr(self.ST_conf),
            "shapley": arr(self.shapley), "confidence": self.confidence,
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame` of the indices, one row per parameter."""
        pd = pandas()
        columns = {"S1": self.S1, "ST": self.ST}
        if self.S1_conf is not None:
            columns["S1_conf"], columns["ST_conf"] = self.S1_conf, self.ST_conf
        if self.shapley is not None:
            columns["shapley"] = self.shapley
        return pd.DataFrame(columns, index=pd.Index(self.parameters, name="parameter"))

    def plot(self, *, top=10, axes=None):
        """The availability's distribution with the target marked, and the
        indices as bars (needs matplotlib).

        Parameters
        ----------
        top : int
            Parameters shown in the bar chart.
        axes : pair of matplotlib Axes, optional

        Returns
        -------
        tuple of matplotlib.axes.Axes
        """
        plt = pyplot()
        if axes is None:
            fig = plt.figure(figsize=(10, 4))
            axes = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        dist, bars = axes
        dist.hist(self.availability, bins=60, color="C0")
        if self.target is not None:
            dist.axvline(self.target, color="C3", label=f"target {self.target!r}")
            dist.legend(loc="upper left")
        dist.set_xlabel(f"availability of {self.journey}")
        dist.set_ylabel("samples")
        index = "shapley" if self.shapley is not None else "ST"
        ranked = self.top(index, top)[::-1]
        rows = [self.parameters.index(p) for p, _ in ranked]
        y = np.arange(len(rows))
        xerr = None
        if index == "ST" and self.ST_conf is not None:
            xerr = [self.ST_conf[i] for i in rows]
        bars.barh(y, [v for _, v in ranked], xerr=xerr, color="C1")
        bars.set_yticks(y, [p for p, _ in ranked])
        bars.set_xlabel("Shapley effect" if index == "shapley" else "total Sobol index")
        bars.set_title(f"what drives the doubt ({self.method})")
        return dist, bars


@dataclass(frozen=True, eq=False)
class UncertaintyResults(JourneyMapping):
    """Uncertainty results of every journey, addressable by name.

    Attributes
    ----------
    journeys : dict
    parameters : tuple of str
    samples : int
    """

    journeys: dict
    parameters: tuple
    samples: int

    def __repr__(self):
        def row(r):
            meets = "" if r.p_meets is None else f"  P(meets target)={r.p_meets:.4g}"
            return f"mean={r.mean:.6g}  std={r.std:.3g}{meets}"

        return self._table(f"UncertaintyResults(journeys={len(self.journeys)}, "
                           f"parameters={len(self.parameters)}, "
                           f"samples={fmt_samples(self.samples)})", row)

    def to_dict(self):
        """A JSON-safe dict: parameters, samples and every journey's dict."""
        return {"parameters": list(self.parameters), "samples": self.samples,
                "journeys": {k: v.to_dict() for k, v in self.journeys.items()}}

    def to_frame(self):
        """A :class:`pandas.DataFrame` of the indices, (journey, parameter) index."""
        pd = pandas()
        return pd.concat({j: r.to_frame() for j, r in self.journeys.items()},
                         names=["journey"])
