"""Output files and private scratch space: nothing private or half-made is left behind.

- ``check_out_path``: refuses an output path that cannot be written (OutputPathError) before any
  work is done: a missing or non-directory parent (never created silently), a parent that is not
  writable, a target that is a directory or an existing file that is not writable.
- ``staged_text``, ``atomic_write_text``, ``atomic_write_json``: a temporary file in the target's
  own directory, fsync, ``os.replace``: the target holds its old content or the whole new one,
  never a part; the temporary file is removed on any exception, KeyboardInterrupt, SystemExit
  and SIGTERM/SIGINT/SIGHUP included.
- ``private_tempdir``: scratch directory (mode 0700; files made in it 0600) for secrets in transit
  (the witness input, the .wtns), removed on return, on an exception and on SIGTERM/SIGINT/SIGHUP.
  Its name carries the owner's PID, so ``sweep_stale_tempdirs`` can remove what a SIGKILL (which
  no process can catch) left behind.
- ``cleanup_on_signals``: the signal mechanism under all of them. While inside (main thread only)
  SIGTERM, SIGINT and SIGHUP raise ``Terminated`` so that every ``finally`` runs; on the way out
  the handlers in force before are restored and the signal is delivered to them again (for
  SIG_DFL: the process dies of that signal, exit status 128 + signum, as it would have anyway).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from public.errors import ZkMarginError

PRIVATE_DIR_MODE = 0o700
PRIVATE_UMASK = 0o077  #: files made inside a private_tempdir: 0600 (0700 for directories)
_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n))


class OutputPathError(ZkMarginError):
    """An output path that cannot be written: missing or non-directory parent, parent not
    writable, target a directory, or an existing target that is not writable."""


class Terminated(BaseException):
    """SIGTERM, SIGINT or SIGHUP arrived inside ``cleanup_on_signals``: raised so that cleanup runs;
    the signal itself is delivered again once the outermost ``cleanup_on_signals`` is left.
    ``signum``: the signal's number. A BaseException, so ``except Exception`` does not swallow it."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


class _SignalState:
    """What the main thread's cleanup_on_signals nesting holds (it is only ever touched from the
    main thread: signal handlers run there too)."""

    depth = 0
    previous: dict = {}
    caught: int | None = None  #: the first signal that arrived while inside
    raised = False  #: whether Terminated was raised for it
    quiet = 0  #: inside cleanup code: record a signal, do not raise


_state = _SignalState()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum, frame):
    if _state.caught is None:
        _state.caught = signum
    if _state.depth and not _state.quiet and not _state.raised:  # depth 0: on the way out
        _state.raised = True
        raise Terminated(_state.caught)


@contextmanager
def _quiet():
    """Run cleanup code without being interrupted: a signal arriving meanwhile is recorded and
    raised (as Terminated) once the cleanup is done, or re-delivered by the outermost exit."""
    if not _in_main_thread() or not _state.depth:
        yield
        return
    _state.quiet += 1
    try:
        yield
    finally:
        _state.quiet -= 1
        if not _state.quiet and _state.caught is not None and not _state.raised:
            _state.raised = True
            raise Terminated(_state.caught)


@contextmanager
def cleanup_on_signals():
    """While inside, SIGTERM/SIGINT/SIGHUP raise ``Terminated`` (so ``finally`` and ``except
    BaseException`` cleanup runs) instead of killing the process on the spot.

    Nests: only the outermost level installs and restores handlers. On leaving it the previous
    handlers come back and a signal that arrived is delivered again to them (``signal.raise_signal``):
    SIG_DFL ends the process by that signal, Python's SIGINT handler raises KeyboardInterrupt.
    A signal set to SIG_IGN, or whose handler was not set from Python, is left alone. Outside the
    main thread (where Python cannot set handlers) it does nothing: there a signal ends the process
    without cleanup, and sweep_stale_tempdirs removes what it left.
    """
    if not _in_main_thread():
        yield
        return
    outer = _state.depth == 0
    if outer:
        previous = {}
        for s in _SIGNALS:
            h = signal.getsignal(s)
            if h is not None and h is not signal.SIG_IGN:
                previous[s] = h
        _state.previous, _state.caught, _state.raised, _state.quiet = previous, None, False, 0
        for s in previous:
            signal.signal(s, _handler)
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if outer:
            _state.quiet += 1  # a signal from here on is only recorded
            for s, h in _state.previous.items():
                signal.signal(s, h)
            caught = _state.caught
            _state.previous, _state.caught, _state.raised, _state.quiet = {}, None, False, 0
            if caught is not None:
                signal.raise_signal(caught)


def remove_path(path) -> None:
    """Remove a file or a directory tree (a symlink itself, never what it points to) without
    being interrupted by SIGTERM/SIGINT/SIGHUP (one arriving meanwhile takes effect after); what
    is already gone, or cannot be removed, is ignored."""
    path = Path(path)
    with _quiet():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except FileNotFoundError:
                pass


# -- private scratch directories ---------------------------------------------------------------


@contextmanager
def private_tempdir(prefix: str = "zkmargin-"):
    """A fresh scratch directory ``<tmp>/<prefix><pid>-<random>`` (mode 0700), yielded as a Path.

    Files made inside it get mode 0600 when entered from the main thread: the process umask is
    0077 while inside (child processes such as snarkjs inherit it); from another thread only the
    directory's 0700 keeps them private. The directory is removed with everything in it on every
    exit: normal return, any exception (KeyboardInterrupt, SystemExit included) and
    SIGTERM/SIGINT/SIGHUP (see cleanup_on_signals: the signal still ends the process after the
    cleanup). A SIGKILL leaves it behind; ``sweep_stale_tempdirs(prefix)`` removes it once its
    process is gone.
    """
    with cleanup_on_signals():
        path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
        old_umask = os.umask(PRIVATE_UMASK) if _in_main_thread() else None
        try:
            os.chmod(path, PRIVATE_DIR_MODE)
            yield path
        finally:
            with _quiet():
                if old_umask is not None:
                    os.umask(old_umask)
                remove_path(path)


def create_private(path) -> Path:
    """Create ``path`` as an empty file of mode 0600 (refusing an existing one, FileExistsError),
    so that whatever writes it next keeps it private whatever the umask."""
    path = Path(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (True for one of another user, and for a zombie)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_tempdirs(prefix: str = "zkmargin-") -> list[Path]:
    """Remove directories ``<tmp>/<prefix><pid>-*`` left by private_tempdir in processes that are
    gone (killed by SIGKILL, a power cut); returns the ones removed.

    Only directories (not symlinks) owned by this user whose PID is no longer alive are touched;
    a PID that is alive (ours, another process's, or a reused PID) keeps its directory, so a
    reused PID only delays the sweep. Never raises for an unreadable temp root or entry.
    """
    root = Path(tempfile.gettempdir())
    pattern = re.compile(re.escape(prefix) + r"([1-9][0-9]{0,9})-")
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if not m:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or _pid_alive(int(m.group(1))):
            continue
        path = Path(entry.path)
        remove_path(path)
        if not path.exists():
            removed.append(path)
    return removed


# -- output paths and atomic writes ------------------------------------------------------------


def check_out_path(path, what: str, error: type[ZkMarginError] = OutputPathError) -> Path:
    """Refuse, before any work, an output ``path`` that cannot be written; returns it as a Path.

    ``what`` names the file in the messages ("proof bundle", "risk table"); ``error``: the
    ZkMarginError subclass raised (default OutputPathError). Refuses: "<what> <path> is a
    directory"; "directory of the <what> does not exist: <parent> (create it first)" (it is never
    created silently); "<parent> is not a directory"; "cannot write <what> into <parent>: ..."
    (no write permission, or a probe file cannot be created there: a read-only file system, an
    ACL; the probe is removed at once); "<what> <path> exists and is not writable".
    """
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise error(f"{what} {path} is a directory")
    if not parent.exists():
        raise error(f"directory of the {what} does not exist: {parent} (create it first)")
    if not parent.is_dir():
        raise error(f"cannot write {what} {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise error(f"cannot write {what} into {parent}: permission denied")
    if path.exists() and not os.access(path, os.W_OK):
        raise error(f"{what} {path} exists and is not writable")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
    except OSError as exc:
        raise error(f"cannot write {what} into {parent}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    return path


def _temp_beside(path: Path, mode: int | None) -> tuple[int, Path]:
    """Create ``.<name>.<random>.tmp`` in ``path``'s directory (O_EXCL): with ``mode``, or as
    open() would (0666 less the umask; the mode of ``path`` itself when it exists)."""
    keep = None
    if mode is None:
        try:
            keep = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            keep = None
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        except FileExistsError:
            continue
        if mode is not None or keep is not None:
            os.fchmod(fd, mode if mode is not None else keep)
        return fd, tmp
    raise FileExistsError(f"no free temporary name beside {path}")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def staged_text(path, text: str | bytes, what: str = "file", mode: int | None = None):
    """Write ``text`` (UTF-8; bytes as they are, a PNG say) to a fsync'ed temporary file beside ``path`` and yield its Path; on
    normal exit rename it to ``path`` (``os.replace``, atomic); on any exception, KeyboardInterrupt,
    SystemExit or SIGTERM/SIGINT/SIGHUP remove it. Nothing half-written is ever at ``path``.

    ``mode``: permission bits of the result (default: as open() would make a new file, or the
    existing file's). Raises OutputPathError ("cannot write <what> <path>: ...") on an OSError
    while writing or renaming (a full disk, a vanished directory). The parent is not created.
    """
    path = Path(path)
    with cleanup_on_signals():
        tmp = None
        try:
            fd, tmp = _temp_beside(path, mode)
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8") if isinstance(text, str) else text)
                f.flush()
                os.fsync(f.fileno())
        except BaseException as exc:
            if tmp is not None:
                remove_path(tmp)
            if isinstance(exc, OSError):
                raise OutputPathError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
            raise
        try:
            yield tmp
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputPathError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
        except BaseException:
            remove_path(tmp)
            raise
        _fsync_dir(path.parent)


def atomic_write_text(path, text: str | bytes, what: str = "file", mode: int | None = None) -> Path:
    """Write ``text`` (str as UTF-8, or bytes) to ``path`` atomically (see staged_text: temp file beside it, fsync,
    rename; no temp left on any failure); returns ``path``. Raises OutputPathError."""
    with staged_text(path, text, what, mode):
        pass
    return Path(path)


def atomic_write_json(path, obj, what: str = "file", mode: int | None = None, indent: int | None = 1) -> Path:
    """Write ``obj`` as JSON (``indent`` spaces, default 1) to ``path`` atomically (atomic_write_text)."""
    return atomic_write_text(path, json.dumps(obj, indent=indent), what, mode)
