"""Gaussian copulas: correlated component failures with exact marginals.

A :class:`GaussianCopula` couples the failures of a set of components
through correlated standard normal variables ``Z``: member ``i`` is down
when ``Z_i < Phi^-1(q_i)``, where ``q_i`` is its unavailability. Each
member's marginal unavailability stays exactly ``q_i``; the correlation
matrix of ``Z`` sets how the failures cluster. Two forms:

* a **correlation matrix** ``R`` over the members (symmetric, unit
  diagonal, positive semidefinite);
* a **one-factor model** with one loading ``l_i`` in [-1, 1] per member:
  ``Z_i = l_i F + sqrt(1 - l_i**2) e_i`` with a common factor ``F`` and
  independent ``e_i``, all standard normal, so that
  ``corr(Z_i, Z_j) = l_i l_j``. Given the factor, members fail
  independently with ``q_i(F) = Phi((Phi^-1(q_i) - l_i F) / sqrt(1 - l_i**2))``:
  a bad day (low ``F``) raises every positively loaded member's failure
  probability at once.

:func:`slosim.simulate` samples both forms; :func:`slosim.exact` handles
the one-factor form by quadrature over the factor.
"""

import numbers

import numpy as np

from .._errors import ModelError
from .._validation import check_name
from ._nodes import check_members

__all__ = ["GaussianCopula"]

# Tolerances for a correlation matrix given in floating point.
_SYMMETRY_TOL = 1e-12
_DIAGONAL_TOL = 1e-12
_PSD_TOL = 1e-10


class GaussianCopula:
    """Correlated failures of a set of components, marginals kept exactly.

    Parameters
    ----------
    name : str
        Unique among the copulas of a model.
    members : sequence of Component, Service or str
        At least two components (a Service's own component) or their
        names, no repeats. A component belongs to at most one copula.
    correlation : array_like, shape (m, m), optional
        Correlation matrix of the members' latent normal variables:
        symmetric, unit diagonal, entries in [-1, 1], positive
        semidefinite (each to within ``1e-12``, the last to ``1e-10`` in
        the smallest eigenvalue).
    loadings : array_like, shape (m,), optional
        One-factor form: member ``i``'s loading on the common factor, in
        [-1, 1]; the correlation of members ``i`` and ``j`` is
        ``loadings[i] * loadings[j]``. Give exactly one of ``correlation``
        and ``loadings``.

    Attributes
    ----------
    name : str
    members : tuple
    correlation : ndarray, shape (m, m)
        Read-only; for the one-factor form, ``outer(l, l)`` with a unit
        diagonal.
    loadings : ndarray or None
        Read-only loadings of the one-factor form, else None. A correlation
        matrix of one-factor form (off the diagonal ``R[i, j] = l_i l_j`` to
        within ``1e-12``, such as every pair at one ``rho >= 0``) is
        recognised, and its loadings are found (up to a common sign).
    one_factor : bool
        Whether the copula has one-factor form, given by loadings or
        recognised in the matrix: both engines then use the cheaper
        one-factor methods.

    Raises
    ------
    ModelError
        Naming the copula and what is wrong: too few or repeated members,
        both or neither of ``correlation`` and ``loadings``, a wrong shape,
        a non-finite entry, an asymmetric entry, a diagonal entry that is
        not 1, an entry or loading outside [-1, 1], or a matrix that is not
        positive semidefinite.

    Notes
    -----
    Member ``i`` is down when ``Z_i < Phi^-1(q_i)``, ``q_i`` its own
    unavailability; ``P(i down) = q_i`` exactly whatever the correlation.
    For two members with correlation ``rho``, ``P(both down)`` is the
    bivariate normal distribution function at
    ``(Phi^-1(q_1), Phi^-1(q_2))`` with correlation ``rho``: more than
    ``q_1 q_2`` for ``rho > 0`` (redundancy helps less), less for
    ``rho < 0``. Shocks act on top: a member's shocks take it down whatever
    its copula variable says.

    The one-factor form is the cheaper one in both engines: simulate draws
    one factor value per sample, lazily, only where some member may fail,
    and exact integrates over the factor; a general matrix costs simulate a
    correlated normal vector per sample and is not supported by exact.

    Examples
    --------
    >>> import slosim as ss
    >>> a = ss.Component("api-a", unavailability=1e-3)
    >>> b = ss.Component("api-b", unavailability=1e-3)
    >>> same_day = ss.GaussianCopula("same-day", [a, b], loadings=[0.6, 0.6])
    >>> same_day.correlation
    array([[1.  , 0.36],
           [0.36, 1.  ]])
    >>> model = ss.Model(ss.parallel(a, b, name="api"), copulas=[same_day])
    >>> f"{ss.exact(model)['api'].unavailability:.3e}"  # independent: 1e-06
    '2.264e-05'
    """

    __slots__ = ("_name", "_members", "_correlation", "_loadings", "_from_matrix")

    def __init__(self, name, members, *, correlation=None, loadings=None):
        self._name = check_name(name, "GaussianCopula", required=True)
        owner = f"copula {name!r}"
        members = check_members(owner, name, members)
        if len(members) < 2:
            raise ModelError(f"{owner} has {len(members)} member(s); a copula "
                             f"couples at least two", name)
        self._members = members
        m = len(members)
        self._from_matrix = correlation is not None
        if (correlation is None) == (loadings is None):
            raise ModelError(f"{owner}: give exactly one of correlation= (a "
                             f"matrix) and loadings= (the one-factor form)", name)
        if loadings is not None:
            l = _real_array(owner, name, "loadings", loadings, (m,))
            bad = np.flatnonzero(np.abs(l) > 1)
            if bad.size:
                i = int(bad[0])
                raise ModelError(f"{owner}: loadings[{i}] = {float(l[i])!r} (member "
                                 f"{_member_name(members[i])!r}) is outside "
                                 f"[-1, 1]", name)
            r = np.outer(l, l)
            np.fill_diagonal(r, 1.0)
            l.setflags(write=False)
            self._loadings = l
        else:
            r = _real_array(owner, name, "correlation", correlation, (m, m))
            _check_correlation(owner, name, r, members)
            r = (r + r.T) / 2  # symmetric to the last bit
            np.fill_diagonal(r, 1.0)
            self._loadings = one_factor_loadings(r)
            if self._loadings is not None:
                self._loadings.setflags(write=False)
        r.setflags(write=False)
        self._correlation = r

    @property
    def name(self):
        return self._name

    @property
    def members(self):
        return self._members

    @property
    def correlation(self):
        return self._correlation

    @property
    def loadings(self):
        return self._loadings

    @property
    def one_factor(self):
        return self._loadings is not None

    def with_members(self, members):
        """This copula over other member objects, with every number kept.

        Parameters
        ----------
        members : sequence of Component, Service or str
            One member per member of this copula, in the same order: member
            ``i`` keeps row and column ``i`` of the correlation matrix and
            loading ``i``. No repeats.

        Returns
        -------
        GaussianCopula
            A new copula with the same name and form (given by loadings or
            by a matrix) and the very same read-only ``correlation`` and
            ``loadings`` arrays, so every bit is kept; this one is unchanged.

        Raises
        ------
        ModelError
            Naming the copula, if ``members`` is not a sequence of
            components or names, repeats one, or is of another length.

        See Also
        --------
        Model.replace : uses it to move a copula onto rebuilt components.

        Notes
        -----
        The constructor would check the matrix again (an eigenvalue
        decomposition) and look for the one-factor loadings of a matrix
        again; here nothing is computed, the arrays are shared.

        Examples
        --------
        >>> import slosim as ss
        >>> day = ss.GaussianCopula("day", ["a", "b"], loadings=[0.6, 0.8])
        >>> a = ss.Component("a", unavailability=1e-3)
        >>> b = ss.Component("b", unavailability=2e-3)
        >>> moved = day.with_members([a, b])
        >>> moved
        GaussianCopula('day', ['a', 'b'], loadings=[0.6, 0.8])
        >>> moved.members == (a, b), moved.loadings is day.loadings
        (True, True)
        """
        owner = f"copula {self._name!r}"
        members = check_members(owner, self._name, members)
        if len(members) != len(self._members):
            raise ModelError(f"{owner}: with_members needs {len(self._members)} "
                             f"members, one per member of the copula, got "
                             f"{len(members)}", self._name)
        # A new copula of this class from this one's parts, members aside:
        # nothing to check again, nothing to compute again.
        new = object.__new__(type(self))
        for slot in GaussianCopula.__slots__:
            object.__setattr__(new, slot,
                               members if slot == "_members" else getattr(self, slot))
        return new

    def __repr__(self):
        names = ", ".join(repr(_member_name(m)) for m in self._members[:4])
        if len(self._members) > 4:
            names += f", ... ({len(self._members)} members)"
        form = ("loadings=[" + ", ".join(f"{x:g}" for x in self._loadings[:4])
                + (", ...]" if len(self._loadings) > 4 else "]")
                if self.one_factor else "correlation=<matrix>")
        if self.one_factor and self._from_matrix:
            form = "correlation=<one-factor matrix>"
        return f"GaussianCopula({self._name!r}, [{names}], {form})"


def _member_name(m):
    return m if isinstance(m, str) else m.name


def _real_array(owner, name, key, value, shape):
    if isinstance(value, (str, bytes)) or isinstance(value, numbers.Number):
        raise ModelError(f"{owner}: {key} must be an array of shape {shape}, "
                         f"got {type(value).__name__} {value!r}", name)
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{owner}: {key} must be an array of real numbers, "
                         f"got {value!r}", name) from None
    if a.shape != shape:
        raise ModelError(f"{owner}: {key} must have shape {shape} (one entry "
                         f"per member), got shape {a.shape}", name)
    bad = np.argwhere(~np.isfinite(a))
    if bad.size:
        idx = ", ".join(str(int(i)) for i in bad[0])
        raise ModelError(f"{owner}: {key}[{idx}] is {float(a[tuple(bad[0])])!r}, "
                         f"not a finite number", name)
    return a


def _check_correlation(owner, name, r, members):
    m = len(members)
    for i in range(m):
        if abs(r[i, i] - 1.0) > _DIAGONAL_TOL:
            raise ModelError(f"{owner}: correlation[{i}, {i}] is {float(r[i, i])!r}; "
                             f"the diagonal of a correlation matrix is 1", name)
    asym = np.abs(r - r.T)
    if asym.max() > _SYMMETRY_TOL:
        i, j = np.unravel_index(int(np.argmax(asym)), asym.shape)
        raise ModelError(f"{owner}: correlation[{i}, {j}] = {float(r[i, j])!r} but "
                         f"correlation[{j}, {i}] = {float(r[j, i])!r}; the matrix "
                         f"must be symmetric", name)
    big = np.argwhere(np.abs(r) > 1.0)
    if big.size:
        i, j = (int(x) for x in big[0])
        raise ModelError(f"{owner}: correlation[{i}, {j}] = {float(r[i, j])!r} is "
                         f"outside [-1, 1]", name)
    low = float(np.linalg.eigvalsh((r + r.T) / 2)[0])
    if low < -_PSD_TOL:
        raise ModelError(f"{owner}: the correlation matrix is not positive "
                         f"semidefinite (smallest eigenvalue {low:.3g}); no "
                         f"normal vector has these correlations", name)


def one_factor_loadings(r, tol=1e-12):
    """Loadings ``l`` with ``r[i, j] == l[i] * l[j]`` off the diagonal, or None.

    Direct, in O(m**2): if ``r`` has one-factor form, its largest
    off-diagonal entry is ``r[a, b] = l_a l_b``, and for a third member
    ``c``, ``l_a**2 = r[a, b] r[a, c] / r[b, c]`` (``c`` chosen to make
    that best conditioned); then ``l_k = r[a, k] / l_a``. The answer is
    accepted only if every off-diagonal entry matches ``outer(l, l)`` to
    ``tol`` and every loading is in [-1, 1].
    """
    m = len(r)
    off = r - np.diag(np.diag(r))
    a, b = np.unravel_index(int(np.argmax(np.abs(off))), off.shape)
    if m == 2 or off[a, b] == 0.0:
        l = np.zeros(m)
        l[a] = np.sqrt(abs(off[a, b]))
        l[b] = l[a] if off[a, b] >= 0 else -l[a]
    else:
        third = np.abs(off[a] * off[b])
        third[[a, b]] = -1.0
        c = int(np.argmax(third))
        if third[c] > 0.0:
            la = np.sqrt(abs(off[a, b] * off[a, c] / off[b, c]))
        else:  # no member correlated with both: try the pair alone
            la = np.sqrt(abs(off[a, b]))
        l = off[a] / la
        l[a] = la
    fit = np.outer(l, l)
    np.fill_diagonal(fit, 0.0)
    if np.max(np.abs(fit - off)) > tol or np.max(np.abs(l)) > 1.0 + tol:
        return None
    return np.clip(l, -1.0, 1.0)
