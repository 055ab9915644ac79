"""Graph passes of the exact engine's preprocessing, in C.

The graph is a Structure's after :func:`slosim.engines._preprocess.reduce`:
leaves ``0..L-1``, gate ``g`` is node ``L + g`` with kind ``ops[g]``
(series, parallel, k-of-n or negation, the Structure's codes), ``ks[g]``
children needed up, and its children ``kids[g]``, earlier nodes.

:func:`optimize` is :func:`slosim.engines._preprocess.optimize` (which
documents the rewritings): the children are rewritten, constants
(negative) among them, then the constants are simplified away.
:func:`distribute` is :func:`slosim.engines._preprocess.distribute`.
:func:`depth_first` is the walk of :func:`slosim.engines._ordering.depth_first`,
:func:`support_sizes` the leaves below each node, :func:`modules` Dutuit
and Rauzy's module detection (:func:`slosim.engines._preprocess.find_modules`),
:func:`force` the FORCE order (:func:`slosim.engines._ordering.force`).
"""

from libc.stdint cimport int8_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, qsort, realloc

import numpy as np

cimport numpy as cnp

cnp.import_array()

__all__ = ["optimize", "distribute", "depth_first", "support_sizes", "modules", "force"]


cdef extern from *:
    int __builtin_popcountll(unsigned long long) nogil

# The Structure's gate kinds (slosim.model.SERIES, ...).
cdef enum:
    SERIES = 0
    PARALLEL = 1
    K_OF_N = 2
    NOT = 3

cdef enum:
    C_UP = -2
    C_DOWN = -1
    UNKNOWN = -1     # a node's forced value: -1 unknown, 0 down, 1 up


cdef class _Graph:
    """The rewritable graph: kids in CSR with appended children chained in
    a pool (head and tail per gate); parents in CSR (as given)."""

    cdef int64_t L, G, N
    cdef int64_t[::1] op, k, ptr, idx, extra_head, extra_tail, extra_next, extra_val
    cdef int64_t n_extra
    cdef int64_t[::1] par_ptr, par_idx
    cdef int8_t[::1] forced, is_out
    cdef list outputs

    def __init__(self, int64_t L, list ops, list ks, list kids, list outputs):
        cdef int64_t g, c, M = 0, i, n
        cdef list ks_
        self.L, self.G = L, len(ops)
        self.N = L + self.G
        self.op = np.asarray(ops, dtype=np.int64)
        self.k = np.asarray(ks, dtype=np.int64)
        for ks_ in kids:
            M += len(ks_)
        self.ptr = np.empty(self.G + 1, dtype=np.int64)
        self.idx = np.empty(M, dtype=np.int64)
        cdef int64_t[::1] counts = np.zeros(self.N + 1, dtype=np.int64)
        M = 0
        self.ptr[0] = 0
        for g in range(self.G):
            for c in kids[g]:
                self.idx[M] = c
                counts[c + 1] += 1
                M += 1
            self.ptr[g + 1] = M
        self.extra_head = np.full(self.G, -1, dtype=np.int64)
        self.extra_tail = np.full(self.G, -1, dtype=np.int64)
        self.extra_next = np.empty(M + 1, dtype=np.int64)
        self.extra_val = np.empty(M + 1, dtype=np.int64)
        self.n_extra = 0
        # parents, in CSR
        for n in range(self.N):
            counts[n + 1] += counts[n]
        self.par_ptr = counts
        cdef int64_t[::1] fill = np.array(counts[:self.N], dtype=np.int64)
        self.par_idx = np.empty(M, dtype=np.int64)
        for g in range(self.G):
            for i in range(self.ptr[g], self.ptr[g + 1]):
                c = self.idx[i]
                self.par_idx[fill[c]] = L + g
                fill[c] += 1
        self.forced = np.full(self.N, UNKNOWN, dtype=np.int8)
        self.is_out = np.zeros(self.N, dtype=np.int8)
        self.outputs = outputs
        for c in outputs:
            self.is_out[c] = 1

    cdef inline void tally(self, int64_t c, int64_t* up, int64_t* down) noexcept nogil:
        if c == C_UP or (c >= 0 and self.forced[c] == 1):
            up[0] += 1
        elif c == C_DOWN or (c >= 0 and self.forced[c] == 0):
            down[0] += 1

    cdef int value(self, int64_t g) noexcept nogil:
        """Gate g's value from its children's forced values and constants:
        1 up, 0 down, -1 undecided."""
        cdef int64_t i, e, n, up = 0, down = 0, need
        n = self.ptr[g + 1] - self.ptr[g]
        for i in range(self.ptr[g], self.ptr[g + 1]):
            self.tally(self.idx[i], &up, &down)
        e = self.extra_head[g]
        while e >= 0:
            self.tally(self.extra_val[e], &up, &down)
            n += 1
            e = self.extra_next[e]
        if self.op[g] == NOT:
            return -1 if up + down == 0 else (1 if down else 0)
        need = n if self.op[g] == SERIES else (1 if self.op[g] == PARALLEL else self.k[g])
        if up >= need:
            return 1
        if down > n - need:
            return 0
        return -1

    cdef void replace(self, int64_t g, int64_t x, int64_t const) noexcept nogil:
        """Child x of gate g becomes the constant."""
        cdef int64_t i, e
        for i in range(self.ptr[g], self.ptr[g + 1]):
            if self.idx[i] == x:
                self.idx[i] = const
        e = self.extra_head[g]
        while e >= 0:
            if self.extra_val[e] == x:
                self.extra_val[e] = const
            e = self.extra_next[e]

    cdef void append(self, int64_t g, int64_t x) noexcept nogil:
        """Child x appended to gate g (its appended children chain in
        order, first to last)."""
        cdef int64_t e = self.n_extra
        self.n_extra += 1
        self.extra_val[e] = x
        self.extra_next[e] = -1
        if self.extra_head[g] < 0:
            self.extra_head[g] = e
        else:
            self.extra_next[self.extra_tail[g]] = e
        self.extra_tail[g] = e


cdef void _dominators(_Graph gr, int64_t[::1] idom, int64_t[::1] depth) noexcept nogil:
    """Immediate dominator of each node towards the outputs; the root (the
    virtual node above the outputs) is N; -1 when unreached. Nodes in
    reverse topological order, Cooper, Harvey and Kennedy's intersection."""
    cdef int64_t N = gr.N, root = gr.N, n, i, p, d, a, b
    for n in range(N + 1):
        idom[n] = -1
        depth[n] = 0
    idom[root] = root
    n = N - 1
    while n >= 0:
        d = root if gr.is_out[n] else -1
        for i in range(gr.par_ptr[n], gr.par_ptr[n + 1]):
            p = gr.par_idx[i]
            if idom[p] < 0:
                continue
            if d < 0:
                d = p
                continue
            a, b = d, p
            while a != b:
                if depth[a] > depth[b]:
                    a = idom[a]
                elif depth[b] > depth[a]:
                    b = idom[b]
                else:
                    a, b = idom[a], idom[b]
            d = a
        if d >= 0:
            idom[n] = d
            depth[n] = depth[d] + 1
        n -= 1


cdef inline int64_t _enqueue(int64_t p, int64_t* heap, int64_t n_heap, int8_t* queued,
                             int64_t* qlog, int64_t* n_q) noexcept nogil:
    """Push gate p on the binary min-heap (n_heap entries) unless it was
    queued already (logged in qlog); the heap's new size."""
    cdef int64_t j = n_heap
    if queued[p]:
        return n_heap
    queued[p] = 1
    qlog[n_q[0]] = p
    n_q[0] += 1
    while j > 0 and heap[(j - 1) // 2] > p:
        heap[j] = heap[(j - 1) // 2]
        j = (j - 1) // 2
    heap[j] = p
    return n_heap + 1


cdef int _rewrite(_Graph gr, bint decompose) except -1:
    """Rewrite the children of ``gr``'s gates; whether anything changed.

    For each shared node ``x`` in topological order and each value ``v``:
    the gates ``x = v`` alone decides, by propagation up from ``x``; with
    ``decompose``, each decided parallel (series) gate that ``x`` up
    (down) decides and that has an undecided parent or is an output takes
    ``x`` as a child of its own, and the parents of ``x`` it dominates
    take the constant ``not v``; then each remaining parent that ``x = v``
    does not decide, below a decided dominator, takes the constant too.
    """
    cdef int64_t L = gr.L
    cdef int64_t N = gr.N, root = gr.N
    cdef int64_t[::1] idom = np.empty(N + 1, dtype=np.int64)
    cdef int64_t[::1] depth = np.empty(N + 1, dtype=np.int64)
    _dominators(gr, idom, depth)
    # x's parents (a working copy: a gate joins it only after one left),
    # the forced nodes in order, the heap
    cdef int64_t[::1] par = np.empty(len(gr.par_idx) + 1, dtype=np.int64)
    cdef int64_t[::1] order = np.empty(N + 1, dtype=np.int64)
    cdef int64_t[::1] heap = np.empty(N + 1, dtype=np.int64)
    cdef int8_t[::1] queued = np.zeros(N, dtype=np.int8)
    cdef int64_t[::1] qlog = np.empty(N + 1, dtype=np.int64)
    cdef int64_t n_q
    cdef int64_t x, i, j, n_par, n_forced, n_heap, g, t, D, P, d, absorbing, const
    cdef int v, val, any_decided, below, changed = 0, has_d
    with nogil:
        for x in range(N):
            n_par = gr.par_ptr[x + 1] - gr.par_ptr[x]
            if n_par < 2 or idom[x] < 0:
                continue
            for i in range(n_par):
                par[i] = gr.par_idx[gr.par_ptr[x] + i]
            for v in range(1, -1, -1):
                if n_par < 2:
                    break
                # nothing to gain unless x = v decides a parent
                gr.forced[x] = v
                any_decided = 0
                for i in range(n_par):
                    if gr.value(par[i] - L) >= 0:
                        any_decided = 1
                        break
                if not any_decided:
                    gr.forced[x] = UNKNOWN
                    continue
                # propagate x = v up, smallest gate first (a binary heap)
                n_forced, n_heap, n_q = 1, 0, 0
                order[0] = x
                for i in range(n_par):
                    n_heap = _enqueue(par[i], &heap[0], n_heap, &queued[0], &qlog[0], &n_q)
                while n_heap:
                    g = heap[0]
                    n_heap -= 1
                    t = heap[n_heap]
                    j = 0
                    while 2 * j + 1 < n_heap:
                        i = 2 * j + 1
                        if i + 1 < n_heap and heap[i + 1] < heap[i]:
                            i += 1
                        if heap[i] >= t:
                            break
                        heap[j] = heap[i]
                        j = i
                    heap[j] = t
                    val = gr.value(g - L)
                    if val < 0:
                        continue
                    gr.forced[g] = val
                    order[n_forced] = g
                    n_forced += 1
                    for i in range(gr.par_ptr[g], gr.par_ptr[g + 1]):
                        n_heap = _enqueue(gr.par_idx[i], &heap[0], n_heap, &queued[0],
                                          &qlog[0], &n_q)
                const = C_DOWN if v else C_UP
                absorbing = PARALLEL if v else SERIES
                if decompose:
                    # the highest destinations first (forced in increasing order)
                    for t in range(n_forced - 1, 0, -1):
                        D = order[t]
                        if gr.forced[D] != v or gr.op[D - L] != absorbing:
                            continue
                        has_d = gr.is_out[D]
                        for i in range(gr.par_ptr[D], gr.par_ptr[D + 1]):
                            if gr.forced[gr.par_idx[i]] == UNKNOWN:
                                has_d = 1
                                break
                        if not has_d:
                            continue
                        below = 0
                        has_d = 0
                        j = 0
                        for i in range(n_par):
                            P = par[i]
                            if P == D:
                                has_d = 1
                            else:
                                d = P
                                while d < D and d >= 0:
                                    d = idom[d]
                                if d == D:
                                    gr.replace(P - L, x, const)
                                    below += 1
                                    continue
                            par[j] = P
                            j += 1
                        n_par = j
                        if not below:
                            continue
                        if not has_d:
                            gr.append(D - L, x)
                            par[n_par] = D
                            n_par += 1
                        changed = 1
                # redundant parents
                j = 0
                for i in range(n_par):
                    P = par[i]
                    if gr.forced[P] == UNKNOWN:
                        d = idom[P]
                        while d != root and d >= 0 and gr.forced[d] == UNKNOWN:
                            d = idom[d]
                        if d != root and d >= 0:
                            gr.replace(P - L, x, const)
                            changed = 1
                            continue
                    par[j] = P
                    j += 1
                n_par = j
                # reset
                for t in range(n_forced):
                    gr.forced[order[t]] = UNKNOWN
                for t in range(n_q):
                    queued[qlog[t]] = 0
    return changed


cdef object _simplified(_Graph gr, list origin):
    """The graph with its constants simplified away: ``(ops, ks, kids,
    outputs, origin)`` lists of the gates the outputs reach, renumbered in
    order; None when an output is constant. A series, parallel or k-of-n
    gate needs ``need`` children up: its constants up lower ``need``, and
    it is up when ``need <= 0``, down when fewer children than ``need``
    are left, a series gate when all left are needed, a parallel one when
    one is, and the child itself when one is left of a series or parallel
    gate; a negation of a constant is the other constant, and of a
    negation the node below."""
    cdef int64_t L = gr.L, G = gr.G, g, i, e, c, n, n_up, need, n_rest, op2, node, m
    cdef int64_t[::1] rep = np.empty(G, dtype=np.int64)       # gate -> new node or constant
    cdef int64_t[::1] new_op = np.empty(G + 1, dtype=np.int64)
    cdef int64_t[::1] new_k = np.empty(G + 1, dtype=np.int64)
    cdef int64_t[::1] new_ptr = np.zeros(G + 1, dtype=np.int64)
    cdef int64_t[::1] new_idx = np.empty(len(gr.idx) + gr.n_extra + 1, dtype=np.int64)
    cdef int64_t[::1] new_origin = np.empty(G + 1, dtype=np.int64)
    cdef int64_t[::1] rest = np.empty(len(gr.idx) + gr.n_extra + 1, dtype=np.int64)
    cdef int64_t[::1] mark = np.full(L + G, -1, dtype=np.int64)
    cdef int64_t n_new = 0, n_edges = 0, first_child
    for g in range(G):
        origin_g = origin[g]
        n = n_up = n_rest = 0
        first_child = 0
        i = gr.ptr[g]
        e = gr.extra_head[g]
        # the children, mapped: constants stay, gates become what they stand for
        while True:
            if i < gr.ptr[g + 1]:
                c = gr.idx[i]
                i += 1
            elif e >= 0:
                c = gr.extra_val[e]
                e = gr.extra_next[e]
            else:
                break
            if c >= L:
                c = rep[c - L]
            if n == 0:
                first_child = c
            n += 1
            if c == C_UP:
                n_up += 1
            elif c >= 0:
                rest[n_rest] = c
                n_rest += 1
        if gr.op[g] == NOT:
            c = first_child
            if c < 0:
                rep[g] = C_UP if c == C_DOWN else C_DOWN
                continue
            if c >= L and new_op[c - L] == NOT:
                rep[g] = new_idx[new_ptr[c - L]]
                continue
            op2, need = NOT, 1
        else:
            need = (n if gr.op[g] == SERIES else
                    (1 if gr.op[g] == PARALLEL else gr.k[g])) - n_up
            if need <= 0:
                rep[g] = C_UP
                continue
            if need > n_rest:
                rep[g] = C_DOWN
                continue
            if need == n_rest or need == 1:
                op2 = SERIES if need == n_rest else PARALLEL
                m = 0                          # each child once, first seen first
                for i in range(n_rest):
                    if mark[rest[i]] != g:
                        mark[rest[i]] = g
                        rest[m] = rest[i]
                        m += 1
                n_rest = m
                need = n_rest if op2 == SERIES else 1
                if n_rest == 1:
                    rep[g] = rest[0]
                    continue
            else:
                op2 = K_OF_N
        node = n_new
        rep[g] = L + node
        new_op[node], new_k[node], new_origin[node] = op2, need, origin_g
        for i in range(n_rest):
            new_idx[n_edges] = rest[i]
            n_edges += 1
        new_ptr[node + 1] = n_edges
        n_new += 1
    outputs = []
    for c in gr.outputs:
        if c >= L:
            c = rep[c - L]
        if c < 0:
            return None
        outputs.append(c)
    return _reached(L, n_new, &new_op[0], &new_k[0], &new_origin[0], &new_ptr[0],
                    &new_idx[0], outputs)


cdef object _reached(int64_t L, int64_t n_new, int64_t* op, int64_t* k, int64_t* origin,
                     int64_t* ptr, int64_t* idx, list outputs):
    """``(ops, ks, kids, outputs, origin)`` lists of the gates (CSR, in
    topological order) that the outputs reach, renumbered in order."""
    cdef int64_t node, i, m = 0
    cdef int8_t[::1] reach = np.zeros(L + n_new, dtype=np.int8)
    for c in outputs:
        reach[c] = 1
    for node in range(n_new - 1, -1, -1):
        if reach[L + node]:
            for i in range(ptr[node], ptr[node + 1]):
                reach[idx[i]] = 1
    cdef int64_t[::1] final = np.empty(n_new + 1, dtype=np.int64)
    ops, ks, kids, orig = [], [], [], []
    for node in range(n_new):
        if not reach[L + node]:
            continue
        final[node] = L + m
        m += 1
        ops.append(op[node])
        ks.append(k[node])
        orig.append(origin[node])
        kids.append([idx[i] if idx[i] < L else final[idx[i] - L]
                     for i in range(ptr[node], ptr[node + 1])])
    return ops, ks, kids, [c if c < L else final[c - L] for c in outputs], orig


def optimize(int64_t L, list ops, list ks, list kids, list outputs, list origin,
             bint decompose=True):
    """The graph's children rewritten (:func:`_rewrite`), then the
    constants simplified away: ``(ops, ks, kids, outputs, origin)`` lists
    of the new graph, or None when nothing changed or an output would be
    constant."""
    cdef _Graph gr = _Graph(L, ops, ks, kids, outputs)
    if not _rewrite(gr, decompose):
        return None
    return _simplified(gr, origin)


# --- distributivity ----------------------------------------------------------

cdef struct _Buf:
    int64_t* data
    int64_t n
    int64_t cap


cdef int _push(_Buf* b, int64_t v) except -1 nogil:
    cdef int64_t* grown
    if b.n == b.cap:
        grown = <int64_t*>realloc(b.data, 2 * b.cap * sizeof(int64_t))
        if grown == NULL:
            with gil:
                raise MemoryError()
        b.data = grown
        b.cap *= 2
    b.data[b.n] = v
    b.n += 1
    return 0


cdef int _init(_Buf* b, int64_t cap) except -1:
    b.n = 0
    b.cap = max(cap, 16)
    b.data = <int64_t*>malloc(b.cap * sizeof(int64_t))
    if b.data == NULL:
        raise MemoryError()
    return 0


cdef class _Distributor:
    """The new graph being written: gates in CSR (kind, children needed,
    origin), each gate's children earlier nodes; and the scratch of the
    search for a common child."""

    cdef int64_t L
    cdef _Buf op, k, origin, ptr, idx, count, touched, mark
    cdef bint changed

    def __cinit__(self, int64_t L, int64_t G, int64_t M):
        self.L = L
        _init(&self.op, G)
        _init(&self.k, G)
        _init(&self.origin, G)
        _init(&self.ptr, G + 1)
        _init(&self.idx, M)
        _init(&self.count, L + G)
        _init(&self.touched, 16)
        _init(&self.mark, L + G)
        self.ptr.data[0] = 0
        self.ptr.n = 1
        self.changed = 0

    def __dealloc__(self):
        free(self.op.data)
        free(self.k.data)
        free(self.origin.data)
        free(self.ptr.data)
        free(self.idx.data)
        free(self.count.data)
        free(self.touched.data)
        free(self.mark.data)

    cdef int64_t gate(self, int64_t op, int64_t k, int64_t* kids, int64_t n,
                      int64_t origin) except -1:
        """Append a gate; its node."""
        cdef int64_t i
        for i in range(n):
            _push(&self.idx, kids[i])
        _push(&self.ptr, self.idx.n)
        _push(&self.op, op)
        _push(&self.k, k)
        _push(&self.origin, origin)
        return self.L + self.op.n - 1

    cdef int grow(self) except -1:
        """Scratch arrays indexed by node cover every node."""
        cdef int64_t need = self.L + self.op.n
        while self.count.n < need:
            _push(&self.count, 0)
        while self.mark.n < need:
            _push(&self.mark, 0)
        return 0

    cdef inline bint of_kind(self, int64_t c, int64_t op) noexcept:
        return c >= self.L and self.op.data[c - self.L] == op

    cdef int64_t common(self, int64_t* cur, int64_t n, int64_t dual) except -2:
        """The child of ``dual`` gates among ``cur`` that most of them
        share (at least two; the first met of the most shared), or -1."""
        cdef int64_t i, y, best = -1, most = 1
        self.grow()
        for i in range(n):
            if self.of_kind(cur[i], dual):
                self.tally(cur[i])
        for i in range(self.touched.n):
            y = self.touched.data[i]
            if self.count.data[y] > most:
                best, most = y, self.count.data[y]
        self.untally()
        return best

    cdef int tally(self, int64_t g) except -1:
        """Count gate g's children (``count``; those counted listed in
        ``touched``, until :meth:`untally`)."""
        cdef int64_t j, y
        for j in range(self.ptr.data[g - self.L], self.ptr.data[g - self.L + 1]):
            y = self.idx.data[j]
            if self.count.data[y] == 0:
                _push(&self.touched, y)
            self.count.data[y] += 1
        return 0

    cdef void untally(self) noexcept:
        cdef int64_t i
        for i in range(self.touched.n):
            self.count.data[self.touched.data[i]] = 0
        self.touched.n = 0

    cdef bint has(self, int64_t g, int64_t x) noexcept:
        cdef int64_t j
        for j in range(self.ptr.data[g - self.L], self.ptr.data[g - self.L + 1]):
            if self.idx.data[j] == x:
                return 1
        return 0

    cdef int64_t emit(self, int64_t op, int64_t* kids, int64_t n, int64_t origin) except -1:
        """The node of a series or parallel gate over ``kids`` (distinct),
        written with distributivity: the children of the dual kind that
        share a child ``x`` (the members) become one, the dual gate of the
        children every member has (``x`` among them) and of the gate over
        what is left of each, that gate written the same way; or of those
        children alone when a member has nothing else (absorption)."""
        cdef int64_t dual = PARALLEL if op == SERIES else SERIES, L = self.L
        cdef int64_t x, i, i2, j, c, y, at, n_rest, n_cur = n, n_members, n_shared, first
        cdef bint empty
        cdef int64_t* cur = <int64_t*>malloc((n + 1) * sizeof(int64_t))
        cdef int64_t* rest = NULL
        cdef int64_t* part = NULL
        cdef int64_t* shared = NULL
        if cur == NULL:
            raise MemoryError()
        try:
            for i in range(n):
                cur[i] = kids[i]
            while n_cur >= 2:
                x = self.common(cur, n_cur, dual)
                if x < 0:
                    break
                self.changed = 1
                self.grow()
                # the members, and the children all of them have
                n_members, first = 0, -1
                for i in range(n_cur):
                    c = cur[i]
                    if self.of_kind(c, dual) and self.has(c, x):
                        n_members += 1
                        first = c if first < 0 else first
                        self.tally(c)
                shared = <int64_t*>malloc((self.ptr.data[first - L + 1]
                                           - self.ptr.data[first - L] + 1) * sizeof(int64_t))
                if shared == NULL:
                    raise MemoryError()
                n_shared = 0
                for i2 in range(self.ptr.data[first - L], self.ptr.data[first - L + 1]):
                    y = self.idx.data[i2]
                    if self.count.data[y] == n_members:
                        shared[n_shared] = y
                        n_shared += 1
                self.untally()
                for i in range(n_shared):
                    self.mark.data[shared[i]] = 1
                # each member's other children, as one node
                rest = <int64_t*>malloc(n_cur * sizeof(int64_t))
                if rest == NULL:
                    raise MemoryError()
                n_rest, at, j, empty = 0, -1, 0, 0
                for i in range(n_cur):
                    c = cur[i]
                    if not (self.of_kind(c, dual) and self.has(c, x)):
                        cur[j] = c
                        j += 1
                        continue
                    if at < 0:
                        at = j
                        cur[j] = -1         # the place of the new gate
                        j += 1
                    part = <int64_t*>malloc((self.ptr.data[c - L + 1]
                                             - self.ptr.data[c - L]) * sizeof(int64_t))
                    if part == NULL:
                        raise MemoryError()
                    y = 0
                    for i2 in range(self.ptr.data[c - L], self.ptr.data[c - L + 1]):
                        if not self.mark.data[self.idx.data[i2]]:
                            part[y] = self.idx.data[i2]
                            y += 1
                    if y == 0:
                        empty = 1
                    else:
                        rest[n_rest] = part[0] if y == 1 else self.gate(
                            dual, y if dual == SERIES else 1, part, y, origin)
                        n_rest += 1
                    free(part)
                    part = NULL
                n_cur = j
                for i in range(n_shared):
                    self.mark.data[shared[i]] = 0
                if not empty:
                    # distinct
                    self.grow()
                    j = 0
                    for i in range(n_rest):
                        if self.mark.data[rest[i]] == 0:
                            self.mark.data[rest[i]] = 1
                            rest[j] = rest[i]
                            j += 1
                    for i in range(j):
                        self.mark.data[rest[i]] = 0
                    shared[n_shared] = rest[0] if j == 1 else self.emit(op, rest, j, origin)
                    n_shared += 1
                free(rest)
                rest = NULL
                cur[at] = shared[0] if n_shared == 1 else self.gate(
                    dual, n_shared if dual == SERIES else 1, shared, n_shared, origin)
                free(shared)
                shared = NULL
            if n_cur == 1:
                return cur[0]
            return self.gate(op, n_cur if op == SERIES else 1, cur, n_cur, origin)
        finally:
            free(cur)
            free(rest)
            free(part)
            free(shared)


def distribute(int64_t L, list ops, list ks, list kids, list outputs, list origin):
    """The graph rewritten by distributivity: a series (parallel) gate
    whose parallel (series) children share a child ``x`` has them replaced
    by one, the children they all share or (and) the series (parallel)
    gate of what is left of each (``(x and a) or (x and b)`` is ``x and (a
    or b)``; :meth:`_Distributor.emit`), the same function with one use of
    ``x`` instead of several. ``(ops, ks, kids, outputs, origin)`` lists
    of the new graph (the gates the outputs reach, in topological order),
    or None when nothing changed."""
    cdef int64_t G = len(ops), M = 0, g, n, c
    for g in range(G):
        M += len(kids[g])
    cdef _Distributor d = _Distributor(L, G, 2 * M + 16)
    cdef int64_t[::1] rep = np.empty(L + G, dtype=np.int64)
    cdef int64_t[::1] cur = np.empty(M + 1, dtype=np.int64)
    for c in range(L):
        rep[c] = c
    for g in range(G):
        n = 0
        for c in kids[g]:
            cur[n] = rep[c]
            n += 1
        if ops[g] == SERIES or ops[g] == PARALLEL:
            rep[L + g] = d.emit(ops[g], &cur[0], n, origin[g])
        else:
            rep[L + g] = d.gate(ops[g], ks[g], &cur[0], n, origin[g])
    if not d.changed:
        return None
    return _reached(L, d.op.n, d.op.data, d.k.data, d.origin.data, d.ptr.data, d.idx.data,
                    [rep[c] for c in outputs])


cdef int _check_csr(int64_t L, const int64_t[::1] ptr, const int64_t[::1] idx,
                    list outputs=None) except -1:
    """Raise ValueError unless ``ptr``, ``idx`` are a graph's children:
    gate ``g``'s are earlier nodes, below ``L + g``; and ``outputs``, if
    given, its nodes."""
    cdef int64_t G = ptr.shape[0] - 1, g, i
    if G < 0 or ptr[0] != 0 or ptr[G] != idx.shape[0]:
        raise ValueError("ptr does not span idx")
    for g in range(G):
        if ptr[g + 1] < ptr[g]:
            raise ValueError(f"gate {g}: ptr decreases")
        for i in range(ptr[g], ptr[g + 1]):
            if not 0 <= idx[i] < L + g:
                raise ValueError(f"gate {g}: child {idx[i]} is not an earlier node")
    for i in outputs or ():
        if not 0 <= i < L + G:
            raise ValueError(f"output {i} is not a node")
    return 0


cdef struct _Placed:
    double key         # sorted by key, then tie
    double tie
    int64_t node


cdef int _by_place(const void* a, const void* b) noexcept nogil:
    cdef const _Placed* x = <const _Placed*> a
    cdef const _Placed* y = <const _Placed*> b
    if x.key != y.key:
        return -1 if x.key < y.key else 1
    if x.tie != y.tie:
        return -1 if x.tie < y.tie else 1
    return 0


def depth_first(int64_t L, const int64_t[::1] ptr not None, const int64_t[::1] idx not None,
                list outputs, const int64_t[::1] key=None):
    """Leaves in depth-first pre-order from the outputs: ``rank[leaf]``
    (int32), -1 for a leaf no output reaches. A gate's children are
    visited as given, or sorted by ``key`` (one per node; stable)."""
    cdef int64_t G = ptr.shape[0] - 1, N = L + G, M = idx.shape[0], i, n, c, g, k, m
    cdef int64_t top = 0, nxt = 0, widest = 1
    _check_csr(L, ptr, idx, outputs)
    if key is not None and key.shape[0] != N:
        raise ValueError(f"key must have one entry per node ({N})")
    for g in range(G):
        widest = max(widest, ptr[g + 1] - ptr[g])
    rank = np.full(L, -1, dtype=np.int32)
    cdef int32_t[::1] R = rank
    cdef cnp.uint8_t[::1] seen = np.zeros(N, dtype=np.uint8)
    cdef int64_t[::1] stack = np.empty(M + len(outputs) + 1, dtype=np.int64)
    cdef _Placed* buf = <_Placed*> malloc(widest * sizeof(_Placed))
    if buf == NULL:
        raise MemoryError()
    try:
        for c in outputs:
            stack[top] = c
            top += 1
            while top:
                top -= 1
                n = stack[top]
                if seen[n]:
                    continue
                seen[n] = 1
                if n < L:
                    R[n] = <int32_t> nxt
                    nxt += 1
                    continue
                g = n - L
                m = ptr[g + 1] - ptr[g]
                if key is None:
                    for i in range(ptr[g + 1] - 1, ptr[g] - 1, -1):
                        stack[top] = idx[i]
                        top += 1
                    continue
                for k in range(m):
                    buf[k].node = idx[ptr[g] + k]
                    buf[k].key = <double> key[buf[k].node]
                    buf[k].tie = k
                qsort(buf, m, sizeof(_Placed), _by_place)
                for k in range(m - 1, -1, -1):
                    stack[top] = buf[k].node
                    top += 1
    finally:
        free(buf)
    return rank


def support_sizes(int64_t L, const int64_t[::1] ptr not None,
                  const int64_t[::1] idx not None):
    """Distinct leaves below each node (1 for a leaf), int64: a bit set of
    leaves per gate, the union of its children's."""
    _check_csr(L, ptr, idx)
    cdef int64_t G = ptr.shape[0] - 1, W = (L + 63) // 64, g, i, c, w, n
    out = np.ones(L + G, dtype=np.int64)
    cdef int64_t[::1] size = out
    if G == 0:
        return out
    cdef uint64_t* bits = <uint64_t*> calloc(max(1, G * W), sizeof(uint64_t))
    cdef uint64_t* row
    if bits == NULL:
        raise MemoryError()
    with nogil:
        for g in range(G):
            row = bits + g * W
            for i in range(ptr[g], ptr[g + 1]):
                c = idx[i]
                if c < L:
                    row[c >> 6] |= (<uint64_t> 1) << (c & 63)
                else:
                    for w in range(W):
                        row[w] |= bits[(c - L) * W + w]
            n = 0
            for w in range(W):
                n += __builtin_popcountll(row[w])
            size[L + g] = n
    free(bits)
    return out


def modules(int64_t L, const int64_t[::1] ptr not None, const int64_t[::1] idx not None,
            list outputs):
    """Which gates are modules (uint8 per gate): Dutuit and Rauzy's
    algorithm (:func:`slosim.engines._preprocess.find_modules`): a gate is
    one when every node below it was first visited after it and last
    visited before its first visit ended. Gates no output reaches are not."""
    _check_csr(L, ptr, idx, outputs)
    cdef int64_t G = ptr.shape[0] - 1, N = L + G, t = 0, top = 0, n, i, g, c, lo, hi
    out = np.zeros(G, dtype=np.uint8)
    cdef cnp.uint8_t[::1] is_module = out
    cdef int64_t[::1] first = np.zeros(N, dtype=np.int64)
    cdef int64_t[::1] last = np.zeros(N, dtype=np.int64)
    cdef int64_t[::1] done = np.zeros(N, dtype=np.int64)
    cdef int64_t[::1] low = np.zeros(N, dtype=np.int64)
    cdef int64_t[::1] high = np.zeros(N, dtype=np.int64)
    # the walk: (node, next child) pairs
    cdef int64_t[::1] sn = np.empty(N + 1, dtype=np.int64)
    cdef int64_t[::1] si = np.empty(N + 1, dtype=np.int64)
    for c in outputs:
        with nogil:
            sn[0], si[0], top = c, -1, 1
            while top:
                n, i = sn[top - 1], si[top - 1]
                if i < 0:
                    t += 1
                    if first[n]:
                        last[n] = t
                        top -= 1
                        continue
                    first[n] = t
                    last[n] = t
                    if n < L:
                        done[n] = t
                        top -= 1
                        continue
                    i = ptr[n - L]
                if i < ptr[n - L + 1]:
                    si[top - 1] = i + 1
                    sn[top], si[top] = idx[i], -1
                    top += 1
                else:
                    t += 1
                    done[n] = t
                    top -= 1
    with nogil:
        for n in range(L):
            low[n], high[n] = first[n], last[n]
        for g in range(G):
            n = L + g
            if not first[n]:
                continue
            lo, hi = 4 * N + 4, 0
            for i in range(ptr[g], ptr[g + 1]):
                c = idx[i]
                lo = min(lo, first[c], low[c])
                hi = max(hi, last[c], high[c])
            low[n], high[n] = lo, hi
            is_module[g] = first[n] < lo and hi < done[n]
    return out


cdef void _insertion_sort(_Placed* a, int64_t n) noexcept nogil:
    """Sort by (key, tie), in place, in time linear in n and the inversions."""
    cdef int64_t i, j
    cdef _Placed x
    for i in range(1, n):
        x = a[i]
        j = i - 1
        while j >= 0 and _by_place(&a[j], &x) > 0:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


def force(int64_t L, const int64_t[::1] ptr not None, const int64_t[::1] idx not None,
          const int32_t[::1] start not None, int64_t iterations):
    """The FORCE order (:func:`slosim.engines._ordering.force`): ``rank``
    of each leaf (int32) after ``iterations`` rounds from the leaf order
    ``start``. Sums run in the order of the hyperedges' pins (each gate,
    then its children), so the result is numpy's bincount formulation's
    to the bit."""
    _check_csr(L, ptr, idx)
    cdef int64_t G = ptr.shape[0] - 1, N = L + G, g, i, c, n
    if start.shape[0] != L:
        raise ValueError(f"start must have one rank per leaf ({L})")
    rank = np.empty(L, dtype=np.int32)
    cdef int32_t[::1] R = rank
    if G == 0:
        rank[:] = start
        return rank
    cdef double[::1] pos = np.empty(N, dtype=np.float64)
    cdef double[::1] cog = np.empty(G, dtype=np.float64)
    cdef double[::1] acc = np.empty(N, dtype=np.float64)
    cdef double[::1] degree = np.zeros(N, dtype=np.float64)
    cdef _Placed* order = <_Placed*> malloc(N * sizeof(_Placed))
    if order == NULL:
        raise MemoryError()
    cdef double m
    try:
        with nogil:
            # start: a gate just before the first of its leaves, ties by index
            for n in range(L):
                order[n].key = start[n]
            for g in range(G):
                m = order[idx[ptr[g]]].key
                for i in range(ptr[g], ptr[g + 1]):
                    m = min(m, order[idx[i]].key)
                order[L + g].key = m - 0.5
            for n in range(N):
                order[n].tie = n
                order[n].node = n
            qsort(order, N, sizeof(_Placed), _by_place)
            for n in range(N):
                pos[order[n].node] = n
            # pins: hyperedge g holds gate L + g and its children
            for g in range(G):
                degree[L + g] += 1.0
                for i in range(ptr[g], ptr[g + 1]):
                    degree[idx[i]] += 1.0
            for _ in range(iterations):
                for g in range(G):
                    m = pos[L + g]
                    for i in range(ptr[g], ptr[g + 1]):
                        m = m + pos[idx[i]]
                    cog[g] = m / (ptr[g + 1] - ptr[g] + 1)
                for n in range(N):
                    acc[n] = 0.0
                for g in range(G):
                    acc[L + g] += cog[g]
                for g in range(G):
                    for i in range(ptr[g], ptr[g + 1]):
                        acc[idx[i]] += cog[g]
                # order[] holds the nodes by their current place: the new
                # keys, sorted stably from there (insertion: the places
                # move little from one round to the next)
                for n in range(N):
                    c = order[n].node
                    # a node in no hyperedge keeps its place
                    order[n].key = acc[c] / degree[c] if degree[c] > 0.0 else pos[c]
                    order[n].tie = n
                _insertion_sort(order, N)
                for n in range(N):
                    pos[order[n].node] = n
            for n in range(L):
                order[n].key = pos[n]
                order[n].tie = n
                order[n].node = n
            qsort(order, L, sizeof(_Placed), _by_place)
            for n in range(L):
                R[order[n].node] = <int32_t> n
    finally:
        free(order)
    return rank
