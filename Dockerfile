# syntax=docker/dockerfile:1
# Fireline: one image, three roles chosen by the command:
#   docker run IMAGE migrate   # apply DB migrations, register search attributes (run once per deploy)
#   docker run IMAGE worker    # Temporal worker (the default)
#   docker run IMAGE bot       # Slack Bolt app: HTTP on $PORT at /slack/events, or Socket Mode
FROM python:3.11-slim

ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, from the lock alone: this layer is rebuilt only when pyproject.toml or
# uv.lock change, not on every source edit.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself (.dockerignore keeps tests, caches, .env and local state out).
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# Bytecode for Fireline's own modules too (UV_COMPILE_BYTECODE covers only the dependencies): the
# workflow sandbox imports a workflow's module afresh for every incident it starts or replays, and
# with PYTHONDONTWRITEBYTECODE and a read-only /app it would compile the source every time.
RUN .venv/bin/python -m compileall -q activities bot fireline workflows worker.py

# Run as an unprivileged user; the code and the venv stay owned by root (read-only to the app).
RUN groupadd --system --gid 10001 fireline \
    && useradd --system --uid 10001 --gid fireline --create-home --home-dir /home/fireline fireline
USER 10001:10001

ENV PATH="/app/.venv/bin:${PATH}" \
    PORT=3000

EXPOSE 3000

ENTRYPOINT ["fireline"]
CMD ["worker"]
