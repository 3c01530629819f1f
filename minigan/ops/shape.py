"""Shape operations: they move numbers around, so their backward moves gradients back."""

from __future__ import annotations

from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module
from ..backend import to_device as _array_to_device


class Reshape(Function):
    """y = a viewed with a new shape;  da = g reshaped back, stored in a's memory order.

    The memory order matters for speed: a flattened gradient reshaped back to (N, C, H, W) is stored
    channels-first, while the activations it meets next (saved by LeakyReLU, batch norm) are stored
    channels-last, and an elementwise op on two arrays of different orders runs several times slower.
    """

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, g):
        a = self.inputs[0]
        if is_grad_enabled() or a.data.flags.c_contiguous:
            return reshape(g, a.shape)
        da = array_module(a.data).empty_like(a.data)  # same strides order as a
        da[...] = g.data.reshape(a.shape)
        return Tensor(da)


class Transpose(Function):
    """y = a with its axes permuted;  da = g with the inverse permutation."""

    def forward(self, a):
        return a.transpose(self.axes)

    def backward(self, g):
        axes = self.axes if self.axes is not None else tuple(reversed(range(g.ndim)))
        inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return transpose(g, inverse)


class BroadcastTo(Function):
    """y = a repeated along broadcast axes;  da = g summed over them."""

    def forward(self, a):
        return array_module(a).broadcast_to(a, self.shape)

    def backward(self, g):
        return sum_to(g, self.inputs[0].shape)


class SumTo(Function):
    """y = a summed down to ``shape`` (the adjoint of broadcasting);  da = g broadcast back."""

    def forward(self, a):
        lead = a.ndim - len(self.shape)
        stretched = tuple(lead + i for i, n in enumerate(self.shape) if n == 1 and a.shape[lead + i] != 1)
        axes = tuple(range(lead)) + stretched
        y = a.sum(axis=axes, keepdims=True) if axes else a
        return y.reshape(self.shape)

    def backward(self, g):
        return broadcast_to(g, self.inputs[0].shape)


class GetItem(Function):
    """y = a[index];  da = zeros with g added at ``index``."""

    def forward(self, a):
        return a[self.index]

    def backward(self, g):
        return IndexAdd.apply(g, index=self.index, shape=self.inputs[0].shape)


class IndexAdd(Function):
    """y = zeros(shape) with g added at ``index`` (repeated indices add up);  dg = y[index]."""

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
    """y = the inputs joined along ``axis``;  each input gets its slice of g."""

    def forward(self, *arrays):
        return array_module(arrays[0]).concatenate(arrays, axis=self.axis)

    def backward(self, g):
        grads, start = [], 0
        axis = self.axis % g.ndim
        for t in self.inputs:
            stop = start + t.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(getitem(g, index))
            start = stop
        return tuple(grads)


class Pad(Function):
    """y = a with zeros around it (``pad_width`` as in numpy.pad);  da = the interior of g."""

    def forward(self, a):
        return array_module(a).pad(a, self.pad_width)

    def backward(self, g):
        index = tuple(slice(before, g.shape[i] - after) for i, (before, after) in enumerate(self.pad_width))
        return getitem(g, index)


class ToDevice(Function):
    """y = a copied to another device;  da = g copied back."""

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
        return out


# ----------------------------------------------------------------------------- functional forms


def _as_shape(shape) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)


def reshape(a: Tensor, shape) -> Tensor:
    shape = _as_shape(shape)
    if a.shape == shape:
        return a
    return Reshape.apply(a, shape=shape)


def transpose(a: Tensor, axes=None) -> Tensor:
    return Transpose.apply(a, axes=None if axes is None else tuple(int(i) % a.ndim for i in axes))


def swapaxes(a: Tensor, axis1: int, axis2: int) -> Tensor:
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


def broadcast_to(a: Tensor, shape) -> Tensor:
    shape = _as_shape(shape)
    if a.shape == shape:
        return a
    return BroadcastTo.apply(a, shape=shape)


def sum_to(a: Tensor, shape) -> Tensor:
    """Sum ``a`` down to ``shape`` over the axes that broadcasting added or stretched."""
    shape = _as_shape(shape)
    if a.shape == shape:
        return a
    return SumTo.apply(a, shape=shape)


def getitem(a: Tensor, index) -> Tensor:
    """a[index] with ints, slices, None, Ellipsis, integer / boolean arrays or tensors."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(i.data if isinstance(i, Tensor) else i for i in items)
    if any(isinstance(i, list) for i in items):
        xp = array_module(a.data)
        items = tuple(xp.asarray(i) if isinstance(i, list) else i for i in items)
    return GetItem.apply(a, index=items if len(items) != 1 else items[0])


def concat(tensors, axis: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concat needs at least one tensor")
    ndims = {getattr(t, "ndim", None) for t in tensors}
    if len(ndims) != 1:
        raise ValueError(f"concat: all tensors need the same number of dimensions, got shapes "
                         f"{[tuple(getattr(t, 'shape', ())) for t in tensors]}")
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    axis = axis % (tensors[0].ndim + 1)
    return concat([expand_dims(t, axis) for t in tensors], axis=axis)


def expand_dims(a: Tensor, axis: int) -> Tensor:
    axis = axis % (a.ndim + 1)
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def squeeze(a: Tensor, axis: int) -> Tensor:
    if a.shape[axis] != 1:
        raise ValueError(f"cannot squeeze axis {axis} of size {a.shape[axis]}")
    axis = axis % a.ndim
    return reshape(a, a.shape[:axis] + a.shape[axis + 1:])


def pad(a: Tensor, pad_width) -> Tensor:
    """Zero padding; ``pad_width`` is an int or one (before, after) pair per axis, as in numpy.pad."""
    if isinstance(pad_width, int):
        pad_width = ((pad_width, pad_width),) * a.ndim
    pad_width = tuple((int(b), int(e)) for b, e in pad_width)
    if len(pad_width) != a.ndim or any(b < 0 or e < 0 for b, e in pad_width):
        raise ValueError(f"pad: need one non-negative (before, after) pair per axis of {a.shape}, got {pad_width}")
    return Pad.apply(a, pad_width=pad_width)


def to_device(a: Tensor, device: str) -> Tensor:
    return ToDevice(device=device)(a)
