"""Run every benchmark and print one table. `python -m benchmarks [name ...]` runs only those named."""

from __future__ import annotations

import argparse
import platform
import sys
import time

from benchmarks import audit_write, intake_load, key_rotation, kpi_joint, plan, queue_page

BENCHMARKS = {
    "key_rotation": key_rotation.run,
    "audit_write": audit_write.run,
    "plan": plan.run,
    "queue_page": queue_page.run,
    "intake_load": intake_load.run,
    "kpi_joint": kpi_joint.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    names = args.names or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"no benchmark called {', '.join(sorted(unknown))}")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"hub benchmarks, {started}, Python {platform.python_version()}, {platform.machine()}", flush=True)
    tables = [BENCHMARKS[name](kinds) for name in names]
    for rows in tables:
        if rows:
            print_table(rows)
    return 0 if all(row.get("meets target", "yes") == "yes" for rows in tables for row in rows) else 1


def print_table(rows: list[dict[str, str]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    widths = {c: max(len(c), *(len(row.get(c, "")) for row in rows)) for c in columns}
    line = "| " + " | ".join(c.ljust(widths[c]) for c in columns) + " |"
    print()
    print(line)
    print("| " + " | ".join("-" * widths[c] for c in columns) + " |")
    for row in rows:
        print("| " + " | ".join(row.get(c, "").ljust(widths[c]) for c in columns) + " |")


if __name__ == "__main__":
    sys.exit(main())
