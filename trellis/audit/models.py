"""Append-only, hash-chained audit trail (HIPAA §164.312(b) audit controls; §164.316 retention).

Two insert-only tables, and one work queue:
- AuditEvent is written inside the business transaction with the HMAC of its own canonical content (key
  outside the database, trellis/audit/keys.py), and
  takes no lock, so audited writes never serialize on (or deadlock over) the chain;
- AuditSeal links each committed event into the chain (hash of the previous seal + the event's content hash).
  Seals are appended in a short transaction after commit, in batches (and by `manage.py seal_audit`);
- AuditSealQueue holds one row per unsealed event (inserted with the event by a database trigger, deleted
  when it is sealed), so sealing finds its work by primary key in a small table instead of searching the whole trail.
An edited event no longer matches its content hash; a deleted event takes its seal with it (the foreign key
forbids otherwise) and breaks the seal chain; a removed tail no longer matches the chain head
(`manage.py verify_audit`). In production the app's database role gets INSERT/SELECT only on both tables
(`manage.py db_grants --app-role ROLE --apply`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.access import ScopedQuerySet


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    PRINT = "print", "Print"
    EXPORT = "export", "Export"
    DISCLOSE = "disclose", "Disclose"
    SIGN = "sign", "Sign"
    UNLOCK = "unlock", "Unlock"
    LOGIN = "login", "Sign in"
    LOGOUT = "logout", "Sign out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    DENIED = "denied", "Permission denied"


class AuditEventQuerySet(ScopedQuerySet["AuditEvent"]):
    def at_sites(self, site_ids: Iterable[int]) -> AuditEventQuerySet:
        # An event without a site (sign-in, sign-out, a change to the organization) belongs to no one site:
        # every reviewer of the organization's trail sees it next to the events of their own sites.
        return self.filter(Q(site_id__in=list(site_ids)) | Q(site__isnull=True))


class AuditEvent(models.Model):
    site_path = "site"

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    roles = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey("accounts.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_path = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=16, default="success")
    detail = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    # Which audit key made content_hash (HMAC); blank for events hashed before keying (plain SHA-256).
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["patient", "occurred_at"], name="audit_patient_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            # the audit report reads each site's newest events by id (keyset pages)
            models.Index(fields=["site", "id"], name="audit_site_id"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object):
        raise RuntimeError("Audit events are append-only.")


class AuditSeal(models.Model):
    """One link of the chain: seals are appended in commit order, each over the previous seal's hash."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()
    # blank: sealed before keying (SHA-256)
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"seal #{self.pk} of event #{self.event_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit seals are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object):
        raise RuntimeError("Audit seals are append-only.")


class AuditChainHead(models.Model):
    """One row: the newest seal's hash. Locked only by the short sealing transaction, never by a request's."""

    sealed_count = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Where the unkeyed (legacy SHA-256) part of the trail ends, signed with an audit key when keying began.
    legacy_events_until = models.BigIntegerField(default=0)
    legacy_seals_until = models.BigIntegerField(default=0)
    boundary_key_id = models.CharField(max_length=16, blank=True, default="")
    boundary_mac = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"audit head ({self.sealed_count} sealed)"


class AuditSealQueue(models.Model):
    """An event waiting for its seal. Not part of the evidence: removing a row only leaves the event unsealed,
    which `verify_audit` reports once the grace period has passed."""

    event = models.OneToOneField(AuditEvent, primary_key=True, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"event #{self.event_id} awaiting its seal"
