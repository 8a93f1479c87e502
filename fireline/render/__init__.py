"""Block Kit built by small pure functions from Fireline's models.

User text always travels in `plain_text` objects, which Slack never parses for mentions or
formatting, so a title like `<!channel> *bold*` renders as typed and pings nobody. Fallback `text`
(notifications) is mrkdwn, so it goes through `escape`.
"""
