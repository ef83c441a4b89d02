"""Any other data object, kept whole: Rig, BhaRun, Attachment..., and every WITSML 2.1 object."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from witsml.objects.base import XmlFragment, XmlModel
from witsml.objects.common import Citation, DataObjectReference, object_uri
from witsml.xml.namespaces import EML


class GenericObject(XmlModel):
    """A data object without a typed model here, with its whole XML kept in ``content``.

    :func:`witsml.parse` returns one for any WITSML or Energistics common object other than the
    typed ones (``Rig``, ``BhaRun``, ``PropertyKind``...) and for every WITSML 2.1 document (same
    namespace as 2.0; ``schema_version`` says which). :func:`witsml.to_xml` writes ``content``
    back unchanged. The other fields are read from it for convenience and are not written: the
    object is frozen so they cannot disagree with ``content``.
    """

    model_config = ConfigDict(frozen=True)

    object_type: str
    """The root element's local name, e.g. ``"Rig"``."""
    namespace: str
    """The root element's namespace (WITSML or Energistics common)."""
    uuid: str | None
    schema_version: str | None
    citation: Citation | None
    held_references: Annotated[list[DataObjectReference], Field(repr=False)] = []
    """Every DataObjectReference found in the content (2.1 references converted)."""
    content: Annotated[XmlFragment, Field(repr=False)]

    @property
    def _domain(self) -> str:
        return "eml" if self.namespace == EML else "witsml"

    @property
    def _version(self) -> str:
        """``"2.0"``/``"2.1"``...: major.minor of schemaVersion (2.0 for WITSML, 2.1 for eml)."""
        default = "2.1" if self._domain == "eml" else "2.0"
        return ".".join((self.schema_version or default).split(".")[:2])

    @property
    def qualified_type(self) -> str:
        """The ETP 1.2 data object type, e.g. ``"witsml20.Rig"`` or ``"witsml21.Well"``."""
        return f"{self._domain}{self._version.replace('.', '')}.{self.object_type}"

    @property
    def content_type(self) -> str:
        """E.g. ``application/x-witsml+xml;version=2.0;type=Rig``."""
        return f"application/x-{self._domain}+xml;version={self._version};type={self.object_type}"

    @property
    def uri(self) -> str:
        """The canonical ETP 1.2 URI in the default dataspace.

        Raises WitsmlError for an object without uuid, such as a ``part_MudLogReportInterval``
        (a part of a growing object, not a data object).
        """
        return object_uri(self.qualified_type, self.object_type, self.uuid)

    def reference(self) -> DataObjectReference:
        """A DataObjectReference to this object; WitsmlError when it has no uuid."""
        uri = self.uri
        return DataObjectReference(
            content_type=self.content_type,
            title=self.citation.title if self.citation else "",
            uuid=self.uuid or "",
            uri=uri,
        )

    def references(self) -> list[DataObjectReference]:
        """The references found in the content."""
        return list(self.held_references)
