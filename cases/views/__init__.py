"""The caseworkers' web app. One module per page; the case page's tabs live in `sections/`."""
