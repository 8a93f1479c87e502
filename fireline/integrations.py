"""Which outside integrations are on: each one whose settings are all set.

Half an integration is a mistake worth stopping for (a token without its database sends nothing
anywhere, silently), so it is refused at start with one line naming what is missing. Notion and
Confluence are two backends of one capability, the postmortem doc: only one may be set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fireline.models import TrackingPlan
from fireline.settings import Settings, SettingsError


@dataclass(frozen=True)
class NotionConfig:
    token: str
    database_id: str
    base_url: str


@dataclass(frozen=True)
class ConfluenceConfig:
    url: str
    username: str
    api_token: str
    space: str
    parent_page_id: str | None


@dataclass(frozen=True)
class JiraConfig:
    url: str
    username: str
    api_token: str
    project: str
    issue_type: str
    done_transition: str
    private_project: str | None
    cloud: bool


@dataclass(frozen=True)
class Integrations:
    notion: NotionConfig | None = None
    confluence: ConfluenceConfig | None = None
    jira: JiraConfig | None = None

    @property
    def doc_backend(self) -> Literal["notion", "confluence"] | None:
        """Where postmortem docs are written, if anywhere."""
        if self.notion is not None:
            return "notion"
        if self.confluence is not None:
            return "confluence"
        return None

    def plan(self) -> TrackingPlan:
        return TrackingPlan(
            doc_backend=self.doc_backend,
            jira=self.jira is not None,
            jira_private_project=self.jira is not None and self.jira.private_project is not None,
        )


def integrations(settings: Settings) -> Integrations:
    """The integrations the settings turn on; SettingsError (one line) for a half-set one."""
    notion_on = _group(
        {
            "NOTION_TOKEN": settings.notion_token,
            "NOTION_POSTMORTEM_DATABASE_ID": settings.notion_postmortem_database_id,
        }
    )
    confluence_on = _group(
        {
            "CONFLUENCE_URL": settings.confluence_url,
            "CONFLUENCE_USERNAME": settings.confluence_username,
            "CONFLUENCE_API_TOKEN": settings.confluence_api_token,
            "CONFLUENCE_SPACE": settings.confluence_space,
        }
    )
    jira_on = _group(
        {
            "JIRA_URL": settings.jira_url,
            "JIRA_USERNAME": settings.jira_username,
            "JIRA_API_TOKEN": settings.jira_api_token,
            "JIRA_PROJECT": settings.jira_project,
        }
    )
    if notion_on and confluence_on:
        raise SettingsError(
            "NOTION_TOKEN: Notion and Confluence are both set; postmortem docs go to one of "
            "them, unset the other's variables"
        )
    if settings.confluence_parent_page_id and not confluence_on:
        raise SettingsError(
            "CONFLUENCE_PARENT_PAGE_ID: set, yet Confluence is not (CONFLUENCE_URL)"
        )
    if settings.jira_private_project and not jira_on:
        raise SettingsError("JIRA_PRIVATE_PROJECT: set, yet Jira is not (JIRA_URL)")
    return Integrations(
        notion=_notion(settings) if notion_on else None,
        confluence=_confluence(settings) if confluence_on else None,
        jira=_jira(settings) if jira_on else None,
    )


def _group(values: dict[str, object]) -> bool:
    """True when every variable is set, False when none is; otherwise say what is missing."""
    missing = [name for name, value in values.items() if value is None]
    if not missing:
        return True
    if len(missing) == len(values):
        return False
    given = next(name for name, value in values.items() if value is not None)
    raise SettingsError(
        f"{missing[0]}: required when {given} is set (missing: {', '.join(missing)})"
    )


def _secret(value: object) -> str:
    get = getattr(value, "get_secret_value", None)
    return str(get() if get else value)


def _url(value: object) -> str:
    return str(value).rstrip("/")


def _notion(settings: Settings) -> NotionConfig:
    return NotionConfig(
        token=_secret(settings.notion_token),
        database_id=str(settings.notion_postmortem_database_id),
        base_url=_url(settings.notion_base_url),
    )


def _confluence(settings: Settings) -> ConfluenceConfig:
    return ConfluenceConfig(
        url=_url(settings.confluence_url),
        username=str(settings.confluence_username),
        api_token=_secret(settings.confluence_api_token),
        space=str(settings.confluence_space),
        parent_page_id=settings.confluence_parent_page_id,
    )


def _jira(settings: Settings) -> JiraConfig:
    return JiraConfig(
        url=_url(settings.jira_url),
        username=str(settings.jira_username),
        api_token=_secret(settings.jira_api_token),
        project=str(settings.jira_project),
        issue_type=settings.jira_issue_type,
        done_transition=settings.jira_done_transition,
        private_project=settings.jira_private_project,
        cloud=settings.jira_cloud,
    )
