"""Seeded mutation fuzzing of the readers of outside input (docs/fuzzing.md): each input runs in a worker
process under a time and a memory limit; crashers are saved to tests/fuzz/corpus/<reader>/ and replayed by
the default test run (tests/fuzz/test_corpus.py).

    .venv/bin/python eval/fuzz_readers.py --inputs 100000 --seed 0                 # every reader
    .venv/bin/python eval/fuzz_readers.py --reader trace --inputs 100000 --seed 0   # one reader
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.engine import CORPUS, READERS, Report, fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader", action="append", choices=sorted(READERS),
                        help="reader to fuzz (repeatable; default: all)")
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs per reader")
    parser.add_argument("--seconds", type=float, default=None, help="stop each reader after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input (at most 10)")
    parser.add_argument("--memory-mb", type=int, default=500, help="address space an input may add (MiB)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="where crashers are saved")
    parser.add_argument("--json", type=Path, default=None, help="also write the reports as JSON here")
    args = parser.parse_args()
    reports: list[Report] = []
    for name in args.reader or list(READERS):
        report = fuzz(name, args.inputs, args.seed, min(args.timeout, 10.0), args.memory_mb, args.corpus,
                      progress=lambda r: print("  ..." + r.line(), flush=True), seconds=args.seconds)
        print(report.line(), flush=True)
        for sig, count in sorted(report.signatures.items()):
            print(f"    {count:6,} x {sig}")
        for path in report.saved:
            print(f"    saved {path}")
        reports.append(report)
    if args.json is not None:
        args.json.write_text(json.dumps([vars(r) for r in reports], indent=1) + "\n", encoding="utf-8")
    return 1 if any(r.crashes for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
