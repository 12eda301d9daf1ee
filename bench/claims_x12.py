"""Benchmark: writing a 5,000-claim 837P interchange vs pyx12 validating the same file.

    python bench/claims_x12.py [--claims 5000] [--lines 4] [--repeat 3]

Pure (no database): the writer is `trellis.billing.x12.writer`, the reference validator pyx12 4.0.0. Prints
the median of `--repeat` runs of each and the ratio validate/build (target: building is faster).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trellis.billing.x12.claims import ServiceLine  # noqa: E402
from trellis.billing.x12.tests import samples  # noqa: E402
from trellis.billing.x12.validate import validate_x12  # noqa: E402
from trellis.billing.x12.writer import write_837p  # noqa: E402


def make_claims(n: int, lines: int) -> list:
    base = samples.per_service_week()
    claims = []
    for i in range(n):
        person = dataclasses.replace(samples.JANE, last_name=f"PATIENT{i % 997}", first_name=f"P{i}")
        subscriber = dataclasses.replace(samples.JANE_SUB, person=person, member_id=f"M{i:09d}")
        claim_lines = tuple(
            ServiceLine("90853" if k % 2 == 0 else "90834", Decimal("120.00") + k, Decimal("1"),
                        samples.MONDAY + timedelta(days=k), (1, 2), line_control_number=f"L{i}-{k}")
            for k in range(lines)
        )
        claims.append(dataclasses.replace(base, patient_control_number=f"TR{i:012d}", subscriber=subscriber,
                                          lines=claim_lines))
    return claims


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    claims = make_claims(args.claims, args.lines)
    build_times, validate_times, build_cpu, validate_cpu = [], [], [], []
    content = ""
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        content = write_837p(samples.interchange(*claims))
        build_times.append(time.perf_counter() - started)
        build_cpu.append(time.process_time() - cpu)
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = validate_x12(content)
        validate_times.append(time.perf_counter() - started)
        validate_cpu.append(time.process_time() - cpu)
        if not result.valid:
            raise SystemExit(f"pyx12 rejected the benchmark file: {result.errors[:5]}")
    build, validate = statistics.median(build_times), statistics.median(validate_times)
    bcpu, vcpu = statistics.median(build_cpu), statistics.median(validate_cpu)
    segments = content.count("~")
    print(f"machine: {platform.machine()} {platform.system()} Python {platform.python_version()}")
    print(f"claims: {args.claims} x {args.lines} lines; {segments} segments; {len(content) / 1e6:.1f} MB")
    print(f"build 837P (median of {args.repeat}): {build:.3f} s wall, {bcpu:.3f} s CPU")
    print(f"pyx12 validate (median of {args.repeat}): {validate:.3f} s wall, {vcpu:.3f} s CPU")
    print(f"ratio validate/build: {validate / build:.1f}x wall, {vcpu / bcpu:.1f}x CPU "
          f"(building is {'faster' if bcpu < vcpu else 'SLOWER'})")


if __name__ == "__main__":
    main()
