"""Patch ids for changes to running incidents' commands (`workflow.patched`), one constant each.

Each says its stage: patch (old and new histories both run), deprecate (`deprecate_patch` once no
open incident predates it), remove. Replay tests over committed histories prove old ones still run.
Workflow code asks `patched(id)` (below), never `workflow.patched` itself.
"""

from __future__ import annotations

from temporalio import workflow

# Stage: patch. The incident channel's id as a search attribute, upserted once the channel exists.
INCIDENT_CHANNEL_SEARCH_ATTRIBUTE = "incident-channel-search-attribute"

# Stage: patch. Declaration steps that need only the channel run side by side, the pin and each
# bookmark as steps of their own; before it, the summary (with its pin) and the invites ran first.
DECLARATION_STEPS_SIDE_BY_SIDE = "declaration-steps-side-by-side"

# Stage: patch. The counter reads the record's highest number before its first allocation and
# after a collision, so numbering that starts over (a new Temporal server) never repeats one.
COUNTER_READS_RECORD_FLOOR = "counter-reads-record-floor"

# Stage: patch. An incident whose number the record holds for another takes a fresh number
# instead of going unrecorded.
RENUMBER_TAKEN_NUMBER = "renumber-taken-number"

# Stage: patch. The record loop writes the incident and its new timeline events together
# (record_changes); before it, only the incident (record_incident).
RECORD_TIMELINE = "record-timeline"

# Stage: patch. Reminders and nudges: the due times kept in the state, and the reminders task
# with its timers (workflows/incident/remind.py). Incidents started before it have none.
REMINDERS = "reminders"

# Stage: patch. The postmortem doc and the Jira issue (workflows/incident/tracking.py): made at
# declaration and at promotion into a level that wants them, kept in step with the incident.
# Checked only by incidents whose deployment has Notion, Confluence or Jira configured.
POSTMORTEM_AND_TICKET = "postmortem-and-ticket"

# Stage: patch. The pinned summary is updated one call at a time, each rendered when its turn
# comes: two updates in flight could reach Slack out of order and leave an older summary pinned.
SUMMARY_ONE_AT_A_TIME = "summary-one-at-a-time"

# Stage: patch. The level steps run at declaration too (before it, only at promotion), and
# include paging on-call through PagerDuty, inviting the on-call people and the status channel.
PAGING_AND_STATUS_CHANNEL = "paging-and-status-channel"

# Stage: patch. A new incident's first record waits for its declaration (a few seconds at most),
# so one write usually records it whole instead of one before the channel and one after.
ONE_RECORD_AT_DECLARATION = "one-record-at-declaration"

# Stage: patch. The steps a promotion adds (status channel, people, paging) run beside the
# incident's changes; before it, the next change waited until they were done.
LEVEL_STEPS_BESIDE_CHANGES = "level-steps-beside-changes"

# Stage: patch. A summary update that would show what the last one showed is not sent: updates
# queued behind one another while Slack answers mostly render the same incident.
SUMMARY_SENT_ONCE_PER_CHANGE = "summary-sent-once-per-change"

# Stage: patch. A weeks-long incident continues as new, carrying its whole state, when Temporal
# suggests it or its history reaches `events_per_run` (workflows/incident/next_run.py). Runs from
# before it never do: their histories went on in the same run.
CONTINUE_AS_NEW = "continue-as-new"

# Stage: patch. Jira comments on status and severity changes name the person who made the change
# (their Slack name, looked up once per person: tracking.py) instead of their Slack user id.
JIRA_COMMENT_NAMES = "jira-comment-names"

# Stage: patch. A promotion while the status channel is being created does not create another
# (workflows/incident/status_channel.py); before it, a second promotion within that call did.
STATUS_CHANNEL_ONCE = "status-channel-once"

# Stage: patch. An update of the posted summary is tried first as a local activity, in the workflow
# task that asked for it, and queued only when that try fails (workflows/incident/steps.py);
# before it, every update was queued.
SUMMARY_UPDATED_IN_THE_CHANGE_TASK = "summary-updated-in-the-change-task"

# Stage: patch. Every incident patch above, recorded as one marker. Each `workflow.patched` that is
# not replaying records a marker and upserts the TemporalChangeVersion search attribute: seven of
# each in every declaration, on its way to the channel. An incident started since records this one
# instead; one started before has none, and asks each patch on its own as before.
INCIDENT_PATCHES_2026_11 = "incident-patches-2026-11"
_IN_INCIDENT_PATCHES_2026_11 = frozenset(
    {
        INCIDENT_CHANNEL_SEARCH_ATTRIBUTE,
        DECLARATION_STEPS_SIDE_BY_SIDE,
        RENUMBER_TAKEN_NUMBER,
        RECORD_TIMELINE,
        REMINDERS,
        POSTMORTEM_AND_TICKET,
        SUMMARY_ONE_AT_A_TIME,
        PAGING_AND_STATUS_CHANNEL,
        ONE_RECORD_AT_DECLARATION,
        LEVEL_STEPS_BESIDE_CHANGES,
        SUMMARY_SENT_ONCE_PER_CHANGE,
        CONTINUE_AS_NEW,
        JIRA_COMMENT_NAMES,
        STATUS_CHANNEL_ONCE,
        SUMMARY_UPDATED_IN_THE_CHANGE_TASK,
    }
)


def patched(patch_id: str) -> bool:
    """`workflow.patched(patch_id)`, answered for a patch folded into INCIDENT_PATCHES_2026_11 by
    that one marker when the run has it (or records it now). The SDK remembers each answer for the
    run, so a run from before the fold, which replays without the marker, asks each patch."""
    if patch_id in _IN_INCIDENT_PATCHES_2026_11 and workflow.patched(INCIDENT_PATCHES_2026_11):
        return True
    return workflow.patched(patch_id)
