-- The record of the whole lifecycle (investigating, identified, mitigated, resolved, closed):
-- the time each status was first reached, what each timeline event changed, and who holds which
-- role. Time to mitigate and to resolve per severity are one query over `incidents`
-- (docs/reports.md).

-- Written as the workflow gives them (from workflow time, cleared when the incident is reopened
-- before that status), like mitigated_at and resolved_at.
ALTER TABLE incidents
    ADD COLUMN identified_at timestamptz,
    ADD COLUMN closed_at timestamptz;

-- Resolved and closed incidents are over; the rest are open.
DROP INDEX incidents_open_idx;
CREATE INDEX incidents_open_idx ON incidents (declared_at DESC)
    WHERE status NOT IN ('resolved', 'closed');

-- What a status_changed, severity_changed or role_assigned event changed: the status or
-- severity name, or the Slack user id of the role's holder (NULL where nothing was there).
-- Not `old`/`new`: those name the rows in trigger functions.
ALTER TABLE timeline_events
    ADD COLUMN old_value text,
    ADD COLUMN new_value text;

-- Every role has one holder at a time (the workflow keeps roles as role -> user), and assigning
-- a role replaces its holder: the record says so, and an upsert on (incident_id, role) replaces
-- it in one statement. Roles stay rows here, beside the reporter, rather than columns: the
-- policy names the roles, so a new role needs no migration, and "which incidents did this
-- person command" keeps using incident_people_user_idx.
CREATE UNIQUE INDEX incident_people_one_holder_idx ON incident_people (incident_id, role);
