"""Showing a database URL without its password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg

MASK = "***"


def masked(url: str) -> str:
    """The URL (or key=value conninfo) with its password replaced by `***`."""
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        if parts.password is None:
            return url
        userinfo, _, hostinfo = parts.netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostinfo}"))
    values = psycopg.conninfo.conninfo_to_dict(url)
    if "password" not in values:
        return url
    return psycopg.conninfo.make_conninfo("", **{**values, "password": MASK})
