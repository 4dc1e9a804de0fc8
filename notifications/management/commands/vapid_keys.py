"""`manage.py vapid_keys`: a VAPID key pair for Web Push (RFC 8292), made once and kept.

With --file, the pair is read from that JSON file, or generated and written there (mode 0600) when the
file does not exist yet: `make run` keeps its pair under VAR_DIR, so browsers subscribed on an earlier run
keep receiving pushes (a subscription is bound to the key it was made with). Prints the pair as
VAPID_PUBLIC_KEY=... and VAPID_PRIVATE_KEY=... lines (both base64url: the private key's raw 32 bytes,
the public key's uncompressed point), or as JSON with --format json.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def generate() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"public_key": _b64url(public), "private_key": _b64url(private)}


class Command(BaseCommand):
    help = "Print a VAPID key pair for Web Push; with --file, keep it in (and read it from) that file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="JSON file holding the pair; created when missing.")
        parser.add_argument("--format", choices=["env", "json"], default="env")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options["file"] else None
        pair = self._read(path) if path is not None and path.exists() else None
        if pair is None:
            pair = generate()
            if path is not None:
                self._write(path, pair)
        if options["format"] == "json":
            self.stdout.write(json.dumps(pair))
        else:
            self.stdout.write(f"VAPID_PUBLIC_KEY={pair['public_key']}\nVAPID_PRIVATE_KEY={pair['private_key']}")

    def _read(self, path: Path) -> dict[str, str]:
        try:
            pair = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the VAPID keys in {path}: {exc}") from exc
        if not isinstance(pair, dict) or not pair.get("public_key") or not pair.get("private_key"):
            raise CommandError(f"{path} must hold public_key and private_key; remove it to generate a new pair")
        return {"public_key": str(pair["public_key"]), "private_key": str(pair["private_key"])}

    def _write(self, path: Path, pair: dict[str, str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created private from the start: the private key never sits in a world-readable file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(pair, handle)
