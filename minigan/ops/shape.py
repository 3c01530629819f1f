"""Shape operations: they move numbers around, so their backward moves gradients back.

Each op's user-facing function is right under its class. Names and arguments follow PyTorch
(``transpose(x, dim0, dim1)``, ``permute(x, dims)``, ``cat(tensors, dim)``); NumPy's ``axis`` is
accepted as another name for ``dim``.
"""

from __future__ import annotations

from .. import kernels
from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module
from ..backend import to_device as _array_to_device


def _as_shape(shape) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)


def _one_dim(dim, axis, name: str, default=None):
    """PyTorch's ``dim``, or NumPy's ``axis`` for it (not both)."""
    if axis is not None:
        if dim is not None and dim != default:
            raise TypeError(f"{name}: pass dim or axis, not both")
        return axis
    return default if dim is None else dim


class Reshape(Function):
    """y = a viewed with a new shape;  da = g reshaped back.

    Fast tier, first-order backward: the gradient is stored in a's memory order. A flattened gradient
    reshaped back to (N, C, H, W) is stored channels-first, while the activations it meets next (saved
    by LeakyReLU, batch norm) are channels-last, and elementwise ops on two layouts are slow.
    """

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, g):
        a = self.inputs[0]
        if kernels.textbook() or is_grad_enabled() or a.data.flags.c_contiguous:
            return reshape(g, a.shape)
        da = array_module(a.data).empty_like(a.data)  # same strides order as a
        da[...] = g.data.reshape(a.shape)
        return Tensor(da)


def reshape(a: Tensor, shape) -> Tensor:
    shape = _as_shape(shape)
    if a.shape == shape:
        return a
    return Reshape.apply(a, shape=shape)


class Permute(Function):
    """y = a with its axes permuted: y.shape[i] = a.shape[dims[i]];  da = g with the inverse permutation."""

    def __init__(self, dims: tuple[int, ...]):
        self.dims = dims

    def forward(self, a):
        return a.transpose(self.dims)

    def backward(self, g):
        inverse = tuple(sorted(range(len(self.dims)), key=self.dims.__getitem__))
        return permute(g, inverse)


def permute(a: Tensor, dims) -> Tensor:
    """a with its dims reordered (``torch.permute``); ``dims`` is a permutation of 0..ndim−1."""
    dims = tuple(int(d) % max(a.ndim, 1) for d in dims)
    if sorted(dims) != list(range(a.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {a.ndim} dims of shape {a.shape}")
    return Permute.apply(a, dims=dims)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """a with dims ``dim0`` and ``dim1`` swapped (``torch.transpose``)."""
    dims = list(range(a.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(a, dims)


swapaxes = transpose  # NumPy's name


class BroadcastTo(Function):
    """y = a repeated along broadcast axes;  da = g summed over them."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        return array_module(a).broadcast_to(a, self.shape)

    def backward(self, g):
        return sum_to(g, self.inputs[0].shape)


def broadcast_to(a: Tensor, shape) -> Tensor:
    shape = _as_shape(shape)
    if a.shape == shape:
        return a
    return BroadcastTo.apply(a, shape=shape)


class SumTo(Function):
    """y = a summed down to ``shape`` (the adjoint of broadcasting);  da = g broadcast back."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        lead = a.ndim - len(self.shape)
        stretched = tuple(lead + i for i, n in enumerate(self.shape) if n == 1 and a.shape[lead + i] != 1)
        axes = tuple(range(lead)) + stretched
        y = a.sum(axis=axes, keepdims=True) if axes else a
        return y.reshape(self.shape)

    def backward(self, g):
        return broadcast_to(g, self.inputs[0].shape)


def sum_to(a: Tensor, shape) -> Tensor:
    """Sum ``a`` down to ``shape`` over the axes that broadcasting added or stretched."""
    shape = _as_shape(shape)
    if a.shape == shape:
        return a
    return SumTo.apply(a, shape=shape)


class GetItem(Function):
    """y = a[index];  da = zeros with g added at ``index``."""

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        return a[self.index]

    def backward(self, g):
        return IndexAdd.apply(g, index=self.index, shape=self.inputs[0].shape)


def getitem(a: Tensor, index) -> Tensor:
    """a[index] with ints, slices, None, Ellipsis, integer / boolean arrays or tensors."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(i.data if isinstance(i, Tensor) else i for i in items)
    if any(isinstance(i, list) for i in items):
        xp = array_module(a.data)
        items = tuple(xp.asarray(i) if isinstance(i, list) else i for i in items)
    return GetItem.apply(a, index=items if len(items) != 1 else items[0])


class IndexAdd(Function):
    """y = zeros(shape) with g added at ``index`` (repeated indices add up);  dg = y[index]."""

    def __init__(self, index, shape: tuple[int, ...]):
        self.index, self.shape = index, shape

    def forward(self, g):
        xp = array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.index):
            out[self.index] = g
        else:
            xp.add.at(out, self.index, g)
        return out

    def backward(self, gg):
        return getitem(gg, self.index)


def _is_basic(index) -> bool:
    """Basic indexing (ints, slices, None, ...) never repeats an element, so assignment suffices."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class Concat(Function):
    """y = the inputs joined along ``dim``;  each input gets its slice of g."""

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, *arrays):
        return array_module(arrays[0]).concatenate(arrays, axis=self.dim)

    def backward(self, g):
        grads, start = [], 0
        dim = self.dim % g.ndim
        for t in self.inputs:
            stop = start + t.shape[dim]
            grads.append(getitem(g, (slice(None),) * dim + (slice(start, stop),)))
            start = stop
        return tuple(grads)


def concat(tensors, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """The tensors joined along ``dim`` (``torch.cat``; default 0)."""
    dim = _one_dim(dim, axis, "concat", default=0)
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concat needs at least one tensor")
    ndims = {getattr(t, "ndim", None) for t in tensors}
    if len(ndims) != 1:
        raise ValueError(f"concat: all tensors need the same number of dimensions, got shapes "
                         f"{[tuple(getattr(t, 'shape', ())) for t in tensors]}")
    return Concat.apply(*tensors, dim=dim)


cat = concat  # PyTorch's name


def stack(tensors, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """The tensors (all of one shape) joined along a new dim ``dim`` (default 0)."""
    dim = _one_dim(dim, axis, "stack", default=0)
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    dim = dim % (tensors[0].ndim + 1)
    return concat([unsqueeze(t, dim) for t in tensors], dim)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """a with a new dim of size 1 at ``dim``."""
    dim = dim % (a.ndim + 1)
    return reshape(a, a.shape[:dim] + (1,) + a.shape[dim:])


expand_dims = unsqueeze  # NumPy's name


def squeeze(a: Tensor, dim: int | None = None) -> Tensor:
    """a without the dim ``dim`` of size 1 (PyTorch: unchanged if that dim is not 1); all size-1 dims
    without ``dim``."""
    if dim is None:
        return reshape(a, tuple(n for n in a.shape if n != 1))
    dim = dim % max(a.ndim, 1)
    if a.ndim == 0 or a.shape[dim] != 1:
        return a
    return reshape(a, a.shape[:dim] + a.shape[dim + 1:])


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim``..``end_dim`` into one (``torch.flatten``)."""
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = start_dim % a.ndim, end_dim % a.ndim
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {a.shape}")
    size = 1
    for n in a.shape[start:end + 1]:
        size *= n
    return reshape(a, a.shape[:start] + (size,) + a.shape[end + 1:])


class Pad(Function):
    """y = a with zeros around it (``pad_width`` as in numpy.pad);  da = the interior of g."""

    def __init__(self, pad_width: tuple[tuple[int, int], ...]):
        self.pad_width = pad_width

    def forward(self, a):
        return array_module(a).pad(a, self.pad_width)

    def backward(self, g):
        index = tuple(slice(before, g.shape[i] - after) for i, (before, after) in enumerate(self.pad_width))
        return getitem(g, index)


def pad(a: Tensor, pad_width) -> Tensor:
    """Zero padding; ``pad_width`` is an int or one (before, after) pair per axis, as in numpy.pad."""
    if isinstance(pad_width, int):
        pad_width = ((pad_width, pad_width),) * a.ndim
    pad_width = tuple((int(b), int(e)) for b, e in pad_width)
    if len(pad_width) != a.ndim or any(b < 0 or e < 0 for b, e in pad_width):
        raise ValueError(f"pad: need one non-negative (before, after) pair per axis of {a.shape}, got {pad_width}")
    return Pad.apply(a, pad_width=pad_width)


class ToDevice(Function):
    """y = a copied to another device;  da = g copied back."""

    def __init__(self, device: str):
        self.device = device

    def forward(self, a):
        self.source = "cuda" if type(a).__module__.startswith("cupy") else "cpu"
        return _array_to_device(a, self.device)

    def backward(self, g):
        return to_device(g, self.source)

    def __call__(self, a):  # the one op whose input and output live on different devices
        out = Tensor(self.forward(a.data), requires_grad=False)
        if a.requires_grad and is_grad_enabled():
            out.requires_grad = True
            self.inputs, self.output_meta, out.creator = [a], [(out.shape, out.dtype)], self
            self.input_versions = [a._version]
        return out


def to_device(a: Tensor, device: str) -> Tensor:
    return ToDevice(device=device)(a)
