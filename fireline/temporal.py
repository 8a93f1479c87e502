"""The one way every Fireline process connects to Temporal, and the namespace setup it needs."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from fireline import search_attributes
from fireline.encryption import EncryptionCodec, Keyring
from fireline.settings import Settings

if TYPE_CHECKING:  # the OpenTelemetry SDK stays unloaded in the processes that need none
    from fireline.telemetry.setup import Telemetry

log = logging.getLogger(__name__)


def encrypted_converter(keyring: Keyring) -> DataConverter:
    """Pydantic payloads sealed by the keyring; failure messages and stack traces travel as
    payloads too, since they can quote what people typed."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keyring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The converter every Fireline client uses; refuses to run without keys unless encryption
    is explicitly off."""
    keyring = settings.encryption_keyring()
    if keyring is None:
        log.warning("FIRELINE_ENCRYPTION=off: workflow payloads are stored in Temporal unencrypted")
        return pydantic_data_converter
    return encrypted_converter(keyring)


async def connect(
    settings: Settings,
    *,
    lazy: bool = False,
    converter: DataConverter | None = None,
    telemetry: Telemetry | None = None,
) -> Client:
    """Connect with Fireline's data converter, and the process's tracing and SDK metrics when
    given; `lazy` defers the first RPC (the bot must start, and answer Slack, even while
    Temporal is unreachable)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=converter or data_converter(settings),
        interceptors=telemetry.interceptors if telemetry else [],
        runtime=telemetry.runtime if telemetry else None,
        lazy=lazy,
    )


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add Fireline's search attributes the namespace lacks; returns the names added."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    known = set(existing.custom_attributes) | set(existing.system_attributes)
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in search_attributes.ALL
        if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
