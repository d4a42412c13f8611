"""The state registries: identity, business, property, health, court."""
