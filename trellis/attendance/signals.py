"""Hooks of the attendance app for the layers above it (they connect in their AppConfig.ready()).

``attendance_marked``: sent inside the marking transaction, after one or more attendance records of ``session``
were recorded or corrected by ``user`` (``sender`` is the Attendance model). A receiver that writes takes part in
that transaction: if it raises, nothing of the marking is saved. Documentation uses it to give patients marked as
attending a section on the session's draft group note.
"""

from __future__ import annotations

from django.dispatch import Signal

attendance_marked = Signal()
