"""Users and merchant organisations. A user has exactly one role; factories live in `factories`."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    MERCHANT = "merchant", "Merchant"
    FACTORY = "factory", "Factory"
    ADMIN = "admin", "Platform admin"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MERCHANT)
    # The language the user is written to in (e-mails, pushes), and the pages' language once signed in:
    # a code of settings.LANGUAGES. Set at sign-up from the browser's and by the language switch.
    language = models.CharField(max_length=10, default="en")

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    def save(self, *args: object, **kwargs: object) -> None:
        # `createsuperuser --noinput` makes platform admins without knowing about roles.
        if self.is_superuser:
            self.role = Role.ADMIN
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Merchant(models.Model):
    """An online shop or livestream seller posting orders. One owner account for now."""

    owner = models.OneToOneField(User, on_delete=models.PROTECT, related_name="merchant")
    name = models.CharField(max_length=200)
    region = models.ForeignKey("factories.Region", on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Default auto-accept rule for factories' counter-offers: up to +x % of the target, no date change.
    counter_auto_accept_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
