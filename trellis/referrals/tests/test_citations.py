"""Citations (issue 11 item 11): HRSN cites the 2018 AHC HRSN screening tool; aftercare cites program policy."""

from __future__ import annotations

from trellis.episodes import medications, services
from trellis.referrals import hrsn


def test_hrsn_cites_the_2018_ahc_screening_tool():
    """The Accountable Health Communities Health-Related Social Needs Screening Tool (CMS, 2018)."""
    assert "Accountable Health Communities Health-Related Social Needs Screening Tool (CMS, 2018)" in hrsn.SOURCE


def test_aftercare_rule_cites_program_policy_not_hedis():
    """Program policy: follow-up within 7 days of discharge; HEDIS FUH measures inpatient stays, not PHP/IOP."""
    assert medications.AFTERCARE_SOURCE.startswith("Program policy") and "not HEDIS FUH" in medications.AFTERCARE_SOURCE
    assert services.AFTERCARE_MAX_DAYS == 7
