"""Common-cause failure groups: the PRA parametric models, built on shocks.

A common-cause group is ``m`` identical members, each with total failure
probability ``Q``. A parametric model splits ``Q`` into ``Q_k``, the
probability of a basic event that fails one *specific* set of ``k``
members, for ``k = 1..m``, with

.. math::

    \\sum_{k=1}^{m} \\binom{m-1}{k-1} Q_k = Q

(each member belongs to ``C(m-1, k-1)`` sets of size ``k``; the phi-factor
model under the standard convention, below, is the exception). slosim builds
the group as one :class:`~slosim.Shock` per set of ``k >= 2`` members with
probability ``Q_k`` and, for each member, a :class:`~slosim.Component`
carrying its independent part. The events are independent, as in every PRA
tool, and a member fails when its own event or any group event containing
it occurs. Two conventions fix the independent part (``marginal=``):

``"standard"`` (the default)
    The independent part is ``Q_1``, and ``Q_k`` follow NUREG/CR-5485 as
    PRA codes (SCRAM, and the Open-PSA reader) apply it; for the
    phi-factor model ``Q_k = phi_k Q`` for each event of order ``k``. A
    member's total failure probability is then
    ``1 - (1 - Q_1) prod_k (1 - Q_k)^C(m-1, k-1)``, a little below ``Q``
    (by ``O(Q**2)``), and for a phi-factor group of more than two members
    about ``sum_k C(m-1, k-1) phi_k Q``.
``"exact"``
    The independent part is chosen so that each member's total failure
    probability is exactly ``Q`` (the phi-factor's ``Q_k`` are divided by
    ``C(m-1, k-1)`` so that their shares sum to ``Q``):

    .. math::

        q_{ind} = 1 - \\frac{1 - Q}{\\prod_{k \\ge 2} (1 - Q_k)^{\\binom{m-1}{k-1}}}

    which equals ``Q_1`` to first order. It was slosim's only convention
    until the default became ``"standard"`` (to give the numbers of the
    PRA tools); a model that relied on it passes ``marginal="exact"``.

Journeys differ between the two by relative ``O(Q)`` (for SCRAM's
three-train beta-factor model, ``Q = 0.1``, ``beta = 0.2``: 0.0430804
standard, 0.0432884 exact), except for the phi-factor model with more
than two members, where the events differ by ``C(m-1, k-1)``. Groups of up
to 12 members are accepted (``2**m`` sets).

Any of a group's parameters (``unavailability`` and the factors) may be a
:class:`~slosim.model.Distribution`: an uncertain parameter. The group is
then built at the parameters' means, and its components and shocks keep
the formulas, so that :attr:`Structure.parameters
<slosim.model.Structure.parameters>` can give their probabilities at any
value of the parameters.
"""

from dataclasses import dataclass, field
from math import comb
import numbers
from types import MappingProxyType

import numpy as np

from .._errors import ModelError
from .._validation import check_name, param_error, parse_probability
from ._nodes import Component
from ._shocks import Shock
from ._uncertain import Distribution, probability_distribution

__all__ = [
    "CommonCauseGroup",
    "beta_factor",
    "multiple_greek_letter",
    "alpha_factor",
    "phi_factor",
]

MAX_MEMBERS = 12

#: The conventions for a member's independent part (module notes).
MARGINALS = ("standard", "exact")

#: The multiple Greek letter factors, by order: ``factors[i]`` is
#: ``_GREEK[i]``, the conditional probability that a failure involves at
#: least ``i + 2`` members given it involves ``i + 1``.
_GREEK = ("beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
          "kappa", "lambda", "mu")


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
        specific set of ``k`` members (``q_k[0]`` is ``Q_1``, the members'
        independent part under the standard convention).
    components : tuple of Component
        The members, each with its independent part (see the module notes).
    shocks : tuple of Shock
        One per set of two or more members with ``Q_k > 0``, named
        ``"<group>[<member>,<member>...]"``.
    distributions : mapping of str to Distribution
        The parameters given as distributions, by their names in the
        parametric model (``'unavailability'``, ``'beta'``, the MGL letters
        ``'beta'``, ``'gamma'``, ..., ``'alpha_1'``, ..., ``'phi_1'``, ...);
        empty when every parameter is a number. ``unavailability`` and
        ``q_k`` are then the values at the parameters' means.
    marginal : str
        ``'standard'`` (each member's independent part is ``Q_1``) or
        ``'exact'`` (it keeps each member's total at exactly ``Q``); see
        the module notes.

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
    >>> print(f"{r['api'].unavailability:.6e}")  # 5e-5 + (1 - 5e-5)(9.5e-4)**2
    5.090245e-05
    """

    name: str
    model: str
    unavailability: float
    q_k: np.ndarray
    components: tuple
    shocks: tuple
    distributions: MappingProxyType = field(
        default_factory=lambda: MappingProxyType({}))
    marginal: str = "standard"

    def __repr__(self):
        uncertain = (f", uncertain={list(self.distributions)!r}"
                     if self.distributions else "")
        marginal = "" if self.marginal == "standard" else f", marginal={self.marginal!r}"
        return (f"CommonCauseGroup({self.name!r}, model={self.model!r}, "
                f"members={len(self.components)}, "
                f"unavailability={self.unavailability!r}, "
                f"shocks={len(self.shocks)}{uncertain}{marginal})")


class CommonCauseParameters:
    """The parameters of a common-cause group and its formulas, vectorised.

    What the components and shocks of a group with uncertain parameters
    keep (as ``common_cause``), so that :func:`~slosim.model.lower` can
    give their probabilities at any value of the parameters. Immutable.

    Attributes
    ----------
    name : str
        The group's name.
    model : str
        ``'beta-factor'``, ``'MGL'``, ``'alpha-factor'`` or ``'phi-factor'``.
    m : int
        The number of members.
    staggered : bool
        Staggered testing (alpha-factor only).
    marginal : str
        ``'standard'`` or ``'exact'``: the convention for each member's
        independent part (and the phi-factor's ``Q_k``; module notes).
    keys : tuple of str
        The parameters' names: ``'unavailability'``, then the factors
        (``'beta'``; ``'beta'``, ``'gamma'``, ...; ``'alpha_1'``, ...;
        ``'phi_1'``, ...).
    values : tuple
        Each parameter as given: a float or a Distribution.
    uncertain : tuple of int
        The positions in ``keys`` of the distributions.
    means : ndarray
        Each parameter's value, or its distribution's mean.

    Notes
    -----
    Alpha and phi factors must sum to 1. Given as numbers only, they are
    divided by their sum (which must be 1 within 1e-9). When some are
    distributions, the others absorb the difference: at sampled values
    ``x_j`` of the uncertain factors, each factor given as a number ``f_i``
    becomes ``f_i (1 - sum_j x_j) / sum_i f_i``, so that each uncertain
    factor keeps exactly its sampled value. At least one factor must then
    be a number, with a positive sum; a sample whose uncertain factors sum
    above 1 is refused.
    """

    __slots__ = ("_name", "_model", "_m", "_staggered", "_marginal", "_keys",
                 "_values", "_uncertain", "_means", "_fixed_sum")

    def __init__(self, name, model, m, keys, values, staggered=False,
                 marginal="standard"):
        uncertain = tuple(i for i, v in enumerate(values) if isinstance(v, Distribution))
        means = np.array([v.mean if isinstance(v, Distribution) else v for v in values],
                         dtype=np.float64)
        means.setflags(write=False)
        for slot, value in (("_name", name), ("_model", model), ("_m", m),
                            ("_staggered", bool(staggered)), ("_marginal", marginal),
                            ("_keys", tuple(keys)),
                            ("_values", tuple(values)), ("_uncertain", uncertain),
                            ("_means", means)):
            object.__setattr__(self, slot, value)
        fixed_sum = None
        if model in ("alpha-factor", "phi-factor") and any(i > 0 for i in uncertain):
            fixed = [float(v) for v in values[1:] if not isinstance(v, Distribution)]
            fixed_sum = sum(fixed)
            if not fixed or not fixed_sum > 0:
                what = "alphas" if model == "alpha-factor" else "phis"
                raise ModelError(
                    f"common-cause group {name!r}: when some {what} are "
                    f"distributions, at least one must be a number, and those "
                    f"given as numbers must have a positive sum (they absorb "
                    f"what the sampled ones leave of 1); got "
                    f"{', '.join(map(repr, values[1:]))}", name)
        object.__setattr__(self, "_fixed_sum", fixed_sum)

    def __setattr__(self, name, value):
        raise AttributeError("CommonCauseParameters is immutable")

    def __reduce__(self):
        return (type(self), (self._name, self._model, self._m, self._keys,
                             self._values, self._staggered, self._marginal))

    def __repr__(self):
        return (f"CommonCauseParameters({self._name!r}, model={self._model!r}, "
                f"m={self._m}, keys={self._keys!r}, marginal={self._marginal!r})")

    @property
    def name(self):
        return self._name

    @property
    def model(self):
        return self._model

    @property
    def m(self):
        return self._m

    @property
    def staggered(self):
        return self._staggered

    @property
    def marginal(self):
        return self._marginal

    @property
    def keys(self):
        return self._keys

    @property
    def values(self):
        return self._values

    @property
    def uncertain(self):
        return self._uncertain

    @property
    def means(self):
        return self._means

    def distributions(self):
        """The uncertain parameters, ``{key: distribution}``, in key order."""
        return {self._keys[i]: self._values[i] for i in self._uncertain}

    def q_k(self, values):
        """``Q_k`` and each member's independent part, at parameter values.

        Parameters
        ----------
        values : ndarray, shape (K, len(keys))
            Values of every parameter (the ones given as numbers at their
            values), each in [0, 1].

        Returns
        -------
        q_k : ndarray, shape (K, m)
            ``Q_k`` for ``k = 1..m`` (column ``k - 1``).
        q_ind : ndarray, shape (K,)
            Each member's independent part: ``Q_1`` under the standard
            convention, the part that keeps the member's total at ``Q``
            under the exact one (see the module notes).

        Raises
        ------
        ValueError
            If the uncertain alpha or phi factors of a row sum above 1.
        """
        values = np.asarray(values, dtype=np.float64)
        K, m = values.shape[0], self._m
        Q = values[:, 0]
        f = [values[:, i] for i in range(1, values.shape[1])]
        q = np.zeros((K, m))
        if self._model == "beta-factor":
            q[:, 0] = (1 - f[0]) * Q
            q[:, m - 1] = f[0] * Q
        elif self._model == "MGL":
            rho = [np.ones(K)] + f + [np.zeros(K)]
            prod = np.ones(K)
            for k in range(1, m + 1):
                prod = prod * rho[k - 1]
                q[:, k - 1] = prod * (1 - rho[k]) * Q / comb(m - 1, k - 1)
        else:
            a = self._fractions(f)
            if self._model == "alpha-factor" and not self._staggered:
                alpha_t = 0
                for k in range(1, m + 1):
                    alpha_t = alpha_t + k * a[k - 1]
                for k in range(1, m + 1):
                    q[:, k - 1] = k * a[k - 1] * Q / (comb(m - 1, k - 1) * alpha_t)
            elif self._model == "alpha-factor" or self._marginal == "exact":
                for k in range(1, m + 1):
                    q[:, k - 1] = a[k - 1] * Q / comb(m - 1, k - 1)
            else:
                for k in range(1, m + 1):
                    q[:, k - 1] = a[k - 1] * Q
        if self._marginal == "standard":
            return q, q[:, 0].copy()
        survive = np.ones(K)
        for k in range(2, m + 1):
            survive = survive * (1.0 - q[:, k - 1]) ** comb(m - 1, k - 1)
        ratio = np.divide(1.0 - Q, survive, out=np.ones(K), where=survive > 0)
        # 1 - (1 - Q) / survive >= 0 in exact arithmetic (the shocks' part
        # is at most Q); the maximum only removes rounding below 0
        q_ind = np.where(survive > 0, np.maximum(0.0, 1.0 - ratio), 0.0)
        return q, q_ind

    def _fractions(self, f):
        """The alpha or phi factors of each row, summing to 1 (class notes)."""
        if self._fixed_sum is None:
            total = 0
            for v in f:
                total = total + v
            return [v / total for v in f]
        uncertain = [i - 1 for i in self._uncertain if i > 0]
        taken = 0
        for i in uncertain:
            taken = taken + f[i]
        slack = 1.0 - taken
        if (slack < 0).any():
            row = int(np.argmax(slack < 0))
            what = "alphas" if self._model == "alpha-factor" else "phis"
            got = ", ".join(f"{self._keys[i + 1]}={float(f[i][row])!r}" for i in uncertain)
            raise ValueError(
                f"common-cause group {self._name!r}: the {what} given as "
                f"distributions sum above 1 in row {row} ({got}); those given as "
                f"numbers cannot make the sum 1")
        scale = slack / self._fixed_sum
        return [f[i] if i in uncertain else f[i] * scale for i in range(len(f))]


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
    """A factor in [0, 1], exactly parsed, or a distribution on [0, 1]."""
    owner = f"common-cause group {name!r}"
    if isinstance(value, Distribution):
        return probability_distribution(owner, name, key, value)
    return float(parse_probability(owner, name, key, value))


def _factors(name, key, values, n):
    sized = hasattr(values, "__len__") and hasattr(values, "__getitem__")
    if isinstance(values, (str, bytes, numbers.Real)) or not sized or len(values) != n:
        got = (repr(values) if sized or isinstance(values, numbers.Real)
               else f"a {type(values).__name__}, which is not a sequence")
        raise ModelError(
            f"common-cause group {name!r}: {key} must be a sequence of {n} "
            f"factors, got {got}", name)
    return [_fraction(name, f"{key}[{i}]", v) for i, v in enumerate(values)]


_CONSTRUCTORS = {"beta-factor": "beta_factor", "MGL": "multiple_greek_letter",
                 "alpha-factor": "alpha_factor", "phi-factor": "phi_factor"}


def _marginal(model, marginal):
    if not isinstance(marginal, str) or marginal not in MARGINALS:
        raise param_error("marginal", _CONSTRUCTORS[model],
                          "'standard' or 'exact'", marginal)
    return marginal


def _build(name, model, members, keys, values, staggered=False,
           marginal="standard"):
    """The group from its parameters (``keys``, ``values``: numbers or
    distributions), at their means; checks the ``Q_k`` sum to ``Q`` (but
    for the standard phi-factor model, whose ``Q_k`` are not shares)."""
    m = len(members)
    marginal = _marginal(model, marginal)
    params = CommonCauseParameters(name, model, m, keys, values, staggered, marginal)
    Q = float(params.means[0])
    q_k, q_ind = params.q_k(params.means[None, :])
    q_k, q_ind = q_k[0].tolist(), float(q_ind[0])
    total = sum(comb(m - 1, k - 1) * q for k, q in enumerate(q_k, start=1))
    shares = not (model == "phi-factor" and marginal == "standard")
    if shares and abs(total - Q) > 1e-12 * max(Q, 1e-300) + 1e-300:
        raise ModelError(
            f"common-cause group {name!r}: its factors give a total failure "
            f"probability {total!r} per member, not {Q!r}; check that they sum "
            f"as the {model} model requires", name)
    if params.uncertain:
        components = tuple(CommonCauseComponent(n, q_ind, params) for n in members)
    else:
        components = tuple(Component(n, unavailability=q_ind) for n in members)
    shocks = []
    for k in range(2, m + 1):
        if q_k[k - 1] <= 0:
            continue
        for subset in _subsets(m, k):
            picked = [components[i] for i in subset]
            label = ",".join(members[i] for i in subset)
            shocks.append(
                CommonCauseShock(f"{name}[{label}]", q_k[k - 1], picked, params, k)
                if params.uncertain else
                Shock(f"{name}[{label}]", q_k[k - 1], members=picked))
    arr = np.asarray(q_k, dtype=np.float64)
    arr.setflags(write=False)
    return CommonCauseGroup(name, model, Q, arr, components, tuple(shocks),
                            MappingProxyType(params.distributions()), marginal)


class CommonCauseComponent(Component):
    """A member of a common-cause group with uncertain parameters.

    A :class:`Component` whose unavailability (its independent part, at the
    parameters' means) is a function of the group's parameters, which it
    keeps as ``common_cause`` (:class:`CommonCauseParameters`).
    """

    __slots__ = ("_ccf",)

    def __init__(self, name, unavailability, params):
        super().__init__(name, unavailability=unavailability)
        self._ccf = params

    @property
    def common_cause(self):
        """The group's :class:`CommonCauseParameters`."""
        return self._ccf

    @property
    def order(self):
        """1: the member's independent part is the group's order-1 event."""
        return 1


class CommonCauseShock(Shock):
    """A shock of a common-cause group with uncertain parameters.

    A :class:`Shock` failing ``order`` members, whose probability (``Q_k``
    at the parameters' means) is a function of the group's parameters,
    which it keeps as ``common_cause`` (:class:`CommonCauseParameters`).
    """

    __slots__ = ("_ccf", "_order")

    def __init__(self, name, probability, members, params, order):
        super().__init__(name, probability, members)
        self._ccf = params
        self._order = order

    @property
    def common_cause(self):
        """The group's :class:`CommonCauseParameters`."""
        return self._ccf

    @property
    def order(self):
        """``k``: the shock is one of the group's events of order ``k``."""
        return self._order


def _subsets(m, k):
    from itertools import combinations

    return combinations(range(m), k)


def _group_q(name, unavailability):
    check_name(name, "common-cause group", required=True)
    return _fraction(name, "unavailability", unavailability)


def beta_factor(name, members, *, unavailability, beta, marginal="standard"):
    """A beta-factor common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (2 to 12).
    unavailability : float or Distribution
        Each member's total failure probability ``Q``.
    beta : float or Distribution
        Fraction of ``Q`` due to the common cause, in [0, 1].
    marginal : {'standard', 'exact'}, default 'standard'
        Each member's independent part: ``Q_1`` (``'standard'``, as PRA
        tools compute; a member then fails with probability a little
        below ``Q``), or the part that keeps each member's total failure
        probability at exactly ``Q`` (``'exact'``; slosim's default before,
        see the module notes).

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    ``Q_1 = (1 - beta) Q``, ``Q_m = beta Q``, and no events of intermediate
    order: the common cause fails every member at once [1]_. Under the
    standard convention (the default since the Open-PSA reader gives the
    PRA tools' numbers; a behaviour change) each member's own event has
    probability ``Q_1``, so a member fails with probability
    ``1 - (1 - (1 - beta) Q)(1 - beta Q)``; with ``marginal="exact"`` its
    own event is ``1 - (1 - Q) / (1 - beta Q)`` and it fails with
    probability exactly ``Q``.

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

    An uncertain beta (its parameter in the Structure is ``"db.beta"``);
    the group is built at its mean:

    >>> from slosim.model import LogNormal
    >>> g = ss.beta_factor("db", ["db-0", "db-1", "db-2"], unavailability=2e-3,
    ...                    beta=LogNormal.from_error_factor(0.05, 3))
    >>> g
    CommonCauseGroup('db', model='beta-factor', members=3, unavailability=0.002,
                     shocks=1, uncertain=['beta'])
    >>> g.q_k.round(9).tolist()
    [0.00187501, 0.0, 0.00012499]

    The two conventions for a member's own event, on a pair:

    >>> for marginal in ("standard", "exact"):
    ...     g = ss.beta_factor("zone", ["a", "b"], unavailability=0.01,
    ...                        beta=0.2, marginal=marginal)
    ...     print(marginal, f"{g.components[0].unavailability:.6f}")
    standard 0.008000
    exact 0.008016
    """
    Q = _group_q(name, unavailability)
    members = _members(name, members)
    b = _fraction(name, "beta", beta)
    return _build(name, "beta-factor", members, ("unavailability", "beta"), (Q, b),
                  marginal=marginal)


def multiple_greek_letter(name, members, *, unavailability, factors,
                          marginal="standard"):
    """A multiple Greek letter (MGL) common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (``m`` of them, 2 to 12).
    unavailability : float or Distribution
        Each member's total failure probability ``Q``.
    factors : sequence of float or Distribution
        ``m - 1`` factors ``beta, gamma, delta, ...``: the conditional
        probability that a failure involves at least 2, 3, 4, ... members,
        given it involves at least 1, 2, 3, ... (an uncertain one is the
        parameter ``"<name>.beta"``, ``"<name>.gamma"``, ...).
    marginal : {'standard', 'exact'}, default 'standard'
        Each member's independent part, ``Q_1`` or the part that keeps its
        total at exactly ``Q``, as for :func:`beta_factor`.

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    With ``rho_1 = 1``, ``rho_2..rho_m`` the factors and ``rho_{m+1} = 0``:
    ``Q_k = rho_1 ... rho_k (1 - rho_{k+1}) Q / C(m-1, k-1)``; the sum over
    ``k`` telescopes to ``Q`` [1]_. Each member's own event is ``Q_1``
    under the standard convention (the default; a behaviour change), the
    part that keeps its total at exactly ``Q`` with ``marginal="exact"``.

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
    rho = _factors(name, "factors", factors, m - 1)
    return _build(name, "MGL", members, ("unavailability",) + _GREEK[:m - 1],
                  (Q, *rho), marginal=marginal)


def alpha_factor(name, members, *, unavailability, alphas, staggered=False,
                 marginal="standard"):
    """An alpha-factor common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (``m`` of them, 2 to 12).
    unavailability : float or Distribution
        Each member's total failure probability ``Q``.
    alphas : sequence of float or Distribution
        ``alpha_1..alpha_m``: the fraction of failure events that fail
        exactly ``k`` members; they must sum to 1 (distributions by their
        means). When some are distributions, at least one must be a
        number: at sampled values, the numbers are scaled to make the sum
        1 (see :class:`CommonCauseParameters`).
    staggered : bool, default False
        Staggered testing (each member tested at a different time) or not.
    marginal : {'standard', 'exact'}, default 'standard'
        Each member's independent part, ``Q_1`` or the part that keeps its
        total at exactly ``Q``, as for :func:`beta_factor`.

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    Non-staggered testing: ``Q_k = k alpha_k Q / (C(m-1, k-1) alpha_t)``
    with ``alpha_t = sum_k k alpha_k``; staggered testing:
    ``Q_k = alpha_k Q / C(m-1, k-1)`` [1]_. Both sum back to ``Q``. Each
    member's own event is ``Q_1`` under the standard convention (the
    default; a behaviour change), the part that keeps its total at exactly
    ``Q`` with ``marginal="exact"``.

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
    keys = ("unavailability",) + tuple(f"alpha_{k}" for k in range(1, m + 1))
    return _build(name, "alpha-factor", members, keys, (Q, *a), bool(staggered),
                  marginal)


def phi_factor(name, members, *, unavailability, phis, marginal="standard"):
    """A phi-factor common-cause group.

    Parameters
    ----------
    name : str
    members : list of str
        Names of the member components (``m`` of them, 2 to 12).
    unavailability : float or Distribution
        Each member's total failure probability ``Q``.
    phis : sequence of float or Distribution
        ``phi_1..phi_m``: the fraction of a member's failure probability due
        to events of order ``k``; they must sum to 1, as ``alphas`` do for
        :func:`alpha_factor`.
    marginal : {'standard', 'exact'}, default 'standard'
        Each member's independent part, ``Q_1`` or the part that keeps its
        total at exactly ``Q``, as for :func:`beta_factor`. With
        ``'exact'``, ``Q_k`` are also divided by ``C(m-1, k-1)`` (Notes).

    Returns
    -------
    CommonCauseGroup

    Notes
    -----
    Standard convention (the default; a behaviour change): ``Q_k = phi_k Q``
    for each event of order ``k``, and each member's own event is ``Q_1``,
    as SCRAM computes. A member is in ``C(m-1, k-1)`` events of order
    ``k``, so for ``m > 2`` it fails with probability about
    ``sum_k C(m-1, k-1) phi_k Q``, above ``Q``.

    ``marginal="exact"``: ``Q_k = phi_k Q / C(m-1, k-1)``, ``phi_k Q``
    shared among the ``C(m-1, k-1)`` events of order ``k`` that include a
    given member, and the member's own event chosen so that its total is
    exactly ``Q``.

    Examples
    --------
    >>> import slosim as ss
    >>> g = ss.phi_factor("disks", ["d1", "d2", "d3"], unavailability=1e-3,
    ...                   phis=[0.9, 0.06, 0.04])
    >>> g.q_k.round(12).tolist()
    [0.0009, 6e-05, 4e-05]
    >>> g = ss.phi_factor("disks", ["d1", "d2", "d3"], unavailability=1e-3,
    ...                   phis=[0.9, 0.06, 0.04], marginal="exact")
    >>> g.q_k.round(12).tolist()
    [0.0009, 3e-05, 4e-05]
    """
    Q = _group_q(name, unavailability)
    members = _members(name, members)
    m = len(members)
    p = _sums_to_one(name, "phis", _factors(name, "phis", phis, m))
    keys = ("unavailability",) + tuple(f"phi_{k}" for k in range(1, m + 1))
    return _build(name, "phi-factor", members, keys, (Q, *p), marginal=marginal)


def _sums_to_one(name, key, values):
    """The factors (numbers or distributions), checked to sum to 1 within
    1e-9 (a distribution by its mean); :class:`CommonCauseParameters`
    divides them by their sum, or lets the numbers absorb the rest."""
    total = sum(v.mean if isinstance(v, Distribution) else v for v in values)
    if abs(total - 1.0) > 1e-9:
        means = " (distributions by their means)" if any(
            isinstance(v, Distribution) for v in values) else ""
        raise ModelError(
            f"common-cause group {name!r}: {key} must sum to 1{means}, got "
            f"{total!r}", name)
    return values
