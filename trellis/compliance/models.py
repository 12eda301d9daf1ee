"""Compliance models."""

from trellis.compliance.alert_models import (  # noqa: F401 - registered with the app here
    AlertKind,
    AlertState,
    ComplianceAlert,
    ComplianceAlertRecipient,
    RouteReason,
)
