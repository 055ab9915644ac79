import numpy as np

def optimize(
    L: int,
    ops: list[int],
    ks: list[int],
    kids: list[list[int]],
    outputs: list[int],
    origin: list[int],
    decompose: bool = True,
) -> tuple[list[int], list[int], list[list[int]], list[int], list[int]] | None: ...
def distribute(
    L: int,
    ops: list[int],
    ks: list[int],
    kids: list[list[int]],
    outputs: list[int],
    origin: list[int],
) -> tuple[list[int], list[int], list[list[int]], list[int], list[int]] | None: ...
def depth_first(
    L: int,
    ptr: np.ndarray,
    idx: np.ndarray,
    outputs: list[int],
    key: np.ndarray | None = None,
) -> np.ndarray: ...
def support_sizes(L: int, ptr: np.ndarray, idx: np.ndarray) -> np.ndarray: ...
def modules(L: int, ptr: np.ndarray, idx: np.ndarray, outputs: list[int]) -> np.ndarray: ...
def force(
    L: int, ptr: np.ndarray, idx: np.ndarray, start: np.ndarray, iterations: int
) -> np.ndarray: ...
