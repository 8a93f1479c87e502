"""A stateful fake of Confluence's REST v1 content API, served over HTTP on loopback.

Usage: ``with FakeConfluence() as fake: ConfluenceServer(fake.url, fake.username, fake.api_token)``.
"""

from .fake import FakeConfluence

__all__ = ["FakeConfluence"]
