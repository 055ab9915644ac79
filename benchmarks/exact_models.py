"""Seeded models for the exact-engine benchmarks (:mod:`bench_exact`).

* :func:`service_graph`: journeys over a DAG of services with replica
  pools (k-of-n), multi-region deployments and shared infrastructure; the
  issue's scale model is ``service_graph(500, n_shared=50)``. Optional wide
  quorum pools (``quorums``) give the model SCRAM cannot finish.
* :func:`pra_fault_tree`: a fault tree in the style of a probabilistic
  risk assessment, in the failure domain: front-line systems of redundant
  trains (AND / ``atleast`` over trains), trains as OR of their components'
  failures and of shared support systems, shared basic events, and a top
  event that is an OR of sequences (AND of two systems of one event tree).
* :func:`random_fault_tree`: an unstructured random fault tree: random
  AND / OR / ``atleast`` gates merged bottom-up over basic events, some
  events used several times, some gates shared.

All are built from slosim objects (failure-domain fault trees translated:
OR of failures = ``series``, AND = ``parallel``, ``atleast`` m of n =
``k_of_n(n - m + 1)``), deterministic for a given seed, and come with
:func:`describe`, a summary (components, gates, shared components,
journeys) for the benchmark's ``extra_info``.
"""

import math

import numpy as np

import slosim as ss

from .models import _walk

__all__ = [
    "service_graph",
    "pra_fault_tree",
    "random_fault_tree",
    "describe",
    "failure_gate",
]


def _log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def failure_gate(kind, children, *, m=None, name=None):
    """A failure-domain gate as a slosim gate.

    ``kind`` is ``"or"`` (fails when any child fails: ``series``), ``"and"``
    (fails when all fail: ``parallel``) or ``"atleast"`` (fails when at
    least ``m`` children fail: ``k_of_n(n - m + 1)``).
    """
    n = len(children)
    if kind == "or":
        return ss.series(*children, name=name)
    if kind == "and":
        return ss.parallel(*children, name=name)
    if kind == "atleast":
        if not 1 <= m <= n:
            raise ValueError(f"atleast {m} of {n}")
        return ss.k_of_n(n - m + 1, children, name=name)
    raise ValueError(f"unknown failure gate {kind!r}")


# --- service graphs ---------------------------------------------------------


def service_graph(n_components=500, *, n_shared=50, n_journeys=4, seed=0,
                  n_regions=3, quorums=(), q_range=(1e-5, 1e-3)):
    """Journeys over services, replica pools, regions and shared infrastructure.

    Each service is a :class:`slosim.Service` (its own component) requiring
    one deployment and some shared infrastructure. A deployment is

    * a replica pool ``k_of_n(k, replicas)`` with 2 to 6 replicas;
    * a multi-region deployment: ``k_of_n(k, stacks)`` with ``k`` below the
      number of regions, over per-region stacks, each a ``series`` of one or
      two regional components and the region's shared component;
    * a ``series`` of up to two components (or nothing: a leaf service).

    The ``n_shared`` shared components (the ``n_regions`` region
    components among them) are each required by 2 to 6 services. Each
    quorum ``(k, n)`` in ``quorums`` adds a service backed by
    ``k_of_n(k, n)`` over ``n`` replicas (counted in ``n_components``).
    Each journey is a ``series`` of a random subset of the services, in
    service order; every service is in at least one journey.

    Returns
    -------
    slosim.Model
        Journeys ``journey-0``, ``journey-1``, ...; ``n_components``
        components. Unavailabilities are log-uniform in ``q_range``.
    """
    if n_shared < n_regions or n_components < n_shared + 2 + sum(n + 1 for _, n in quorums):
        raise ValueError("service_graph: too few components")
    rng = np.random.default_rng(seed)

    def q():
        return _log_uniform(rng, *q_range)

    C = ss.Component
    regions = [C(f"region-{r}", unavailability=q()) for r in range(n_regions)]
    infra = [C(f"infra-{i}", unavailability=q()) for i in range(n_shared - n_regions)]

    budget = n_components - n_shared - sum(n + 1 for _, n in quorums)
    plans = []
    while budget > 0:
        kind = str(rng.choice(["pool", "regions", "chain"], p=[0.4, 0.35, 0.25]))
        if kind == "pool":
            size = 1 + int(rng.integers(2, 7))
        elif kind == "regions":
            size = 1 + int(rng.integers(1, 3)) * n_regions
        if kind == "chain" or size > budget:
            kind, size = "chain", min(budget, 1 + int(rng.integers(0, 3)))
        plans.append((kind, size))
        budget -= size
    plans += [("quorum", (k, n)) for k, n in quorums]
    order = rng.permutation(len(plans))
    plans = [plans[i] for i in order]
    n_svc = len(plans)

    # Shared infrastructure: each component required by 2 to 6 services.
    uses = [[] for _ in range(n_svc)]
    for comp in infra:
        count = min(n_svc, int(rng.integers(2, 7)))
        for s in rng.choice(n_svc, size=count, replace=False).tolist():
            uses[s].append(comp)

    services = []
    region_users = set()
    for s, (kind, size) in enumerate(plans):
        name = f"svc-{s}"
        if kind == "pool":
            n = size - 1
            reps = [C(f"{name}-r{i}", unavailability=q()) for i in range(n)]
            deploy = [ss.k_of_n(int(rng.integers(1, n + 1)), reps, name=f"{name}-pool")]
        elif kind == "quorum":
            k, n = size
            reps = [C(f"{name}-r{i}", unavailability=q()) for i in range(n)]
            deploy = [ss.k_of_n(k, reps, name=f"{name}-quorum")]
        elif kind == "regions":
            per = (size - 1) // n_regions
            stacks = [ss.series(*[C(f"{name}-{r}-{i}", unavailability=q())
                                  for i in range(per)], regions[r], name=f"{name}-{r}")
                      for r in range(n_regions)]
            region_users.add(s)
            deploy = [ss.k_of_n(int(rng.integers(1, n_regions)), stacks,
                                name=f"{name}-regions")]
        else:
            deploy = [C(f"{name}-c{i}", unavailability=q()) for i in range(size - 1)]
        requires = deploy + uses[s]
        if len(region_users) < 2 and s >= n_svc - 2 and s not in region_users:
            requires = requires + regions  # every region component is shared
            region_users.add(s)
        services.append(ss.Service(name, unavailability=q(), requires=requires))

    member = rng.random((n_journeys, n_svc)) < max(0.3, 1.5 / n_journeys)
    member[rng.integers(0, n_journeys, size=n_svc), np.arange(n_svc)] = True
    journeys = []
    for j in range(n_journeys):
        chosen = [services[s] for s in np.flatnonzero(member[j]).tolist()]
        journeys.append(ss.Journey(ss.series(*chosen, name=f"journey-{j}")))
    model = ss.Model(journeys)
    if len(model.components) != n_components:
        raise AssertionError(f"service_graph: {len(model.components)} components, "
                             f"not {n_components}")
    return model


# --- fault trees ------------------------------------------------------------


def pra_fault_tree(n_events=500, *, seed=0, q_range=(1e-4, 1e-2), n_divisions=3):
    """A PRA-style fault tree with ``n_events`` basic events.

    * Support systems in ``n_divisions`` divisions: per division, AC power
      (an OR of its own events and of an AND of the plant-wide offsite
      power event and the division's diesel generator), DC power and
      cooling (each an OR of its own events and the division's AC power).
    * Front-line systems of two to four trains; a system fails when at
      least ``m`` of its ``n`` trains fail (``m = n``: AND; otherwise an
      ``atleast`` gate). Half the systems have a common-cause event shared
      by all their trains.
    * A train fails when any of its own two to six components fails, one or
      two of its division's support systems fail (one train in ten also
      depends on a support of another division), its system's common-cause
      event occurs, or (one train in six) one of five plant-wide shared
      events occurs (operator actions, instrumentation).
    * The top event is an OR of sequences, each an AND of two front-line
      systems of one event tree (a group of three or four systems).

    Returns
    -------
    slosim.Model
        One journey, ``top``; ``n_events`` components.
    """
    rng = np.random.default_rng(seed)
    count = [0]

    def event(prefix):
        count[0] += 1
        return ss.Component(f"{prefix}-{count[0]}", unavailability=_log_uniform(rng, *q_range))

    def own(prefix, low, high):
        return [event(prefix) for _ in range(int(rng.integers(low, high + 1)))]

    offsite = event("offsite")
    plant = [event("plant") for _ in range(5)]
    supports = []  # per division: [ac, dc, cooling]
    for d in range(n_divisions):
        power = failure_gate("and", [offsite, event(f"div{d}-diesel")],
                             name=f"div{d}-no-power")
        ac = failure_gate("or", own(f"div{d}-ac", 1, 3) + [power], name=f"div{d}-ac")
        dc = failure_gate("or", own(f"div{d}-dc", 1, 3) + [ac], name=f"div{d}-dc")
        cool = failure_gate("or", own(f"div{d}-cool", 2, 3) + [ac], name=f"div{d}-cool")
        supports.append([ac, dc, cool])

    unused = list(plant)
    systems = []
    while count[0] < n_events:
        f = len(systems)
        n_trains = int(rng.integers(2, 5))
        ccf = [event(f"sys{f}-ccf")] if rng.random() < 0.5 and count[0] < n_events else []
        trains = []
        for t in range(n_trains):
            room = n_events - count[0]
            if room <= 0:
                break
            mine = [event(f"sys{f}-t{t}") for _ in range(min(room, int(rng.integers(2, 7))))]
            d = (f + t) % n_divisions
            sup = [supports[d][i] for i in rng.choice(3, size=int(rng.integers(1, 3)),
                                                      replace=False).tolist()]
            if rng.random() < 0.1:
                other = (d + 1 + int(rng.integers(n_divisions - 1))) % n_divisions
                sup.append(supports[other][int(rng.integers(3))])
            if unused:  # every plant-wide event is used
                extra = [unused.pop()]
            else:
                extra = [plant[int(rng.integers(5))]] if rng.random() < 1 / 6 else []
            trains.append(failure_gate("or", mine + sup + ccf + extra,
                                       name=f"sys{f}-train{t}"))
        if len(trains) < 2:
            if trains:  # the last few events: one more train for the previous system
                systems[-1] = failure_gate(
                    "atleast", list(systems[-1].children) + trains, m=2,
                    name=f"sys{len(systems) - 1}-x")
            break
        n = len(trains)
        m = n if n == 2 else int(rng.integers(2, n + 1))
        systems.append(failure_gate("and" if m == n else "atleast", trains, m=m,
                                    name=f"sys{f}"))

    # Event trees: groups of three or four consecutive systems; in each,
    # a sequence fails two systems after one another.
    sequences, start = [], 0
    while start < len(systems):
        size = int(rng.integers(3, 5))
        if len(systems) - start - size < 2:
            size = len(systems) - start
        group = systems[start:start + size]
        for i in range(len(group) - 1):
            sequences.append(failure_gate("and", [group[i], group[i + 1]],
                                          name=f"seq{len(sequences)}"))
        start += size
    top = failure_gate("or", sequences, name="top")
    model = ss.Model(ss.Journey(top, name="top"))
    if len(model.components) != n_events:
        raise AssertionError(f"pra_fault_tree: {len(model.components)} events, "
                             f"not {n_events}")
    return model


def random_fault_tree(n_events=200, *, seed=0, shared=0.15, max_uses=3,
                      gate_share=0.05, top_width=4, q_range=(1e-4, 2e-2)):
    """An unstructured random fault tree over ``n_events`` basic events.

    Starts from the basic events (a fraction ``shared`` of them present 2
    to ``max_uses`` times), shuffled; repeatedly merges the next two to five
    distinct nodes under a random gate (OR 55 %, AND 25 %, ``atleast`` m of
    n with 2 <= m < n 20 %) and puts the gate back at a random place in the
    back half of the queue (with probability ``gate_share`` a second copy
    too: a shared gate), until ``top_width`` distinct nodes are left: the
    top event is their OR.

    Returns
    -------
    slosim.Model
        One journey, ``top``.
    """
    rng = np.random.default_rng(seed)
    events = [ss.Component(f"e{i}", unavailability=_log_uniform(rng, *q_range))
              for i in range(n_events)]
    queue = list(events)
    for i in rng.choice(n_events, size=int(shared * n_events), replace=False).tolist():
        queue += [events[i]] * int(rng.integers(1, max_uses))
    queue = [queue[i] for i in rng.permutation(len(queue))]
    g = 0
    while True:
        distinct = {id(x) for x in queue}
        if len(distinct) <= top_width:
            break
        want = min(len(distinct), int(rng.integers(2, 6)))
        kids, rest, i = [], [], 0
        while len(kids) < want:
            if any(queue[i] is k for k in kids):
                rest.append(queue[i])
            else:
                kids.append(queue[i])
            i += 1
        queue = rest + queue[i:]
        u, n = rng.random(), len(kids)
        if u < 0.55:
            gate = failure_gate("or", kids, name=f"G{g}")
        elif u < 0.8 or n < 3:
            gate = failure_gate("and", kids, name=f"G{g}")
        else:
            gate = failure_gate("atleast", kids, m=int(rng.integers(2, n)), name=f"G{g}")
        g += 1
        queue.insert(int(rng.integers(len(queue) // 2, len(queue) + 1)), gate)
        if rng.random() < gate_share:
            queue.insert(int(rng.integers(0, len(queue) + 1)), gate)
    tops, seen = [], set()
    for x in queue:
        if id(x) not in seen:
            seen.add(id(x))
            tops.append(x)
    top = failure_gate("or", tops, name="top") if len(tops) > 1 else tops[0]
    return ss.Model(ss.Journey(top, name="top"))


# --- description ------------------------------------------------------------


def describe(model):
    """Components, gates, shared components and journeys of ``model``.

    A component is shared when it has more than one parent.
    """
    parents, gates, seen = {}, 0, set()
    stack = [j.node for j in model.journeys]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, ss.Component):
            gates += 1
        for c in node.children:
            parents[id(c)] = parents.get(id(c), 0) + 1
            stack.append(c)
    comps = {id(n): n for n in _nodes(model) if isinstance(n, ss.Component)}
    widest = max((len(n.children) for n in _nodes(model) if isinstance(n, ss.Gate)),
                 default=0)
    return {
        "components": len(model.components),
        "gates": gates,
        "shared_components": sum(1 for i in comps if parents.get(i, 0) > 1),
        "journeys": len(model.journeys),
        "widest_gate": widest,
    }


def _nodes(model):
    return _walk(*(j.node for j in model.journeys))
