-- What Fireline made for an incident in other systems: the postmortem doc (Notion or Confluence),
-- the Jira issue and its follow-ups. Unlike external_links (one link per kind: the channel, the
-- workflow), an incident has many follow-ups, so the key includes the outside system's own id.
-- The record loop upserts every link the workflow holds: a retried write changes nothing.
CREATE TABLE incident_links (
    incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    external_id  text NOT NULL,
    url          text NOT NULL,
    title        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, kind, external_id)
);

-- "Which incident is this Jira issue or page for?"
CREATE INDEX incident_links_external_idx ON incident_links (kind, external_id);
