"""Fixtures shared by the payment tests: localstripe, and Stripe's idempotency in front of it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.payments.stripe_idempotency import StripeIdempotencyProxy
from tests.payments.support import free_port


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """localstripe (a local Stripe API peer) in its own process; its URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port),
                                "--from-scratch"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def stripe_proxy(localstripe: str) -> Iterator[StripeIdempotencyProxy]:
    """What our Stripe adapter talks to: localstripe behind Stripe's idempotency rules."""
    proxy = StripeIdempotencyProxy(localstripe).start()
    yield proxy
    proxy.stop()
