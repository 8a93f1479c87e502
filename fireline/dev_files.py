"""The files `fireline dev` keeps in its data folder, readable by their owner only (0600): the
payload encryption key, made on the first run and reused after, and `env`, the variables other
tools need to reach this stack (DATABASE_URL with its password, FIRELINE_ENCRYPTION_KEYS)."""

from __future__ import annotations

from pathlib import Path

from fireline.encryption import new_key
from fireline.private_file import write_private

KEY_FILE = "encryption-keys"
ENV_FILE = "env"


def encryption_keys(data: Path) -> str:
    """FIRELINE_ENCRYPTION_KEYS for the dev stack; put a new key first in the file to rotate."""
    path = data / KEY_FILE
    if not path.exists():
        write_private(path, new_key("dev") + "\n")
    return path.read_text().strip()


def write_env_file(data: Path, values: dict[str, str]) -> Path:
    path = data / ENV_FILE
    write_private(path, "".join(f"{name}={value}\n" for name, value in values.items()))
    return path
