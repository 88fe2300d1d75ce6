"""What the template cannot do for a first deploy: the stack's name, the API credentials, the
event subscriptions and the partner event bus (`bwp-privacy setup`)."""

from bwp_privacy_cli.onboarding.stack_name import MAX_STACK_NAME_LENGTH, stack_name_problem

__all__ = ["MAX_STACK_NAME_LENGTH", "stack_name_problem"]
