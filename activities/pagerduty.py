"""PagerDuty activities: send an event about the incident's alert, and read who is on call.

Each makes one request per call (fireline/pagerduty.py turns the client's own retries off) in a
thread, since the `pagerduty` clients are synchronous. A thread cannot be cancelled, but its one
request ends within CALL_TIMEOUT, before the attempt's deadline, so no abandoned attempt sends
anything after its retry did. Sending twice is safe: every event carries the incident's dedup key,
so a retry after a lost answer adds to the alert it opened instead of opening a second one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pagerduty import Error, EventsApiV2Client, RestApiV2Client
from temporalio import activity

from activities.pagerduty_errors import fail
from activities.pagerduty_types import (
    OnCallInput,
    OnCallPerson,
    OnCallResult,
    PageInput,
    PageResult,
)

# What the alert says sent it.
SOURCE = "fireline"
PAGE_SIZE = 100


class PagerDutyActivities:
    def __init__(
        self,
        events: EventsApiV2Client | None,
        rest: RestApiV2Client | None,
        escalation_policy_ids: list[str],
    ) -> None:
        self._events = events
        self._rest = rest
        self._policies = escalation_policy_ids

    @activity.defn(name="send_page")
    async def send_page(self, input: PageInput) -> PageResult:
        """Trigger or resolve the incident's alert; nothing when paging is off."""
        if self._events is None:
            return PageResult(sent=False)
        try:
            await asyncio.to_thread(self._send, self._events, input)
        except Error as err:
            fail(err, "events")
        return PageResult(sent=True)

    @staticmethod
    def _send(client: EventsApiV2Client, input: PageInput) -> None:
        if input.action == "resolve":
            client.resolve(input.dedup_key)
            return
        payload: dict[str, Any] = {}
        if input.timestamp is not None:
            payload["timestamp"] = input.timestamp.isoformat()
        client.trigger(
            input.summary,
            SOURCE,
            dedup_key=input.dedup_key,
            severity=input.severity,
            payload=payload,
            custom_details=input.custom_details,
            links=[link.model_dump() for link in input.links],
        )

    @activity.defn(name="find_oncall")
    async def find_oncall(self, input: OnCallInput) -> OnCallResult:
        """The people on call now, at any level of the configured escalation policies, once
        each; reading twice is harmless."""
        if self._rest is None:
            return OnCallResult(configured=False)
        try:
            entries = await asyncio.to_thread(self._oncalls, self._rest)
        except Error as err:
            fail(err, "rest")
        people: dict[str, OnCallPerson] = {}
        for entry in entries:
            user = entry.get("user") or {}
            if user.get("id") and user["id"] not in people:
                people[user["id"]] = OnCallPerson(
                    pagerduty_id=user["id"],
                    name=str(user.get("name") or user.get("summary") or user["id"]),
                    email=str(user.get("email") or ""),
                )
        return OnCallResult(configured=True, people=list(people.values()))

    def _oncalls(self, client: RestApiV2Client) -> list[dict[str, Any]]:
        # include[]=users puts each user's email in the entry: no request per user.
        params = {"escalation_policy_ids[]": self._policies, "include[]": ["users"]}
        return list(client.iter_all("oncalls", params=params, page_size=PAGE_SIZE))
