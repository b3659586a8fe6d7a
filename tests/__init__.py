"""Tailor's tests, in lanes (unit, models, dags, system), and what they share (support)."""
