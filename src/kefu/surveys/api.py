"""HTTP ↔ surveys: the SMS gateway's inbound replies."""

from ninja import Field, Router, Schema

from kefu.core.api import ERRORS

from . import services

router = Router(tags=["surveys"])


class ReplyIn(Schema):
    phone: str = Field(max_length=30, description="The number the reply came from")
    text: str = Field(max_length=500, description="The reply as the customer typed it")


class ReplyOut(Schema):
    result: str = Field(description="refused (TD / 退订 / 拒绝回访: no more surveys or follow-up on any channel), "
                                    "unknown (no customer has that number) or ignored")


@router.post("/sms-replies", response={200: ReplyOut, **ERRORS})
def sms_reply(request, payload: ReplyIn):
    """An SMS a customer sent back, posted by the SMS gateway (a token with surveys.add_optout)."""
    return {"result": services.receive_reply(request.user, payload.phone, payload.text)}
