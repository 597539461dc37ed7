"""Validation throughput, memory and accuracy: sheetsync against what an engineer would write.

Generates seeded seller-support trackers (10k and 100k rows by default) with a known share of
invalid cells of each kind, in two shapes: 20 tickets per seller (each number repeats) and
every seller's number distinct (nothing is learnt from a number seen before). Validates each
with:

- sheetsync: `bind` + `check` (phonenumbers, each distinct value checked once per column);
- pydantic per row: a pydantic model per row whose validator calls phonenumbers;
- pandera: a DataFrame schema with a regex-only phone check.

All three check the same rules, as far as each can say them: required fields, the phone
number, the vocabularies, the timestamp's format and that it is not in the future, the ticket
ID's format (and, but for pydantic, its uniqueness), the people format, a resolved ticket's
summary and an escalated ticket's two names.

Each approach runs in its own process, so its peak RSS is its own; its time is the CPU time of
its best of 7 runs (on a machine others share, wall time is mostly waiting for a core), the
three processes taking turns run by run, so that a stretch where the machine is slow slows
each of them rather than whichever ran then.
Accuracy is measured on the phone column against the planted ground truth: how many invalid
numbers each approach catches (recall) and how many valid ones it flags (false alarms). The
pydantic and pandera baselines are kept as first written: they are what sheetsync is measured
against.

Last, `--prove N` (default 1M) holds `sheetsync.core.phone_patterns`, the column-at-once phone
check, to `phonenumbers.is_valid_number` plus the E.164 format rule on N generated numbers of
every country code.

    pip install -e '.[bench]' && python bench/validate.py [--rows 10000 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HEADER = ["Ticket ID", "WhatsApp Number", "Seller Name", "Issue Type", "Description", "Status",
          "Assigned To", "Resolution Summary", "Timestamp", "Priority"]
ISSUE_TYPES = ["Bug", "Help", "Feature Request", "Complaint"]
STATUSES = ["Pending", "In Progress", "Resolved", "Escalated", "Awaiting Seller Response"]
PEOPLE = ["Priya (Support)", "Arjun (Support)", "Meera (Support)"]
TECH = ["Rahul (Tech)", "Kiran (Tech)"]
PHRASES = ["Unable to update stock for {p}.", "Command \"Show {p}\" returns an error.",
           "Cannot add new products to {p}.", "Payout for {p} orders not received.",
           "How do I add a discount on {p}?", "Please add bulk upload for {p}."]
PRODUCTS = ["Rice", "Atta", "Sugar", "Dal", "Oil", "Tea", "Soap", "Biscuits"]
PEOPLE_PATTERN = r"^[^,()]+?(?: \([^,()]+\))?(?:, [^,()]+?(?: \([^,()]+\))?)*$"
TZ = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=TZ)

# Share of rows that get each kind of mistake, and what makes it wrong.
MISTAKES = {
    "phone_no_country_code": 0.04,  # 9876543210
    "phone_spaces": 0.03,  # +91 98765 43210
    "phone_invalid_well_formed": 0.02,  # +9198765432101: passes a regex, one digit too many
    "phone_too_short": 0.01,  # +9198765
    "status_case": 0.03,  # resolved
    "type_misspelled": 0.01,  # Bugg
    "timestamp_iso": 0.03,  # 2026-11-20T10:25:00
    "seller_missing": 0.01,
}
PHONE_MISTAKES = {k for k in MISTAKES if k.startswith("phone_")}


SHAPES = {"20 tickets per seller": 20, "every number distinct": 1}


def generate(rows: int, seed: int, per_seller: int = 20) -> tuple[list[tuple[Any, ...]], set[int]]:
    """Rows (header first) and the row numbers whose phone cell is wrong.

    `per_seller` tickets per seller on average; with 1, each row is its own seller and every
    number is distinct, so nothing is learnt from a number seen before.
    """
    rng = random.Random(seed)
    count = max(rows // per_seller, 50) if per_seller > 1 else rows
    sellers = [(f"Seller {i:06d} Store", f"{rng.choice('6789')}{tail}")
               for i, tail in enumerate(rng.sample(range(10**8, 10**9), count))]
    out: list[tuple[Any, ...]] = [tuple(HEADER)]
    bad_phone: set[int] = set()
    for n in range(rows):
        name, national = rng.choice(sellers) if per_seller > 1 else sellers[n]
        phone = f"+91{national}"
        status = rng.choice(STATUSES)
        assignee = f"{rng.choice(PEOPLE)}, {rng.choice(TECH)}" if status == "Escalated" \
            else rng.choice(PEOPLE)
        when = NOW - timedelta(minutes=rng.randrange(60 * 24 * 365))
        stamp = when.strftime("%Y-%m-%d %H:%M")
        issue = rng.choice(ISSUE_TYPES)
        mistake = rng.choices([*MISTAKES, None], [*MISTAKES.values(),
                                                  1 - sum(MISTAKES.values())])[0]
        if mistake == "phone_no_country_code":
            phone = national
        elif mistake == "phone_spaces":
            phone = f"+91 {national[:5]} {national[5:]}"
        elif mistake == "phone_invalid_well_formed":
            phone = f"+91{national}{rng.randrange(10)}"
        elif mistake == "phone_too_short":
            phone = f"+91{national[:5]}"
        elif mistake == "status_case":
            status = status.lower()
        elif mistake == "type_misspelled":
            issue = "Bugg"
        elif mistake == "timestamp_iso":
            stamp = when.strftime("%Y-%m-%dT%H:%M:00")
        elif mistake == "seller_missing":
            name = ""
        if mistake in PHONE_MISTAKES:
            bad_phone.add(n + 2)
        out.append((
            f"INT-{n + 1:06d}", phone, name, issue,
            rng.choice(PHRASES).format(p=rng.choice(PRODUCTS)), status, assignee,
            "Fixed and confirmed with the seller." if status.lower() == "resolved" else "",
            stamp, rng.choice(["High", "Medium", "Low"]),
        ))
    return out, bad_phone


# --- the three approaches: each setup returns a run(rows) -> rows flagged in the phone column

Run = Callable[[list[tuple[Any, ...]]], set[int]]


def setup_sheetsync() -> Run:
    from sheetsync.schema import PRESETS, bind
    from sheetsync.core.table import Grid
    from sheetsync.validators import CheckContext, check
    from sheetsync.core.values import clear_caches

    schema = PRESETS["seller-support"]
    context = CheckContext(now=NOW, timezone=TZ, phone_region="IN")

    def run(data: list[tuple[Any, ...]]) -> set[int]:
        clear_caches()  # measure a cold start: no phone verdict known from an earlier run
        sheet = bind(Grid(tab="Tracker", rows=data), schema)
        return {f.row for f in check(sheet, context) if f.column == "WhatsApp Number"}

    return run


def setup_pydantic() -> Run:
    from typing import Literal

    import phonenumbers
    from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

    class Ticket(BaseModel):
        whatsapp_number: str
        seller_name: str
        issue_type: Literal["Bug", "Help", "Feature Request", "Complaint"]
        description: str
        status: Literal["Pending", "In Progress", "Resolved", "Escalated",
                        "Awaiting Seller Response"]
        ticket_id: str = Field(pattern=r"^INT-[0-9]{6,}$")
        assigned_to: str = Field(default="", pattern=PEOPLE_PATTERN)
        resolution_summary: str = ""
        timestamp: str
        priority: Literal["High", "Medium", "Low", ""] = ""

        @field_validator("whatsapp_number")
        @classmethod
        def e164(cls, value: str) -> str:
            try:
                number = phonenumbers.parse(value, None)
            except phonenumbers.NumberParseException as exc:  # no country code, or not a number
                raise ValueError(str(exc)) from None
            if not phonenumbers.is_valid_number(number):
                raise ValueError("invalid number")
            if phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != value:
                raise ValueError("not E.164")
            return value

        @field_validator("seller_name", "description")
        @classmethod
        def required(cls, value: str) -> str:
            if not value.strip():
                raise ValueError("required")
            return value

        @field_validator("timestamp")
        @classmethod
        def minute(cls, value: str) -> str:
            if datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=TZ) > NOW:
                raise ValueError("in the future")
            return value

        @model_validator(mode="after")
        def cross_field(self) -> Ticket:
            if self.status == "Resolved" and not self.resolution_summary.strip():
                raise ValueError("resolution summary required")
            if self.status == "Escalated" and "," not in self.assigned_to:
                raise ValueError("escalation contact missing")
            return self

    keys = ["ticket_id", "whatsapp_number", "seller_name", "issue_type", "description",
            "status", "assigned_to", "resolution_summary", "timestamp", "priority"]

    def run(data: list[tuple[Any, ...]]) -> set[int]:
        flagged = set()
        for number, cells in enumerate(data[1:], start=2):
            try:
                Ticket.model_validate(dict(zip(keys, cells)))
            except ValidationError as exc:
                if any(e["loc"][:1] == ("whatsapp_number",) for e in exc.errors()):
                    flagged.add(number)
        return flagged

    return run


def setup_pandera() -> Run:
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore")
    import pandera.pandas as pa

    now = NOW.strftime("%Y-%m-%d %H:%M")
    schema = pa.DataFrameSchema(
        {
            "Ticket ID": pa.Column(str, pa.Check.str_matches(r"^INT-[0-9]{6,}$"), unique=True),
            "WhatsApp Number": pa.Column(str, pa.Check.str_matches(r"^\+\d{10,15}$")),
            "Seller Name": pa.Column(str, pa.Check.str_length(min_value=1)),
            "Issue Type": pa.Column(str, pa.Check.isin(ISSUE_TYPES)),
            "Description": pa.Column(str, pa.Check.str_length(min_value=1)),
            "Status": pa.Column(str, pa.Check.isin(STATUSES)),
            "Assigned To": pa.Column(str, pa.Check.str_matches(PEOPLE_PATTERN)),
            "Timestamp": pa.Column(str, [
                pa.Check.str_matches(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"),
                pa.Check(lambda s: s <= now)]),
            "Priority": pa.Column(str, pa.Check.isin(["High", "Medium", "Low", ""])),
        },
        checks=[
            pa.Check(lambda df: ~((df["Status"] == "Resolved")
                                  & (df["Resolution Summary"].str.strip() == ""))),
            pa.Check(lambda df: ~((df["Status"] == "Escalated")
                                  & ~df["Assigned To"].str.contains(","))),
        ],
    )

    def run(data: list[tuple[Any, ...]]) -> set[int]:
        frame = pd.DataFrame(data[1:], columns=data[0])
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            phone = cases[cases["column"] == "WhatsApp Number"]
            return {int(i) + 2 for i in phone["index"].dropna()}
        return set()

    return run


APPROACHES: dict[str, Callable[[], Run]] = {
    "sheetsync": setup_sheetsync, "pydantic per row": setup_pydantic,
    "pandera (regex phone)": setup_pandera}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def worker(approach: str, rows: int, seed: int, per_seller: int) -> None:
    """One approach in a process of its own: set up, then one timed run per line on stdin,
    its CPU seconds a line on stdout; at end of input, the figures as one JSON line."""
    data, bad_phone = generate(rows, seed, per_seller)
    run = APPROACHES[approach]()
    run(data[:1000])  # warm up: imports, phone metadata, pandas' first-call costs
    before = _rss_mb()
    best = float("inf")
    flagged: set[int] = set()
    print("ready", flush=True)
    for _ in sys.stdin:
        start = time.process_time()  # CPU time: on a shared machine, wall time is mostly
        flagged = run(data)  # waiting for a core
        spent = time.process_time() - start
        best = min(best, spent)
        print(spent, flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "approach": approach, "rows": rows, "seconds": best, "rows_per_s": rows / best,
        "peak_rss_mb": peak, "rss_before_mb": before, "caught": len(flagged & bad_phone),
        "invalid": len(bad_phone), "false_alarms": len(flagged - bad_phone)}))


def compare(rows: int, seed: int, per_seller: int, rounds: int) -> list[dict[str, Any]]:
    """Each approach's best of `rounds` runs, the runs taken in turn (one of each approach per
    round): a machine that slows for a while slows them all, not the one that ran then."""
    workers = [subprocess.Popen(
        [sys.executable, __file__, "--worker", approach, "--rows", str(rows), "--seed",
         str(seed), "--per-seller", str(per_seller)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for approach in APPROACHES]
    for process in workers:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for _ in range(rounds):
        for process in workers:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write("run\n")
            process.stdin.flush()
            process.stdout.readline()
    results = []
    for process in workers:
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"a worker failed (exit {process.returncode})")
        results.append(json.loads(out.splitlines()[-1]))
    return results


def e164_samples(count: int, seed: int) -> list[str]:
    """Numbers in E.164 shape for every country code: phonenumbers' example numbers of every
    region and type with a few digits changed, and random digits of random lengths."""
    import phonenumbers

    rng = random.Random(seed)
    examples = [number for region in sorted(phonenumbers.SUPPORTED_REGIONS)
                for kind in phonenumbers.PhoneNumberType.values()
                if (number := phonenumbers.example_number_for_type(region, kind)) is not None]
    examples += [number for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
                 if (number := phonenumbers.example_number_for_non_geo_entity(code)) is not None]
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    out = []
    while len(out) < count:
        if rng.random() < 0.6:
            example = rng.choice(examples)
            code = example.country_code
            digits = list(phonenumbers.national_significant_number(example))
            for _ in range(rng.randrange(3)):
                digits[rng.randrange(len(digits))] = rng.choice("0123456789")
            national = "".join(digits)
        else:
            code, national = rng.choice(codes), str(rng.randrange(10 ** rng.randrange(3, 14)))
        text = f"+{code}{national}"
        if 8 <= len(text) <= 16:  # the E.164 shape: 7 to 15 digits
            out.append(text)
    return out


def prove(count: int, seed: int) -> None:
    """phone_patterns' verdicts against phonenumbers' on `count` generated numbers."""
    from sheetsync.core.phone_patterns import unproven_e164

    texts = e164_samples(count, seed)
    start = time.perf_counter()
    fast = set(texts) - unproven_e164(texts)
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.phone_oracle import phonenumbers_verdict  # today's code, frozen

    slow = {text for text in texts if phonenumbers_verdict(text)}
    slow_s = time.perf_counter() - start
    differ = fast ^ slow
    print(f"phone_patterns against phonenumbers.is_valid_number on {len(texts):,} generated "
          f"numbers ({len(set(texts)):,} distinct, {len(slow):,} valid): {len(differ)} differ "
          f"{sorted(differ)[:5]}; {fast_s:.2f} s against {slow_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=7, help="runs of each approach")
    parser.add_argument("--prove", type=int, default=1_000_000,
                        help="numbers to hold phone_patterns to phonenumbers on (0: skip)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--per-seller", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.rows[0], args.seed, args.per_seller)
        return
    print(f"seller-support trackers, seed {args.seed}; best of {args.rounds} runs, each from a "
          "cold start, the approaches taking turns, in CPU seconds")
    for shape, per_seller in SHAPES.items():
        print(f"\n{shape}")
        print(f"{'rows':>8}  {'approach':<22} {'rows/s':>10} {'CPU s':>8} {'peak RSS MB':>12} "
              f"{'data MB':>8}  {'invalid phones caught':>22} {'false alarms':>12}")
        for rows in args.rows:
            results = compare(rows, args.seed, per_seller, args.rounds)
            for r in results:
                print(f"{rows:>8}  {r['approach']:<22} {r['rows_per_s']:>10,.0f} "
                      f"{r['seconds']:>8.3f} {r['peak_rss_mb']:>12.0f} {r['rss_before_mb']:>8.0f}  "
                      f"{r['caught']:>10} of {r['invalid']:<9} {r['false_alarms']:>12}")
            ours = results[0]["rows_per_s"]
            print(f"{'':>8}  sheetsync is {ours / results[1]['rows_per_s']:.1f}x pydantic per row, "
                  f"{ours / results[2]['rows_per_s']:.1f}x pandera")
    if args.prove:
        print()
        prove(args.prove, args.seed)


if __name__ == "__main__":
    main()
