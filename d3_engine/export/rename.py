"""Directory renames that never leave a published name empty (DOMAIN OUT-2, V12-6).

Linux `renameat2` gives both primitives publishing needs: RENAME_NOREPLACE (publish a new run only
if its name is free, even when two d3 processes race) and RENAME_EXCHANGE (swap a recomputed run
with the published one in one step). Where the kernel, the C library or the file system lacks them,
the fallbacks keep the same promise: the name always holds a complete folder or a folder that fails
verification (never nothing), and a folder d3 did not make is never replaced.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from pathlib import Path

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_SYSCALL_NUMBERS = {"x86_64": 316, "aarch64": 276}  # renameat2, for a C library without the wrapper
_UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP)


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """Call renameat2; True when done, False when unsupported here. Raises OSError for real errors."""
    if platform.system() != "Linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    src, dst = os.fsencode(source), os.fsencode(target)
    if hasattr(libc, "renameat2"):
        result = libc.renameat2(AT_FDCWD, src, AT_FDCWD, dst, ctypes.c_uint(flags))
    elif platform.machine() in _SYSCALL_NUMBERS:
        number = _SYSCALL_NUMBERS[platform.machine()]
        result = libc.syscall(number, AT_FDCWD, src, AT_FDCWD, dst, ctypes.c_uint(flags))
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def rename_new(source: Path, target: Path) -> None:
    """Rename a folder to a name that must be free.

    Raises:
        FileExistsError: the name is taken (by a run published meanwhile, or anything else).
    """
    try:
        done = _renameat2(source, target, RENAME_NOREPLACE)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise FileExistsError(errno.EEXIST, "the name is taken", str(target)) from None
        raise
    if done:
        return
    if target.exists() or target.is_symlink():
        raise FileExistsError(errno.EEXIST, "the name is taken", str(target))
    try:
        os.rename(source, target)  # fails on a non-empty folder, which every d3 run folder is (its marker)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise FileExistsError(errno.EEXIST, "the name is taken", str(target)) from None
        raise


def exchange(new: Path, published: Path, marker: str) -> None:
    """Put `new` in the place of `published` without a moment when the name is empty.

    Afterwards `new`'s old name holds the previous copy (or, in the fallback, what is left of it:
    empty folders and its `marker`), which the caller deletes. The fallback replaces the files one
    by one (each `os.replace` is atomic) with SHA256SUMS last, so a folder caught half way fails
    verification and is computed again; both folders keep their marker throughout.
    """
    if _renameat2(new, published, RENAME_EXCHANGE):
        return
    files = sorted(
        (p for p in new.rglob("*") if (p.is_file() or p.is_symlink()) and p != new / marker),
        key=lambda p: p.name == "SHA256SUMS",
    )
    incoming = {p.relative_to(new) for p in files} | {Path(marker)}
    for path in files:
        target = published / path.relative_to(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    for path in sorted(published.rglob("*"), reverse=True):
        rel = path.relative_to(published)
        if rel in incoming:
            continue
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        else:
            path.unlink()
