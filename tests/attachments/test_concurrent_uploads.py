"""Two uploads racing for an order's last place: one is stored, the other refused, nothing left over."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from attachments.models import Attachment
from attachments.services import attachment_upload
from marketplace.errors import ValidationFailed
from tests import model_factories as mf
from tests.attachments.helpers import image_bytes, stored_files
from tests.worker import restore_catalog


@pytest.mark.django_db(transaction=True)
def test_the_last_place_goes_to_one_upload(settings: Any, attachments_dir: Path) -> None:
    restore_catalog()  # a transactional test may start from a database an earlier one flushed
    settings.FILES_MAX_PER_ORDER = 1
    merchant = mf.make_merchant()
    order = mf.make_order(merchant)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def upload(i: int) -> None:
        try:
            start.wait()
            attachment_upload(
                order_id=order.pk, uploaded_by=merchant.owner, data=image_bytes("PNG", (30 + i, 30)), name=f"{i}.png"
            )
            outcomes.append("stored")
        except ValidationFailed as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["stored", "too_many_files"]
    (kept,) = Attachment.objects.filter(order=order)
    assert stored_files(attachments_dir) == sorted([str(kept.blob.name), str(kept.thumbnail.name)])
