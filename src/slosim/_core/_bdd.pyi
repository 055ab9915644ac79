import numpy as np

GATE_SERIES: int
GATE_PARALLEL: int
GATE_KOFN: int
GATE_NOT: int

class BudgetExceeded(Exception): ...

def memory_pool(limit: int | None = None) -> tuple[int, int]: ...

class Diagram:
    def __init__(
        self, n_vars: int, max_nodes: int, max_slots: int = ..., capacity: int = ...
    ) -> None: ...
    @property
    def nodes(self) -> int: ...
    @property
    def budget(self) -> int: ...
    @budget.setter
    def budget(self, value: int) -> None: ...
    def reserve(self, capacity: int) -> None: ...
    def truncate(self, size: int) -> None: ...
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

def build(
    d: Diagram,
    leaf_var: np.ndarray,
    gate_op: np.ndarray,
    gate_k: np.ndarray,
    child_ptr: np.ndarray,
    child_idx: np.ndarray,
    resume: tuple[np.ndarray, int] | None = None,
    segments: np.ndarray | None = None,
    budgets: np.ndarray | None = None,
    starts: np.ndarray | None = None,
) -> np.ndarray: ...
def probabilities(
    d: Diagram, q: np.ndarray, r: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]: ...
def reachable(d: Diagram, roots: np.ndarray) -> int: ...
def compact(d: Diagram, roots: np.ndarray) -> tuple[Diagram, np.ndarray]: ...
def probabilities_between(
    d: Diagram,
    q: np.ndarray,
    r: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    start: int,
    stop: int,
    var_node: np.ndarray,
) -> None: ...
def conditionals(
    d: Diagram,
    root: int,
    q: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    r: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...
def part_conditionals(
    d: Diagram,
    roots: np.ndarray,
    los: np.ndarray,
    vlos: np.ndarray,
    vhis: np.ndarray,
    q: np.ndarray,
    r: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...

class Zdd:
    def __init__(self, n_vars: int, max_nodes: int, max_slots: int = ...) -> None: ...
    @property
    def nodes(self) -> int: ...
    @property
    def budget(self) -> int: ...
    @budget.setter
    def budget(self, value: int) -> None: ...
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

def minimal_solutions(d: Diagram, z: Zdd, roots: np.ndarray) -> np.ndarray: ...
def count(z: Zdd, root: int, max_order: int = ...) -> int: ...
def most_probable(
    z: Zdd,
    root: int,
    logq: np.ndarray,
    k: int,
    limit: int,
    log_floor: float,
    tol: float,
    max_order: int = ...,
    max_table: int = ...,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def family_functions(d: Diagram, z: Zdd, root: int, levels: np.ndarray) -> np.ndarray: ...
def cube_functions(d: Diagram, ptr: np.ndarray, levels: np.ndarray) -> np.ndarray: ...
