"""The auditor's tools: fixture cases (record, read) and the audit that reproduces every one."""
