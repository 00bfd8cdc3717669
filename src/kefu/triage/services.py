"""Triage: the classifier's suggestion for a text, corrected by the operator's rules.

The model in use is KEFU_TRIAGE_MODEL if set, else the newest `triage-*.joblib` that
`kefu triage train` wrote under KEFU_DATA_DIR/models, else the starter model shipped with
Kefu (trained on generated demo data, and it says so).
"""

import threading
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.recent import forget, remember

from . import rules as rule_engine
from .models import TriageRule

STARTER_MODEL = Path(__file__).with_name("starter-model.joblib")
TRAINED_STATUSES = ("resolved", "confirmed", "closed")

_loaded: dict[str, object] = {}
_lock = threading.Lock()


def model_path() -> Path:
    if settings.KEFU_TRIAGE_MODEL:
        return Path(settings.KEFU_TRIAGE_MODEL)
    return remember(("model_path", str(settings.DATA_DIR)), _newest_model)


def _newest_model() -> Path:
    # Looked up every few seconds, not on every prediction: a new `kefu triage train` is
    # picked up within kefu.core.recent.REFRESH_SECONDS.
    trained = sorted((settings.DATA_DIR / "models").glob("triage-*.joblib"))
    return trained[-1] if trained else STARTER_MODEL


def current_model():
    """The model in use, loaded once per process and file."""
    from .classifier import TriageModel

    path = model_path()
    key = f"{path}:{path.stat().st_mtime_ns if path.exists() else 0}"
    model = _loaded.get(key)
    if model is None:
        if not path.exists():
            raise ValidationFailed(_("No triage model at %(path)s: run `kefu triage train`.") % {"path": path})
        with _lock:
            model = _loaded[key] = TriageModel.load(path)
    return model


def active_rules() -> list:
    return remember("triage_rules", lambda: list(TriageRule.objects.filter(is_active=True)))


def _categories_by_code() -> dict:
    from kefu.orders.models import Category

    return remember("category_codes", lambda: {c["code"]: c for c in Category.objects.values("id", "code", "name", "kind")})


def suggest(title: str, description: str = "", *, kind=None, severity=None, explain=True) -> dict:
    """Kind, category and severity with confidences and the words behind them, after the rules.

    A KIND or SEVERITY a person already chose is the starting point instead of the model's
    guess: the rules may still raise the severity, but a person's kind stands.
    """
    text = f"{title}\n{description}".strip()
    if not text:
        raise ValidationFailed(_("Nothing to classify."), fields={"title": _("is required")})
    model = current_model()
    out = model.predict(text, explain=explain).as_dict()
    final_kind, final_severity, flag, fired = rule_engine.apply(
        active_rules(), text, kind or out["kind"]["label"], severity or out["severity"]["label"])
    out["kind"]["final"], out["severity"]["final"] = kind or final_kind, final_severity
    if out.get("category"):
        category = _categories_by_code().get(out["category"]["label"])
        out["category"] |= {"id": category["id"], "name": category["name"], "kind": category["kind"]} if category else {"id": None, "name": "", "kind": ""}
    out["rules"] = fired
    out["flags"] = ["complaint_coordinator"] if flag else []
    out["model"] = {"version": model.version, "trained_on": model.trained_on, "examples": model.n_examples}
    return out


def suggestion_for(user, *, title, description="", customer_id=None, subscription_id=None) -> dict:
    """What an agent sees while typing an order: the suggestion and, once the customer is known,
    the orders this one would likely duplicate, among those in USER's scope (a customer out of
    it has none, as an unknown customer has none)."""
    from kefu.core.services import require

    require(user, "orders.view_workorder")
    out = suggest(title, description)
    if customer_id is not None:
        out["duplicates"] = duplicate_summaries(user, customer_id=customer_id, subscription_id=subscription_id,
                                                title=title, description=description)
    return out


def duplicate_summaries(user, **order_text) -> list[dict]:
    """Likely duplicates of an order not yet registered, in USER's scope, for the agent to see
    before saving."""
    from kefu.orders.duplicates import likely_duplicates

    return [{"id": o.pk, "number": o.number, "title": o.title, "status": o.status, "created_at": o.created_at.isoformat(),
             "similarity": s} for o, s in likely_duplicates(user=user, **order_text)]


def suggested_category(suggestion: dict, kind: str):
    """The suggested category's id if it is confident enough and fits KIND, else None."""
    category = suggestion.get("category") or {}
    if category.get("id") is None or category.get("confidence", 0) < settings.KEFU_TRIAGE_MIN_CONFIDENCE:
        return None
    return category["id"] if category.get("kind") in ("", kind) else None


def training_examples() -> list:
    """Orders whose classification people confirmed: those handled to resolution or beyond
    (the handler and the owner worked them under that category)."""
    from kefu.orders.models import WorkOrder

    from .classifier import Example

    rows = (WorkOrder.objects.filter(status__in=TRAINED_STATUSES, category__isnull=False)
            .values_list("title", "description", "kind", "category__code", "severity").order_by("id").iterator(chunk_size=5000))
    return [Example(text=f"{t}\n{d}", kind=k, category=c, severity=s) for t, d, k, c, s in rows]


def train(*, out=None, seed=0, trained_on=None):
    from .classifier import TriageModel

    examples = training_examples()
    if len(examples) < 50:
        raise ValidationFailed(_("Too few handled work orders with a category to learn from (%(n)s; at least 50).") % {"n": len(examples)})
    model = TriageModel.train(examples, trained_on=trained_on or _("work orders in this database"), seed=seed)
    path = Path(out) if out else settings.DATA_DIR / "models" / f"triage-{model.version.replace(':', '')}.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    forget()  # this process uses it at once
    return model, path


def evaluate(*, test_fraction=0.2, seed=0):
    from .classifier import TriageModel, format_report, split

    train_set, test_set = split(training_examples(), test_fraction=test_fraction, seed=seed)
    model = TriageModel.train(train_set, trained_on=_("work orders in this database"), seed=seed)
    return format_report(model.evaluate(test_set), trained_on=model.trained_on), len(train_set), len(test_set)
