"""Pytest fixtures for testing services that speak WITSML 2.0 and ETP 1.2.

The plugin (:mod:`witsml_etp_pytest.plugin`, loaded by pytest through the ``pytest11`` entry
point) declares the fixtures; :mod:`~witsml_etp_pytest.objects` makes the sample objects,
:mod:`~witsml_etp_pytest.server` runs the ETP server, :mod:`~witsml_etp_pytest.simulation` the
drilling rig feeding it. This package imports nothing at load time (see the plugin).
"""
