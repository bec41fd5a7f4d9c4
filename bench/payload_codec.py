"""What the payload codec costs: complete account validations per second through the HTTP
API with every payload encrypted (as always), against the same journey on a second stack
whose API and worker run without the codec, in the same run (baseline, real, real,
baseline).

Both stacks share the dev server, so both pay the same Temporal; the ratio is what AES-GCM
on every payload (and failures' encoded attributes) adds to a whole sign-up.
"""

from __future__ import annotations

import os

from temporalio.testing import WorkflowEnvironment

from bench.account_validation import CONCURRENCY, Mailbox, api_account
from bench.harness import Result, rates_abba, stack

ACCOUNTS = int(os.environ.get("BENCH_CODEC_ACCOUNTS", "80"))


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    async with stack(temporal) as encrypted, stack(temporal, codec=False) as clear:
        encrypted_mail = Mailbox(encrypted.settings.database_url)
        clear_mail = Mailbox(clear.settings.database_url)
        value, baseline = await rates_abba(
            lambda: api_account(clear.http, clear_mail),
            lambda: api_account(encrypted.http, encrypted_mail),
            count=ACCOUNTS, concurrency=CONCURRENCY)
    return [Result(name="codec_account_validations_per_second", value=value,
                   unit="accounts/s", baseline=baseline, goal="ratio >= 0.95",
                   lower_is_better=False)]
