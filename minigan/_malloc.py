"""Keep large freed NumPy buffers in the process instead of handing them back to the OS (glibc only).

NumPy takes its arrays from malloc. glibc serves big blocks with fresh ``mmap`` pages and gives freed
memory back to the OS, so a training step that allocates and frees the same few-MB activations over
and over pays a page fault for every 4 kB of every new array, plus the kernel zeroing it (what that
cost is measured in docs/performance.md). Two ``mallopt`` settings stop it:

    M_MMAP_THRESHOLD = 32 MB    blocks below this come from the heap, which is reused
    M_TRIM_THRESHOLD = 256 MB   free memory at the top of the heap is kept up to this amount

(the same as starting Python with MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456).
The cost: up to 256 MB of freed memory stays with the process. Set ``MINIGAN_MALLOC_TUNING=0`` to leave
malloc alone; on other C libraries (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 256 * 1024 * 1024


def tune_malloc() -> bool:
    """Apply the two settings; True when glibc accepted both."""
    if os.environ.get("MINIGAN_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        return False  # the user chose their own settings
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library already loaded into Python (no search)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
