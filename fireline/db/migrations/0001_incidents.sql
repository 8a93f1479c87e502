-- The queryable record of incidents: a projection of each incident workflow's state, written by the
-- record activities with upserts keyed by the workflow id. Reports (MTTA/MTTR, incidents per
-- severity, per commander) read from here; the workflow never does.

CREATE TABLE incidents (
    -- The Temporal workflow id: the key every upsert and every link back to Temporal uses.
    id              text PRIMARY KEY,
    -- The human reference, INC-<number>.
    number          integer NOT NULL UNIQUE CHECK (number > 0),
    title           text NOT NULL,
    -- The policy level name (SEV1) and its label (critical) as they were when last recorded.
    severity        text NOT NULL,
    severity_label  text NOT NULL,
    -- investigating, mitigated, resolved (fireline.models.IncidentStatus); free text so a new
    -- status never makes the record fail before a migration ships.
    status          text NOT NULL,
    description     text NOT NULL DEFAULT '',
    impact          text NOT NULL DEFAULT '',
    private         boolean NOT NULL DEFAULT false,
    reporter_id     text NOT NULL,
    commander_id    text NOT NULL,
    -- The Slack workspace and incident channel, once they exist.
    team_id         text,
    channel_id      text,
    channel_name    text,
    declared_at     timestamptz NOT NULL,
    -- First time the record saw the incident mitigated / resolved; cleared when it is reopened.
    mitigated_at    timestamptz,
    resolved_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX incidents_status_idx ON incidents (status);
CREATE INDEX incidents_severity_declared_at_idx ON incidents (severity, declared_at DESC);
CREATE INDEX incidents_declared_at_idx ON incidents (declared_at DESC);
CREATE INDEX incidents_commander_idx ON incidents (commander_id);
-- "What is open right now" is the most frequent question and open incidents are few.
CREATE INDEX incidents_open_idx ON incidents (declared_at DESC) WHERE status <> 'resolved';

-- Who held which role. Single-holder roles (reporter, commander) are replaced when they change;
-- other roles (responder, scribe, ...) may have several holders.
CREATE TABLE incident_people (
    incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id      text NOT NULL,
    role         text NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, role, user_id)
);

CREATE INDEX incident_people_user_idx ON incident_people (user_id, role);

-- One link per kind and incident: slack_channel, temporal, source_message, notion, jira, ...
CREATE TABLE external_links (
    incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    url          text NOT NULL,
    title        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, kind)
);

-- What happened when. event_key is chosen by the writer so a retried write is the same row
-- ("declared", "status:<n>", the Slack message ts of an update, ...).
CREATE TABLE timeline_events (
    incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    event_key    text NOT NULL,
    kind         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor_id     text,
    text         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, event_key)
);

CREATE INDEX timeline_events_occurred_at_idx ON timeline_events (incident_id, occurred_at);
CREATE INDEX timeline_events_kind_idx ON timeline_events (kind, occurred_at);

CREATE TABLE incident_tags (
    incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tag          text NOT NULL,
    PRIMARY KEY (incident_id, tag)
);

CREATE INDEX incident_tags_tag_idx ON incident_tags (tag);
