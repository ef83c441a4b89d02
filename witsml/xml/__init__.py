"""Reading and writing WITSML XML: the safe parser, namespaces, xsi:type, the model binding.

The public entry points are :func:`witsml.parse` and :func:`witsml.to_xml`; this package keeps no
imports at package level so that :mod:`witsml.objects` can use :mod:`witsml.xml.namespaces`.
"""
