"""The back office: the pages where an owner runs their salon (profile and
rules, services, staff and their hours, closures). One module per page;
every page asks ``access.backoffice`` who may see and who may change it."""
