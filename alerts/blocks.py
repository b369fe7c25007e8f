"""Block Kit rendering for Slack alerts, digests and thread lines: pure functions, no I/O.

Everything a post's author controls (the post text, the author's handle, earlier cases) is
*data*, never markup. Three things make it so:

* :func:`clean_text` removes characters that disguise text: bidi overrides, embeddings and
  isolates (U+202A-U+202E, U+2066-U+2069), zero-width spaces and joiners, word joiners, the
  BOM, soft hyphens, invisible operators, Hangul fillers, Unicode tag characters (used for
  "ASCII smuggling") and C0/C1 control characters other than newline and tab. It keeps ZWNJ
  (U+200C), which Persian needs inside words, keeps ZWJ between emoji (family and flag
  sequences), and keeps the bidi *marks* LRM/RLM/ALM, which cannot reverse or hide text.
* :func:`escape_text` then applies Slack's escaping rules (``&`` ``<`` ``>`` become
  ``&amp;`` ``&lt;`` ``&gt;``) to text Slack parses: ``mrkdwn`` objects and the message's
  ``text`` fallback. No ``<!channel>``, ``<@U123>``, ``<#C123>`` or ``<https://evil|click>``
  can be smuggled into them. ``mrkdwn`` objects also set ``verbatim: true`` so bare URLs and
  ``@here`` are not turned into links.
* ``plain_text`` objects (headers, buttons, context lines, the post body) are cleaned but
  *not* escaped: Slack parses nothing in them, so ``<!channel>`` there is shown as typed and
  pings nobody, while an entity would be shown literally (``&lt;team&gt;``). The post body's
  object sets ``emoji: false``, so ``:shortcodes:`` in a post render literally too.

Right-to-left text stays readable because each user-supplied value starts its own line (a
field's label and value are separate paragraphs), so Slack's bidi algorithm picks the
direction of each from its own first strong character.

Slack's limits (checked by ``tests/emulators/slack.py`` as Slack does) are kept with a margin:
lengths are measured in UTF-16 code units, which is never less than the code-point count.
Truncation never splits an entity such as ``&amp;`` and ends with "…".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

from alerts.base import Alert

__all__ = [
    "ACTIONS",
    "ACTION_PREFIX",
    "LIMITS",
    "OPEN_POST_ACTION_ID",
    "Rendered",
    "action_id",
    "action_name",
    "clean_text",
    "escape_text",
    "fit",
    "mentions",
    "render_alert",
    "render_digest",
    "safe_url",
]

#: Case actions a message can offer, in display order: name -> button label.
ACTIONS: Mapping[str, str] = {
    "claim": "Claim",
    "responded": "Mark responded",
    "resolve": "Resolve",
    "not_complaint": "Not a complaint",
    "escalate": "Escalate",
    "reopen": "Reopen",
    "send_ack": "Send acknowledgement",
}
ACTION_PREFIX = "rw_"
#: The "Open post" link button. Slack still sends an interaction for link buttons; the bolt
#: app acknowledges it and does nothing else.
OPEN_POST_ACTION_ID = "rw_open_post"

#: Slack's documented Block Kit and message limits.
LIMITS: Mapping[str, int] = {
    "blocks": 50,
    "header_text": 150,
    "section_text": 3000,
    "fields": 10,
    "field_text": 2000,
    "button_text": 75,
    "button_value": 2000,
    "button_url": 3000,
    "action_id": 255,
    "block_id": 255,
    "actions_elements": 25,
    "context_elements": 10,
    "context_text": 3000,
    "confirm_title": 100,
    "confirm_text": 300,
    "confirm_button": 30,
    "message_text": 40000,
}

#: How much of a post a message shows; the rest is behind the "Open post" button.
POST_TEXT_CHARS = 2800
#: How much of a reply a thread line quotes (an answer is judged by its start; the rest is
#: behind its "Open reply" button, where the platform gave a link).
QUOTE_CHARS = 1200
#: The notification fallback (``text``) is a short summary, not the post.
FALLBACK_CHARS = 300
DIGEST_LIMIT = 15
_HISTORY_SHOWN = 5

_STYLES = {"claim": "primary", "escalate": "danger"}
_CONFIRM = {
    "send_ack": (
        "Send acknowledgement?",
        "This posts the team's templated acknowledgement publicly, as the brand account.",
        "Send it",
    ),
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready for ``chat.postMessage`` / ``chat.update``: ``text`` is the escaped
    notification fallback, ``blocks`` the Block Kit layout."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def action_id(name: str) -> str:
    """``claim`` -> ``rw_claim``; raises ``KeyError`` for an unknown action."""
    ACTIONS[name]
    return ACTION_PREFIX + name


def action_name(action_id_: str) -> str | None:
    """``rw_claim`` -> ``claim``; ``None`` when the id is not one of ours."""
    if not action_id_.startswith(ACTION_PREFIX):
        return None
    name = action_id_[len(ACTION_PREFIX) :]
    return name if name in ACTIONS else None


# -- text hygiene ------------------------------------------------------------------------
def _invisible() -> dict[int, None]:
    points = [0x00AD, 0x115F, 0x1160, 0x180E, 0x200B]  # soft hyphen, fillers, ZWSP
    points += list(range(0x202A, 0x202F))  # LRE RLE PDF LRO RLO
    points += list(range(0x2060, 0x2065))  # word joiner, invisible operators
    points += list(range(0x2066, 0x2070))  # LRI RLI FSI PDI + deprecated format controls
    points += [0x3164, 0xFEFF, 0xFFA0, 0xFFF9, 0xFFFA, 0xFFFB]
    points += list(range(0xE0000, 0xE0080))  # tag characters
    points += [c for c in range(0x20) if c not in (0x09, 0x0A)]
    points += list(range(0x7F, 0xA0))
    return dict.fromkeys(points)


_DROP = _invisible()
_ZWJ = "\u200d"
_EMOJI = r"[\u00a9\u00ae\u203c-\u3299\ufe0f\U0001f000-\U0001faff]"
#: A ZWJ survives only between two emoji (👨‍👩‍👧); anywhere else it can hide text.
_LONE_ZWJ = re.compile(rf"(?<!{_EMOJI}){_ZWJ}+|{_ZWJ}+(?!{_EMOJI})")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE_RE = re.compile("[&<>]")
_MEMBER = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def clean_text(text: str) -> str:
    """Remove characters that can disguise or reorder text; keep every visible character.

    Line and paragraph separators become newlines; ``\\r\\n`` and ``\\r`` become ``\\n``.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.translate(_DROP)
    if _ZWJ in text:
        text = _LONE_ZWJ.sub("", text)
    return text


def escape_text(text: str) -> str:
    """:func:`clean_text`, then Slack's escaping of ``&``, ``<`` and ``>``."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], clean_text(text))


def _units(text: str) -> int:
    """Length as Slack may count it (UTF-16 code units): never less than ``len``."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def fit(text: str, limit: int, *, ellipsis: str = "…", escape: bool = True) -> str:
    """Clean and escape ``text`` and cut it to at most ``limit`` UTF-16 units.

    ``escape=False`` cleans without escaping, for ``plain_text`` objects (Slack would show an
    entity there as typed). A cut ends with ``ellipsis``, prefers a word boundary near the
    end, and never splits an entity (``&amp;``) or a surrogate pair.
    """
    escapes = _ESCAPES if escape else {}
    shown = escape_text(text) if escape else clean_text(text)
    if _units(shown) <= limit:
        return shown
    budget = limit - _units(ellipsis)
    out: list[str] = []
    used = 0
    for ch in clean_text(text):
        piece = escapes.get(ch, ch)
        size = _units(piece)
        if used + size > budget:
            break
        out.append(piece)
        used += size
    cut = "".join(out)
    space = max(cut.rfind(" ", len(cut) - 40), cut.rfind("\n", len(cut) - 40))
    if space > len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for a button, or ``None``. Characters that could break Slack's
    ``<url|label>`` syntax (spaces, ``<``, ``>``, ``|``, quotes, controls) are
    percent-encoded; anything longer than Slack's 3,000 characters is dropped."""
    if not url:
        return None
    url = clean_text(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    url = quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")
    return url if len(url) <= LIMITS["button_url"] else None


# -- block builders ----------------------------------------------------------------------
def _plain(text: str, limit: int, *, emoji: bool = True) -> dict[str, Any]:
    """A ``plain_text`` object: ``text`` cleaned and cut, never escaped (see the module's
    docstring), so pass it raw."""
    return {"type": "plain_text", "text": fit(text, limit, escape=False) or " ", "emoji": emoji}


def _mrkdwn(text: str) -> dict[str, Any]:
    """``text`` must already be escaped and within its limit."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _field(label: str, value: str) -> dict[str, Any]:
    head = f"*{escape_text(label)}*\n"
    return _mrkdwn(head + fit(value or "-", LIMITS["field_text"] - _units(head)))


def _button(action: str, case_id: int) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id(action),
        "text": _plain(ACTIONS[action], LIMITS["button_text"]),
        "value": str(case_id),
    }
    if action in _STYLES:
        button["style"] = _STYLES[action]
    if action in _CONFIRM:
        title, text, yes = _CONFIRM[action]
        button["confirm"] = {
            "title": _plain(title, LIMITS["confirm_title"]),
            "text": _plain(text, LIMITS["confirm_text"]),
            "confirm": _plain(yes, LIMITS["confirm_button"]),
            "deny": _plain("Cancel", LIMITS["confirm_button"]),
        }
    return button


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _fields(alert: Alert) -> list[dict[str, Any]]:
    fields = [_field(str(k), str(v)) for k, v in alert.fields.items()]
    extra = alert.extra
    if "history" in extra:
        history = [str(h) for h in extra.get("history") or []]
        shown = history[:_HISTORY_SHOWN]
        if len(history) > len(shown):
            shown.append(f"+{len(history) - len(shown)} more")
        fields.append(_field("Earlier cases", "\n".join(shown) if shown else "none"))
    due = extra.get("due") or {}
    if due:
        lines = [f"{str(k).replace('_', ' ')}: {v}" for k, v in due.items()]
        fields.append(_field("Due", "\n".join(lines)))
    return fields


def render_alert(alert: Alert) -> Rendered:
    """Render an alert (a case, a notice or a thread line) as Block Kit.

    Layout: a header with the title (a plain section in a thread, where ``alert.thread_ts``
    is set); sections of fields (``alert.fields`` in order, then
    "Earlier cases" from ``extra["history"]`` and "Due" from ``extra["due"]``); the post's
    text as plain text (cut to :data:`POST_TEXT_CHARS`, with a note when cut); a status line
    from ``extra["status"]``; and an actions row: "Open post" (when ``alert.url`` is a safe
    http(s) URL) plus one button per name in ``extra["actions"]`` (needs ``alert.case_id``;
    unknown names are ignored). ``text`` is a short escaped fallback for notifications.

    A thread line's ``text`` is the reply it quotes (the brand's answer, the acknowledgement
    sent): shown under the line as a post is (plain text, cleaned), cut to
    :data:`QUOTE_CHARS`, its link as an "Open reply" button; the fallback reads
    "Answered by @X: <the start of the reply>", escaped.
    """
    blocks: list[dict[str, Any]] = []
    if alert.title and alert.thread_ts:  # a line in a case's thread: no loud header
        section_text = _plain(alert.title, LIMITS["section_text"], emoji=True)
        blocks.append({"type": "section", "text": section_text})
    elif alert.title:
        blocks.append({"type": "header", "text": _plain(alert.title, LIMITS["header_text"])})
    fields = _fields(alert)
    for chunk in _chunks(fields, LIMITS["fields"]):
        blocks.append({"type": "section", "fields": list(chunk)})
    body = clean_text(alert.text).strip()
    # a thread line's text is the reply it quotes (the brand's answer, an acknowledgement)
    noun, limit = ("Reply", QUOTE_CHARS) if alert.thread_ts else ("Post", POST_TEXT_CHARS)
    if body:
        if fields:
            blocks.append({"type": "divider"})
        shown = fit(body, min(limit, LIMITS["section_text"]), escape=False)
        blocks.append(
            {"type": "section", "text": {"type": "plain_text", "text": shown, "emoji": False}}
        )
        if shown.endswith("…") and len(body) > limit // 2:
            rest = "open it for the rest" if safe_url(alert.url) else "the rest is not shown"
            note = f"{noun} cut to fit Slack ({len(body):,} characters); {rest}."
            blocks.append({"type": "context", "elements": [_plain(note, 300)]})
    status = str(alert.extra.get("status") or "").strip()
    if status:
        blocks.append(
            {"type": "context", "elements": [_plain(status, LIMITS["context_text"], emoji=True)]}
        )
    buttons: list[dict[str, Any]] = []
    url = safe_url(alert.url)
    if url:
        buttons.append(
            {
                "type": "button",
                "action_id": OPEN_POST_ACTION_ID,
                "text": _plain(f"Open {noun.lower()}", LIMITS["button_text"]),
                "url": url,
            }
        )
    if alert.case_id is not None:
        wanted = {str(a) for a in alert.extra.get("actions") or ()}
        buttons += [_button(a, alert.case_id) for a in ACTIONS if a in wanted]
    if buttons:
        block_id = f"rw_actions_{alert.case_id}" if alert.case_id is not None else "rw_actions"
        blocks.append({"type": "actions", "block_id": block_id, "elements": buttons})
    return _rendered(
        blocks,
        alert.extra.get("mentions"),
        lambda limit: _fallback(alert.title, alert.text, limit),
    )


def _rendered(
    blocks: list[dict[str, Any]], ping: object, fallback: Callable[[int], str]
) -> Rendered:
    """The message: ``blocks`` within Slack's limit and the notification text, ``fallback``
    of the characters left. Member ids in ``ping`` (:func:`mentions`) go first, in a line of
    their own after the header: checked ids, the only markup left unescaped."""
    at = mentions(ping)
    if not at:
        return Rendered(text=fallback(FALLBACK_CHARS), blocks=blocks[: LIMITS["blocks"]])
    blocks.insert(
        1 if blocks and blocks[0]["type"] == "header" else 0,
        {"type": "section", "text": _mrkdwn(at)},
    )
    text = f"{at} {fallback(FALLBACK_CHARS - len(at) - 1)}"
    return Rendered(text=text, blocks=blocks[: LIMITS["blocks"]])


def mentions(ids: object) -> str:
    """``<@U…>`` for each Slack member id in ``ids`` that is one ("U" or "W" and capitals
    and digits): a breach pings its lead, a warning its owner."""
    if not isinstance(ids, list | tuple):
        return ""
    return " ".join(
        f"<@{i}>" for i in dict.fromkeys(ids) if isinstance(i, str) and _MEMBER.match(i)
    )


def _fallback(title: str, text: str, limit: int = FALLBACK_CHARS) -> str:
    snippet = " ".join(clean_text(text).split())
    if title and snippet:
        return fit(f"{title}: {snippet}", limit)
    return fit(title or snippet or "replywatch alert", limit)


def _as_alert(item: Alert | Mapping[str, Any], channel: str) -> Alert:
    if isinstance(item, Alert):
        return item
    return Alert(
        key=str(item.get("key", "")),
        kind=str(item.get("kind", "case")),
        channel=str(item.get("channel", channel)),
        title=str(item.get("title", "")),
        fields=dict(item.get("fields") or {}),
        text=str(item.get("text", "")),
        url=item.get("url"),
        case_id=item.get("case_id"),
        extra=dict(item.get("extra") or {}),
    )


def render_digest(
    channel: str,
    alerts: Sequence[Alert | Mapping[str, Any]],
    *,
    limit: int = DIGEST_LIMIT,
    total: int | None = None,
    title: str | None = None,
    ping: object = None,
) -> Rendered:
    """One summary message for a channel with a backlog: up to ``limit`` cases, each a
    linked title, its number (RW-N) and a Claim button, then a one-line snippet of the post
    (plain text); then "…and N more". ``ping``: Slack member ids to mention, as
    :func:`mentions` takes them (a digest of clock breaches pings the leads its notices would
    have pinged).

    ``alerts`` may be :class:`Alert` objects or their JSON form (mappings with ``title``,
    ``url``, ``case_id``, ``text``, ``fields``). ``total`` is the backlog size when it is
    larger than ``len(alerts)``; ``title`` replaces the header ("N open cases waiting in
    <channel>"). The monitor decides when a digest replaces single alerts.
    """
    items = [_as_alert(a, channel) for a in alerts]
    total = max(total or 0, len(items))
    limit = max(1, min(limit, (LIMITS["blocks"] - 2) // 2))
    shown = items[:limit]
    noun = "case" if total == 1 else "cases"
    title = title or f"{total} open {noun} waiting in {channel}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(title, LIMITS["header_text"])}
    ]
    for item in shown:
        case = None if item.case_id is None else f"RW-{item.case_id}"
        label = item.title or case or "Alert"
        # a link's target is mrkdwn too: its "&"s are escaped like any other (Slack decodes them)
        link = escape_text(safe_url(item.url) or "")
        if len(link) > LIMITS["section_text"] - 600:  # keep the section under 3,000
            link = ""
        head = f"<{link}|{fit(label, 300)}>" if link else fit(label, 300)
        if case is not None and item.title:
            head += f"  ·  {escape_text(case)}"
        owner = item.fields.get("Owner")
        if owner:
            head += f"  ·  {fit(str(owner), 100)}"
        section: dict[str, Any] = {"type": "section", "text": _mrkdwn(head)}
        if item.case_id is not None:  # a folded case has no message, so no buttons, of its own
            section["accessory"] = _button("claim", item.case_id)
        blocks.append(section)
        snippet = " ".join(clean_text(item.text).split())
        if snippet:
            blocks.append({"type": "context", "elements": [_plain(snippet, 200, emoji=False)]})
    if total > len(shown):
        more = f"…and {total - len(shown)} more not shown: /replywatch <team> lists them."
        blocks.append({"type": "context", "elements": [_plain(more, 300)]})
    return _rendered(blocks, ping, partial(fit, title))
