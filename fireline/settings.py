"""Fireline's configuration: one Settings class read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fireline.encryption import EncryptionKeyError, Keyring


class SettingsError(Exception):
    """A configuration value is missing or wrong; the message names it in one line."""


class Settings(BaseSettings):
    # Empty variables count as unset (compose passes declared-but-unset variables as empty).
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "fireline"
    temporal_ui_url: AnyHttpUrl = AnyHttpUrl("http://localhost:8233")

    # Unset means `fireline dev` starts an embedded PostgreSQL; the worker and migrate need it.
    database_url: str | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api/")
    dev_postgres_port: int = Field(default=55432, ge=1, le=65535)
    slack_feed_channel: str | None = Field(
        default=None, description="Channel ID where every non-private incident is announced"
    )

    port: int = Field(default=3000, ge=1, le=65535)
    severity_policy_file: Path | None = None
    fireline_data_dir: Path = Path(".fireline")

    # `id:base64key,...`: the first key encrypts every payload, all of them decrypt (rotation).
    fireline_encryption_keys: SecretStr | None = None
    # "off" runs without payload encryption; it has to be said explicitly.
    fireline_encryption: Literal["on", "off"] = "on"

    # `fireline codec-server`: decodes payloads for the Temporal UI and CLI.
    codec_server_host: str = "127.0.0.1"
    codec_server_port: int = Field(default=8234, ge=1, le=65535)
    codec_server_token: SecretStr | None = None
    # Comma-separated browser origins of the Temporal UI; unset means TEMPORAL_UI_URL's origin.
    codec_cors_origins: Annotated[list[str], NoDecode] | None = None

    # PagerDuty: the Events API v2 integration key turns paging on; the REST API token and the
    # escalation policies turn the on-call lookup on. The clients accept https:// URLs only.
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_api_token: SecretStr | None = None
    pagerduty_escalation_policy_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    pagerduty_events_url: AnyHttpUrl = AnyHttpUrl("https://events.pagerduty.com")
    pagerduty_api_url: AnyHttpUrl = AnyHttpUrl("https://api.pagerduty.com")
    # Each process's `/metrics` and `/healthz` (the bot's /healthz is also on PORT in HTTP mode).
    metrics_port: int = Field(default=9464, ge=1, le=65535)
    bot_metrics_port: int = Field(default=9465, ge=1, le=65535)
    # "json": one JSON object per log line, with the incident and trace ids.
    log_format: Literal["text", "json"] = "text"

    # How long the bot keeps trying to start a declaration while Temporal is unreachable.
    declare_retry_seconds: float = Field(default=60.0, gt=0)
    declare_delay_notice_seconds: float = Field(default=5.0, ge=0)

    # Postmortem docs and tickets (fireline/integrations.py): each is on when its settings are set.
    notion_token: SecretStr | None = None
    notion_postmortem_database_id: str | None = None
    notion_base_url: AnyHttpUrl = AnyHttpUrl("https://api.notion.com")
    # Confluence Cloud's site URL ends in /wiki (https://example.atlassian.net/wiki).
    confluence_url: AnyHttpUrl | None = None
    confluence_username: str | None = None
    confluence_api_token: SecretStr | None = None
    confluence_space: str | None = None
    confluence_parent_page_id: str | None = None
    jira_url: AnyHttpUrl | None = None
    jira_username: str | None = None
    jira_api_token: SecretStr | None = None
    jira_project: str | None = None
    jira_issue_type: str = "Task"
    jira_done_transition: str = "Done"
    # Private incidents' issues go here; unset, private incidents get no issue.
    jira_private_project: str | None = None
    # Jira Cloud (JQL at /rest/api/3/search/jql); false for Server/Data Center.
    jira_cloud: bool = True

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("must be host:port, for example localhost:7233")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("fireline_encryption_keys")
    @classmethod
    def _keyring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Keyring.parse(value.get_secret_value())
            except EncryptionKeyError as err:
                raise ValueError(str(err)) from None
        return value

    @field_validator("codec_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("pagerduty_escalation_policy_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("pagerduty_events_url", "pagerduty_api_url")
    @classmethod
    def _https(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.scheme != "https":
            raise ValueError("must be an https:// URL (the PagerDuty client refuses any other)")
        return value

    @property
    def slack_api_base(self) -> str:
        url = str(self.slack_api_url)
        return url if url.endswith("/") else url + "/"

    def missing_slack(self) -> list[str]:
        """The Slack variables the bot cannot run without."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if self.slack_signing_secret is None and self.slack_app_token is None:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def encryption_keyring(self) -> Keyring | None:
        """The payload keys; None only when FIRELINE_ENCRYPTION=off says so."""
        keys = self.fireline_encryption_keys
        if self.fireline_encryption == "off":
            if keys is not None:
                raise SettingsError(
                    "FIRELINE_ENCRYPTION: off, yet FIRELINE_ENCRYPTION_KEYS is set; unset one"
                )
            return None
        if keys is None:
            raise SettingsError(
                "FIRELINE_ENCRYPTION_KEYS: required, id:base64key of a 32-byte key (for example "
                "k1:$(openssl rand -base64 32)); or FIRELINE_ENCRYPTION=off to store payloads "
                "unencrypted"
            )
        return Keyring.parse(keys.get_secret_value())

    @property
    def codec_origins(self) -> list[str]:
        """Browser origins allowed to call the codec server."""
        if self.codec_cors_origins is not None:
            return self.codec_cors_origins
        ui = urlsplit(str(self.temporal_ui_url))
        return [f"{ui.scheme}://{ui.netloc}"]

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError(
                "DATABASE_URL: required (a PostgreSQL URL such as postgresql://...)"
            )
        return self.database_url


def load_settings(**overrides: object) -> Settings:
    """Read settings; a wrong value raises SettingsError naming the variable in one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"{name}: {first['msg']}") from None
