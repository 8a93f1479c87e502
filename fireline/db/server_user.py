"""Who the embedded PostgreSQL runs as, and what it may touch to get going.

PostgreSQL refuses to run as root, so under root (CI, containers) the server runs as a dedicated
system user that owns its data directory. We give that user passage into the folder we were handed
for the data directory, and read access inside the bundled PostgreSQL install, but never change a
folder above those. When a folder above keeps that user out (a checkout under /root), the install
is copied, and the cluster kept, under SHARED_ROOT instead, which root makes passable.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The system user the server runs as when we are root; the same one pgserver itself creates.
SYSTEM_USER = "pgserver"
# Where the install and clusters go when the server user cannot reach where they were asked to be.
SHARED_ROOT = Path("/var/lib/fireline")


@dataclass(frozen=True)
class ServerUser:
    name: str
    uid: int
    gid: int


def server_user() -> ServerUser | None:
    """The user the server runs as when we are root (None: run as ourselves)."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/bin/false",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    return ServerUser(SYSTEM_USER, entry.pw_uid, entry.pw_gid)


def as_user(user: ServerUser | None) -> dict[str, Any]:
    """subprocess arguments that run a command as `user`."""
    if user is None:
        return {}
    return {"user": user.uid, "group": user.gid, "extra_groups": []}


def blocked_folder(path: Path, user: ServerUser) -> Path | None:
    """The first folder on the way to `path` that `user` cannot pass, or None if it gets there.
    Asked of the system itself, so ACLs and the like count."""
    if _can(user, "-d", path):
        return None
    for folder in reversed((path, *path.parents)):
        if not _can(user, "-x", folder):
            return folder
    return path


def _can(user: ServerUser, test: str, path: Path) -> bool:
    command = ["test", test, str(path)]
    return subprocess.run(command, check=False, **as_user(user)).returncode == 0


def let_user_into(folder: Path) -> None:
    """o+x on the folder that holds the data directory: ours, so ours to open."""
    _add_mode(folder, stat.S_IXOTH)


@functools.cache
def let_others_read(install: Path) -> None:
    """Files inside the bundled install must be readable (and programs runnable) by the server
    user; the folders above it are left as they are."""
    _add_mode(install, stat.S_IROTH | stat.S_IXOTH)
    for folder, dirs, files in os.walk(install):
        for name in dirs:
            _add_mode(Path(folder, name), stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            file = Path(folder, name)
            extra = stat.S_IROTH | (stat.S_IXOTH if os.access(file, os.X_OK) else 0)
            _add_mode(file, extra)


def _add_mode(path: Path, bits: int) -> None:
    mode = path.lstat().st_mode
    if not stat.S_ISLNK(mode) and mode & bits != bits:
        path.chmod(mode | bits)


def chown_tree(root: Path, user: ServerUser) -> None:
    if root.stat().st_uid == user.uid:
        return
    for folder, _, files in os.walk(root):
        os.chown(folder, user.uid, user.gid)
        for name in files:
            os.chown(Path(folder, name), user.uid, user.gid, follow_symlinks=False)


def reachable(path: Path, user: ServerUser, kind: str, key: str = "") -> Path:
    """`path` when `user` can reach it; otherwise its stand-in under SHARED_ROOT, named after it
    and `key` (`kind`-<digest>), so the same path always maps to the same stand-in."""
    if blocked_folder(path, user) is None:
        return path
    digest = hashlib.sha256(f"{path}:{key}".encode()).hexdigest()[:12]
    SHARED_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
    _add_mode(SHARED_ROOT, stat.S_IROTH | stat.S_IXOTH)  # ours: made by us, for this
    return SHARED_ROOT / f"{kind}-{digest}"


@functools.cache
def readable_install(install: Path, user: ServerUser) -> Path:
    """The bundled install where `user` can run it: in place, or a copy under SHARED_ROOT. The
    copy keeps the wheel's layout (site-packages/pgserver/pginstall beside pgserver.libs), which
    the programs find their libraries by."""
    let_others_read(install)
    # A reinstalled pgserver gets a copy of its own.
    built = (install / "bin" / "postgres").stat().st_mtime_ns
    home = reachable(install, user, "pginstall", key=str(built))
    if home == install:
        return install
    site_packages = install.parent.parent
    copy = home / install.relative_to(site_packages)
    if not copy.exists():
        staging = home.with_name(home.name + f".{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        for part in (install, site_packages / "pgserver.libs"):
            shutil.copytree(part, staging / part.relative_to(site_packages), symlinks=True)
        let_others_read(staging)
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    return copy
