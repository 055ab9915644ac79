import numpy as np

DIST_EXPONENTIAL: int
DIST_WEIBULL: int
DIST_LOGNORMAL: int
DIST_FIXED: int
TOL: float
OK: int
TOO_MANY_EVENTS: int

def run_chunk(
    bit_generator: np.random.BitGenerator,
    n_runs: int,
    *,
    dist_kind: np.ndarray,
    dist_a: np.ndarray,
    dist_b: np.ndarray,
    dist_c: np.ndarray,
    up_dist: np.ndarray,
    down_dist: np.ndarray,
    p_down: np.ndarray,
    ev_const: np.ndarray,
    cls_ptr: np.ndarray,
    cls_rate: np.ndarray,
    cls_load: np.ndarray,
    cls_err: np.ndarray,
    cls_dist: np.ndarray,
    gate_k: np.ndarray,
    child_ptr: np.ndarray,
    child_idx: np.ndarray,
    outputs: np.ndarray,
    horizon: float,
    window: float,
    n_windows: int,
    levels: np.ndarray,
    budget: np.ndarray,
    stationary: bool = True,
    rolling: bool = False,
    keep: int = 0,
    max_events: int = 10**7,
    bad: np.ndarray,
    incidents: np.ndarray,
    crossings: np.ndarray,
    mean_ratio: np.ndarray,
    attribution: np.ndarray,
    worst: np.ndarray | None = None,
    time_out: np.ndarray | None = None,
) -> tuple[int, int, list[list[tuple[np.ndarray, np.ndarray]]]]: ...
def _test_gate_values(
    gate_k: np.ndarray, child_ptr: np.ndarray, child_idx: np.ndarray, event_values: np.ndarray
) -> np.ndarray: ...
