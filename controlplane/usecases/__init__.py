"""What a user can do, by name: the one core the CLI and the web app are thin layers over.

- files.py: on a model file and an inventory (validate, render, diff, deploy, drift,
  switchover, drill, status) — the CLI's and CI's way in;
- revisions.py: on the versioned store (save, edit, import, export, roll back, render,
  plan, diff to what is deployed) — the web app's and the API's;
- server_state.py: a server's state or weight, saved as a revision and applied live;
- deployments.py: deploys started from the web app, run in the background, recorded live.

Submodules are imported by name (`from controlplane.usecases import files`), never here,
so a CLI command loads only what it uses.
"""
