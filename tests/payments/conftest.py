"""Fixtures shared by the payment tests: localstripe, and Stripe's idempotency in front of it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
