"""Which post a link pasted into Slack means."""

import pytest

from monitor.post_links import bare_link, post_keys


@pytest.mark.parametrize(
    ("ref", "keys"),
    [
        ("https://x.com/maria/status/1861234567890", [("x", "1861234567890")]),
        ("<https://twitter.com/maria/status/42?s=20|a tweet>", [("x", "42")]),
        ("https://mobile.twitter.com/maria/statuses/42/", [("x", "42")]),
        (
            "https://www.reddit.com/r/coffee/comments/1abcde/pod_x2_leaks/",
            [("reddit", "t3_1abcde")],
        ),
        (
            "https://old.reddit.com/r/coffee/comments/1abcde/pod_x2_leaks/kx9y8z7/?context=3",
            [("reddit", "t1_kx9y8z7")],
        ),
        ("https://redd.it/1ABCDE", [("reddit", "t3_1abcde")]),
        ("reddit:t3_1abcde", [("reddit", "t3_1abcde"), (None, "reddit:t3_1abcde")]),
        ("x-1001", [(None, "x-1001")]),
        ("https://example.com/post/9", [(None, "https://example.com/post/9")]),
    ],
)
def test_post_keys(ref: str, keys: list[tuple[str | None, str]]) -> None:
    assert post_keys(ref) == keys


def test_bare_link_drops_slacks_brackets_and_label() -> None:
    assert bare_link(" <https://x.com/a/status/1|x.com/a/status/1> ") == "https://x.com/a/status/1"
    assert bare_link("https://x.com/a/status/1") == "https://x.com/a/status/1"
