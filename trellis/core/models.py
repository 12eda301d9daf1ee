"""Base model shared by every Trellis record: opaque public id and who/when stamps."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from trellis.core.errors import DomainError


class BaseModel(models.Model):
    # URLs and APIs use public_id (DESIGN.md §4): never integer ids, MRNs or names.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class SignedAddendum:
    """Mixin for an addendum to signed documentation (a note, a discharge summary): written once, then never
    changed or deleted; a correction is another addendum (CMS Program Integrity Manual, Pub. 100-08, ch. 3,
    §3.3.2.5: amendments are dated and signed additions, the original entry stays)."""

    _state: Any

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DomainError("A signed addendum cannot be changed; add another addendum.")
        super().save(*args, **kwargs)  # type: ignore[misc]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Addenda are never deleted.")
