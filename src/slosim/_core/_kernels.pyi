import numpy as np
from numpy.random import BitGenerator

OP_ANY: int
OP_ALL: int
OP_ATLEAST_DOWN: int
OP_ATLEAST_UP: int
OP_COUNT: int
OP_NOT: int
LEAF_HITS_DOWN: int
LEAF_HITS_UP: int
LEAF_BITS: int
LEAF_FACTOR: int
LEAF_MATRIX: int
BIN_HITS: int
BIN_ALL: int
BIN_DENSE: int
MAX_BLOCK_WORDS: int
MAX_LAM: float

def simulate_chunk(
    bit_generator: BitGenerator,
    n_samples: int,
    leaf_lam: np.ndarray,
    leaf_method: np.ndarray,
    leaf_qbits: np.ndarray,
    gate_op: np.ndarray,
    gate_param: np.ndarray,
    child_ptr: np.ndarray,
    child_idx: np.ndarray,
    outputs: np.ndarray,
    nodes: np.ndarray,
    scratch: np.ndarray,
    failures: np.ndarray,
    joint: np.ndarray | None = ...,
    sub_words: int | None = ...,
    factor: tuple[np.ndarray, ...] | None = ...,
    matrix: tuple[np.ndarray, ...] | None = ...,
) -> None: ...
def scratch_rows(op: int, param: int, n_kids: int) -> int: ...
