"""The web explorer: a read-only page that shows the chain and verifies in the browser."""
