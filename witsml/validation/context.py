"""What validation knows beyond one document: the Wells (and their datums) and Wellbores at hand."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from witsml.xml.namespaces import EML, WITSML

_WELL = f"{{{WITSML}}}Well"
_WELLBORE = f"{{{WITSML}}}Wellbore"
_WELL_DATUM = f"{{{WITSML}}}WellDatum"
_UUID = f"{{{EML}}}Uuid"


@dataclass
class ValidationContext:
    """Wells and Wellbores seen so far, so that references across documents can be checked.

    ``witsml validate well.xml wellbore.xml log.xml`` fills one context with every file first:
    the Log's depth ``datum`` attributes are then checked against the Well's ``WellDatum`` uids.
    """

    well_datums: dict[str, frozenset[str]] = field(default_factory=dict)
    """Well uuid (lower case) -> uids of its WellDatum elements."""
    wellbore_wells: dict[str, str] = field(default_factory=dict)
    """Wellbore uuid (lower case) -> the uuid of the Well it references."""

    def learn(self, root: etree._Element) -> None:
        """Remember ``root`` if it is a Well or a Wellbore."""
        uuid = (root.get("uuid") or "").lower()
        if not uuid:
            return
        if root.tag == _WELL:
            uids = (datum.get("uid") for datum in root.iterchildren(_WELL_DATUM))
            self.well_datums[uuid] = frozenset(uid for uid in uids if uid)
        elif root.tag == _WELLBORE:
            well = root.find(f"{_WELL}/{_UUID}")
            if well is not None and well.text:
                self.wellbore_wells[uuid] = well.text.strip().lower()

    def datums_for_well(self, well_uuid: str) -> frozenset[str] | None:
        """The WellDatum uids of a known Well, or None when that Well is not at hand."""
        return self.well_datums.get(well_uuid.lower())

    def datums_for_wellbore(self, wellbore_uuid: str) -> frozenset[str] | None:
        """The WellDatum uids of the Well of a known Wellbore, or None when not at hand."""
        well = self.wellbore_wells.get(wellbore_uuid.lower())
        return self.datums_for_well(well) if well else None
