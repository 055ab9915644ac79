"""Cost functions for target allocation.

Allocating availability targets means choosing, for each component, the
availability it must reach so that every journey meets its target, at the
least total cost. A cost function says what raising one component's
availability ``r`` costs. The optimizer works in nines, ``n = -log10(1 -
r)``, so a :class:`Cost` gives its value, slope and curvature in nines
(computed from the unavailability ``q = 10**-n``, which keeps its digits at
high availability), its domain, and whether it is convex in nines.

Constructors
------------
:func:`per_nine`
    ``a`` per nine: ``c(r) = -a log10(1 - r)``.
:func:`exponential`
    ``c(r) = alpha exp(beta / (1 - r))``.
:func:`feasibility`
    Mettas' cost, as in ReliaSoft BlockSim: ``c(r) = exp((1 - f) (r -
    r_min) / (r_max - r))`` on ``r_min <= r < r_max``.
:class:`Cost`
    Any function of ``r`` with its derivative.

:class:`CostStack` evaluates many costs at once, as an optimiser does.

Examples
--------
>>> from slosim.cost import per_nine
>>> per_nine(1.0).slope([1.0, 5.0])
array([1., 1.])

This package sits below the analyses and beside the model: of slosim it
imports only the parameter checks, and of third-party libraries only numpy.
"""

from ._costs import Cost, CostStack, exponential, feasibility, per_nine

__all__ = ["Cost", "per_nine", "exponential", "feasibility", "CostStack"]
