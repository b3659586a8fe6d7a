"""Run at start-up by every Python process of the test `airflow standalone` (its PYTHONPATH
holds this folder): when SimpleAuthManager is imported, add tailor_test_auth's rule to it."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

TARGET = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager"


class _AddRuleOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            from tailor_test_auth import hide_dags

            hide_dags(module.SimpleAuthManager)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _AddRuleOnImport())
