"""Benchmark: what the daemon's negative-spike check (``crisis:check``, every minute on the
leader) costs on a database holding a week and a half of mentions.

Fills a database with ``--posts`` posts spread over 10 days across the demo config's
entities (a third negative, from 20,000 people), plus a burst of negative posts about the
first entity in the last 20 minutes, then times :func:`monitor.crisis.check_crisis` (each run
rolled back, so every run finds and writes the spike). Prints milliseconds per check: *cold*,
each with a new :class:`~monitor.crisis.Baselines` (the first check of a step, or of a new
leader, counts the week), and *kept*, one minute apart within a step with one
:class:`~monitor.crisis.Baselines`, as the daemon's leader checks most minutes.

    python bench/bench_crisis.py [--posts 200000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor import db  # noqa: E402
from monitor.crisis import STEP, Baselines, check_crisis  # noqa: E402
from monitor.models import Author, EntityMatch, Post  # noqa: E402
from monitor.settings import Settings  # noqa: E402
from monitor.settings_file import load_settings  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the window starts on a step boundary


def fill(sessions: sessionmaker[Session], entities: list[str], posts: int) -> None:
    rng = random.Random(7)
    people = 20_000
    with sessions.begin() as s:
        s.execute(
            insert(Author),
            [
                {"platform": "x", "native_id": str(i), "handle": f"user{i}", "followers": i % 997}
                for i in range(people)
            ],
        )
        first = s.scalar(select(Author.id).order_by(Author.id).limit(1)) or 1
    span = timedelta(days=10).total_seconds()
    burst = 300  # the spike: negative posts about the first entity in the last 20 minutes
    for start in range(0, posts + burst, 20_000):
        rows, matches = [], []
        for i in range(start, min(start + 20_000, posts + burst)):
            spike = i >= posts
            at = NOW - timedelta(seconds=rng.uniform(0, 1200 if spike else span))
            if i == 0:  # the first post stored: replywatch has watched for the 10 days
                at = NOW - timedelta(seconds=span)
            rows.append(
                {
                    "id": i + 1,
                    "platform": "x",
                    "native_id": str(i),
                    "source": "bench",
                    "author_id": first + rng.randrange(people),
                    "text": "bench",
                    "created_at": at,
                    "fetched_at": at,
                    "is_brand_response": False,
                    "sentiment": "negative" if spike or rng.random() < 0.33 else "positive",
                }
            )
            matches.append(
                {"post_id": i + 1, "entity_id": entities[0] if spike else rng.choice(entities)}
            )
            matches[-1]["term"] = matches[-1]["entity_id"]
        with sessions.begin() as s:
            s.execute(insert(Post), rows)
            s.execute(insert(EntityMatch), matches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # each run logs the spike it finds
    settings = load_settings(REPO / "config" / "demo.yaml", environ={})
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        engine = db.make_engine(url)
        db.upgrade(engine)
        sessions = db.make_sessionmaker(engine)
        entities = [e.id for e in settings.entities]
        started = time.perf_counter()
        fill(sessions, entities, args.posts)
        print(f"{args.posts:,} posts over 10 days, {len(entities)} entities, on {engine.name}:")
        print(f"  filled in {time.perf_counter() - started:.1f} s")
        kept = Baselines()
        cold = [time_check(sessions, settings, NOW, kept)]  # the first: counts the week into kept
        cold += [time_check(sessions, settings, NOW, Baselines()) for _ in range(args.runs - 1)]
        minutes = STEP // timedelta(minutes=1)  # 10:01 to 10:14: the baseline still ends 09:30
        warm = [
            time_check(sessions, settings, NOW + timedelta(minutes=1 + i % (minutes - 1)), kept)
            for i in range(args.runs)
        ]
        print(f"  first check (counts the week): {1000 * cold[0]:.1f} ms")
        report("cold (a new step or leader)", cold)
        report("kept (later minutes of the step)", warm)
        engine.dispose()


def time_check(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, kept: Baselines
) -> float:
    """Seconds one check at ``now`` takes, rolled back; it must find the burst's spike."""
    with sessions() as s:
        began = time.perf_counter()
        keys = check_crisis(s, settings, now=now, baselines=kept)
        took = time.perf_counter() - began
        s.rollback()
    assert len(keys) == 1, keys
    return took


def report(what: str, times: list[float]) -> None:
    times = sorted(times)
    print(
        f"  check_crisis, {what}: median {1000 * times[len(times) // 2]:.1f} ms, "
        f"best {1000 * times[0]:.1f} ms over {len(times)} runs"
    )


if __name__ == "__main__":
    main()
