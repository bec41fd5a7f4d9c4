"""What the payload codec costs: complete account validations per second through the HTTP
API with every payload encrypted (as always), against the same journey on a second stack
whose API and worker run without the codec, in the same run (baseline, real, real,
baseline).

Both stacks share the dev server, so both pay the same Temporal; the ratio is what AES-GCM
on every payload (and failures' encoded attributes) adds to a whole sign-up. The difference
is small against the noise of a shared machine, so the accounts are measured in several
short rounds (each baseline, real, real, baseline), which spreads a passing load over both
sides alike; and the CPU time the API and worker processes of each stack use per account
is measured too (`codec_cpu_seconds_per_account`), which other load on the machine hardly
moves.
"""

from __future__ import annotations

import os

from temporalio.testing import WorkflowEnvironment

from bench.account_validation import CONCURRENCY, Mailbox, api_account
from bench.harness import Result, rates_abba, stack

ACCOUNTS = int(os.environ.get("BENCH_CODEC_ACCOUNTS", "80"))
ROUNDS = 4


async def run(temporal: WorkflowEnvironment) -> list[Result]:
    done = ACCOUNTS // ROUNDS // 2 * 2  # a round: half baseline, all real, half baseline
    real_time = baseline_time = 0.0
    async with stack(temporal) as encrypted, stack(temporal, codec=False) as clear:
        encrypted_mail = Mailbox(encrypted.settings.database_url)
        clear_mail = Mailbox(clear.settings.database_url)

        async def real() -> None:
            await api_account(encrypted.http, encrypted_mail)

        async def baseline() -> None:
            await api_account(clear.http, clear_mail)

        for _ in range(2):  # warm up both (first imports, connections) before measuring
            await baseline()
            await real()
        cpu_before = encrypted.cpu_seconds(), clear.cpu_seconds()
        for _ in range(ROUNDS):
            real_rate, baseline_rate = await rates_abba(
                baseline, real, count=done, concurrency=CONCURRENCY, warm_up=0)
            real_time += done / real_rate
            baseline_time += done / baseline_rate
        cpu_real = (encrypted.cpu_seconds() - cpu_before[0]) / (ROUNDS * done)
        cpu_baseline = (clear.cpu_seconds() - cpu_before[1]) / (ROUNDS * done)
    return [Result(name="codec_cpu_seconds_per_account", value=cpu_real, unit="s",
                   baseline=cpu_baseline, goal="ratio <= 1.05", lower_is_better=True),
            Result(name="codec_account_validations_per_second",
                   value=ROUNDS * done / real_time, unit="accounts/s",
                   baseline=ROUNDS * done / baseline_time, goal="ratio >= 0.95",
                   lower_is_better=False)]
