"""A throwaway certificate authority and the fake's server certificate, made at test time: the
clients verify the fake as they would verify PagerDuty, trusting the CA through SSL_CERT_FILE."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


def server_context(ca_file: Path) -> ssl.SSLContext:
    """A server context for 127.0.0.1 and localhost; the CA's certificate is written to
    `ca_file` for the clients to trust."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context
