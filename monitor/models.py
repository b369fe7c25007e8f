"""The data model. ``monitor`` owns it; sources, classifiers and alerts never touch it.

Times are stored as aware UTC datetimes (``UtcDateTime``), on SQLite too. States are ``str``
enums stored as text. Every table change goes through an Alembic migration in
``monitor/migrations/versions``; a test checks the models and the migrations agree.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Author",
    "Base",
    "BrandAccount",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "EntityMatch",
    "Label",
    "LeaderLease",
    "Outbox",
    "OutboxKind",
    "OutboxStatus",
    "Post",
    "SourceCursor",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class CaseStatus(enum.StrEnum):
    OPEN = "open"  # opened, nobody has claimed or acknowledged it yet
    ACKNOWLEDGED = "acknowledged"  # a person claimed it or an acknowledgement went out
    RESPONDED = "responded"  # a brand account replied or someone marked it responded
    RESOLVED = "resolved"  # closed as handled
    DISMISSED = "dismissed"  # "not a complaint": closed, and kept as a classifier label


class OutboxKind(enum.StrEnum):
    ALERT = "alert"  # first Slack message for a case
    ALERT_UPDATE = "alert_update"  # chat.update + a thread line after a state change
    ESCALATION = "escalation"  # a warning or breach message to an owner, lead or PR channel
    PUBLIC_REPLY = "public_reply"  # a templated acknowledgement posted on the platform
    NOTICE = "notice"  # any other message to a channel (crisis, quiet account, digest)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # written with its cause, not yet tried (or due for a retry)
    CLAIMED = "claimed"  # a sender holds a lease on it until claimed_until
    SENT = "sent"  # the effect is confirmed; never sent again
    FAILED = "failed"  # gave up after repeated or permanent failures; needs a person


class Author(Base):
    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("platform", "native_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    native_id: Mapped[str] = mapped_column(Text)
    handle: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    followers: Mapped[int | None] = mapped_column(Integer)
    is_brand: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "native_id"),
        Index("ix_posts_in_reply_to", "platform", "in_reply_to"),
        Index("ix_posts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    native_id: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="post")
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    repost_of: Mapped[str | None] = mapped_column(Text)
    conversation_id: Mapped[str | None] = mapped_column(Text)
    #: The native id of the version stored (:attr:`sources.base.SourcePost.version`), where
    #: each edit gets an id of its own (X); ``None``: the first version, or a row stored before
    #: versions were. An older version polled after a newer one is not applied.
    version: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: True for the brand's own posts: responses, never mentions.
    is_brand_response: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    complaint: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str | None] = mapped_column(String(16))
    severity_reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    #: The verdict's model names, as long as they come: two hub ids with their commits.
    classifier: Mapped[str | None] = mapped_column(Text)

    author: Mapped[Author] = relationship(lazy="joined")
    matches: Mapped[list[EntityMatch]] = relationship(back_populates="post")


class EntityMatch(Base):
    __tablename__ = "entity_matches"
    __table_args__ = (UniqueConstraint("post_id", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(String(128), index=True)
    term: Mapped[str] = mapped_column(String(512))

    post: Mapped[Post] = relationship(back_populates="matches")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_team_status", "team", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    entity_id: Mapped[str] = mapped_column(String(128))
    team: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Where the case's Slack message lives, once the alert is confirmed.
    #: (The console's receipt is the channel's name, up to 81 characters, and the alert's
    #: key, which holds the post's native id: Text, as those are.)
    slack_channel: Mapped[str | None] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(Text)

    post: Mapped[Post] = relationship(lazy="joined")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )


class CaseEvent(Base):
    """The audit trail: every state change, who made it and when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    case: Mapped[Case] = relationship(back_populates="events")


class Outbox(Base):
    """An outward effect, written in the same transaction as its cause, sent at most once."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "due_at"),
        # the acknowledgement limits count the public replies of the last day or hour: without
        # it, every new case scanned the whole outbox (never pruned) twice
        Index("ix_outbox_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    #: Where it goes: a Slack channel, the console, a platform account.
    target: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: What the far side returned (a Slack ts, a reply's native id).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SourceCursor(Base):
    __tablename__ = "source_cursors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BrandAccount(Base):
    __tablename__ = "brand_accounts"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    #: Lower-cased, without @ or u/.
    handle: Mapped[str] = mapped_column(String(256))
    native_id: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(128))
    last_reply_at: Mapped[datetime | None]


class Label(Base):
    """A verdict a person corrected: training data for the classifier."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    #: ``complaint`` or ``sentiment``.
    task: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderLease(Base):
    """One row per lock name; the holder renews ``lease_until`` while it runs the pollers."""

    __tablename__ = "leader_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    lease_until: Mapped[datetime]
