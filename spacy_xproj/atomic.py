"""Safe output files: one writer per output, whole files appear whole, nothing half-written.

* :class:`OutputLock` — an advisory lock (``fcntl.flock``) on ``OUT.lock`` beside an output; a
  second run that wants the same output stops at once with an error naming the process that holds
  it. The lock file is removed when the lock is released.
* :func:`atomic_open` — writes go to a unique temporary file created exclusively in the target
  folder (``O_CREAT | O_EXCL``: an existing file or symlink of that name is never opened, so a
  symlink cannot redirect the write); on success it is synced and renamed onto the target, on any
  error it is removed and the target is left as it was.
* :func:`refuse_same_file` — an output that is one of the inputs is refused before anything runs.
"""
from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator, Optional, Union

from .errors import InputError

try:  # POSIX; on other systems the lock is a no-op
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PathLike = Union[str, Path]


def lock_path_for(path: PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".lock")


class OutputLock:
    """Hold the advisory write lock of ``path`` (a context manager).

    Raises :class:`~spacy_xproj.errors.InputError` when another process holds it, naming its pid.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.lock_path = lock_path_for(self.path)
        self._fd: Optional[int] = None

    def acquire(self) -> "OutputLock":
        if fcntl is None:  # pragma: no cover
            return self
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                holder = _read_pid(fd)
                os.close(fd)
                if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    who = f"process {holder}" if holder else "another process"
                    raise InputError(
                        f"this output is being written by {who} (lock {self.lock_path.name}); wait for "
                        "that run to finish or stop it, then rerun",
                        self.path,
                    ) from None
                raise
            # The previous holder may have removed the file between our open and our lock: then we
            # hold a lock on a deleted file and must try again with the current one.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return self
        raise InputError("could not take the write lock (the lock file keeps changing)", self.lock_path)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.lock_path)  # while still holding it (see acquire)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> Optional[int]:
    try:
        data = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(data) if data else None
    except (OSError, ValueError):
        return None


def refuse_same_file(out: PathLike, *inputs: Optional[PathLike], option: str = "the output") -> None:
    """Raise :class:`InputError` when ``out`` is (or links to) one of ``inputs``."""
    out = Path(out)
    for item in inputs:
        if item is None:
            continue
        item = Path(item)
        same = False
        try:
            same = out.exists() and item.exists() and os.path.samefile(out, item)
        except OSError:
            same = False
        if same or out.resolve() == item.resolve():
            raise InputError(
                f"{option} is the input file {item}; write to a different file (the input would be overwritten)",
                out,
            )


@contextmanager
def atomic_open(path: PathLike, mode: str = "w", lock: bool = True, **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a fresh temp file beside ``path``; on success sync it and rename it onto ``path``.

    On any error (or interruption) the temp file is removed and ``path`` is left as it was.
    ``mode`` is ``"w"`` or ``"wb"``; text mode defaults to UTF-8. With ``lock`` (the default) the
    output's write lock is held while writing, so a concurrent writer of the same output stops.
    """
    path = Path(path)
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    if path.is_dir():
        raise InputError("the output is a folder; give a file name", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf8")
    guard = OutputLock(path) if lock else None
    if guard is not None:
        guard.acquire()
    try:
        # mkstemp opens with O_CREAT | O_EXCL (| O_NOFOLLOW where available), mode 0600.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, mode, **kwargs) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # the permissions a plain open() would have given
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    finally:
        if guard is not None:
            guard.release()


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
