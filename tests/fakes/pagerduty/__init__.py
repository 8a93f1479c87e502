"""A stateful fake of PagerDuty's Events API v2 and REST API (`/oncalls`, `/users`), served over
TLS on loopback with a certificate authority made at test time.

Usage: ``with FakePagerDuty(ca_file) as fake:`` then point the real `pagerduty` clients at
``fake.base_url`` with ``SSL_CERT_FILE=ca_file`` in their environment.
"""

from .fake import API_TOKEN, ROUTING_KEY, Alert, FakePagerDuty

__all__ = ["API_TOKEN", "ROUTING_KEY", "Alert", "FakePagerDuty"]
