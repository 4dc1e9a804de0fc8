"""ASGI entry point (uvicorn marketplace.asgi:application): the live pages' event stream, /events/.

`make run` and production run it beside gunicorn (docs/deployment.md); it can serve every URL, but only
/events/ is routed to it: the pages and the API stay on the WSGI processes.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.base")
application = get_asgi_application()
