"""Common-cause failure groups: the PRA parametric models, built on shocks.

A common-cause group is ``m`` identical members, each with total failure
probability ``Q``. A parametric model splits ``Q`` into ``Q_k``, the
probability of a basic event that fails one *specific* set of ``k``
members, for ``k = 1..m``, with

.. math::

    \\sum_{k=1}^{m} \\binom{m-1}{k-1} Q_k = Q

(each member belongs to ``C(m-1, k-1)`` sets of size ``k``). slosim builds
the group as one :class:`~slosim.Shock` per set of ``k >= 2`` members with
probability ``Q_k`` and, for each member, a :class:`~slosim.Component`
carrying its independent part. The events are independent, as in every PRA
tool; the independent part is then chosen so that each member's total
failure probability is exactly ``Q``:

.. math::

    q_{ind} = 1 - \\frac{1 - Q}{\\prod_{k \\ge 2} (1 - Q_k)^{\\binom{m-1}{k-1}}}

which equals ``Q_1`` to first order (``Q_1 = Q - sum_{k>=2} C(m-1,k-1) Q_k``
is the rare-event form PRA tables quote). Groups of up to 12 members are
accepted (``2**m`` sets).
"""

from dataclasses import dataclass
from math import comb
import numbers

import numpy as np

from .._errors import ModelError
from .._validation import check_name, parse_probability
from ._nodes import Component
from ._shocks import Shock

__all__ = [
    "CommonCauseGroup",
    "beta_factor",
    "multiple_greek_letter",
    "alpha_factor",
    "phi_factor",
]

MAX_MEMBERS = 12


@dataclass(frozen=True, eq=False)
class CommonCauseGroup:
    """A common-cause failure group: member components and their shocks.

    Use ``components`` in the model where the members go, and pass the
    group (or its ``shocks``) to :class:`~slosim.Model`'s ``shocks=``.

    Attributes
    ----------
    name : str
    model : str
        ``'beta-factor'``, ``'MGL'``, ``'alpha-factor'`` or ``'phi-factor'``.
    unavailability : float
        Each member's total failure probability ``Q``.
    q_k : ndarray
        ``Q_k`` for ``k = 1..m``: the probability of the event failing one
        specific set of ``k`` members (``q_k[0]`` is the rare-event ``Q_1``).
    components : tuple of Component
        The members, each with its independent part (see the module notes).
    shocks : tuple of Shock
        One per set of two or more members with ``Q_k > 0``, named
        ``"<group>[<member>,<member>...]"``.

    Examples
    --------
    >>> import slosim as ss
    >>> g = ss.beta_factor("zone", ["api-a", "api-b"], unavailability=1e-3,
    ...                    beta=0.05)
    >>> g.q_k.tolist()
    [0.00095, 5e-05]
    >>> [s.name for s in g.shocks]
    ['zone[api-a,api-b]']
    >>> api = ss.parallel(*g.components, name="api")
    >>> r = ss.exact(ss.Model(api, shocks=[g]))
    >>> print(f"{r['api'].unavailability:.4e}")  # 5e-5 + (9.5e-4)**2, not 1e-6
    5.0902e-05
    """

    name: str
    model: str
    unavailability: float
    q_k: np.ndarray
    components: tuple
    shocks: tuple

    def __repr__(self):
        return (f"CommonCauseGroup({self.name!r}, model={self.model!r}, "
                f"members={len(self.components)}, "
                f"unavailability={self.unavailability!r}, "
                f"shocks={len(self.shocks)})")


def _members(name, members):
    if isinstance(members, str) or not isinstance(members, (list, tuple)):
        raise ModelError(f"common-cause group {name!r}: members must be a list "
                         f"of component names, got {members!r}", name)
    members = list(members)
    for i, m in enumerate(members):
        check_name(m, f"common-cause group {name!r}: member {i}", required=True)
    if len(set(members)) != len(members):
        raise ModelError(f"common-cause group {name!r}: a member is given twice",
                         name)
    if not 2 <= len(members) <= MAX_MEMBERS:
        raise ModelError(
            f"common-cause group {name!r}: needs 2..{MAX_MEMBERS} members, got "
            f"{len(members)}", name)
    return members


def _fraction(name, key, value):
    """A factor in [0, 1], exactly parsed."""
    return float(parse_probability(f"common-cause group {name!r}", name, key, value))


def _factors(name, key, values, n):
    sized = hasattr(values, "__len__") and hasattr(values, "__getitem__")
    if isinstance(values, (str, bytes, numbers.Real)) or not sized or len(values) != n:
        got = (repr(values) if sized or isinstance(values, numbers.Real)
               else f"a {type(values).__name__}, which is not a sequence")
        raise ModelError(
            f"common-cause group {name!r}: {key} must be a sequence of {n} "
            f"factors, got {got}", name)
    return [_fraction(name, f"{key}[{i}]", v) for i, v in enumerate(values)]


def _build(name, model, members, Q, q_k):
    """The group from its ``Q_k`` (index k-1), checking they sum to Q."""
    m = len(members)
    total = sum(comb(m - 1, k - 1) * q for k, q in enumerate(q_k, start=1))
    if abs(total - Q) > 1e-12 * max(Q, 1e-300) + 1e-300:
        raise ModelError(
            f"common-cause group {name!r}: its factors give a total failure "
            f"probability {total!r} per member, not {Q!r}; check that they sum "
            f"as the {model} model requires", name)
    survive = 1.0
    for k in range(2, m + 1):
        survive *= (1.0 - q_k[k - 1]) ** comb(m - 1, k - 1)
    q_ind = max(0.0, 1.0 - (1.0 - Q) / survive) if survive > 0 else 0.0
    components = tuple(Component(n, unavailability=q_ind) for n in members)
    shocks = []
    for k in range(2, m + 1):
        if q_k[k - 1] <= 0:
            continue
        for subset in _subsets(m, k):
            picked = [components[i] for i in subset]
            label = ",".join(members[i] for i in subset)
            shocks.append(Shock(f"{name}[{label}]", q_k[k - 1], members=picked))
    arr = np.asarray(q_k, dtype=np.float64)
    arr.setflags(write=False)
    return CommonCauseGroup(name, model, Q, arr, components, tuple(shocks))


def _subsets(m, k):
    from itertools import combinations

    return combinations(range(m), k)


def _group_q(name, unavailability):
    check_name(name, "common-cause group", required=True)
    return float(parse_probability(f"common-cause group {name!r}", name,
                                    "unavailability", unavailability))


def beta_factor(name, members, *, unavailability, beta):
    """A beta-factor common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (2 to 12).
    unavailability : float
        Each member's total failure probability ``Q``.
    beta : float
        Fraction of ``Q`` due to the common cause, in [0, 1].

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    ``Q_1 = (1 - beta) Q``, ``Q_m = beta Q``, and no events of intermediate
    order: the common cause fails every member at once [1]_.

    References
    ----------
    .. [1] A. Mosleh et al., "Guidelines on modeling common-cause failures
       in probabilistic risk assessment", NUREG/CR-5485 (1998).

    Examples
    --------
    >>> import slosim as ss
    >>> g = ss.beta_factor("db", ["db-0", "db-1", "db-2"], unavailability=2e-3,
    ...                    beta=0.1)
    >>> g
    CommonCauseGroup('db', model='beta-factor', members=3, unavailability=0.002, shocks=1)
    """
    Q = _group_q(name, unavailability)
    members = _members(name, members)
    b = _fraction(name, "beta", beta)
    m = len(members)
    q_k = [0.0] * m
    q_k[0] = (1 - b) * Q
    q_k[m - 1] = b * Q
    return _build(name, "beta-factor", members, Q, q_k)


def multiple_greek_letter(name, members, *, unavailability, factors):
    """A multiple Greek letter (MGL) common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (``m`` of them, 2 to 12).
    unavailability : float
        Each member's total failure probability ``Q``.
    factors : sequence of float
        ``m - 1`` factors ``beta, gamma, delta, ...``: the conditional
        probability that a failure involves at least 2, 3, 4, ... members,
        given it involves at least 1, 2, 3, ...

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    With ``rho_1 = 1``, ``rho_2..rho_m`` the factors and ``rho_{m+1} = 0``:
    ``Q_k = rho_1 ... rho_k (1 - rho_{k+1}) Q / C(m-1, k-1)``; the sum over
    ``k`` telescopes to ``Q`` [1]_.

    References
    ----------
    .. [1] NUREG/CR-5485 (1998), table 5-1.

    Examples
    --------
    >>> import slosim as ss
    >>> g = ss.multiple_greek_letter("pumps", ["p1", "p2", "p3"],
    ...                              unavailability=1e-3, factors=[0.1, 0.3])
    >>> g.q_k.round(12).tolist()
    [0.0009, 3.5e-05, 3e-05]
    """
    Q = _group_q(name, unavailability)
    members = _members(name, members)
    m = len(members)
    rho = [1.0] + _factors(name, "factors", factors, m - 1) + [0.0]
    q_k, prod = [], 1.0
    for k in range(1, m + 1):
        prod *= rho[k - 1]
        q_k.append(prod * (1 - rho[k]) * Q / comb(m - 1, k - 1))
    return _build(name, "MGL", members, Q, q_k)


def alpha_factor(name, members, *, unavailability, alphas, staggered=False):
    """An alpha-factor common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (``m`` of them, 2 to 12).
    unavailability : float
        Each member's total failure probability ``Q``.
    alphas : sequence of float
        ``alpha_1..alpha_m``: the fraction of failure events that fail
        exactly ``k`` members; they must sum to 1.
    staggered : bool, default False
        Staggered testing (each member tested at a different time) or not.

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    Non-staggered testing: ``Q_k = k alpha_k Q / (C(m-1, k-1) alpha_t)``
    with ``alpha_t = sum_k k alpha_k``; staggered testing:
    ``Q_k = alpha_k Q / C(m-1, k-1)`` [1]_. Both sum back to ``Q``.

    References
    ----------
    .. [1] NUREG/CR-5485 (1998), section 5.2.

    Examples
    --------
    >>> import slosim as ss
    >>> g = ss.alpha_factor("fans", ["f1", "f2"], unavailability=1e-3,
    ...                     alphas=[0.95, 0.05])
    >>> g.q_k.round(12).tolist()
    [0.000904761905, 9.5238095e-05]
    """
    Q = _group_q(name, unavailability)
    members = _members(name, members)
    m = len(members)
    a = _sums_to_one(name, "alphas", _factors(name, "alphas", alphas, m))
    if staggered:
        q_k = _per_event(a, Q)
    else:
        alpha_t = sum(k * a[k - 1] for k in range(1, m + 1))
        q_k = [k * a[k - 1] * Q / (comb(m - 1, k - 1) * alpha_t)
               for k in range(1, m + 1)]
    return _build(name, "alpha-factor", members, Q, q_k)


def phi_factor(name, members, *, unavailability, phis):
    """A phi-factor common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (``m`` of them, 2 to 12).
    unavailability : float
        Each member's total failure probability ``Q``.
    phis : sequence of float
        ``phi_1..phi_m``: the fraction of a member's failure probability due
        to events of order ``k``; they must sum to 1.

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    ``Q_k = phi_k Q / C(m-1, k-1)``: ``phi_k Q`` is shared among the
    ``C(m-1, k-1)`` events of order ``k`` that include a given member, so
    each member's total stays ``Q``. (SCRAM's reader takes ``Q_k = phi_k Q``
    per event instead, which does not preserve ``Q`` for ``m > 2``.)

    Examples
    --------
    >>> import slosim as ss
    >>> g = ss.phi_factor("disks", ["d1", "d2", "d3"], unavailability=1e-3,
    ...                   phis=[0.9, 0.06, 0.04])
    >>> g.q_k.round(12).tolist()
    [0.0009, 3e-05, 4e-05]
    """
    Q = _group_q(name, unavailability)
    members = _members(name, members)
    m = len(members)
    p = _sums_to_one(name, "phis", _factors(name, "phis", phis, m))
    return _build(name, "phi-factor", members, Q, _per_event(p, Q))


def _per_event(fractions, Q):
    """``Q_k = f_k Q / C(m-1, k-1)``: the part ``f_k Q`` of a member's
    failure probability shared by the events of order ``k`` it is in."""
    m = len(fractions)
    return [fractions[k - 1] * Q / comb(m - 1, k - 1) for k in range(1, m + 1)]


def _sums_to_one(name, key, values):
    """The factors divided by their sum, which must be 1 within 1e-9."""
    total = sum(values)
    if abs(total - 1.0) > 1e-9:
        raise ModelError(
            f"common-cause group {name!r}: {key} must sum to 1, got "
            f"{total!r}", name)
    return [v / total for v in values]
