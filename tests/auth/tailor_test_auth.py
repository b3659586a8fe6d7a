"""Airflow's SimpleAuthManager, with one user who may not read nightly_eval.

Simple auth grants a role to every DAG alike; real deployments (FAB, Keycloak) scope access
per DAG. This rule does the same for user ``analyst`` so a test can prove the Tailor routes
ask for read access to nightly_eval, not just for a signed-in user. `airflow standalone`
forces SimpleAuthManager whatever ``[core] auth_manager`` says, so the rule is added to that
class when it is imported (sitecustomize.py beside this file).
"""

from __future__ import annotations

HIDDEN = {"analyst": "nightly_eval"}


def hide_dags(manager_class: type) -> None:
    allowed = manager_class.is_authorized_dag

    def is_authorized_dag(self, *, method, user, access_entity=None, details=None) -> bool:
        if details is not None and HIDDEN.get(getattr(user, "username", None)) == details.id:
            return False
        return allowed(self, method=method, user=user, access_entity=access_entity, details=details)

    manager_class.is_authorized_dag = is_authorized_dag
