"""The run report (a front end: papermill executes ``notebooks/etl.ipynb``; ``views`` holds
the tables and charts its cells show)."""
