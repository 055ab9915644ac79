import numpy as np

def slots(lo: np.ndarray, hi: np.ndarray, roots: np.ndarray) -> int: ...
def probabilities(
    var: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    roots: np.ndarray,
    q: np.ndarray,
    r: np.ndarray | None = None,
    *,
    chunk: int,
    level: np.ndarray | None = None,
    up: np.ndarray | None = None,
    down: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]: ...
