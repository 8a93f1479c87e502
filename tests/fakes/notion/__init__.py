"""A stateful fake of the Notion API, served over HTTP on loopback.

Usage: ``with FakeNotion() as fake: AsyncClient(auth=fake.token, base_url=fake.base_url)``.
"""

from .fake import FakeNotion

__all__ = ["FakeNotion"]
