"""Property tests of the store's graph semantics on random object graphs (SQLite backend).

* Discovery walks agree with plain breadth-first reachability over the same edges.
* Deletes never orphan: after any delete, no remaining object holds a primary edge to a deleted
  one, and every refusal names a remaining holder.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etp.store import ContextScope, ObjectRecord, RelationshipKind, ResourceQuery, Store
from tests.etp.store_helpers import opened, record

TYPES = ("witsml20.Well", "witsml20.Wellbore", "witsml20.Log", "eml21.PropertyKind")


@dataclass
class Graph:
    uris: list[str]  # stored objects
    dangling: list[str]  # referenced, never stored
    edges: dict[tuple[int, int], RelationshipKind]  # (source, target) -> kind; target may dangle
    container: dict[int, int]  # contained object -> its container (a forest: container < child)

    def target(self, index: int) -> str:
        everything = self.uris + self.dangling
        return everything[index]

    def records(self) -> list[ObjectRecord]:
        built: dict[int, ObjectRecord] = {}
        for i in reversed(range(len(self.uris))):  # children (higher indexes) first
            uid = self.uris[i].rsplit("(", 1)[1].rstrip(")")
            qualified_type = self.uris[i].removeprefix("eml:///").split("(")[0]
            refs = [
                (t, k) for (s, t), k in self.edges.items() if s == i and t not in self.children(i)
            ]
            built[i] = record(
                qualified_type,
                uid=uid,
                references=tuple(self.target(t) for t, k in refs if k is RelationshipKind.PRIMARY),
                secondary=tuple(self.target(t) for t, k in refs if k is RelationshipKind.SECONDARY),
                contained=tuple(built[c] for c in self.children(i)),
            )
        return [built[i] for i in range(len(self.uris)) if i not in self.container]

    def children(self, i: int) -> list[int]:
        return sorted(c for c, parent in self.container.items() if parent == i)

    def all_edges(self) -> dict[tuple[str, str], RelationshipKind]:
        edges = {(self.uris[s], self.target(t)): k for (s, t), k in self.edges.items()}
        for child, parent in self.container.items():
            edges[(self.uris[parent], self.uris[child])] = RelationshipKind.PRIMARY
        return edges


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    n = draw(st.integers(2, 10))
    types = draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n))
    uris = [f"eml:///{t}({uuid.UUID(int=i + 1)})" for i, t in enumerate(types)]
    dangling = [
        f"eml:///witsml20.Well({uuid.UUID(int=1000 + i)})" for i in range(draw(st.integers(0, 2)))
    ]
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n + len(dangling) - 1))
    kinds = st.sampled_from([RelationshipKind.PRIMARY, RelationshipKind.SECONDARY])
    edges = draw(st.dictionaries(pairs, kinds, max_size=3 * n))
    edges = {(s, t): k for (s, t), k in edges.items() if s != t}
    container = {}
    for child in range(1, n):
        if draw(st.booleans()) and draw(st.booleans()):
            container[child] = draw(st.integers(0, child - 1))
    for child, parent in container.items():
        edges.pop((parent, child), None)
    return Graph(uris, dangling, edges, container)


def reachable(graph: Graph, start: str, query: ResourceQuery) -> set[str]:
    """Breadth-first reachability, written plainly from the documented semantics."""
    edges = graph.all_edges()
    stored = set(graph.uris)
    allowed = {
        RelationshipKind.PRIMARY: {RelationshipKind.PRIMARY},
        RelationshipKind.SECONDARY: {RelationshipKind.SECONDARY},
        RelationshipKind.BOTH: {RelationshipKind.PRIMARY, RelationshipKind.SECONDARY},
    }[query.navigable_edges]
    outward = query.scope in (ContextScope.TARGETS, ContextScope.TARGETS_OR_SELF)
    inward = query.scope in (ContextScope.SOURCES, ContextScope.SOURCES_OR_SELF)
    found = {start}
    frontier = {start}
    for _ in range(query.depth if outward or inward else 0):
        step = set()
        for (s, t), kind in edges.items():
            if kind in allowed and (s if outward else t) in frontier:
                step.add(t if outward else s)
        frontier = step - found
        found |= frontier
    if query.navigable_edges is RelationshipKind.PRIMARY:
        extra = set()
        for (s, t), kind in edges.items():
            if kind is RelationshipKind.SECONDARY:
                if query.include_secondary_targets and s in found:
                    extra.add(t)
                if query.include_secondary_sources and t in found:
                    extra.add(s)
        found |= extra
    if query.scope in (ContextScope.SOURCES, ContextScope.TARGETS):
        found.discard(start)
    return found & stored


def run(coroutine_factory: object) -> None:
    async def main() -> None:
        with tempfile.TemporaryDirectory() as folder:
            async with opened(f"sqlite:///{folder}/store.db") as store:
                await coroutine_factory(store)  # type: ignore[operator]

    asyncio.run(main())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graph=graphs(),
    start=st.integers(0, 9),
    scope=st.sampled_from(list(ContextScope)),
    depth=st.integers(1, 4),
    navigable=st.sampled_from(list(RelationshipKind)),
    secondary_targets=st.booleans(),
    secondary_sources=st.booleans(),
)
def test_walks_match_breadth_first_reachability(
    graph: Graph,
    start: int,
    scope: ContextScope,
    depth: int,
    navigable: RelationshipKind,
    secondary_targets: bool,
    secondary_sources: bool,
) -> None:
    context = graph.uris[start % len(graph.uris)]
    query = ResourceQuery(
        context,
        scope=scope,
        depth=depth,
        navigable_edges=navigable,
        include_secondary_targets=secondary_targets,
        include_secondary_sources=secondary_sources,
        include_edges=True,
        count_objects=True,
    )

    async def check(store: Store) -> None:
        await store.put_objects(graph.records())
        page = await store.get_resources(query)
        got = {r.uri for r in page.resources}
        assert got == reachable(graph, context, query)
        ends = got | {context}
        for edge in page.edges:
            assert edge.source in ends
            assert edge.target in ends
            assert graph.all_edges()[(edge.source, edge.target)] is edge.kind
        stored = set(graph.uris)
        kinds = {RelationshipKind.PRIMARY, RelationshipKind.SECONDARY}
        if navigable is not RelationshipKind.BOTH:
            kinds = {navigable}
        for resource in page.resources:
            edges = [(s, t) for (s, t), k in graph.all_edges().items() if k in kinds]
            assert resource.target_count == sum(s == resource.uri and t in stored for s, t in edges)
            assert resource.source_count == sum(t == resource.uri for s, t in edges)

    run(check)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graph=graphs(),
    doomed=st.sets(st.integers(0, 9), min_size=1, max_size=5),
    prune=st.booleans(),
)
def test_deletes_never_orphan_and_refusals_name_a_holder(
    graph: Graph, doomed: set[int], prune: bool
) -> None:
    requested = sorted({graph.uris[i % len(graph.uris)] for i in doomed})

    async def check(store: Store) -> None:
        await store.put_objects(graph.records())
        outcome = await store.delete_objects(requested, prune_contained_objects=prune)
        assert set(outcome.deleted) | set(outcome.errors) == set(requested)
        deleted = {uri for uris in outcome.deleted.values() for uri in uris}
        remaining = set(graph.uris) - deleted
        listed = {r.uri for r in (await store.get_resources(ResourceQuery("eml:///"))).resources}
        assert listed == remaining
        holders = defaultdict(set)
        for (s, t), kind in graph.all_edges().items():
            if kind is RelationshipKind.PRIMARY:
                holders[t].add(s)
        for uri in deleted:
            assert not holders[uri] & remaining, f"{uri} deleted while held"
        for uri, error in outcome.errors.items():
            assert error.key == uri
            assert any(h in error.message for h in holders[uri] & remaining)
        if not prune:
            assert deleted == set(outcome.deleted)
        tombstones = {d.uri for d in await store.get_deleted_resources("eml:///")}
        assert tombstones == deleted

    run(check)
