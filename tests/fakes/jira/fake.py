"""FakeJira: issues, JQL search, comments, transitions and issue links (REST v2 and v3 paths).

``cloud=True`` (the default) answers as Jira Cloud does: JQL at ``/rest/api/3/search/jql`` with
``nextPageToken``, and 410 Gone on the retired ``/rest/api/{2,3}/search``. ``cloud=False`` is
Server/Data Center: ``/rest/api/2/search`` with ``startAt`` and ``total``, no ``search/jql``.

Operations (fault names): issue.create, issue.get, issue.update, issue.comment, issue.comments,
issue.transitions, issue.transition, issue.link, search.jql, search.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import clauses
from ..http import Outcome
from ..rest import Incoming, RestError, RestFake, Route, basic_auth, page_size, route

RETIRED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
# The default workflow: every status reachable from every other, one transition each.
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
_SEARCHABLE = frozenset({"project", "labels", "key", "issuekey", "status", "issuetype", "summary"})
LINK_TYPES = {"Relates": ("relates to", "relates to"), "Blocks": ("is blocked by", "blocks")}


@dataclass
class Issue:
    id: str
    key: str
    fields: dict[str, Any]
    comments: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


class FakeJira(RestFake):
    name = "jira"

    def __init__(
        self,
        *,
        cloud: bool = True,
        username: str = "fireline@example.com",
        api_token: str = "fake-jira-token",
    ) -> None:
        super().__init__()
        self.cloud = cloud
        self.username = username
        self.api_token = api_token
        self.reset_state()

    def reset_state(self) -> None:
        self._projects: dict[str, list[str]] = {}
        self._issues: dict[str, Issue] = {}
        self._next_id = 10000

    # seeding and inspection -------------------------------------------------------------
    def add_project(self, key: str, issue_types: tuple[str, ...] = ("Task", "Bug")) -> None:
        with self.lock:
            self._projects[key] = list(issue_types)

    def issues(self, project: str | None = None) -> list[dict[str, Any]]:
        """Every issue (of one project), oldest first, with its comments and links."""
        with self.lock:
            return [
                {
                    "key": issue.key,
                    **copy.deepcopy(issue.fields),
                    "comments": [c["body"] for c in issue.comments],
                    "links": copy.deepcopy(issue.links),
                }
                for issue in self._issues.values()
                if project is None or issue.fields["project"]["key"] == project
            ]

    # the API ------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        api = "/rest/api/{version}"
        return [
            route("POST", f"{api}/issue", "issue.create", self._create),
            route("GET", f"{api}/issue/{{key}}", "issue.get", self._get),
            route("PUT", f"{api}/issue/{{key}}", "issue.update", self._update),
            route("POST", f"{api}/issue/{{key}}/comment", "issue.comment", self._comment),
            route("GET", f"{api}/issue/{{key}}/comment", "issue.comments", self._comments),
            route("GET", f"{api}/issue/{{key}}/transitions", "issue.transitions", self._options),
            route("POST", f"{api}/issue/{{key}}/transitions", "issue.transition", self._transit),
            route("POST", f"{api}/issueLink", "issue.link", self._link),
            route("GET", f"{api}/search/jql", "search.jql", self._search_jql),
            route("POST", f"{api}/search/jql", "search.jql", self._search_jql),
            route("GET", f"{api}/search", "search", self._search),
            route("POST", f"{api}/search", "search", self._search),
        ]

    def authorized(self, headers: dict[str, str]) -> bool:
        return basic_auth(headers) == (self.username, self.api_token)

    def unauthorized(self) -> RestError:
        return RestError(
            401, "unauthorized", "Client must be authenticated to access this resource."
        )

    def error_outcome(self, error: RestError, headers: dict[str, str] | None = None) -> Outcome:
        messages = ["Rate limit exceeded."] if error.status == 429 else [error.message]
        errors = error.extra.get("errors", {})
        body = {"errorMessages": [] if errors else messages, "errors": errors}
        outcome = Outcome.json(body, error.status, **(headers or {}))
        # atlassian-python-api reads a 401 as JSON only with exactly this content type.
        outcome.headers["Content-Type"] = "application/json;charset=UTF-8"
        return outcome

    # handlers (under the lock) -------------------------------------------------------------
    def _issue(self, key: str) -> Issue:
        for issue in self._issues.values():
            if key in (issue.key, issue.id):
                return issue
        raise RestError(
            404, "not_found", "Issue does not exist or you do not have permission to see it."
        )

    def _create(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        fields = dict((incoming.body or {}).get("fields") or {})
        project = (fields.get("project") or {}).get("key")
        errors = {}
        if project not in self._projects:
            errors["project"] = "valid project is required"
        elif (fields.get("issuetype") or {}).get("name") not in self._projects[project]:
            errors["issuetype"] = "Specify a valid issue type"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        elif len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        if any(" " in label for label in fields.get("labels", [])):
            errors["labels"] = "The label can't contain spaces."
        if errors:
            raise RestError(400, "invalid", "invalid", errors=errors)
        self._next_id += 1
        number = 1 + sum(1 for i in self._issues.values() if i.fields["project"]["key"] == project)
        issue = Issue(str(self._next_id), f"{project}-{number}", fields)
        fields.setdefault("labels", [])
        fields.setdefault("description", None)
        fields["project"] = {"key": project}
        fields["status"] = {"name": "To Do"}
        fields["created"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._issues[issue.id] = issue
        return 201, {"id": issue.id, "key": issue.key, "self": self._self(params, issue)}

    def _self(self, params: dict[str, str], issue: Issue) -> str:
        return f"/rest/api/{params['version']}/issue/{issue.id}"

    def _issue_obj(self, params: dict[str, str], issue: Issue, wanted: str | None) -> Any:
        fields = {**copy.deepcopy(issue.fields), "issuelinks": copy.deepcopy(issue.links)}
        names = None if wanted in (None, "*all", "*navigable") else set(wanted.split(","))
        if names is not None:
            fields = {name: value for name, value in fields.items() if name in names}
        return {
            "id": issue.id,
            "key": issue.key,
            "self": self._self(params, issue),
            "fields": fields,
        }

    def _get(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        issue = self._issue(params["key"])
        return 200, self._issue_obj(params, issue, incoming.query.get("fields"))

    def _update(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        issue = self._issue(params["key"])
        fields = (incoming.body or {}).get("fields") or {}
        for name in ("project", "status", "created"):
            if name in fields:
                raise RestError(400, "invalid", "invalid", errors={name: "cannot be set"})
        issue.fields.update(fields)
        return 204, None

    def _comment(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        issue = self._issue(params["key"])
        body = (incoming.body or {}).get("body")
        if not body:
            raise RestError(
                400, "invalid", "invalid", errors={"comment": "Comment body can not be empty!"}
            )
        comment = {
            "id": str(10000 + sum(len(i.comments) for i in self._issues.values())),
            "body": body,
        }
        issue.comments.append(comment)
        return 201, comment

    def _comments(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        issue = self._issue(params["key"])
        return 200, {"comments": issue.comments, "total": len(issue.comments), "startAt": 0}

    def _options(self, params: dict[str, str], _: Incoming) -> tuple[int, Any]:
        issue = self._issue(params["key"])
        current = issue.fields["status"]["name"]
        return 200, {
            "transitions": [
                {"id": tid, "name": name, "to": {"name": name}}
                for tid, name in TRANSITIONS.items()
                if name != current
            ]
        }

    def _transit(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        issue = self._issue(params["key"])
        wanted = str(((incoming.body or {}).get("transition") or {}).get("id"))
        target = TRANSITIONS.get(wanted)
        if target is None or target == issue.fields["status"]["name"]:
            raise RestError(
                400,
                "invalid",
                f"Transition id '{wanted}' is not valid for this issue.",
            )
        issue.fields["status"] = {"name": target}
        return 204, None

    def _link(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        body = incoming.body or {}
        kind = (body.get("type") or {}).get("name")
        if kind not in LINK_TYPES:
            raise RestError(404, "not_found", f"No issue link type with name '{kind}' found.")
        inward = self._issue((body.get("inwardIssue") or {}).get("key", ""))
        outward = self._issue((body.get("outwardIssue") or {}).get("key", ""))
        inward_name, outward_name = LINK_TYPES[kind]
        outward.links.append(
            {"type": {"name": kind, "inward": inward_name}, "inwardIssue": {"key": inward.key}}
        )
        inward.links.append(
            {"type": {"name": kind, "outward": outward_name}, "outwardIssue": {"key": outward.key}}
        )
        return 201, None

    def _matching(self, incoming: Incoming) -> tuple[list[Issue], dict[str, Any]]:
        args = {**incoming.query, **(incoming.body or {})}
        try:
            parsed = clauses.parse(str(args.get("jql", "")))
        except clauses.QueryError as err:
            raise RestError(400, "invalid", f"Error in the JQL Query: {err}") from None
        for clause in parsed:
            if clause.field not in _SEARCHABLE:
                raise RestError(
                    400,
                    "invalid",
                    f"Field '{clause.field}' does not exist or you do not have permission to "
                    "view it.",
                )
            if clause.field == "project" and clause.values[0] not in self._projects:
                raise RestError(
                    400,
                    "invalid",
                    f"The value '{clause.values[0]}' does not exist for the field 'project'.",
                )
        found = [issue for issue in self._issues.values() if self._meets(issue, parsed)]
        return found, args

    def _meets(self, issue: Issue, parsed: list[clauses.Clause]) -> bool:
        values: dict[str, Any] = {
            "project": issue.fields["project"]["key"],
            "labels": issue.fields.get("labels", []),
            "key": issue.key,
            "issuekey": issue.key,
            "status": issue.fields["status"]["name"],
            "issuetype": (issue.fields.get("issuetype") or {}).get("name"),
            "summary": issue.fields.get("summary"),
        }
        return all(clauses.holds(clause, values[clause.field]) for clause in parsed)

    def _search_jql(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        if not self.cloud or params["version"] != "3":
            raise RestError(404, "not_found", "null for uri: search/jql")
        found, args = self._matching(incoming)
        size = page_size({"n": str(args.get("maxResults", 50))}, "n", 50, 100)
        token = args.get("nextPageToken")
        start = int(base64.urlsafe_b64decode(str(token)).decode()) if token else 0
        window = found[start : start + size]
        answer: dict[str, Any] = {
            "issues": [self._issue_obj(params, i, _fields(args)) for i in window],
            "isLast": start + size >= len(found),
        }
        if not answer["isLast"]:
            answer["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return 200, answer

    def _search(self, params: dict[str, str], incoming: Incoming) -> tuple[int, Any]:
        if self.cloud:
            raise RestError(410, "gone", RETIRED_SEARCH)
        found, args = self._matching(incoming)
        start = int(args.get("startAt", 0))
        size = page_size({"n": str(args.get("maxResults", 50))}, "n", 50, 100)
        return 200, {
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": [
                self._issue_obj(params, i, _fields(args)) for i in found[start : start + size]
            ],
        }


def _fields(args: dict[str, Any]) -> str | None:
    wanted = args.get("fields")
    if isinstance(wanted, list):
        return ",".join(wanted)
    return None if wanted is None else str(wanted)
