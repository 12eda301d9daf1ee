"""Weekly-hours requirement sets, the compliance engine, alerts, worklists and audit-readiness reports."""
