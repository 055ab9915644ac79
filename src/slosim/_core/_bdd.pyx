"""Reduced ordered binary decision diagrams for exact reliability.

Mechanism only: :func:`slosim.exact` chooses the variable order, validates
the model and builds results. This module

* builds the ROBDD of every node of a DAG (series = AND, parallel = OR,
  k-of-n = threshold, not = complement, over "up" states) bottom-up with a
  unique table and a lossy computed table;
* evaluates, in one bottom-up pass, the probability that each diagram node
  is up and that it is down (two sums of non-negative terms, so both keep
  full relative precision: no unavailability is ever ``1 - (number near 1)``);
* in one top-down pass per journey, the probability of reaching each node,
  and from it, for every variable ``i``, the journey's availability and
  unavailability with ``i`` forced up and forced down;
* the minimal cut sets of a journey as a zero-suppressed diagram
  (:class:`Zdd`, Rauzy's algorithm): their count, the most probable first
  by a best-first search, and, back in the diagram, the union of the cut
  sets containing a variable (Fussell-Vesely importance) or the
  intersection of one set's events (a cut set's joint probability).

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
from libc.stdint cimport INT64_MAX, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.math cimport fabs
from libc.string cimport memcpy, memmove, memset
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock,
                               PyThread_acquire_lock, PyThread_release_lock,
                               WAIT_LOCK)

import numpy as np

cdef enum:
    C_SERIES = 0
    C_PARALLEL = 1
    C_KOFN = 2
    C_NOT = 3
    OP_AND = 0
    OP_OR = 1
    OP_NOT = 2
    BUDGET = -1      # a result meaning "node budget exceeded"
    NOMEM = -2       # a result meaning "memory could not be allocated"
    # (both negative: every operation passes a negative result straight up)


class BudgetExceeded(Exception):
    """The node budget was reached: ``args`` are (nodes, graph nodes built,
    node ids): the ids of the graph nodes built (the first ones, in graph
    order) are valid in the diagram, which keeps them.

    Distinct from MemoryError, which :func:`build` raises when the memory
    for nodes within the budget cannot be allocated."""


# Gate op codes accepted by build(); slosim.exact maps a Structure's gate
# kinds to them.
GATE_SERIES = 0
GATE_PARALLEL = 1
GATE_KOFN = 2
GATE_NOT = 3


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


# --- memory kept for reuse ---------------------------------------------------
#
# A model's solution makes and drops many diagrams (attempts in several
# orders, modules built in a batch), and a program solves many models. Large
# blocks freed to the system come back as fresh pages, each faulted in and
# zeroed by the kernel on first touch: a fifth of the time of a 30 ms solve.
# Node stores and tables therefore come from a small pool of freed blocks
# (best fit, within four times the request), kept up to a limit
# (:func:`memory_pool`), the oldest given back first. The lock makes it safe
# for diagrams built in several threads at once.

cdef enum:
    POOL_SLOTS = 32          # blocks kept at most
    POOL_HEADER = 64         # bytes before a block's memory: its size
    POOL_SMALLEST = 1 << 16  # smaller blocks: malloc's own heap serves them

cdef PyThread_type_lock pool_lock = PyThread_allocate_lock()
cdef char *pool_block[POOL_SLOTS]     # raw blocks, oldest first
cdef int64_t pool_count = 0
cdef size_t pool_held = 0             # bytes in pool_block
cdef size_t pool_limit = 64 << 20


cdef inline size_t block_bytes(char *raw) noexcept nogil:
    return (<size_t *> raw)[0]


cdef void pool_take(int64_t i) noexcept nogil:
    """Remove block i from the pool (the lock held)."""
    global pool_held, pool_count
    pool_held -= block_bytes(pool_block[i])
    memmove(&pool_block[i], &pool_block[i + 1], (pool_count - i - 1) * sizeof(char *))
    pool_count -= 1


cdef char *pool_reuse(size_t n) noexcept nogil:
    """A kept block of at least ``n`` bytes, taken from the pool (the best
    fit within four times ``n``), or NULL."""
    cdef int64_t i, best = -1
    cdef char *raw = NULL
    if n >= POOL_SMALLEST:
        PyThread_acquire_lock(pool_lock, WAIT_LOCK)
        for i in range(pool_count - 1, -1, -1):      # the newest first
            if (n <= block_bytes(pool_block[i]) <= 4 * n and
                    (best < 0 or block_bytes(pool_block[i]) < block_bytes(pool_block[best]))):
                best = i
        if best >= 0:
            raw = pool_block[best]
            pool_take(best)
        PyThread_release_lock(pool_lock)
    return raw


cdef void *pool_malloc(size_t n) noexcept nogil:
    """``n`` bytes (not zeroed), NULL when memory is exhausted; give them
    back with :func:`pool_free`."""
    cdef char *raw = pool_reuse(n)
    if raw == NULL:
        raw = <char *> malloc(n + POOL_HEADER)
        if raw == NULL:
            return NULL
        (<size_t *> raw)[0] = n
    return raw + POOL_HEADER


cdef void *pool_calloc(size_t n) noexcept nogil:
    """``n`` zero bytes, as :func:`pool_malloc`: a new block from calloc,
    whose fresh pages the system zeroes as they are first touched."""
    cdef char *raw = pool_reuse(n)
    if raw != NULL:
        memset(raw + POOL_HEADER, 0, n)
        return raw + POOL_HEADER
    raw = <char *> calloc(n + POOL_HEADER, 1)
    if raw == NULL:
        return NULL
    (<size_t *> raw)[0] = n
    return raw + POOL_HEADER


cdef void *pool_realloc(void *p, size_t used, size_t n) noexcept nogil:
    """A block of ``n`` bytes beginning with the first ``used`` of ``p``
    (``p`` itself when it holds ``n``); NULL, ``p`` unchanged, on failure."""
    if p != NULL and block_bytes(<char *> p - POOL_HEADER) >= n:
        return p
    cdef void *q = pool_malloc(n)
    if q == NULL:
        return NULL
    if p != NULL:
        memcpy(q, p, used)
        pool_free(p)
    return q


cdef void pool_trim(size_t room, bint slot) noexcept nogil:
    """Give the oldest blocks back until ``room`` more bytes fit within the
    limit and, with ``slot``, a slot is free (the lock held)."""
    global pool_held, pool_count
    cdef char *raw
    while pool_count and ((slot and pool_count == POOL_SLOTS)
                          or pool_held + room > pool_limit):
        raw = pool_block[0]
        pool_take(0)
        free(raw)


cdef void pool_free(void *p) noexcept nogil:
    """Return a block of :func:`pool_malloc` (NULL: nothing)."""
    global pool_held, pool_count
    if p == NULL:
        return
    cdef char *raw = <char *> p - POOL_HEADER
    cdef size_t n = block_bytes(raw)
    cdef bint keep = n >= POOL_SMALLEST
    if keep:
        PyThread_acquire_lock(pool_lock, WAIT_LOCK)
        keep = n <= pool_limit
        if keep:
            pool_trim(n, True)
            pool_block[pool_count] = raw
            pool_count += 1
            pool_held += n
        PyThread_release_lock(pool_lock)
    if not keep:
        free(raw)


def memory_pool(limit=None):
    """``(held, limit)``: the bytes of freed diagram storage kept for reuse,
    and the most that may be kept. ``limit`` (bytes, ``>= 0``) sets the
    latter first, giving back what no longer fits; 0 keeps none."""
    global pool_limit
    cdef size_t bytes
    if limit is not None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0 bytes, got {limit}")
        bytes = limit
        with nogil:
            PyThread_acquire_lock(pool_lock, WAIT_LOCK)
            pool_limit = bytes
            pool_trim(0, False)
            PyThread_release_lock(pool_lock)
    return int(pool_held), int(pool_limit)


cdef inline uint64_t hash3(int32_t a, int32_t b, int32_t c) noexcept nogil:
    cdef uint64_t h = ((<uint64_t><uint32_t>a) * 0x9E3779B97F4A7C15ULL
                       + (<uint64_t><uint32_t>b) * 0xC2B2AE3D27D4EB4FULL
                       + (<uint64_t><uint32_t>c) * 0x165667B19E3779F9ULL)
    return h ^ (h >> 29)


cdef enum:
    MIN_CAPACITY = 64        # first node slots of a diagram of few variables
    FIRST_CAPACITY = 4096    # first node slots (doubling as needed)
    FIRST_CACHE = 1 << 14    # first computed-table entries (grows with nodes)
    MAX_CACHE = 1 << 23      # largest computed table: 16-byte entries, 128 MiB


cdef inline int64_t first_capacity(int32_t n_vars) noexcept nogil:
    """First node slots of a diagram (its computed table gets four times as
    many, up to FIRST_CACHE): in proportion to its variables, up to
    FIRST_CAPACITY. A module of a few events is one of hundreds in a
    model, and zeroing a full-size computed table for each (a fresh 256 KiB
    from the system, page by page) costs more than building it."""
    cdef int64_t cap = MIN_CAPACITY
    while cap < 16 * (<int64_t>n_vars + 2) and cap < FIRST_CAPACITY:
        cap *= 2
    return cap


cdef int grow_cache(Entry **cache, uint64_t *cache_mask, uint64_t want) noexcept nogil:
    """Double a computed table until it has ``want`` entries (at most
    MAX_CACHE); 0 on failure (nothing is lost). Doubling keeps every entry
    reachable (slot s becomes s or s + old size: both hold a copy)."""
    cdef uint64_t csize = cache_mask[0] + 1
    cdef Entry *c
    while csize < want and csize < MAX_CACHE:
        c = <Entry *> pool_realloc(cache[0], csize * sizeof(Entry), 2 * csize * sizeof(Entry))
        if c == NULL:
            return 0
        memcpy(c + csize, c, csize * sizeof(Entry))
        cache[0] = c
        csize *= 2
        cache_mask[0] = csize - 1
    return 1


cdef int grow_tables(Node **nodes, int64_t *capacity, int64_t size,
                     int64_t max_slots, int32_t **buckets, uint64_t *bucket_mask,
                     Entry **cache, uint64_t *cache_mask, int64_t want) noexcept nogil:
    """Double a node store and its unique table (or more, towards ``want``
    node slots within ``max_slots``: one rehash), rehashing nodes
    ``2..size-1``, and let its computed table follow; 0 on failure
    (nothing is lost)."""
    cdef int64_t cap = capacity[0] * 2
    while cap < want and 2 * cap <= max_slots:
        cap *= 2
    if cap > max_slots:
        return 0
    cdef Node *p = <Node *> pool_realloc(nodes[0], size * sizeof(Node), cap * sizeof(Node))
    if p == NULL:
        return 0
    nodes[0] = p
    capacity[0] = cap
    cdef int32_t *b = <int32_t *> pool_calloc(cap * sizeof(int32_t))
    if b == NULL:
        return 0
    pool_free(buckets[0])
    buckets[0] = b
    bucket_mask[0] = cap - 1
    cdef int64_t n
    cdef uint64_t k
    for n in range(2, size):
        k = hash3(p[n].var, p[n].lo, p[n].hi) & bucket_mask[0]
        p[n].next = b[k]
        b[k] = <int32_t>n
    # The computed table follows the node count at half the node slots:
    # larger tables cost more in memory traffic than their extra hits
    # save on graphs built in near-linear time, smaller ones recompute
    # too much on unstructured ones.
    return grow_cache(cache, cache_mask, <uint64_t>cap // 2)


@cython.final
cdef class Diagram:
    """A BDD manager: nodes, unique table, computed table, node budget.

    A node's variable and children sit together (16 bytes with the unique
    table's chain link); the unique table is chained (bucket heads, 0 for
    an empty bucket, since terminals are never in it); the computed table
    is direct-mapped, one 16-byte entry per slot, and keeps its entries
    when it doubles.

    ``Diagram(n_vars, max_nodes, max_slots=INT64_MAX, capacity=0)``:
    ``max_nodes`` is the node budget (:func:`build` raises BudgetExceeded
    past it); ``max_slots`` caps the node slots it allocates, so that a
    test can make an allocation fail (:func:`build` then raises
    MemoryError); ``capacity``, the node slots to start with (rounded up
    to a power of two; the computed table gets half as many), spares the
    rehashing on the way for a build expected to use them.
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
                  int64_t max_slots=INT64_MAX, int64_t capacity=0):
        self.n_vars = n_vars
        self.max_nodes = max_nodes
        self.max_slots = max_slots
        self.capacity = first_capacity(n_vars)
        while self.capacity < capacity and 2 * self.capacity <= max_slots:
            self.capacity *= 2
        cdef uint64_t csize = min(<uint64_t>FIRST_CACHE, 4 * <uint64_t>self.capacity)
        while 2 * csize < <uint64_t>self.capacity and csize < MAX_CACHE:
            csize *= 2
        self.nd = <Node *> pool_malloc(self.capacity * sizeof(Node))
        self.bucket_mask = self.capacity - 1
        self.buckets = <int32_t *> pool_calloc(self.capacity * sizeof(int32_t))
        self.cache_mask = csize - 1
        self.cache = <Entry *> pool_calloc(csize * sizeof(Entry))
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
        pool_free(self.nd)
        pool_free(self.buckets)
        pool_free(self.cache)

    @property
    def nodes(self):
        """Nodes in use, the two terminals included."""
        return self.size

    @property
    def budget(self):
        """The node budget ``max_nodes``; raise it to build more functions
        in a finished diagram (it never lowers below the nodes in use)."""
        return self.max_nodes

    @budget.setter
    def budget(self, int64_t value):
        self.max_nodes = max(value, self.size)

    def reserve(self, int64_t capacity):
        """Grow the tables to at least ``capacity`` node slots (within
        the slots it may allocate) before a build expected to need them."""
        if self.capacity < capacity and 2 * self.capacity <= self.max_slots:
            if not grow_tables(&self.nd, &self.capacity, self.size, self.max_slots,
                               &self.buckets, &self.bucket_mask, &self.cache,
                               &self.cache_mask, capacity):
                raise MemoryError()

    def truncate(self, int64_t size):
        """Remove the nodes from id ``size`` on: the functions built since
        the diagram had ``size`` nodes, which no older node refers to.

        Unique-table chains hold nodes in decreasing id order (a new node
        goes first; a rehash inserts in increasing order), so the removed
        nodes, taken from the last, each lead their chain; computed-table
        entries that name a removed node are cleared. The storage is kept.
        """
        if size < 2 or size > self.size:
            raise ValueError(f"size must be in [2, {self.size}]")
        cdef uint64_t k
        cdef int64_t n
        cdef Entry *e
        with nogil:
            for n in range(self.size - 1, size - 1, -1):
                k = hash3(self.nd[n].var, self.nd[n].lo, self.nd[n].hi) & self.bucket_mask
                self.buckets[k] = self.nd[n].next
            for k in range(self.cache_mask + 1):
                e = &self.cache[k]
                if e.f >= size or e.g >= size or e.r >= size:
                    e.f = 0
            self.size = size

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
        return grow_tables(&self.nd, &self.capacity, self.size, self.max_slots,
                           &self.buckets, &self.bucket_mask, &self.cache,
                           &self.cache_mask, 0)

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
          const int64_t[::1] child_ptr not None, const int64_t[::1] child_idx not None,
          resume=None, segments=None, budgets=None, starts=None):
    """Build the diagram of every node; return their ids (int32 array).

    Nodes are leaves ``0..L-1`` (leaf i is variable ``leaf_var[i]``) then
    gates in topological order; gate g has children
    ``child_idx[child_ptr[g]:child_ptr[g + 1]]`` (node indices below
    ``L + g``), op ``GATE_SERIES`` / ``GATE_PARALLEL`` / ``GATE_KOFN`` and
    ``gate_k`` children that must be up, or ``GATE_NOT`` (one child; down
    when it is up; ``gate_k`` 1). Raises BudgetExceeded (caught by
    slosim.exact) when the node budget is exceeded, with the diagram's
    size in ``args[0]``, the number of graph nodes finished in
    ``args[1]`` and the ids array in ``args[2]`` (valid for those);
    MemoryError when memory for the nodes cannot be allocated.

    ``resume=(ids, done)``, the last two of such a BudgetExceeded's args
    for the same diagram and graph, continues that build (after raising
    the diagram's budget) from graph node ``done``: the nodes built so far
    stay valid in the diagram.

    ``segments`` (int64, ``S + 1`` gate numbers from 0 to G), with
    ``budgets`` and ``starts`` (int64, ``S`` each): the gates are ``S``
    independent segments, segment ``s`` the gates ``segments[s]`` to
    ``segments[s + 1] - 1``, none reading another's gates; it may make
    ``budgets[s]`` nodes (within the diagram's budget in all), and
    ``starts[s]`` records the diagram's size when it began. A leaf's node
    is then made when a gate first reads it, so that a segment's nodes are
    the ids from its start to the next one's, and a leaf no gate reads
    keeps the id -1. The diagram's budget is the same at the end.
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
        if gate_op[g] < C_SERIES or gate_op[g] > C_NOT:
            raise ValueError(f"gate {g}: unknown op {gate_op[g]}")
        if gate_op[g] == C_NOT and n != 1:
            raise ValueError(f"gate {g}: a NOT gate has one child, got {n}")
        for c in range(child_ptr[g], child_ptr[g + 1]):
            if child_idx[c] < 0 or child_idx[c] >= L + g:
                raise ValueError(f"gate {g}: child {child_idx[c]} is not an "
                                 f"earlier node")
        max_kids = max(max_kids, n)
    cdef int64_t done = 0, S = 0, nxt = 0, cap = d.max_nodes
    cdef const int64_t[::1] seg
    cdef const int64_t[::1] seg_budget
    cdef int64_t[::1] seg_start
    cdef bint lazy = segments is not None
    if lazy:
        seg, seg_budget, seg_start = segments, budgets, starts
        S = seg.shape[0] - 1
        if S < 0 or seg[0] != 0 or seg[S] != G:
            raise ValueError("segments must run from gate 0 to the last")
        if seg_budget.shape[0] != S or seg_start.shape[0] != S:
            raise ValueError("budgets and starts need one entry per segment")
        for i in range(S):
            if seg[i + 1] < seg[i]:
                raise ValueError("segments must not decrease")
    if resume is None:
        ids = np.empty(L + G, dtype=np.int32)
        if lazy:
            ids[:L] = -1
            done = L
    else:
        ids, done = resume
        if (not isinstance(ids, np.ndarray) or ids.dtype != np.int32
                or ids.shape != (L + G,) or not 0 <= done <= L + G):
            raise ValueError("resume must be (ids, done) of a build of this graph")
    cdef int32_t[::1] out = ids
    kid_ids = np.empty(max_kids, dtype=np.int32)
    cdef int32_t[::1] kv = kid_ids
    work_arr = np.empty(max_kids + 1, dtype=np.int32)
    cdef int32_t[::1] work = work_arr
    cdef int32_t r = 0
    cdef int64_t x
    if lazy:
        while nxt < S and seg[nxt] < done - L:
            nxt += 1
    with nogil:
        for i in range(done, L):
            r = d.mk(leaf_var[i], 0, 1)
            if r < 0:
                break
            out[i] = r
            done += 1
        for g in range(max(0, done - L), G):
            if r < 0:
                break
            while nxt < S and seg[nxt] == g:
                # a segment begins: its own budget from here
                seg_start[nxt] = d.size
                d.max_nodes = min(cap, d.size + max(0, seg_budget[nxt]))
                nxt += 1
            n = child_ptr[g + 1] - child_ptr[g]
            k = gate_k[g]
            for c in range(n):
                x = child_idx[child_ptr[g] + c]
                if x < L and out[x] < 0:
                    r = d.mk(leaf_var[x], 0, 1)
                    if r < 0:
                        break
                    out[x] = r
                kv[c] = out[x]
            if r < 0:
                break
            if gate_op[g] == C_NOT:
                r = d.not_(kv[0])
            elif gate_op[g] == C_SERIES or (gate_op[g] == C_KOFN and k == n):
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
    if lazy:
        d.max_nodes = cap
    if r == NOMEM:
        raise MemoryError(
            f"the decision diagram could not grow past {d.capacity} node slots "
            f"({d.size} nodes, {done} graph nodes built): out of memory")
    if r == BUDGET:
        raise BudgetExceeded(d.size, done, ids)
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


cdef void bottom_up(Diagram d, const double *q, const double *r, double *up,
                    double *down, int64_t start, int64_t stop,
                    const int32_t *var_node) noexcept nogil:
    """Up and down of the terminals and of node ids ``start`` to ``stop -
    1``: variable ``v`` down with probability ``q[v]``, up with ``r[v]``,
    or (``var_node`` given, ``var_node[v] >= 0``) as node ``var_node[v]``,
    computed before."""
    cdef int64_t n
    cdef int32_t m
    cdef Node *p
    up[0] = 0.0
    down[0] = 1.0
    up[1] = 1.0
    down[1] = 0.0
    for n in range(start, stop):
        p = &d.nd[n]
        m = -1 if var_node == NULL else var_node[p.var]
        if m < 0:
            up[n] = q[p.var] * up[p.lo] + r[p.var] * up[p.hi]
            down[n] = q[p.var] * down[p.lo] + r[p.var] * down[p.hi]
        else:
            up[n] = down[m] * up[p.lo] + up[m] * up[p.hi]
            down[n] = down[m] * down[p.lo] + up[m] * down[p.hi]


def probabilities(Diagram d, const double[::1] q not None, r=None):
    """Probability that each diagram node is up and that it is down.

    ``q[v]`` is the unavailability of variable v (level order) and ``r[v]``
    its availability (default ``1 - q``; give it when ``q`` is near one and
    ``1 - q`` is known more precisely). Returns ``(up, down)``, float64
    arrays over node ids.
    """
    r_arr = _availability(d, q, r)
    cdef const double[::1] rv = r_arr
    cdef int64_t N = d.size
    up_arr = np.empty(N, dtype=np.float64)
    down_arr = np.empty(N, dtype=np.float64)
    cdef double[::1] up = up_arr
    cdef double[::1] down = down_arr
    with nogil:
        bottom_up(d, &q[0], &rv[0], &up[0], &down[0], 2, N, NULL)
    return up_arr, down_arr


cdef int64_t mark_reachable(Diagram d, const int32_t[::1] roots, uint8_t[::1] seen,
                            int32_t[::1] stack) noexcept nogil:
    """Set ``seen[n]`` for every node (terminals aside) the roots reach;
    returns how many. ``stack`` holds ``d.size + len(roots)`` ids."""
    cdef int64_t i, top = 0, count = 0
    cdef int32_t n
    for i in range(roots.shape[0]):
        stack[top] = roots[i]
        top += 1
    while top:
        top -= 1
        n = stack[top]
        if n < 2 or seen[n]:
            continue
        seen[n] = 1
        count += 1
        stack[top] = d.nd[n].lo
        stack[top + 1] = d.nd[n].hi
        top += 2
    return count


cdef check_roots(Diagram d, const int32_t[::1] roots):
    cdef int64_t i
    for i in range(roots.shape[0]):
        if not 0 <= roots[i] < d.size:
            raise ValueError(f"root {roots[i]} is not a node")


def reachable(Diagram d, const int32_t[::1] roots not None):
    """How many nodes (terminals aside) the given roots reach: the live
    part of a diagram built so far."""
    check_roots(d, roots)
    cdef uint8_t[::1] seen = np.zeros(d.size, dtype=np.uint8)
    cdef int32_t[::1] stack = np.empty(d.size + roots.shape[0], dtype=np.int32)
    cdef int64_t count
    with nogil:
        count = mark_reachable(d, roots, seen, stack)
    return count


def compact(Diagram d, const int32_t[::1] roots not None):
    """``(Diagram, new roots)``: a new manager of the nodes the roots reach
    alone, in their order (children still before parents), with its
    unique table rebuilt, an empty computed table and ``d``'s budget.

    A diagram built with intermediate results holds many nodes no root
    reaches (das9601's largest module: 221,010 built, 17,612 reached);
    every pass of an evaluation costs time in the nodes it holds.
    """
    check_roots(d, roots)
    cdef int64_t N = d.size, i
    cdef uint8_t[::1] seen = np.zeros(N, dtype=np.uint8)
    cdef int32_t[::1] new = np.empty(N + roots.shape[0], dtype=np.int32)
    cdef int64_t count
    with nogil:
        count = mark_reachable(d, roots, seen, new)     # new: the stack first
    cdef Diagram out = Diagram(d.n_vars, d.max_nodes, d.max_slots, capacity=count + 2)
    cdef Node *p
    cdef uint64_t k
    cdef int32_t m = 2
    new[0], new[1] = 0, 1
    with nogil:
        for i in range(2, N):
            if seen[i]:
                new[i] = m
                p = &out.nd[m]
                p.var = d.nd[i].var
                p.lo = new[d.nd[i].lo]
                p.hi = new[d.nd[i].hi]
                k = hash3(p.var, p.lo, p.hi) & out.bucket_mask
                p.next = out.buckets[k]
                out.buckets[k] = m
                m += 1
        out.size = m
    got = np.empty(roots.shape[0], dtype=np.int32)
    cdef int32_t[::1] g = got
    for i in range(roots.shape[0]):
        g[i] = new[roots[i]]
    return out, got


def probabilities_between(Diagram d, const double[::1] q not None,
                          const double[::1] r not None, double[::1] up not None,
                          double[::1] down not None, int64_t start, int64_t stop,
                          const int32_t[::1] var_node not None):
    """:func:`probabilities` of node ids ``start`` to ``stop - 1`` (and
    of the terminals), into ``up`` and ``down``: variable ``v`` is down
    with probability ``q[v]`` and up with ``r[v]``, or, when ``var_node[v]
    >= 0``, as node ``var_node[v]`` (a diagram below ``start`` or built
    before the nodes labelled ``v``: a module's root, its variable above).
    """
    cdef int64_t V = d.n_vars, N = d.size
    cdef int32_t v
    if q.shape[0] != V or r.shape[0] != V or var_node.shape[0] != V:
        raise ValueError(f"q, r and var_node must have {V} entries")
    if up.shape[0] != N or down.shape[0] != N:
        raise ValueError(f"up and down must have {N} entries")
    if not 2 <= start <= stop <= N:
        raise ValueError(f"start and stop must be within [2, {N}]")
    for v in range(V):
        if var_node[v] >= N:
            raise ValueError(f"variable {v}: node {var_node[v]} out of range")
    with nogil:
        bottom_up(d, &q[0], &r[0], &up[0], &down[0], start, stop, &var_node[0])


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


cdef void top_down(Diagram d, int32_t root, int64_t lo, int64_t vlo, int64_t vhi,
                   const double *q, const double *rv, const double *up,
                   const double *down, double *top, double *su, double *sd,
                   int64_t size, double *UU, double *UD, double *DU,
                   double *DD) noexcept nogil:
    """The top-down pass of :func:`conditionals` from ``root`` over node ids
    ``lo`` to ``root`` (every node ``root`` reaches, terminals aside),
    for the levels ``vlo`` to ``vhi - 1`` (those of every variable it
    reaches): ``top`` gets the probability of reaching each node, the
    level sums their conditional terms, and the segment trees ``su``,
    ``sd`` the terms of the edges that skip levels (clipped to the range:
    no variable outside it matters to ``root``)."""
    cdef int64_t n
    cdef double t, w0, w1
    cdef int32_t lv, l, h
    top[root] = 1.0
    # paths from the virtual source skip every level above the root
    if d.nd[root].var > vlo:
        range_add(su, size, vlo, min(d.nd[root].var, vhi), up[root])
        range_add(sd, size, vlo, min(d.nd[root].var, vhi), down[root])
    n = root
    while n >= lo and n >= 2:
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
            if d.nd[l].var > lv + 1 and lv + 1 < vhi:
                range_add(su, size, lv + 1, min(d.nd[l].var, vhi), t * w0 * up[l])
                range_add(sd, size, lv + 1, min(d.nd[l].var, vhi), t * w0 * down[l])
            if d.nd[h].var > lv + 1 and lv + 1 < vhi:
                range_add(su, size, lv + 1, min(d.nd[h].var, vhi), t * w1 * up[h])
                range_add(sd, size, lv + 1, min(d.nd[h].var, vhi), t * w1 * down[h])
        n -= 1


cdef void add_skips(int64_t vlo, int64_t vhi, const double *su, const double *sd,
                    int64_t size, double *UU, double *UD, double *DU,
                    double *DD) noexcept nogil:
    """Add the segment trees' sums to levels ``vlo`` to ``vhi - 1``."""
    cdef int64_t v, n
    for v in range(vlo, vhi):
        n = v + size
        while n >= 1:
            UU[v] += su[n]
            UD[v] += su[n]
            DU[v] += sd[n]
            DD[v] += sd[n]
            n >>= 1


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
    if root < 0 or root >= d.size:
        raise ValueError(f"root {root} is not a node")
    roots = np.array([root], dtype=np.int32)
    return _conditionals(d, roots, np.array([2]), np.array([0]),
                         np.array([d.n_vars]), q, r_arr, up, down)


def part_conditionals(Diagram d, const int32_t[::1] roots not None,
                      const int64_t[::1] los not None, const int64_t[::1] vlos not None,
                      const int64_t[::1] vhis not None, const double[::1] q not None,
                      const double[::1] r not None, const double[::1] up not None,
                      const double[::1] down not None):
    """:func:`conditionals` of several roots at once, each over its own
    levels: root ``roots[i]`` reaches only node ids from ``los[i]`` and
    variables ``vlos[i]`` to ``vhis[i] - 1``, ranges no other root's
    overlaps (the modules of a diagram built in segments). Returns the
    four arrays over all variables, each root's range of levels filled.
    """
    cdef int64_t i, V = d.n_vars, N = d.size, K = roots.shape[0]
    if los.shape[0] != K or vlos.shape[0] != K or vhis.shape[0] != K:
        raise ValueError("roots, los, vlos and vhis differ in length")
    for i in range(K):
        if not (0 <= roots[i] < N and (roots[i] < 2 or 2 <= los[i] <= roots[i])):
            raise ValueError(f"root {roots[i]} is neither a terminal nor a node "
                             f"from {los[i]}")
        if not 0 <= vlos[i] <= vhis[i] <= V:
            raise ValueError(f"levels {vlos[i]}..{vhis[i]} outside 0..{V}")
    return _conditionals(d, roots, los, vlos, vhis, q, r, up, down)


cdef object _conditionals(Diagram d, const int32_t[::1] roots, const int64_t[::1] los,
                          const int64_t[::1] vlos, const int64_t[::1] vhis,
                          const double[::1] q, const double[::1] rv,
                          const double[::1] up, const double[::1] down):
    cdef int64_t V = d.n_vars, N = d.size, i, size = 1
    if q.shape[0] != V or rv.shape[0] != V or up.shape[0] != N or down.shape[0] != N:
        raise ValueError("array sizes do not match the diagram")
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
    with nogil:
        for i in range(roots.shape[0]):
            top_down(d, roots[i], los[i], vlos[i], vhis[i], &q[0], &rv[0], &up[0],
                     &down[0], &top[0], &su[0], &sd[0], size, &UU[0], &UD[0],
                     &DU[0], &DD[0])
        for i in range(roots.shape[0]):
            add_skips(vlos[i], vhis[i], &su[0], &sd[0], size, &UU[0], &UD[0], &DU[0],
                      &DD[0])
    return uu, ud, du, dd


# --- minimal cut sets: zero-suppressed diagrams (Rauzy 1993) ---------------
#
# A journey's failure function g = not f is monotone in the "down" literals
# x_v = not up_v. Its minimal solutions (the minimal cut sets) form a
# family of sets of variables, kept as a zero-suppressed BDD (ZBDD): node
# (v, lo, hi) is the family lo (no set has v) plus the sets of hi with v
# added. Over the BDD node n = (v, lo = f if v down, hi = f if v up),
#
#     MCS(g_n) = MCS(g_hi) + v . (MCS(g_lo) without MCS(g_hi)),
#
# where "P without Q" keeps the sets of P that contain no set of Q: a
# solution through v down is minimal when no solution without v is inside
# it. The terminal "down" of f is the family {{}} (g holds with no event),
# the terminal "up" the empty family.


cdef enum:
    OP_WITHOUT = 3
    MAX_BOUND_TABLE = 1 << 25    # most (node, order) entries of a bound table
    NO_SET = 1 << 30             # shortest set of the empty family
    CACHE_PER_NODE = 4           # computed-table entries per diagram node


@cython.final
cdef class Zdd:
    """A ZBDD manager: families of sets of variables, with a node budget.

    Node 0 is the empty family, node 1 the family holding only the empty
    set; both sit at level ``n_vars``. Node (var, lo, hi) holds the sets of
    ``lo`` (none contains ``var``, nor any smaller variable) and the sets
    of ``hi`` with ``var`` added; a node whose ``hi`` is the empty family
    is never built (zero suppression), so every set of a family is a path
    to node 1 and every node holds at least one set. Ids are a topological
    order, children first. Storage, unique table and computed table are
    laid out as :class:`Diagram`'s; each node also keeps the sizes of its
    family's shortest and longest sets (``without`` stops early on them).

    ``Zdd(n_vars, max_nodes, max_slots=INT64_MAX)``: as :class:`Diagram`.
    """

    cdef Node *nd
    cdef int64_t size
    cdef int64_t capacity
    cdef int64_t max_nodes
    cdef int64_t max_slots
    cdef int32_t n_vars
    cdef int32_t *buckets
    cdef uint64_t bucket_mask
    cdef Entry *cache
    cdef uint64_t cache_mask
    cdef int32_t *shortest     # per node: size of its shortest set (NO_SET: none)
    cdef int32_t *longest      # per node: size of its longest set (-1: none)

    def __cinit__(self, int32_t n_vars, int64_t max_nodes,
                  int64_t max_slots=INT64_MAX):
        self.n_vars = n_vars
        self.max_nodes = max_nodes
        self.max_slots = max_slots
        self.capacity = first_capacity(n_vars)
        cdef uint64_t csize = min(<uint64_t>FIRST_CACHE, 4 * <uint64_t>self.capacity)
        self.nd = <Node *> pool_malloc(self.capacity * sizeof(Node))
        self.bucket_mask = self.capacity - 1
        self.buckets = <int32_t *> pool_calloc(self.capacity * sizeof(int32_t))
        self.cache_mask = csize - 1
        self.cache = <Entry *> pool_calloc(csize * sizeof(Entry))
        self.shortest = <int32_t *> pool_malloc(self.capacity * sizeof(int32_t))
        self.longest = <int32_t *> pool_malloc(self.capacity * sizeof(int32_t))
        if (self.nd == NULL or self.buckets == NULL or self.cache == NULL
                or self.shortest == NULL or self.longest == NULL):
            raise MemoryError()
        cdef int i
        for i in range(2):
            self.nd[i].var = n_vars
            self.nd[i].lo = 0
            self.nd[i].hi = 0
            self.nd[i].next = 0
        self.shortest[0] = NO_SET
        self.longest[0] = -1
        self.shortest[1] = 0
        self.longest[1] = 0
        self.size = 2

    def __dealloc__(self):
        pool_free(self.nd)
        pool_free(self.buckets)
        pool_free(self.cache)
        pool_free(self.shortest)
        pool_free(self.longest)

    @property
    def nodes(self):
        """Nodes in use, the two terminals included."""
        return self.size

    @property
    def budget(self):
        """The node budget ``max_nodes`` (settable; never below the nodes
        in use)."""
        return self.max_nodes

    @budget.setter
    def budget(self, int64_t value):
        self.max_nodes = max(value, self.size)

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

    cdef int32_t mk(self, int32_t v, int32_t l, int32_t h) noexcept nogil:
        """The node (v, l, h), zero-suppressed and unique; BUDGET past the
        budget, NOMEM when the node store cannot grow."""
        if h == 0:
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
        self.shortest[n] = min(self.shortest[l], self.shortest[h] + 1)
        self.longest[n] = max(self.longest[l], self.longest[h] + 1)
        return n

    cdef int grow(self) noexcept nogil:
        """Double the node store, its tables and the set sizes; 0 on failure."""
        cdef int32_t *a
        if not grow_tables(&self.nd, &self.capacity, self.size, self.max_slots,
                           &self.buckets, &self.bucket_mask, &self.cache,
                           &self.cache_mask, 0):
            return 0
        a = <int32_t *> pool_realloc(self.shortest, self.size * sizeof(int32_t),
                                     self.capacity * sizeof(int32_t))
        if a == NULL:
            return 0
        self.shortest = a
        a = <int32_t *> pool_realloc(self.longest, self.size * sizeof(int32_t),
                                     self.capacity * sizeof(int32_t))
        if a == NULL:
            return 0
        self.longest = a
        return 1

    cdef int cache_for(self, int64_t work) noexcept nogil:
        """Grow the computed table towards ``work`` entries (a power of two,
        at most MAX_CACHE); 0 on failure. ``without`` revisits pairs of
        nodes far more often than the diagram operations do: a table that
        only follows the node count thrashes."""
        return grow_cache(&self.cache, &self.cache_mask, <uint64_t>work)

    cdef int32_t without(self, int32_t p, int32_t q) noexcept nogil:
        """The sets of family p that contain no set of family q."""
        if p == 0 or q == 0:
            return p
        if p == q or self.shortest[q] == 0:
            return 0            # every set contains itself, and the empty set
        if self.shortest[q] > self.longest[p]:
            return p            # q's sets are all too large to fit
        cdef uint64_t hv = hash3(p, q, OP_WITHOUT)
        cdef Entry *e = &self.cache[hv & self.cache_mask]
        if e.f == p and e.g == q and e.op == OP_WITHOUT:
            return e.r
        cdef int32_t vp = self.nd[p].var, vq = self.nd[q].var
        cdef int32_t r0, r1, r
        if vp > vq:
            # q's sets with vq fit in no set of p
            r = self.without(p, self.nd[q].lo)
        else:
            if vp < vq:
                r0 = self.without(self.nd[p].lo, q)
                if r0 < 0:
                    return r0
                r1 = self.without(self.nd[p].hi, q)
            else:
                r0 = self.without(self.nd[p].lo, self.nd[q].lo)
                if r0 < 0:
                    return r0
                r1 = self.without(self.nd[p].hi, self.nd[q].lo)
                if r1 >= 0:
                    r1 = self.without(r1, self.nd[q].hi)
            if r1 < 0:
                return r1
            r = self.mk(vp, r0, r1)
        if r < 0:
            return r
        e = &self.cache[hv & self.cache_mask]      # mk may have grown it
        e.f = p
        e.g = q
        e.op = OP_WITHOUT
        e.r = r
        return r


cdef object _overflow(int32_t r, str what, int64_t size, int64_t capacity,
                      int64_t done):
    """The exception for a negative result r (BUDGET or NOMEM)."""
    if r == NOMEM:
        return MemoryError(
            f"the {what} could not grow past {capacity} node slots ({size} "
            f"nodes): out of memory")
    return BudgetExceeded(size, done)


def minimal_solutions(Diagram d, Zdd z, const int32_t[::1] roots not None):
    """The minimal cut sets of each root's function, as nodes of ``z``.

    Each root is a node of ``d`` whose function is monotone in the
    variables being up (a coherent journey); its minimal cut sets are the
    minimal sets of variables whose being down makes it 0. Returns an
    int32 array of ZBDD node ids (0: the function is never 0; 1: it is 0
    with every variable up). The diagram's nodes below the roots are each
    visited once, children first; the results share the nodes of ``z``.
    Raises BudgetExceeded ``(z.nodes, 0)`` past the budget of ``z``,
    MemoryError when its store cannot grow.
    """
    cdef int64_t R = roots.shape[0], top = 1, n, i
    if z.n_vars != d.n_vars:
        raise ValueError("the ZBDD and the diagram differ in variables")
    for i in range(R):
        if roots[i] < 0 or roots[i] >= d.size:
            raise ValueError(f"root {roots[i]} is not a node")
        top = max(top, roots[i])
    memo_arr = np.zeros(top + 1, dtype=np.int32)
    reach_arr = np.zeros(top + 1, dtype=np.uint8)
    cdef int32_t[::1] memo = memo_arr
    cdef uint8_t[::1] reach = reach_arr
    cdef int32_t r = 0, w
    cdef int64_t work = 0
    cdef Node *p
    with nogil:
        for i in range(R):
            reach[roots[i]] = 1
        for n in range(top, 1, -1):
            if reach[n]:
                reach[d.nd[n].lo] = 1
                reach[d.nd[n].hi] = 1
                work += CACHE_PER_NODE
        if not z.cache_for(work):
            r = NOMEM
        memo[0] = 1
        memo[1] = 0
        for n in range(2, top + 1):
            if r < 0:
                break
            if not reach[n]:
                continue
            p = &d.nd[n]
            w = z.without(memo[p.lo], memo[p.hi])
            if w < 0:
                r = w
                break
            r = z.mk(p.var, memo[p.hi], w)
            if r < 0:
                break
            memo[n] = r
    if r < 0:
        raise _overflow(r, "cut-set diagram", z.size, z.capacity, 0)
    out = np.empty(R, dtype=np.int32)
    for i in range(R):
        out[i] = memo[roots[i]]
    return out


def count(Zdd z, int32_t root, int64_t max_order=-1):
    """Sets in family ``root`` (with at most ``max_order`` variables when
    ``max_order >= 0``), as a Python int however large.

    Counts in 64 bits, children first; on overflow counts again in Python
    integers.
    """
    if root < 0 or root >= z.size:
        raise ValueError(f"root {root} is not a node")
    cdef int64_t n, j, W = 1
    if 0 <= max_order < z.n_vars:
        W = max_order + 1
    cdef bint by_order = W > 1 or max_order == 0
    table_arr = np.zeros(max(root + 1, 2) * W, dtype=np.uint64)
    cdef uint64_t[::1] c = table_arr
    cdef uint64_t a, b
    cdef bint overflow = False
    cdef Node *p
    with nogil:
        for j in range(W):
            c[W + j] = 1                        # node 1: the empty set
        for n in range(2, root + 1):
            p = &z.nd[n]
            for j in range(W):
                a = c[p.lo * W + j]
                if not by_order:
                    b = c[p.hi * W + j]
                elif j > 0:
                    b = c[p.hi * W + j - 1]
                else:
                    b = 0
                if a + b < a:
                    overflow = True
                    break
                c[n * W + j] = a + b
            if overflow:
                break
    if not overflow:
        return int(c[root * W + W - 1])
    # the count passes 2**64: Python integers, same recurrence
    _, lo, hi = z.arrays()
    lo, hi = lo.tolist(), hi.tolist()
    counts = [[0] * W, [1] * W]
    for n in range(2, root + 1):
        cl, ch = counts[lo[n]], counts[hi[n]]
        if by_order:
            counts.append([cl[0]] + [cl[j] + ch[j - 1] for j in range(1, W)])
        else:
            counts.append([cl[0] + ch[0]])
    return counts[root][W - 1]


ctypedef struct Item:
    double key          # lp plus the best completion's: no set below is more probable
    double lp           # log-probability of the variables chosen so far
    int64_t chain       # last link of the chosen variables, -1 for none
    int32_t node
    int32_t order       # variables chosen so far

ctypedef struct Link:
    int64_t parent      # previous link, -1 for none
    int32_t var


cdef int reserve(void **buf, int64_t *cap, int64_t need,
                 size_t item) noexcept nogil:
    """Grow ``buf`` (doubling) to hold ``need`` items; 0 on failure."""
    if need <= cap[0]:
        return 1
    cdef int64_t c = cap[0] * 2 if cap[0] else 1024
    while c < need:
        c *= 2
    cdef void *p = realloc(buf[0], c * item)
    if p == NULL:
        return 0
    buf[0] = p
    cap[0] = c
    return 1


cdef void heap_push(Item *heap, int64_t n, Item it) noexcept nogil:
    """Add it to the max-heap heap[0..n-1] (room for n + 1 items)."""
    cdef int64_t i = n, parent
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent].key >= it.key:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = it


cdef Item heap_pop(Item *heap, int64_t n) noexcept nogil:
    """Remove and return the largest item of heap[0..n-1] (n >= 1)."""
    cdef Item top = heap[0], last = heap[n - 1]
    cdef int64_t i = 0, child
    n -= 1
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and heap[child + 1].key > heap[child].key:
            child += 1
        if last.key >= heap[child].key:
            break
        heap[i] = heap[child]
        i = child
    if n > 0:
        heap[i] = last
    return top


def most_probable(Zdd z, int32_t root, const double[::1] logq not None,
                  int64_t k, int64_t limit, double log_floor, double tol,
                  int64_t max_order=-1, int64_t max_table=MAX_BOUND_TABLE):
    """Sets of family ``root`` in decreasing probability, best first.

    A set's log-probability is the sum of ``logq[v]`` over its variables
    (``logq`` over levels, entries in [-inf, 0]). Only sets of at most
    ``max_order`` variables count when ``max_order >= 0``. The search
    stops at ``limit`` sets, before a set whose log-probability is below
    ``log_floor``, and, once it has ``k``, before a set more than ``tol``
    below the ``k``-th (so sets tied with the ``k``-th come too).

    Best-first over the family's paths: a partial path at node ``n`` is
    keyed by its log-probability plus the largest any completion below
    ``n`` can add (one pass over the nodes, children first, per order left
    when the table has at most ``max_table`` entries), so sets come out in
    order and each costs one descent: the better child is followed, the
    other queued. Never visits a set it does not return. Past
    ``max_table``, the bound ignores ``max_order`` and each step checks
    the path against the queue's best.

    Returns ``(ptr, levels, logp)``: set ``i`` has the variables
    ``levels[ptr[i]:ptr[i + 1]]`` (increasing) and log-probability
    ``logp[i]``.
    """
    if root < 0 or root >= z.size:
        raise ValueError(f"root {root} is not a node")
    if logq.shape[0] != z.n_vars:
        raise ValueError(f"logq must have {z.n_vars} entries")
    if k < 1 or limit < 0:
        raise ValueError("k must be positive and limit non-negative")
    cdef int64_t N = root + 1, n, j, W = 1
    cdef int64_t m = max_order if 0 <= max_order < z.n_vars else z.n_vars
    # a path whose shortest completion does not fit max_order is never queued
    cdef const int32_t *shortest = z.shortest
    cdef Node *p
    if 0 <= max_order < z.n_vars and N * (m + 1) <= max_table:
        W = m + 1
    # best[n * W + j]: the largest log-probability of a set below n with at
    # most j (of W > 1) or any number of variables
    best_arr = np.full(max(N, 2) * W, -np.inf, dtype=np.float64)
    cdef double[::1] best = best_arr
    cdef double x, ninf = -np.inf
    with nogil:
        for j in range(W):
            best[W + j] = 0.0
        for n in range(2, N):
            p = &z.nd[n]
            for j in range(W):
                x = best[p.lo * W + j] if shortest[p.lo] <= j or W == 1 else ninf
                if W == 1:
                    x = max(x, logq[p.var] + best[p.hi])
                elif j > 0 and shortest[p.hi] <= j - 1:
                    x = max(x, logq[p.var] + best[p.hi * W + j - 1])
                best[n * W + j] = x

    cdef Item *heap = NULL
    cdef Link *links = NULL
    cdef int32_t *out_vars = NULL
    cdef int64_t *out_ptr = NULL
    cdef double *out_lp = NULL
    cdef int64_t heap_cap = 0, link_cap = 0, vars_cap = 0, ptr_cap = 0, lp_cap = 0
    cdef int64_t hn = 0, ln = 0, nres = 0, nvars = 0, at
    cdef double kth = 0.0, k0 = 0.0, k1 = 0.0
    cdef bint ok = True, has0, has1, stop = False
    cdef bint loose = W == 1 and m < z.n_vars
    cdef Item it, other
    cdef int32_t v
    cdef int64_t[::1] ptr_v
    cdef int32_t[::1] levels_v
    cdef double[::1] logp_v
    with nogil:
        ok = (reserve(<void **>&out_ptr, &ptr_cap, 1, sizeof(int64_t))
              and reserve(<void **>&heap, &heap_cap, 1, sizeof(Item)))
        if ok:
            out_ptr[0] = 0
        if ok and root != 0 and shortest[root] <= m:
            it.key = best[root * W + (m if W > 1 else 0)]
            it.lp = 0.0
            it.chain = -1
            it.node = root
            it.order = 0
            heap_push(heap, 0, it)
            hn = 1
        while ok and hn > 0 and not stop:
            it = heap_pop(heap, hn)
            hn -= 1
            while True:
                # it.key >= every queued key: nothing left beats it
                if it.key < log_floor or (nres >= k and it.key < kth - tol):
                    stop = True
                    break
                if it.node == 1:
                    ok = (reserve(<void **>&out_vars, &vars_cap, nvars + it.order,
                                  sizeof(int32_t))
                          and reserve(<void **>&out_ptr, &ptr_cap, nres + 2,
                                      sizeof(int64_t))
                          and reserve(<void **>&out_lp, &lp_cap, nres + 1,
                                      sizeof(double)))
                    if not ok:
                        break
                    at = it.chain
                    for j in range(nvars + it.order - 1, nvars - 1, -1):
                        out_vars[j] = links[at].var
                        at = links[at].parent
                    nvars += it.order
                    out_lp[nres] = it.lp
                    nres += 1
                    out_ptr[nres] = nvars
                    if nres == k:
                        kth = it.lp
                    stop = nres >= limit
                    break
                p = &z.nd[it.node]
                v = p.var
                has0 = p.lo != 0 and it.order + shortest[p.lo] <= m
                has1 = it.order + 1 + shortest[p.hi] <= m
                if has0:
                    k0 = it.lp + best[p.lo * W + (m - it.order if W > 1 else 0)]
                if has1:
                    k1 = (it.lp + logq[v]
                          + best[p.hi * W + (m - it.order - 1 if W > 1 else 0)])
                    ok = reserve(<void **>&links, &link_cap, ln + 1, sizeof(Link))
                    if not ok:
                        break
                    links[ln].parent = it.chain
                    links[ln].var = v
                if not has0 and not has1:
                    break
                ok = reserve(<void **>&heap, &heap_cap, hn + 2, sizeof(Item))
                if not ok:
                    break
                other = it
                if has1 and (not has0 or k1 >= k0):
                    if has0:
                        other.key = k0
                        other.node = p.lo
                        heap_push(heap, hn, other)
                        hn += 1
                    it.key = k1
                    it.lp = it.lp + logq[v]
                    it.chain = ln
                    it.node = p.hi
                    it.order += 1
                else:
                    if has1:
                        other.key = k1
                        other.lp = it.lp + logq[v]
                        other.chain = ln
                        other.node = p.hi
                        other.order += 1
                        heap_push(heap, hn, other)
                        hn += 1
                    it.key = k0
                    it.node = p.lo
                if has1:
                    ln += 1
                if loose and hn > 0 and it.key < heap[0].key - 1e-12 * fabs(heap[0].key):
                    # max_order past the table: the best path may be
                    # elsewhere (an exact bound has it here, to rounding)
                    heap_push(heap, hn, it)
                    hn += 1
                    break
    try:
        if not ok:
            raise MemoryError("the search for the most probable cut sets ran out "
                              "of memory")
        ptr = np.empty(nres + 1, dtype=np.int64)
        levels = np.empty(nvars, dtype=np.int32)
        logp = np.empty(nres, dtype=np.float64)
        ptr_v, levels_v, logp_v = ptr, levels, logp
        if nvars:
            memcpy(&levels_v[0], out_vars, nvars * sizeof(int32_t))
        memcpy(&ptr_v[0], out_ptr, (nres + 1) * sizeof(int64_t))
        if nres:
            memcpy(&logp_v[0], out_lp, nres * sizeof(double))
        return ptr, levels, logp
    finally:
        free(heap)
        free(links)
        free(out_vars)
        free(out_ptr)
        free(out_lp)


cdef int32_t family_fn(Diagram d, Zdd z, int32_t n,
                       int32_t *full) noexcept nogil:
    """The diagram of "no set of family n has all its variables down"
    (``full[n]``, -1 until known)."""
    if n < 2:
        return 1 - n            # the empty family: true; {{}}: false
    if full[n] >= 0:
        return full[n]
    cdef int32_t a = family_fn(d, z, z.nd[n].lo, full)
    if a < 0:
        return a
    cdef int32_t b = family_fn(d, z, z.nd[n].hi, full)
    if b < 0:
        return b
    b = d.and_(a, b)
    if b < 0:
        return b
    # var down: no set of lo nor of hi; var up: no set of lo
    cdef int32_t r = d.mk(z.nd[n].var, b, a)
    if r >= 0:
        full[n] = r
    return r


cdef int32_t containing_fn(Diagram d, Zdd z, int32_t n, int32_t level,
                           int32_t *full, int32_t *memo,
                           int32_t *stamp) noexcept nogil:
    """The diagram of "no set of family n that contains ``level`` has all
    its variables down" (``memo[n]`` when ``stamp[n] == level``)."""
    if n < 2 or z.nd[n].var > level:
        return 1
    cdef int32_t a, b, r
    if z.nd[n].var == level:
        b = family_fn(d, z, z.nd[n].hi, full)
        if b < 0:
            return b
        return d.mk(level, b, 1)
    if stamp[n] == level:
        return memo[n]
    a = containing_fn(d, z, z.nd[n].lo, level, full, memo, stamp)
    if a < 0:
        return a
    b = containing_fn(d, z, z.nd[n].hi, level, full, memo, stamp)
    if b < 0:
        return b
    b = d.and_(a, b)
    if b < 0:
        return b
    r = d.mk(z.nd[n].var, b, a)
    if r >= 0:
        memo[n] = r
        stamp[n] = level
    return r


def family_functions(Diagram d, Zdd z, int32_t root,
                     const int32_t[::1] levels not None):
    """Diagrams in ``d`` of "no set of family ``root`` (containing level
    ``levels[i]``) has all its variables down", one per entry of
    ``levels``; a negative level means every set of the family.

    Their "down" probability is that of the union of those sets' events.
    For the minimal cut sets of a journey, the whole family gives back the
    journey's own root. Stops at the diagram's budget, returning the
    functions finished (fewer than asked: :meth:`Diagram.truncate` removes
    the unfinished one's nodes); MemoryError when its store cannot grow.
    """
    if z.n_vars != d.n_vars:
        raise ValueError("the ZBDD and the diagram differ in variables")
    if root < 0 or root >= z.size:
        raise ValueError(f"root {root} is not a node")
    cdef int64_t L = levels.shape[0], i
    for i in range(L):
        if levels[i] >= d.n_vars:
            raise ValueError(f"level {levels[i]} out of range")
    full_arr = np.full(max(root + 1, 2), -1, dtype=np.int32)
    memo_arr = np.zeros(max(root + 1, 2), dtype=np.int32)
    stamp_arr = np.full(max(root + 1, 2), -1, dtype=np.int32)
    out = np.empty(L, dtype=np.int32)
    cdef int32_t[::1] full = full_arr, memo = memo_arr, stamp = stamp_arr, o = out
    cdef int32_t r = 0
    cdef int64_t done = 0
    with nogil:
        for i in range(L):
            if levels[i] < 0:
                r = family_fn(d, z, root, &full[0])
            else:
                r = containing_fn(d, z, root, levels[i], &full[0], &memo[0],
                                  &stamp[0])
            if r < 0:
                break
            o[i] = r
            done += 1
    if r == NOMEM:
        raise _overflow(r, "decision diagram", d.size, d.capacity, done)
    return out[:done]


def cube_functions(Diagram d, const int64_t[::1] ptr not None,
                   const int32_t[::1] levels not None):
    """Diagrams in ``d`` of "not every variable of set i is down", set i
    being ``levels[ptr[i]:ptr[i + 1]]`` (increasing): its "down"
    probability is that of all the set's events happening together.
    Stops at the diagram's budget, returning the functions finished (fewer
    than asked); MemoryError when its store cannot grow."""
    cdef int64_t S = ptr.shape[0] - 1, i, j
    if S < 0 or ptr[0] != 0 or ptr[S] != levels.shape[0]:
        raise ValueError("ptr does not span levels")
    for i in range(S):
        if ptr[i + 1] < ptr[i]:
            raise ValueError("ptr decreases")
        for j in range(ptr[i], ptr[i + 1]):
            if levels[j] < 0 or levels[j] >= d.n_vars or (
                    j > ptr[i] and levels[j] <= levels[j - 1]):
                raise ValueError(f"set {i}: levels not increasing in range")
    out = np.empty(S, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef int32_t r = 0, h
    cdef int64_t done = 0
    with nogil:
        for i in range(S):
            h = 0
            for j in range(ptr[i + 1] - 1, ptr[i] - 1, -1):
                h = d.mk(levels[j], h, 1)
                if h < 0:
                    break
            r = h
            if r < 0:
                break
            o[i] = r
            done += 1
    if r == NOMEM:
        raise _overflow(r, "decision diagram", d.size, d.capacity, done)
    return out[:done]
