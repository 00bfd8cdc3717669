"""HTTP ↔ triage.services."""

from ninja import Field, Router

from kefu.core.api import ERRORS, InputSchema

from . import services

router = Router(tags=["triage"])


class SuggestIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10000)
    customer_id: int | None = Field(None, description="with it, the customer's likely duplicates are listed too")
    subscription_id: int | None = None


@router.post("/suggest", response={200: dict, **ERRORS})
def suggest(request, payload: SuggestIn):
    """Suggested kind, category and severity, with confidences, the words behind them, the rules
    that fired and which model answered (and what it was trained on); with a customer, the
    orders this one would likely duplicate."""
    return services.suggestion_for(request.user, **payload.dict())
