"""c2m-marketplace: the Django project (settings, urls, Celery app, accounts)."""

from marketplace.celery import app as celery_app

__all__ = ("celery_app",)
