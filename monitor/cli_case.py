"""``replywatch case RW-N ACTION --as NAME``: claim, resolve, reopen... a case from the command
line, for a team without Slack (the console sink) or a teammate on the server.

Each action is :meth:`monitor.actions.CaseActions.act`, the code behind the case's Slack
buttons: one transaction writes the state change, its event in the trail (naming ``NAME
(cli)`` where Slack writes ``name (slack:U...)``), the clocks it stops, and the outbox row that
rewrites the case's message and adds "Resolved by NAME" to its thread (in Slack or on the
console), which the daemon or the next ``poll --once`` delivers. The command sends nothing
itself, so it needs the database and no Slack or platform secret (as ``cases``).

One line on stdout says what changed and which clocks stopped (or run again). An action the
case's state does not allow ("RW-4 is already resolved.") is one line on stderr and exit 1,
as is a case that does not exist; bad input (no ``--as``, a name the config does not know)
exits 2, as Click does for an unknown action or a malformed case number.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import typer
from rich.markup import escape

from monitor.cli_common import (
    data_console,
    err,
    failures,
    open_database,
    readonly_settings,
    usage_error,
)
from monitor.errors import ConfigError, NotFound

if TYPE_CHECKING:  # imported when an action runs: `replywatch --help` stays quick
    from pathlib import Path

    from monitor.actions import ActionResult
    from monitor.settings import Settings

__all__ = ["ACTION_HELP", "CaseAction", "act_on_case", "cli_actor", "outcome_line", "person"]

#: The actions as typed: each is the Slack button of that name, ``-`` for ``_``
#: (``not-complaint`` is "Not a complaint", ``send-ack`` "Send acknowledgement").
CaseAction = Literal[
    "claim", "responded", "resolve", "not-complaint", "escalate", "reopen", "send-ack"
]

#: What ``replywatch case --help`` says of each action.
ACTION_HELP = (
    "claim: take the case (stops the acknowledge clock); responded: the customer was answered"
    " elsewhere (stops first response); resolve; not-complaint: close it and keep the verdict"
    " as a classifier label; reopen: undo resolve or not-complaint (its clocks run again);"
    " escalate: ask the team lead for help; send-ack: approve the public acknowledgement."
)


def act_on_case(
    case_id: int,
    action: CaseAction | None,
    *,
    who: str | None,
    note: str | None,
    config: Path,
    database_url: str | None,
) -> None:
    """Run ``action`` on case ``case_id`` as ``who`` and print what changed (see the module)."""
    from monitor.actions import CaseActions
    from monitor.models import Case

    if action is None:
        usage_error("--as and --note go with an action: replywatch case RW-N resolve --as NAME")
    if who is None:
        usage_error(f"--as NAME: say who does it ({action} is kept in the case's trail by name)")
    if note is not None and not note.strip():
        usage_error("--note: give the note's text, or leave --note out")
    with failures():
        settings = readonly_settings(config, database_url)
        name = person(settings, who)
        with open_database(settings.database_url) as sessions:
            with sessions() as session:
                found = session.get(Case, case_id)
                team = None if found is None else found.team
            if team is None:  # a runtime answer, exit 1 as for `case RW-N`: the number is fine
                raise NotFound(f"no case RW-{case_id}")
            if team not in settings.teams:  # the action needs the team's channel and standards
                raise ConfigError(
                    "teams",
                    f"RW-{case_id} belongs to team {team!r}, which is not in the config; put it"
                    " back to act on its cases",
                )
            actions = CaseActions(sessions, settings, clock=lambda: datetime.now(UTC), via="cli")
            result = actions.act(
                action.replace("-", "_"),
                case_id,
                actor=cli_actor(name),
                user_name=name,
                note=" ".join(note.split()) if note else None,
            )
    if result.refused:
        err.print(f"[bold red]error:[/] {escape(result.text)}")
        raise typer.Exit(1)
    data_console().print(outcome_line(result), soft_wrap=True)


def cli_actor(name: str) -> str:
    """How a person acting from the command line appears in the trail: ``Ana Lima (cli)``, as
    a Slack user appears as ``ana (slack:U0ANA)``."""
    return f"{name} (cli)"[:128]


def person(settings: Settings, name: str) -> str:
    """``name`` as the config spells it among the teams' members and leads (any case, spaces
    as typed or not): a typo would otherwise own the case, or sign the trail, as nobody. A
    config that names nobody (no members, no leads) takes any name, written as given."""
    wanted = " ".join(name.split())
    if not wanted:
        usage_error("--as: give the name of who does it")
    people = dict.fromkeys(
        p.name for t in settings.teams.values() for p in [*t.members, *([t.lead] if t.lead else [])]
    )
    if not people:
        return wanted
    for known in people:
        if known.casefold() == wanted.casefold():
            return known
    usage_error(
        f"--as: nobody named {wanted!r} is a member or lead of a team in the config"
        f" (people: {', '.join(people)})"
    )


def outcome_line(result: ActionResult) -> str:
    """The action's answer (what Slack tells the clicker), then the clocks it stopped, each
    met or missed, or set running again: ``RW-4 resolved. Clock stopped: resolve (met).``. A
    case closed as not a complaint has no clocks that count, and the answer says so."""
    from monitor.models import CaseStatus

    line = result.text
    if result.status == CaseStatus.DISMISSED:
        return line
    if result.stopped:
        clocks = [
            f"{name.replace('_', ' ')} ("
            + ("met" if state.met else f"missed, was due {state.due_at:%Y-%m-%d %H:%M}Z")
            + ")"
            for name, state in result.stopped.items()
        ]
        line += f" Clock{'s' if len(clocks) > 1 else ''} stopped: {', '.join(clocks)}."
    if result.restarted:
        names = [name.replace("_", " ") for name in result.restarted]
        line += f" Running again: {', '.join(names)}."
    return line
