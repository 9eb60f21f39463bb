"""The REST API's shared parts: error envelope, base views, access rules, paging, schema."""
