from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def attachments_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Each test stores its files in a directory of its own, so "nothing left behind" can be checked."""
    root = tmp_path / "attachments"
    root.mkdir()
    settings.STORAGES = settings.STORAGES | {
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}
    }
    yield root
