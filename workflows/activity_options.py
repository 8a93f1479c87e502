"""Timeouts and retry policies for the activities, named by what they protect.

Start-to-close timeouts are short because they are also how a crashed worker's activity is noticed:
every call inside finishes or times out well within them (the Slack client's own timeout is 8 s).
"""

from datetime import timedelta
from typing import TypedDict

from temporalio.common import RetryPolicy


class ActivityOptions(TypedDict, total=False):
    start_to_close_timeout: timedelta
    schedule_to_close_timeout: timedelta
    retry_policy: RetryPolicy


class HeartbeatingOptions(ActivityOptions, total=False):
    """For an activity that heartbeats (local activities take no heartbeat timeout)."""

    heartbeat_timeout: timedelta


# Steps the incident cannot do without (its number, its channel, its summary): retried until done.
ESSENTIAL: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=30)
    ),
}

# A step tried in the workflow task that asked for it (a local activity, steps.in_task_first): that
# task, and every query the bot sends meanwhile, waits for it, so one short attempt (the bot gives
# a query 1.5 s); a slower Slack gets the step queued with its own options instead.
IN_TASK: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=1),
    "schedule_to_close_timeout": timedelta(seconds=1),  # waiting for a free slot included
    "retry_policy": RetryPolicy(maximum_attempts=1),
}

# Steps that may be given up on after a while (feed post, DM, invites, bookmark, topic): the rest of
# the incident never waits on them forever, and what was given up is reported in the channel.
BEST_EFFORT: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=10),
    "schedule_to_close_timeout": timedelta(minutes=15),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=30)
    ),
}

# The PostgreSQL record: retried forever, often enough that it lands soon after the DB returns.
RECORD: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=5)
    ),
}

# After Slack refused to create the channel for a reason an admin must fix: how often to try again.
CHANNEL_REFUSED_RETRY = timedelta(minutes=5)

# The record's highest number, read by the incident counter while allocations wait: a few quick
# attempts, then the counter carries on without it (the bot's Update times out after 5 s). Bounded
# by attempts as well: the counter reads it as a local activity, whose schedule-to-close the SDK
# does not enforce between attempts that fail at once (as AttemptDeadlineInterceptor makes them).
RECORD_FLOOR: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=2),
    "schedule_to_close_timeout": timedelta(seconds=3),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=200),
        maximum_interval=timedelta(seconds=1),
        maximum_attempts=3,
    ),
}

# The postmortem doc and the Jira issue: retried until done, often enough to land soon after an
# outage; each attempt has room for the few calls it makes (8 s each, activities/clients.py).
# A refusal an admin must fix is not retried here: the workflow says so once and tries again
# after TRACKING_REFUSED_RETRY.
TRACKING: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
    ),
}

# A section of the postmortem doc (the timeline of a long channel): many calls in one attempt.
TRACKING_SECTION: ActivityOptions = {
    "start_to_close_timeout": timedelta(minutes=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
    ),
}

# Reading the incident channel for the postmortem (thousands of messages, hundreds of calls): an
# attempt heartbeats what it has read, so the retry after a Slack 429 goes on from there, and a
# worker lost mid-way is noticed within the heartbeat timeout (each Slack call takes at most 8 s).
TRANSCRIPT: HeartbeatingOptions = {
    "start_to_close_timeout": timedelta(minutes=10),
    "heartbeat_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
    ),
}

TRACKING_REFUSED_RETRY = timedelta(minutes=30)

# A person's name for a Jira comment (Slack's users.info): a nicety the comment waits on only
# briefly; while Slack is down the comment names the Slack id instead.
NAME_LOOKUP: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=10),
    "schedule_to_close_timeout": timedelta(minutes=1),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=10)
    ),
}

# Events to PagerDuty: retried until PagerDuty accepts them, since every event carries the
# incident's dedup key and a repeat adds to the same alert; the workflow tells the channel when a
# page has not gone through for minutes. Each attempt is one request (fireline/pagerduty.py).
PAGING: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
    ),
}

# Reading who is on call (REST API, a few pages): given up after a while like other best-effort
# steps, with room for the pages within one attempt.
ONCALL_LOOKUP: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(minutes=15),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
    ),
}
