"""The production-shape files hold together: docker-compose.yml, the Dockerfile and the Slack
app manifest. No Docker engine or Slack workspace is needed; the files are parsed and checked
against what the app needs (its environment, its commands, its Slack surface)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

APP_SERVICES = ("migrate", "worker", "bot")

# What each `fireline` subcommand reads from its environment.
REQUIRED_ENV = {
    "migrate": {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DATABASE_URL"},
    "worker": {
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_TASK_QUEUE",
        "TEMPORAL_UI_URL",
        "DATABASE_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_API_URL",
        "SLACK_FEED_CHANNEL",
        "FIRELINE_ENCRYPTION_KEYS",
        "METRICS_PORT",
    },
    "bot": {
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_TASK_QUEUE",
        "TEMPORAL_UI_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "SLACK_FEED_CHANNEL",
        "PORT",
        "SEVERITY_POLICY_FILE",
        "FIRELINE_ENCRYPTION_KEYS",
        "BOT_METRICS_PORT",
    },
}

# Optional settings whose empty value is a wrong value (SLACK_APP_TOKEN="" fails validation and
# SEVERITY_POLICY_FILE="" is the path "."): compose must leave them unset when the host has none.
PASS_THROUGH_ONLY = (
    "SLACK_APP_TOKEN",
    "SEVERITY_POLICY_FILE",
    "SLACK_FEED_CHANNEL",
    "PAGERDUTY_ROUTING_KEY",
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_ESCALATION_POLICY_IDS",
    "PAGERDUTY_EVENTS_URL",
    "PAGERDUTY_API_URL",
)
SECRETS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "FIRELINE_ENCRYPTION_KEYS",
    "PAGERDUTY_ROUTING_KEY",
    "PAGERDUTY_API_TOKEN",
)

# The contract between the Slack app and the code: every Web API method and event Fireline uses
# and the bot scope it needs.
REQUIRED_BOT_SCOPES = {
    "commands",  # /incident and both shortcuts
    "app_mentions:read",  # app_mention event
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
    "chat:write.public",  # post to public channels (the feed) without joining
    "channels:manage",  # conversations.create/invite/setTopic/setPurpose, public channels
    "groups:write",  # the same for private incident channels
    "channels:read",  # conversations.info/list, public
    "groups:read",  # conversations.info/list, private
    "channels:join",  # conversations.join
    "channels:history",  # conversations.history: find own messages by metadata
    "groups:history",
    "im:history",
    "im:write",  # conversations.open (DMs)
    "pins:write",  # pins.add
    "pins:read",  # pins.list (find before pin)
    "bookmarks:write",  # bookmarks.add
    "bookmarks:read",  # bookmarks.list (find before add)
    "users:read",  # users.info
    "users:read.email",  # users.lookupByEmail
}

REQUEST_URL = "https://fireline.example.com/slack/events"


# --- helpers ---------------------------------------------------------------------------------


def _env(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {p[0]: (p[1] if len(p) == 2 else None) for p in pairs}
    return dict(env)


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _published_ports(service: dict[str, Any]) -> set[tuple[str, str]]:
    """(host port, container port) pairs from short or long port syntax."""
    pairs = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            pairs.add((str(port.get("published")), str(port["target"])))
        else:
            parts = str(port).split("/")[0].split(":")
            if len(parts) >= 2:
                pairs.add((parts[-2], parts[-1]))
    return pairs


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    return instructions


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"{args!r} is not in exec (JSON array) form"
    return value


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return _dockerfile_instructions()


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "slack-app-manifest.yaml").read_text())


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_defines_the_stack(services: dict[str, Any]) -> None:
    expected = {"postgresql", "temporal", "temporal-ui", "migrate", "worker", "bot"}
    assert expected <= set(services)


def test_postgresql_is_persistent_and_health_checked(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    pg = services["postgresql"]
    assert pg["image"].split(":")[0] == "postgres"
    assert pg["image"].split(":")[1].startswith("16")
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    data_mounts = [v for v in pg["volumes"] if str(v).split(":")[1] == "/var/lib/postgresql/data"]
    assert data_mounts, "PostgreSQL data must live on a volume"
    volume_name = str(data_mounts[0]).split(":")[0]
    assert volume_name in (compose.get("volumes") or {}), f"{volume_name} is not a named volume"


def test_temporal_persists_to_the_postgresql_service(services: dict[str, Any]) -> None:
    temporal = services["temporal"]
    env = _env(temporal)
    assert temporal["image"].startswith("temporalio/auto-setup:")
    assert env["DB"] in {"postgres12", "postgres12_pgx"}
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_USER"] == _env(services["postgresql"])["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == _env(services["postgresql"])["POSTGRES_PASSWORD"]
    assert _depends_on(temporal).get("postgresql") == "service_healthy"
    assert "healthcheck" in temporal, "migrate waits for a healthy Temporal"


def test_fireline_has_its_own_database_created_on_first_start(services: dict[str, Any]) -> None:
    pg = services["postgresql"]
    init_mounts = [
        str(v).split(":")[0]
        for v in pg["volumes"]
        if str(v).split(":")[1] == "/docker-entrypoint-initdb.d"
    ]
    assert init_mounts, "an init script directory is mounted into postgres"
    init_dir = (ROOT / init_mounts[0]).resolve()
    scripts = sorted(p for p in init_dir.iterdir() if p.suffix in {".sh", ".sql"})
    assert scripts, f"no init script in {init_dir}"
    text = "\n".join(p.read_text() for p in scripts)
    assert re.search(r"CREATE DATABASE fireline\b", text)
    for script in scripts:
        if script.suffix == ".sh":
            assert script.stat().st_mode & 0o111, f"{script} must be executable"

    database_url = _env(services["worker"])["DATABASE_URL"]
    assert re.fullmatch(r"postgresql://fireline:[^@]+@postgresql:5432/fireline", database_url)
    assert database_url.rsplit("/", 1)[1] not in {"temporal", "temporal_visibility"}


@pytest.mark.parametrize(
    "name", ["temporal", "temporal-ui", "postgresql", "codec-server", "otel-collector", "jaeger"]
)
def test_stack_services_listen_on_the_hosts_loopback_only(
    services: dict[str, Any], name: str
) -> None:
    for port in services[name].get("ports") or []:
        assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_codec_server_runs_on_request_with_a_token(services: dict[str, Any]) -> None:
    codec = services["codec-server"]
    assert codec["command"] == ["codec-server"]
    assert codec["profiles"] == ["codec"]
    env = _env(codec)
    assert env["CODEC_SERVER_HOST"] == "0.0.0.0"  # refused by the server without a token
    assert env["CODEC_SERVER_TOKEN"] is None  # from the host, no default
    assert env["FIRELINE_ENCRYPTION_KEYS"] is None
    assert ("8234", "8234") in _published_ports(codec)


def test_temporal_ui_is_published_on_8233(services: dict[str, Any]) -> None:
    ui = services["temporal-ui"]
    assert ui["image"].startswith("temporalio/ui:")
    assert _env(ui)["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert ("8233", "8080") in _published_ports(ui)


def test_migrate_runs_once_after_postgresql_and_temporal(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate.get("restart", "no") == "no"
    deps = _depends_on(migrate)
    assert deps.get("postgresql") == "service_healthy"
    assert deps.get("temporal") == "service_healthy"


@pytest.mark.parametrize("name", ["worker", "bot"])
def test_worker_and_bot_start_after_migrate_succeeds(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service["command"] == [name]
    assert _depends_on(service).get("migrate") == "service_completed_successfully"
    assert service.get("restart") in {"always", "unless-stopped", "on-failure"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_the_fireline_image(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service.get("build") in (".", {"context": "."}), "built from the repo's Dockerfile"
    assert service["image"] == services["worker"]["image"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_gets_every_variable_it_needs(services: dict[str, Any], name: str) -> None:
    missing = REQUIRED_ENV[name] - set(_env(services[name]))
    assert not missing, f"{name} lacks {sorted(missing)}"


def test_app_services_share_one_environment(services: dict[str, Any]) -> None:
    envs = [_env(services[name]) for name in APP_SERVICES]
    assert envs[0] == envs[1] == envs[2]


def test_app_services_reach_the_stack_services(services: dict[str, Any]) -> None:
    env = _env(services["worker"])
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "@postgresql:" in env["DATABASE_URL"]
    assert env["TEMPORAL_NAMESPACE"] == "${TEMPORAL_NAMESPACE:-default}"
    assert _env(services["temporal"])["DEFAULT_NAMESPACE"] == env["TEMPORAL_NAMESPACE"]


def test_secrets_come_from_the_host_with_no_default(services: dict[str, Any]) -> None:
    env = _env(services["bot"])
    for name in SECRETS:
        value = env[name]
        assert value is None or re.fullmatch(r"\$\{" + name + r"(:?\?[^}]*)?\}", value), (
            f"{name} must come from the host environment, got {value!r}"
        )


@pytest.mark.parametrize("name", PASS_THROUGH_ONLY)
def test_optional_settings_are_never_set_empty(services: dict[str, Any], name: str) -> None:
    assert _env(services["bot"])[name] is None, f"{name}: pass through, or leave unset"


@pytest.mark.parametrize(
    ("name", "variable"), [("worker", "METRICS_PORT"), ("bot", "BOT_METRICS_PORT")]
)
def test_worker_and_bot_are_health_checked_on_their_metrics_port(
    services: dict[str, Any], name: str, variable: str
) -> None:
    service = services[name]
    port = str(_env(service)[variable])
    assert port == {"worker": "9464", "bot": "9465"}[name]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"])
    assert (port, port) in _published_ports(service)
    for published in service["ports"]:
        if str(published).endswith(f":{port}"):
            assert str(published).startswith("127.0.0.1:"), f"{name} metrics beyond loopback"


def test_the_bot_starts_once_a_worker_is_healthy(services: dict[str, Any]) -> None:
    assert _depends_on(services["bot"]).get("worker") == "service_healthy"


def test_the_observability_profile_sends_traces_to_jaeger(services: dict[str, Any]) -> None:
    collector, jaeger = services["otel-collector"], services["jaeger"]
    assert collector["profiles"] == jaeger["profiles"] == ["observability"]
    assert ("4318", "4318") in _published_ports(collector)
    assert ("16686", "16686") in _published_ports(jaeger)
    (mount,) = collector["volumes"]
    config = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    (exporter,) = pipeline["exporters"]
    assert config["exporters"][exporter]["endpoint"] == "jaeger:4317"
    # Traces stay off until the host sets where they go.
    assert _env(services["worker"])["OTEL_EXPORTER_OTLP_ENDPOINT"] is None


def test_bot_publishes_port_3000(services: dict[str, Any]) -> None:
    bot = services["bot"]
    assert ("3000", "3000") in _published_ports(bot)
    assert str(_env(bot)["PORT"]) == "3000"


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_base_is_python_3_11(dockerfile: list[tuple[str, str]]) -> None:
    bases = [args for keyword, args in dockerfile if keyword == "FROM"]
    assert bases
    assert re.match(r"python:3\.11(?![0-9])", bases[-1].split()[0])


def test_dockerfile_installs_the_lock_with_uv(dockerfile: list[tuple[str, str]]) -> None:
    runs = [args for keyword, args in dockerfile if keyword == "RUN"]
    assert any(re.search(r"pip install .*\buv\b", run) for run in runs)
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs, "dependencies come from uv.lock"
    for run in syncs:
        assert "--frozen" in run and "--no-dev" in run


def test_dockerfile_caches_dependencies_before_the_source(
    dockerfile: list[tuple[str, str]],
) -> None:
    steps = [f"{keyword} {args}" for keyword, args in dockerfile]
    lock_copy = next(i for i, s in enumerate(steps) if s.startswith("COPY") and "uv.lock" in s)
    deps_sync = next(i for i, s in enumerate(steps) if "--no-install-project" in s)
    source_copy = next(
        i
        for i, s in enumerate(steps)
        if s.startswith("COPY") and i > lock_copy and "uv.lock" not in s
    )
    project_sync = next(
        i for i, s in enumerate(steps) if "uv sync" in s and "--no-install-project" not in s
    )
    assert lock_copy < deps_sync < source_copy < project_sync


def test_dockerfile_compiles_fireline_to_bytecode_before_dropping_root(
    dockerfile: list[tuple[str, str]],
) -> None:
    """The image never writes bytecode (PYTHONDONTWRITEBYTECODE, a read-only /app), and the
    workflow sandbox imports a workflow's module for every incident it runs: without the .pyc
    files, each import compiles the source again."""
    steps = [f"{keyword} {args}" for keyword, args in dockerfile]
    project_sync = max(i for i, s in enumerate(steps) if "uv sync" in s)
    compile_step = next(i for i, s in enumerate(steps) if "compileall" in s)
    user = next(i for i, s in enumerate(steps) if s.startswith("USER"))
    assert project_sync < compile_step < user
    compiled = set(steps[compile_step].split())
    packages = {
        p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"
    }
    assert packages - {"bench"} <= compiled and "worker.py" in compiled


def test_dockerfile_runs_fireline_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    users = [args for keyword, args in dockerfile if keyword == "USER"]
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    entrypoint = [args for keyword, args in dockerfile if keyword == "ENTRYPOINT"]
    cmd = [args for keyword, args in dockerfile if keyword == "CMD"]
    assert _exec_form(entrypoint[-1]) == ["fireline"]
    assert _exec_form(cmd[-1]) == ["worker"]
    env = " ".join(args for keyword, args in dockerfile if keyword == "ENV")
    assert re.search(r'PATH="?/app/\.venv/bin:', env), "the venv's `fireline` is on PATH"
    assert any(keyword == "EXPOSE" and "3000" in args.split() for keyword, args in dockerfile)


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    lines = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".fireline", ".git", ".env"} <= lines
    assert not {"pyproject.toml", "uv.lock", "README.md", "fireline"} & lines


# --- slack-app-manifest.yaml -----------------------------------------------------------------


def test_manifest_has_the_required_sections(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"]
    assert manifest["features"]["bot_user"]["display_name"]
    settings = manifest["settings"]
    for key in ("org_deploy_enabled", "socket_mode_enabled", "token_rotation_enabled"):
        assert isinstance(settings[key], bool), key


def test_manifest_ships_for_socket_mode(manifest: dict[str, Any]) -> None:
    """As shipped the app works from a laptop: Slack cannot reach a bot on localhost over HTTP.
    A deployment behind a public URL switches to HTTP mode (docs/slack-app.md)."""
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_manifest_declares_the_incident_command(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    incident = commands["/incident"]
    assert incident["url"] == REQUEST_URL
    # `/incident role <role> @person` needs the person's id, which only escaping sends.
    assert incident["should_escape"] is True
    assert incident["description"]


@pytest.mark.parametrize(
    ("callback_id", "kind", "name"),
    [
        ("declare_incident", "global", "Declare incident"),
        ("declare_incident_from_message", "message", "Declare incident from message"),
    ],
)
def test_manifest_declares_the_shortcuts(
    manifest: dict[str, Any], callback_id: str, kind: str, name: str
) -> None:
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert shortcuts[callback_id]["type"] == kind
    assert shortcuts[callback_id]["name"] == name
    assert shortcuts[callback_id]["description"]


def test_manifest_enables_interactivity(manifest: dict[str, Any]) -> None:
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"] == REQUEST_URL


def test_manifest_subscribes_to_app_mention(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]
    assert "app_mention" in events["bot_events"]
    assert events["request_url"] == REQUEST_URL


def test_manifest_requests_every_scope_fireline_uses(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "duplicate scopes"
    missing = REQUIRED_BOT_SCOPES - set(scopes)
    assert not missing, f"missing bot scopes: {sorted(missing)}"
    extra = set(scopes) - REQUIRED_BOT_SCOPES
    assert not extra, f"scopes no feature uses (add them to the contract first): {sorted(extra)}"
    assert "user" not in manifest["oauth_config"]["scopes"], "Fireline acts as its bot only"
