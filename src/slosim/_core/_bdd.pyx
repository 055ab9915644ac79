"""Reduced ordered binary decision diagrams for exact reliability.

Mechanism only: :func:`slosim.exact` chooses the variable order, validates
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

cimport cython
from libc.stdint cimport INT64_MAX, int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy

import numpy as np

cdef enum:
    C_SERIES = 0
    C_PARALLEL = 1
    C_KOFN = 2
    OP_AND = 0
    OP_OR = 1
    OP_NOT = 2
    BUDGET = -1      # a result meaning "node budget exceeded"
    NOMEM = -2       # a result meaning "memory could not be allocated"
    # (both negative: every operation passes a negative result straight up)


class BudgetExceeded(Exception):
    """The node budget was reached: ``args`` are (nodes, graph nodes built).

    Distinct from MemoryError, which :func:`build` raises when the memory
    for nodes within the budget cannot be allocated."""


# Gate op codes accepted by build(); slosim.exact maps a Structure's gate
# kinds to them.
GATE_SERIES = 0
GATE_PARALLEL = 1
GATE_KOFN = 2


ctypedef struct Node:
    int32_t var
    int32_t lo
    int32_t hi
    int32_t next       # next node in the unique table's chain, 0 at the end

ctypedef struct Entry:
    int32_t f          # 0: empty (terminals never reach the computed table)
    int32_t g
    int32_t op
    int32_t r


cdef inline uint64_t hash3(int32_t a, int32_t b, int32_t c) noexcept nogil:
    cdef uint64_t h = ((<uint64_t><uint32_t>a) * 0x9E3779B97F4A7C15ULL
                       + (<uint64_t><uint32_t>b) * 0xC2B2AE3D27D4EB4FULL
                       + (<uint64_t><uint32_t>c) * 0x165667B19E3779F9ULL)
    return h ^ (h >> 29)


cdef enum:
    FIRST_CAPACITY = 4096    # first node slots (doubling as needed)
    FIRST_CACHE = 1 << 14    # first computed-table entries (grows with nodes)
    MAX_CACHE = 1 << 23      # largest computed table: 16-byte entries, 128 MiB


@cython.final
cdef class Diagram:
    """A BDD manager: nodes, unique table, computed table, node budget.

    A node's variable and children sit together (16 bytes with the unique
    table's chain link); the unique table is chained (bucket heads, 0 for
    an empty bucket, since terminals are never in it); the computed table
    is direct-mapped, one 16-byte entry per slot, and keeps its entries
    when it doubles.

    ``Diagram(n_vars, max_nodes, max_slots=INT64_MAX)``: ``max_nodes`` is
    the node budget (:func:`build` raises BudgetExceeded past it);
    ``max_slots`` caps the node slots it allocates, so that a test can make
    an allocation fail (:func:`build` then raises MemoryError).
    """

    cdef Node *nd
    cdef int64_t size          # nodes in use (terminals included)
    cdef int64_t capacity      # allocated node slots
    cdef int64_t max_nodes
    cdef int64_t max_slots     # node slots it may allocate (tests lower it)
    cdef int32_t n_vars
    cdef int32_t *buckets      # unique table: chain heads, 0 empty
    cdef uint64_t bucket_mask
    cdef Entry *cache          # computed table
    cdef uint64_t cache_mask

    def __cinit__(self, int32_t n_vars, int64_t max_nodes,
                  int64_t max_slots=INT64_MAX):
        self.n_vars = n_vars
        self.max_nodes = max_nodes
        self.max_slots = max_slots
        self.capacity = FIRST_CAPACITY
        self.nd = <Node *> malloc(self.capacity * sizeof(Node))
        self.bucket_mask = self.capacity - 1
        self.buckets = <int32_t *> calloc(self.capacity, sizeof(int32_t))
        self.cache_mask = FIRST_CACHE - 1
        self.cache = <Entry *> calloc(FIRST_CACHE, sizeof(Entry))
        if self.nd == NULL or self.buckets == NULL or self.cache == NULL:
            raise MemoryError()
        cdef int i
        for i in range(2):
            self.nd[i].var = n_vars
            self.nd[i].lo = i
            self.nd[i].hi = i
            self.nd[i].next = 0
        self.size = 2

    def __dealloc__(self):
        free(self.nd)
        free(self.buckets)
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
            V[n] = self.nd[n].var
            Lo[n] = self.nd[n].lo
            Hi[n] = self.nd[n].hi
        return var, lo, hi

    cdef int grow(self) noexcept nogil:
        """Double node storage and the unique table; 0 on failure."""
        cdef int64_t cap = self.capacity * 2
        if cap > self.max_slots:
            return 0
        cdef Node *p = <Node *> realloc(self.nd, cap * sizeof(Node))
        if p == NULL:
            return 0
        self.nd = p
        self.capacity = cap
        cdef int32_t *b = <int32_t *> calloc(cap, sizeof(int32_t))
        if b == NULL:
            return 0
        free(self.buckets)
        self.buckets = b
        self.bucket_mask = cap - 1
        cdef int64_t n
        cdef uint64_t k
        for n in range(2, self.size):
            k = hash3(p[n].var, p[n].lo, p[n].hi) & self.bucket_mask
            p[n].next = b[k]
            b[k] = <int32_t>n
        # The computed table follows the node count at half the node slots:
        # larger tables cost more in memory traffic than their extra hits
        # save on graphs built in near-linear time, smaller ones recompute
        # too much on unstructured ones. Doubling keeps every entry
        # reachable (slot s becomes s or s + old size: both hold a copy).
        cdef uint64_t csize = self.cache_mask + 1
        cdef Entry *c
        if 2 * csize < <uint64_t>cap and csize < MAX_CACHE:
            c = <Entry *> realloc(self.cache, 2 * csize * sizeof(Entry))
            if c == NULL:
                return 0
            memcpy(c + csize, c, csize * sizeof(Entry))
            self.cache = c
            self.cache_mask = 2 * csize - 1
        return 1

    cdef int32_t mk(self, int32_t v, int32_t l, int32_t h) noexcept nogil:
        """The node (v, l, h), reduced and unique; BUDGET past the budget,
        NOMEM when the node store cannot grow."""
        if l == h:
            return l
        cdef uint64_t hv = hash3(v, l, h)
        cdef uint64_t k = hv & self.bucket_mask
        cdef int32_t n = self.buckets[k]
        cdef Node *p
        while n:
            p = &self.nd[n]
            if p.lo == l and p.hi == h and p.var == v:
                return n
            n = p.next
        if self.size >= self.max_nodes:
            return BUDGET
        if self.size >= self.capacity:
            if not self.grow():
                return NOMEM
            k = hv & self.bucket_mask
        n = <int32_t>self.size
        self.size += 1
        p = &self.nd[n]
        p.var = v
        p.lo = l
        p.hi = h
        p.next = self.buckets[k]
        self.buckets[k] = n
        return n

    cdef inline int32_t cofactors(self, int32_t f, int32_t g,
                                  int32_t *c) noexcept nogil:
        """Top variable of f and g; c = (f0, f1, g0, g1), its cofactors."""
        cdef Node *nf = &self.nd[f]
        cdef Node *ng = &self.nd[g]
        cdef int32_t v = nf.var
        c[0] = f
        c[1] = f
        c[2] = g
        c[3] = g
        if nf.var <= ng.var:
            c[0] = nf.lo
            c[1] = nf.hi
        if ng.var <= nf.var:
            v = ng.var
            c[2] = ng.lo
            c[3] = ng.hi
        return v

    cdef inline int32_t remember(self, uint64_t hv, int32_t f, int32_t g,
                                 int32_t op, int32_t r) noexcept nogil:
        """Store op(f, g) = r in the computed table (mk may have grown it
        since the slot was looked up); return r."""
        cdef Entry *e = &self.cache[hv & self.cache_mask]
        e.f = f
        e.g = g
        e.op = op
        e.r = r
        return r

    cdef int32_t and_(self, int32_t f, int32_t g) noexcept nogil:
        """Conjunction of f and g."""
        cdef int32_t t
        if f == 0 or g == 0:
            return 0
        if f == 1 or f == g:
            return g
        if g == 1:
            return f
        if g < f:
            t = f
            f = g
            g = t
        cdef uint64_t hv = hash3(f, g, OP_AND)
        cdef Entry *e = &self.cache[hv & self.cache_mask]
        if e.f == f and e.g == g and e.op == OP_AND:
            return e.r
        cdef int32_t c[4]
        cdef int32_t v = self.cofactors(f, g, c)
        cdef int32_t r0 = self.and_(c[0], c[2])
        if r0 < 0:
            return r0
        cdef int32_t r1 = self.and_(c[1], c[3])
        if r1 < 0:
            return r1
        cdef int32_t r = self.mk(v, r0, r1)
        if r < 0:
            return r
        return self.remember(hv, f, g, OP_AND, r)

    cdef int32_t or_(self, int32_t f, int32_t g) noexcept nogil:
        """Disjunction of f and g."""
        cdef int32_t t
        if f == 1 or g == 1:
            return 1
        if f == 0 or f == g:
            return g
        if g == 0:
            return f
        if g < f:
            t = f
            f = g
            g = t
        cdef uint64_t hv = hash3(f, g, OP_OR)
        cdef Entry *e = &self.cache[hv & self.cache_mask]
        if e.f == f and e.g == g and e.op == OP_OR:
            return e.r
        cdef int32_t c[4]
        cdef int32_t v = self.cofactors(f, g, c)
        cdef int32_t r0 = self.or_(c[0], c[2])
        if r0 < 0:
            return r0
        cdef int32_t r1 = self.or_(c[1], c[3])
        if r1 < 0:
            return r1
        cdef int32_t r = self.mk(v, r0, r1)
        if r < 0:
            return r
        return self.remember(hv, f, g, OP_OR, r)

    cdef int32_t not_(self, int32_t f) noexcept nogil:
        """Negation of f."""
        if f < 2:
            return 1 - f
        cdef uint64_t hv = hash3(f, 0, OP_NOT)
        cdef Entry *e = &self.cache[hv & self.cache_mask]
        if e.f == f and e.op == OP_NOT:
            return e.r
        cdef int32_t v = self.nd[f].var, f1 = self.nd[f].hi
        cdef int32_t r0 = self.not_(self.nd[f].lo)
        if r0 < 0:
            return r0
        cdef int32_t r1 = self.not_(f1)
        if r1 < 0:
            return r1
        cdef int32_t r = self.mk(v, r0, r1)
        if r < 0:
            return r
        return self.remember(hv, f, 0, OP_NOT, r)

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
                if op == OP_AND:
                    r = self.and_(kids[2 * i], kids[2 * i + 1])
                else:
                    r = self.or_(kids[2 * i], kids[2 * i + 1])
                if r < 0:
                    return r
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
                a = self.and_(kids[i], work[j - 1])
                if a < 0:
                    return a
                b = self.or_(work[j], a)
                if b < 0:
                    return b
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
    ``gate_k`` children that must be up. Raises BudgetExceeded (caught by
    slosim.exact) when the node budget is exceeded, with the diagram's
    size in ``args[0]`` and the number of graph nodes finished in
    ``args[1]``; MemoryError when memory for the nodes cannot be allocated.
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
            if r < 0:
                break
            out[i] = r
            done += 1
        for g in range(G):
            if r < 0:
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
                        if r < 0:
                            break
                        r = d.not_(kv[c])
                        kv[c] = r
                    if r >= 0:
                        r = d.threshold(&kv[0], n, m, &work[0])
                    if r >= 0:
                        r = d.not_(r)
            if r < 0:
                break
            out[L + g] = r
            done += 1
    if r == NOMEM:
        raise MemoryError(
            f"the decision diagram could not grow past {d.capacity} node slots "
            f"({d.size} nodes, {done} graph nodes built): out of memory")
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
    cdef double qv, rr
    cdef Node *p
    with nogil:
        up[0] = 0.0
        down[0] = 1.0
        up[1] = 1.0
        down[1] = 0.0
        for n in range(2, N):
            p = &d.nd[n]
            qv = q[p.var]
            rr = rv[p.var]
            up[n] = qv * up[p.lo] + rr * up[p.hi]
            down[n] = qv * down[p.lo] + rr * down[p.hi]
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
        range_add(&su[0], size, 0, d.nd[root].var, up[root])
        range_add(&sd[0], size, 0, d.nd[root].var, down[root])
        n = root
        while n >= 2:
            t = top[n]
            if t > 0.0:
                lv = d.nd[n].var
                l = d.nd[n].lo
                h = d.nd[n].hi
                w0 = q[lv]
                w1 = rv[lv]
                top[l] += t * w0
                top[h] += t * w1
                UU[lv] += t * up[h]
                UD[lv] += t * up[l]
                DU[lv] += t * down[h]
                DD[lv] += t * down[l]
                if d.nd[l].var > lv + 1:
                    range_add(&su[0], size, lv + 1, d.nd[l].var, t * w0 * up[l])
                    range_add(&sd[0], size, lv + 1, d.nd[l].var, t * w0 * down[l])
                if d.nd[h].var > lv + 1:
                    range_add(&su[0], size, lv + 1, d.nd[h].var, t * w1 * up[h])
                    range_add(&sd[0], size, lv + 1, d.nd[h].var, t * w1 * down[h])
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
