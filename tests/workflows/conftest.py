"""The Jira, Notion and Confluence fakes for the workflow tests that run the real tracking
activities (tracking_bed.py): one server each per module, emptied for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.confluence import FakeConfluence
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion


@pytest.fixture(scope="module")
def jira_server() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


@pytest.fixture(scope="module")
def notion_server() -> Iterator[FakeNotion]:
    with FakeNotion() as fake:
        yield fake


@pytest.fixture(scope="module")
def confluence_server() -> Iterator[FakeConfluence]:
    with FakeConfluence() as fake:
        yield fake


@pytest.fixture
def jira(jira_server: FakeJira) -> FakeJira:
    jira_server.reset()
    jira_server.add_project("FIRE")
    return jira_server


@pytest.fixture
def notion(notion_server: FakeNotion) -> FakeNotion:
    notion_server.reset()
    return notion_server


@pytest.fixture
def confluence(confluence_server: FakeConfluence) -> FakeConfluence:
    confluence_server.reset()
    confluence_server.add_space("OPS")
    return confluence_server
