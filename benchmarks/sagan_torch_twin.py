"""SAGAN's networks and recipe in PyTorch, to tell a collapse of the recipe from a bug of minigan's.

    python benchmarks/sagan_torch_twin.py [--steps 600] [--no-sn-g] [--no-sn-d] [--bn-d] [--lr-g 1e-4]
                                          [--lr-d 4e-4] [--beta1 0] [--out twin.npy]

The same G and D as ``minigan.gan.models.sagan`` without the attention blocks (at γ = 0 they are the
identity) and with the tanh output its G had before it became linear, spectral norm from
``torch.nn.utils.spectral_norm``, the hinge loss, Adam(β₁, 0.9), batch 32, on
the bundled ``mnist32`` digits. Every 50 steps it prints D's loss, its mean outputs on the real and the
generated batch, and the generated batch's per-pixel spread (``diversity`` in minigan's history.csv; the
data's is 0.29). Measured (seed 0, the SAGAN defaults): the spread falls to 0.04 by step 600, as in minigan.
It needs PyTorch (``pip install torch``), which minigan itself does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def networks(torch, nz: int, w: int, sn_g: bool, sn_d: bool, bn_d: bool):
    nn = torch.nn
    g = nn.utils.spectral_norm if sn_g else (lambda m: m)
    d = nn.utils.spectral_norm if sn_d else (lambda m: m)
    bn = nn.BatchNorm2d if bn_d else (lambda c: nn.Identity())
    G = nn.Sequential(g(nn.ConvTranspose2d(nz, 4 * w, 4, 1, 0)), nn.BatchNorm2d(4 * w), nn.ReLU(),
                      g(nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1)), nn.BatchNorm2d(2 * w), nn.ReLU(),
                      g(nn.ConvTranspose2d(2 * w, w, 4, 2, 1)), nn.BatchNorm2d(w), nn.ReLU(),
                      g(nn.ConvTranspose2d(w, 1, 4, 2, 1)), nn.Tanh())
    D = nn.Sequential(d(nn.Conv2d(1, w, 4, 2, 1)), nn.LeakyReLU(0.1),
                      d(nn.Conv2d(w, 2 * w, 4, 2, 1)), bn(2 * w), nn.LeakyReLU(0.1),
                      d(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), bn(4 * w), nn.LeakyReLU(0.1),
                      d(nn.Conv2d(4 * w, 1, 4, 1, 0)))
    return G, D


def main(argv=None) -> int:
    import torch

    from minigan.data import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--lr-g", type=float, default=1e-4)
    parser.add_argument("--lr-d", type=float, default=4e-4)
    parser.add_argument("--beta1", type=float, default=0.0)
    parser.add_argument("--no-sn-g", action="store_true", help="no spectral norm in G")
    parser.add_argument("--no-sn-d", action="store_true", help="no spectral norm in D")
    parser.add_argument("--bn-d", action="store_true", help="batch norm in D's hidden layers (DCGAN's D)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write 1,000 samples (eval mode) to this .npy file")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    X = torch.tensor(load_dataset("mnist32").data)
    nz, batch = 128, 32
    G, D = networks(torch, nz, args.width, not args.no_sn_g, not args.no_sn_d, args.bn_d)
    opt_G = torch.optim.Adam(G.parameters(), args.lr_g, betas=(args.beta1, 0.9))
    opt_D = torch.optim.Adam(D.parameters(), args.lr_d, betas=(args.beta1, 0.9))
    start = time.perf_counter()
    for t in range(args.steps):
        x = X[torch.randint(0, len(X), (batch,))]
        fake = G(torch.randn(batch, nz, 1, 1))
        real_out, fake_out = D(x).flatten(), D(fake.detach()).flatten()
        d_loss = torch.relu(1 - real_out).mean() + torch.relu(1 + fake_out).mean()
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        g_loss = -D(fake).mean()
        opt_G.zero_grad()
        g_loss.backward()
        opt_G.step()
        if (t + 1) % 50 == 0:
            spread = fake.detach().flatten(1).std(0).mean().item()
            print(f"step {t + 1}: d_loss {d_loss.item():.3f}  D(x) {real_out.mean().item():+.2f}  "
                  f"D(G(z)) {fake_out.mean().item():+.2f}  diversity {spread:.3f}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    if args.out:
        G.eval()
        with torch.no_grad():
            np.save(args.out, G(torch.randn(1000, nz, 1, 1)).numpy())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
