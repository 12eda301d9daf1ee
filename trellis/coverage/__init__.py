"""Payers, patient coverages, authorizations and concurrent (utilization) reviews."""
