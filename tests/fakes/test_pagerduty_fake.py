"""The PagerDuty fake, driven by the real `pagerduty` clients as Fireline builds them (one request
per call: their own retries and sleeps are off), over TLS trusted through SSL_CERT_FILE."""

from __future__ import annotations

import time

import pytest
from pagerduty import Error, EventsApiV2Client, HttpError
from pydantic import SecretStr

from fireline.pagerduty import events_client, rest_client
from fireline.settings import Settings
from tests.fakes.pagerduty import API_TOKEN, ROUTING_KEY, FakePagerDuty


def settings(fake: FakePagerDuty, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "pagerduty_routing_key": SecretStr(ROUTING_KEY),
        "pagerduty_api_token": SecretStr(API_TOKEN),
        "pagerduty_escalation_policy_ids": "PEP1,PEP2",
        "pagerduty_events_url": fake.base_url,
        "pagerduty_api_url": fake.base_url,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def events(fake: FakePagerDuty, **overrides: object) -> EventsApiV2Client:
    client = events_client(settings(fake, **overrides))
    assert client is not None
    return client


def trigger(client: EventsApiV2Client, key: str = "incident-1") -> str:
    return client.trigger("INC-1: checkout down", "fireline", dedup_key=key, severity="critical")


def test_alert_state_follows_the_dedup_key(pagerduty: FakePagerDuty) -> None:
    client = events(pagerduty)
    assert trigger(client) == "incident-1"
    assert trigger(client) == "incident-1"  # adds to the open alert
    (alert,) = pagerduty.alerts("incident-1")
    assert alert.status == "triggered" and len(alert.events) == 2
    client.resolve("incident-1")
    client.resolve("incident-1")  # no open alert: dropped
    (alert,) = pagerduty.alerts("incident-1")
    assert alert.status == "resolved" and len(alert.events) == 3
    trigger(client)  # after resolve: a new alert
    first, second = pagerduty.alerts("incident-1")
    assert (first.status, second.status) == ("resolved", "triggered")
    assert second.summary == "INC-1: checkout down"


def test_a_wrong_routing_key_is_a_400_naming_it(pagerduty: FakePagerDuty) -> None:
    client = events(pagerduty, pagerduty_routing_key=SecretStr("0" * 32))
    with pytest.raises(HttpError) as raised:
        trigger(client)
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["errors"] == ["Invalid routing key"]
    assert pagerduty.alerts() == []


@pytest.mark.parametrize(
    ("kind", "status"), [("ratelimited", 429), ("http_error", 500), ("http_error", 503)]
)
def test_one_request_per_call_whatever_the_answer(
    pagerduty: FakePagerDuty, kind: str, status: int
) -> None:
    pagerduty.faults.add("enqueue", kind=kind, status=status)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(Error) as raised:
        trigger(events(pagerduty))
    assert time.monotonic() - started < 2  # no sleep between attempts
    assert raised.value.response is not None and raised.value.response.status_code == status
    assert len(pagerduty.enqueued()) == 1 and pagerduty.alerts() == []


def test_a_lost_answer_is_an_error_after_the_effect(pagerduty: FakePagerDuty) -> None:
    pagerduty.faults.add("enqueue", kind="drop_after_effect", times=1)
    client = events(pagerduty)
    with pytest.raises(Error):
        trigger(client)
    assert len(pagerduty.enqueued()) == 1
    trigger(client)  # the retry: same key, same alert
    (alert,) = pagerduty.alerts()
    assert alert.status == "triggered" and len(alert.events) == 2


def test_an_outage_fails_at_once(pagerduty: FakePagerDuty) -> None:
    pagerduty.faults.add("enqueue", kind="outage")
    with pytest.raises(Error) as raised:
        trigger(events(pagerduty))
    assert raised.value.response is None
    assert len(pagerduty.enqueued()) == 1


def test_oncalls_and_users_paginate(pagerduty: FakePagerDuty) -> None:
    for n in range(30):
        pagerduty.add_user(f"PU{n:02d}", f"User {n}", f"user{n}@example.com")
        pagerduty.put_on_call(f"PU{n:02d}", "PEP1" if n % 2 else "PEP3")
    client = rest_client(settings(pagerduty))
    assert client is not None
    oncalls = list(
        client.iter_all(
            "oncalls",
            params={"escalation_policy_ids[]": ["PEP1"], "include[]": ["users"]},
            page_size=4,
        )
    )
    assert len(oncalls) == 15
    assert {entry["user"]["email"] for entry in oncalls} == {
        f"user{n}@example.com" for n in range(1, 30, 2)
    }
    assert len(list(client.iter_all("users", page_size=7))) == 30
    assert client.rget("users/PU03")["email"] == "user3@example.com"


def test_the_rest_api_wants_the_token(pagerduty: FakePagerDuty) -> None:
    client = rest_client(settings(pagerduty, pagerduty_api_token=SecretStr("wrong")))
    assert client is not None
    with pytest.raises(HttpError):
        list(client.iter_all("oncalls"))


def test_the_clients_verify_the_certificate(
    pagerduty: FakePagerDuty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(Error):
        trigger(events(pagerduty))
    assert pagerduty.alerts() == []


def test_paging_is_off_without_a_routing_key(pagerduty: FakePagerDuty) -> None:
    assert events_client(settings(pagerduty, pagerduty_routing_key=None)) is None
    assert rest_client(settings(pagerduty, pagerduty_escalation_policy_ids="")) is None
