"""Tailor's Airflow layer: settings from Variables, assets, operators and triggers.

Heavy libraries are imported inside the methods that run tasks, never at module level,
so DAG files that import from here stay fast to parse.
"""
