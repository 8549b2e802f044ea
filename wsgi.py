from workflow_app import create_app, ready_to_serve

app = ready_to_serve(create_app())
