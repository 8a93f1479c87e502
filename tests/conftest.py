from collections.abc import Iterator

import pytest

from tests.fakes.slack import FakeSlack

pytest_plugins = [
    "tests.fixtures.temporal",
    "tests.fixtures.postgres",
    "tests.fixtures.outbox",
    "tests.fixtures.pagerduty",
    "tests.fixtures.tracking",
]


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack(slack_server: FakeSlack) -> FakeSlack:
    """The Slack fake, emptied for this test."""
    slack_server.reset()
    return slack_server
