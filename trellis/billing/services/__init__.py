"""Every billing write. Split by concern; import from here."""

from trellis.billing.services.batches import BatchRefused, build_batches, submit_batch
from trellis.billing.services.charges import (
    CaptureResult,
    capture_charges,
    correct_charge,
    hold_charge,
    release_charge,
)
from trellis.billing.services.claims import (
    ClaimError,
    appeal_claim,
    create_claims,
    replace_claim,
    scrub_claims,
    set_claim_status,
    void_claim,
)
from trellis.billing.services.fees import add_fee_entry, end_fee_entry
from trellis.billing.services.remittances import (
    ImportSummary,
    MatchRefused,
    RemittanceRefused,
    import_remittance,
    match_suspense,
)
from trellis.billing.services.secondary import create_secondary_claims

__all__ = [
    "add_fee_entry", "end_fee_entry",
    "BatchRefused", "CaptureResult", "ClaimError", "appeal_claim", "ImportSummary", "RemittanceRefused", "build_batches",
    "capture_charges", "correct_charge", "create_claims", "hold_charge", "import_remittance", "release_charge",
    "replace_claim", "scrub_claims", "set_claim_status", "submit_batch", "void_claim", "MatchRefused",
    "match_suspense", "create_secondary_claims",
]
