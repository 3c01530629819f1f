"""``cupy.cuda.runtime`` of the stand-in."""


def getDeviceCount() -> int:  # noqa: N802  (CUDA's name)
    return 1


def getDeviceProperties(device: int) -> dict:  # noqa: N802
    return {"name": b"minigan CuPy stand-in (NumPy on the CPU)", "totalGlobalMem": 0, "major": 9, "minor": 0}


def deviceSynchronize() -> None:  # noqa: N802
    return None


def runtimeGetVersion() -> int:  # noqa: N802
    return 12000
