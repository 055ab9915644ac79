"""The result of target allocation: a plan of per-component targets."""

from collections.abc import Mapping
from dataclasses import dataclass
import math

from ._base import new_axes, pandas

__all__ = ["AllocationResult"]


def _nines(q):
    return math.inf if q <= 0.0 else -math.log10(q)


@dataclass(frozen=True, eq=False)
class AllocationResult(Mapping):
    """A plan: a target availability for every component, and what it gives.

    A read-only mapping component name -> target availability (fixed
    components keep their own). Built by :func:`~slosim.allocate`.

    Attributes
    ----------
    method : str
        ``'equal'``, ``'proportional'``, ``'min_effort'`` or ``'cost'``.
    status : str
        ``'optimal'`` (a convex problem solved: the global optimum),
        ``'local'`` (the best of several local optima of a problem that is
        not convex), ``'rule'`` (a rule-based method: no optimality
        claimed), ``'fixed'`` (nothing was free) or ``'not converged'``.
    unavailability : dict
        Component name -> unavailability under the plan (the number the
        availabilities are computed from: ``1e-12`` keeps its digits).
    current : dict
        Component name -> the model's own unavailability.
    nines : dict
        Component name -> ``-log10(unavailability)`` under the plan.
    free : tuple of str
        The components the plan chose; the others are fixed.
    targets : dict
        Journey name -> the target the plan meets.
    journeys : dict
        Journey name -> exact availability under the plan (every journey).
    journey_unavailability : dict
        The same in unavailability, computed directly.
    binding : tuple of str
        Journeys whose target holds with equality (to 1e-9 nines).
    shadow_prices : dict or None
        For ``method='cost'``: journey name -> the marginal cost of one more
        nine on its target (0 for a journey with slack).
    cost : float
        Total cost of the free components' availabilities under the cost
        model given to :func:`~slosim.allocate` (``per_nine(1.0)`` by
        default), whatever the method: plans of different methods compare.
    expected_loss : float or None
        With ``loss=``: the expected loss, ``sum_j loss_j U_j``.
    kkt_residual : float or None
        For ``method='cost'``: how well the optimality conditions hold at
        the plan (stationarity relative to the largest cost slope,
        constraint violation, complementarity).
    starts, iterations : int
    message : str

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("a", availability=0.99)
    >>> b = ss.Component("b", availability=0.99)
    >>> model = ss.Model(ss.Journey(ss.series(a, b, name="j"), target=0.999))
    >>> plan = ss.allocate(model, method="equal")
    >>> plan
    AllocationResult(method='equal', status='rule', cost=6.602, components=2, free=2, binding=['j'])
      component  current   plan        nines
      a          0.99      0.99949987  3.301
      b          0.99      0.99949987  3.301
    >>> new = plan.apply()                  # the model at the plan's targets
    >>> round(ss.exact(new)["j"].availability, 12)
    0.999
    """

    model: object
    method: str
    status: str
    unavailability: dict
    current: dict
    free: tuple
    targets: dict
    journeys: dict
    journey_unavailability: dict
    binding: tuple
    shadow_prices: dict | None
    cost: float
    expected_loss: float | None
    kkt_residual: float | None
    starts: int
    iterations: int
    message: str

    # -- the mapping ------------------------------------------------------------

    def __getitem__(self, name):
        try:
            return 1.0 - self.unavailability[name]
        except KeyError:
            raise KeyError(f"{name!r} is no component of the plan (components: "
                           f"{', '.join(map(repr, list(self.unavailability)[:8]))}"
                           f"{', ...' if len(self.unavailability) > 8 else ''})") from None

    def __iter__(self):
        return iter(self.unavailability)

    def __len__(self):
        return len(self.unavailability)

    @property
    def nines(self):
        return {n: _nines(q) for n, q in self.unavailability.items()}

    def apply(self):
        """The model with every free component at its planned availability.

        Returns
        -------
        Model
            A new model (:meth:`Model.replace <slosim.Model.replace>`); the
            original is unchanged. Simulate it under shocks, or check it
            with :func:`~slosim.exact`.
        """
        return self.model.replace(
            unavailabilities={n: self.unavailability[n] for n in self.free})

    # -- reading it --------------------------------------------------------------

    _SHOWN = 10

    def __repr__(self):
        head = (f"AllocationResult(method={self.method!r}, status={self.status!r}, "
                f"cost={self.cost:.4g}, components={len(self)}, free={len(self.free)}, "
                f"binding={list(self.binding)!r})")
        names = list(self.unavailability)[:self._SHOWN]
        width = max([len("component")] + [len(n) for n in names])
        rows = [f"  {'component':<{width}}  {'current':<8}  {'plan':<10}  nines"]
        for n in names:
            q, q0 = self.unavailability[n], self.current[n]
            digits = max(2, min(15, int(_nines(q) if q > 0 else 15) + 5))
            rows.append(f"  {n:<{width}}  {_short(1.0 - q0):<8}  "
                        f"{1.0 - q:<10.{digits}g}  {_nines(q):.3f}")
        if len(self) > self._SHOWN:
            rows.append(f"  ... {len(self) - self._SHOWN} more")
        return "\n".join([head] + rows)

    def to_dict(self):
        """A JSON-safe dict of the plan (the model itself is left out)."""
        return {
            "method": self.method,
            "status": self.status,
            "availability": {n: 1.0 - q for n, q in self.unavailability.items()},
            "unavailability": dict(self.unavailability),
            "current": dict(self.current),
            "free": list(self.free),
            "targets": dict(self.targets),
            "journeys": dict(self.journeys),
            "journey_unavailability": dict(self.journey_unavailability),
            "binding": list(self.binding),
            "shadow_prices": None if self.shadow_prices is None else dict(self.shadow_prices),
            "cost": self.cost,
            "expected_loss": self.expected_loss,
            "kkt_residual": self.kkt_residual,
            "starts": self.starts,
            "iterations": self.iterations,
            "message": self.message,
        }

    def to_frame(self):
        """A :class:`pandas.DataFrame`, one row per component (needs pandas)."""
        pd = pandas()
        names = list(self.unavailability)
        return pd.DataFrame({
            "current": [1.0 - self.current[n] for n in names],
            "availability": [self[n] for n in names],
            "unavailability": [self.unavailability[n] for n in names],
            "nines": [_nines(self.unavailability[n]) for n in names],
            "free": [n in self.free for n in names],
        }, index=pd.Index(names, name="component"))

    def plot(self, ax=None):
        """Each component's nines, now and under the plan (needs matplotlib).

        Horizontal bars, one pair per component, sorted by planned nines;
        fixed components are drawn hatched.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = new_axes(ax)
        names = sorted(self.unavailability, key=lambda n: _nines(self.unavailability[n]))
        y = range(len(names))
        plan = [min(_nines(self.unavailability[n]), 16.0) for n in names]
        now = [min(_nines(self.current[n]), 16.0) for n in names]
        ax.barh([i + 0.2 for i in y], now, height=0.4, label="current", color="0.75")
        bars = ax.barh([i - 0.2 for i in y], plan, height=0.4, label="plan")
        for bar, n in zip(bars, names):
            if n not in self.free:
                bar.set_hatch("//")
        ax.set_yticks(list(y), names)
        ax.set_xlabel("availability, in nines (-log10 unavailability)")
        ax.set_title(f"allocation ({self.method}): "
                     + ", ".join(f"{j} {_short(a)}" for j, a in self.journeys.items()))
        ax.legend(loc="lower right")
        return ax


def _short(a):
    """An availability with its digits: 0.9995, 0.99949987, 1."""
    if a >= 1.0:
        return "1"
    return f"{a:.{max(2, min(15, int(_nines(1.0 - a)) + 2))}g}"
