"""Watch alerting, pure: rules (TOML → typed), readings on an observation grid, and the rule engine
(rules + observations + saved state → alert transitions). No I/O beyond reading a rules file."""
