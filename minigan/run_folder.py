"""The run folder of ``minigan train``: its default name, its preparation, and the checks before a resume.

A run folder holds config.json, history.csv, checkpoint.npz, samples.png, losses.png and metrics.json
(``minigan.gan.run.Trainer`` writes them). Before a fresh run, :func:`prepare_out` makes sure the folder can be
written; before ``--resume``, :func:`check_resume` refuses what would lose or mix runs: a checkpoint from
another folder, changed settings, a history that runs past the checkpoint, or no steps left to train.
Every refusal is a :class:`CommandError`, which the command line prints as one line with exit status 2.
"""

from __future__ import annotations

import json
import os

__all__ = ["CommandError", "RESUME_SETTINGS", "TRAIN_SETTINGS", "check_resume", "clear_unfinished_start",
           "default_out", "history_end", "prepare_out", "read_checkpoint", "step_of"]


class CommandError(Exception):
    """A problem with the user's request: printed as ``minigan: error: ...`` with exit status 2."""


def default_out(config) -> str:
    """runs/<model>[-<data>][-<loss>][-seed<S>] (runs/cgan-mnist for the main job); digits16 is not named."""
    name = config.model
    if config.data != "digits16":
        name += "-" + config.data.split(":")[0]
    if config.loss != "nonsaturating":
        name += "-" + config.loss
    if config.unrolled_steps:
        name += f"-unrolled{config.unrolled_steps}"
    if config.dp:
        name += "-dp"
    if config.exclude_class is not None:
        name += f"-no{config.exclude_class}"
    if config.seed != 0:
        name += f"-seed{config.seed}"
    return os.path.join("runs", name)


TRAIN_SETTINGS = ("model", "loss", "data", "batch_size", "lr_g", "lr_d", "n_critic", "width", "nz", "seed",
                   "instance_noise", "augment", "mode_seeking", "spectral_norm", "minibatch_std", "ema", "lr_decay",
                   "unrolled_steps", "d_norm", "dp", "noise_multiplier", "max_grad_norm", "delta", "target_epsilon",
                   "exclude_class")
RESUME_SETTINGS = ("steps", "device", "sample_every", "checkpoint_every", "log_every", "eval_samples")


def prepare_out(out: str) -> None:
    """Make sure ``out`` is (or can become) a writable directory, before anything is computed."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise CommandError(f"--out {out} is a file, not a directory; choose a directory for the run")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise CommandError(f"cannot create the run directory {out}: {err.strerror or err}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write into the run directory {out}: permission denied")


def clear_unfinished_start(out: str) -> None:
    """A folder with config.json / history.csv but no checkpoint holds a run that stopped before its first
    checkpoint: it cannot be resumed, so a fresh run may take the folder (those two files are replaced)."""
    if os.path.exists(os.path.join(out, "checkpoint.npz")):
        return  # a real run: the trainer refuses to overwrite it
    stale = [name for name in ("config.json", "history.csv") if os.path.exists(os.path.join(out, name))]
    if stale:
        print(f"note: {out} holds {' and '.join(stale)} of a run that stopped before its first checkpoint "
              "(nothing to resume); starting afresh there")
        for name in stale:
            os.remove(os.path.join(out, name))


def read_checkpoint(path: str) -> dict:
    """A training checkpoint's contents, or a CommandError that says what the file is instead."""
    from . import io

    state = io.load(path)  # ValueError (corrupt, not an .npz) → exit 2
    needed = ("config", "G", "D", "opt_G", "opt_D", "rng", "step")
    missing = [k for k in needed if not isinstance(state, dict) or k not in state]
    if missing:
        held = ", ".join(sorted(map(str, state))[:6]) if isinstance(state, dict) and state else "nothing"
        raise CommandError(f"{path} is not a minigan training checkpoint: it lacks {', '.join(missing)} "
                           f"(it holds {held}); resume needs the checkpoint.npz that minigan train wrote")
    return state


def history_end(path: str) -> int | None:
    """The last step recorded in history.csv (None when there is none)."""
    import csv

    if not os.path.exists(path):
        return None
    last = None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                last = int(float(row["step"]))
            except (KeyError, TypeError, ValueError):  # a line cut short by a crash
                continue
    return last


def shown(value) -> str:
    """A saved setting as an error message shows it: "none" for an empty or missing one."""
    return "none" if value in ("", None) else str(value)


def check_resume(out: str, given: dict) -> None:
    """Refuse a resume that would lose or mix things (before anything is loaded into a trainer)."""
    from .gan import TrainConfig

    path = os.path.join(out, "checkpoint.npz")
    if not os.path.isfile(path):
        if os.path.exists(os.path.join(out, "config.json")):
            raise CommandError(f"cannot resume: the run in {out} stopped before its first checkpoint "
                               f"(no {path}); start it again without --resume")
        raise CommandError(f"cannot resume: no checkpoint at {path}")
    state = read_checkpoint(path)
    config = TrainConfig.from_json(state["config"])
    done = int(state["step"])
    saved = os.path.join(out, "config.json")
    if os.path.exists(saved):
        with open(saved) as f:
            before = json.load(f)
        differ = [f"{k} {before[k]!r} in config.json vs {v!r} in the checkpoint"
                  for k, v in json.loads(config.to_json()).items()
                  if k in before and k not in RESUME_SETTINGS and before[k] != v]
        if differ:
            raise CommandError(f"{path} was not written by the run in {out}: {'; '.join(differ)}. Put the "
                               "run's own checkpoint back, or resume the checkpoint in its own folder")
        changed = [f"--{k.replace('_', '-')} {given[k]} (the run has {shown(before.get(k))})"
                   for k in TRAIN_SETTINGS if k in given and given[k] != before.get(k)]
        if changed:
            raise CommandError(f"--resume continues the run in {out} with its own settings; these differ: "
                               f"{'; '.join(changed)}. Drop them, or start a new run with another --out")
    logged = history_end(os.path.join(out, "history.csv"))
    if logged is not None and logged > done + config.checkpoint_every:
        raise CommandError(f"{path} holds step {done} but history.csv goes on to step {logged}, past the next "
                           f"checkpoint (every {config.checkpoint_every} steps): it is not this run's last "
                           "checkpoint, and resuming would cut history.csv back to step "
                           f"{done}. Put the run's own checkpoint back")
    wanted = given.get("steps", config.steps)
    if wanted < done:
        raise CommandError(f"the run in {out} has done {done} steps; --steps {wanted} is fewer. Pass --steps N "
                           f"with N > {done} to train longer")
    if wanted == done:
        raise CommandError(f"the run in {out} is finished ({done} of {done} steps); pass --steps N with "
                           f"N > {done} to train longer")
    horizon = [name for name in ("lr_decay", "anneal_noise") if getattr(config, name, False)]
    if wanted != config.steps and horizon:
        what = " and ".join({"lr_decay": "the learning rates (--lr-decay)",
                             "anneal_noise": "the instance noise (annealed)"}[n] for n in horizon)
        print(f"note: {what} follow a schedule over the run's length; with --steps {wanted} instead of "
              f"{config.steps} they go from their value at step {done} of a {wanted}-step schedule to 0 at "
              f"step {wanted}, so this run is not the same as a straight {wanted}-step run")


def step_of(checkpoint: str) -> int:
    """The step a checkpoint holds."""
    from . import io

    return int(io.load(checkpoint)["step"])
