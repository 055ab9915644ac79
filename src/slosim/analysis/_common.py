"""What the analyses share: checking journey targets, naming unknown names."""

from .._errors import UnknownNodeError
from .._validation import check_real, param_error

__all__ = ["journey_targets", "unknown"]


def journey_targets(journeys, own, targets, func, *, high_open):
    """Journey name -> target: the journeys' own (``own``, None for none)
    replaced by those in ``targets``, each checked, in journey order."""
    out = {j: t for j, t in zip(journeys, own) if t is not None}
    if targets is not None:
        if not hasattr(targets, "items"):
            raise param_error("targets", func, "a dict of journey name -> target",
                              targets, TypeError)
        for j, t in targets.items():
            if j not in journeys:
                raise unknown(func, "targets", "journey", j, journeys)
            out[j] = t
    return {j: check_real(out[j], f"targets[{j!r}]", func, low=0, high=1, low_open=True,
                          high_open=high_open)
            for j in journeys if j in out}


def unknown(func, key, what, name, known):
    """UnknownNodeError: ``key`` of ``func`` names ``name``, no ``what``."""
    known = list(known)
    shown = ", ".join(map(repr, known[:8]))
    more = ", ..." if len(known) > 8 else ""
    return UnknownNodeError(f"{key} of {func} names {name!r}, which is no {what} of the "
                            f"model ({what}s: {shown}{more})",
                            name if isinstance(name, str) else None)
