"""The population and organisations registry: persons, organisations, officials, e-ID keys."""
