"""One DCGAN training iteration (float32, Adam) in minigan and its peers, side by side.

    python benchmarks/dcgan_step.py                 # CPU: minigan, PyTorch and DeZero where installed
    python benchmarks/dcgan_step.py --device cuda   # minigan on CuPy (PyTorch on CUDA when present)
    python benchmarks/dcgan_step.py --image 64 --device cuda --batch 256   # the 64×64×3 DCGAN
    python benchmarks/dcgan_step.py --tiers fast    # minigan's fast tier only (default: fast, numpy, textbook)
    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/dcgan_step.py   # the first step with a cold numba cache

--image 28 (the default), a DCGAN for 28×28×1 digits:
G: Linear(100→128·7·7) + BN1d + ReLU → ConvT(128→64, 4, 2, 1) + BN2d + ReLU → ConvT(64→1, 4, 2, 1) + Tanh
D: Conv(1→64, 4, 2, 1) + LeakyReLU(0.2) → Conv(64→128, 4, 2, 1) + BN2d + LeakyReLU(0.2) → Flatten → Linear(→1)
--image 64, the DCGAN of Radford et al. for 64×64×3 images (64 feature maps at the widest layer):
G: ConvT(100→512, 4, 1, 0) → ConvT(512→256) → ConvT(256→128) → ConvT(128→64) → ConvT(64→3) + Tanh,
   each but the last ConvT(·, 4, 2, 1) + BN2d + ReLU
D: Conv(3→64, 4, 2, 1) + LeakyReLU(0.2) → Conv(64→128) → Conv(128→256) → Conv(256→512), each
   Conv(·, 4, 2, 1) + BN2d + LeakyReLU(0.2) → Conv(512→1, 4, 1, 0) → Flatten
One iteration = one D step on real and fake + one non-saturating G step (about 10.4 GFLOP at batch 64
for --image 28, 160 GFLOP for --image 64). DeZero runs the 28×28 model only.

minigan runs on its kernel tiers (see minigan/kernels.py): ``minigan``, the fast tier (numba's compiled
loops where numba is installed, the extra ``fast``), ``minigan-numpy`` (the vectorised NumPy kernels
alone) and ``minigan-textbook`` (the textbook twins). The first iteration of each is timed on its own
before the warm-up: on the fast tier it includes compiling the loops (or loading them from numba's
on-disk cache). Rounds alternate between the frameworks after a warm-up, and medians are reported, because a
2-core machine is noisy. Peak memory is measured in a fresh process per framework (growth of the
maximum resident set size over the model set-up, which runs one batch-2 step so that code a framework
loads on its first step is not counted: see ``peak_memory_mb``). The NumPy float32 GEMM rate is measured in the
same run, to say how close each framework gets to the machine's arithmetic peak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table, summary, time_rounds  # noqa: E402  (first: it sets up the thread pools)

# isort: split
import numpy as np  # noqa: E402

NZ = 100


def build_models(nn, image: int):
    """G and D for ``image`` 28 or 64, from either framework's ``nn`` (minigan and PyTorch share the names)."""
    if image == 28:
        G = nn.Sequential(
            nn.Linear(NZ, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
        D = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
        return G, D
    if image != 64:
        raise ValueError(f"--image must be 28 or 64, got {image}")
    widths = [512, 256, 128, 64]
    g_layers = [nn.Unflatten(1, (NZ, 1, 1)), nn.ConvTranspose2d(NZ, 512, 4, 1, 0), nn.BatchNorm2d(512), nn.ReLU()]
    for c_in, c_out in zip(widths, widths[1:]):
        g_layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]
    g_layers += [nn.ConvTranspose2d(64, 3, 4, 2, 1), nn.Tanh()]
    d_layers = [nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2)]
    for c_in, c_out in zip(widths[::-1], widths[::-1][1:]):
        d_layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
    d_layers += [nn.Conv2d(512, 1, 4, 1, 0), nn.Flatten()]
    return nn.Sequential(*g_layers), nn.Sequential(*d_layers)


def multiply_adds(model, size: int) -> int:
    """Multiply-adds of one forward pass for one sample (Linear and convolutions), following the image size."""
    total = 0
    for m in model:
        kind = type(m).__name__
        if kind == "Linear":
            total += m.in_features * m.out_features
        elif kind == "Unflatten":
            size = m.unflattened_size[-1]
        elif kind in ("Conv2d", "ConvTranspose2d"):
            (k, _), (s, _), (p, _) = m.kernel_size, m.stride, m.padding
            size_in = size
            size = (size + 2 * p - k) // s + 1 if kind == "Conv2d" else (size - 1) * s - 2 * p + k
            total += m.in_channels * m.out_channels * k * k * (size if kind == "Conv2d" else size_in) ** 2
    return total


def flops_per_iteration(batch: int, image: int = 28) -> float:
    """2·B·(9·MAC_D + 3·MAC_G): D runs forward+backward three times per iteration, G once plus a forward."""
    import minigan.nn as nn

    G, D = build_models(nn, image)
    return 2.0 * batch * (9 * multiply_adds(D, image) + 3 * multiply_adds(G, 1))


# ----------------------------------------------------------------------------- minigan


def minigan_step(batch: int, device: str = "cpu", image: int = 28, kernels: str = "fast"):
    """One iteration of minigan on the kernel tier ``kernels`` (set for the step's duration only)."""
    import minigan as mg
    import minigan.nn as nn
    import minigan.nn.functional as F
    from minigan.optim import Adam

    if device == "cuda":
        mg.use_backend("cupy")
    if kernels == "fast" and getattr(mg.kernels, "numba_available", lambda: False)():
        from minigan import compiled

        compiled.loops()  # import numba with the framework (as torch is imported before its set-up is measured)
    mg.manual_seed(0)
    G, D = (model.to(device) for model in build_models(nn, image))
    opt_g = Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (batch, *image_shape(image))), device=device)
    ones = mg.ones(batch, 1, device=device)
    zeros = mg.zeros(batch, 1, device=device)

    def iteration():
        fake = G(mg.randn(batch, NZ, device=device))
        opt_d.zero_grad()
        d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
                  + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        F.binary_cross_entropy_with_logits(D(fake), ones).backward()
        opt_g.step()
        if device == "cuda":
            import cupy

            cupy.cuda.Device().synchronize()

    def step():
        if not hasattr(mg, "set_kernels"):  # a version of minigan from before the two tiers
            return iteration()
        previous = mg.set_kernels(kernels)
        try:
            iteration()
        finally:
            mg.set_kernels(previous)

    step.models = (G, D)
    return step


def minigan_textbook_step(batch: int, device: str = "cpu", image: int = 28):
    return minigan_step(batch, device, image, kernels="textbook")


def minigan_numpy_step(batch: int, device: str = "cpu", image: int = 28):
    import minigan as mg

    if "numpy" not in getattr(mg.kernels, "TIERS", ()):  # a version of minigan from before the numpy tier
        return minigan_step(batch, device, image)
    return minigan_step(batch, device, image, kernels="numpy")


# ----------------------------------------------------------------------------- PyTorch


def torch_step(batch: int, device: str = "cpu", image: int = 28):
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    G, D = (model.to(device) for model in build_models(nn, image))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real = torch.rand(batch, *image_shape(image), device=device) * 2 - 1
    ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)

    def step():
        fake = G(torch.randn(batch, NZ, device=device))
        opt_d.zero_grad()
        (bce(D(real), ones) + bce(D(fake.detach()), zeros)).backward()
        opt_d.step()
        opt_g.zero_grad()
        bce(D(fake), ones).backward()
        opt_g.step()
        if device == "cuda":
            torch.cuda.synchronize()

    return step


# ----------------------------------------------------------------------------- DeZero


def dezero_step(batch: int, device: str = "cpu", image: int = 28):
    if not hasattr(np, "int"):
        np.int = int  # DeZero 0.0.13 still uses an alias NumPy 2 removed
    import dezero
    import dezero.functions as DF
    import dezero.layers as DL

    class Generator(dezero.Model):
        def __init__(self):
            super().__init__()
            self.l1, self.bn1 = DL.Linear(128 * 7 * 7, in_size=NZ), DL.BatchNorm()
            self.dc1, self.bn2 = DL.Deconv2d(64, 4, 2, 1, in_channels=128), DL.BatchNorm()
            self.dc2 = DL.Deconv2d(1, 4, 2, 1, in_channels=64)

        def forward(self, z):
            h = DF.relu(self.bn1(self.l1(z))).reshape(-1, 128, 7, 7)
            h = DF.relu(self.bn2(self.dc1(h)))
            return DF.tanh(self.dc2(h))

    class Discriminator(dezero.Model):
        def __init__(self):
            super().__init__()
            self.c1 = DL.Conv2d(64, 4, 2, 1, in_channels=1)
            self.c2, self.bn = DL.Conv2d(128, 4, 2, 1, in_channels=64), DL.BatchNorm()
            self.l = DL.Linear(1, in_size=128 * 7 * 7)

        def forward(self, x):
            h = DF.leaky_relu(self.c1(x), 0.2)
            h = DF.leaky_relu(self.bn(self.c2(h)), 0.2)
            return self.l(h.reshape(len(x), -1))

    np.random.seed(0)
    G, D = Generator(), Discriminator()
    opt_g = dezero.optimizers.Adam(alpha=2e-4, beta1=0.5).setup(G)
    opt_d = dezero.optimizers.Adam(alpha=2e-4, beta1=0.5).setup(D)
    real = np.random.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)
    ones, zeros = np.ones((batch, 1), np.float32), np.zeros((batch, 1), np.float32)

    def step():
        fake = G(np.random.randn(batch, NZ).astype(np.float32))
        d_loss = DF.sigmoid_cross_entropy(D(real), ones) + DF.sigmoid_cross_entropy(D(fake.data), zeros)
        D.cleargrads()
        d_loss.backward()
        opt_d.update()
        g_loss = DF.sigmoid_cross_entropy(D(fake), ones)
        G.cleargrads()
        D.cleargrads()
        g_loss.backward()
        opt_g.update()

    return step


BUILDERS = {"minigan": minigan_step, "minigan-numpy": minigan_numpy_step, "minigan-textbook": minigan_textbook_step,
            "pytorch": torch_step, "dezero": dezero_step}
TIER_NAMES = {"fast": "minigan", "numpy": "minigan-numpy", "textbook": "minigan-textbook"}


def image_shape(image: int) -> tuple[int, int, int]:
    return (1, 28, 28) if image == 28 else (3, image, image)


def available(device: str, image: int = 28, tiers=("fast", "numpy", "textbook")) -> list[str]:
    names = [TIER_NAMES[tier] for tier in TIER_NAMES if tier in tiers]
    try:
        import torch

        if device == "cpu" or torch.cuda.is_available():
            names.append("pytorch")
    except ImportError:
        pass
    if device == "cpu" and image == 28:
        try:
            if not hasattr(np, "int"):
                np.int = int
            import dezero  # noqa: F401

            names.append("dezero")
        except ImportError:
            pass
    return names


# ----------------------------------------------------------------------------- measurements


def blas_kernel() -> str:
    """NumPy's BLAS and the kernel it runs, e.g. "OpenBLAS 0.3.31, SkylakeX kernels".

    OpenBLAS picks its kernels for the CPU when it loads, unless OPENBLAS_CORETYPE names others: on an
    AVX-512 CPU, OPENBLAS_CORETYPE=Haswell runs the AVX2 kernels at about half the matrix-product rate,
    which makes every product of minigan (not PyTorch's, which has its own) slower.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS unknown: threadpoolctl is not installed"
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            name = {"openblas": "OpenBLAS", "mkl": "MKL"}.get(info.get("internal_api"), info.get("internal_api"))
            kernel = f", {info['architecture']} kernels" if info.get("architecture") else ""
            forced = " (set by OPENBLAS_CORETYPE)" if kernel and os.environ.get("OPENBLAS_CORETYPE") else ""
            return f"{name} {info.get('version', '')}{kernel}{forced}"
    return "no BLAS found"


def gemm_rate(size: int = 1024) -> float:
    """float32 GFLOP/s of NumPy's matrix product on this machine (median of several)."""
    a = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    a @ a
    times = []
    for _ in range(7):
        start = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - start)
    return 2 * size ** 3 / summary(times)[0] / 1e9


def _status_kb(field: str) -> int:
    """A memory field (VmRSS, VmHWM) of this process from /proc/self/status, in kB (Linux)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def peak_memory_mb(name: str, batch: int, device: str, image: int = 28, steps: int = 5) -> float:
    """Peak resident set during the training steps minus the resident set after the set-up, in a fresh
    process (MB): the memory the step itself needs (activations, gradients, optimizer state, workspaces).

    VmHWM, not getrusage's ru_maxrss: a child process inherits ru_maxrss from its parent (this script,
    with every framework loaded), while VmHWM starts afresh with the new program. After the set-up the
    high-water mark is reset (writing 5 to /proc/self/clear_refs), because imports leave one that would
    hide the step's.

    The set-up includes one step of batch 2 on models of their own, for every framework alike: a
    framework's first step loads code once per process (numba's compiled loops, read from its cache or
    compiled; PyTorch's lazily initialised kernels), which is not memory the step needs and which
    would otherwise be counted in the measured steps. The batch-2 step's own arrays are tiny.
    """
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
            f"import dcgan_step as b; b.BUILDERS[{name!r}](2, {device!r}, {image})(); "
            f"step = b.BUILDERS[{name!r}]({batch}, {device!r}, {image}); "
            "open('/proc/self/clear_refs', 'w').write('5'); base = b._status_kb('VmRSS'); "
            f"[step() for _ in range({steps})]; "
            "print(max(b._status_kb('VmHWM') - base, 0))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--image", type=int, default=28, choices=[28, 64],
                        help="28: the 28×28×1 DCGAN (default); 64: the 64×64×3 DCGAN of Radford et al.")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps-per-round", type=int, default=3)
    parser.add_argument("--tiers", default="fast,numpy,textbook",
                        help="minigan's kernel tiers to time, comma-separated (fast, numpy, textbook)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    tiers = tuple(t.strip() for t in args.tiers.split(",") if t.strip())
    if not tiers or any(t not in TIER_NAMES for t in tiers):
        parser.error(f"--tiers takes fast, numpy and/or textbook, got {args.tiers!r}")

    names = available(args.device, args.image, tiers)
    shape = "×".join(map(str, image_shape(args.image)[::-1]))
    print(f"DCGAN {shape} iteration, batch {args.batch}, float32, device {args.device}: {', '.join(names)}")
    import minigan as mg

    if "minigan" in names:
        uses = "numba's compiled loops" if mg.kernels.numba_available() else "no numba: the same as minigan-numpy"
        print(f"  minigan: the fast tier ({uses})")
    steps = {name: BUILDERS[name](args.batch, args.device, args.image) for name in names}
    first = {}
    for name, step in steps.items():  # the first iteration on its own: JIT compilation (or the cache's load)
        start = time.perf_counter()
        step()
        first[name] = time.perf_counter() - start
    times = time_rounds(steps, rounds=args.rounds, repeat=args.steps_per_round, warmup=2)
    rate = gemm_rate()
    flops = flops_per_iteration(args.batch, args.image)
    reference = "pytorch" if "pytorch" in names else None
    print_table(f"ms per iteration ({args.rounds} alternating rounds of {args.steps_per_round} iterations)",
                times, reference=reference)
    results = {"device": args.device, "batch": args.batch, "image": args.image, "gemm_gflops": rate, "frameworks": {}}
    print("\n  first iteration (s): " + ", ".join(f"{name} {t:.2f}" for name, t in first.items()))
    if "minigan" in first and "minigan-numpy" in first:
        extra = first["minigan"] - summary(times["minigan"])[0] - (first["minigan-numpy"]
                                                                    - summary(times["minigan-numpy"])[0])
        results["jit_first_step_s"] = extra
        print(f"  the fast tier's first iteration costs {extra:.2f} s more than its later ones, beyond what the "
              "numpy tier's first one costs (compiling or loading the numba loops)")
    for other in ("minigan-numpy", "minigan-textbook"):
        if "minigan" in times and other in times:
            ratio = summary(times[other])[0] / summary(times["minigan"])[0]
            results[f"{other.split('-')[1]}_over_fast"] = ratio
            print(f"\n  {other} takes {ratio:.2f}× the time of minigan's fast tier")
    print(f"\n  NumPy float32 GEMM rate on this machine: {rate:.0f} GFLOP/s ({blas_kernel()}); the iteration is "
          f"{flops / 1e9:.1f} GFLOP")
    for name in names:
        med, lo, hi = summary(times[name])
        achieved = flops / med / 1e9
        entry = {"first_s": first[name], "median_ms": med * 1e3, "min_ms": lo * 1e3, "max_ms": hi * 1e3,
                 "gflops": achieved}
        if reference:
            entry["ratio_to_pytorch"] = med / summary(times[reference])[0]
        if not args.no_memory:
            entry["peak_memory_mb"] = peak_memory_mb(name, args.batch, args.device, args.image)
        results["frameworks"][name] = entry
        memory = f", peak memory +{entry['peak_memory_mb']:.0f} MB" if "peak_memory_mb" in entry else ""
        print(f"  {name:<17} {achieved:6.1f} GFLOP/s = {achieved / rate:5.1%} of the GEMM rate{memory}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
    if os.environ.get("MINIGAN_BENCH_LAYERS", "1") == "1":
        import layers

        layers.main([])
