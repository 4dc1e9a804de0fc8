"""Login-attempt limits for the token endpoint: per client address and per account.

A password-guessing client is limited twice:
- per address (`LoginAddressThrottle`, scope "token"): one machine cannot try many accounts;
- per account (`LoginAccountThrottle`, scope "login_account"): many machines cannot try one account.
The account key is the username in the body, lower-cased, whether or not the account exists, so the
limit answers the same for real and made-up usernames and leaks nothing.

The client address is REMOTE_ADDR unless REST_FRAMEWORK["NUM_PROXIES"] says how many reverse proxies
append to X-Forwarded-For: DRF's default trusts the whole header, which lets a client pick a fresh
"address" per request and walk past the limit. Counters live in the default cache: use a shared
cache (CACHE_URL, Redis) when several web processes serve the API, or each keeps its own count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from marketplace.api.throttles import FailOpenThrottleMixin, ScopedThrottle

# Used when the settings name no rate for the scope (older settings files).
DEFAULT_LOGIN_ACCOUNT_RATE = "10/minute"


def client_address(request: Request) -> str:
    """The caller's address, trusting X-Forwarded-For only as far as NUM_PROXIES proxies."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    num_proxies = api_settings.NUM_PROXIES
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not xff:
        return remote_addr
    addrs = [a.strip() for a in xff.split(",") if a.strip()]
    return addrs[-min(num_proxies, len(addrs))] if addrs else remote_addr


class LoginAddressThrottle(ScopedThrottle):
    """The view's scope ("token"), counted per client address even when a token is sent along."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class LoginAccountThrottle(FailOpenThrottleMixin):
    """Attempts per username, from every address together."""

    scope = "login_account"

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get(self.scope, DEFAULT_LOGIN_ACCOUNT_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data
        if not isinstance(data, Mapping):  # a JSON list or scalar body: the serializer refuses it, nothing to count
            return None
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            return None
        # Hashed: cache keys stay short and printable whatever the client sent.
        ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
