from kmodel.cli import run

run()
