"""Configuration: a wrong value fails with one line naming the variable, in code and on the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fireline.devstack.localpg import free_port
from fireline.settings import Settings, SettingsError, load_settings
from tests.fixtures.temporal import TEST_ENCRYPTION_KEYS

SECRET = "xoxb-wrong-and-secret"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Fireline variable from the outside, and a working folder without a `.env`."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def error_for(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    return str(caught.value)


# -- load_settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PORT", "abc", "valid integer"),
        ("PORT", "70000", "less than or equal to 65535"),
        ("PORT", "0", "greater than or equal to 1"),
        ("DEV_POSTGRES_PORT", "99999", "less than or equal to 65535"),
        ("TEMPORAL_ADDRESS", "nope", "host:port"),
        ("TEMPORAL_ADDRESS", "localhost:", "host:port"),
        ("TEMPORAL_ADDRESS", ":7233", "host:port"),
        ("SLACK_APP_TOKEN", SECRET, "xapp-"),
        ("SLACK_API_URL", "not-a-url", "URL"),
        ("TEMPORAL_UI_URL", "ftp://example.com", "URL"),
        ("DECLARE_RETRY_SECONDS", "0", "greater than 0"),
        ("FIRELINE_ENCRYPTION_KEYS", f"k1:{SECRET}", "not valid base64"),
        ("FIRELINE_ENCRYPTION_KEYS", SECRET, "id:base64key"),
        ("FIRELINE_ENCRYPTION", "maybe", "'on' or 'off'"),
        ("CODEC_SERVER_PORT", "0", "greater than or equal to 1"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    message = error_for(monkeypatch, name, value)
    assert message.startswith(f"{name}: "), message
    assert says in message
    assert "\n" not in message
    assert SECRET not in message  # a wrong token is not echoed into logs


def test_defaults() -> None:
    settings = load_settings()
    assert settings.port == 3000
    assert str(settings.slack_api_url) == "https://slack.com/api/"
    assert settings.slack_api_base == "https://slack.com/api/"
    assert settings.temporal_address == "localhost:7233"
    assert settings.temporal_namespace == "default"
    assert settings.temporal_task_queue == "fireline"
    assert settings.database_url is None
    assert settings.slack_bot_token is None
    assert settings.severity_policy_file is None


def test_slack_api_base_always_ends_in_a_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9000/api")
    assert load_settings().slack_api_base == "http://127.0.0.1:9000/api/"


def test_dot_env_is_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text(
        "PORT=4000\nSLACK_BOT_TOKEN=xoxb-from-dotenv\nDATABASE_URL=postgresql://db/fireline\n"
    )
    settings = load_settings()
    assert settings.port == 4000
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert settings.require_database_url() == "postgresql://db/fireline"

    monkeypatch.setenv("PORT", "5000")  # the environment wins over .env
    assert load_settings().port == 5000


def test_a_wrong_value_in_dot_env_names_the_variable(clean_env: Path) -> None:
    (clean_env / ".env").write_text("TEMPORAL_ADDRESS=nope\n")
    with pytest.raises(SettingsError, match=r"^TEMPORAL_ADDRESS: "):
        load_settings()


def test_an_empty_variable_counts_as_unset(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PORT", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL"):
        monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.port == 3000
    assert settings.slack_bot_token is None
    assert settings.slack_app_token is None  # not a wrong xapp- token
    assert settings.slack_api_base == "https://slack.com/api/"
    assert settings.database_url is None

    # Compose passes a declared-but-unset variable as empty: it must not hide the .env value.
    (clean_env / ".env").write_text("PORT=4000\n")
    assert load_settings().port == 4000


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({}, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]),
        ({"SLACK_SIGNING_SECRET": "s"}, ["SLACK_BOT_TOKEN"]),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["SLACK_SIGNING_SECRET"]),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, []),
        # Socket Mode needs no signing secret.
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, []),
        ({"SLACK_APP_TOKEN": "xapp-1"}, ["SLACK_BOT_TOKEN"]),
    ],
)
def test_missing_slack(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], missing: list[str]
) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert load_settings().missing_slack() == missing


def test_codec_cors_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().codec_origins == ["http://localhost:8233"]
    monkeypatch.setenv("TEMPORAL_UI_URL", "https://temporal.example.com/ui/")
    assert load_settings().codec_origins == ["https://temporal.example.com"]
    monkeypatch.setenv("CODEC_CORS_ORIGINS", "https://a.example.com, https://b.example.com/")
    assert load_settings().codec_origins == ["https://a.example.com", "https://b.example.com"]


def test_pagerduty_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.pagerduty_routing_key is None and settings.pagerduty_api_token is None
    assert str(settings.pagerduty_events_url) == "https://events.pagerduty.com/"
    assert str(settings.pagerduty_api_url) == "https://api.pagerduty.com/"
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", "k" * 32)
    monkeypatch.setenv("PAGERDUTY_API_TOKEN", "u+token")
    monkeypatch.setenv("PAGERDUTY_ESCALATION_POLICY_IDS", "PEP1, PEP2,")
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", "https://events.eu.pagerduty.com")
    settings = load_settings()
    assert settings.pagerduty_escalation_policy_ids == ["PEP1", "PEP2"]
    assert str(settings.pagerduty_events_url) == "https://events.eu.pagerduty.com/"
    message = error_for(monkeypatch, "PAGERDUTY_API_URL", "http://127.0.0.1:9999")
    assert message.startswith("PAGERDUTY_API_URL: ") and "https://" in message


def test_require_database_url() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings().require_database_url()
    message = str(caught.value)
    assert message.startswith("DATABASE_URL: ")
    assert "\n" not in message
    url = "postgresql://postgres@127.0.0.1:5432/fireline"
    assert load_settings(database_url=url).require_database_url() == url


# -- the command line ------------------------------------------------------------------------------


def cli_env(**values: str) -> dict[str, str]:
    """Only what a shell would need, plus the given Fireline variables."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(values)
    return env


def run_cli(cwd: Path, command: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fireline", command],
        env=cli_env(**values),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], name: str) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"fireline: {name}: "), lines[0]
    assert result.stdout == ""
    return lines[0]


def test_cli_worker_with_a_wrong_port(clean_env: Path) -> None:
    result = run_cli(clean_env, "worker", PORT="abc", DATABASE_URL="postgresql://x/y")
    assert_one_line_error(result, "PORT")


def test_cli_bot_without_a_bot_token(clean_env: Path) -> None:
    keys = TEST_ENCRYPTION_KEYS
    result = run_cli(clean_env, "bot", SLACK_SIGNING_SECRET="s", FIRELINE_ENCRYPTION_KEYS=keys)
    line = assert_one_line_error(result, "SLACK_BOT_TOKEN")
    assert "SLACK_SIGNING_SECRET" not in line


def test_cli_migrate_without_a_database_url(clean_env: Path) -> None:
    result = run_cli(clean_env, "migrate", TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")
    assert_one_line_error(result, "DATABASE_URL")


@pytest.mark.parametrize("command", ["worker", "bot"])
def test_cli_without_an_encryption_key_refuses_to_start(clean_env: Path, command: str) -> None:
    env = slack_env(DATABASE_URL="postgresql://x/y")
    del env["FIRELINE_ENCRYPTION_KEYS"]
    line = assert_one_line_error(run_cli(clean_env, command, **env), "FIRELINE_ENCRYPTION_KEYS")
    assert "required" in line and "FIRELINE_ENCRYPTION=off" in line


@pytest.mark.parametrize("command", ["worker", "bot"])
def test_cli_with_a_wrong_encryption_key_refuses_to_start(clean_env: Path, command: str) -> None:
    short = "k1:" + "A" * 20
    env = slack_env(DATABASE_URL="postgresql://x/y", FIRELINE_ENCRYPTION_KEYS=short)
    line = assert_one_line_error(run_cli(clean_env, command, **env), "FIRELINE_ENCRYPTION_KEYS")
    assert "must be 32 bytes long" in line and short not in line


def test_cli_codec_server_on_an_open_address_needs_a_token(clean_env: Path) -> None:
    env = {"FIRELINE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS, "CODEC_SERVER_HOST": "0.0.0.0"}
    line = assert_one_line_error(run_cli(clean_env, "codec-server", **env), "CODEC_SERVER_HOST")
    assert "CODEC_SERVER_TOKEN" in line


def slack_env(**values: str) -> dict[str, str]:
    """Enough for the bot to start; Temporal points at a closed port."""
    return {
        "FIRELINE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "PORT": str(free_port()),
        "BOT_METRICS_PORT": str(free_port()),
        **values,
    }


LEVEL = '[[levels]]\nname = "{name}"\nlabel = "{name} label"\n'


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        ('default = "SEV9"\n' + LEVEL.format(name="SEV1"), "SEV9"),
        ('default = "SEV1"\n' + LEVEL.format(name="SEV1") * 2, "unique"),
        ('default = "SEV 1"\n' + LEVEL.format(name="SEV 1"), ": levels.0.name: "),
        ("default = [unclosed\n", "cannot read"),
    ],
    ids=["default-not-a-level", "duplicate-names", "bad-level-name", "not-toml"],
)
def test_cli_bot_with_an_invalid_policy(clean_env: Path, policy: str, says: str) -> None:
    path = clean_env / "policy.toml"
    path.write_text(policy)
    result = run_cli(clean_env, "bot", **slack_env(SEVERITY_POLICY_FILE=str(path)))
    line = assert_one_line_error(result, "SEVERITY_POLICY_FILE")
    assert says in line
    assert ": :" not in line


def test_cli_bot_with_a_missing_policy_file(clean_env: Path) -> None:
    missing = clean_env / "nowhere.toml"
    result = run_cli(clean_env, "bot", **slack_env(SEVERITY_POLICY_FILE=str(missing)))
    assert "cannot read" in assert_one_line_error(result, "SEVERITY_POLICY_FILE")


def test_cli_bot_starts_while_temporal_is_unreachable(clean_env: Path) -> None:
    """The bot connects to Temporal lazily: it serves Slack with nothing on TEMPORAL_ADDRESS, and
    its /healthz says at once that it is unhealthy, and why."""
    env = slack_env()
    bot = subprocess.Popen(
        [sys.executable, "-m", "fireline", "bot"],
        env=cli_env(**env),
        cwd=clean_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert bot.poll() is None, bot.communicate()[1]
            try:
                url = f"http://127.0.0.1:{env['PORT']}/healthz"
                asked = time.monotonic()
                urllib.request.urlopen(url, timeout=2)
                pytest.fail("healthy without Temporal")
            except urllib.error.HTTPError as err:
                assert time.monotonic() - asked < 1.0
                assert err.code == 503
                checks = json.loads(err.read())["checks"]
                assert checks["temporal"] != "ok", checks
                break
            except OSError:
                assert time.monotonic() < deadline, "the bot did not listen within 30 s"
                time.sleep(0.1)
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=15)
        assert bot.returncode == 0, stderr
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()


def test_cli_dev_checks_the_policy_before_starting_anything(clean_env: Path) -> None:
    path = clean_env / "policy.toml"
    path.write_text('default = "SEV9"\n' + LEVEL.format(name="SEV1"))
    data = clean_env / "data"
    result = run_cli(clean_env, "dev", SEVERITY_POLICY_FILE=str(path), FIRELINE_DATA_DIR=str(data))
    assert "SEV9" in assert_one_line_error(result, "SEVERITY_POLICY_FILE")
    assert not data.exists()  # no Temporal, no PostgreSQL was started
