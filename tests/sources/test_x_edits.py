"""An earlier version of an edited tweet, heard after a later one, changes nothing.

End to end through the X source built by ``monitor.wiring`` and the X emulator: X lists only
a tweet's latest version, but a retweet made before the last edit brings the version it
retweeted in ``includes.tweets``, and search may index that retweet late. Found in review:
that version overwrote the newer one: the post went back to words the author took back, and
a complaint withdrawn by the edit opened a case.
"""

from __future__ import annotations

from pathlib import Path

from conftest_x import emulator, xclock
from sqlalchemy import select
from test_x_poller import build, close, poll_until_done, settings_for

from monitor.models import Case, Post
from tests.emulators.x import XEmulator
from tests.fakes import FakeClock

__all__ = ["emulator", "xclock"]  # the fixtures, imported from conftest_x


def test_a_version_a_late_retweet_brings_in_is_not_applied(
    emulator: XEmulator, xclock: FakeClock, tmp_path: Path, database_url: str
) -> None:
    first = emulator.add_tweet("amy", "acme widgets arrived today")
    app = build(settings_for(emulator, tmp_path, database_url, include_retweets=True), xclock)

    def stored() -> tuple[dict[str, tuple[str, str | None, str | None]], list[Case]]:
        with app.sessions() as session:
            posts = {
                p.native_id: (p.text, p.version, p.repost_of) for p in session.scalars(select(Post))
            }
            cases = list(session.scalars(select(Case)))
            for case in cases:
                _ = case.events
            return posts, cases

    try:
        poll_until_done(app, xclock)
        xclock.advance(60)
        second = emulator.edit_tweet(first, "acme widgets arrived broken, I want a refund")
        xclock.advance(60)
        retweeted_at = xclock.now  # eve retweets the complaint as it reads now...
        xclock.advance(60)
        third = emulator.edit_tweet(second, "acme widgets arrived fine, my mistake, sorry")
        poll_until_done(app, xclock)
        assert stored()[0][first][:2] == ("acme widgets arrived fine, my mistake, sorry", third)

        # ...and search indexes her retweet only now, the version she saw in its includes
        retweet = emulator.add_tweet("eve", retweet_of=second, created_at=retweeted_at)
        poll_until_done(app, xclock)
        posts, cases = stored()
    finally:
        close(app)
    assert posts[first] == ("acme widgets arrived fine, my mistake, sorry", third, None)
    assert posts[retweet][2] == first  # the retweet itself is stored, a repost of the post
    assert cases == []  # the complaint the author took back opens none
