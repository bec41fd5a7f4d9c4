"""`python -m bench [name ...]`: run the benchmarks, write bench/results.json, print them."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path

from bench.harness import Result, dev_server

# Each module has `async def run(temporal) -> list[Result]`.
BENCHMARKS: list[str] = ["account_validation", "payload_codec", "payments", "drug_search",
                         "slot_search", "pharmacy", "appointments", "opinions",
                         "my_requests"]

RESULTS = Path(__file__).with_name("results.json")


async def main(selected: list[str]) -> None:
    results: list[Result] = []
    async with dev_server() as temporal:
        for name in BENCHMARKS:
            if selected and name not in selected:
                continue
            module = importlib.import_module(f"bench.{name}")
            print(f"running {name}…", flush=True)
            results += await module.run(temporal)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing.update({r.name: r.as_json() for r in results})
    RESULTS.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    for r in results:
        data = r.as_json()
        print(f"{r.name:45} {data['value']:>12} {r.unit:10} baseline {data['baseline']:>10} "
              f"ratio {data['ratio']}  goal {r.goal}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
