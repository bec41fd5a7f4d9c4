"""The one way to get a Temporal client: pydantic payloads, encrypted, everywhere."""

from __future__ import annotations

import dataclasses
import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import RPCError, RPCStatusCode

from core.payload_codec import payload_codec
from core.settings import Settings, TemporalSettings

log = logging.getLogger(__name__)

_INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}


def data_converter(settings: TemporalSettings) -> DataConverter:
    """What every client, worker, replayer and test environment converts payloads with:
    pydantic models as JSON, then the payload codec (core/payload_codec.py). Failure
    messages and stack traces are moved into the failure's encoded attributes so that the
    codec encrypts them too (they may quote an address or a reason); summaries (user
    metadata) go through the codec as well in this SDK. Search attributes never do."""
    codec = payload_codec(settings.codec)
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter, payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes)


async def connect_temporal(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal.address,
        namespace=settings.temporal.namespace,
        data_converter=data_converter(settings.temporal),
        tls=settings.temporal.tls,
        api_key=settings.temporal.api_key,
    )


async def ensure_search_attributes(client: Client, settings: Settings) -> None:
    """Register E-same's search attributes; already registered ones are left alone."""
    wanted = {
        name: _INDEXED_TYPES[kind] for name, kind in settings.temporal.search_attributes.items()
    }
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=settings.temporal.namespace, search_attributes=wanted
            )
        )
    except RPCError as err:
        if err.status not in (RPCStatusCode.ALREADY_EXISTS,):
            # Temporal Cloud manages attributes in its console: warn, do not fail.
            log.warning("could not register search attributes: %s", err)
