"""A stateful fake of Jira's REST API (Cloud by default), served over HTTP on loopback.

Usage: ``with FakeJira() as fake: Jira(fake.base_url, fake.username, fake.api_token, cloud=True)``.
"""

from .fake import FakeJira

__all__ = ["FakeJira"]
