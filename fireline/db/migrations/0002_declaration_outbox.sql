-- Declarations the bot acknowledged in Slack while Temporal could not take them, kept until it
-- does (bot.outbox). A bot holds each row under a lease while it retries; a row whose lease ran
-- out (its bot stopped) is claimed by the next bot that drains the outbox. Rows live seconds to
-- minutes: none are left once Temporal is reachable.

CREATE TABLE declaration_outbox (
    -- The incident's workflow id, from the submitted view: a redelivery finds the same row.
    workflow_id     text PRIMARY KEY,
    -- bot.outbox.base.PendingDeclaration's declaration: what the reporter typed, validated.
    declaration     jsonb NOT NULL,
    declared_at     timestamptz NOT NULL,
    -- The reporter was told the declaration is delayed; told once, by whichever bot holds it.
    delay_notified  boolean NOT NULL DEFAULT false,
    leased_by       text NOT NULL,
    leased_until    timestamptz NOT NULL
);

CREATE INDEX declaration_outbox_leased_until_idx ON declaration_outbox (leased_until);
