"""`make storm-model`: a storm of failures played at full size in simulated time, so that what
the template's numbers do to the Buy with Prime API, the cases, the alerts, DynamoDB and the
bill can be read before a storm comes (issue 28). The cases are moved by the reaction's real
decisions with the shipped playbooks; the budget by the runtime's own GCRA arithmetic; AWS and
Buy with Prime are played by the model (`storm_model.storm`)."""

from storm_model.report import Summary, render, summarise
from storm_model.settings import Settings, SettingsError, load_settings
from storm_model.storm import Storm, run_storm
from storm_model.wiring import model, shipped_playbooks

__all__ = [
    "Settings",
    "SettingsError",
    "Storm",
    "Summary",
    "load_settings",
    "model",
    "render",
    "run_storm",
    "shipped_playbooks",
    "summarise",
]
