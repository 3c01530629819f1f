"""``cupy.cuda`` of the stand-in: one pretend device, synchronisation that does nothing."""

from . import curand, runtime  # noqa: F401


class Device:
    """The one device (id 0); ``with Device(0):`` and ``synchronize()`` as in CuPy."""

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if not 0 <= self.id < runtime.getDeviceCount():
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def use(self):
        return None

    def synchronize(self):
        return None

    @property
    def compute_capability(self) -> str:
        return "90"

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    null = None

    def synchronize(self):
        return None


Stream.null = Stream()


def get_current_stream():
    return Stream.null


def is_available() -> bool:
    return True
