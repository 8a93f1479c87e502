"""Notion, Confluence and Jira: on when their settings are set, refused when half set, and their
clients built with the base URL, a timeout and no retries of their own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from notion_client.errors import APIResponseError
from requests import HTTPError

from activities.clients import confluence_client, jira_client, notion_client
from fireline.integrations import integrations
from fireline.settings import Settings, SettingsError, load_settings
from tests.fakes.confluence import FakeConfluence
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.test_settings import assert_one_line_error, run_cli

NOTION = {"NOTION_TOKEN": "secret_x", "NOTION_POSTMORTEM_DATABASE_ID": "db1"}
CONFLUENCE = {
    "CONFLUENCE_URL": "https://example.atlassian.net/wiki",
    "CONFLUENCE_USERNAME": "bot@example.com",
    "CONFLUENCE_API_TOKEN": "token",
    "CONFLUENCE_SPACE": "OPS",
}
JIRA = {
    "JIRA_URL": "https://example.atlassian.net",
    "JIRA_USERNAME": "bot@example.com",
    "JIRA_API_TOKEN": "token",
    "JIRA_PROJECT": "FIRE",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def configured(monkeypatch: pytest.MonkeyPatch, *groups: dict[str, str]) -> Settings:
    for group in groups:
        for name, value in group.items():
            monkeypatch.setenv(name, value)
    return load_settings()


def refusal(monkeypatch: pytest.MonkeyPatch, *groups: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        integrations(configured(monkeypatch, *groups))
    return str(caught.value)


def test_nothing_set_is_nothing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    found = integrations(configured(monkeypatch))
    assert (found.notion, found.confluence, found.jira, found.doc_backend) == (
        None,
        None,
        None,
        None,
    )


def test_each_on_when_set_with_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    found = integrations(configured(monkeypatch, NOTION, JIRA))
    assert found.doc_backend == "notion" and found.confluence is None
    assert found.notion is not None and found.notion.base_url == "https://api.notion.com"
    assert found.jira is not None
    assert (found.jira.issue_type, found.jira.done_transition, found.jira.cloud) == (
        "Task",
        "Done",
        True,
    )
    assert found.jira.private_project is None
    monkeypatch.setenv("JIRA_CLOUD", "false")
    monkeypatch.setenv("JIRA_PRIVATE_PROJECT", "SEC")
    jira = integrations(load_settings()).jira
    assert jira is not None and (jira.cloud, jira.private_project) == (False, "SEC")
    for name in NOTION:
        monkeypatch.delenv(name)
    confluence = integrations(configured(monkeypatch, CONFLUENCE))
    assert confluence.doc_backend == "confluence" and confluence.confluence is not None
    assert confluence.confluence.url == "https://example.atlassian.net/wiki"


@pytest.mark.parametrize(
    ("given", "drop", "named"),
    [
        (NOTION, "NOTION_POSTMORTEM_DATABASE_ID", "NOTION_POSTMORTEM_DATABASE_ID"),
        (NOTION, "NOTION_TOKEN", "NOTION_TOKEN"),
        (CONFLUENCE, "CONFLUENCE_SPACE", "CONFLUENCE_SPACE"),
        (JIRA, "JIRA_API_TOKEN", "JIRA_API_TOKEN"),
        (JIRA, "JIRA_URL", "JIRA_URL"),
    ],
)
def test_half_set_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, str], drop: str, named: str
) -> None:
    line = refusal(monkeypatch, {k: v for k, v in given.items() if k != drop})
    assert line.startswith(f"{named}: required when ") and "\n" not in line


def test_notion_and_confluence_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    line = refusal(monkeypatch, NOTION, CONFLUENCE)
    assert "Notion and Confluence are both set" in line


def test_optional_settings_alone_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert refusal(monkeypatch, {"JIRA_PRIVATE_PROJECT": "SEC"}).startswith("JIRA_PRIVATE_PROJECT")
    monkeypatch.delenv("JIRA_PRIVATE_PROJECT")
    line = refusal(monkeypatch, {"CONFLUENCE_PARENT_PAGE_ID": "42"})
    assert line.startswith("CONFLUENCE_PARENT_PAGE_ID")


def test_cli_worker_with_half_of_jira(clean_env: Path) -> None:
    half = {k: v for k, v in JIRA.items() if k != "JIRA_PROJECT"}
    result = run_cli(clean_env, "worker", DATABASE_URL="postgresql://x/y", **half)
    line = assert_one_line_error(result, "JIRA_PROJECT")
    assert "token" not in line.split(":", 2)[2]


# -- the clients -----------------------------------------------------------------------------------


async def test_notion_client_uses_the_base_url_and_never_retries() -> None:
    with FakeNotion() as fake:
        database = fake.add_database("Postmortems", {"Name": "title"})
        settings = load_settings(
            notion_token=fake.token,
            notion_postmortem_database_id=database,
            notion_base_url=fake.base_url,
        )
        config = integrations(settings).notion
        assert config is not None
        client = notion_client(config)
        assert (await client.databases.retrieve(database_id=database))["id"] == database
        fake.faults.add("databases.retrieve", kind="ratelimited", retry_after=30, times=1)
        started = time.monotonic()
        with pytest.raises(APIResponseError):
            await client.databases.retrieve(database_id=database)
        assert time.monotonic() - started < 5
        assert len(fake.calls("databases.retrieve")) == 2  # no retry of its own
        assert client.options.timeout_ms == 8000
        await client.aclose()


@pytest.mark.parametrize("cloud", [True, False])
def test_jira_client_searches_where_the_deployment_answers(cloud: bool) -> None:
    with FakeJira(cloud=cloud) as fake:
        fake.add_project("FIRE")
        settings = load_settings(
            jira_url=fake.base_url,
            jira_username=fake.username,
            jira_api_token=fake.api_token,
            jira_project="FIRE",
            jira_cloud=cloud,
        )
        config = integrations(settings).jira
        assert config is not None
        client = jira_client(config)
        assert client.jql("project = FIRE") is not None
        assert fake.calls()[0].operation == ("search.jql" if cloud else "search")


def test_atlassian_clients_never_sleep_on_retry_after() -> None:
    with FakeJira() as jira_fake, FakeConfluence() as confluence_fake:
        jira_fake.add_project("FIRE")
        confluence_fake.add_space("OPS")
        settings = load_settings(
            jira_url=jira_fake.base_url,
            jira_username=jira_fake.username,
            jira_api_token=jira_fake.api_token,
            jira_project="FIRE",
            confluence_url=confluence_fake.url,
            confluence_username=confluence_fake.username,
            confluence_api_token=confluence_fake.api_token,
            confluence_space="OPS",
        )
        found = integrations(settings)
        assert found.jira is not None and found.confluence is not None
        jira_fake.faults.add("*", kind="ratelimited", retry_after=30)
        confluence_fake.faults.add("*", kind="ratelimited", retry_after=30)
        started = time.monotonic()
        with pytest.raises(HTTPError):
            jira_client(found.jira).jql("project = FIRE")
        with pytest.raises(HTTPError):
            confluence_client(found.confluence).cql("space = OPS")
        assert time.monotonic() - started < 5
        assert len(jira_fake.calls()) == 1 and len(confluence_fake.calls()) == 1
