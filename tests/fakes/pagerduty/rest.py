"""The REST API v2 endpoints Fireline reads: `GET /oncalls`, `GET /users`, `GET /users/{id}`,
with classic pagination (`limit`, `offset`, `more`, `total`) and the `Token token=` header."""

from __future__ import annotations

from typing import Any

from .state import Account, OnCall, User

PAGE_MAX = 100


def user_reference(base_url: str, user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "type": "user_reference",
        "summary": user.name,
        "self": f"{base_url}/users/{user.id}",
        "html_url": f"https://fake.pagerduty.com/users/{user.id}",
    }


def user_object(base_url: str, user: User) -> dict[str, Any]:
    return {
        **user_reference(base_url, user),
        "type": "user",
        "name": user.name,
        "email": user.email,
        "time_zone": "Etc/UTC",
        "role": "user",
    }


def _oncall(base_url: str, account: Account, entry: OnCall, users: bool) -> dict[str, Any]:
    user = account.users[entry.user_id]
    policy = entry.escalation_policy_id
    return {
        "escalation_policy": {
            "id": policy,
            "type": "escalation_policy_reference",
            "summary": f"Policy {policy}",
            "self": f"{base_url}/escalation_policies/{policy}",
        },
        "escalation_level": entry.escalation_level,
        "schedule": None,
        "user": user_object(base_url, user) if users else user_reference(base_url, user),
        "start": None,
        "end": None,
    }


def _page(items: list[dict[str, Any]], key: str, query: dict[str, list[str]]) -> dict[str, Any]:
    limit = max(1, min(int(query.get("limit", ["25"])[0]), PAGE_MAX))
    offset = max(0, int(query.get("offset", ["0"])[0]))
    page = items[offset : offset + limit]
    body: dict[str, Any] = {
        key: page,
        "limit": limit,
        "offset": offset,
        "more": offset + len(page) < len(items),
    }
    body["total"] = len(items) if query.get("total", ["false"])[0] == "true" else None
    return body


def get(
    base_url: str, account: Account, path: str, query: dict[str, list[str]]
) -> tuple[int, dict[str, Any]]:
    if path == "/oncalls":
        policies = set(query.get("escalation_policy_ids[]", []))
        users = "users" in query.get("include[]", [])
        entries = [
            _oncall(base_url, account, entry, users)
            for entry in account.oncalls
            if not policies or entry.escalation_policy_id in policies
        ]
        return 200, _page(entries, "oncalls", query)
    if path == "/users":
        everyone = [user_object(base_url, user) for user in account.users.values()]
        return 200, _page(everyone, "users", query)
    if path.startswith("/users/"):
        user = account.users.get(path.removeprefix("/users/"))
        if user is None:
            return 404, {"error": {"message": "Not Found", "code": 2100}}
        return 200, {"user": user_object(base_url, user)}
    return 404, {"error": {"message": "Not Found", "code": 2100}}
