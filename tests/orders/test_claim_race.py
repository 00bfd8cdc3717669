"""Two handlers claim the same order at the same moment: exactly one wins, the other gets 409."""

import threading

import pytest
from django.db import connection

from kefu.core.errors import InvalidTransition
from kefu.orders import services
from kefu.orders.models import WorkOrder


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_claims_have_one_winner(agent, handler, handler2, order, departments):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, department_id=departments["tech-support"].pk)
    barrier = threading.Barrier(2)
    results = {}

    def claim(user):
        try:
            barrier.wait()
            services.claim(user, order.pk)
            results[user.username] = "won"
        except InvalidTransition:
            results[user.username] = "409"
        finally:
            connection.close()

    for _ in range(5):  # several rounds: the race should be decided by the lock every time
        WorkOrder.objects.filter(pk=order.pk).update(handler=None, status="assigned")
        results.clear()
        barrier.reset()
        threads = [threading.Thread(target=claim, args=(u,)) for u in (handler, handler2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == ["409", "won"]
        winner = [name for name, r in results.items() if r == "won"][0]
        assert WorkOrder.objects.get(pk=order.pk).handler.username == winner
