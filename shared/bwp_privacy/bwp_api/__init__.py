"""Buy with Prime GraphQL API: token, typed errors and the privacy-task client."""
