"""Every state change of an incident and its report (DOMAIN.md "Lifecycle of an incident",
"The incident report"). Views, the API, alert handling, integrations and beat tasks all call
these, so each rule lives here once. Every change writes a timeline entry (the incident's audit
log); the texts people read are in incidents/messages.py. Import the module you need:

- lifecycle.py     declare, acknowledge, resolve, community confirmation, close (and the beat
                   auto-close), escalate after the 30-minute time-box
- assignments.py   hand-off of the commander and liaison roles, subject matter experts
- live_log.py      the live log: people's entries, the impact start, entries from GitHub and
                   from monitoring
- updates.py       telling the community: canned responses, the community update, replies on
                   linked requests and e-mails to the representatives
- reports.py       the incident report: draft, edit (one impact window), review, publish
- action_items.py  the report's action items and their follow-up issues
- common.py        what the modules share: row locks, saving, writing a timeline entry

Paging and escalation until somebody acknowledges is incidents/paging.py."""
