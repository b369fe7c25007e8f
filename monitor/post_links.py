"""Which stored post a person means: a link pasted into Slack, or ``platform:id``.

Pure parsing; :func:`post_keys` gives the (platform, native id) keys to look up. Slack wraps a
pasted link in angle brackets (``<https://x.com/a/status/1>``, or ``<url|label>``).
"""

from __future__ import annotations

import re

__all__ = ["bare_link", "post_keys"]

_X_STATUS = re.compile(r"(?:^|[/.])(?:twitter|x)\.com/[^/\s]+/status(?:es)?/(\d+)", re.I)
# a submission, or a comment below it: /r/sub/comments/<post>/<slug>/<comment>/
_REDDIT = re.compile(
    r"(?:^|[/.])(?:redd\.it/([a-z0-9]+)|reddit\.com/(?:r/[^/\s]+/)?comments/([a-z0-9]+)"
    r"(?:/[^/\s]*/([a-z0-9]+))?)",
    re.I,
)
_PLATFORM_ID = re.compile(r"^([a-z][a-z0-9_-]*):(\S+)$", re.I)


def bare_link(ref: str) -> str:
    """``ref`` without Slack's angle brackets and label."""
    ref = ref.strip()
    if ref.startswith("<") and ref.endswith(">"):
        ref = ref[1:-1].split("|", 1)[0]
    return ref


def post_keys(ref: str) -> list[tuple[str | None, str]]:
    """(platform, native id) keys ``ref`` may mean; platform ``None``: any platform.

    X and Reddit links give the post's id (Reddit ids as fullnames, ``t3_`` for a submission,
    ``t1_`` for a comment); ``platform:id`` gives itself; anything else is taken as an id.
    """
    ref = bare_link(ref)
    if m := _X_STATUS.search(ref):
        return [("x", m.group(1))]
    if m := _REDDIT.search(ref):
        short, post, comment = m.groups()
        return [("reddit", f"t1_{comment.lower()}" if comment else f"t3_{(short or post).lower()}")]
    if "://" not in ref and (m := _PLATFORM_ID.match(ref)):
        return [(m.group(1).lower(), m.group(2)), (None, ref)]
    return [(None, ref)]
