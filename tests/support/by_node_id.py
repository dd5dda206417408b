"""The catalog statements that find their nodes by id (graph/node_ids.py), for the tests that check them."""

from __future__ import annotations

BY_ID = (
    "segments/stage_members",
    "segments/copy_users",
    "segments/refresh_members",
    "segments/set_likely",
    "segments/clear_likely",
    "segments/create_similar",
    "features/set_user_features",
    "vectors/set_user_embeddings",
    *(f"load/{how}_{what}" for how in ("add", "create") for what in ("viewed", "carted", "removed", "purchased")),
)
