"""A filesystem fence for the embedded engine's process, enforced by the Linux kernel (Landlock).

The SQL guard refuses table functions such as `file()` before a query reaches chDB; this fence is the layer
under it: once applied, the process (and every thread it starts afterwards) can read only the paths it was
given and write only beneath its own scratch folder, whatever SQL runs. chDB's `user_files_path` does not
confine `file()` to a folder, so the engine cannot do it alone.

Landlock binds the thread that applies it and the threads it starts later, not threads already running,
so the engine applies it before chDB is imported (chDB starts its thread pools on import). Standard
library only (ctypes): the engine process loads this file by path, like frames.py. Kernels without
Landlock (before 5.13, or with it disabled) are reported, not fatal: the guard still stands there."""

from __future__ import annotations

import ctypes
import os
import struct
import sysconfig
from collections.abc import Iterable
from pathlib import Path

# System call numbers are the same on every architecture Landlock supports (asm-generic numbering).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem access rights (linux/landlock.h), by the ABI version that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ABI1_ALL = (1 << 13) - 1  # execute … make_sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | _TRUNCATE  # the rights a rule on a file (not a folder) may hold

READ_ONLY = READ_FILE | READ_DIR | EXECUTE

# What the Python runtime and chDB read after start: shared libraries, time zones, /proc and /sys (memory
# limits, CPU count), devices such as /dev/urandom. None of it is user data.
SYSTEM_PATHS = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/etc/ld.so.cache", "/usr/share/zoneinfo",
                "/etc/localtime", "/proc", "/sys", "/dev")

_libc = ctypes.CDLL(None, use_errno=True)


class FenceUnavailable(OSError):
    """The kernel offers no Landlock: nothing was restricted."""


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when there is none."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def runtime_paths() -> list[str]:
    """The interpreter's own library folders (standard library, site-packages): read-only."""
    paths = sysconfig.get_paths()
    return sorted({paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")})


def restrict(read_only: Iterable[str], writable: Iterable[str]) -> int:
    """Allow reading (and executing) beneath `read_only` and everything beneath `writable`; deny every other
    filesystem access to this thread and the threads it starts from now on. Paths that do not exist are
    skipped. Returns the ABI version used; raises FenceUnavailable without Landlock."""
    version = abi_version()
    if version < 1:
        raise FenceUnavailable("Landlock is not available on this kernel")
    handled = _ABI1_ALL | (_REFER if version >= 2 else 0) | (_TRUNCATE if version >= 3 else 0)
    attr = ctypes.create_string_buffer(struct.pack("=Q", handled))
    ruleset = _libc.syscall(_CREATE_RULESET, attr, ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        raise _error("landlock_create_ruleset")
    try:
        for paths, access in ((read_only, READ_ONLY), (writable, handled)):
            for path in paths:
                _allow(ruleset, path, access & handled)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _error("prctl(PR_SET_NO_NEW_PRIVS)")
        if _libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise _error("landlock_restrict_self")
    finally:
        os.close(ruleset)
    return version


def _allow(ruleset: int, path: str, access: int) -> None:
    if not os.path.exists(path):
        return
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not Path(path).is_dir():
            access &= _FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd))
        if _libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, ctypes.c_uint32(0)) != 0:
            raise _error(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def _error(call: str) -> OSError:
    number = ctypes.get_errno()
    return OSError(number, f"{call}: {os.strerror(number)}")
