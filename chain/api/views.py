"""Auditor views: blocks with their logs, signatures and checkpoints."""
