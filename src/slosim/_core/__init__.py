"""Compiled kernels of slosim (Cython). Mechanism only; see slosim.simulate."""
