"""The HTTP clients of Microsoft Graph and Asana's SCIM API, their credentials and connection
settings: every request the product sends leaves through here, with its timeout and retries."""
