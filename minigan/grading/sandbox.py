"""Where the child runs: its own user when the checker is root, its folders, and the final kill.

As root, every run takes a user id of its own (a free one from a range no account uses, or the
one given with ``--uid``), with the same number as its group and no supplementary groups. The
child can then read the Python installation and a copy of the submission, and write only to a
private scratch folder; the package, the submission, the results folder and the parent's files
belong to root. When the checks end, :func:`kill_user` kills every process of that user, a
detached grandchild in a new session included (``kill(-1)`` sent from that same user reaches
all of them at once), and checks /proc until none is left. Only then are results written.

As an extra layer, where the kernel allows it, the processes the child starts live in a PID
namespace of their own (``unshare(CLONE_NEWPID)`` before the child's exec): when the first of them
exits, the kernel kills the rest. Nothing depends on it; MINIGAN_CHECK_PID_NAMESPACE=0 turns it off.

Without root (a student's laptop) there is no second user: the child runs as the caller, in its
own session, and is killed by process group and by a token in its environment. That gives
feedback, not a sandbox.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import stat
import tempfile
import time
from pathlib import Path

UID_BASE = 1_999_900_000  # far above any account a system creates
UID_SLOTS = 512
LOCK_DIR = Path(tempfile.gettempdir()) / "minigan-check-locks"  # root's own, so no one can plant a link there


def _lock_dir() -> Path:
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(LOCK_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{LOCK_DIR} must be a folder of the checker's own user, closed to others")
    return LOCK_DIR


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real, effective or saved user id is ``uid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith(("Z", "X")):
            continue
        uids = fields.get("Uid", "").split()
        if str(uid) in uids[:3]:
            found.append(int(entry.name))
    return found


class UserSlot:
    """A user id for one run, held by a lock file so that parallel runs never share one."""

    def __init__(self, uid: int | None = None):
        self.uid = self.gid = None
        self._lock = None
        candidates = [uid] if uid is not None else [UID_BASE + i for i in range(UID_SLOTS)]
        folder = _lock_dir()
        for candidate in candidates:
            fd = os.open(folder / f"uid-{candidate}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            lock = os.fdopen(fd, "r+")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (fcntl.LOCK_NB if uid is None else 0))
            except OSError:
                lock.close()
                continue
            if processes_of(candidate):  # someone else's: leave it alone
                fcntl.flock(lock, fcntl.LOCK_UN)
                lock.close()
                if uid is not None:
                    raise ValueError(f"user {uid} already has running processes; every process of the "
                                     "checker's user is killed after each run, so give a user id no one else uses")
                continue
            self.uid = self.gid = candidate
            self._lock = lock
            return
        raise RuntimeError(f"no free user id in {UID_BASE}..{UID_BASE + UID_SLOTS - 1} for the checker's child")

    def release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def kill_user(uid: int, gid: int, patience: float = 10.0) -> bool:
    """SIGKILL every process of ``uid``; True once /proc shows none alive."""
    deadline = time.monotonic() + patience
    while True:
        pid = os.fork()
        if pid == 0:  # a helper that becomes the user and signals everything that user owns
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not processes_of(uid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_tagged(needle: bytes) -> None:
    """Kill processes carrying ``needle`` (NAME=token) in their environment: the non-root fallback."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass


MAX_SIBLINGS = 200  # Python files copied from the submission's folder, for its own helper modules
MAX_SIBLING_BYTES = 1 << 20  # each
MAX_SIBLINGS_TOTAL = 16 << 20


def prepare_folders(job_dir: Path, submission: Path, owner: int | None) -> tuple[Path, Path]:
    """``job_dir/src/NAME.py`` (read-only copies of the file and the .py files beside it) and
    ``job_dir/work`` (the child's private scratch folder)."""
    os.chmod(job_dir, 0o711)  # the child may pass through, not list
    src, work = job_dir / "src", job_dir / "work"
    src.mkdir(mode=0o755)
    work.mkdir(mode=0o700)
    siblings = sorted(p for p in submission.parent.glob("*.py")
                      if p.is_file() and not p.is_symlink() and p != submission)
    total = 0
    for path in [submission] + siblings[:MAX_SIBLINGS]:
        size = path.stat().st_size
        if path != submission and (size > MAX_SIBLING_BYTES or total + size > MAX_SIBLINGS_TOTAL):
            continue
        total += size
        copy = src / path.name
        copy.write_bytes(path.read_bytes())
        os.chmod(copy, 0o644)
    os.chmod(src, 0o755)
    copy = src / submission.name
    if owner is not None:
        os.chown(work, owner, owner)
    return copy, work


CLONE_NEWPID = 0x20000000


def use_pid_namespace() -> bool:
    return os.environ.get("MINIGAN_CHECK_PID_NAMESPACE", "1") != "0"


def new_pid_namespace() -> None:
    """Run in the forked child before exec: its own children get a new PID namespace (if allowed)."""
    try:
        ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWPID)
    except Exception:  # no libc symbol, or not Linux: the other layers hold
        pass


def in_own_pid_namespace(pid: int) -> bool:
    """Whether the children of ``pid`` are born in another PID namespace than ours."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid_for_children") != os.readlink("/proc/self/ns/pid")
    except FileNotFoundError:  # a namespace that has no process yet; unless the kernel lacks the file
        return os.path.lexists("/proc/self/ns/pid_for_children")
    except OSError:
        return False


def cpu_seconds(pid: int) -> float | None:
    """CPU time of process ``pid`` (all its threads), read from the kernel; None where unavailable."""
    try:
        return time.clock_gettime((~pid << 3) | 2)  # CPUCLOCK_SCHED of the whole process (Linux)
    except (OSError, OverflowError, AttributeError):
        return None
