"""Decision-diagram probabilities at many probability vectors at once.

Mechanism only: :func:`slosim.engines.evaluate_many` validates the
probabilities, picks the chunk size and runs parts of the rows on
threads. This module evaluates a diagram's nodes bottom-up for every
vector, as ``slosim._core._bdd.probabilities`` does for one:

    up[n] = q[var] up[lo] + r[var] up[hi],
    down[n] = q[var] down[lo] + r[var] down[hi],

both sums of non-negative terms, so both keep their relative precision.

The program. Only the nodes the roots reach are evaluated, in id order
(children first). Each gets a row of the work array (a "slot") when it is
computed, and gives it back after its last parent: the work array holds
the nodes alive at once, not all of them (a few dozen for service
graphs, whose children are close to their parents). Slots 0 and 1 are
the terminals.

The lanes. The vectors are taken ``chunk`` at a time. A chunk's vectors
are transposed into ``qt`` (a row of ``chunk`` lanes per variable; and
``rt`` when the availabilities are given, else ``r = 1 - q`` is computed
where it is used, as the single-vector kernel computes it), and a slot
is a row of ``chunk`` "up" lanes then a row of ``chunk`` "down" lanes:
the inner loop over a chunk's vectors reads and writes contiguous lanes,
which the compiler vectorises. Memory is ``(2 slots + variables) chunk``
doubles (``variables`` twice with ``r``) whatever the number of vectors.
The last chunk is padded (``q = 0``, ``r = 1``), so every chunk runs the
same loops.

A node with a terminal child skips the product with the terminal's 0 or
1: ``q * 0 + x`` and ``q * 1 + x`` are ``x`` and ``q + x`` exactly, so the
results are those of the general formula, bit for bit. The sweep over the
nodes is C (below), so that its lane loops can say their pointers do not
alias, and it fuses no multiply-add (a compiler may fuse in a vectorised
loop and not in its scalar remainder). A vector's numbers therefore
depend on that vector alone: not on the chunk size, its lane in the
chunk, how the rows are split between calls, or the instruction set.
"""

from libc.stdint cimport int32_t, int64_t

import numpy as np


cdef int check_children(const int32_t[::1] lo, const int32_t[::1] hi,
                        const int32_t[::1] roots) except -1:
    """Raise ValueError unless lo and hi are the children of a diagram
    (smaller ids) and roots are its nodes."""
    cdef int64_t N = lo.shape[0], n, j, bad = -1
    if N < 2 or hi.shape[0] != N:
        raise ValueError("lo and hi must have the same length, at least 2 "
                         "(the terminals)")
    if N > 2**31 - 2:
        raise ValueError(f"{N} nodes: more than the int32 ids allow")
    with nogil:
        for n in range(2, N):
            if lo[n] < 0 or lo[n] >= n or hi[n] < 0 or hi[n] >= n:
                bad = n
                break
    if bad >= 0:
        raise ValueError(f"node {bad}: children ({lo[bad]}, {hi[bad]}) are not "
                         f"smaller node ids")
    for j in range(roots.shape[0]):
        if roots[j] < 0 or roots[j] >= N:
            raise ValueError(f"root {roots[j]} is not a node (0..{N - 1})")
    return 0


cdef tuple plan(const int32_t[::1] lo, const int32_t[::1] hi,
                const int32_t[::1] roots):
    """``(order, slot, slots)``: the nodes the roots reach (internal ones,
    increasing ids), each node's slot, and the slots used (terminals
    included). A slot is taken from the freed ones (the last freed first)
    before a new one is opened, and freed at the node's last parent, after
    that parent's own slot is taken: a node never shares a slot with its
    children. Roots keep theirs."""
    cdef int64_t N = lo.shape[0], n, j, m = 0, top = 0
    cdef int32_t c, s, slots = 2, end = <int32_t> N
    last_arr = np.full(N, -1, dtype=np.int32)    # last parent; -1: unreachable
    slot_arr = np.zeros(N, dtype=np.int32)
    order_arr = np.empty(N, dtype=np.int32)
    free_arr = np.empty(N, dtype=np.int32)
    cdef int32_t[::1] last = last_arr
    cdef int32_t[::1] slot = slot_arr
    cdef int32_t[::1] order = order_arr
    cdef int32_t[::1] free = free_arr
    with nogil:
        last[0] = end
        last[1] = end
        for j in range(roots.shape[0]):
            last[roots[j]] = end
        for n in range(N - 1, 1, -1):      # parents before children
            if last[n] < 0:
                continue
            if last[lo[n]] < 0:
                last[lo[n]] = <int32_t> n  # its first parent met is its last
            if last[hi[n]] < 0:
                last[hi[n]] = <int32_t> n
        slot[1] = 1
        for n in range(2, N):
            if last[n] < 0:
                continue
            order[m] = <int32_t> n
            m += 1
            if top:
                top -= 1
                s = free[top]
            else:
                s = slots
                slots += 1
            slot[n] = s
            c = lo[n]
            if last[c] == n:
                free[top] = slot[c]
                top += 1
            c = hi[n]
            if c != lo[n] and last[c] == n:
                free[top] = slot[c]
                top += 1
    return order_arr[:m], slot_arr, int(slots)


def slots(const int32_t[::1] lo not None, const int32_t[::1] hi not None,
          const int32_t[::1] roots not None):
    """Slots (rows of ``2 * chunk`` doubles) :func:`probabilities` uses for
    these roots, the two terminals included."""
    check_children(lo, hi, roots)
    return plan(lo, hi, roots)[2]


cdef void transpose(const double *q, const double *r, int64_t C,
                    const int32_t *level, int64_t w, int64_t W, double *qt,
                    double *rt) noexcept nogil:
    """Rows ``0..w-1`` of q (and of r unless NULL; ``C`` columns) into qt
    (and rt), column e to row ``level[e]`` (``W`` lanes a row); lanes
    ``w..W-1`` get q = 0, r = 1. Eight columns (a cache line of each row)
    at a time, so that reads and writes both stay in cache."""
    cdef int64_t e0, e1, e, k, v
    cdef const double *qk
    cdef const double *rk
    for e0 in range(0, C, 8):
        e1 = min(e0 + 8, C)
        for k in range(w):
            qk = q + k * C
            for e in range(e0, e1):
                qt[level[e] * W + k] = qk[e]
            if r != NULL:
                rk = r + k * C
                for e in range(e0, e1):
                    rt[level[e] * W + k] = rk[e]
    if w < W:
        for v in range(C):
            for k in range(w, W):
                qt[v * W + k] = 0.0
                if r != NULL:
                    rt[v * W + k] = 1.0


cdef extern from *:
    """
    /* The sweep over the program, in C: its lane loops take restrict
       pointers (a node's slot never overlaps its children's or the
       probability rows; saying so lets the compiler vectorise without
       run-time overlap checks), and products are never fused into
       multiply-adds (-ffp-contract is off here), which a compiler may do
       in a vectorised loop and not in its scalar remainder: a vector's
       numbers then depend on its lane, and on the chunk size. MSVC fuses
       nothing by default. */
    #if defined(_MSC_VER)
    #define SLOSIM_R __restrict
    #else
    #define SLOSIM_R __restrict__
    #endif
    #if defined(__clang__)
    #define SLOSIM_NO_FMA _Pragma("clang fp contract(off)")
    #else
    #define SLOSIM_NO_FMA
    #endif
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC push_options
    #pragma GCC optimize ("fp-contract=off")
    #endif

    /* both children internal: u = q ul + r uh, d = q dl + r dh */
    static inline void slosim_mix(double *SLOSIM_R u, double *SLOSIM_R d,
                                  const double *SLOSIM_R q, const double *SLOSIM_R r,
                                  const double *SLOSIM_R ul, const double *SLOSIM_R dl,
                                  const double *SLOSIM_R uh, const double *SLOSIM_R dh,
                                  int64_t W) {
        SLOSIM_NO_FMA
        for (int64_t k = 0; k < W; k++) {
            u[k] = q[k] * ul[k] + r[k] * uh[k];
            d[k] = q[k] * dl[k] + r[k] * dh[k];
        }
    }
    /* the same with r = 1 - q */
    static inline void slosim_mix_q(double *SLOSIM_R u, double *SLOSIM_R d,
                                    const double *SLOSIM_R q,
                                    const double *SLOSIM_R ul, const double *SLOSIM_R dl,
                                    const double *SLOSIM_R uh, const double *SLOSIM_R dh,
                                    int64_t W) {
        SLOSIM_NO_FMA
        for (int64_t k = 0; k < W; k++) {
            double r = 1.0 - q[k];
            u[k] = q[k] * ul[k] + r * uh[k];
            d[k] = q[k] * dl[k] + r * dh[k];
        }
    }
    /* one child internal (x1, y1 its rows), reached with weight a; the
       other a terminal, reached with weight b, whose 0 side is x and 1
       side y: x = a x1 (+ b * 0), y = b (* 1) + a y1 */
    static inline void slosim_one(double *SLOSIM_R x, double *SLOSIM_R y,
                                  const double *SLOSIM_R a, const double *SLOSIM_R b,
                                  const double *SLOSIM_R x1, const double *SLOSIM_R y1,
                                  int64_t W) {
        SLOSIM_NO_FMA
        for (int64_t k = 0; k < W; k++) {
            x[k] = a[k] * x1[k];
            y[k] = b[k] + a[k] * y1[k];
        }
    }
    /* the same with a = q, b = 1 - q (the internal child is lo) */
    static inline void slosim_one_lo(double *SLOSIM_R x, double *SLOSIM_R y,
                                     const double *SLOSIM_R q,
                                     const double *SLOSIM_R x1, const double *SLOSIM_R y1,
                                     int64_t W) {
        SLOSIM_NO_FMA
        for (int64_t k = 0; k < W; k++) {
            x[k] = q[k] * x1[k];
            y[k] = (1.0 - q[k]) + q[k] * y1[k];
        }
    }
    /* the same with a = 1 - q, b = q (the internal child is hi) */
    static inline void slosim_one_hi(double *SLOSIM_R x, double *SLOSIM_R y,
                                     const double *SLOSIM_R q,
                                     const double *SLOSIM_R x1, const double *SLOSIM_R y1,
                                     int64_t W) {
        SLOSIM_NO_FMA
        for (int64_t k = 0; k < W; k++) {
            double r = 1.0 - q[k];
            x[k] = r * x1[k];
            y[k] = q[k] + r * y1[k];
        }
    }

    /* Run the program: prog[4 i .. 4 i + 3] is (variable, slot, slot of
       lo, slot of hi) of the i-th node; slot s is work[2 W s .. 2 W s + W)
       (up), then W lanes down; slots 0 and 1 are the terminals. Variable
       v's lanes are qt[W v ..] (and rt[W v ..]; rt NULL: r = 1 - q). */
    static void slosim_sweep(const int32_t *prog, int64_t M, const double *qt,
                             const double *rt, int64_t W, double *work) {
        const int64_t W2 = 2 * W;
        for (int64_t k = 0; k < W; k++) {
            work[k] = 0.0;              /* terminal "down": up 0, down 1 */
            work[W + k] = 1.0;
            work[W2 + k] = 1.0;         /* terminal "up": up 1, down 0 */
            work[W2 + W + k] = 0.0;
        }
        for (int64_t i = 0; i < M; i++) {
            const int32_t *p = prog + 4 * i;
            const double *q = qt + (int64_t)p[0] * W;
            const double *r = rt ? rt + (int64_t)p[0] * W : NULL;
            double *u = work + (int64_t)p[1] * W2;
            int32_t l = p[2], h = p[3];
            if (l >= 2 && h >= 2) {
                const double *ul = work + (int64_t)l * W2, *uh = work + (int64_t)h * W2;
                if (r)
                    slosim_mix(u, u + W, q, r, ul, ul + W, uh, uh + W, W);
                else
                    slosim_mix_q(u, u + W, q, ul, ul + W, uh, uh + W, W);
            } else if (l >= 2 || h >= 2) {
                /* c internal, t terminal: the output on t's 0 side (up for
                   t = 0, down for t = 1) is a plain product */
                int32_t c = l >= 2 ? l : h, t = l >= 2 ? h : l;
                double *x = t == 0 ? u : u + W, *y = t == 0 ? u + W : u;
                const double *x1 = x + (int64_t)(c - p[1]) * W2;  /* c's same side */
                const double *y1 = y + (int64_t)(c - p[1]) * W2;
                if (r)
                    slosim_one(x, y, c == l ? q : r, c == l ? r : q, x1, y1, W);
                else if (c == l)
                    slosim_one_lo(x, y, q, x1, y1, W);
                else
                    slosim_one_hi(x, y, q, x1, y1, W);
            } else {
                /* both terminals: the variable itself (up = r, down = q)
                   or its negation (up = q, down = r) */
                double *x = l == 0 ? u : u + W, *y = l == 0 ? u + W : u;
                for (int64_t k = 0; k < W; k++) {
                    y[k] = q[k];
                    x[k] = r ? r[k] : 1.0 - q[k];
                }
            }
        }
    }

    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC pop_options
    #endif
    """
    void slosim_sweep(const int32_t *prog, int64_t M, const double *qt,
                      const double *rt, int64_t W, double *work) noexcept nogil


def probabilities(const int32_t[::1] var not None, const int32_t[::1] lo not None,
                  const int32_t[::1] hi not None, const int32_t[::1] roots not None,
                  const double[:, ::1] q not None, r=None, *, int64_t chunk,
                  level=None, up=None, down=None):
    """Probability that each root is up and that it is down, for every row of q.

    Parameters
    ----------
    var, lo, hi : int32 arrays, shape (N,)
        Node ``n`` tests variable ``var[n]``; its child with the variable
        down (probability ``q``) is ``lo[n]``, with it up (probability
        ``r``) ``hi[n]``, both smaller ids. Nodes 0 and 1 are the
        terminals "down" and "up" (their entries are not read).
    roots : int32 array, shape (J,)
        The nodes whose probabilities are wanted.
    q : float64 array, shape (K, V)
        Row k: the variables' unavailabilities in vector k.
    r : float64 array, shape (K, V), optional
        The variables' availabilities (default ``1 - q``).
    chunk : int
        Vectors evaluated together (the lanes of the work arrays).
    level : int32 array, shape (V,), optional
        Column e of q and r holds variable ``level[e]`` (a permutation of
        ``0..V-1``); default: column v holds variable v.
    up, down : float64 arrays, shape (K, J), optional
        Where to write the results (C-contiguous; new arrays if not given).

    Returns
    -------
    up, down : float64 arrays, shape (K, J)
    """
    cdef int64_t N = var.shape[0], J = roots.shape[0]
    cdef int64_t K = q.shape[0], V = q.shape[1]
    cdef int64_t n, i, j, k, k0, w, W, M, bad = -1
    cdef const double[:, ::1] rv
    cdef bint given_r = r is not None
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    if lo.shape[0] != N:
        raise ValueError("var, lo and hi differ in length")
    check_children(lo, hi, roots)
    for n in range(2, N):
        if var[n] < 0 or var[n] >= V:
            bad = n
            break
    if bad >= 0:
        raise ValueError(f"node {bad}: variable {var[bad]} is not one of the "
                         f"{V} columns of q")
    if level is None:
        level = np.arange(V, dtype=np.int32)
    cdef const int32_t[::1] lv = level
    if lv.shape[0] != V:
        raise ValueError(f"level must have {V} entries, one per column of q")
    seen_arr = np.zeros(V, dtype=np.uint8)
    cdef unsigned char[::1] seen = seen_arr
    for i in range(V):
        if lv[i] < 0 or lv[i] >= V or seen[lv[i]]:
            raise ValueError(f"level must be a permutation of 0..{V - 1}")
        seen[lv[i]] = 1
    if given_r:
        rv = r
        if rv.shape[0] != K or rv.shape[1] != V:
            raise ValueError(f"r must have the shape of q, ({K}, {V})")
    if up is None:
        up = np.empty((K, J), dtype=np.float64)
    if down is None:
        down = np.empty((K, J), dtype=np.float64)
    cdef double[:, ::1] U = up
    cdef double[:, ::1] D = down
    if U.shape[0] != K or U.shape[1] != J or D.shape[0] != K or D.shape[1] != J:
        raise ValueError(f"up and down must have the shape ({K}, {J})")
    if K == 0 or J == 0:
        return up, down

    order_arr, slot_arr, n_slots = plan(lo, hi, roots)
    cdef const int32_t[::1] order = order_arr
    cdef const int32_t[::1] slot = slot_arr
    M = order.shape[0]
    prog_arr = np.empty((max(M, 1), 4), dtype=np.int32)
    root_arr = np.empty(J, dtype=np.int32)
    cdef int32_t[:, ::1] prog = prog_arr
    cdef int32_t[::1] root_slot = root_arr
    with nogil:
        for i in range(M):
            n = order[i]
            prog[i, 0] = var[n]
            prog[i, 1] = slot[n]
            prog[i, 2] = slot[lo[n]]
            prog[i, 3] = slot[hi[n]]
        for j in range(J):
            root_slot[j] = slot[roots[j]]

    W = min(chunk, K)
    qt_arr = np.empty((max(V, 1), W), dtype=np.float64)
    rt_arr = np.empty((max(V, 1) if given_r else 1, W), dtype=np.float64)
    work_arr = np.empty((n_slots, 2, W), dtype=np.float64)
    cdef double[:, ::1] qt = qt_arr
    cdef double[:, ::1] rt = rt_arr
    cdef double[:, :, ::1] work = work_arr
    cdef const double *rp = NULL
    k0 = 0
    with nogil:
        while k0 < K:
            w = min(W, K - k0)
            if V:
                if given_r:
                    rp = &rv[k0, 0]
                transpose(&q[k0, 0], rp, V, &lv[0], w, W, &qt[0, 0], &rt[0, 0])
            slosim_sweep(&prog[0, 0], M, &qt[0, 0], &rt[0, 0] if given_r else NULL,
                         W, &work[0, 0, 0])
            for k in range(w):
                for j in range(J):
                    U[k0 + k, j] = work[root_slot[j], 0, k]
                    D[k0 + k, j] = work[root_slot[j], 1, k]
            k0 += w
    return up, down
