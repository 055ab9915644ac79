"""The benchmark models, their exact availabilities, and a flat form for the
NumPy baselines.

* :func:`model_a`: a 12-component checkout journey, seven services in
  series; its availability has a closed form (:func:`exact_availability_a`).
* :func:`model_b`: a seeded random 200-component DAG of services over
  regions and shared infrastructure; its availability is computed exactly by
  :func:`exact_unavailability`, which conditions on the shared components.
* :func:`timed_random_dag`: model (b) with a behaviour over time (an mttf
  and mttr per component, each keeping its availability) and timed zone
  shocks, for the timeline engine.
* :func:`model_a_day`, :func:`model_a_matrix`: model (a) with a Gaussian
  copula over all its components (:data:`DAY_LOADINGS`), as one-factor
  loadings and as the equivalent correlation matrix; the exact value from
  ``slosim.exact`` is checked by :func:`copula_exact_unavailability`
  (quadrature over the factor of :func:`exact_unavailability`).

Both sides of a benchmark simulate the same thing: :func:`flatten` walks the
slosim objects (through their public attributes) into a :class:`Structure`,
a list of gates over leaf indices that the baselines in
:mod:`baselines` evaluate.

:func:`check_exact_evaluator` validates :func:`exact_unavailability`
against brute-force enumeration (:func:`brute_force_unavailability`) on
small random DAGs; the benchmark session runs it before using the exact
value of model (b).
"""

import dataclasses
from dataclasses import dataclass
import itertools
import math

import numpy as np

import slosim as ss

__all__ = [
    "Structure",
    "BenchModel",
    "model_a",
    "model_b",
    "random_dag",
    "flatten",
    "exact_availability_a",
    "exact_unavailability",
    "brute_force_unavailability",
    "output_down",
    "check_exact_evaluator",
    "EXACT_A",
    "SEED_B",
    "CopulaBenchModel",
    "DAY_LOADINGS",
    "model_a_day",
    "model_a_matrix",
    "conditional_q",
    "copula_exact_unavailability",
    "TimedBenchModel",
    "timed_random_dag",
    "ZONE_SHOCKS",
    "MTTR_RANGE",
]

#: The availability of model (a) stated by the issue.
EXACT_A = 0.99745636063

#: Seed of model (b).
SEED_B = 20_240_601


# --- the flat form --------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Structure:
    """A model as a list of gates over leaf indices.

    Node ``i`` is leaf ``i`` for ``i < n_leaves``, else gate
    ``i - n_leaves``; gates are in topological order (children first).

    Attributes
    ----------
    names : tuple of str
        Leaf names.
    q : ndarray of float64, shape (L,)
        Leaf unavailabilities.
    gates : tuple of (int, tuple of int)
        ``(k_up, children)``: the gate is up when at least ``k_up`` of its
        children (node indices) are up.
    output : int
        Node index of the journey.
    """

    names: tuple
    q: np.ndarray
    gates: tuple
    output: int

    @property
    def n_leaves(self):
        return len(self.names)

    @property
    def n_nodes(self):
        return self.n_leaves + len(self.gates)

    def __repr__(self):
        return f"Structure(leaves={self.n_leaves}, gates={len(self.gates)})"


def flatten(node):
    """The :class:`Structure` of the graph under ``node`` (slosim objects).

    Reads only the public attributes of :class:`slosim.Component`,
    :class:`slosim.Service` (own component in series with ``requires``) and
    :class:`slosim.Gate` (``kind``, ``k``, ``children``). One object reached
    along several paths is one node: a shared dependency.
    """
    leaves, gates = {}, {}          # id -> leaf number / gate spec
    leaf_list, gate_list = [], []   # (name, q) / (k_up, child ids)
    order = []                      # gate objects, children first
    state = {}
    stack = [(node, False)]
    while stack:
        n, done = stack.pop()
        if isinstance(n, str):
            raise TypeError(f"flatten: name reference {n!r}; pass node objects")
        if done:
            state[id(n)] = 2
            order.append(n)
            continue
        if state.get(id(n)):
            continue
        if isinstance(n, ss.Component):
            state[id(n)] = 2
            leaves[id(n)] = len(leaf_list)
            leaf_list.append((n.name, n.unavailability))
            continue
        state[id(n)] = 1
        stack.append((n, True))
        for c in reversed(n.children):
            if not state.get(id(c)):
                stack.append((c, False))
    own = {}  # id(service) -> its own leaf number
    for n in order:
        if isinstance(n, ss.Service):
            own[id(n)] = len(leaf_list)
            leaf_list.append((n.name, n.unavailability))
    L = len(leaf_list)

    def index(c):
        return leaves[id(c)] if id(c) in leaves else L + gates[id(c)]

    for n in order:
        if isinstance(n, ss.Service):
            kids = (own[id(n)],) + tuple(index(c) for c in n.children)
            spec = (len(kids), kids)
        elif isinstance(n, ss.Gate):
            spec = (n.k, tuple(index(c) for c in n.children))
        else:
            raise TypeError(f"flatten: unexpected node {n!r}")
        gates[id(n)] = len(gate_list)
        gate_list.append(spec)
    return Structure(
        names=tuple(name for name, _ in leaf_list),
        q=np.array([q for _, q in leaf_list], dtype=np.float64),
        gates=tuple(gate_list),
        output=index(node),
    )


@dataclass(frozen=True, eq=False)
class BenchModel:
    """A benchmark model: the slosim model, its flat form, its exact value.

    Attributes
    ----------
    name : str
    model : slosim.Model
        One journey, named ``journey``.
    structure : Structure
    exact_unavailability : float
    """

    name: str
    model: ss.Model
    structure: Structure
    exact_unavailability: float
    journey: str = "journey"

    def __repr__(self):
        return (f"BenchModel({self.name!r}, components={self.structure.n_leaves}, "
                f"exact_unavailability={self.exact_unavailability:.6g})")


# --- model (a) ------------------------------------------------------------


def _model_a_root(C=ss.Component):
    """Model (a); ``C(name, availability=...)`` makes each component."""
    return ss.series(
        C("dns", availability=0.9999),
        C("lb", availability=0.9998),
        ss.parallel(C("api-1", availability=0.995), C("api-2", availability=0.995),
                    name="api"),
        C("auth", availability=0.9995),
        ss.k_of_n(2, [C(f"db-{i}", availability=0.998) for i in (1, 2, 3)],
                  name="db"),
        ss.parallel(C("cache-1", availability=0.997), C("cache-2", availability=0.997),
                    name="cache"),
        ss.series(C("payment-1", availability=0.9993),
                  C("payment-2", availability=0.999), name="payment"),
        name="journey",
    )


def exact_availability_a():
    """Availability of model (a) from the series/parallel/k-of-n formulas.

    Returns
    -------
    float
    """
    def pair(a):
        return 1 - (1 - a) ** 2

    a_db = 0.998
    db = a_db**3 + 3 * a_db**2 * (1 - a_db)  # at least 2 of 3 up
    return math.prod([0.9999, 0.9998, pair(0.995), 0.9995, db, pair(0.997),
                      0.9993 * 0.999])


def model_a():
    """Model (a): dns, lb, api (1-of-2), auth, db (2-of-3), cache (1-of-2),
    payment (two in series), all in series; 12 components.

    The exact unavailability is computed by :func:`exact_unavailability` on
    the flattened model and checked against the closed form
    :func:`exact_availability_a` and against :data:`EXACT_A`.
    """
    root = _model_a_root()
    structure = flatten(root)
    u = exact_unavailability(structure)
    closed = 1 - exact_availability_a()
    if not (abs(u - closed) <= 1e-15 and abs((1 - u) - EXACT_A) <= 1e-11):
        raise AssertionError(
            f"model (a): evaluator gives unavailability {u!r}, the closed form "
            f"{closed!r}, the issue {1 - EXACT_A!r}")
    if structure.n_leaves != 12:
        raise AssertionError(f"model (a) has {structure.n_leaves} components, not 12")
    return BenchModel("a", ss.Model(root), structure, u)


# --- model (a) with zone outages -------------------------------------------

#: Zone shocks over model (a): each takes down one replica of every
#: redundant group at once (probability per sample).
ZONES = {
    "zone-1": (1e-4, ["api-1", "db-1", "cache-1"]),
    "zone-2": (1e-4, ["api-2", "db-2", "cache-2"]),
    "zone-3": (2e-4, ["db-3"]),
}


def model_a_zones():
    """Model (a) with the common-cause shocks :data:`ZONES`.

    slosim gets the shocks as :class:`slosim.Shock` objects; the NumPy
    baselines get the same joint law as an explicit graph in which each
    member is in series with a shared zone component, and must sample it
    just the same (one more random state per zone, ORed into the members).
    Both forms' exact values are computed by ``slosim.exact`` and must
    agree; the explicit form is also checked by :func:`exact_unavailability`.
    """
    zone_of = {m: z for z, (_, members) in ZONES.items() for m in members}
    zone_nodes = {z: ss.Component(z, unavailability=p) for z, (p, _) in ZONES.items()}

    def explicit(name, availability):
        c = ss.Component(name, availability=availability)
        return ss.series(c, zone_nodes[zone_of[name]]) if name in zone_of else c

    plain = _model_a_root()
    comps = {n.name: n for n in _walk(plain) if isinstance(n, ss.Component)}
    shocks = [ss.Shock(z, p, members=[comps[m] for m in members])
              for z, (p, members) in ZONES.items()]
    model = ss.Model(plain, shocks=shocks)
    structure = flatten(_model_a_root(explicit))
    u = ss.exact(model)["journey"].unavailability
    u_explicit = exact_unavailability(structure)
    if abs(u - u_explicit) > 1e-14 * u:
        raise AssertionError(f"model (a+zones): shocks give {u!r}, the explicit "
                             f"graph {u_explicit!r}")
    return BenchModel("a+zones", model, structure, u)


# --- model (b) ------------------------------------------------------------

_Q_LOW, _Q_HIGH = 1e-4, 5e-3


def random_dag(n_components=200, *, seed=SEED_B, n_shared=12, n_regions=3):
    """A seeded random journey over services, regions and shared infrastructure.

    The journey is a series of services. Each service is a
    :class:`slosim.Service` (its own component) requiring a deployment and
    some shared infrastructure. A deployment is one of

    * a replica pool: ``k_of_n(k, replicas)`` (parallel when ``k = 1``);
    * a multi-region deployment: ``parallel`` or ``k_of_n`` over per-region
      stacks, each a ``series`` of the service's regional components and a
      shared per-region infrastructure component;
    * a plain ``series`` of components.

    The shared components (``n_shared`` in all, the per-region ones
    included) are each used by at least two services. Unavailabilities are
    log-uniform in [1e-4, 5e-3].

    Parameters
    ----------
    n_components : int
        Exact number of components (service components included).
    seed : int
    n_shared : int
        Shared infrastructure components (at least ``n_regions``).
    n_regions : int

    Returns
    -------
    Gate
        The journey's root, a series gate named ``journey``.
    """
    if n_shared < n_regions or n_components < n_shared + 2:
        raise ValueError("random_dag: too few components for the shared ones")
    rng = np.random.default_rng(seed)
    lo, hi = math.log(_Q_LOW), math.log(_Q_HIGH)

    def q():
        return float(math.exp(rng.uniform(lo, hi)))

    region_infra = [ss.Component(f"region-{r}", unavailability=q())
                    for r in range(n_regions)]
    infra = [ss.Component(f"infra-{i}", unavailability=q())
             for i in range(n_shared - n_regions)]

    # Plan the services' sizes: each takes 1 (own) + its private components.
    budget = n_components - n_shared
    plans = []
    while budget > 0:
        kind = str(rng.choice(["pool", "regions", "chain"], p=[0.35, 0.35, 0.3]))
        if kind == "regions":
            size = 1 + int(rng.integers(1, 3)) * n_regions
        elif kind == "pool":
            size = 1 + int(rng.integers(2, 6))
        if kind == "chain" or size > budget:
            kind, size = "chain", min(budget, 1 + int(rng.integers(0, 3)))
        plans.append((kind, size))
        budget -= size

    # Every infra component is used by at least two services, some by more.
    n_svc = len(plans)
    uses = [[] for _ in range(n_svc)]
    if n_svc >= 2:
        for comp in infra:
            count = min(n_svc, 2 + int(rng.integers(0, 3)))
            for s in rng.choice(n_svc, size=count, replace=False).tolist():
                uses[s].append(comp)

    services = []
    for s, (kind, size) in enumerate(plans):
        name = f"svc-{s}"
        C = ss.Component
        if kind == "pool":
            n = size - 1
            reps = [C(f"{name}-r{i}", unavailability=q()) for i in range(n)]
            k = int(rng.integers(1, n + 1))
            deploy = [ss.k_of_n(k, reps, name=f"{name}-pool")]
        elif kind == "regions":
            per = (size - 1) // n_regions
            stacks = [
                ss.series(*[C(f"{name}-{r}-{i}", unavailability=q()) for i in range(per)],
                          region_infra[r], name=f"{name}-{r}")
                for r in range(n_regions)
            ]
            k = int(rng.integers(1, n_regions))  # k < n_regions: redundant
            deploy = [ss.k_of_n(k, stacks, name=f"{name}-regions")]
        else:
            deploy = [C(f"{name}-c{i}", unavailability=q()) for i in range(size - 1)]
            if len(deploy) > 1:
                deploy = [ss.series(*deploy, name=f"{name}-chain")]
        services.append(ss.Service(name, unavailability=q(),
                                   requires=deploy + uses[s]))
    # A shared component used by fewer than two services (possible for small
    # models, or a region nobody deploys to) also goes to the first two.
    count = {}
    for sv in services:
        for c in _walk(sv):
            count[id(c)] = count.get(id(c), 0) + 1
    extra = [c for c in region_infra + infra if count.get(id(c), 0) < 2]
    if extra:
        services = [
            ss.Service(sv.name, unavailability=sv.unavailability,
                       requires=list(sv.requires) + [c for c in extra
                                                     if c not in _walk(sv)])
            if i < 2 else sv
            for i, sv in enumerate(services)]
    return ss.series(*services, name="journey")


def _walk(*roots):
    """Every node reachable from ``roots``, once each."""
    seen, stack = set(), list(roots)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(n.children)


def model_b(n_components=200, *, seed=SEED_B, n_shared=12):
    """Model (b): :func:`random_dag` with its exact unavailability."""
    root = random_dag(n_components, seed=seed, n_shared=n_shared)
    structure = flatten(root)
    if structure.n_leaves != n_components:
        raise AssertionError(f"model (b) has {structure.n_leaves} components, "
                             f"not {n_components}")
    return BenchModel("b", ss.Model(root), structure,
                      exact_unavailability(structure))


# --- exact evaluation -------------------------------------------------------


def _path_counts(st):
    """Number of paths from the output to each node."""
    paths = [0] * st.n_nodes
    paths[st.output] = 1
    L = st.n_leaves
    for g in range(len(st.gates) - 1, -1, -1):
        p = paths[L + g]
        if p:
            for c in st.gates[g][1]:
                paths[c] += p
    return paths


def shared_leaves(st):
    """Leaves reached from the output along more than one path."""
    paths = _path_counts(st)
    return [i for i in range(st.n_leaves) if paths[i] > 1]


def exact_unavailability(st, *, condition=(), max_conditioned=20):
    """Exact unavailability of the output of ``st``, by factoring.

    Conditions on every leaf reached along more than one path (plus the
    leaves in ``condition``): given their states, the children of every gate
    depend on disjoint sets of independent leaves, so each gate is evaluated
    exactly from its children's unavailabilities:

    * series: ``1 - prod(1 - u_i)`` (as ``-expm1(sum(log1p(-u_i)))``);
    * parallel: ``prod(u_i)``;
    * k-of-n, up when at least ``k`` are up: ``P(D >= n - k + 1)`` with ``D``
      the Poisson-binomial number of children down (a recurrence over
      positive terms).

    All ``2**s`` assignments of the ``s`` conditioned leaves are evaluated
    at once (arrays of length ``2**s``) and weighted by their probability.

    Parameters
    ----------
    st : Structure
    condition : sequence of int, optional
        Further leaves to condition on (the result does not change).
    max_conditioned : int
        Refuse to enumerate more than ``2**max_conditioned`` assignments.

    Returns
    -------
    float
    """
    cond = sorted(set(shared_leaves(st)) | set(condition))
    s = len(cond)
    if s > max_conditioned:
        raise ValueError(f"{s} shared components: 2**{s} assignments is too many")
    states = ((np.arange(2**s)[:, None] >> np.arange(s)) & 1).astype(bool)  # down
    weight = np.ones(2**s)
    u = [np.float64(x) for x in st.q]
    for j, leaf in enumerate(cond):
        qj = st.q[leaf]
        weight *= np.where(states[:, j], qj, 1 - qj)
        u[leaf] = states[:, j].astype(np.float64)
    with np.errstate(divide="ignore"):
        for k_up, kids in st.gates:
            us = [u[c] for c in kids]
            n = len(us)
            if k_up == n:
                g = -np.expm1(sum(np.log1p(-x) for x in us))
            elif k_up == 1:
                g = math.prod(us)
            else:
                m = n - k_up + 1  # down when at least m children are down
                # dist[d] = P(exactly d down so far), d < m; tail = P(>= m)
                dist = [np.ones_like(weight)] + [np.zeros_like(weight)] * (m - 1)
                tail = np.zeros_like(weight)
                for x in us:
                    tail = tail + dist[m - 1] * x
                    dist = [dist[0] * (1 - x)] + [
                        dist[d] * (1 - x) + dist[d - 1] * x for d in range(1, m)]
                g = tail
            u.append(g)
    out = np.broadcast_to(u[st.output], weight.shape)
    return float(np.sum(weight * out))


def brute_force_unavailability(st):
    """Unavailability of the output by enumerating all ``2**L`` leaf states.

    Independent of :func:`exact_unavailability`: boolean gate logic on every
    state, weighted by the state's probability. For ``L <= 16`` or so.
    """
    L = st.n_leaves
    if L > 20:
        raise ValueError(f"{L} leaves: too many to enumerate")
    total = 0.0
    for bits in itertools.product((False, True), repeat=L):
        if output_down(st, bits):
            total += math.prod(st.q[i] if b else 1 - st.q[i] for i, b in enumerate(bits))
    return total


def output_down(st, leaf_down):
    """Whether the output is down when the leaves are as ``leaf_down`` says."""
    down = [bool(b) for b in leaf_down]
    for k_up, kids in st.gates:
        n_up = sum(1 for c in kids if not down[c])
        down.append(n_up < k_up)
    return down[st.output]


def _random_small(rng, n_leaves):
    """A random small DAG with shared leaves and shared gates."""
    q = rng.choice([0.0, 1.0, 0.5, 0.1, 0.01, 0.003], size=n_leaves)
    q = np.where(rng.random(n_leaves) < 0.5, rng.uniform(0, 0.6, n_leaves), q)
    nodes = [ss.Component(f"c{i}", unavailability=float(x)) for i, x in enumerate(q)]
    for g in range(int(rng.integers(1, 6))):
        n = int(rng.integers(1, min(5, len(nodes)) + 1))
        kids = [nodes[i] for i in rng.choice(len(nodes), size=n, replace=False)]
        k = int(rng.integers(1, n + 1))
        nodes.append(ss.k_of_n(k, kids, name=f"g{g}"))
    top = [n for n in nodes if not isinstance(n, ss.Component)][-3:] + nodes[:2]
    return ss.k_of_n(int(rng.integers(1, len(top) + 1)), top, name="top")


def check_exact_evaluator(n_cases=60, *, seed=12345):
    """Check :func:`exact_unavailability` against brute force.

    On random small DAGs of two kinds: :func:`random_dag` with 6 to 14
    components (shared infrastructure and per-region components), and
    arbitrary DAGs whose gates are shared too (:func:`_random_small`), with
    probabilities including 0 and 1. Also checks that conditioning on extra
    leaves does not change the value.

    Raises
    ------
    AssertionError
        On the first disagreement beyond 1e-12 (relative) or 1e-15 (absolute).
    """
    rng = np.random.default_rng(seed)
    for case in range(n_cases):
        if case % 2 == 0:
            n = int(rng.integers(8, 15))
            root = random_dag(n, seed=int(rng.integers(2**32)), n_shared=int(rng.integers(2, 5)),
                              n_regions=2)
        else:
            root = _random_small(rng, int(rng.integers(2, 10)))
        st = flatten(root)
        want = brute_force_unavailability(st)
        extra = rng.choice(st.n_leaves, size=min(3, st.n_leaves), replace=False)
        for got in (exact_unavailability(st),
                    exact_unavailability(st, condition=extra.tolist())):
            if not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15):
                raise AssertionError(
                    f"exact evaluator: case {case} ({st!r}, shared leaves "
                    f"{shared_leaves(st)}): {got!r} != brute force {want!r}")
    return n_cases


# --- model (a) with a Gaussian copula ----------------------------------------

#: Loadings of the one-factor copula over model (a) (the "kind of day"):
#: replicas of a redundant tier (api, db, cache) share load, network and
#: deploys and load 0.6 on the factor (pairwise correlation 0.36 within
#: and across the tiers); the single components of the other services see
#: the same bad day more weakly and load 0.3.
DAY_LOADINGS = {
    "dns": 0.3, "lb": 0.3, "auth": 0.3, "payment-1": 0.3, "payment-2": 0.3,
    "api-1": 0.6, "api-2": 0.6,
    "db-1": 0.6, "db-2": 0.6, "db-3": 0.6,
    "cache-1": 0.6, "cache-2": 0.6,
}


@dataclass(frozen=True, eq=False, repr=False)
class CopulaBenchModel(BenchModel):
    """A benchmark model whose leaves are all members of one Gaussian copula.

    Attributes
    ----------
    loadings : ndarray, shape (L,)
        One-factor loadings, in the order of ``structure``'s leaves.
    correlation : ndarray, shape (L, L) or None
        The correlation matrix, in the same order, for a model whose
        copula is given as a matrix; None for the one-factor form.
    """

    loadings: np.ndarray = None
    correlation: np.ndarray = None


def conditional_q(q, loadings, f):
    """Leaf unavailabilities given the factor: ``q_i(f)``.

    ``Phi((Phi^-1(q_i) - l_i f) / sqrt(1 - l_i**2))``, for ``|l_i| < 1``.

    Parameters
    ----------
    q, loadings : array_like, shape (L,)
    f : float

    Returns
    -------
    ndarray, shape (L,)
    """
    from scipy import special

    q = np.asarray(q, dtype=np.float64)
    l = np.asarray(loadings, dtype=np.float64)
    return special.ndtr((special.ndtri(q) - l * f) / np.sqrt(1 - l * l))


def copula_exact_unavailability(st, loadings, *, lo=-10.0, hi=10.0, panels=80,
                                order=16):
    """Exact unavailability of ``st`` with a one-factor copula over its leaves.

    Given the factor ``F`` the leaves are independent with unavailabilities
    :func:`conditional_q`, so the unavailability is the integral of
    :func:`exact_unavailability` at those over the standard normal density
    of ``F``. A fixed composite Gauss-Legendre rule: ``panels`` equal
    panels of ``[lo, hi]``, ``order`` nodes each. Outside ``[-10, 10]`` the
    factor has probability ``1.5e-23``. Independent of ``slosim.exact``
    (which integrates adaptively over the compiled diagram).

    Parameters
    ----------
    st : Structure
    loadings : array_like, shape (L,)
        In ``(-1, 1)``, one per leaf of ``st``.

    Returns
    -------
    float
    """
    l = np.asarray(loadings, dtype=np.float64)
    if l.shape != (st.n_leaves,) or not np.all(np.abs(l) < 1):
        raise ValueError(f"copula_exact_unavailability: need {st.n_leaves} "
                         f"loadings in (-1, 1), got {loadings!r}")
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(lo, hi, panels + 1)
    half = (edges[1] - edges[0]) / 2
    total = 0.0
    for a in edges[:-1]:
        for xi, wi in zip(a + half * (x + 1), half * w):
            qf = conditional_q(st.q, l, xi)
            u = exact_unavailability(dataclasses.replace(st, q=qf))
            total += wi * math.exp(-xi * xi / 2) * u
    return float(total / math.sqrt(2 * math.pi))


def _model_a_day_parts():
    """Model (a)'s root, its structure, its components in leaf order, and
    the loadings (:data:`DAY_LOADINGS`) in that order."""
    root = _model_a_root()
    structure = flatten(root)
    comps = {n.name: n for n in _walk(root) if isinstance(n, ss.Component)}
    if set(comps) != set(DAY_LOADINGS) or set(structure.names) != set(comps):
        raise AssertionError("DAY_LOADINGS must name model (a)'s components")
    members = [comps[name] for name in structure.names]
    loadings = np.array([DAY_LOADINGS[name] for name in structure.names])
    return root, structure, members, loadings


def _check_copula_exact(name, u, structure, loadings):
    """Raise unless ``u`` (from ``slosim.exact``) matches the quadrature."""
    ref = copula_exact_unavailability(structure, loadings)
    if not abs(u - ref) <= 1e-9 * ref:
        raise AssertionError(f"model ({name}): slosim.exact gives {u!r}, the "
                             f"quadrature over the factor {ref!r}")


def model_a_day():
    """Model (a) with a one-factor Gaussian copula over all 12 components.

    The loadings are :data:`DAY_LOADINGS`. The exact unavailability comes
    from ``slosim.exact`` and is checked against
    :func:`copula_exact_unavailability` (to 1e-9 relative).
    """
    root, structure, members, loadings = _model_a_day_parts()
    cop = ss.GaussianCopula("day", members, loadings=loadings)
    model = ss.Model(root, copulas=[cop])
    u = ss.exact(model)["journey"].unavailability
    _check_copula_exact("a+day", u, structure, loadings)
    return CopulaBenchModel("a+day", model, structure, u, loadings=loadings)


#: A second factor shared by the replicas in zone 1 (loadings), on top of
#: :data:`DAY_LOADINGS`: the matrix of (a+matrix) has no one-factor form.
ZONE_LOADINGS = {"api-1": 0.5, "db-1": 0.5, "cache-1": 0.5}


def model_a_matrix(nodes=64):
    """Model (a) with a two-factor Gaussian copula, given as a matrix.

    ``R = outer(l, l) + outer(z, z)`` with a unit diagonal, ``l`` from
    :data:`DAY_LOADINGS` and ``z`` from :data:`ZONE_LOADINGS`: no
    one-factor form, so slosim samples it the general way (a correlated
    normal vector per sample). slosim.exact does not take it; the exact
    unavailability integrates over the zone factor ``G`` (Gauss-Hermite,
    ``nodes`` nodes) slosim.exact of the one-factor model left given ``G``
    (member ``i``: threshold ``(t_i - z_i G) / sqrt(1 - z_i**2)``, loading
    ``l_i / sqrt(1 - z_i**2)``), and is checked against a two-dimensional
    Gauss-Hermite rule over both factors of :func:`exact_unavailability`
    (to 1e-7 relative).
    """
    from scipy import special

    root, structure, members, l = _model_a_day_parts()
    z = np.array([ZONE_LOADINGS.get(name, 0.0) for name in structure.names])
    r = np.outer(l, l) + np.outer(z, z)
    np.fill_diagonal(r, 1.0)
    cop = ss.GaussianCopula("day+zone", members, correlation=r)
    if cop.one_factor:
        raise AssertionError("model (a+matrix): the matrix has a one-factor form")
    model = ss.Model(root, copulas=[cop])
    t = special.ndtri(structure.q)
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / math.sqrt(2 * math.pi)
    # nested: slosim.exact of the one-factor model given the zone factor
    scale = np.sqrt(1 - z * z)
    u = 0.0
    for g, wg in zip(x, w):
        qg = dict(zip(structure.names, special.ndtr((t - z * g) / scale).tolist()))
        inner = _model_a_root(lambda name, availability, qg=qg: ss.Component(
            name, unavailability=qg[name]))
        comps = {n.name: n for n in _walk(inner) if isinstance(n, ss.Component)}
        one = ss.GaussianCopula("day", [comps[n] for n in structure.names],
                                loadings=l / scale)
        u += wg * ss.exact(ss.Model(inner, copulas=[one]))["journey"].unavailability
    # independent: both factors by Gauss-Hermite, the structure evaluator
    s = np.sqrt(1 - l * l - z * z)
    ref = 0.0
    for f, wf in zip(x, w):
        for g, wg in zip(x, w):
            qfg = special.ndtr((t - l * f - z * g) / s)
            ref += wf * wg * exact_unavailability(dataclasses.replace(structure, q=qfg))
    if not abs(u - ref) <= 1e-7 * ref:
        raise AssertionError(f"model (a+matrix): nested quadrature gives {u!r}, "
                             f"the two-dimensional rule {ref!r}")
    return CopulaBenchModel("a+matrix", model, structure, float(u), loadings=l,
                            correlation=r)


# --- model (b) over time ------------------------------------------------------

#: Repair times of :func:`timed_random_dag`: log-uniform in this range (s).
MTTR_RANGE = (300.0, 4 * 3600.0)

#: Timed zone shocks of :func:`timed_random_dag`: each takes down one
#: region's components of every multi-region service at once (not the
#: shared ``region-r`` component): ``rate`` occurrences per second, each
#: lasting ``duration`` seconds.
ZONE_SHOCKS = {"rate": 2 / (365 * 86400.0), "duration": 5400.0}


@dataclass(frozen=True, eq=False, repr=False)
class TimedBenchModel(BenchModel):
    """A benchmark model with a behaviour over time.

    ``model`` has components and services with ``mttf=`` and ``mttr=``,
    and timed shocks; ``structure`` is the explicit form for the NumPy
    baseline: each shock one more leaf (named after it), each member in
    series with it; ``exact_unavailability`` the journey's long-run
    unavailability, from ``slosim.exact`` (checked against
    :func:`exact_unavailability` of ``structure``).

    Attributes
    ----------
    behaviours : tuple
        Per leaf of ``structure``: ``("updown", mttf, mttr)`` (exponential
        up and down times, seconds) or ``("shock", rate, duration)``
        (Poisson occurrences per second, each down for the fixed
        duration; overlapping ones merge).
    """

    behaviours: tuple = ()

    def __repr__(self):
        n_shock = sum(b[0] == "shock" for b in self.behaviours)
        return (f"TimedBenchModel({self.name!r}, components="
                f"{self.structure.n_leaves - n_shock}, shocks={n_shock}, "
                f"exact_unavailability={self.exact_unavailability:.6g})")


def _rebuilt(root, component, service):
    """``root`` built again bottom-up: ``component(c)`` gives each
    component's new node, ``service(sv)`` each service's own keywords;
    gates keep kind, ``k`` and name; a node shared stays shared."""
    memo = {}

    def build(n):
        if id(n) in memo:
            return memo[id(n)]
        if isinstance(n, ss.Service):
            out = ss.Service(n.name, requires=[build(c) for c in n.requires], **service(n))
        elif isinstance(n, ss.Component):
            out = component(n)
        else:
            kids = [build(c) for c in n.children]
            out = (ss.series(*kids, name=n.name) if n.kind == "series"
                   else ss.parallel(*kids, name=n.name) if n.kind == "parallel"
                   else ss.k_of_n(n.k, kids, name=n.name))
        memo[id(n)] = out
        return out

    return build(root)


def timed_random_dag(seed=SEED_B, n_components=200, *, n_shared=12, n_regions=3):
    """Model (b) with a behaviour over time, for the timeline engine.

    :func:`random_dag` (same seed, same graph), every component and
    service given exponential up and down times that keep its
    unavailability ``q``: ``mttr`` log-uniform in :data:`MTTR_RANGE` (5
    min to 4 h; drawn from ``default_rng([seed, 1])`` in leaf order), ``mttf
    = mttr (1 - q) / q``; and one timed shock per region, ``zone-r``
    (:data:`ZONE_SHOCKS`: twice a year, 90 minutes, fixed), taking down
    that region's components of every multi-region service.

    The exact long-run unavailability of the journey comes from
    ``slosim.exact`` and must equal :func:`exact_unavailability` of the
    explicit structure (relative 1e-12).

    Returns
    -------
    TimedBenchModel
    """
    plain = random_dag(n_components, seed=seed, n_shared=n_shared, n_regions=n_regions)
    names = flatten(plain).names
    rng = np.random.default_rng([seed, 1])
    lo, hi = (math.log(x) for x in MTTR_RANGE)
    mttr = dict(zip(names, np.exp(rng.uniform(lo, hi, len(names))).tolist()))

    def times(n):
        q = n.unavailability
        return {"mttf": mttr[n.name] * (1 - q) / q, "mttr": mttr[n.name]}

    members = {r: [] for r in range(n_regions)}    # region -> member names
    for n in _walk(plain):
        parts = n.name.split("-") if isinstance(n, ss.Component) else ()
        if len(parts) == 4 and parts[0] == "svc":  # svc-<s>-<region>-<i>
            members[int(parts[2])].append(n.name)
    rate, duration = ZONE_SHOCKS["rate"], ZONE_SHOCKS["duration"]
    zone_of = {m: f"zone-{r}" for r, ms in members.items() for m in ms}

    timed = {}
    root = _rebuilt(plain, lambda c: timed.setdefault(c.name, ss.Component(c.name, **times(c))),
                    times)
    shocks = [ss.Shock(f"zone-{r}", rate=rate, duration=duration,
                       members=[timed[m] for m in sorted(ms)])
              for r, ms in members.items() if ms]
    model = ss.Model(root, shocks=shocks)

    p_zone = -math.expm1(-rate * duration)
    zones = {z: ss.Component(z, unavailability=p_zone) for z in set(zone_of.values())}

    def explicit(c):
        own = ss.Component(c.name, **times(c))
        return ss.series(own, zones[zone_of[c.name]]) if c.name in zone_of else own

    structure = flatten(_rebuilt(plain, explicit, times))
    own = {n.name: times(n) for n in _walk(plain) if isinstance(n, (ss.Component, ss.Service))}
    behaviours = tuple(("shock", rate, duration) if name in zones
                       else ("updown", own[name]["mttf"], own[name]["mttr"])
                       for name in structure.names)
    u = ss.exact(model)["journey"].unavailability
    u_explicit = exact_unavailability(structure)
    if abs(u - u_explicit) > 1e-12 * u:
        raise AssertionError(f"timed model (b): slosim.exact gives {u!r}, the explicit "
                             f"graph {u_explicit!r}")
    return TimedBenchModel("b-timed", model, structure, u, behaviours=behaviours)
