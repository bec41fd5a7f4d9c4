"""The API on a port and the real worker, in a process of their own.

For a client that is another program, or that blocks while it talks to the API: the server
and the worker keep running meanwhile, so requests that start or update a workflow get
their answer. A process rather than a thread: sharing the test's interpreter (its GIL)
costs every request tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Event

from core.settings import Settings


@contextmanager
def live_stack(settings: Settings, *, startup_timeout: float = 90) -> Iterator[str]:
    """Serve the API and run the worker (on `settings`' database, Temporal and task queue)
    until the block ends; yields the API's base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(target=_serve, args=(settings, port, ready),
                              name="live-stack", daemon=True)
    process.start()
    try:
        if not ready.wait(startup_timeout) or not process.is_alive():
            raise RuntimeError(f"the API did not start (exit code {process.exitcode})")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()  # SIGTERM: uvicorn stops serving, the worker shuts down
        process.join(30)
        if process.is_alive():
            process.kill()
            process.join(10)


def _serve(settings: Settings, port: int, ready: Event) -> None:
    # The settings object itself, pickled: a JSON dump would mask its secrets (the payload
    # keys among them).
    import uvicorn

    from api.app import create_app
    from core.temporal_client import connect_temporal
    from db.engine import make_engine, make_sessionmaker
    from workers.main import WorkerDeps, build_worker, compile_workflow_modules

    compile_workflow_modules()  # as the real worker does: the sandbox imports them per run

    async def serve() -> None:
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        client = await connect_temporal(settings)
        app = create_app(settings, sessions=sessions, temporal=client)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off",
                                               timeout_graceful_shutdown=1))
        try:
            async with build_worker(client, WorkerDeps.from_settings(settings, sessions)):
                serving = asyncio.create_task(server.serve())
                while not server.started and not serving.done():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                ready.set()
                await serving
        finally:
            await engine.dispose()

    asyncio.run(serve())
