"""HTTP ↔ triage.services."""

from ninja import Field, Router

from kefu.core.api import ERRORS, InputSchema
from kefu.core.services import require

from . import services

router = Router(tags=["triage"])


class SuggestIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10000)


@router.post("/suggest", response={200: dict, **ERRORS})
def suggest(request, payload: SuggestIn):
    """Suggested kind, category and severity, with confidences, the words behind them, the rules
    that fired and which model answered (and what it was trained on)."""
    require(request.user, "orders.view_workorder")
    return services.suggest(payload.title, payload.description)
