"""Tailor's plain logic: catalog parsing, manifests, the local knowledge base.

Nothing in this package imports Airflow, so it runs the same in a task, a test or a notebook.
"""
