"""Reduced ordered binary decision diagrams for exact reliability.

Mechanism only: :mod:`slosim.exact` chooses the variable order, validates
the model and builds results. This module

* builds the ROBDD of every node of a coherent DAG (series = AND,
  parallel = OR, k-of-n = threshold, over "up" states) bottom-up with a
  unique table and a lossy computed table;
* evaluates, in one bottom-up pass, the probability that each diagram node
  is up and that it is down (two sums of non-negative terms, so both keep
  full relative precision: no unavailability is ever ``1 - (number near 1)``);
* in one top-down pass per journey, the probability of reaching each node,
  and from it, for every variable ``i``, the journey's availability and
  unavailability with ``i`` forced up and forced down.

Node ids: 0 is the terminal "down" (false), 1 the terminal "up" (true);
internal nodes are created after their children, so ids are a topological
order (children first). Terminals sit at level ``n_vars``.

For variable ``i`` and a journey with root ``f``, a path from ``f`` to a
terminal either passes through one node labelled ``i`` or skips level ``i``
on an edge ``u -> v`` with ``level(u) < i < level(v)``. Hence

    R(i up) = sum_{u at level i} top(u) P(hi(u)) + S_i,
    R(i down) = sum_{u at level i} top(u) P(lo(u)) + S_i,

with ``S_i`` the sum over skipping edges of ``top(u) w(u -> v) P(v)``. The
skipping sums are range additions over levels, kept in a segment tree so
that every quantity is a sum of non-negative terms.
"""

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memset

import numpy as np

cdef enum:
    C_SERIES = 0
    C_PARALLEL = 1
    C_KOFN = 2
    OP_AND = 0
    OP_OR = 1
    OP_NOT = 2
    BUDGET = -1      # a result meaning "node budget exceeded"

class BudgetExceeded(Exception):
    """The node budget was reached: ``args`` are (nodes, graph nodes built)."""


# Gate op codes accepted by build(); the same numbers are in slosim.exact.
GATE_SERIES = 0
GATE_PARALLEL = 1
GATE_KOFN = 2


cdef inline uint64_t mix(uint64_t a, uint64_t b, uint64_t c) noexcept nogil:
    cdef uint64_t h = a * 0x9E3779B97F4A7C15ULL
    h ^= b + 0xBF58476D1CE4E5B9ULL + (h << 6) + (h >> 2)
    h ^= c + 0x94D049BB133111EBULL + (h << 6) + (h >> 2)
    h ^= h >> 31
    h *= 0xD6E8FEB86659FD93ULL
    h ^= h >> 32
    return h


cdef class Diagram:
    """A BDD manager: nodes, unique table, computed table, node budget."""

    cdef int32_t *var
    cdef int32_t *lo
    cdef int32_t *hi
    cdef int64_t size          # nodes in use (terminals included)
    cdef int64_t capacity      # allocated node slots
    cdef int64_t max_nodes
    cdef int32_t n_vars
    cdef int32_t *table        # unique table: node ids, -1 empty
    cdef uint64_t table_mask
    cdef int32_t *cache        # computed table: 4 ints per entry (op, f, g, r)
    cdef uint64_t cache_mask

    def __cinit__(self, int32_t n_vars, int64_t max_nodes):
        self.n_vars = n_vars
        self.max_nodes = max_nodes
        self.capacity = 1024
        self.var = <int32_t *> malloc(self.capacity * sizeof(int32_t))
        self.lo = <int32_t *> malloc(self.capacity * sizeof(int32_t))
        self.hi = <int32_t *> malloc(self.capacity * sizeof(int32_t))
        self.table_mask = (1 << 12) - 1
        self.table = <int32_t *> malloc((self.table_mask + 1) * sizeof(int32_t))
        self.cache_mask = (1 << 14) - 1
        self.cache = <int32_t *> malloc(4 * (self.cache_mask + 1) * sizeof(int32_t))
        if (self.var == NULL or self.lo == NULL or self.hi == NULL
                or self.table == NULL or self.cache == NULL):
            raise MemoryError()
        memset(self.table, 0xFF, (self.table_mask + 1) * sizeof(int32_t))
        memset(self.cache, 0xFF, 4 * (self.cache_mask + 1) * sizeof(int32_t))
        for i in range(2):
            self.var[i] = n_vars
            self.lo[i] = i
            self.hi[i] = i
        self.size = 2

    def __dealloc__(self):
        free(self.var)
        free(self.lo)
        free(self.hi)
        free(self.table)
        free(self.cache)

    @property
    def nodes(self):
        """Nodes in use, the two terminals included."""
        return self.size

    def arrays(self):
        """Copies of the node arrays ``(var, lo, hi)`` over node ids."""
        cdef int64_t n
        var = np.empty(self.size, dtype=np.int32)
        lo = np.empty(self.size, dtype=np.int32)
        hi = np.empty(self.size, dtype=np.int32)
        cdef int32_t[::1] V = var, Lo = lo, Hi = hi
        for n in range(self.size):
            V[n] = self.var[n]
            Lo[n] = self.lo[n]
            Hi[n] = self.hi[n]
        return var, lo, hi

    cdef int grow(self) noexcept nogil:
        """Double node storage and the unique table; 0 on failure."""
        cdef int64_t cap = self.capacity * 2
        cdef int32_t *v = <int32_t *> realloc(self.var, cap * sizeof(int32_t))
        if v == NULL:
            return 0
        self.var = v
        v = <int32_t *> realloc(self.lo, cap * sizeof(int32_t))
        if v == NULL:
            return 0
        self.lo = v
        v = <int32_t *> realloc(self.hi, cap * sizeof(int32_t))
        if v == NULL:
            return 0
        self.hi = v
        self.capacity = cap
        # unique table at load <= 1/2; computed table about the node count
        cdef uint64_t tsize = (self.table_mask + 1) * 2
        while tsize < <uint64_t>(2 * cap):
            tsize *= 2
        cdef int32_t *t = <int32_t *> malloc(tsize * sizeof(int32_t))
        if t == NULL:
            return 0
        free(self.table)
        self.table = t
        self.table_mask = tsize - 1
        memset(self.table, 0xFF, tsize * sizeof(int32_t))
        cdef int64_t n
        cdef uint64_t h
        for n in range(2, self.size):
            h = mix(self.var[n], self.lo[n], self.hi[n]) & self.table_mask
            while self.table[h] >= 0:
                h = (h + 1) & self.table_mask
            self.table[h] = <int32_t>n
        cdef uint64_t csize = (self.cache_mask + 1)
        if csize < <uint64_t>cap and csize < (1 << 23):  # at most 128 MiB
            csize *= 2
            t = <int32_t *> realloc(self.cache, 4 * csize * sizeof(int32_t))
            if t == NULL:
                return 0
            self.cache = t
            self.cache_mask = csize - 1
            memset(self.cache, 0xFF, 4 * csize * sizeof(int32_t))
        return 1

    cdef int32_t mk(self, int32_t v, int32_t l, int32_t h) noexcept nogil:
        """The node (v, l, h), reduced and unique; BUDGET past the budget."""
        if l == h:
            return l
        cdef uint64_t k = mix(v, l, h) & self.table_mask
        cdef int32_t n
        while True:
            n = self.table[k]
            if n < 0:
                break
            if self.var[n] == v and self.lo[n] == l and self.hi[n] == h:
                return n
            k = (k + 1) & self.table_mask
        if self.size >= self.max_nodes:
            return BUDGET
        if self.size >= self.capacity:
            if not self.grow():
                return BUDGET
            return self.mk(v, l, h)
        n = <int32_t>self.size
        self.size += 1
        self.var[n] = v
        self.lo[n] = l
        self.hi[n] = h
        self.table[k] = n
        return n

    cdef int32_t apply(self, int op, int32_t f, int32_t g) noexcept nogil:
        """AND, OR of f and g (NOT of f when op is OP_NOT)."""
        cdef int32_t t
        if op == OP_NOT:
            if f < 2:
                return 1 - f
        elif op == OP_AND:
            if f == 0 or g == 0:
                return 0
            if f == 1:
                return g
            if g == 1 or f == g:
                return f
        else:
            if f == 1 or g == 1:
                return 1
            if f == 0:
                return g
            if g == 0 or f == g:
                return f
        if g < f and op != OP_NOT:
            t = f
            f = g
            g = t
        cdef uint64_t slot = (mix(op, f, g) & self.cache_mask) * 4
        if (self.cache[slot] == op and self.cache[slot + 1] == f
                and self.cache[slot + 2] == g):
            return self.cache[slot + 3]
        cdef int32_t vf = self.var[f]
        cdef int32_t vg = self.var[g] if op != OP_NOT else self.n_vars
        cdef int32_t v = vf if vf < vg else vg
        cdef int32_t f0 = self.lo[f] if vf == v else f
        cdef int32_t f1 = self.hi[f] if vf == v else f
        cdef int32_t g0 = g, g1 = g
        if op != OP_NOT and vg == v:
            g0 = self.lo[g]
            g1 = self.hi[g]
        cdef int32_t r0 = self.apply(op, f0, g0)
        if r0 == BUDGET:
            return BUDGET
        cdef int32_t r1 = self.apply(op, f1, g1)
        if r1 == BUDGET:
            return BUDGET
        cdef int32_t r = self.mk(v, r0, r1)
        if r == BUDGET:
            return BUDGET
        # the table may have been reallocated by mk: recompute the slot
        slot = (mix(op, f, g) & self.cache_mask) * 4
        self.cache[slot] = op
        self.cache[slot + 1] = f
        self.cache[slot + 2] = g
        self.cache[slot + 3] = r
        return r

    cdef int32_t fold(self, int op, int32_t *kids, int64_t n) noexcept nogil:
        """AND or OR of n diagrams, combined pairwise (a balanced tree).

        Folding left to right copies the growing result at every step when
        the children's variables follow each other (quadratic in the
        number of children); pairing neighbours copies each part only
        log2(n) times. Overwrites ``kids``.
        """
        cdef int64_t width = n, i
        cdef int32_t r
        while width > 1:
            for i in range(width // 2):
                r = self.apply(op, kids[2 * i], kids[2 * i + 1])
                if r == BUDGET:
                    return BUDGET
                kids[i] = r
            if width % 2:
                kids[width // 2] = kids[width - 1]
            width = (width + 1) // 2
        return kids[0]

    cdef int32_t threshold(self, const int32_t *kids, int64_t n, int64_t k,
                           int32_t *work) noexcept nogil:
        """At least k of the n diagrams in kids are true (1 <= k <= n).

        Dynamic programme over children from the last: T[j] = "at least j
        of the children seen so far", T[j] |= kid & T[j-1]. ``work`` holds
        k + 1 ids.
        """
        cdef int64_t i, j, lowest
        cdef int32_t a, b
        work[0] = 1
        for j in range(1, k + 1):
            work[j] = 0
        for i in range(n - 1, -1, -1):
            # children left (this one included): n - i; T[j] for j > n - i is 0
            j = k if k < n - i else n - i
            # only T[k - i .. k] can still reach T[k] at the end
            lowest = k - i
            if lowest < 1:
                lowest = 1
            while j >= lowest:
                a = self.apply(OP_AND, kids[i], work[j - 1])
                if a == BUDGET:
                    return BUDGET
                b = self.apply(OP_OR, work[j], a)
                if b == BUDGET:
                    return BUDGET
                work[j] = b
                j -= 1
        return work[k]


def build(Diagram d, const int32_t[::1] leaf_var not None,
          const int32_t[::1] gate_op not None, const int64_t[::1] gate_k not None,
          const int64_t[::1] child_ptr not None, const int64_t[::1] child_idx not None):
    """Build the diagram of every node; return their ids (int32 array).

    Nodes are leaves ``0..L-1`` (leaf i is variable ``leaf_var[i]``) then
    gates in topological order; gate g has children
    ``child_idx[child_ptr[g]:child_ptr[g + 1]]`` (node indices below
    ``L + g``), op ``GATE_SERIES`` / ``GATE_PARALLEL`` / ``GATE_KOFN`` and
    ``gate_k`` children that must be up. Raises OverflowError (caught by
    slosim.exact) when the node budget is exceeded, with the number of
    nodes finished so far in ``args[1]``.
    """
    cdef int64_t L = leaf_var.shape[0]
    cdef int64_t G = gate_op.shape[0]
    cdef int64_t i, g, c, n, k, m, max_kids = 1
    if gate_k.shape[0] != G or child_ptr.shape[0] != G + 1:
        raise ValueError("gate arrays differ in length")
    if G and (child_ptr[0] != 0 or child_ptr[G] != child_idx.shape[0]):
        raise ValueError("child_ptr does not span child_idx")
    for i in range(L):
        if leaf_var[i] < 0 or leaf_var[i] >= d.n_vars:
            raise ValueError(f"leaf {i}: variable {leaf_var[i]} out of range")
    for g in range(G):
        n = child_ptr[g + 1] - child_ptr[g]
        if n < 1:
            raise ValueError(f"gate {g} has no children")
        if gate_k[g] < 1 or gate_k[g] > n:
            raise ValueError(f"gate {g}: k outside 1..{n}")
        if gate_op[g] < C_SERIES or gate_op[g] > C_KOFN:
            raise ValueError(f"gate {g}: unknown op {gate_op[g]}")
        for c in range(child_ptr[g], child_ptr[g + 1]):
            if child_idx[c] < 0 or child_idx[c] >= L + g:
                raise ValueError(f"gate {g}: child {child_idx[c]} is not an "
                                 f"earlier node")
        max_kids = max(max_kids, n)
    ids = np.empty(L + G, dtype=np.int32)
    cdef int32_t[::1] out = ids
    kid_ids = np.empty(max_kids, dtype=np.int32)
    cdef int32_t[::1] kv = kid_ids
    work_arr = np.empty(max_kids + 1, dtype=np.int32)
    cdef int32_t[::1] work = work_arr
    cdef int32_t r = 0
    cdef int64_t done = 0
    with nogil:
        for i in range(L):
            r = d.mk(leaf_var[i], 0, 1)
            if r == BUDGET:
                break
            out[i] = r
            done += 1
        for g in range(G):
            if r == BUDGET:
                break
            n = child_ptr[g + 1] - child_ptr[g]
            k = gate_k[g]
            for c in range(n):
                kv[c] = out[child_idx[child_ptr[g] + c]]
            if gate_op[g] == C_SERIES or (gate_op[g] == C_KOFN and k == n):
                r = d.fold(OP_AND, &kv[0], n)
            elif gate_op[g] == C_PARALLEL or k == 1:
                r = d.fold(OP_OR, &kv[0], n)
            else:
                m = n - k + 1      # down children that bring the gate down
                if k <= m:
                    r = d.threshold(&kv[0], n, k, &work[0])
                else:
                    # at least k up == not (at least m down)
                    for c in range(n):
                        if r == BUDGET:
                            break
                        r = d.apply(OP_NOT, kv[c], 0)
                        kv[c] = r
                    if r != BUDGET:
                        r = d.threshold(&kv[0], n, m, &work[0])
                    if r != BUDGET:
                        r = d.apply(OP_NOT, r, 0)
            if r == BUDGET:
                break
            out[L + g] = r
            done += 1
    if r == BUDGET:
        raise BudgetExceeded(d.size, done)
    return ids


cdef object _availability(Diagram d, const double[::1] q, r):
    """``r`` as a float64 array, or ``1 - q`` when None."""
    if q.shape[0] != d.n_vars:
        raise ValueError(f"q must have {d.n_vars} entries")
    if r is None:
        return 1.0 - np.asarray(q)
    r = np.ascontiguousarray(r, dtype=np.float64)
    if r.shape != (d.n_vars,):
        raise ValueError(f"r must have {d.n_vars} entries")
    return r


def probabilities(Diagram d, const double[::1] q not None, r=None):
    """Probability that each diagram node is up and that it is down.

    ``q[v]`` is the unavailability of variable v (level order) and ``r[v]``
    its availability (default ``1 - q``; give it when ``q`` is near one and
    ``1 - q`` is known more precisely). Returns ``(up, down)``, float64
    arrays over node ids.
    """
    r_arr = _availability(d, q, r)
    cdef const double[::1] rv = r_arr
    cdef int64_t n, N = d.size
    up_arr = np.empty(N, dtype=np.float64)
    down_arr = np.empty(N, dtype=np.float64)
    cdef double[::1] up = up_arr
    cdef double[::1] down = down_arr
    cdef double qv
    with nogil:
        up[0] = 0.0
        down[0] = 1.0
        up[1] = 1.0
        down[1] = 0.0
        for n in range(2, N):
            qv = q[d.var[n]]
            up[n] = qv * up[d.lo[n]] + rv[d.var[n]] * up[d.hi[n]]
            down[n] = qv * down[d.lo[n]] + rv[d.var[n]] * down[d.hi[n]]
    return up_arr, down_arr


cdef inline void range_add(double *seg, int64_t size, int64_t l, int64_t r,
                           double c) noexcept nogil:
    """Add c to levels [l, r) of a segment tree over ``size`` leaves."""
    l += size
    r += size
    while l < r:
        if l & 1:
            seg[l] += c
            l += 1
        if r & 1:
            r -= 1
            seg[r] += c
        l >>= 1
        r >>= 1


def conditionals(Diagram d, int32_t root, const double[::1] q not None,
                 const double[::1] up not None, const double[::1] down not None,
                 r=None):
    """For each variable: the root's probabilities with it forced up / down.

    ``up`` and ``down`` are from :func:`probabilities` with the same ``q``
    and ``r``. Returns ``(up_if_up, up_if_down, down_if_up, down_if_down)``,
    float64 arrays over variables (level order): availability with the
    variable up, with it down, and unavailability with it up, with it down.
    """
    r_arr = _availability(d, q, r)
    cdef const double[::1] rv = r_arr
    cdef int64_t V = d.n_vars, N = d.size, n, v, size = 1
    if q.shape[0] != V or up.shape[0] != N or down.shape[0] != N:
        raise ValueError("array sizes do not match the diagram")
    if root < 0 or root >= N:
        raise ValueError(f"root {root} is not a node")
    while size < V + 1:
        size *= 2
    uu = np.zeros(V, dtype=np.float64)
    ud = np.zeros(V, dtype=np.float64)
    du = np.zeros(V, dtype=np.float64)
    dd = np.zeros(V, dtype=np.float64)
    top_arr = np.zeros(N, dtype=np.float64)
    seg_up_arr = np.zeros(2 * size, dtype=np.float64)
    seg_down_arr = np.zeros(2 * size, dtype=np.float64)
    cdef double[::1] UU = uu, UD = ud, DU = du, DD = dd, top = top_arr
    cdef double[::1] su = seg_up_arr, sd = seg_down_arr
    cdef double t, w0, w1
    cdef int32_t lv, l, h
    with nogil:
        top[root] = 1.0
        # paths from the virtual source skip every level above the root
        range_add(&su[0], size, 0, d.var[root], up[root])
        range_add(&sd[0], size, 0, d.var[root], down[root])
        n = root
        while n >= 2:
            t = top[n]
            if t > 0.0:
                lv = d.var[n]
                l = d.lo[n]
                h = d.hi[n]
                w0 = q[lv]
                w1 = rv[lv]
                top[l] += t * w0
                top[h] += t * w1
                UU[lv] += t * up[h]
                UD[lv] += t * up[l]
                DU[lv] += t * down[h]
                DD[lv] += t * down[l]
                if d.var[l] > lv + 1:
                    range_add(&su[0], size, lv + 1, d.var[l], t * w0 * up[l])
                    range_add(&sd[0], size, lv + 1, d.var[l], t * w0 * down[l])
                if d.var[h] > lv + 1:
                    range_add(&su[0], size, lv + 1, d.var[h], t * w1 * up[h])
                    range_add(&sd[0], size, lv + 1, d.var[h], t * w1 * down[h])
            n -= 1
        for v in range(V):
            n = v + size
            while n >= 1:
                UU[v] += su[n]
                UD[v] += su[n]
                DU[v] += sd[n]
                DD[v] += sd[n]
                n >>= 1
    return uu, ud, du, dd
