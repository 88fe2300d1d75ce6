"""The Buy with Prime GraphQL API: settings, access tokens, typed errors and the privacy-task
client. It knows nothing of failures, alerts or AWS (but for the credentials secret).
"""

from typing import TYPE_CHECKING

from bwp_privacy.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from bwp_privacy.bwp_api.build import build_client
    from bwp_privacy.bwp_api.client import (
        CANCEL_DELETION_TASK_MUTATION,
        DELETION_TASK_QUERY,
        RETRIEVAL_TASK_QUERY,
        BwpClient,
    )
    from bwp_privacy.bwp_api.credentials import (
        ClientCredentials,
        load_credentials,
    )
    from bwp_privacy.bwp_api.errors import (
        AccessDeniedApiError,
        AuthenticationError,
        BwpApiError,
        ConflictApiError,
        InternalServerApiError,
        ResourceNotFoundApiError,
        ThrottlingApiError,
        TransientApiError,
        UnknownApiError,
        ValidationApiError,
        error_from_graphql,
    )
    from bwp_privacy.bwp_api.models import (
        DeletionTask,
        PrivacyTask,
        RetrievalTask,
        TaskError,
        task_model,
    )
    from bwp_privacy.bwp_api.operations import lookup_query, start_mutation
    from bwp_privacy.bwp_api.settings import (
        DEFAULT_API_URL,
        DEFAULT_API_VERSION,
        DEFAULT_TOKEN_URL,
        ApiSettings,
    )
    from bwp_privacy.bwp_api.token import (
        AccessToken,
        TokenProvider,
        request_access_token,
    )

# Each name is imported on first use: see bwp_privacy.lazy_exports.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "build": ("build_client",),
        "client": (
            "CANCEL_DELETION_TASK_MUTATION",
            "DELETION_TASK_QUERY",
            "DELETION_TASK_QUERY",
            "RETRIEVAL_TASK_QUERY",
            "BwpClient",
        ),
        "credentials": ("ClientCredentials", "load_credentials"),
        "errors": (
            "AccessDeniedApiError",
            "AuthenticationError",
            "BwpApiError",
            "ConflictApiError",
            "InternalServerApiError",
            "ResourceNotFoundApiError",
            "ThrottlingApiError",
            "TransientApiError",
            "UnknownApiError",
            "ValidationApiError",
            "error_from_graphql",
        ),
        "models": ("DeletionTask", "PrivacyTask", "RetrievalTask", "TaskError", "task_model"),
        "operations": ("lookup_query", "start_mutation"),
        "settings": ("DEFAULT_API_URL", "DEFAULT_API_VERSION", "DEFAULT_TOKEN_URL", "ApiSettings"),
        "token": ("AccessToken", "TokenProvider", "request_access_token"),
    },
)

__all__ = [
    "CANCEL_DELETION_TASK_MUTATION",
    "DEFAULT_API_URL",
    "DEFAULT_API_VERSION",
    "DEFAULT_TOKEN_URL",
    "DELETION_TASK_QUERY",
    "RETRIEVAL_TASK_QUERY",
    "AccessDeniedApiError",
    "AccessToken",
    "ApiSettings",
    "AuthenticationError",
    "BwpApiError",
    "BwpClient",
    "ClientCredentials",
    "ConflictApiError",
    "DeletionTask",
    "InternalServerApiError",
    "PrivacyTask",
    "ResourceNotFoundApiError",
    "RetrievalTask",
    "TaskError",
    "ThrottlingApiError",
    "TokenProvider",
    "TransientApiError",
    "UnknownApiError",
    "ValidationApiError",
    "build_client",
    "error_from_graphql",
    "load_credentials",
    "lookup_query",
    "request_access_token",
    "start_mutation",
    "task_model",
]
