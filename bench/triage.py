"""Triage classifier benchmark: TriageModel.predict, one process, one core.

    .venv/bin/python bench/triage.py [--examples 2000] [--calls 5000] [--json]

Trains a model on the generated examples of tests/triage/test_classifier.py (the same
generator as the tests), saves and reloads it (file size, load time), then times `predict`
on --calls texts from another seed of the generator: predictions per second and the
p50/p95/p99 latency of single calls. Target: < 5 ms a prediction.

Generated text only: the figures say how fast the model is, nothing about how good it is on
real customers' texts. This is a benchmark, not a test: it is not collected by pytest.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.triage.test_classifier import generate_examples  # noqa: E402

from kefu.triage.classifier import TriageModel, split, tokenize  # noqa: E402


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="training examples")
    parser.add_argument("--calls", type=int, default=5000, help="timed predict() calls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    examples = generate_examples(args.examples, seed=args.seed)
    TriageModel.train(examples[:50], trained_on="warm-up")  # imports, segmenter dictionary
    t = time.perf_counter()
    model = TriageModel.train(examples, trained_on="generated benchmark data", seed=args.seed)
    train_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "triage.joblib"
        model.save(path)
        size = path.stat().st_size
        t = time.perf_counter()
        model = TriageModel.load(path)
        load_s = time.perf_counter() - t

    texts = [e.text for e in generate_examples(args.calls, seed=args.seed + 1)]
    for text in texts[:100]:  # warm-up
        model.predict(text)

    t = time.perf_counter()
    for text in texts:
        tokenize(text)
    tokenize_us = (time.perf_counter() - t) / len(texts) * 1e6

    latencies = []
    start = time.perf_counter()
    for text in texts:
        t = time.perf_counter()
        model.predict(text)
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    latencies.sort()

    train_set, test_set = split(examples, seed=args.seed)
    quality = TriageModel.train(train_set, trained_on="generated", seed=args.seed).evaluate(test_set)

    result = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "examples": args.examples,
        "features": len(model.features),
        "classes": {h: len(head.classes) if head else 0 for h, head in model.heads.items()},
        "train_s": round(train_s, 3),
        "model_bytes": size,
        "load_ms": round(load_s * 1000, 1),
        "calls": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "predictions_per_s": round(len(texts) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3),
        "tokenize_us": round(tokenize_us, 1),
        "held_out": {h: round(r["macro_f1"], 3) for h, r in quality.items() if r},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"python {result['python']}  cpus {result['cpus']}")
    print(f"model  : {args.examples} generated examples, {result['features']} features, "
          f"classes {result['classes']}; trained in {train_s:.2f} s")
    print(f"file   : {size / 1024:.1f} KiB, loaded in {result['load_ms']} ms")
    print(f"predict: {result['predictions_per_s']:.0f} predictions/s (one process), "
          f"p50 {result['p50_ms']:.3f} ms  p95 {result['p95_ms']:.3f} ms  "
          f"p99 {result['p99_ms']:.3f} ms  max {result['max_ms']:.3f} ms  "
          f"({result['calls']} texts, {result['mean_chars']} characters on average)")
    print(f"         of which tokenize() {tokenize_us:.0f} µs")
    print(f"quality: macro-F1 on a held-out 20 % of the same generator {result['held_out']} "
          f"(generated text: says nothing about real customers' texts)")


if __name__ == "__main__":
    main()
