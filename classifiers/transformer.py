"""Transformer backend: a transformers sequence-classification model for sentiment, and
optionally one for complaints (it scores the posts routed to English, as the offline complaint
model does; other languages keep the complaint rule on this sentiment); language, reasons and
severity come from the offline rules.

The only module that imports ``torch`` and ``transformers`` (the optional ``transformers``
extra). Models are a hub id or a local directory; loading problems of every kind (package
missing, no such model, a path that is no folder, no network, corrupt weights, labels we
cannot map) are raised as :class:`ClassifierError`, which :func:`classifiers.load_classifier`
turns into a warning and the offline default.

Speed: texts are tokenised once without padding, sorted by length, and cut into batches
that are padded only to their own longest text (dynamic padding), under
``torch.inference_mode``; results go back to input order. The classification head of
BERT-style models reads only the first token of the last layer, so that layer is computed for
the first token alone (keys and values still from every token): the same logits for about a
twelfth less work, checked against the full model at load. On CPU, ``quantize=True`` swaps
the linear layers for int8 dynamic-quantised ones (``torch.ao.quantization``), packed for
oneDNN where torch has it.

Label names are mapped whatever their case or style: ``Negative``/``neg``/``NEGATIVE``,
``LABEL_0``..``LABEL_2`` or bare indices (read as negative, neutral, positive; or negative,
positive for two labels), and star ratings (``1 star``..``5 stars``: 1-2 negative, 3
neutral, 4-5 positive). Complaint models: ``complaint``/``yes``/``true``/``LABEL_1`` is a
complaint; ``not_complaint``/``non_complaint``/``no``/``false``/``LABEL_0`` is not.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import Verdict
from classifiers.offline import SENTIMENT_LABELS, OfflineClassifier
from classifiers.text import valid_text
from monitor.errors import ClassifierError

__all__ = ["TransformerClassifier", "map_complaint_labels", "map_sentiment_labels"]

#: What ``classifier finetune`` writes beside a model it trained (base, task, rows, figures).
FINETUNE_META = "replywatch-finetune.json"

log = logging.getLogger(__name__)

_GENERIC = re.compile(r"^(?:label[_ ]?)?(\d+)$")
_STARS = re.compile(r"^(\d)\s*stars?$")


def map_sentiment_labels(id2label: Mapping[int, str]) -> np.ndarray:
    """A (num_labels x 3) matrix taking model probabilities to negative/neutral/positive.

    Raises :class:`ClassifierError` naming the labels it cannot read.
    """
    n = len(id2label)
    m = np.zeros((n, 3))
    for idx in range(n):
        raw = str(id2label[idx]).strip()
        name = raw.lower().replace("-", "_")
        generic = _GENERIC.match(name)
        stars = _STARS.match(name)
        if generic and n in (2, 3):
            k = int(generic.group(1))
            if k >= n:
                raise ClassifierError(f"label {raw!r} out of range for {n} labels")
            target = ("negative", "positive")[k] if n == 2 else SENTIMENT_LABELS[k]
        elif stars:
            s = int(stars.group(1))
            target = "negative" if s <= 2 else "neutral" if s == 3 else "positive"
        elif name.startswith("neg"):
            target = "negative"
        elif name.startswith("neu") or name in ("none", "mixed", "objective"):
            target = "neutral"
        elif name.startswith("pos"):
            target = "positive"
        else:
            raise ClassifierError(
                f"cannot map sentiment label {raw!r} (labels: {sorted(id2label.values())})"
            )
        m[idx, SENTIMENT_LABELS.index(target)] = 1.0
    if m[:, 0].sum() == 0 or m[:, 2].sum() == 0:
        raise ClassifierError(
            f"sentiment labels {list(id2label.values())} lack negative or positive"
        )
    return m


def map_complaint_labels(id2label: Mapping[int, str]) -> int:
    """The index of the complaint label of a two-label complaint model."""
    names = {
        idx: str(id2label[idx]).strip().lower().replace("-", "_") for idx in range(len(id2label))
    }
    if len(names) != 2:
        raise ClassifierError(f"a complaint model needs two labels, got {len(names)}")
    for idx, name in names.items():
        if name in ("complaint", "yes", "true", "label_1", "1", "complain"):
            other = names[1 - idx]
            if other.startswith(("not", "non", "no", "false", "label_0", "0")):
                return idx
    raise ClassifierError(
        f"cannot tell which complaint label is the complaint: {list(names.values())}"
    )


def load_failure(exc: BaseException) -> str:
    """The first line of why transformers could not load a model, for a one-line error."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: How a model written as a path starts (POSIX and Windows spellings).
_PATH_STARTS = ("./", "../", "/", "~", ".\\", "..\\")


def _model_source(setting: str, source: str) -> str:
    """What to load for the model configured as ``setting``: a hub id as written, a folder
    with ``~`` expanded.

    transformers reads a folder that does not exist as a hub id, and answers a path with
    huggingface_hub's rules for ids ("Repo id must use alphanumeric chars..."), which says
    nothing of the typo; it does not expand ``~`` either. So a model written as a path (it
    starts with ``./``, ``../``, ``/`` or ``~``, or holds this OS's separator where that is
    not ``/``) must be a folder here, or :class:`ClassifierError` names the setting. Anything
    else (``org/name``, a bare folder name) goes to transformers as written.
    """
    written_as_path = (
        source.startswith(_PATH_STARTS)
        or (os.sep != "/" and os.sep in source)
        or Path(source).is_absolute()
    )
    if not written_as_path:
        return source
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise ClassifierError(
            f"{setting}: no folder {source} (a local model is a folder with config.json; "
            "a hub id looks like org/name)"
        )
    return str(folder)


def _import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ClassifierError(
            "the transformers backend needs `pip install replywatch[transformers]` "
            f"({exc.name} is missing)"
        ) from None
    return torch, transformers


class _Model:
    """One tokenizer and sequence-classification model, ready for batched inference."""

    def __init__(
        self,
        source: str,
        *,
        device: str,
        quantize: bool,
        max_length: int,
        max_batch_tokens: int,
    ) -> None:
        torch, transformers = _import_torch()
        self.torch = torch
        self.max_batch_tokens = max_batch_tokens
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(source)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(source)
        except Exception as exc:  # OSError, ValueError, HTTP errors, corrupt files...
            raise ClassifierError(f"cannot load model {source!r}: {load_failure(exc)}") from exc
        model.eval()
        try:
            self.device = torch.device(device)
            model.to(self.device)
        except (RuntimeError, AssertionError) as exc:
            raise ClassifierError(f"cannot use device {device!r} for {source!r}: {exc}") from exc
        if _first_token_only(torch, model, self.tokenizer, self.device):
            log.debug("%s: last layer computed for the first token only", source)
        if quantize:
            if self.device.type != "cpu":
                raise ClassifierError("int8 dynamic quantisation runs on CPU only")
            _quantize(torch, model)
        self.model = model
        self.id2label = {int(k): v for k, v in model.config.id2label.items()}
        limit = getattr(self.tokenizer, "model_max_length", max_length) or max_length
        self.max_length = int(min(max_length, limit))
        meta = _finetune_meta(source)
        self.version = _version(model, meta)
        share = meta.get("offline_share", 0.0)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise ClassifierError(
                f"cannot load model {source!r}: offline_share in its {FINETUNE_META} must be a "
                f"number from 0 to 1, got {share!r}; fine-tune it again or correct the file"
            )
        #: how much of the offline model's sentiment the backend mixes into this model's
        #: (``classifier finetune --cv`` measures it); 0 for a model it did not make
        self.offline_share = float(share)

    def probabilities(self, texts: Sequence[str], *, batch_size: int) -> np.ndarray:
        """Softmax probabilities (n x num_labels), length-sorted batches, input order kept."""
        torch = self.torch
        n = len(texts)
        out = np.zeros((n, len(self.id2label)), dtype=np.float64)
        if n == 0:
            return out
        enc = self.tokenizer(
            [valid_text(t) for t in texts],
            truncation=True,
            max_length=self.max_length,
            padding=False,
        )
        lengths = np.array([len(t) for t in enc["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        keys = [k for k in enc if k in ("input_ids", "attention_mask", "token_type_ids")]
        with torch.inference_mode():
            for rows in _batches(lengths[order], order, batch_size, self.max_batch_tokens):
                features = [{k: enc[k][int(i)] for k in keys} for i in rows]
                batch = self.tokenizer.pad(features, padding=True, return_tensors="pt")
                batch = {k: v.to(self.device) for k, v in batch.items()}
                logits = self.model(**batch).logits.float()
                out[rows] = torch.softmax(logits, dim=-1).cpu().numpy()
        return out


def _finetune_meta(source: str) -> dict[str, Any]:
    """What ``classifier finetune`` wrote beside the model in folder ``source``; {} for any
    other model (a hub id, a folder of someone else's, an unreadable file)."""
    try:
        meta = json.loads((Path(source) / FINETUNE_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _version(model: Any, meta: dict[str, Any]) -> str:
    """A hub model's commit; for a folder ``classifier finetune`` wrote, when it was trained
    (``ft-20261122T190000``); else ``local``."""
    commit = getattr(model.config, "_commit_hash", None)
    if commit:
        return str(commit)[:12]
    try:
        trained = datetime.fromisoformat(meta["trained_at"])
    except (ValueError, KeyError, TypeError):
        return "local"
    return trained.strftime("ft-%Y%m%dT%H%M%S")


def _quantize(torch: Any, model: Any) -> None:
    """Swap the model's linear layers, in place, for int8 dynamic-quantised ones.

    Per-channel weight scales: closer to full precision than one scale per matrix, at the
    same speed. Weights are packed for oneDNN where torch has it: on an AVX512-VNNI core its
    int8 GEMM ran the bench model about 10% faster than fbgemm (the default 'x86' engine),
    with the same label agreement. The packed weights keep their engine, so the process-wide
    setting is put back at once.
    """
    quantized = torch.backends.quantized
    previous = quantized.engine
    # torch.ao.quantization still works in torch 2.x but warns (DeprecationWarning,
    # UserWarning) that torchao will replace it; torchao is not a dependency, so the
    # warnings are silenced here, where they bite.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            if "onednn" in quantized.supported_engines:
                quantized.engine = "onednn"
            qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
            torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear: qconfig}, dtype=torch.qint8, inplace=True
            )
        finally:
            quantized.engine = previous


def _first_token_only(torch: Any, model: Any, tokenizer: Any, device: Any) -> bool:
    """Compute the encoder's last layer for the first token only, if that leaves the logits
    unchanged; True if it did.

    Tried on every encoder with ``base_model.encoder.layer`` and kept only if two padded
    probe texts give the full model's logits: a layer that is not BERT-style, a head that
    reads more than the first token or a mask format the shortcut does not know all fail the
    probe. The probe also learns whether layers return a tensor (transformers 5) or a tuple.
    """
    layers = getattr(getattr(model.base_model, "encoder", None), "layer", None)
    if not isinstance(layers, torch.nn.ModuleList) or not layers:
        return False
    last = layers[-1]
    returned: list[bool] = []
    hook = last.register_forward_hook(lambda _m, _a, out: returned.append(isinstance(out, tuple)))
    try:
        probe = tokenizer(
            ["a probe", "a longer probe text, so that the first one is padded"],
            padding=True,
            return_tensors="pt",
        ).to(device)
        with torch.inference_mode():
            full = model(**probe).logits
            layers[-1] = _first_token_layer(torch, last, as_tuple=returned[0])
            same = torch.allclose(model(**probe).logits, full, rtol=1e-4, atol=1e-4)
    except Exception:  # whatever the shortcut or the probe cannot handle: full model
        same = False
    finally:
        hook.remove()
    if not same:
        layers[-1] = last
    return same


def _first_token_layer(torch: Any, layer: Any, *, as_tuple: bool) -> Any:
    """A module that runs a BERT-style ``layer`` for the first token only: its query, the
    attention output and the feed-forward part on one row per text, keys and values from
    every token. A class made here so that importing this module needs no torch."""

    class FirstTokenLayer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = layer

        def forward(self, hidden_states: Any, attention_mask: Any = None, *_: Any, **__: Any):
            attention = self.layer.attention
            heads = attention.self.num_attention_heads
            size = attention.self.attention_head_size
            rows = hidden_states.shape[0]
            first = hidden_states[:, :1]

            def split(x: Any) -> Any:
                return x.view(rows, -1, heads, size).transpose(1, 2)

            mask = None if attention_mask is None else attention_mask[:, :, :1, :]
            context = torch.nn.functional.scaled_dot_product_attention(
                split(attention.self.query(first)),
                split(attention.self.key(hidden_states)),
                split(attention.self.value(hidden_states)),
                attn_mask=mask,
                scale=size**-0.5,
            )
            context = context.transpose(1, 2).reshape(rows, 1, heads * size)
            out = self.layer.feed_forward_chunk(attention.output(context, first))
            return (out,) if as_tuple else out

    return FirstTokenLayer()


def _batches(
    sorted_lengths: np.ndarray, order: np.ndarray, batch_size: int, max_tokens: int
) -> list[np.ndarray]:
    """Cut length-sorted rows into batches of at most ``batch_size`` rows and, once a batch
    has two rows, at most ``max_tokens`` padded tokens (rows x its longest row)."""
    batches: list[np.ndarray] = []
    start = 0
    n = len(order)
    while start < n:
        end = start + 1
        while (
            end < n
            and end - start < batch_size
            and (end - start + 1) * int(sorted_lengths[end]) <= max_tokens
        ):
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


class TransformerClassifier:
    """Sentiment (and optionally complaint) from transformer models, the rest from rules."""

    def __init__(
        self,
        *,
        sentiment_model: str,
        complaint_model: str | None = None,
        device: str = "cpu",
        batch_size: int = 32,
        quantize: bool = False,
        max_length: int = 128,
        max_batch_tokens: int = 512,
        fallback: OfflineClassifier | None = None,
        complaint_threshold: float | None = None,
    ) -> None:
        """``batch_size`` caps the rows of a batch and ``max_batch_tokens`` its padded tokens
        (rows x longest row; a single long text still goes alone): on one CPU core, an
        xlm-roberta-base-sized model in int8 ran about 10% faster per text in batches of 384
        to 768 tokens than of 1,024, and slower again past 2,000."""
        if batch_size < 1:
            raise ClassifierError(f"batch_size must be at least 1, got {batch_size}")
        # both checked before either loads: a typo in the second costs no wait for the first
        sentiment_source = _model_source("sentiment_model", sentiment_model)
        complaint_source = _model_source("complaint_model", complaint_model or "")
        self.batch_size = batch_size
        self.offline = fallback if fallback is not None else OfflineClassifier()
        if complaint_threshold is not None:
            self.offline.complaint_threshold = complaint_threshold
        load = partial(
            _Model,
            device=device,
            quantize=quantize,
            max_length=max_length,
            max_batch_tokens=max_batch_tokens,
        )
        self._sentiment = load(sentiment_source)
        self._sentiment_map = map_sentiment_labels(self._sentiment.id2label)
        self._complaint: _Model | None = None
        self._complaint_idx = 0
        names = [f"{_short(sentiment_model)}@{self._sentiment.version}"]
        if self._sentiment.offline_share:  # its sentiment is mixed with the offline model's
            names[0] += f"~offline{self._sentiment.offline_share:g}"
        if complaint_model:
            self._complaint = load(complaint_source)
            self._complaint_idx = map_complaint_labels(self._complaint.id2label)
            names.append(f"{_short(complaint_model)}@{self._complaint.version}")
        else:
            names.append(self.offline.name)
        if quantize:
            names[0] += "+int8"
        self.name = "+".join(names)

    def sentiment_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Negative/neutral/positive probabilities (n x 3) from the sentiment model."""
        raw = self._sentiment.probabilities(texts, batch_size=self.batch_size)
        return raw @ self._sentiment_map

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        texts = list(texts)
        sentiment = self.sentiment_probabilities(texts)
        complaint = None
        if self._complaint is not None:
            complaint = self._complaint.probabilities(texts, batch_size=self.batch_size)[
                :, self._complaint_idx
            ]
        return self.offline.verdicts(
            texts,
            sentiment=sentiment,
            complaint=complaint,
            model_name=self.name,
            offline_share=self._sentiment.offline_share,
        )


def _short(source: str) -> str:
    """A model's name for verdicts: the hub id, or a local directory's last part."""
    parts = [p for p in re.split(r"[\\/]", source.rstrip("/\\")) if p]
    if not parts:
        return source
    return "/".join(parts[-2:]) if not source.startswith(("/", ".", "~")) else parts[-1]
