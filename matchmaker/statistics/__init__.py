"""The zone's numbers: yearly targets and the statistics the dashboard and reports show."""
