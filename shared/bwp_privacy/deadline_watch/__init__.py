"""The deadline watch: every few minutes, how many open cases are on time, due soon and past
due against their legal deadlines, as metrics (an alarm fires on any case past due) and one
log line naming the cases at risk."""

from bwp_privacy.deadline_watch.settings import WatchSettings
from bwp_privacy.deadline_watch.watch import DeadlineWatch, WatchReport

__all__ = ["DeadlineWatch", "WatchReport", "WatchSettings"]
