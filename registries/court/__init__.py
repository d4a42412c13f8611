"""The court register: cases, parties, hearings, judgments, appeals, enforcement."""
