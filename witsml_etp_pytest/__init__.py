"""Pytest fixtures for testing services that speak WITSML 2.0 and ETP 1.2 (see the plugin)."""
