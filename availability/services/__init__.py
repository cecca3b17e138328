"""Every state change of the availability app (DOMAIN.md "Availability, alerting and status").
Each service writes an AvailabilityLog row (the audit trail) and invalidates the status cache;
the texts people read are in availability/messages.py. Import the module you need:

- hub_status.py   the stored status of each hub, derived from incidents and maintenance (and
                  refreshed when incidents.signals.incident_changed arrives), and overrides
- maintenance.py  maintenance windows: the scheduling warnings, announcements, cancelling
- alerts.py       Alertmanager integrations and alerts: one open incident per hub
- hub_events.py   events hubs report, and the rule "N server starts fail in a row"
- common.py       what the modules share: the audit log, the incident monitoring joins or opens

An incident is declared and written to only through incidents' own services."""
