"""Two coupled copies of a decision diagram: second moments and interactions.

Mechanism only (arrays in, arrays out). For a diagram over independent
variables and two copies ``X``, ``X'`` of its variables, coupled variable
by variable (variable ``v`` is down in copy 1 and copy 2 with the weights
``W[v, a, b]``, ``a, b`` in {0: down, 1: up}), this module computes

* ``E[g(X) g(X')]``, with ``g`` the root's "down" indicator;
* for every variable ``v``, ``E[D_v g(X) D_v g(X')]`` with
  ``D_v g = g(v down) - g(v up)``: each copy's sensitivity to ``v``, the
  two multiplied.

Sobol and Shapley indices are these numbers for two choices of ``W``: the
copies independent (or equal with probability ``rho``) given the
variables' probabilities, for the variance of the journey's state; the
copies sharing uncertain probabilities, for the variance of the journey's
unavailability over them.

The pairs ``(u, u')`` of diagram nodes reachable together from
``(root, root)`` form a diagram of their own (at most the product of the
two sizes, usually far less: the copies mostly move in step). A pair
branches on the smaller of its nodes' levels; a node whose level is
deeper does not branch (it does not depend on that variable). Pairs with
a terminal are not stored: a down terminal leaves the other copy's own
probability, an up terminal 0. :class:`PairGraph` builds the pairs once;
:meth:`PairGraph.evaluate` runs the two passes for one ``W``:

* bottom-up, ``P(p) = sum_ab W[v, a, b] P(child_ab(p))``, the probability
  that both copies are down (a sum of non-negative terms);
* top-down, the probability ``T(p)`` of reaching each pair, and for a pair
  whose two nodes both branch on ``v``:
  ``M[v] += T(p) (P(lo, lo') - P(lo, hi') - P(hi, lo') + P(hi, hi'))``.
"""

cimport cython
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc

import numpy as np


class PairBudgetExceeded(Exception):
    """More pairs than the budget: ``args`` are (pairs, budget)."""


cdef inline uint64_t mix(uint64_t x) noexcept nogil:
    x ^= x >> 33
    x *= 0xFF51AFD7ED558CCDULL
    x ^= x >> 33
    x *= 0xC4CEB9FE1A85EC53ULL
    x ^= x >> 33
    return x


@cython.final
cdef class PairGraph:
    """The pairs of a diagram's nodes reachable from ``(root, root)``.

    ``PairGraph(var, lo, hi, root, max_pairs)``: ``var``, ``lo``, ``hi``
    the diagram's node arrays (node 0 the down terminal, 1 the up
    terminal, terminals at level ``n_vars``, children before parents).
    Raises PairBudgetExceeded past ``max_pairs`` pairs.
    """

    cdef readonly int64_t n_pairs
    cdef readonly int32_t n_vars
    cdef readonly int32_t root
    cdef object _var, _lo, _hi
    cdef object _first, _second, _level, _kids, _order

    def __cinit__(self, const int32_t[::1] var not None, const int32_t[::1] lo not None,
                  const int32_t[::1] hi not None, int32_t root, int64_t max_pairs):
        cdef int64_t N = var.shape[0]
        if lo.shape[0] != N or hi.shape[0] != N or N < 2:
            raise ValueError("var, lo and hi must be the node arrays of one diagram")
        if root < 0 or root >= N:
            raise ValueError(f"root {root} is not a node")
        self.n_vars = var[0]
        self.root = root
        self._var, self._lo, self._hi = np.asarray(var), np.asarray(lo), np.asarray(hi)
        self.n_pairs = 0
        if root < 2:
            self._empty()
            return
        cdef int64_t cap = 1024, mask, count = 0, p, top = 0, i, n_new
        cdef int64_t *keys = <int64_t *> malloc(cap * sizeof(int64_t))
        cdef int64_t *vals = <int64_t *> malloc(cap * sizeof(int64_t))
        cdef int64_t store = 1024
        cdef int32_t *first = <int32_t *> malloc(store * sizeof(int32_t))
        cdef int32_t *second = <int32_t *> malloc(store * sizeof(int32_t))
        cdef int64_t *stack = <int64_t *> malloc(store * sizeof(int64_t))
        if keys == NULL or vals == NULL or first == NULL or second == NULL or stack == NULL:
            free(keys)
            free(vals)
            free(first)
            free(second)
            free(stack)
            raise MemoryError()
        cdef int32_t u, w, v, a, b, c1, c2
        cdef int status = 0        # 0 fine, 1 budget, 2 memory
        for i in range(cap):
            keys[i] = -1
        mask = cap - 1
        # discover the pairs depth first; ids in discovery order
        with nogil:
            status = _insert(&keys, &vals, &cap, &mask, &first, &second, &stack,
                             &store, &count, &top, root, root, max_pairs)
            while status == 0 and top > 0:
                top -= 1
                p = stack[top]
                u = first[p]
                w = second[p]
                v = var[u] if var[u] < var[w] else var[w]
                for a in range(2):
                    c1 = (hi[u] if a else lo[u]) if var[u] == v else u
                    for b in range(2):
                        c2 = (hi[w] if b else lo[w]) if var[w] == v else w
                        if c1 < 2 or c2 < 2:
                            continue
                        status = _insert(&keys, &vals, &cap, &mask, &first, &second,
                                         &stack, &store, &count, &top, c1, c2, max_pairs)
                        if status:
                            break
                    if status:
                        break
        free(stack)
        if status:
            free(keys)
            free(vals)
            free(first)
            free(second)
            if status == 1:
                raise PairBudgetExceeded(count, max_pairs)
            raise MemoryError("the pairs of the diagram could not be stored")
        # arrays: the pairs, their level, their four children (-1: a terminal)
        n_new = count
        fa = np.empty(n_new, dtype=np.int32)
        sa = np.empty(n_new, dtype=np.int32)
        la = np.empty(n_new, dtype=np.int32)
        ka = np.empty((n_new, 4), dtype=np.int64)
        cdef int32_t[::1] F = fa, S = sa, L = la
        cdef int64_t[:, ::1] K = ka
        with nogil:
            for p in range(n_new):
                F[p] = first[p]
                S[p] = second[p]
                u = first[p]
                w = second[p]
                v = var[u] if var[u] < var[w] else var[w]
                L[p] = v
                for a in range(2):
                    c1 = (hi[u] if a else lo[u]) if var[u] == v else u
                    for b in range(2):
                        c2 = (hi[w] if b else lo[w]) if var[w] == v else w
                        if c1 < 2 or c2 < 2:
                            K[p, 2 * a + b] = -1
                        else:
                            K[p, 2 * a + b] = _find(keys, vals, mask, c1, c2)
        free(keys)
        free(vals)
        free(first)
        free(second)
        self.n_pairs = n_new
        self._first, self._second, self._level, self._kids = fa, sa, la, ka
        # deepest level first: every child before its parents
        self._order = np.argsort(-la, kind="stable").astype(np.int64)

    def _empty(self):
        self._first = np.empty(0, dtype=np.int32)
        self._second = np.empty(0, dtype=np.int32)
        self._level = np.empty(0, dtype=np.int32)
        self._kids = np.empty((0, 4), dtype=np.int64)
        self._order = np.empty(0, dtype=np.int64)

    def evaluate(self, const double[:, :, ::1] W not None, bint up=False):
        """``(both, M)`` for the coupling ``W`` (shape (n_vars, 2, 2)).

        ``both`` is ``E[g(X) g(X')]``; ``M[v]`` is ``E[D_v g(X) D_v g(X')]``,
        with ``g`` the root's "down" indicator, or with ``up`` its "up"
        indicator (``M`` is the same in exact arithmetic: ``D_v`` only
        changes sign; count with the rarer state to keep the digits).
        """
        cdef int32_t V = self.n_vars
        if W.shape[0] != V or W.shape[1] != 2 or W.shape[2] != 2:
            raise ValueError(f"W must have shape ({V}, 2, 2)")
        cdef const int32_t[::1] var = self._var
        cdef const int32_t[::1] lo = self._lo
        cdef const int32_t[::1] hi = self._hi
        cdef int64_t N = var.shape[0], n, p, k, P = self.n_pairs
        m_arr = np.zeros(V, dtype=np.float64)
        cdef int32_t hit = 1 if up else 0       # the terminal g counts
        if self.root < 2:
            return (1.0 if self.root == hit else 0.0), m_arr
        down1_arr = np.empty(N, dtype=np.float64)
        down2_arr = np.empty(N, dtype=np.float64)
        both_arr = np.zeros(P, dtype=np.float64)
        top_arr = np.zeros(P, dtype=np.float64)
        cdef double[::1] d1 = down1_arr, d2 = down2_arr, both = both_arr, top = top_arr
        cdef double[::1] M = m_arr
        cdef const int32_t[::1] F = self._first
        cdef const int32_t[::1] S = self._second
        cdef const int32_t[::1] L = self._level
        cdef const int64_t[:, ::1] K = self._kids
        cdef const int64_t[::1] order = self._order
        cdef int32_t v, u, w, a, b, c1, c2
        cdef double acc, t
        cdef double vals[4]
        with nogil:
            # each copy alone, with its marginal weights
            d1[hit] = 1.0
            d1[1 - hit] = 0.0
            d2[hit] = 1.0
            d2[1 - hit] = 0.0
            for n in range(2, N):
                v = var[n]
                d1[n] = (W[v, 0, 0] + W[v, 0, 1]) * d1[lo[n]] + \
                    (W[v, 1, 0] + W[v, 1, 1]) * d1[hi[n]]
                d2[n] = (W[v, 0, 0] + W[v, 1, 0]) * d2[lo[n]] + \
                    (W[v, 0, 1] + W[v, 1, 1]) * d2[hi[n]]
            # both down, children first
            for k in range(P):
                p = order[k]
                u = F[p]
                w = S[p]
                v = L[p]
                acc = 0.0
                for a in range(2):
                    c1 = (hi[u] if a else lo[u]) if var[u] == v else u
                    for b in range(2):
                        c2 = (hi[w] if b else lo[w]) if var[w] == v else w
                        acc = acc + W[v, a, b] * _pair_value(c1, c2, K[p, 2 * a + b],
                                                             &both[0], &d1[0], &d2[0], hit)
                both[p] = acc
            # reaching each pair, parents first; the sensitivities
            top[0] = 1.0
            for k in range(P - 1, -1, -1):
                p = order[k]
                t = top[p]
                if t == 0.0:
                    continue
                u = F[p]
                w = S[p]
                v = L[p]
                for a in range(2):
                    c1 = (hi[u] if a else lo[u]) if var[u] == v else u
                    for b in range(2):
                        c2 = (hi[w] if b else lo[w]) if var[w] == v else w
                        vals[2 * a + b] = _pair_value(c1, c2, K[p, 2 * a + b],
                                                      &both[0], &d1[0], &d2[0], hit)
                        if K[p, 2 * a + b] >= 0:
                            top[K[p, 2 * a + b]] += t * W[v, a, b]
                if var[u] == v and var[w] == v:
                    M[v] += t * ((vals[0] + vals[3]) - (vals[1] + vals[2]))
        return both_arr[0], m_arr

    def arrays(self):
        """``(first, second, level)``: each pair's two nodes and its level."""
        return self._first, self._second, self._level


cdef inline double _pair_value(int32_t c1, int32_t c2, int64_t index, const double *both,
                               const double *d1, const double *d2,
                               int32_t hit) noexcept nogil:
    """E[g g'] for the child pair (c1, c2); ``hit`` is the terminal g counts."""
    if c1 == 1 - hit or c2 == 1 - hit:
        return 0.0
    if c1 == hit:
        return 1.0 if c2 == hit else d2[c2]
    if c2 == hit:
        return d1[c1]
    return both[index]


cdef inline int64_t _find(const int64_t *keys, const int64_t *vals, int64_t mask,
                          int32_t u, int32_t w) noexcept nogil:
    cdef int64_t key = (<int64_t>u << 32) | <int64_t>w
    cdef int64_t slot = <int64_t>(mix(<uint64_t>key) & <uint64_t>mask)
    while keys[slot] != key:
        slot = (slot + 1) & mask
    return vals[slot]


cdef int _insert(int64_t **keys, int64_t **vals, int64_t *cap, int64_t *mask,
                 int32_t **first, int32_t **second, int64_t **stack, int64_t *store,
                 int64_t *count, int64_t *top, int32_t u, int32_t w,
                 int64_t max_pairs) noexcept nogil:
    """Add pair (u, w) if new (and push it); 0 fine, 1 budget, 2 memory."""
    cdef int64_t key = (<int64_t>u << 32) | <int64_t>w
    cdef int64_t slot = <int64_t>(mix(<uint64_t>key) & <uint64_t>mask[0])
    while keys[0][slot] != -1:
        if keys[0][slot] == key:
            return 0
        slot = (slot + 1) & mask[0]
    if count[0] >= max_pairs:
        return 1
    cdef int64_t i, s, new_cap
    cdef int64_t *nk
    cdef int64_t *nv
    cdef int32_t *nf
    cdef int32_t *ns
    cdef int64_t *nst
    if count[0] >= store[0]:
        s = store[0] * 2
        nf = <int32_t *> malloc(s * sizeof(int32_t))
        ns = <int32_t *> malloc(s * sizeof(int32_t))
        nst = <int64_t *> malloc(s * sizeof(int64_t))
        if nf == NULL or ns == NULL or nst == NULL:
            free(nf)
            free(ns)
            free(nst)
            return 2
        for i in range(count[0]):
            nf[i] = first[0][i]
            ns[i] = second[0][i]
        for i in range(top[0]):
            nst[i] = stack[0][i]
        free(first[0])
        free(second[0])
        free(stack[0])
        first[0], second[0], stack[0], store[0] = nf, ns, nst, s
    keys[0][slot] = key
    vals[0][slot] = count[0]
    first[0][count[0]] = u
    second[0][count[0]] = w
    stack[0][top[0]] = count[0]
    top[0] += 1
    count[0] += 1
    if 2 * count[0] > cap[0]:          # keep the table at most half full
        new_cap = cap[0] * 2
        nk = <int64_t *> malloc(new_cap * sizeof(int64_t))
        nv = <int64_t *> malloc(new_cap * sizeof(int64_t))
        if nk == NULL or nv == NULL:
            free(nk)
            free(nv)
            return 2
        for i in range(new_cap):
            nk[i] = -1
        for i in range(cap[0]):
            if keys[0][i] != -1:
                slot = <int64_t>(mix(<uint64_t>keys[0][i]) & <uint64_t>(new_cap - 1))
                while nk[slot] != -1:
                    slot = (slot + 1) & (new_cap - 1)
                nk[slot] = keys[0][i]
                nv[slot] = vals[0][i]
        free(keys[0])
        free(vals[0])
        keys[0], vals[0], cap[0], mask[0] = nk, nv, new_cap, new_cap - 1
    return 0
