"""Migration tests' targets: some apps pinned at a migration, every other app
as far along as it can be without the pinned apps' later migrations."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def targets_with(pinned: dict[str, str | None]) -> list[tuple[str, str | None]]:
    """``pinned`` apps at their migration (None: none of it applied); each other
    app at its latest migration that needs none of the pinned apps' later ones
    (slots' holds need bookings 0007, say), or at none when even its first does."""
    graph = MigrationExecutor(connection).loader.graph
    later = {
        node for node in graph.nodes
        if node[0] in pinned and (pinned[node[0]] is None or node not in graph.forwards_plan((node[0], pinned[node[0]])))
    }
    targets: list[tuple[str, str | None]] = [(app, name) for app, name in pinned.items()]
    for leaf in graph.leaf_nodes():
        if leaf[0] in pinned:
            continue
        own = [node for node in graph.forwards_plan(leaf) if node[0] == leaf[0]]
        usable = [node for node in own if not later.intersection(graph.forwards_plan(node))]
        targets.append(usable[-1] if usable else (leaf[0], None))
    return targets


def migrate_to(targets: list[tuple[str, str | None]]):
    """Migrate to ``targets`` and return the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    applied = [(app, name) for app, name in targets if name is not None]
    return executor.loader.project_state(applied).apps
