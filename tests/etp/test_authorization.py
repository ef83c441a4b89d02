"""etp.auth.identity: dataspace patterns, read/write checks, identity_of."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etp.auth import FULL_ACCESS, Identity, dataspace_pattern, identity_of
from etp.errors import ErrorCode, InvalidUri, ProtocolError
from etp.uri import DataObjectUri, DataspaceUri

WELL = "witsml20.Well"
UUID = "0a1b2c3d-0000-4000-8000-000000000001"


def ds(path: str) -> str:
    return str(DataspaceUri(path))


def obj(path: str) -> str:
    return str(DataObjectUri.build(WELL, UUID, dataspace=path))


@pytest.mark.parametrize(
    ("pattern", "normalized"),
    [
        ("*", "*"),
        ("eml:///*", "*"),
        ("eml:///", "eml:///"),
        ("eml:///dataspace('rig')", "eml:///dataspace('rig')"),
        ("eml:///dataspace(rig)", "eml:///dataspace('rig')"),  # legacy unquoted form
        ("eml:///dataspace('rig/*')", "eml:///dataspace('rig/*')"),
        ("eml:///dataspace('o''neil')", "eml:///dataspace('o''neil')"),
    ],
)
def test_patterns_are_normalized(pattern: str, normalized: str) -> None:
    assert dataspace_pattern(pattern) == normalized


@pytest.mark.parametrize(
    "pattern", ["", "rig", "eml://rig", "eml:///witsml20.Well", "http://x/", "eml:///dataspace('"]
)
def test_bad_patterns_are_refused_with_the_expected_forms(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"invalid dataspace pattern.*expected '\*', 'eml:///'"):
        dataspace_pattern(pattern)


def test_bad_pattern_in_an_identity() -> None:
    with pytest.raises(ValueError, match="'rig'"):
        Identity("alice", read=("rig",))


def test_read_write_and_write_implies_read() -> None:
    alice = Identity("alice", read=("eml:///",), write=("eml:///dataspace('rig/*')",))
    assert alice.can_read(ds(""))
    assert not alice.can_write(ds(""))
    assert alice.can_read(ds("rig/a"))
    assert alice.can_write(ds("rig/a"))
    assert alice.can_write(ds("rig/a/b"))  # * crosses '/'
    assert not alice.can_read(ds("rig"))  # 'rig/*' is below rig, not rig itself
    assert not alice.can_read(ds("rigs/a"))
    assert not alice.can_read(ds("other"))


def test_any_uri_counts_by_its_dataspace() -> None:
    bob = Identity("bob", read=("eml:///dataspace('rig')",))
    assert bob.can_read(obj("rig"))
    assert bob.can_read("eml:///dataspace('rig')/witsml20.Well")  # folder
    assert bob.can_read(DataObjectUri.build(WELL, UUID, dataspace="rig"))  # parsed
    assert not bob.can_read(obj(""))
    assert not bob.can_read(f"eml:///{WELL}({UUID})")
    # an alternate form of the same dataspace
    assert bob.can_read(f"eml:///dataspace(rig)/{WELL}({UUID})")


def test_named_patterns_never_match_the_default_dataspace() -> None:
    carol = Identity("carol", read=("eml:///dataspace('*')",))
    assert carol.can_read(ds("anything/at/all"))
    assert not carol.can_read(ds(""))
    assert not carol.can_read(obj(""))


def test_glob_characters_other_than_star_are_literal() -> None:
    dan = Identity("dan", read=("eml:///dataspace('a.b[1]?')",))
    assert dan.can_read(ds("a.b[1]?"))
    assert not dan.can_read(ds("axb1"))
    assert not dan.can_read(ds("a.b[1]x"))


def test_quotes_in_paths() -> None:
    erin = Identity("erin", write=("eml:///dataspace('o''neil/*')",))
    assert erin.can_write(ds("o'neil/x"))
    assert not erin.can_write(ds("oneil/x"))


def test_no_patterns_no_rights() -> None:
    nobody = Identity("nobody")
    assert not nobody.can_read(ds(""))
    assert not nobody.can_read(ds("x"))


def test_everything() -> None:
    for identity in (FULL_ACCESS, Identity("x", write=("eml:///*",))):
        assert identity.can_read(ds(""))
        assert identity.can_write(ds(""))
        assert identity.can_write(obj("deep/path"))


def test_malformed_uri_is_an_invalid_uri_error() -> None:
    with pytest.raises(InvalidUri):
        FULL_ACCESS.can_read("not a uri")


def test_require_raises_request_denied_naming_subject_and_dataspace() -> None:
    frank = Identity("frank", read=("eml:///",))
    frank.require_read(obj(""))
    with pytest.raises(ProtocolError, match="frank may not write the default dataspace") as e:
        frank.require_write(obj(""))
    assert e.value.code is ErrorCode.EREQUEST_DENIED
    with pytest.raises(ProtocolError, match='frank may not read dataspace "eml:///dataspace'):
        frank.require_read(obj("rig"))


def test_identity_is_frozen_and_claims_read_only() -> None:
    identity = Identity("g", claims={"sub": "g"}, read=("*",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.subject = "h"  # type: ignore[misc]
    with pytest.raises(TypeError):
        identity.claims["sub"] = "h"  # type: ignore[index]


def test_identity_of() -> None:
    alice = Identity("alice")
    assert identity_of(alice) is alice
    assert identity_of(None) is FULL_ACCESS
    custom = identity_of("bearer")  # a custom hook's identity: full access under its name
    assert custom.subject == "bearer"
    assert custom.can_write(ds("x"))


_PATH = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@given(path=_PATH, other=_PATH)
def test_exact_named_pattern_matches_only_its_own_path(path: str, other: str) -> None:
    if not path or "*" in path:
        return
    identity = Identity("p", read=(ds(path),))
    assert identity.can_read(ds(path))
    assert identity.can_read(ds(other)) == (other == path)


@given(prefix=_PATH, rest=_PATH)
def test_prefix_pattern_matches_everything_below(prefix: str, rest: str) -> None:
    if "*" in prefix:
        return
    identity = Identity("p", read=(ds(prefix + "/*"),))
    assert identity.can_read(ds(prefix + "/" + rest))
    assert not identity.can_read(ds(prefix))
