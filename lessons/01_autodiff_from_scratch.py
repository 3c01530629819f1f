# %% [markdown]
# # Lesson 01 — Autodiff from scratch
#
# Every GAN trick in this course (the non-saturating loss, the gradient penalty, spectral
# normalisation) is, in the end, a statement about gradients. This lesson opens the box that
# computes them: reverse-mode automatic differentiation.
#
# We build a small function out of minigan operations,
#
# $$y = f(a, b) = \tanh(ab + a^2)\, e^{-b},$$
#
# look at the graph the operations recorded, differentiate it *by hand* with the chain rule,
# walk the graph ourselves calling each operation's `backward`, and compare all of it with
# `y.backward()` and with finite differences (`mg.gradcheck`). Everything is float64, so
# "agree" means agree to 1e-10.
#
# Run it: `python lessons/01_autodiff_from_scratch.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section

TOL = 1e-10


def f(a, b):
    """y = tanh(a·b + a²) · exp(−b), written with minigan operations (works on arrays too)."""
    return mg.tanh(a * b + a**2) * mg.exp(-b)


# %% [markdown]
# ## 1. The graph is a chain of `Function`s
#
# Each operation returns a `Tensor` whose `.creator` is the `Function` that made it, and each
# `Function` keeps its `.inputs`. Following `.creator` and `.inputs` from `y` back to the leaves
# `a` and `b` *is* the computational graph — nothing else is stored.


# %%
def describe_graph(y: mg.Tensor, names: dict[int, str]) -> tuple[list[str], list]:
    """The Functions reachable from ``y`` as lines 't1 = Mul(a, b)', in the order they ran.

    Leaves are named by ``names`` (id -> name); intermediate tensors get t1, t2, ...
    """
    lines, seen, stack = [], set(), [y]
    while stack:  # walk backwards from y: follow .creator, then that Function's .inputs
        t = stack.pop()
        fn = t.creator
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        lines.append((t, fn))
        stack.extend(x for x in fn.inputs if x.creator is not None)
    lines.reverse()  # discovered from y backwards; print in execution order
    for i, (t, _) in enumerate(lines[:-1], start=1):
        names.setdefault(id(t), f"t{i}")
    names.setdefault(id(y), "y")

    def name(x):
        return names.get(id(x), f"{x.data.item():g}")  # an unnamed leaf is a constant

    text = []
    for t, fn in lines:
        args = [name(x) for x in fn.inputs] + ([f"{fn.p:g}"] if hasattr(fn, "p") else [])
        text.append(f"{name(t)} = {type(fn).__name__}({', '.join(args)})")
    return text, lines


def draw_graph(lines: list, names: dict[int, str], grads: dict[int, np.ndarray], leaves: list):
    """Boxes for the leaves and every Function's output, arrows along .inputs, value and dy/d(node) in each box."""
    depth: dict[int, int] = {id(t): 0 for t in leaves}
    for t, fn in lines:
        depth[id(t)] = 1 + max(depth.get(id(x), 0) for x in fn.inputs)
    columns: dict[int, list] = {}
    nodes = [(t, None) for t in leaves] + lines
    for t, fn in nodes:
        columns.setdefault(depth[id(t)], []).append((t, fn))
    pos = {}
    for d in sorted(columns):
        items = columns[d]
        for k, (t, fn) in enumerate(items):
            if len(items) == 1 and fn is not None:  # a lone node sits level with its inputs
                height = float(np.mean([pos[id(x)][1] for x in fn.inputs if id(x) in pos]))
            else:
                height = -(k - (len(items) - 1) / 2) * 1.5
            pos[id(t)] = (d * 2.2, height)
    fig, ax = plt.subplots(figsize=(11, 4.2))
    for t, fn in nodes:
        x, y = pos[id(t)]
        label = names[id(t)] + ("" if fn is None else f" = {type(fn).__name__}")
        text = f"{label}\nvalue {t.data.item():+.4f}\n∂y/∂node {float(grads.get(id(t), np.nan)):+.4f}"
        ax.text(x, y, text, ha="center", va="center", fontsize=8, family="monospace",
                bbox=dict(boxstyle="round", fc="lightyellow" if fn is None else "aliceblue", ec="grey"))
        for inp in fn.inputs if fn is not None else []:
            if id(inp) in pos:
                ax.annotate("", xy=(x - 0.75, y), xytext=(pos[id(inp)][0] + 0.75, pos[id(inp)][1]),
                            arrowprops=dict(arrowstyle="->", color="grey"))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.2, max(xs) + 1.2)
    ax.set_ylim(min(ys) - 1.2, max(ys) + 1.2)
    ax.axis("off")
    ax.set_title("forward: values flow left to right;  backward: ∂y/∂(node) flows right to left")
    return fig


# %% [markdown]
# ## 2. The chain rule by hand
#
# Name the intermediate values $u = ab + a^2$, $e = \tanh u$, $y = e\,e^{-b}$. Then, with
# $\tanh'(u) = 1 - \tanh^2 u$,
#
# $$\frac{\partial y}{\partial a} = e^{-b}\,(1 - e^2)\,(b + 2a), \qquad
#   \frac{\partial y}{\partial b} = e^{-b}\,(1 - e^2)\,a \;-\; e\,e^{-b}.$$
#
# $b$ reaches $y$ along two paths (through $u$ and through $e^{-b}$), and the two contributions
# *add*: that sum is why a backward pass accumulates gradients into `.grad` rather than
# overwriting them.


# %%
def hand_gradient(a: float | np.ndarray, b: float | np.ndarray) -> tuple:
    e = np.tanh(a * b + a**2)
    da = np.exp(-b) * (1 - e**2) * (b + 2 * a)
    db = np.exp(-b) * (1 - e**2) * a - e * np.exp(-b)
    return da, db


# %% [markdown]
# ## 3. A backward pass in fifteen lines
#
# Reverse mode visits the Functions so that each one runs *after* every Function that used its
# output (a reverse topological order). Each `fn.backward(g)` turns the gradient of its output
# into gradients for its inputs — the local Jacobian-vector product — and we add those into the
# inputs' running totals. This is what `Tensor.backward()` does, minus bookkeeping.


# %%
def manual_backward(y: mg.Tensor) -> dict[int, np.ndarray]:
    """d y / d t for every tensor t in y's graph, keyed by id(t), by walking .creator/.inputs ourselves."""
    order, seen = [], set()

    def visit(fn):  # depth-first post-order: a Function after the creators of its inputs
        if fn is None or id(fn) in seen:
            return
        seen.add(id(fn))
        for t in fn.inputs:
            visit(t.creator)
        order.append(fn)

    visit(y.creator)
    grads = {id(y): np.ones_like(y.data)}
    with mg.no_grad():
        for fn in reversed(order):  # from y back towards the leaves
            g_out = grads[id(fn.output())]
            g_in = fn.backward(mg.Tensor(g_out))
            g_in = g_in if isinstance(g_in, tuple) else (g_in,)
            for t, g in zip(fn.inputs, g_in):
                if g is not None and t.requires_grad:
                    grads[id(t)] = grads.get(id(t), 0) + g.data
    return grads


# %% [markdown]
# ## 4. Check everything
#
# * hand formula vs `y.backward()` (float64: agree to 1e-10);
# * our fifteen-line walk vs `y.backward()`;
# * `mg.gradcheck`, which compares backward with central differences
#   $(f(x + \epsilon e_k) - f(x - \epsilon e_k)) / 2\epsilon$ for a vector-valued function;
# * the derivative over a whole range of inputs: because $f$ is elementwise, one backward of
#   $\sum_i f(a_i, b)$ gives $\partial f / \partial a$ at every $a_i$ at once.


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    mg.manual_seed(0)
    out = output_dir("01_autodiff_from_scratch", out_dir)
    results: dict = {}

    section("1. build y = tanh(a·b + a²)·exp(−b) and look at its graph")
    a = mg.tensor(0.7, dtype="float64", requires_grad=True)
    b = mg.tensor(-0.4, dtype="float64", requires_grad=True)
    y = f(a, b)
    names = {id(a): "a", id(b): "b"}
    lines, pairs = describe_graph(y, names)
    for line in lines:
        print("   ", line)
    print(f"  y = {y.item():.12f}")
    results["graph_functions"] = len(lines)
    check("the graph records one Function per operation (mul, pow, add, tanh, neg, exp, mul)",
          len(lines), len(lines) == 7)

    section("2. our own backward pass, walking .creator / .inputs")
    walked = manual_backward(y)
    walk_a, walk_b = float(walked[id(a)]), float(walked[id(b)])
    save_figure(draw_graph(pairs, names, walked, [a, b]), out, "graph.png")

    section("3. the engine: y.backward()")
    y.backward()
    eng_a, eng_b = a.grad.item(), b.grad.item()
    hand_a, hand_b = hand_gradient(0.7, -0.4)
    print(f"  dy/da: hand {hand_a:.15f}  walk {walk_a:.15f}  engine {eng_a:.15f}")
    print(f"  dy/db: hand {hand_b:.15f}  walk {walk_b:.15f}  engine {eng_b:.15f}")
    results["hand_vs_engine"] = max(abs(hand_a - eng_a), abs(hand_b - eng_b))
    results["walk_vs_engine"] = max(abs(walk_a - eng_a), abs(walk_b - eng_b))
    check("hand chain rule = backward() (max |diff|)", results["hand_vs_engine"], results["hand_vs_engine"] < TOL)
    check("our graph walk = backward() (max |diff|)", results["walk_vs_engine"], results["walk_vs_engine"] < TOL)

    section("4. finite differences: mg.gradcheck on a vector function")
    rng = np.random.default_rng(0)
    av = mg.tensor(rng.normal(size=(3, 4)), dtype="float64", requires_grad=True)
    bv = mg.tensor(rng.normal(size=(3, 4)), dtype="float64", requires_grad=True)
    results["gradcheck"] = bool(mg.gradcheck(f, (av, bv), eps=1e-6, atol=1e-8, rtol=1e-6))
    check("gradcheck(f) on 3x4 inputs (atol 1e-8, rtol 1e-6)", results["gradcheck"], results["gradcheck"])
    # the same comparison written out: central differences with error O(eps²)
    eps = 1e-5
    num_a = (f(av.data + eps, bv.data).data - f(av.data - eps, bv.data).data) / (2 * eps)
    (eng_grid,) = mg.grad(f(av, bv).sum(), [av])
    results["central_difference_error"] = float(np.abs(num_a - eng_grid.data).max())
    check("central differences vs backward, elementwise (eps=1e-5, error ~ eps²)",
          results["central_difference_error"], results["central_difference_error"] < 1e-8)

    section("5. the derivative over a range: one backward for 400 points")
    n = 100 if quick else 400
    grid = mg.tensor(np.linspace(-2, 2, n), dtype="float64", requires_grad=True)
    b0 = 0.5
    values = f(grid, b0)
    values.sum().backward()
    hand_grid, _ = hand_gradient(grid.data, b0)
    results["grid_max_error"] = float(np.abs(grid.grad.data - hand_grid).max())
    check(f"d f/da on {n} points: hand formula = backward()", results["grid_max_error"],
          results["grid_max_error"] < TOL)

    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    ax[0].plot(grid.data, values.data, color="C0", label="f(a, b=0.5)")
    ax[0].plot(grid.data, grid.grad.data, color="C1", lw=3, alpha=0.5, label="∂f/∂a from backward()")
    ax[0].plot(grid.data, hand_grid, "k--", lw=1, label="∂f/∂a by hand (chain rule)")
    ax[0].set_xlabel("a")
    ax[0].axhline(0, color="grey", lw=0.5)
    ax[0].legend(fontsize=8)
    ax[0].set_title("the function and its derivative")
    err = np.abs(grid.grad.data - hand_grid)
    ax[1].semilogy(grid.data, np.maximum(err, 1e-18), ".", ms=3, label="|backward − hand|")
    ax[1].axhline(TOL, color="C3", ls="--", label="tolerance 1e-10")
    ax[1].set_ylim(1e-19, 1e-8)
    ax[1].set_xlabel("a")
    ax[1].set_title("float64 disagreement (0 plotted at 1e-18)")
    ax[1].legend(fontsize=8)
    save_figure(fig, out, "derivative.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
