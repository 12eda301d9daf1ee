"""Claim submission interface and its file-drop implementation (a clearinghouse connector can come later).

Submitting is idempotent: the file name is the interchange control number, and a file already dropped with
the same content is not written again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol


class SubmissionError(RuntimeError):
    pass


class Submitter(Protocol):
    def submit(self, *, filename: str, content: str) -> str:
        """Deliver the file; return a reference (path, clearinghouse id). Same input -> same reference."""


class FileDropSubmitter:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def submit(self, *, filename: str, content: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / filename
        data = content.encode("ascii")
        if target.exists():
            if hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(data).digest():
                raise SubmissionError(f"{target} already exists with different content: not overwritten.")
            return str(target)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # atomic on one filesystem: the pick-up never sees half a file
        return str(target)
