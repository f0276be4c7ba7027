"""Presentation: findings, EN/DE narrative, figures, claim check."""
