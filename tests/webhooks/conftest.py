"""Fixtures of the webhook tests: a running receiver, private targets allowed (it listens on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def private_ok(settings):  # type: ignore[no-untyped-def]
    """The receiver listens on loopback, which production refuses; these tests allow it."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings
