"""A one-line parity check against PyTorch, after tinygrad's ``helper_test_op``:

    parity([(3, 4)], lambda x: x.sum(1, keepdim=True))                      # a Tensor method
    parity([(2, 5)], lambda x: F.softmax(x, 1), lambda x: torch.nn.functional.softmax(x, 1))

runs the same lambda (or a PyTorch twin) on minigan and on PyTorch tensors made from the same random
float64 numbers, and compares the values and the gradients of ⟨v, output⟩ for a random v, leaf by leaf
(None must match None: a leaf PyTorch gives no gradient gets none here either). Skips without PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigan as mg


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _numpy(x):
    if isinstance(x, mg.Tensor):
        return x.numpy()
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def parity(shapes, fn, torch_fn=None, *, low: float = -2.0, high: float = 2.0, grad: bool = True, rtol: float = 1e-7,
           atol: float = 1e-10, seed: int = 0, arrays=None):
    """Compare ``fn`` on minigan tensors with ``torch_fn`` (default: ``fn``) on PyTorch tensors.

    ``shapes`` gives one float64 leaf per shape, uniform in [low, high); or pass ``arrays`` directly.
    Returns the minigan output(s).
    """
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    if arrays is None:
        arrays = [rng.uniform(low, high, shape) for shape in shapes]
    ours = [mg.tensor(a, dtype="float64", requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    out, ref = fn(*ours), (torch_fn or fn)(*theirs)
    outs, refs = _outputs(out), _outputs(ref)
    assert len(outs) == len(refs), f"{len(outs)} outputs, PyTorch gives {len(refs)}"
    for o, r in zip(outs, refs):
        assert tuple(o.shape) == tuple(r.shape), f"shape {tuple(o.shape)}, PyTorch gives {tuple(r.shape)}"
        np.testing.assert_allclose(_numpy(o), _numpy(r), rtol=rtol, atol=atol, err_msg="values differ from PyTorch")
    if not grad:
        return out
    head, head_ref = outs[0], refs[0]  # the differentiable output (for max(dim): the values)
    v = rng.standard_normal(tuple(head.shape))
    (head * mg.tensor(v, dtype="float64", device=head.device)).sum().backward()
    (head_ref * torch.tensor(v)).sum().backward()
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b.grad is None:
            assert a.grad is None, f"input {i}: PyTorch gives no gradient, minigan gives one"
            continue
        assert a.grad is not None, f"input {i}: minigan gives no gradient, PyTorch gives one"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from PyTorch")
    return out
