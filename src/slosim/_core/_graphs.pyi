UP: int
DOWN: int

def optimize_kids(
    L: int,
    ops: list[int],
    ks: list[int],
    kids: list[list[int]],
    outputs: list[int],
    decompose: bool = True,
) -> list[list[int]] | None: ...
