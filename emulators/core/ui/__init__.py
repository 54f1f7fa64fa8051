"""The dashboard's page template, script and style sheet, served by `emulators.core.dashboard`."""
