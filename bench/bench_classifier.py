"""Classifier throughput and memory (a script that prints figures, not a test).

    python bench/bench_classifier.py                 # offline default + transformer backend
    python bench/bench_classifier.py --skip-transformer
    python bench/bench_classifier.py --transformer-texts 64 --threads 1
    python bench/bench_classifier.py --skip-offline --repeats 3

Offline default: texts per second on one core (numpy/BLAS threads pinned to 1 before numpy
is imported) and peak Python memory (tracemalloc) while classifying, at batch sizes 1, 8,
32, 256 and 1,000, on the texts of ``../shared/data`` (or generated texts where that folder
is absent).

Transformer backend: a model the size of xlm-roberta-base (12 layers, hidden 768, 12 heads,
intermediate 3072) with random weights, built from a config here and saved to a temporary
folder; its tokenizer is a byte-level BPE trained here on the bench texts. Nothing is
downloaded. The embedding table has the tokenizer's vocabulary (8,000), not XLM-R's 250,002:
that changes memory, not compute per token. Compared: the transformers ``pipeline`` called one
text at a time, and :class:`classifiers.transformer.TransformerClassifier` (length-sorted
batches with dynamic padding) at batch sizes 1, 8 and 32, in full precision and with int8
dynamic quantisation; label agreement of int8 with full precision is reported. A random
model's logits are close together, so agreement there is a pessimistic estimate. Load time
includes quantisation. Peak memory: each variant loads and runs alone in a fresh process
(max RSS, and what the imports alone took). With ``--repeats N`` every rate is the median
of N passes, taken round-robin with the pipeline, so that a busy neighbour slows them alike,
and speed-ups are to the pipeline timed between them.
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import csv  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"


def bench_texts(limit: int) -> tuple[list[str], str]:
    """Texts of every labelled set, shuffled; generated ones where the data is absent."""
    texts: list[str] = []
    for path in sorted(DATA.glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            texts.extend(row["text"] for row in csv.DictReader(fh) if row.get("text"))
    source = f"{len(texts)} texts from {DATA}"
    if not texts:
        words = [
            "order",
            "late",
            "refund",
            "still",
            "waiting",
            "thanks",
            "great",
            "app",
            "down",
            "rude",
            "staff",
            "please",
        ]
        rng = random.Random(0)
        texts = [" ".join(rng.choices(words, k=rng.randint(5, 30))) for _ in range(10_000)]
        source = "10,000 generated texts (no shared data found)"
    random.Random(1).shuffle(texts)
    return texts[:limit], source


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_offline(texts: list[str], batch_sizes: tuple[int, ...]) -> None:
    from classifiers import load_classifier

    clf = load_classifier()
    clf.classify(texts[:64])  # load weights, build lookup tables
    print(f"\n== offline default ({clf.name}), one core")
    print(f"{'batch':>6} {'texts/s':>10} {'peak traced MiB':>16}")
    for bs in batch_sizes:
        # small batches are slow per text: a slice keeps the run short, the rate comparable
        timed = texts if bs >= 32 else texts[: 250 * bs]
        started = time.perf_counter()
        for i in range(0, len(timed), bs):
            clf.classify(timed[i : i + bs])
        elapsed = time.perf_counter() - started
        # memory in a second pass: tracemalloc slows allocation-heavy code several times over
        tracemalloc.start()
        for i in range(0, min(len(texts), 4 * bs), bs):
            clf.classify(texts[i : i + bs])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{bs:>6} {len(timed) / elapsed:>10,.0f} {peak / 2**20:>16.1f}")
    print(f"process max RSS so far: {rss_mib():,.0f} MiB")


def bench_transformer(texts: list[str], n: int, threads: int, repeats: int) -> None:
    import numpy as np
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from classifiers.transformer import TransformerClassifier

    torch.set_num_threads(threads)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    sample = texts[:n]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "xlmr-base-random"
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
        trainer = trainers.BpeTrainer(vocab_size=8000, special_tokens=special, show_progress=False)
        tok.train_from_iterator(texts, trainer)
        fast = transformers.PreTrainedTokenizerFast(
            tokenizer_object=tok,
            bos_token="<s>",
            eos_token="</s>",
            unk_token="<unk>",
            pad_token="<pad>",
            mask_token="<mask>",
            model_max_length=128,
        )
        from tokenizers.processors import TemplateProcessing

        fast.backend_tokenizer.post_processor = TemplateProcessing(
            single="<s> $A </s>",
            special_tokens=[("<s>", fast.bos_token_id), ("</s>", fast.eos_token_id)],
        )
        config = transformers.XLMRobertaConfig(
            vocab_size=fast.vocab_size,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=514,
            pad_token_id=fast.pad_token_id,
            num_labels=3,
            id2label={0: "negative", 1: "neutral", 2: "positive"},
            label2id={"negative": 0, "neutral": 1, "positive": 2},
        )
        torch.manual_seed(0)
        model = transformers.XLMRobertaForSequenceClassification(config).eval()
        model.save_pretrained(folder)
        fast.save_pretrained(folder)
        lengths = [len(ids) for ids in fast(sample, truncation=True, max_length=128)["input_ids"]]
        print(
            f"\n== transformer backend, xlm-roberta-base size, random weights, "
            f"{threads} thread(s), {n} texts (tokens per text: mean {np.mean(lengths):.0f}, "
            f"max {max(lengths)})"
        )

        pipe = transformers.pipeline(
            "text-classification", model=model, tokenizer=fast, device=-1, truncation=True
        )
        pipe(sample[:2])
        pipe_labels: list[str] = []

        def run_pipeline() -> None:
            pipe_labels[:] = [pipe(t)[0]["label"] for t in sample]

        base = _rate(n, [run_pipeline], repeats)[0]
        print(f"{'pipeline, one text at a time':<40} {base:>8.1f} texts/s   1.0x")

        full: np.ndarray | None = None
        batch_sizes = (1, 8, 32)
        for quantize in (False, True):
            started = time.perf_counter()
            clf = TransformerClassifier(
                sentiment_model=str(folder), quantize=quantize, batch_size=1, max_length=128
            )
            loaded = time.perf_counter() - started
            print(f"replywatch {'int8' if quantize else 'fp32'} loaded in {loaded:.1f} s")
            clf.sentiment_probabilities(sample[:4])
            results: dict[int, np.ndarray] = {}
            runs = [partial(_classify, clf, sample, bs, results) for bs in batch_sizes]
            if repeats > 1:  # the pipeline again, between our passes: ratios to that
                runs.append(run_pipeline)
            rates = _rate(n, runs, repeats)
            if repeats > 1:
                print(f"{'  pipeline, timed between these':<40} {rates[-1]:>8.1f} texts/s")
            group_base = rates[-1] if repeats > 1 else base
            for bs, rate in zip(batch_sizes, rates, strict=False):
                probs = results[bs]
                label = f"replywatch {'int8' if quantize else 'fp32'}, batch {bs}"
                note = ""
                if full is None:
                    full = probs
                    agree = np.mean(
                        np.array(["negative", "neutral", "positive"])[probs.argmax(1)]
                        == np.array(pipe_labels)
                    )
                    note = f"  labels = pipeline on {100 * agree:.1f}%"
                elif quantize:
                    agree = np.mean(probs.argmax(1) == full.argmax(1))
                    note = f"  labels = fp32 on {100 * agree:.1f}%"
                print(f"{label:<40} {rate:>8.1f} texts/s {rate / group_base:>5.1f}x{note}")
            del clf
        print(f"process max RSS: {rss_mib():,.0f} MiB")
        print("\npeak memory, each variant alone in a fresh process (64 texts)")
        print(f"{'variant':<40} {'max RSS MiB':>12} {'after imports':>14}")
        spawn = multiprocessing.get_context("spawn")
        for variant, bs in [("pipeline", 1)] + [
            (kind, bs) for kind in ("fp32", "int8") for bs in batch_sizes
        ]:
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                job = pool.submit(_peak_rss, variant, str(folder), sample[:64], bs, threads)
                imported, peak = job.result()
            name = "pipeline, one text at a time" if variant == "pipeline" else variant
            label = name if variant == "pipeline" else f"replywatch {name}, batch {bs}"
            print(f"{label:<40} {peak:>12,.0f} {imported:>14,.0f}")


def _peak_rss(
    variant: str, folder: str, texts: list[str], bs: int, threads: int
) -> tuple[float, float]:
    """In a fresh process: its peak resident memory (MiB) after the imports, and after
    loading ``variant`` and classifying ``texts`` with it."""
    import torch
    import transformers

    from classifiers.transformer import TransformerClassifier

    torch.set_num_threads(threads)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    imported = _peak_resident_mib()
    if variant == "pipeline":
        pipe = transformers.pipeline("text-classification", model=folder, device=-1)
        for text in texts:
            pipe(text, truncation=True)
    else:
        clf = TransformerClassifier(
            sentiment_model=folder, quantize=variant == "int8", batch_size=bs, max_length=128
        )
        clf.sentiment_probabilities(texts)
    return imported, _peak_resident_mib()


def _peak_resident_mib() -> float:
    """This process's peak RSS (``VmHWM``). Not ``ru_maxrss``: Linux carries that across
    fork and exec, so a fresh child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return rss_mib()


def _classify(clf: Any, sample: list[str], bs: int, out: dict[int, Any]) -> None:
    """One pass of ``clf`` over ``sample`` in batches of ``bs``; probabilities into ``out``."""
    clf.batch_size = bs
    out[bs] = clf.sentiment_probabilities(sample)


def _rate(n: int, runs: list[Callable[[], None]], repeats: int) -> list[float]:
    """Texts per second of each run, the median of ``repeats`` round-robin passes."""
    rates: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, got in zip(runs, rates, strict=True):
            started = time.perf_counter()
            run()
            got.append(n / (time.perf_counter() - started))
    return [statistics.median(got) for got in rates]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offline-texts", type=int, default=20_000)
    parser.add_argument("--transformer-texts", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--repeats", type=int, default=1, help="transformer passes, median")
    parser.add_argument("--skip-offline", action="store_true")
    parser.add_argument("--skip-transformer", action="store_true")
    args = parser.parse_args()
    texts, source = bench_texts(max(args.offline_texts, args.transformer_texts))
    print(f"bench texts: {source}")
    offline = (texts * (1 + args.offline_texts // max(len(texts), 1)))[: args.offline_texts]
    if not args.skip_offline:
        bench_offline(offline, (1, 8, 32, 256, 1000))
    if not args.skip_transformer:
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            print("\ntransformer backend skipped: torch/transformers not installed")
            return 0
        bench_transformer(texts, args.transformer_texts, args.threads, max(args.repeats, 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
