"""CPU of ingest's row rules (events/validate.py) over the first data lines of a month file, with and without the
text fields' length rule (``too_long_sql``), alternating in one process.

    .venv/bin/python bench/row_rules.py FILE.csv.gz [--lines 2000000] [--rounds 4]

The lines are read once by the product's reader (``events.lines.line_batches``) into memory; each round runs the
rules in DuckDB on 2 threads and counts the kept and rejected rows. The reference is the same rules without the
length rule, in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import events.validate as validate
from events.lines import LINES_SCHEMA, line_batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    batches, read = [], 0
    for batch in line_batches(args.file):
        batches.append(batch)
        read += batch.num_rows
        if read > args.lines:
            break
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    con.register("source_lines", pa.Table.from_batches(batches, LINES_SCHEMA).slice(0, args.lines + 1))
    rule = validate.too_long_sql

    def run(with_rule: bool) -> float:
        validate.too_long_sql = rule if with_rule else (lambda spark=False: "")
        sql = validate.parse_lines_sql("(SELECT * FROM source_lines WHERE line_no > 1)")
        started = time.process_time()
        con.execute(f"SELECT count(*), count(reason) FROM ({sql})").fetchall()
        return time.process_time() - started

    run(True), run(False)  # warm
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for with_rule in (False, True):
            cpu[with_rule].append(run(with_rule))
    validate.too_long_sql = rule
    for with_rule in (False, True):
        seconds = sorted(cpu[with_rule])
        print(
            f"{'with' if with_rule else 'without'} the length rule: CPU {seconds[0]:.2f}–{seconds[-1]:.2f} s, "
            f"median {seconds[len(seconds) // 2]:.2f} s over {args.lines:,} lines",
            flush=True,
        )
    ratio = sorted(cpu[True])[args.rounds // 2] / sorted(cpu[False])[args.rounds // 2]
    print(f"the length rule: {ratio:.2f}x the rules' CPU without it")


if __name__ == "__main__":
    main()
