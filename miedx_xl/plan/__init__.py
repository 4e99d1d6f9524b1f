"""The plan: its model and built-in R3 data, pandera schemas, and the plan book."""
