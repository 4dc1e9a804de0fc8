"""The purchase order's PDF for the pages: the order's merchant and the share's factory (and admins) download it.

The same selector as the API scopes the share to the signed-in user: anyone else gets the 404 page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from contracts.pdf import purchase_order_pdf
from contracts.selectors import purchase_orders_for
from marketplace.accounts.models import User
from marketplace.errors import NotFound


@login_required
def purchase_order_pdf_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        documents = purchase_orders_for(user=user, allocation_id=allocation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    document = documents[-1]
    response = HttpResponse(purchase_order_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
