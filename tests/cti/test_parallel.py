"""Parallel events of one call on PostgreSQL: the call's row lock serialises them, each event is
applied once, and the record is the one in-order arrival gives."""

import threading

import pytest
from django.db import connection
from django.test import Client

from kefu.cti.models import Call, CallEvent

from .helpers import event, make_platform, post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_parallel_events_of_one_call(db):
    make_platform()
    docs = [event(0, 0, "offered", caller="13912345678", called="10000"), event(1, 4, "queued", queue="billing"),
            event(2, 10, "ringing", extension="8001"), event(3, 14, "answered", extension="8001"),
            event(4, 74, "ended", by="agent"), event(5, 84, "acw_ended")]
    sends = docs + docs  # every event twice, all at once
    barrier, statuses = threading.Barrier(len(sends)), []

    def send(doc):
        try:
            barrier.wait()
            statuses.append(post(Client(), doc).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(d,)) for d in sends]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(sends)
    assert CallEvent.objects.filter(outcome="applied").count() == 6
    assert CallEvent.objects.filter(outcome="duplicate").count() == 6
    call = Call.objects.get()
    assert (call.state, call.wait_seconds, call.ring_seconds, call.talk_seconds, call.acw_seconds) == ("finished", 10, 4, 60, 10)
    assert call.contact is not None and call.contact.ended_at == call.ended_at
