"""Benchmark: 20,000 generated posts through match -> classify -> store on SQLite.

Prints posts per second (overall and per stage) and peak memory. Single-threaded: BLAS and
OpenMP pools are pinned to one thread so the figure is per core. Target: 5,000 posts/s.

    python bench/bench_pipeline.py [--posts 20000] [--batch 500] [--database-url URL]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifiers import load_classifier  # noqa: E402
from monitor import db, store  # noqa: E402
from monitor.pipeline import Pipeline  # noqa: E402
from monitor.settings_file import load_settings  # noqa: E402
from sources.base import Author, SourcePost  # noqa: E402

TEMPLATES = [
    "My {t} order is 2 hours late and nobody answers, worst service ever",
    "Loving the new {t} roast this morning ☕️",
    "Does {t} ship to Canada? asking for a friend",
    "سفارشم از {t} هنوز نرسیده، پشتیبانی هم جواب نمیده 😡",
    "قهوه {t} عالیه، ممنون",
    "طلبت من {t} من أسبوع ولم يصل شيء، خدمة سيئة جداً",
    "شكراً {t} على الخدمة الممتازة",
    "Grabe ang tagal ng delivery ng {t}, wala pa rin hanggang ngayon",
    "Ang sarap ng kape sa {t} grabe",
    "just had the best flat white of my life, no idea which brand",
    "traffic on the M25 is unreal today",
    "supernova photos from the observatory tonight 🌌",
]
TERMS = ["NovaBrew", "NovaCup app", "Pod X2", "نوابرو", "نوفابرو", "#NovaBrew", "@NovaBrewHelp"]


def generate(n: int, rng: random.Random) -> list[SourcePost]:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    posts = []
    for i in range(n):
        text = rng.choice(TEMPLATES).format(t=rng.choice(TERMS)) + f" #{i % 97}"
        handle = f"user{rng.randrange(5000)}"
        posts.append(
            SourcePost(
                platform="x",
                native_id=str(10_000_000 + i),
                text=text,
                author=Author(native_id=handle, handle=handle, followers=rng.randrange(10_000)),
                created_at=start + timedelta(seconds=i),
            )
        )
    return posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="rw-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    settings = load_settings(REPO / "config" / "demo.yaml", environ={}, database_url=url)
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    classifier = load_classifier()
    pipeline = Pipeline(settings, classifier)
    posts = generate(args.posts, random.Random(7))
    classifier.classify([p.text for p in posts[:64]])  # warm-up: load weights, compile patterns

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t_match = t_classify = 0.0
    for i in range(0, 2000, args.batch):  # stage timings on a sample, outside the main run
        texts = [p.text for p in posts[i : i + args.batch]]
        t0 = time.perf_counter()
        pipeline.watchlist.match_many(texts)
        t1 = time.perf_counter()
        classifier.classify(texts)
        t_match += t1 - t0
        t_classify += time.perf_counter() - t1

    started = time.perf_counter()
    stored = cases = 0
    now = datetime.now(UTC)
    for i in range(0, len(posts), args.batch):  # as the poller does it
        batch = posts[i : i + args.batch]
        with sessions() as session:
            seen = store.seen_keys(session, ((p.platform, p.native_id) for p in batch))
        prepared = pipeline.prepare(batch, seen=seen)
        with sessions.begin() as session:
            result = pipeline.record(session, "bench", prepared, now=now)
        stored += result.stored
        cases += result.cases_opened
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sample = min(2000, len(posts))

    print(f"posts: {len(posts):,}  batch: {args.batch}  database: {db.safe_url(url)}")
    print(f"classifier: {getattr(classifier, 'name', type(classifier).__name__)}")
    print(f"stored: {stored:,} matched posts, {cases:,} cases opened")
    print(f"end to end: {elapsed:.2f} s = {len(posts) / elapsed:,.0f} posts/s (target 5,000)")
    print(f"  match only:    {sample / t_match:,.0f} posts/s")
    print(f"  classify only: {sample / t_classify:,.0f} posts/s")
    print(
        f"peak RSS: {rss_after / 1024:,.0f} MiB "
        f"(grew {(rss_after - rss_before) / 1024:,.0f} MiB during the run)"
    )


if __name__ == "__main__":
    main()
