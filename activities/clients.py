"""The Notion, Confluence and Jira clients the activities use, built one way.

Each points at its configured base URL, gives up on a call well inside its activity's
start-to-close timeout, and never sleeps or retries on its own: notion-client would retry a 429
(even a POST) after Retry-After, atlassian-python-api would sleep on a 429's Retry-After up to its
`max_backoff_seconds`; either would hide the wait inside one attempt. Temporal owns retries, and the
activities pass Retry-After on as the next retry's delay.
"""

from __future__ import annotations

import logging

from atlassian import Jira
from atlassian.confluence import ConfluenceServer
from notion_client import AsyncClient

from fireline.integrations import ConfluenceConfig, JiraConfig, NotionConfig

# Each outside call gives up after this long; the activities' start-to-close leaves room for
# every call an attempt makes (workflows/activity_options.py).
CALL_TIMEOUT_SECONDS = 8


def notion_client(config: NotionConfig) -> AsyncClient:
    return AsyncClient(
        auth=config.token,
        base_url=config.base_url,
        timeout_ms=CALL_TIMEOUT_SECONDS * 1000,
        retry=False,
        # Without a logger it adds a console handler of its own.
        logger=logging.getLogger("fireline.notion"),
    )


def jira_client(config: JiraConfig) -> Jira:
    """Cloud: JQL goes to /rest/api/3/search/jql (the old search answers 410 Gone there)."""
    return Jira(
        url=config.url,
        username=config.username,
        password=config.api_token,
        cloud=config.cloud,
        timeout=CALL_TIMEOUT_SECONDS,
        backoff_and_retry=False,
        retry_with_header=False,
    )


def confluence_client(config: ConfluenceConfig) -> ConfluenceServer:
    """REST v1 content (create, title lookup, versioned update, CQL), which Confluence Cloud
    serves under its /wiki URL as Server and Data Center do at theirs."""
    return ConfluenceServer(  # type: ignore[no-untyped-call]
        url=config.url,
        username=config.username,
        password=config.api_token,
        timeout=CALL_TIMEOUT_SECONDS,
        backoff_and_retry=False,
        retry_with_header=False,
    )
