"""Text classifier for triage: suggest a work order's kind, category and severity.

Plain Python, rjieba (jieba's Rust binding) and scikit-learn; nothing here imports Django.

Model: one TF-IDF vocabulary over `tokenize()` (unigrams and bigrams of adjacent kept tokens,
sublinear tf, l2-normalised rows) shared by three multinomial logistic regressions, one per
head: kind, category, severity (severity with balanced class weights, "major" being rare).

Prediction does not go through scikit-learn: the fitted vocabulary, idf and coefficients are
copied into plain arrays, one text is turned into its few non-zero tf-idf entries with a dict
lookup, and each head's scores are `x · W + b` over those entries followed by a softmax —
a fraction of a millisecond instead of sklearn's per-call validation overhead. `train()`
checks this fast path against sklearn's `predict_proba` on a few training texts.

A model file is a joblib dump of plain data (lists, dicts, numpy arrays), not of sklearn
objects, so it does not depend on the scikit-learn version. Like every pickle it must come
from a trusted place: only load files Kefu wrote itself.

Explanations: the `words` of a guess are the tokens of the text with the largest positive
contribution to the chosen label, i.e. tf-idf value × (the label's coefficient minus the mean
coefficient over all labels of the head; adding the same number to every label's score does
not change a softmax). A bigram's contribution is split evenly between its two tokens.

Category and kind are separate heads. The category is kept consistent with the predicted kind:
if the most probable category was only ever seen with other kinds in training, the most
probable category seen with the predicted kind is suggested instead, with its own
(unrenormalised, hence conservative) probability as the confidence.

Why one module of some 540 lines: training, the model file and the fast prediction path share
one private representation (vocabulary, idf, coefficient arrays) whose layout they must agree
on exactly; `train()` checks the fast path against sklearn with that same code. Split, the
halves would have to export that layout as an interface nobody else should use.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import tempfile
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kefu.core.segment import KEEP_NUMBERS, LEXICON, STOP_WORDS, TOKEN_RULES, tokenize  # noqa: F401 - the classifier's tokens


class _OnFirstUse:
    """A module imported on its first attribute: numpy (and with it joblib and scikit-learn)
    takes longer to import than the rest of Django's start-up, and most processes that
    import this module (every command, for tokenize) never classify a text."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        import importlib

        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # later reads skip __getattr__
        return value


np = _OnFirstUse("numpy")
joblib = _OnFirstUse("joblib")

# Bump when the file layout or anything that changes tokenize()'s output changes: a model
# trained with other tokens silently loses most of its features.
MODEL_FORMAT = 1

HEADS = ("kind", "category", "severity")
TOP_WORDS = 5

# ---------------------------------------------------------------------------------------------
# Tokenisation: kefu.core.segment (shared with the word indexes of orders and the knowledge base)

def _features(tokens: list[str]) -> list[str]:
    """Unigrams and bigrams of adjacent tokens ("a b": tokens never contain a space)."""
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _analyze(text: str) -> list[str]:
    return _features(tokenize(text))


TOKENIZER_SIGNATURE = hashlib.sha256(TOKEN_RULES.encode()).hexdigest()[:16]

# ---------------------------------------------------------------------------------------------
# Public data types


@dataclass(frozen=True)
class Example:
    text: str  # title + "\n" + description
    kind: str
    category: str  # "" when unknown: skipped for the category head only
    severity: str  # "general" | "urgent" | "major"


@dataclass(frozen=True)
class Guess:
    label: str
    confidence: float  # probability of the chosen label, 0..1
    words: list[str]  # up to 5 tokens that pushed most towards the label, strongest first

    def as_dict(self) -> dict:
        return {"label": self.label, "confidence": self.confidence, "words": list(self.words)}


@dataclass(frozen=True)
class Prediction:
    kind: Guess
    category: Guess | None  # None if the model has no category head
    severity: Guess

    def as_dict(self) -> dict:
        return {
            "kind": self.kind.as_dict(),
            "category": self.category.as_dict() if self.category is not None else None,
            "severity": self.severity.as_dict(),
        }


# ---------------------------------------------------------------------------------------------
# The model


class _Head:
    """One linear softmax classifier over the shared tf-idf features."""

    __slots__ = ("classes", "coef", "intercept", "centered")

    def __init__(self, classes, coef, intercept):
        self.classes = [str(c) for c in classes]
        # Stored as float32 (half the file), computed in float64. A model fresh from train()
        # goes through the same rounding, so it predicts exactly like its saved copy, and the
        # last-bit noise of floating-point sums (which depends on memory alignment) does not
        # change the content hash of two trainings on the same data.
        coef = np.asarray(coef, dtype=np.float32).astype(np.float64)
        self.coef = np.ascontiguousarray(coef)  # (n_features, n_classes)
        self.intercept = np.asarray(intercept, dtype=np.float32).astype(np.float64)
        self.centered = np.ascontiguousarray(coef - coef.mean(axis=1, keepdims=True))

    @classmethod
    def from_sklearn(cls, clf) -> _Head:
        coef = clf.coef_.T
        intercept = clf.intercept_
        if len(clf.classes_) == 2:
            # Binary LogisticRegression keeps one row w for classes_[1]: p1 = σ(w·x + b).
            # The same as a softmax over (-w/2, w/2) with intercepts (-b/2, b/2).
            coef = np.hstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(clf.classes_, coef, intercept)

    @classmethod
    def constant(cls, label: str, n_features: int) -> _Head:
        return cls([label], np.zeros((n_features, 1)), np.zeros(1))

    def proba(self, idx, vals):
        scores = vals @ self.coef[idx] + self.intercept
        scores -= scores.max()
        np.exp(scores, out=scores)
        scores /= scores.sum()
        return scores

    def dump(self) -> dict:
        return {
            "classes": list(self.classes),
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
        }

    @classmethod
    def undump(cls, data) -> _Head:
        return cls(data["classes"], data["coef"], data["intercept"])


class TriageModel:
    version: str
    trained_on: str
    trained_at: str
    n_examples: int

    def __init__(self, *, features, idf, heads, category_kinds, trained_on, trained_at,
                 n_examples, params=None):
        self.features: list[str] = list(features)
        self.vocabulary: dict[str, int] = {f: i for i, f in enumerate(self.features)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.heads: dict[str, _Head | None] = dict(heads)
        # category -> kinds it was seen with in training
        self.category_kinds: dict[str, frozenset[str]] = {
            c: frozenset(k) for c, k in category_kinds.items()}
        self.trained_on = trained_on
        self.trained_at = trained_at
        self.n_examples = int(n_examples)
        self.params = dict(params or {})
        self.content_hash = self._content_hash()
        self.version = f"{trained_at}-{self.content_hash[:8]}"
        # bigram feature index -> its two token strings, for explanations
        self._split_feature = {i: tuple(f.split(" ")) for i, f in enumerate(self.features)
                               if " " in f}
        self._allowed_categories: dict[str, np.ndarray] = {}
        category = self.heads.get("category")
        if category is not None and self.category_kinds:
            for kind in self.heads["kind"].classes:
                self._allowed_categories[kind] = np.array(
                    [kind in self.category_kinds.get(c, ()) for c in category.classes])

    def __repr__(self):
        return (f"<TriageModel {self.version} n_examples={self.n_examples} "
                f"features={len(self.features)} trained_on={self.trained_on!r}>")

    # -- training ------------------------------------------------------------------------------

    @classmethod
    def train(cls, examples: list[Example], *, trained_on: str, seed: int = 0,
              C: float = 10.0, max_iter: int = 2000) -> TriageModel:
        """Fit the vocabulary and the three heads. Same examples and seed → same model.

        C = 10 suits l2-normalised tf-idf rows (their entries are small, so the default
        C = 1 regularises too hard); max_iter is ample for lbfgs on a few thousand texts.

        BLAS runs single-threaded meanwhile: the vectors are small, and a threaded OpenBLAS
        on a busy 2-core machine made each lbfgs step a thousand times slower (and the sums
        of a single thread are reproducible).
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return cls._train(examples, trained_on=trained_on, seed=seed, C=C,
                              max_iter=max_iter)

    @classmethod
    def _train(cls, examples, *, trained_on, seed, C, max_iter) -> TriageModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        examples = list(examples)
        if not examples:
            raise ValueError("no training examples")
        trained_on = str(trained_on)  # may be a lazy translation
        texts = [e.text for e in examples]
        # min_df=2 drops one-off tokens (typos, names, numbers) once there is data for it
        min_df = 2 if len(examples) >= 20 else 1
        vectorizer = TfidfVectorizer(analyzer=_analyze, sublinear_tf=True, min_df=min_df,
                                     norm="l2", dtype=np.float64)
        try:
            X = vectorizer.fit_transform(texts)
        except ValueError:  # nothing survived min_df
            vectorizer.set_params(min_df=1)
            X = vectorizer.fit_transform(texts)
        features = [None] * len(vectorizer.vocabulary_)
        for feature, i in vectorizer.vocabulary_.items():
            features[i] = feature
        n_features = len(features)

        heads: dict[str, _Head | None] = {}
        fitted = {}
        for head in HEADS:
            rows = [i for i, e in enumerate(examples) if getattr(e, head)]
            labels = [getattr(examples[i], head) for i in rows]
            if not rows:
                if head != "category":
                    raise ValueError(f"no example has a {head}")
                heads[head] = None
                continue
            distinct = sorted(set(labels))
            if len(distinct) == 1:
                heads[head] = _Head.constant(distinct[0], n_features)
                continue
            clf = LogisticRegression(
                C=C, max_iter=max_iter, random_state=seed,
                class_weight="balanced" if head == "severity" else None)
            clf.fit(X[rows], labels)
            heads[head] = _Head.from_sklearn(clf)
            fitted[head] = (clf, rows)

        category_kinds = defaultdict(set)
        for e in examples:
            if e.category:
                category_kinds[e.category].add(e.kind)

        model = cls(
            features=features, idf=vectorizer.idf_, heads=heads,
            category_kinds=category_kinds, trained_on=trained_on,
            trained_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            n_examples=len(examples),
            params={"C": C, "max_iter": max_iter, "min_df": vectorizer.min_df, "seed": seed},
        )
        model._check_against(X, fitted)
        return model

    def _check_against(self, X, fitted) -> None:
        """The fast path must agree with sklearn on the training texts it saw."""
        for head, (clf, rows) in fitted.items():
            sample = rows[:20]
            expected = clf.predict_proba(X[sample])
            for j, row in enumerate(sample):
                x = X[row]
                got = self.heads[head].proba(x.indices, x.data)
                if not np.allclose(got, expected[j], atol=1e-3):
                    raise RuntimeError(f"triage: fast {head} prediction differs from sklearn's")

    # -- prediction ----------------------------------------------------------------------------

    def _vectorize(self, text: str):
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for feature, n in Counter(_analyze(text)).items():
            i = vocabulary.get(feature)
            if i is not None:
                counts[i] = n
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        vals = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        np.log(vals, out=vals)
        vals += 1.0
        vals *= self.idf[idx]
        vals /= math.sqrt(float(vals @ vals))
        return idx, vals

    def _words(self, head: _Head, label_index: int, idx, vals) -> list[str]:
        if len(idx) == 0 or len(head.classes) < 2:
            return []
        contrib = vals * head.centered[idx, label_index]
        by_token: dict[str, float] = {}
        features = self.features
        split = self._split_feature
        for i, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            pair = split.get(i)
            if pair is None:
                by_token[features[i]] = by_token.get(features[i], 0.0) + c
            else:
                for token in pair:
                    by_token[token] = by_token.get(token, 0.0) + c / 2
        ranked = sorted((item for item in by_token.items() if item[1] > 0),
                        key=lambda item: (-item[1], item[0]))
        return [token for token, _ in ranked[:TOP_WORDS]]

    def _guess(self, head: _Head, idx, vals, allowed=None, explain=True) -> Guess:
        p = head.proba(idx, vals)
        if allowed is not None and allowed.any():
            best = int(np.argmax(np.where(allowed, p, -1.0)))
        else:
            best = int(np.argmax(p))
        return Guess(head.classes[best], float(p[best]), self._words(head, best, idx, vals) if explain else [])

    def predict(self, text: str, *, explain: bool = True) -> Prediction:
        """The three guesses; EXPLAIN=False leaves out the driving words (for bulk routing)."""
        idx, vals = self._vectorize(text)
        kind = self._guess(self.heads["kind"], idx, vals, explain=explain)
        category_head = self.heads.get("category")
        category = None
        if category_head is not None:
            category = self._guess(category_head, idx, vals,
                                   self._allowed_categories.get(kind.label), explain=explain)
        severity = self._guess(self.heads["severity"], idx, vals, explain=explain)
        return Prediction(kind=kind, category=category, severity=severity)

    # -- quality -------------------------------------------------------------------------------

    def evaluate(self, examples) -> dict:
        """Per-head accuracy, macro-F1 and per-class precision/recall/F1/support.

        Examples without a category are left out of the category figures; "category" is None
        when the model has no category head.
        """
        from sklearn.metrics import accuracy_score, precision_recall_fscore_support

        examples = list(examples)
        predictions = [self.predict(e.text) for e in examples]
        report = {}
        for head in HEADS:
            if self.heads.get(head) is None:
                report[head] = None
                continue
            pairs = [(getattr(e, head), getattr(p, head).label)
                     for e, p in zip(examples, predictions, strict=True) if getattr(e, head)]
            if not pairs:
                report[head] = {"n": 0, "accuracy": 0.0, "macro_f1": 0.0, "classes": {}}
                continue
            y_true = [t for t, _ in pairs]
            y_pred = [p for _, p in pairs]
            labels = sorted(set(y_true) | set(y_pred))
            precision, recall, f1, support = precision_recall_fscore_support(
                y_true, y_pred, labels=labels, zero_division=0)
            report[head] = {
                "n": len(pairs),
                "accuracy": float(accuracy_score(y_true, y_pred)),
                "macro_f1": float(np.mean(f1)),
                "classes": {
                    label: {"precision": float(precision[i]), "recall": float(recall[i]),
                            "f1": float(f1[i]), "support": int(support[i])}
                    for i, label in enumerate(labels)
                },
            }
        return report

    # -- persistence ---------------------------------------------------------------------------

    def _payload(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "tokenizer": TOKENIZER_SIGNATURE,
            "trained_on": self.trained_on,
            "trained_at": self.trained_at,
            "n_examples": self.n_examples,
            "params": dict(self.params),
            "features": list(self.features),
            "idf": self.idf,
            "heads": {h: (head.dump() if head is not None else None)
                      for h, head in self.heads.items()},
            "category_kinds": {c: sorted(k) for c, k in self.category_kinds.items()},
        }

    def _content_hash(self) -> str:
        h = hashlib.sha256()
        h.update(f"{MODEL_FORMAT}\n{TOKENIZER_SIGNATURE}\n".encode())
        h.update("\x1f".join(self.features).encode())
        h.update(self.idf.tobytes())
        for name in HEADS:
            head = self.heads.get(name)
            h.update(f"\n{name}:".encode())
            if head is not None:
                h.update("\x1f".join(head.classes).encode())
                h.update(head.coef.astype(np.float32).tobytes())
                h.update(head.intercept.astype(np.float32).tobytes())
        for c in sorted(self.category_kinds):
            h.update(f"\n{c}={','.join(sorted(self.category_kinds[c]))}".encode())
        return h.hexdigest()

    def save(self, path) -> None:
        """Write atomically: a temporary file in the same directory, then a rename."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                joblib.dump(self._payload(), f, compress=3)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is no secret
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    @classmethod
    def load(cls, path) -> TriageModel:
        """Load a file written by save(). Refuses other model formats with a ValueError."""
        try:
            payload = joblib.load(path)
        except OSError:
            raise
        except Exception as exc:  # not a pickle, truncated, an unknown class…
            raise ValueError(f"{path}: not a Kefu triage model ({exc})") from exc
        if not isinstance(payload, dict) or "format" not in payload:
            raise ValueError(f"{path}: not a Kefu triage model")
        if payload["format"] != MODEL_FORMAT:
            raise ValueError(
                f"{path}: triage model format {payload['format']!r}, but this version of Kefu "
                f"reads format {MODEL_FORMAT}; train the model again")
        if payload.get("tokenizer") != TOKENIZER_SIGNATURE:
            warnings.warn(
                f"{path}: the model was trained with another tokenizer (lexicon or stop words "
                f"changed); predictions may be worse until it is trained again",
                RuntimeWarning, stacklevel=2)
        heads = {h: (_Head.undump(d) if d is not None else None)
                 for h, d in payload["heads"].items()}
        return cls(
            features=payload["features"], idf=payload["idf"], heads=heads,
            category_kinds=payload["category_kinds"], trained_on=payload["trained_on"],
            trained_at=payload["trained_at"], n_examples=payload["n_examples"],
            params=payload.get("params"),
        )


# ---------------------------------------------------------------------------------------------
# Helpers


def split(examples, *, test_fraction: float = 0.2, seed: int = 0):
    """(train, test), stratified by kind, deterministic for a seed; original order kept.

    Each kind with at least two examples puts round(n × test_fraction) of them, at least one
    and at most n − 1, in the test part.
    """
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    examples = list(examples)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        by_kind[e.kind].append(i)
    rng = random.Random(seed)
    test: set[int] = set()
    for kind in sorted(by_kind):
        indices = by_kind[kind]
        n = len(indices)
        if n < 2:
            continue
        k = min(max(round(n * test_fraction), 1), n - 1)
        shuffled = indices[:]
        rng.shuffle(shuffled)
        test.update(shuffled[:k])
    return ([e for i, e in enumerate(examples) if i not in test],
            [e for i, e in enumerate(examples) if i in test])


_SYNTHETIC = re.compile(r"generat|demo|synthetic|seed|生成|演示|模拟|示例", re.IGNORECASE)
_CAVEATED = re.compile(r"nothing about|real customer|真实", re.IGNORECASE)


def format_report(report: dict, *, trained_on: str) -> str:
    """A plain-text table per head. The first line says what the model was trained on, with
    a warning when that looks like generated data (unless `trained_on` already says so)."""
    first = f"Trained on {trained_on}".rstrip(".")
    if _SYNTHETIC.search(trained_on) and not _CAVEATED.search(trained_on):
        first += ": figures say nothing about real customers' texts"
    lines = [first + "."]
    for head in HEADS:
        r = report.get(head)
        lines.append("")
        if r is None:
            lines.append(f"{head}: no {head} head")
            continue
        lines.append(f"{head}: accuracy {r['accuracy']:.3f}, macro-F1 {r['macro_f1']:.3f}, "
                     f"{r.get('n', sum(c['support'] for c in r['classes'].values()))} examples")
        width = max([len("label")] + [len(label) for label in r["classes"]])
        lines.append(f"  {'label':<{width}}  precision  recall     F1  support")
        for label, c in r["classes"].items():
            lines.append(f"  {label:<{width}}  {c['precision']:9.3f}  {c['recall']:6.3f}  "
                         f"{c['f1']:5.3f}  {c['support']:7d}")
    return "\n".join(lines)
