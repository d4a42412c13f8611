"""The money registry: central-bank digital euros in wallets, on the same chain."""
