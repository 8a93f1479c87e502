from fireline.cli import app

app(prog_name="fireline")
