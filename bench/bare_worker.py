"""`python -m bench.bare_worker MODULE TASK_QUEUE ADDRESS`: a worker process for a
benchmark's baseline, so the bare workflows run in their own process as the real ones do.
MODULE exposes BARE_WORKFLOWS and BARE_ACTIVITIES."""

from __future__ import annotations

import asyncio
import compileall
import importlib
import signal
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from core.settings import TemporalSettings
from core.temporal_client import data_converter


async def main(module_name: str, task_queue: str, address: str) -> None:
    module = importlib.import_module(module_name)
    # As the real worker does (workers.main.compile_workflow_modules): bytecode on disk for
    # the module the sandbox imports again for every run.
    assert module.__file__ is not None
    compileall.compile_file(module.__file__, quiet=2)
    # Payloads encrypted as the real worker's are (the dev key).
    client = await Client.connect(address, data_converter=data_converter(TemporalSettings()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=module.BARE_WORKFLOWS,
                      activities=module.BARE_ACTIVITIES):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
