"""Patch ids for changes to running incidents' commands (`workflow.patched`), one constant each.

Each says its stage: patch (old and new histories both run), deprecate (`deprecate_patch` once no
open incident predates it), remove. Replay tests over committed histories prove old ones still run.
"""

# Stage: patch. The incident channel's id as a search attribute, upserted once the channel exists.
INCIDENT_CHANNEL_SEARCH_ATTRIBUTE = "incident-channel-search-attribute"

# Stage: patch. Declaration steps that need only the channel run side by side, the pin and each
# bookmark as steps of their own; before it, the summary (with its pin) and the invites ran first.
DECLARATION_STEPS_SIDE_BY_SIDE = "declaration-steps-side-by-side"
