"""Block Kit checked as Slack checks it: the emulator answers ``invalid_blocks`` with these
messages, and the tests run rendered alerts through :func:`validate_blocks` directly."""

from __future__ import annotations

from typing import Any

__all__ = ["validate_blocks"]

_TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}


def _check_text(
    obj: Any, where: str, limit: int, errors: list[str], *, plain_only: bool = False
) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in _TEXT_KEYS:
        errors.append(f"must be a text object [json-pointer:{where}]")
        return
    if plain_only and obj["type"] != "plain_text":
        errors.append(f"must be plain_text [json-pointer:{where}/type]")
    extra = set(obj) - _TEXT_KEYS[obj["type"]]
    if extra:
        errors.append(f"unsupported field(s) {sorted(extra)} [json-pointer:{where}]")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"must be more than 0 characters [json-pointer:{where}/text]")
    elif len(text) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{where}/text]")


def _check_button(el: dict[str, Any], where: str, errors: list[str]) -> None:
    _check_text(el.get("text"), f"{where}/text", 75, errors, plain_only=True)
    if len(str(el.get("action_id", ""))) > 255:
        errors.append(f"must be less than 256 characters [json-pointer:{where}/action_id]")
    if "value" in el and len(str(el["value"])) > 2000:
        errors.append(f"must be less than 2001 characters [json-pointer:{where}/value]")
    if "url" in el and len(str(el["url"])) > 3000:
        errors.append(f"must be less than 3001 characters [json-pointer:{where}/url]")
    if "style" in el and el["style"] not in ("primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{where}/style]")
    confirm = el.get("confirm")
    if confirm is not None:
        c = f"{where}/confirm"
        _check_text(confirm.get("title"), f"{c}/title", 100, errors, plain_only=True)
        _check_text(confirm.get("text"), f"{c}/text", 300, errors)
        _check_text(confirm.get("confirm"), f"{c}/confirm", 30, errors, plain_only=True)
        _check_text(confirm.get("deny"), f"{c}/deny", 30, errors, plain_only=True)


def _check_element(el: Any, where: str, errors: list[str]) -> None:
    if not isinstance(el, dict):
        errors.append(f"must be an object [json-pointer:{where}]")
    elif el.get("type") == "button":
        _check_button(el, where, errors)
    elif el.get("type") == "image":
        if not el.get("image_url") or not el.get("alt_text"):
            errors.append(f"image needs image_url and alt_text [json-pointer:{where}]")
    else:
        errors.append(f"unsupported element type {el.get('type')!r} [json-pointer:{where}]")


def validate_blocks(blocks: Any) -> list[str]:
    """Slack's Block Kit checks for a message (the subset replywatch uses); ``[]`` when valid."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    if len(blocks) > 50:
        errors.append("must be less than 51 items [json-pointer:/blocks]")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict):
            errors.append(f"must be an object [json-pointer:{where}]")
            continue
        kind = block.get("type")
        if "block_id" in block:
            bid = str(block["block_id"])
            if len(bid) > 255:
                errors.append(f"must be less than 256 characters [json-pointer:{where}/block_id]")
            if bid in block_ids:
                errors.append(f"duplicate block_id [json-pointer:{where}/block_id]")
            block_ids.add(bid)
        if kind == "header":
            _check_text(block.get("text"), f"{where}/text", 150, errors, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"must provide text or fields [json-pointer:{where}]")
            if "text" in block:
                _check_text(block["text"], f"{where}/text", 3000, errors)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                    errors.append(f"must be 1 to 10 items [json-pointer:{where}/fields]")
                else:
                    for j, f in enumerate(fields):
                        _check_text(f, f"{where}/fields/{j}", 2000, errors)
            if "accessory" in block:
                _check_element(block["accessory"], f"{where}/accessory", errors)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                errors.append(f"must be 1 to 10 items [json-pointer:{where}/elements]")
                continue
            for j, el in enumerate(elements):
                if isinstance(el, dict) and el.get("type") == "image":
                    _check_element(el, f"{where}/elements/{j}", errors)
                else:
                    _check_text(el, f"{where}/elements/{j}", 3000, errors)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                errors.append(f"must be 1 to 25 items [json-pointer:{where}/elements]")
                continue
            seen: set[str] = set()
            for j, el in enumerate(elements):
                _check_element(el, f"{where}/elements/{j}", errors)
                aid = el.get("action_id") if isinstance(el, dict) else None
                if aid is not None:
                    if aid in seen:
                        errors.append(
                            f"duplicate action_id [json-pointer:{where}/elements/{j}/action_id]"
                        )
                    seen.add(aid)
        elif kind == "divider":
            pass
        else:
            errors.append(f"unsupported block type {kind!r} [json-pointer:{where}/type]")
    return errors


# -- the emulator --------------------------------------------------------------------------
