"""Tiny random transformers models saved to a folder, built here (no download)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordLevel

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _word_tokenizer(words: list[str]) -> transformers.PreTrainedTokenizerFast:
    """A whole-word tokenizer over ``words`` (lower-cased), BERT's special tokens around.

    Built with ``tokenizers`` directly: ``BertTokenizerFast(vocab_file=...)`` silently ignores
    the file in transformers 5 and maps every word to [UNK]."""
    vocab = {word: i for i, word in enumerate([*SPECIALS, *words])}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    out = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    assert out(words[0])["input_ids"] == [2, 5, 3], "tokenizer does not know its own words"
    return out


def save_tiny_model(
    path: Path,
    id2label: dict[int, str] | None,
    num_labels: int,
    *,
    words: Iterable[str],
    arch: str = "bert",
    layers: int = 1,
    hidden: int = 16,
    dropout: float = 0.1,
) -> Path:
    """A sequence-classification model with a word-piece tokenizer over ``words``."""
    path.mkdir(parents=True)
    tokenizer = _word_tokenizer(sorted(set(words)))
    vocab = tokenizer.get_vocab()
    kwargs = (
        {"id2label": id2label, "label2id": {v: k for k, v in id2label.items()}} if id2label else {}
    )
    config_class, model_class = {
        "bert": (transformers.BertConfig, transformers.BertForSequenceClassification),
        "xlm-roberta": (
            transformers.XLMRobertaConfig,
            transformers.XLMRobertaForSequenceClassification,
        ),
    }[arch]
    config = config_class(
        vocab_size=len(vocab),
        pad_token_id=0,  # [PAD] of the word-piece vocabulary above
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=64,
        num_labels=num_labels,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        **kwargs,
    )
    torch.manual_seed(len(path.name))
    model = model_class(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
