"""Models for the target-allocation benchmarks (``bench_allocate.py``).

* :func:`convex_service_graph`: journeys over services, each a
  :class:`slosim.Service` requiring a replica pool (``parallel``) or a chain
  of components, and some shared infrastructure: series-parallel trees, so
  ``allocate(method="cost")`` with costs linear in nines is convex.
* :func:`nonconvex_service_graph`: :func:`exact_models.service_graph`
  (k-of-n pools, multi-region deployments), not convex.
* :func:`with_targets`: each journey's target from its current
  unavailability (halved by default), computed with :func:`slosim.exact`.
* :func:`service_costs`: ``per_nine(a)`` with ``a`` drawn per service: every
  component of a service (its own part, its replicas, its chain, its
  regional stacks) shares the service's cost; shared infrastructure and
  regions get their own.
* :func:`floor_bounds`: one availability floor for every component.

All are deterministic for a seed.
"""

import math
import re

import numpy as np

import slosim as ss

from . import exact_models as em

__all__ = [
    "convex_service_graph",
    "nonconvex_service_graph",
    "with_targets",
    "service_costs",
    "floor_bounds",
]


def _log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def convex_service_graph(n_components=1000, *, n_shared=100, n_journeys=20, seed=1,
                         q_range=(1e-5, 1e-3), p_member=0.2):
    """Journeys over services with replica pools, chains and shared
    infrastructure, every journey with a target (:func:`with_targets`).

    Each service ``svc-s`` is a :class:`slosim.Service` (its own component)
    requiring

    * a replica pool ``parallel(svc-s-r0, ..., name="svc-s-pool")`` of 2 to
      5 replicas, or a chain of 1 to 3 components ``svc-s-c0, ...`` (each
      required directly: in series), one or the other with probability 1/2;
    * 1 to 3 of the ``n_shared`` infrastructure components ``infra-i``, each
      of which is required by at least two services.

    Each journey ``journey-j`` is a ``series`` of the services it uses (each
    service with probability ``p_member``, and every service in at least
    one journey), so journeys share services and infrastructure. Every
    journey is a series-parallel tree over its components (a shared
    component is reached through series gates only), so the allocation
    problem in nines is convex.

    Returns
    -------
    slosim.Model
        ``n_components`` components (services' own parts included),
        unavailabilities log-uniform in ``q_range``; each journey's target
        its current unavailability halved.
    """
    if n_components < n_shared + 3:
        raise ValueError("convex_service_graph: too few components")
    rng = np.random.default_rng(seed)

    def q():
        return _log_uniform(rng, *q_range)

    C = ss.Component
    infra = [C(f"infra-{i}", unavailability=q()) for i in range(n_shared)]

    # The services' plans: (kind, deployment size), using the whole budget.
    budget = n_components - n_shared
    plans = []
    while budget > 0:
        if rng.random() < 0.5:
            kind, size = "pool", int(rng.integers(2, 6))
        else:
            kind, size = "chain", int(rng.integers(1, 4))
        rest = budget - 1 - size
        if rest < 0:                 # the last service takes what is left
            size = budget - 1
        elif rest == 1:              # a service needs two components at least
            size += -1 if size > (2 if kind == "pool" else 1) else 1
        if kind == "pool" and size < 2:
            kind = "chain"
        plans.append((kind, size))
        budget -= 1 + size
    n_svc = len(plans)

    # Shared infrastructure: 1 to 3 per service, each used by two services
    # at least.
    uses = [set(rng.choice(n_shared, size=int(rng.integers(1, 4)), replace=False).tolist())
            for _ in range(n_svc)]
    count = np.zeros(n_shared, dtype=int)
    for u in uses:
        count[list(u)] += 1
    for i in range(n_shared):
        while count[i] < 2:
            s = int(rng.integers(n_svc))
            if i not in uses[s] and len(uses[s]) < 3:
                uses[s].add(i)
                count[i] += 1

    services = []
    for s, (kind, size) in enumerate(plans):
        name = f"svc-{s}"
        if kind == "pool":
            reps = [C(f"{name}-r{i}", unavailability=q()) for i in range(size)]
            deploy = [ss.parallel(*reps, name=f"{name}-pool")]
        else:
            deploy = [C(f"{name}-c{i}", unavailability=q()) for i in range(size)]
        shared = [infra[i] for i in sorted(uses[s])]
        services.append(ss.Service(name, unavailability=q(), requires=deploy + shared))

    member = rng.random((n_journeys, n_svc)) < p_member
    member[rng.integers(0, n_journeys, size=n_svc), np.arange(n_svc)] = True
    journeys = [ss.Journey(ss.series(*[services[s] for s in np.flatnonzero(member[j])],
                                     name=f"journey-{j}"))
                for j in range(n_journeys)]
    model = ss.Model(journeys)
    if len(model.components) != n_components:
        raise AssertionError(f"convex_service_graph: {len(model.components)} "
                             f"components, not {n_components}")
    return with_targets(model)


def nonconvex_service_graph(n_components=1000, *, n_shared=100, n_journeys=20, seed=1):
    """:func:`exact_models.service_graph` (k-of-n replica pools, k-of-3
    multi-region deployments over per-region stacks sharing the region's
    component, chains, shared infrastructure; unavailabilities log-uniform
    in [1e-5, 1e-3]) with every journey's target its current unavailability
    halved. k-of-n gates (and regions shared below them) make the allocation
    problem not convex."""
    return with_targets(em.service_graph(n_components, n_shared=n_shared,
                                         n_journeys=n_journeys, seed=seed))


def with_targets(model, factor=0.5):
    """``model`` with each journey's target ``1 - factor * U_j``, ``U_j``
    its current unavailability (:func:`slosim.exact`)."""
    res = ss.exact(model)
    return ss.Model([ss.Journey(j.node, name=j.name,
                                target=1.0 - factor * res[j.name].unavailability)
                     for j in model.journeys])


_SERVICE = re.compile(r"^(svc-\d+)(?:-|$)")


def service_costs(model, *, seed=1, low=0.5, high=5.0):
    """Component name -> ``slosim.cost.per_nine(a)``, ``a`` uniform in
    ``[low, high]`` per service.

    A component named ``svc-s`` or ``svc-s-...`` belongs to service
    ``svc-s`` and gets its cost; any other component (shared
    infrastructure, regions) is its own group. Groups draw their ``a`` in
    the order they first appear in ``model.components``.
    """
    rng = np.random.default_rng(seed)
    per_group, out = {}, {}
    for name in model.components:
        m = _SERVICE.match(name)
        group = m.group(1) if m else name
        if group not in per_group:
            per_group[group] = ss.cost.per_nine(float(rng.uniform(low, high)))
        out[name] = per_group[group]
    return out


def floor_bounds(model, floor):
    """Component name -> ``(floor, 1.0)`` for every component."""
    return {name: (floor, 1.0) for name in model.components}
