"""Four workers handed the same delivery at once (a redelivered task, the sweeper, a retry) send it once:
the claim is a conditional UPDATE committed before the request, so only one of them wins it."""

from __future__ import annotations

import pytest

from tests import model_factories as mf
from tests.notifications.helpers import settle
from tests.webhooks.helpers import deliveries, register
from tests.webhooks.receiver import Answer
from tests.worker import restore_catalog, run_together
from webhooks.models import WebhookAttempt
from webhooks.services import webhook_delivery_send

pytestmark = pytest.mark.django_db(transaction=True)


def test_workers_racing_for_one_delivery_send_it_once(private_ok, receiver):
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes
    merchant = mf.make_merchant()
    endpoint, _ = register(merchant, receiver.url)
    mf.make_order(merchant)
    settle()
    delivery = deliveries(endpoint)[0]
    receiver.default = Answer(200, delay=0.3)  # slow: the others arrive while the winner is sending

    results = run_together(4, lambda i: webhook_delivery_send(delivery_id=delivery.pk))

    assert sorted(results, key=str) == ["", "", "", "succeeded"]
    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1
