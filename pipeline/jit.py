"""Optional numba acceleration: ``@jit`` compiles a kernel when numba is installed, otherwise the
same function runs as plain Python (identical results, much slower)."""
from __future__ import annotations

try:  # numba is an optional speed-up, never a correctness dependency
    import numba

    def jit(fn):
        return numba.njit(cache=True, nogil=True)(fn)

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    def jit(fn):
        return fn

    AVAILABLE = False
