import numpy as np

GATE_SERIES: int
GATE_PARALLEL: int
GATE_KOFN: int

class BudgetExceeded(Exception): ...

class Diagram:
    def __init__(self, n_vars: int, max_nodes: int, max_slots: int = ...) -> None: ...
    @property
    def nodes(self) -> int: ...
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

def build(
    d: Diagram,
    leaf_var: np.ndarray,
    gate_op: np.ndarray,
    gate_k: np.ndarray,
    child_ptr: np.ndarray,
    child_idx: np.ndarray,
) -> np.ndarray: ...
def probabilities(
    d: Diagram, q: np.ndarray, r: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]: ...
def conditionals(
    d: Diagram,
    root: int,
    q: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    r: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...
