"""``cupy.linalg`` of the stand-in: NumPy's routines on device arrays."""

import numpy as np

from ._stand_in import device_only, wrap

_ROUTINES = ["norm", "svd", "eigh", "eigvalsh", "cholesky", "inv", "pinv", "solve", "qr", "det", "slogdet",
           "matrix_power", "lstsq"]


def _routine(name):
    np_func = getattr(np.linalg, name)

    def routine(*args, **kwargs):
        return wrap(np_func(*device_only(args, name), **device_only(kwargs, name)))

    routine.__name__ = name
    return routine


globals().update({name: _routine(name) for name in _ROUTINES})
