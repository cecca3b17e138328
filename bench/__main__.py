"""`make bench`: prints figures and writes them to var/bench/latest.json. Speed targets are
reported here, never asserted in tests (a busy machine must not fail the build).

Sections run in order; `python -m bench worktime deadlines` runs only those named (the pages
and sweep sections seed or reuse the dataset first). The bench never uses the development
database, broker or cache: see bench/database.py."""

from __future__ import annotations

import json
import os
import platform
import sys
import time

import django

SECTIONS = ["worktime", "deadlines", "dataset", "pages", "volume", "sweep", "inbound", "status"]
NEEDS_DATASET = {"pages", "volume", "sweep"}


def main(argv: list[str]) -> int:
    from bench import database

    chosen = [name for name in SECTIONS if name in argv] if argv else list(SECTIONS)
    unknown = sorted(set(argv) - set(SECTIONS))
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
        return 2
    if NEEDS_DATASET & set(chosen) and "dataset" not in chosen:
        chosen.insert(chosen.index(next(n for n in chosen if n in NEEDS_DATASET)), "dataset")
    out = database.var_dir() / "bench" / "latest.json"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    database.configure()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    results: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "database": connection.vendor,
    }
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"supportdesk bench on {connection.vendor}, Python {platform.python_version()}; "
        f"load average {load} on {os.cpu_count()} cores (other programs take their share)\n"
    )
    results["load_average_before"] = os.getloadavg()
    for name in chosen:
        module = __import__(f"bench.{name}_bench", fromlist=["run"])
        print(f"== {name}")
        results[name] = module.run()
        print()
    if "pages" in results or "sweep" in results or "volume" in results:
        from bench import targets

        results["targets"] = targets.report(results)
        print()
        results["sizes"] = targets.compare_sizes(results, out.parent)
        if results["sizes"]:
            print()
    results["load_average_after"] = os.getloadavg()
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    database.clear_broker()
    out = (
        out.with_name(f"latest-{results['dataset']['requests']}.json")
        if "dataset" in results
        else out
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
