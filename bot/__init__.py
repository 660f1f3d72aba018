"""newsbot's Discord front end and the `newsbot` command line."""
