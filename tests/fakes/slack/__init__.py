"""A stateful fake of the Slack Web API, served over HTTP on loopback.

Usage: ``with FakeSlack() as fake: WebClient(token=fake.bot_token, base_url=fake.api_url)``.
"""

from ..faults import FaultRule, Faults
from .clock import ManualClock
from .dispatch import Call
from .fake import FakeSlack

__all__ = ["Call", "FakeSlack", "FaultRule", "Faults", "ManualClock"]
