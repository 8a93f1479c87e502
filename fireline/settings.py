"""Fireline's configuration: one Settings class read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # How long the bot keeps trying to start a declaration while Temporal is unreachable.
    declare_retry_seconds: float = Field(default=60.0, gt=0)
    declare_delay_notice_seconds: float = Field(default=5.0, ge=0)

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
