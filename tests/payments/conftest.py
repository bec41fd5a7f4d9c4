"""Fixtures shared by the payment tests: localstripe, Stripe's idempotency in front of it, and
the MTN MoMo peer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tests.payments.mtn_peer import MtnPeer
from tests.payments.stripe_idempotency import StripeIdempotencyProxy
from tests.payments.support import localstripe_process


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """localstripe (a local Stripe API peer) in its own process; its URL."""
    with localstripe_process() as url:
        yield url


@pytest.fixture
def stripe_proxy(localstripe: str) -> Iterator[StripeIdempotencyProxy]:
    """What our Stripe adapter talks to: localstripe behind Stripe's idempotency rules."""
    proxy = StripeIdempotencyProxy(localstripe).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def mtn(httpserver: HTTPServer) -> Iterator[MtnPeer]:
    """A local MTN MoMo peer (Collections and Disbursements)."""
    peer = MtnPeer(httpserver)
    peer.install()
    yield peer
