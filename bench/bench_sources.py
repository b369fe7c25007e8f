"""Source budgets: what polling each platform costs in requests, and what it buys in delay.

    python bench/bench_sources.py [--terms 200] [--interval 120] [--brands 1]

Prints, per platform, the requests one poll cycle needs, the requests per hour at the chosen
interval against the platform's budget, the shortest interval that budget allows, and the
detection delay (how long after posting a post is fetched) at the chosen interval.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# ------------------------------------------------------------------------------------ reddit


#: Reddit Data API (free tier, OAuth): 100 queries per minute per client id, averaged over
#: a 10-minute window, i.e. 1,000 per window as the x-ratelimit-* headers count them.
REDDIT_QPM = 100
REDDIT_WINDOW_S = 600
#: Requests the source keeps back for replies (RedditSource(reserve_requests=...)).
REDDIT_RESERVE = 5
#: Observed oauth.reddit.com latency per listing request (assumption: 0.3-0.8 s).
REDDIT_LATENCY_S = 0.5


def bench_reddit(args: argparse.Namespace) -> None:
    from sources.reddit import build_queries as reddit_queries

    terms = make_terms(args.terms, random.Random(7))
    queries = reddit_queries(terms)
    interval = args.interval
    cycles_per_hour = 3600 / interval
    budget_per_hour = REDDIT_QPM * 60
    print(f"== Reddit: {len(terms)} terms, poll every {interval:g}s")
    mean = sum(map(len, queries)) / len(queries)
    print(
        f"search queries under the 512-char q limit: {len(queries)} "
        f"(mean {mean:.0f} chars; terms OR-combined, phrases quoted)"
    )
    print("config                           streams  req/h  budget/h   use  min interval")
    configs = (
        ("search r/all only", len(queries)),
        ("+ 1 multireddit new+comments", len(queries) + 2),
        ("+ brand mentions + own comments", len(queries) + 4),
    )
    for label, streams in configs:
        per_hour = streams * cycles_per_hour
        min_interval = streams * REDDIT_WINDOW_S / (REDDIT_QPM * 10 - REDDIT_RESERVE)
        print(
            f"{label:<32} {streams:>7}  {per_hour:>5.0f}  {budget_per_hour:>8}  "
            f"{per_hour / budget_per_hour:>4.0%}  {min_interval:>11.1f}s"
        )
    print(
        "(one request per stream per quiet cycle; a stream busier than 100 posts per "
        "interval adds one request per extra 100)"
    )
    measured = _reddit_delay_against_emulator(terms, interval, hours=args.hours)
    if measured is not None:
        posts, once, requests, delays, cycle_requests = measured
        delays.sort()
        cycle_s = cycle_requests * REDDIT_LATENCY_S
        print(
            f"emulator, simulated clock, {args.hours:g}h of posts at random times: "
            f"{posts} posts, each stored once: {once}; {requests} requests "
            f"({requests / args.hours:.0f}/h)"
        )
        print(
            f"detection delay (post created -> fetched) at {interval:g}s: "
            f"mean {sum(delays) / len(delays):.0f}s, p50 {delays[len(delays) // 2]:.0f}s, "
            f"max {delays[-1]:.0f}s; plus ~{cycle_s:.0f}s for a cycle's "
            f"{cycle_requests} requests at {REDDIT_LATENCY_S:g}s each"
        )
    print(
        f"computed: mean {interval / 2:.0f}s, worst {interval:.0f}s (+ cycle time). Reddit's "
        "search index lags minutes behind new posts: subreddit listings and the inbox do not, "
        "and the source looks 10 minutes back in search to catch late-indexed posts"
    )
    print(
        "when remaining < 25% of the window, the last batch of a cycle sets next_poll_after_s "
        "= reset / cycles left; at the reserve it raises RateLimited until the reset\n"
    )


def _reddit_delay_against_emulator(
    terms: list[str], interval: float, *, hours: float
) -> tuple[int, bool, int, list[float], int] | None:
    """Posts appear at random times; poll every ``interval`` on the emulator's clock."""
    try:
        from sources.reddit import RedditSource
        from tests.emulators.reddit import RedditEmulator
    except ImportError:  # the bench runs from a checkout without tests/
        return None
    rng = random.Random(11)
    with RedditEmulator(clients={"bench": "secret"}, accounts={"brand": "pw"}) as emulator:
        start = emulator.now
        arrivals = sorted(start + rng.uniform(0, hours * 3600) for _ in range(int(hours * 120)))
        source = RedditSource(
            "bench",
            client_id="bench",
            client_secret="secret",
            user_agent="replywatch-bench/0.1",
            terms=terms,
            subreddits=("brandsub",),
            search_all=True,  # mentions anywhere, everything in the brand's own subreddit
            brand_username="brand",
            password="pw",
            api_url=emulator.url,
            auth_url=emulator.url,
            clock=emulator.clock,
        )
        created: dict[str, float] = {}
        fetched: dict[str, list[float]] = {}
        cursor = None
        poll_at, cycle_requests = start, 0
        while poll_at <= start + hours * 3600 + interval:
            while arrivals and arrivals[0] <= poll_at:
                at = arrivals.pop(0)
                emulator.now = at
                where = rng.choice(("brandsub", "elsewhere"))
                title = f"my {rng.choice(terms)} broke" if rng.random() < 0.7 else "hi"
                name = emulator.add_submission(where, title, author=f"user{rng.randrange(999)}")
                if where == "brandsub" or title != "hi":
                    created[name] = at
            emulator.now = poll_at
            before = len(emulator.api_requests())
            while True:
                batch = source.fetch(cursor)
                cursor = batch.cursor
                for post in batch.posts:
                    fetched.setdefault(post.native_id, []).append(poll_at)
                if not batch.more:
                    break
            cycle_requests = len(emulator.api_requests()) - before
            poll_at += interval
        source.close()
        once = all(len(fetched.get(n, [])) == 1 for n in created) and set(fetched) == set(created)
        delays = [fetched[n][0] - at for n, at in created.items() if n in fetched]
        return len(created), once, len(emulator.api_requests()), delays, cycle_requests


# ----------------------------------------------------------------------------------------- x

_SYLLABLES = ("no", "va", "bre", "ka", "lu", "mi", "ta", "zo", "rin", "sel", "dor", "pex")


def make_terms(n: int, rng: random.Random) -> list[str]:
    """Watch terms as teams write them: names, phrases, @handles, #hashtags."""
    terms: list[str] = []
    for k in range(n):
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        kind = k % 10
        if kind < 4:
            terms.append(word.title())
        elif kind < 7:
            terms.append(f"{word.title()} {rng.choice(['Pro', 'Max', 'app', 'support', 'X2'])}")
        elif kind < 9:
            terms.append(f"@{word}_help" if kind == 7 else f"#{word}fail")
        else:
            terms.append(f"{word} {rng.choice(['not working', 'refund', 'outage'])}")
    return terms


@dataclass(frozen=True)
class XTier:
    """X API budgets (app auth, per 15-minute window) and query length, as documented.

    ``basic``/``pro``: the 2023-2025 self-serve tiers (developer.x.com rate-limit tables, post
    caps page). Mentions and the brand's own timeline use the limits X sent in tweepy's
    recorded traffic (450 and 1,500 per 15 min); Basic's may be lower: check the console.
    """

    name: str
    search_per_15min: int
    mentions_per_15min: int
    timeline_per_15min: int
    query_length: int
    posts_per_month: int


TIERS = (
    XTier("basic", 60, 450, 1500, 512, 10_000),
    XTier("pro", 450, 450, 1500, 1024, 1_000_000),
)


def bench_x(args: argparse.Namespace) -> None:
    from sources.x import build_queries

    rng = random.Random(7)
    terms = make_terms(args.terms, rng)
    interval = args.interval
    cycles_per_hour = 3600 / interval
    print(f"== X: {len(terms)} terms, {args.brands} brand account(s), poll every {interval:g}s")
    print("query length  queries  mean chars  (-is:retweet; no lang filter)")
    for length in (512, 1024, 4096):
        queries = build_queries(terms, max_length=length)
        mean = sum(map(len, queries)) / len(queries)
        print(f"{length:>12}  {len(queries):>7}  {mean:>10.0f}")
    print()
    print(
        "tier   search q  search/h  budget/h  use    min interval  "
        "mentions+own/h  budget/h     posts/month cap"
    )
    for tier in TIERS:
        queries = build_queries(terms, max_length=tier.query_length)
        per_hour = len(queries) * cycles_per_hour
        budget = tier.search_per_15min * 4
        min_interval = 900 * len(queries) / tier.search_per_15min
        timelines = args.brands * cycles_per_hour
        timeline_budget = min(tier.mentions_per_15min, tier.timeline_per_15min) * 4
        print(
            f"{tier.name:<6} {len(queries):>8}  {per_hour:>8.0f}  {budget:>8}  "
            f"{per_hour / budget:>4.0%}  {min_interval:>11.0f}s  "
            f"{timelines:>6.0f} + {timelines:<6.0f} {timeline_budget:>8}  "
            f"{tier.posts_per_month:>16,}"
        )
    for tier in TIERS:
        print(
            f"{tier.name}: the monthly post cap allows {tier.posts_per_month / 30:,.0f} posts/day "
            "across search, mentions and timelines; past that the cap binds, not the rate limit"
        )
    print()
    latency_s = 0.15  # X's x-response-time in the recordings: 78-226 ms per request
    queries = len(build_queries(terms, max_length=512))
    cycle_s = (queries + 2 * args.brands) * latency_s
    print(
        f"computed detection delay at {interval:g}s: mean {interval / 2 + cycle_s / 2:.0f}s, "
        f"worst {interval + cycle_s:.0f}s (+{latency_s * 1000:.0f} ms per extra page of 100 "
        "on a busy stream; X's own indexing lag comes on top)"
    )
    for tier, every in ((TIERS[0], interval), (TIERS[0], interval / 2), (TIERS[1], interval / 4)):
        sim = _x_simulation(terms, args.brands, every, tier, hours=args.hours)
        if sim is None:
            print("(tests/emulators not importable: simulation skipped)")
            break
        print(
            f"emulator, {tier.name} budget, asked every {every:g}s, {args.hours:g}h simulated: "
            f"{sim.expected} tweets, each fetched once: {sim.once}; {sim.requests} requests "
            f"({sim.requests / args.hours:.0f}/h), 429s {sim.rate_limited}, cycle every "
            f"{sim.mean_gap_s:.0f}s on average (paced); delay mean {sim.mean_s:.0f}s, "
            f"p50 {sim.p50_s:.0f}s, max {sim.max_s:.0f}s"
        )
    print(
        "pacing: each cycle's last batch sets next_poll_after_s = window left / (whole cycles "
        "the remaining budget buys + 1), so an interval shorter than the budget allows is "
        "stretched instead of ending in 429s\n"
    )


@dataclass
class _XSim:
    expected: int
    once: bool
    requests: int
    rate_limited: int
    mean_gap_s: float
    mean_s: float
    p50_s: float
    max_s: float


def _x_simulation(
    terms: list[str], brands: int, interval_s: float, tier: XTier, *, hours: float
) -> _XSim | None:
    """Poll the emulator on a simulated clock while tweets arrive at random times."""
    try:
        from tests.emulators.x import XEmulator
    except ImportError:  # the bench runs from a checkout without tests/
        return None
    from collections import Counter
    from datetime import UTC, datetime

    from monitor.errors import RateLimited
    from sources.x import XSource

    rng = random.Random(11)
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp()
    end = start + hours * 3600
    now = [start]
    handles = [f"brand{i}" for i in range(brands)]
    events: list[tuple[float, str, str, bool]] = []  # (at, author, text, expected)
    for k in range(int(hours * 150)):
        at = rng.uniform(start, end)
        roll = rng.random()
        if roll < 0.45:
            events.append((at, f"user{k}", f"my {rng.choice(terms)} is broken", True))
        elif roll < 0.6:
            events.append((at, f"user{k}", f"@{rng.choice(handles)} where is my order", True))
        else:
            events.append((at, f"user{k}", "lorem ipsum coffee weather", False))
    events.sort()
    with XEmulator(clock=lambda: now[0], max_query_length=tier.query_length) as emulator:
        for handle in handles:
            emulator.add_user(handle)
        for endpoint, limit in (
            ("search", tier.search_per_15min),
            ("mentions", tier.mentions_per_15min),
            ("tweets", tier.timeline_per_15min),
        ):
            emulator.set_budget(endpoint, limit=limit, remaining=limit, reset_in_s=900)
        source = XSource(
            "bench",
            bearer_token=emulator.bearer_token,
            terms=terms,
            brand_handles=handles,
            api_url=emulator.url,
            max_query_length=tier.query_length,
            clock=lambda: datetime.fromtimestamp(now[0], UTC),
        )
        created: dict[str, float] = {}
        fetched: Counter[str] = Counter()
        delays: list[float] = []
        cursor = None
        limited = cycles = 0
        pending = iter(events)
        upcoming = next(pending, None)
        while now[0] < end:
            while upcoming is not None and upcoming[0] <= now[0]:
                at, author, text, expected = upcoming
                tweet_id = emulator.add_tweet(
                    author, text, created_at=datetime.fromtimestamp(at, UTC)
                )
                if expected:
                    created[tweet_id] = at
                upcoming = next(pending, None)
            wait = 0.0
            while True:
                try:
                    batch = source.fetch(cursor)
                except RateLimited as exc:
                    limited += 1
                    now[0] += exc.retry_after_s
                    continue
                for post in batch.posts:
                    fetched[post.native_id] += 1
                    if post.native_id in created:
                        delays.append(now[0] - created[post.native_id])
                cursor = batch.cursor
                wait = batch.next_poll_after_s or 0.0
                if not batch.more:
                    break
            cycles += 1
            now[0] += max(interval_s, wait)
        source.close()
        requests = len(emulator.requests)
    reached = {i for i, at in created.items() if at <= now[0] - max(interval_s, 0)}
    delays.sort()
    return _XSim(
        expected=len(created),
        once=all(fetched[i] == 1 for i in reached) and max(fetched.values(), default=1) == 1,
        requests=requests,
        rate_limited=limited,
        mean_gap_s=(now[0] - start) / max(cycles, 1),
        mean_s=sum(delays) / max(len(delays), 1),
        p50_s=delays[len(delays) // 2] if delays else 0.0,
        max_s=delays[-1] if delays else 0.0,
    )


# -------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=200)
    parser.add_argument("--interval", type=float, default=120.0, help="poll interval, seconds")
    parser.add_argument("--brands", type=int, default=1, help="brand accounts on X")
    parser.add_argument("--hours", type=float, default=2.0, help="simulated hours (Reddit)")
    args = parser.parse_args()
    bench_reddit(args)
    bench_x(args)


if __name__ == "__main__":
    main()
