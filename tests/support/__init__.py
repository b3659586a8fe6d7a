"""What the tests and bench/ share: emulators, the standalone, test data."""
